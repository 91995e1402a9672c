using System.Security.Cryptography;
using System.Text.Json;
using Vouch.Sigstore.Dsse;
using Vouch.Common.Json;

namespace Vouch.Provenance.Slsa;

/// <summary>What a consumer requires of a VSA.</summary>
public sealed record VsaExpectation
{
    /// <summary>SHA-512 of the tarball the VSA must be about.</summary>
    public required byte[] SubjectSha512 { get; init; }

    public SlsaBuildLevel MinimumLevel { get; init; } = SlsaBuildLevel.L1;

    /// <summary>When set, <c>resourceUri</c> and the subject name must be this package version's purl.</summary>
    public string? PackageName { get; init; }

    public string? Version { get; init; }

    /// <summary>When set, <c>verifier.id</c> must equal it.</summary>
    public string? VerifierId { get; init; }
}

/// <summary>The checked content of a VSA.</summary>
public sealed record VsaResult
{
    public IReadOnlyList<Problem> Problems { get; init; } = [];

    public bool Passed => Problems.Count == 0;

    public string? VerifierId { get; init; }

    public string? TimeVerified { get; init; }

    public string? ResourceUri { get; init; }

    public string? PolicyUri { get; init; }

    public string? PolicySha256 { get; init; }

    public SlsaBuildLevel? Level { get; init; }

    public IReadOnlyList<string> VerifiedLevels { get; init; } = [];
}

/// <summary>
/// Checks a VSA envelope: the signature with the verifier's public key first (nothing in the payload is
/// read before it verifies), then the statement's shape, subject digest, result, level and verifier.
/// </summary>
public static class VsaVerifier
{
    public static VsaResult Verify(ReadOnlySpan<byte> envelopeJson, ECDsa publicKey, VsaExpectation expect)
    {
        if (envelopeJson.Length > Vsa.MaxEnvelopeBytes)
        {
            return Fail(VsaCodes.Malformed, $"the envelope is larger than {Vsa.MaxEnvelopeBytes} bytes");
        }

        byte[] payload;
        List<byte[]> signatures;
        try
        {
            using var doc = JsonInput.Parse(envelopeJson.ToArray(), Limits.MaxJsonDepth);
            var bad = new List<string>();
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return Fail(VsaCodes.Malformed, "the envelope is not a JSON object");
            }

            if (!root.TryGetProperty("payloadType", out var type) || type.ValueKind != JsonValueKind.String)
            {
                bad.Add("payloadType (string)");
            }
            else if (type.GetString() != Vsa.PayloadType)
            {
                bad.Add($"payloadType ({Vsa.PayloadType}, not '{type.GetString()}')");
            }

            payload = [];
            if (!root.TryGetProperty("payload", out var p) || p.ValueKind != JsonValueKind.String || !TryBase64(p.GetString()!, out payload))
            {
                bad.Add("payload (base64 string)");
            }

            signatures = [];
            if (!root.TryGetProperty("signatures", out var sigs) || sigs.ValueKind != JsonValueKind.Array || sigs.GetArrayLength() is 0 or > Vouch.Sigstore.Limits.MaxDsseSignatures)
            {
                bad.Add($"signatures (an array of 1 to {Vouch.Sigstore.Limits.MaxDsseSignatures})");
            }
            else
            {
                var i = 0;
                foreach (var s in sigs.EnumerateArray())
                {
                    if (s.ValueKind == JsonValueKind.Object && s.TryGetProperty("sig", out var sig) && sig.ValueKind == JsonValueKind.String && TryBase64(sig.GetString()!, out var bytes))
                    {
                        signatures.Add(bytes);
                    }
                    else
                    {
                        bad.Add($"signatures[{i}].sig (base64 string)");
                    }

                    i++;
                }
            }

            if (bad.Count > 0)
            {
                return Fail(VsaCodes.Malformed, "bad envelope fields: " + string.Join(", ", bad));
            }
        }
        catch (JsonException e)
        {
            return Fail(VsaCodes.Malformed, $"the envelope is not valid JSON ({e.Message})");
        }

        var pae = Pae.Encode(Vsa.PayloadType, payload);
        if (!signatures.Any(s => publicKey.VerifyData(pae, s, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)))
        {
            return Fail(VsaCodes.SignatureInvalid, $"no signature verifies with the key {VsaKeys.KeyId(publicKey)}");
        }

        return CheckStatement(payload, expect);
    }

    private static VsaResult CheckStatement(byte[] payload, VsaExpectation expect)
    {
        try
        {
            using var doc = JsonInput.Parse(payload, Limits.MaxJsonDepth);
            var s = doc.RootElement;
            var bad = new List<string>();
            string? Str(JsonElement e, string name)
            {
                if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String)
                {
                    return v.GetString();
                }

                return null;
            }

            if (Str(s, "_type") != Vsa.StatementType)
            {
                bad.Add($"_type ({Vsa.StatementType})");
            }

            if (Str(s, "predicateType") != Vsa.PredicateType)
            {
                bad.Add($"predicateType ({Vsa.PredicateType})");
            }

            var predicate = s.ValueKind == JsonValueKind.Object && s.TryGetProperty("predicate", out var pr) && pr.ValueKind == JsonValueKind.Object ? pr : default;
            if (predicate.ValueKind != JsonValueKind.Object)
            {
                bad.Add("predicate (object)");
            }

            var subjects = s.ValueKind == JsonValueKind.Object && s.TryGetProperty("subject", out var su) && su.ValueKind == JsonValueKind.Array ? su : default;
            if (subjects.ValueKind != JsonValueKind.Array || subjects.GetArrayLength() is 0 or > Vouch.Sigstore.Limits.MaxStatementSubjects)
            {
                bad.Add("subject (non-empty array)");
            }

            var verifier = predicate.ValueKind == JsonValueKind.Object && predicate.TryGetProperty("verifier", out var ve) ? Str(ve, "id") : null;
            var result = predicate.ValueKind == JsonValueKind.Object ? Str(predicate, "verificationResult") : null;
            if (verifier is null)
            {
                bad.Add("predicate.verifier.id (string)");
            }

            if (result is not ("PASSED" or "FAILED"))
            {
                bad.Add("predicate.verificationResult (PASSED or FAILED)");
            }

            var levels = new List<string>();
            if (predicate.ValueKind == JsonValueKind.Object && predicate.TryGetProperty("verifiedLevels", out var lv) && lv.ValueKind == JsonValueKind.Array)
            {
                levels.AddRange(lv.EnumerateArray().Where(l => l.ValueKind == JsonValueKind.String).Select(l => l.GetString()!));
            }
            else
            {
                bad.Add("predicate.verifiedLevels (array)");
            }

            if (bad.Count > 0)
            {
                return Fail(VsaCodes.Malformed, "bad statement fields: " + string.Join(", ", bad));
            }

            var resource = Str(predicate, "resourceUri");
            var policy = predicate.TryGetProperty("policy", out var po) ? po : default;
            var level = levels.Select(SlsaLevels.ParseVsaName).Where(l => l is not null).Max();
            var checkedResult = new VsaResult
            {
                VerifierId = verifier,
                TimeVerified = Str(predicate, "timeVerified"),
                ResourceUri = resource,
                PolicyUri = Str(policy, "uri"),
                PolicySha256 = policy.ValueKind == JsonValueKind.Object && policy.TryGetProperty("digest", out var pd) ? Str(pd, "sha256") : null,
                Level = level,
                VerifiedLevels = levels,
            };

            var problems = new List<Problem>();
            var expectedHex = Convert.ToHexStringLower(expect.SubjectSha512);
            var purl = expect.PackageName is not null && expect.Version is not null ? NpmAttestationVerifier.SubjectName(expect.PackageName, expect.Version) : null;
            var subjectMatches = subjects.EnumerateArray().Any(x =>
                x.ValueKind == JsonValueKind.Object && x.TryGetProperty("digest", out var d) && Str(d, "sha512") is { } hex
                && string.Equals(hex, expectedHex, StringComparison.OrdinalIgnoreCase)
                && (purl is null || Str(x, "name") == purl));
            if (!subjectMatches)
            {
                problems.Add(new Problem(VsaCodes.SubjectMismatch, $"no subject of the VSA has the tarball's sha512 {expectedHex[..16]}…{(purl is null ? string.Empty : $" under the name {purl}")}"));
            }

            if (purl is not null && resource != purl)
            {
                problems.Add(new Problem(VsaCodes.ResourceMismatch, $"the VSA is about '{resource}', not {purl}"));
            }

            if (result != "PASSED")
            {
                problems.Add(new Problem(VsaCodes.ResultFailed, "the verifier recorded verificationResult FAILED"));
            }

            // No level listed is level 0: nothing about the build was verified.
            if ((level ?? SlsaBuildLevel.L0) < expect.MinimumLevel)
            {
                problems.Add(new Problem(VsaCodes.LevelInsufficient,
                    $"the VSA verifies {(level is null ? "no SLSA build level" : SlsaLevels.VsaName(level.Value))}; at least {SlsaLevels.VsaName(expect.MinimumLevel)} is required"));
            }

            if (expect.VerifierId is not null && verifier != expect.VerifierId)
            {
                problems.Add(new Problem(VsaCodes.VerifierMismatch, $"the VSA was issued by '{verifier}', not '{expect.VerifierId}'"));
            }

            return checkedResult with { Problems = problems };
        }
        catch (JsonException e)
        {
            return Fail(VsaCodes.Malformed, $"the payload is not a JSON statement ({e.Message})");
        }
    }

    private static bool TryBase64(string text, out byte[] bytes)
    {
        bytes = new byte[text.Length * 3 / 4 + 3];
        if (Convert.TryFromBase64String(text, bytes, out var n))
        {
            bytes = bytes[..n];
            return true;
        }

        bytes = [];
        return false;
    }

    private static VsaResult Fail(string code, string message) => new() { Problems = [new Problem(code, message)] };
}
