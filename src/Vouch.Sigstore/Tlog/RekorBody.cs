using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Vouch.Sigstore.Json;
using static Vouch.Sigstore.Json.JsonNavigation;
using Vouch.Common.Json;

namespace Vouch.Sigstore.Tlog;

/// <summary>What a bundle claims was logged: the transparency log body must describe exactly this.</summary>
internal sealed record LoggedContent(
    byte[] Signature,
    byte[]? CertificateDer,
    byte[] SignerSpki,
    byte[]? ArtifactSha256,
    byte[]? DssePayload,
    byte[]? DssePaeSha256);

/// <summary>
/// Checks a Rekor entry's canonicalized body against the bundle's own signature, signer and artifact.
/// Supports Rekor v1 `hashedrekord` 0.0.1, `intoto` 0.0.2, `dsse` 0.0.1 and Rekor v2 `hashedrekord` 0.0.2,
/// `dsse` 0.0.2. Returns null when the body matches, otherwise the reason.
/// </summary>
internal static class RekorBody
{
    public static string? Mismatch(string kind, string version, byte[] body, LoggedContent content)
    {
        JsonDocument doc;
        try
        {
            doc = JsonInput.Parse(body, Limits.MaxJsonDepth);
        }
        catch (JsonException)
        {
            return "the log entry body is not JSON";
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return "the log entry body is not a JSON object";
            }

            if (Str(root, "kind") != kind || Str(root, "apiVersion") != version)
            {
                return $"the log entry body is {Str(root, "kind")} {Str(root, "apiVersion")}, but the entry says {kind} {version}";
            }

            if (!root.TryGetProperty("spec", out var spec) || spec.ValueKind != JsonValueKind.Object)
            {
                return "the log entry body has no spec";
            }

            return (kind, version) switch
            {
                ("hashedrekord", "0.0.1") => HashedRekord001(spec, content),
                ("intoto", "0.0.2") => Intoto002(spec, content),
                ("dsse", "0.0.1") => Dsse001(spec, content),
                ("hashedrekord", "0.0.2") => HashedRekord002(spec, content),
                ("dsse", "0.0.2") => Dsse002(spec, content),
                _ => $"unsupported log entry kind {kind} {version}",
            };
        }
    }

    private static string? HashedRekord001(JsonElement spec, LoggedContent c)
    {
        if (c.DssePayload is not null)
        {
            return "a hashedrekord 0.0.1 entry cannot log a DSSE envelope";
        }

        var sig = B64(Get(spec, "signature", "content"));
        if (sig is null || !sig.AsSpan().SequenceEqual(c.Signature))
        {
            return "the logged signature is not the bundle's signature";
        }

        var keyProblem = PemMatches(B64(Get(spec, "signature", "publicKey", "content")), c);
        if (keyProblem is not null)
        {
            return keyProblem;
        }

        if (Str(Get(spec, "data", "hash"), "algorithm") != "sha256")
        {
            return "the logged artifact hash is not SHA-256";
        }

        var hex = Str(Get(spec, "data", "hash"), "value");
        if (c.ArtifactSha256 is null)
        {
            return "the artifact's SHA-256 digest is needed to match a hashedrekord entry";
        }

        return hex is not null && hex.Equals(Convert.ToHexString(c.ArtifactSha256), StringComparison.OrdinalIgnoreCase)
            ? null
            : "the logged artifact hash is not the artifact's digest";
    }

    private static string? Intoto002(JsonElement spec, LoggedContent c)
    {
        if (c.DssePayload is null)
        {
            return "an intoto entry can only log a DSSE envelope";
        }

        var content = Get(spec, "content");
        var payloadHash = Get(content, "payloadHash");
        if (Str(payloadHash, "algorithm") != "sha256"
            || !string.Equals(Str(payloadHash, "value"), Convert.ToHexString(SHA256.HashData(c.DssePayload)), StringComparison.OrdinalIgnoreCase))
        {
            return "the logged payload hash is not the hash of the envelope's payload";
        }

        var sigs = Get(content, "envelope", "signatures");
        if (sigs.ValueKind != JsonValueKind.Array || sigs.GetArrayLength() != 1)
        {
            return "the logged envelope does not carry exactly one signature";
        }

        var entry = sigs[0];
        // intoto 0.0.2 stores the signature base64-encoded twice.
        var once = B64(Str(entry, "sig"));
        var sig = once is null ? null : B64(Encoding.ASCII.GetString(once));
        if (sig is null || !sig.AsSpan().SequenceEqual(c.Signature))
        {
            return "the logged signature is not the envelope's signature";
        }

        return PemMatches(B64(Str(entry, "publicKey")), c);
    }

    private static string? Dsse001(JsonElement spec, LoggedContent c)
    {
        if (c.DssePayload is null)
        {
            return "a dsse entry can only log a DSSE envelope";
        }

        var payloadHash = Get(spec, "payloadHash");
        if (Str(payloadHash, "algorithm") != "sha256"
            || !string.Equals(Str(payloadHash, "value"), Convert.ToHexString(SHA256.HashData(c.DssePayload)), StringComparison.OrdinalIgnoreCase))
        {
            return "the logged payload hash is not the hash of the envelope's payload";
        }

        var sigs = Get(spec, "signatures");
        if (sigs.ValueKind != JsonValueKind.Array || sigs.GetArrayLength() != 1)
        {
            return "the logged envelope does not carry exactly one signature";
        }

        var sig = B64(Str(sigs[0], "signature"));
        if (sig is null || !sig.AsSpan().SequenceEqual(c.Signature))
        {
            return "the logged signature is not the envelope's signature";
        }

        return PemMatches(B64(Str(sigs[0], "verifier")), c);
    }

    private static string? HashedRekord002(JsonElement spec, LoggedContent c)
    {
        var v = Get(spec, "hashedRekordV002");
        var sig = B64(Str(Get(v, "signature"), "content"));
        if (sig is null || !sig.AsSpan().SequenceEqual(c.Signature))
        {
            return "the logged signature is not the bundle's signature";
        }

        var verifierProblem = VerifierMatches(Get(v, "signature", "verifier"), c);
        if (verifierProblem is not null)
        {
            return verifierProblem;
        }

        var data = Get(v, "data");
        if (Str(data, "algorithm") != "SHA2_256")
        {
            return "the logged digest is not SHA-256";
        }

        // For a DSSE envelope, Rekor v2 logs the hash of its pre-authentication encoding.
        var expected = c.DssePaeSha256 ?? c.ArtifactSha256;
        if (expected is null)
        {
            return "the artifact's SHA-256 digest is needed to match a hashedrekord entry";
        }

        var digest = B64(Str(data, "digest"));
        return digest is not null && digest.AsSpan().SequenceEqual(expected)
            ? null
            : c.DssePayload is null ? "the logged digest is not the artifact's digest" : "the logged digest is not the digest of the envelope";
    }

    private static string? Dsse002(JsonElement spec, LoggedContent c)
    {
        if (c.DssePayload is null)
        {
            return "a dsse entry can only log a DSSE envelope";
        }

        var v = Get(spec, "dsseV002");
        var payloadHash = Get(v, "payloadHash");
        var digest = B64(Str(payloadHash, "digest"));
        if (Str(payloadHash, "algorithm") != "SHA2_256" || digest is null || !digest.AsSpan().SequenceEqual(SHA256.HashData(c.DssePayload)))
        {
            return "the logged payload hash is not the hash of the envelope's payload";
        }

        var sigs = Get(v, "signatures");
        if (sigs.ValueKind != JsonValueKind.Array || sigs.GetArrayLength() != 1)
        {
            return "the logged envelope does not carry exactly one signature";
        }

        var sig = B64(Str(sigs[0], "content"));
        if (sig is null || !sig.AsSpan().SequenceEqual(c.Signature))
        {
            return "the logged signature is not the envelope's signature";
        }

        return VerifierMatches(Get(sigs[0], "verifier"), c);
    }

    private static string? VerifierMatches(JsonElement verifier, LoggedContent c)
    {
        if (B64(Str(Get(verifier, "x509Certificate"), "rawBytes")) is { } certDer)
        {
            return c.CertificateDer is not null && certDer.AsSpan().SequenceEqual(c.CertificateDer)
                ? null
                : "the logged certificate is not the bundle's certificate";
        }

        if (B64(Str(Get(verifier, "publicKey"), "rawBytes")) is { } spki)
        {
            return c.CertificateDer is null && spki.AsSpan().SequenceEqual(c.SignerSpki)
                ? null
                : "the logged public key is not the bundle's key";
        }

        return "the log entry names no verifier";
    }

    private static string? PemMatches(byte[]? pemBytes, LoggedContent c)
    {
        if (pemBytes is null)
        {
            return "the log entry names no signer";
        }

        var pem = Encoding.ASCII.GetString(pemBytes);
        if (!PemEncoding.TryFind(pem, out var fields))
        {
            return "the logged signer is not PEM";
        }

        var label = pem[fields.Label];
        var der = JsonFields.DecodeBase64(pem[fields.Base64Data].Replace("\n", "", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal));
        if (der is null)
        {
            return "the logged signer is not PEM";
        }

        return label switch
        {
            "CERTIFICATE" when c.CertificateDer is not null && der.AsSpan().SequenceEqual(c.CertificateDer) => null,
            "PUBLIC KEY" when c.CertificateDer is null && der.AsSpan().SequenceEqual(c.SignerSpki) => null,
            "CERTIFICATE" => "the logged certificate is not the bundle's certificate",
            _ => "the logged public key is not the bundle's key",
        };
    }

    private static byte[]? B64(string? s) => s is null ? null : JsonFields.DecodeBase64(s);

    private static byte[]? B64(JsonElement e) => e.ValueKind == JsonValueKind.String ? JsonFields.DecodeBase64(e.GetString()!) : null;
}
