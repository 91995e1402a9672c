using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Vouch.Common;
using Vouch.Provenance;
using Vouch.Sigstore.Trust;

namespace Vouch.Audit;

/// <summary>
/// Verified evidence on disk, so that a version is never verified twice, and the immutable facts the
/// policy reads about it, so that a warm audit reads no packument. The key holds everything the
/// evidence depends on: the package, version and pinned integrity, the registry asked, the trust
/// material (trusted root and registry keys) and the version of Vouch's verification logic. Each
/// entry is sealed (<see cref="CacheSeal"/>): an edited, moved or foreign entry is a miss. Only
/// answers are stored, including "no attestations" answers; network failures never are. Policy
/// verdicts are not stored: they depend on time and on the policy file, and are evaluated on every run.
/// </summary>
public sealed class EvidenceCache
{
    /// <summary>Bump whenever a check in Provenance or the audit changes what a report would say, or the entry's shape changes.</summary>
    public const string LogicVersion = "audit-evidence-3";

    private const long MaxEntryBytes = 4 * 1024 * 1024;

    private readonly string _directory;
    private readonly string _trustFingerprint;
    private readonly CacheSeal _seal;
    private readonly EvidencePack? _pack;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _created = new(StringComparer.Ordinal);

    public EvidenceCache(string directory, string trustFingerprint)
        : this(directory, trustFingerprint, CacheSeal.Open(directory))
    {
    }

    /// <summary>Shares one seal between the caches of several registries in one directory.</summary>
    /// <summary>
    /// With a <paramref name="pack"/>, entries are read from the lockfile's pack first (per-entry files
    /// are still read, as a fallback for caches written before packs) and written only to the pack.
    /// </summary>
    public EvidenceCache(string directory, string trustFingerprint, CacheSeal seal, EvidencePack? pack = null)
    {
        _directory = directory;
        _trustFingerprint = trustFingerprint;
        _seal = seal;
        _pack = pack;
    }

    /// <summary>A digest of the trust material the evidence was verified with.</summary>
    public static string Fingerprint(TrustedRoot root, RegistryKeys keys)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(root.Sha256);
        foreach (var k in keys.Keys.OrderBy(k => k.KeyId, StringComparer.Ordinal).ThenBy(k => k.Usage, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"\n{k.KeyId}|{k.Usage}|{k.ValidFrom:O}|{k.ValidUntil:O}|"));
            hash.AppendData(k.Key.SubjectPublicKeyInfo);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private string KeyOf(Uri registry, string name, string version, string? integrity) =>
        string.Join('\n', LogicVersion, _trustFingerprint, registry.AbsoluteUri, name, version, integrity ?? "");

    private string HashOf(Uri registry, string name, string version, string? integrity) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(KeyOf(registry, name, version, integrity))));

    public string PathFor(Uri registry, string name, string version, string? integrity)
    {
        var key = HashOf(registry, name, version, integrity);
        return Path.Combine(_directory, key[..2], key + ".json");
    }

    // What every entry must say about itself, wherever it was read from.
    private static bool Fits(CachedEvidence? entry, string name, string version, string? integrity) =>
        entry is { Report: { } report }
        && report.Name == name && report.Version == version && report.NetworkError is null
        && (entry.Facts is null || entry.Facts.Matches(version, integrity));

    /// <summary>
    /// The stored entry, or null on a miss. A corrupt, edited, foreign or mismatched entry is a miss
    /// (and is overwritten by the next store): the seal must hold for this exact key, and the entry
    /// must be about this name, version and integrity.
    /// </summary>
    public CachedEvidence? TryRead(Uri registry, string name, string version, string? integrity)
    {
        if (_pack is null)
        {
            return TryReadFile(registry, name, version, integrity);
        }

        var hash = HashOf(registry, name, version, integrity);
        if (_pack.Lookup(hash, out var fromThisPack) is { } packed && Fits(packed, name, version, integrity))
        {
            if (fromThisPack)
            {
                _pack.Keep(hash, packed);
            }
            else
            {
                _pack.Put(hash, packed);
            }

            return packed;
        }

        var fromFile = TryReadFile(registry, name, version, integrity);
        if (fromFile is not null)
        {
            _pack.Put(hash, fromFile);
        }

        return fromFile;
    }

    private CachedEvidence? TryReadFile(Uri registry, string name, string version, string? integrity)
    {
        var path = PathFor(registry, name, version, integrity);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxEntryBytes)
            {
                return null;
            }

            if (!_seal.TryOpen(KeyOf(registry, name, version, integrity), File.ReadAllBytes(path), out var payload))
            {
                return null;
            }

            var entry = PackReader.ReadEntry(payload);
            return Fits(entry, name, version, integrity) ? entry : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException or InvalidOperationException or ArgumentException or FormatException)
        {
            return null;
        }
    }

    /// <summary>Stores an entry atomically. Failures of the registry or network are refused: they are not answers.</summary>
    public void Write(Uri registry, string name, string version, string? integrity, CachedEvidence entry)
    {
        if (entry.Report.NetworkError is not null)
        {
            return;
        }

        if (_pack is not null)
        {
            _pack.Put(HashOf(registry, name, version, integrity), entry);
            return;
        }

        var path = PathFor(registry, name, version, integrity);
        try
        {
            var dir = Path.GetDirectoryName(path)!;
            if (_created.TryAdd(dir, true))
            {
                Directory.CreateDirectory(dir);
            }

            var content = _seal.Seal(KeyOf(registry, name, version, integrity), JsonSerializer.SerializeToUtf8Bytes(entry, AuditCacheJson.Default.CachedEvidence));
            AtomicFile.Write(path, content, Durability.Atomic, ensureDirectory: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cache that cannot be written only costs speed.
        }
    }
}

/// <summary>One cache entry: the verified evidence of a version, and what the policy needs to know about its history.</summary>
public sealed record CachedEvidence
{
    public required PackageReport Report { get; init; }

    /// <summary>
    /// True when the evidence was verified from a full packument (publish time, <c>_npmUser</c>,
    /// <c>repository</c>): the policy needs it, an audit without policy accepts either form.
    /// </summary>
    public bool FromFullDocument { get; init; }

    /// <summary>The version's immutable history for the policy; null when it was not recorded (no policy, or no publish time).</summary>
    public ImmutableFacts? Facts { get; init; }
}

/// <summary>The cache's JSON shapes, serialised by generated code (names in camelCase, enums by name, nulls left out).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CachedEvidence))]
[JsonSerializable(typeof(EvidencePack.PackFile))]
internal sealed partial class AuditCacheJson : JsonSerializerContext;
