using System.Text.Json;

namespace Vouch.Npm;

/// <summary>One key from <c>GET /-/npm/v1/keys</c>.</summary>
public sealed record RegistryKey
{
    /// <summary>e.g. <c>SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA</c>.</summary>
    public required string KeyId { get; init; }

    /// <summary>e.g. <c>ecdsa-sha2-nistp256</c>.</summary>
    public required string KeyType { get; init; }

    public required string Scheme { get; init; }

    /// <summary>The public key as DER SubjectPublicKeyInfo (decoded from the document's base64).</summary>
    public required byte[] PublicKeySpki { get; init; }

    /// <summary>When the key stopped being valid; null while it is current.</summary>
    public DateTimeOffset? Expires { get; init; }
}

/// <summary>The registry's signing keys, as served at <c>/-/npm/v1/keys</c>.</summary>
public sealed record RegistryKeySet(IReadOnlyList<RegistryKey> Keys)
{
    /// <summary>Parses and validates the keys document; throws <see cref="NpmDocumentException"/> listing every problem.</summary>
    public static RegistryKeySet Parse(ReadOnlyMemory<byte> json)
    {
        const string what = "registry keys document";
        using var doc = JsonRead.ParseDocument(json, what);
        var problems = new List<string>();
        var keys = new List<RegistryKey>();
        if (JsonRead.Property(doc.RootElement, "keys") is not { ValueKind: JsonValueKind.Array } array)
        {
            throw new NpmDocumentException(what, ["keys is missing or not an array"]);
        }

        if (array.GetArrayLength() > Limits.MaxRegistryKeys)
        {
            throw new NpmDocumentException(what, [$"more than {Limits.MaxRegistryKeys} keys"]);
        }

        var index = 0;
        foreach (var k in array.EnumerateArray())
        {
            var at = $"keys[{index++}]";
            var keyId = JsonRead.String(k, "keyid");
            var keyType = JsonRead.String(k, "keytype");
            var scheme = JsonRead.String(k, "scheme");
            var keyText = JsonRead.String(k, "key");
            byte[]? spki = null;
            if (string.IsNullOrEmpty(keyId))
            {
                problems.Add($"{at}.keyid is missing");
            }

            if (string.IsNullOrEmpty(keyType))
            {
                problems.Add($"{at}.keytype is missing");
            }

            if (string.IsNullOrEmpty(scheme))
            {
                problems.Add($"{at}.scheme is missing");
            }

            if (keyText is null)
            {
                problems.Add($"{at}.key is missing");
            }
            else
            {
                var buffer = new byte[keyText.Length];
                if (Convert.TryFromBase64String(keyText, buffer, out var n) && n > 0)
                {
                    spki = buffer[..n];
                }
                else
                {
                    problems.Add($"{at}.key is not base64");
                }
            }

            DateTimeOffset? expires = null;
            if (JsonRead.Property(k, "expires") is { } e)
            {
                expires = JsonRead.Date(e);
                if (expires is null)
                {
                    problems.Add($"{at}.expires is not a date");
                }
            }

            if (keyId is { Length: > 0 } && keyType is { Length: > 0 } && scheme is { Length: > 0 } && spki is not null)
            {
                keys.Add(new RegistryKey { KeyId = keyId, KeyType = keyType, Scheme = scheme, PublicKeySpki = spki, Expires = expires });
            }
        }

        if (problems.Count > 0)
        {
            throw new NpmDocumentException(what, problems);
        }

        return new RegistryKeySet(keys);
    }
}

/// <summary>One entry of an attestations document: a predicate type and its Sigstore bundle, as raw JSON.</summary>
public sealed record NpmAttestation(string PredicateType, string BundleJson);

/// <summary>The response of <c>GET /-/npm/v1/attestations/&lt;name&gt;@&lt;version&gt;</c>.</summary>
public sealed record NpmAttestationSet(IReadOnlyList<NpmAttestation> Attestations)
{
    /// <summary>Parses and validates the document; the bundles are left as JSON for the Sigstore layer.</summary>
    public static NpmAttestationSet Parse(ReadOnlyMemory<byte> json)
    {
        const string what = "attestations document";
        using var doc = JsonRead.ParseDocument(json, what);
        if (JsonRead.Property(doc.RootElement, "attestations") is not { ValueKind: JsonValueKind.Array } array)
        {
            throw new NpmDocumentException(what, ["attestations is missing or not an array"]);
        }

        if (array.GetArrayLength() > Limits.MaxAttestations)
        {
            throw new NpmDocumentException(what, [$"more than {Limits.MaxAttestations} attestations"]);
        }

        var problems = new List<string>();
        var result = new List<NpmAttestation>();
        var index = 0;
        foreach (var a in array.EnumerateArray())
        {
            var at = $"attestations[{index++}]";
            var predicateType = JsonRead.String(a, "predicateType");
            var bundle = JsonRead.Property(a, "bundle");
            if (string.IsNullOrEmpty(predicateType))
            {
                problems.Add($"{at}.predicateType is missing");
            }

            if (bundle is not { ValueKind: JsonValueKind.Object })
            {
                problems.Add($"{at}.bundle is missing or not an object");
            }

            if (predicateType is { Length: > 0 } && bundle is { ValueKind: JsonValueKind.Object } b)
            {
                result.Add(new NpmAttestation(predicateType, b.GetRawText()));
            }
        }

        if (problems.Count > 0)
        {
            throw new NpmDocumentException(what, problems);
        }

        return new NpmAttestationSet(result);
    }
}
