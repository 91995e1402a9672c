using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Sigstore.Dsse;

namespace Vouch.Provenance.Slsa;

/// <summary>An attestation the verification read (VSA <c>inputAttestations</c>): where it was served, the SHA-256 of its bytes, and its predicate type as <c>name</c>.</summary>
public sealed record VsaInput(string Uri, string Sha256Hex, string? Name = null);

/// <summary>What a VSA states: built from Vouch's verification of one version.</summary>
public sealed record VsaRequest
{
    public required string PackageName { get; init; }

    public required string Version { get; init; }

    /// <summary>SHA-512 of the tarball: the VSA's subject digest.</summary>
    public required byte[] TarballSha512 { get; init; }

    /// <summary>Identifies the verifier (e.g. the gate's URL or <c>https://vouch.dev/cli</c>).</summary>
    public required string VerifierId { get; init; }

    public required string VerifierVersion { get; init; }

    public required DateTimeOffset TimeVerified { get; init; }

    /// <summary>The policy the verification applied: its name/URI and the SHA-256 of its bytes (null: none).</summary>
    public string? PolicyUri { get; init; }

    public string? PolicySha256Hex { get; init; }

    public required bool Passed { get; init; }

    public required SlsaBuildLevel Level { get; init; }

    public IReadOnlyList<VsaInput> InputAttestations { get; init; } = [];
}

/// <summary>
/// SLSA verification summary attestations: an in-toto Statement v1 with predicate
/// <c>https://slsa.dev/verification_summary/v1</c>, in a DSSE envelope signed with a local ECDSA P-256 key.
/// </summary>
public static class Vsa
{
    public const string PredicateType = "https://slsa.dev/verification_summary/v1";
    public const string StatementType = "https://in-toto.io/Statement/v1";
    public const string PayloadType = "application/vnd.in-toto+json";

    /// <summary>Largest VSA envelope read (a VSA is a few kilobytes).</summary>
    public const int MaxEnvelopeBytes = 1024 * 1024;

    /// <summary>The statement JSON (UTF-8), fields in a fixed order.</summary>
    public static byte[] Statement(VsaRequest r)
    {
        var resource = NpmAttestationVerifier.SubjectName(r.PackageName, r.Version);
        // Verified levels: the level earned and every level below it, as the VSA spec lists them.
        var levels = new JsonArray();
        for (var l = SlsaBuildLevel.L1; l <= r.Level && r.Passed; l++)
        {
            levels.Add(SlsaLevels.VsaName(l));
        }

        var predicate = new JsonObject
        {
            ["verifier"] = new JsonObject { ["id"] = r.VerifierId, ["version"] = new JsonObject { ["vouch"] = r.VerifierVersion } },
            ["timeVerified"] = r.TimeVerified.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["resourceUri"] = resource,
            ["policy"] = r.PolicySha256Hex is null
                ? new JsonObject { ["uri"] = r.PolicyUri ?? "vouch:no-policy" }
                : new JsonObject { ["uri"] = r.PolicyUri ?? "vouch:policy", ["digest"] = new JsonObject { ["sha256"] = r.PolicySha256Hex } },
            ["inputAttestations"] = new JsonArray([.. r.InputAttestations.Select(Input)]),
            ["verificationResult"] = r.Passed ? "PASSED" : "FAILED",
            ["verifiedLevels"] = levels,
            ["slsaVersion"] = "1.0",
        };
        var statement = new JsonObject
        {
            ["_type"] = StatementType,
            ["subject"] = new JsonArray(new JsonObject { ["name"] = resource, ["digest"] = new JsonObject { ["sha512"] = Convert.ToHexStringLower(r.TarballSha512) } }),
            ["predicateType"] = PredicateType,
            ["predicate"] = predicate,
        };
        return Encoding.UTF8.GetBytes(statement.ToJsonString());
    }

    /// <summary>
    /// The attestation bundles the verification of <paramref name="report"/> actually verified (provenance,
    /// publish attestation), each with the SHA-256 of its bytes as served from <paramref name="attestationsUrl"/>.
    /// A bundle that did not verify is not an input the summary rests on, so it is left out.
    /// </summary>
    public static IReadOnlyList<VsaInput> Inputs(PackageReport report, Uri? attestationsUrl)
    {
        var inputs = new List<VsaInput>();
        if (attestationsUrl is null)
        {
            return inputs;
        }

        if (report.Provenance is { Status: EvidenceStatus.Verified, BundleSha256: { } provenance })
        {
            inputs.Add(new VsaInput(attestationsUrl.AbsoluteUri, provenance, report.Provenance.Claims?.PredicateType));
        }

        if (report.PublishAttestation is { Status: EvidenceStatus.Verified, BundleSha256: { } publish })
        {
            inputs.Add(new VsaInput(attestationsUrl.AbsoluteUri, publish, NpmAttestationVerifier.PublishPredicate));
        }

        return inputs;
    }

    private static JsonNode Input(VsaInput i)
    {
        var o = new JsonObject();
        if (i.Name is not null)
        {
            o["name"] = i.Name;
        }

        o["uri"] = i.Uri;
        o["digest"] = new JsonObject { ["sha256"] = i.Sha256Hex };
        return o;
    }

    /// <summary>The SHA-512 in an npm integrity value (<c>sha512-…</c> among its tokens), or null when it has none.</summary>
    public static byte[]? SubjectSha512(string? integrity)
    {
        foreach (var token in (integrity ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            if (token.StartsWith("sha512-", StringComparison.Ordinal))
            {
                var bytes = new byte[64];
                if (Convert.TryFromBase64String(token["sha512-".Length..].Split('?')[0], bytes, out var n) && n == 64)
                {
                    return bytes;
                }
            }
        }

        return null;
    }

    /// <summary>Signs the statement into a DSSE envelope (JSON text).</summary>
    public static string Sign(VsaRequest request, ECDsa key)
    {
        var payload = Statement(request);
        var signature = key.SignData(Pae.Encode(PayloadType, payload), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var envelope = new JsonObject
        {
            ["payloadType"] = PayloadType,
            ["payload"] = Convert.ToBase64String(payload),
            ["signatures"] = new JsonArray(new JsonObject { ["keyid"] = VsaKeys.KeyId(key), ["sig"] = Convert.ToBase64String(signature) }),
        };
        return envelope.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
