using System.Security.Cryptography;
using System.Text.Json;
using Vouch.Sigstore;
using Vouch.Sigstore.Crypto;
using Vouch.Common.Json;

namespace Vouch.Provenance;

/// <summary>An npm registry public key with what it may be used for and when.</summary>
public sealed record RegistryKey(string KeyId, string Usage, PublicKey Key, DateTimeOffset? ValidFrom, DateTimeOffset? ValidUntil)
{
    public bool IsValidAt(DateTimeOffset time) => (ValidFrom is null || ValidFrom <= time) && (ValidUntil is null || time <= ValidUntil);
}

public enum KeyLookupStatus
{
    Found,
    Unknown,
    NotValidAtTime,
}

public sealed record KeyLookup(KeyLookupStatus Status, RegistryKey? Key);

/// <summary>
/// The npm registry's signing keys, from Sigstore's TUF target `registry.npmjs.org/keys.json`
/// (with usages and validity windows) or from a registry's `GET /-/npm/v1/keys` (an `expires` only).
/// </summary>
public sealed class RegistryKeys
{
    public const string SignaturesUsage = "npm:signatures";
    public const string AttestationsUsage = "npm:attestations";

    private static readonly Lazy<RegistryKeys> EmbeddedKeys = new(() => Parse(ReadEmbedded(), "embedded npm registry keys"));

    private RegistryKeys(IReadOnlyList<RegistryKey> keys, string source)
    {
        Keys = keys;
        Source = source;
    }

    public IReadOnlyList<RegistryKey> Keys { get; }

    /// <summary>Where the keys came from, for reports ("embedded snapshot", "registry", "TUF cache").</summary>
    public string Source { get; }

    /// <summary>The snapshot of the public npm registry's keys embedded in Vouch.</summary>
    public static RegistryKeys Embedded => EmbeddedKeys.Value;

    public static RegistryKeys Empty(string source) => new([], source);

    /// <summary>A key set made of <paramref name="trusted"/> and further keys (from another source).</summary>
    public static RegistryKeys Combine(RegistryKeys trusted, IEnumerable<RegistryKey> more, string source) => new([.. trusted.Keys, .. more], source);

    /// <summary>
    /// This set plus the keys a registry serves at <c>/-/npm/v1/keys</c> that are not among them, for
    /// signatures and attestations, valid until the served expiry; null when a served key does not
    /// parse. The one place served keys join a trusted set: <see cref="PackageVerifier.KeysAsync"/> and
    /// the audit pipeline both call it, and neither calls it when the keys were pinned by a file.
    /// </summary>
    public RegistryKeys? WithServedKeys(IReadOnlyList<Vouch.Npm.RegistryKey> served)
    {
        try
        {
            var extra = served
                .Where(k => Keys.All(t => t.KeyId != k.KeyId))
                .SelectMany(k => new[] { SignaturesUsage, AttestationsUsage }
                    .Select(u => new RegistryKey(k.KeyId, u, PublicKey.FromSubjectPublicKeyInfo(k.PublicKeySpki), null, k.Expires)))
                .ToList();
            return extra.Count == 0 ? this : Combine(this, extra, $"{Source} and the registry's keys");
        }
        catch (Exception e) when (e is SigstoreFormatException or CryptographicException or ArgumentException)
        {
            return null;
        }
    }

    public KeyLookup Find(string keyId, string usage, DateTimeOffset? at)
    {
        var candidates = Keys.Where(k => k.KeyId == keyId && k.Usage == usage).ToList();
        if (candidates.Count == 0)
        {
            return new(KeyLookupStatus.Unknown, null);
        }

        if (at is null)
        {
            // Without a publish time only keys without a window can be used: fail closed otherwise.
            var unbounded = candidates.FirstOrDefault(k => k.ValidFrom is null && k.ValidUntil is null);
            return unbounded is null ? new(KeyLookupStatus.NotValidAtTime, candidates[0]) : new(KeyLookupStatus.Found, unbounded);
        }

        var valid = candidates.FirstOrDefault(k => k.IsValidAt(at.Value));
        return valid is null ? new(KeyLookupStatus.NotValidAtTime, candidates[0]) : new(KeyLookupStatus.Found, valid);
    }

    /// <summary>Parses either key document shape. Throws <see cref="SigstoreFormatException"/> listing every bad key.</summary>
    public static RegistryKeys Parse(ReadOnlySpan<byte> json, string source)
    {
        const string doc = "npm registry keys";
        if (json.Length > Limits.MaxTrustMaterialBytes)
        {
            throw new SigstoreFormatException(doc, ["document too large"], ProvenanceCodes.SignatureKeyUnknown);
        }

        var problems = new List<string>();
        var keys = new List<RegistryKey>();
        try
        {
            using var parsed = JsonInput.Parse(json.ToArray(), Limits.MaxJsonDepth);
            if (!parsed.RootElement.TryGetProperty("keys", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                throw new SigstoreFormatException(doc, ["$.keys: required array is missing"], ProvenanceCodes.SignatureKeyUnknown);
            }

            var i = 0;
            foreach (var k in list.EnumerateArray())
            {
                var path = $"$.keys[{i++}]";
                try
                {
                    keys.Add(k.TryGetProperty("publicKey", out _) ? ParseTufKey(k) : ParseV1Key(k));
                }
                catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or CryptographicException)
                {
                    problems.Add($"{path}: {e.Message}");
                }
            }
        }
        catch (JsonException e)
        {
            problems.Add($"$: not valid JSON ({e.Message})");
        }

        if (problems.Count > 0)
        {
            throw new SigstoreFormatException(doc, problems, ProvenanceCodes.SignatureKeyUnknown);
        }

        return new RegistryKeys(keys, source);
    }

    private static RegistryKey ParseTufKey(JsonElement k)
    {
        var pk = k.GetProperty("publicKey");
        var raw = Convert.FromBase64String(pk.GetProperty("rawBytes").GetString()!);
        var key = PublicKey.FromTrustMaterial(raw, pk.TryGetProperty("keyDetails", out var d) ? d.GetString() : null);
        DateTimeOffset? start = null, end = null;
        if (pk.TryGetProperty("validFor", out var vf))
        {
            start = vf.TryGetProperty("start", out var s) && s.ValueKind == JsonValueKind.String ? DateTimeOffset.Parse(s.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : null;
            end = vf.TryGetProperty("end", out var e) && e.ValueKind == JsonValueKind.String ? DateTimeOffset.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : null;
        }

        return new RegistryKey(k.GetProperty("keyId").GetString()!, k.GetProperty("keyUsage").GetString()!, key, start, end);
    }

    private static RegistryKey ParseV1Key(JsonElement k)
    {
        var raw = Convert.FromBase64String(k.GetProperty("key").GetString()!);
        var key = PublicKey.FromSubjectPublicKeyInfo(raw);
        DateTimeOffset? end = k.TryGetProperty("expires", out var e) && e.ValueKind == JsonValueKind.String
            ? DateTimeOffset.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            : null;
        // The registry endpoint does not say what a key is for; npm uses these keys for both.
        return new RegistryKey(k.GetProperty("keyid").GetString()!, SignaturesUsage, key, null, end);
    }

    /// <summary>Keys served by a registry apply to signatures and, as npm's CLI assumes, to publish attestations.</summary>
    public RegistryKeys WithV1KeysForAttestations() =>
        new([.. Keys, .. Keys.Where(k => k.Usage == SignaturesUsage && !Keys.Any(o => o.KeyId == k.KeyId && o.Usage == AttestationsUsage)).Select(k => k with { Usage = AttestationsUsage })], Source);

    // One embedded copy: the snapshot of the TUF target registry.npmjs.org/keys.json that Vouch.Tuf ships.
    private static byte[] ReadEmbedded() => Vouch.Tuf.EmbeddedTrust.NpmRegistryKeys();
}
