using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Vouch.Provenance;
using Vouch.Sigstore.Trust;
using Vouch.Common;

namespace Vouch.Audit;

/// <summary>
/// Verified evidence on disk, so that a version is never verified twice. The key holds everything the
/// evidence depends on: the package, version and pinned integrity, the registry asked, the trust
/// material (trusted root and registry keys) and the version of Vouch's verification logic. Only
/// answers are stored, including "no attestations" answers; network failures never are. Policy is
/// not stored: it depends on time and on the policy file, and is evaluated on every run.
/// </summary>
public sealed class EvidenceCache
{
    /// <summary>Bump whenever a check in Provenance or the audit changes what a report would say.</summary>
    public const string LogicVersion = "audit-evidence-1";

    private const long MaxEntryBytes = 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly string _directory;
    private readonly string _trustFingerprint;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _created = new(StringComparer.Ordinal);

    public EvidenceCache(string directory, string trustFingerprint)
    {
        _directory = directory;
        _trustFingerprint = trustFingerprint;
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

    public string PathFor(Uri registry, string name, string version, string? integrity)
    {
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', LogicVersion, _trustFingerprint, registry.AbsoluteUri, name, version, integrity ?? ""))));
        return Path.Combine(_directory, key[..2], key + ".json");
    }

    /// <summary>The stored evidence, or null on a miss. A corrupt or foreign entry is a miss (and is overwritten by the next store).</summary>
    public PackageReport? TryRead(Uri registry, string name, string version, string? integrity)
    {
        var path = PathFor(registry, name, version, integrity);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxEntryBytes)
            {
                return null;
            }

            var report = JsonSerializer.Deserialize<PackageReport>(File.ReadAllBytes(path), Json);

            // The key is a digest: check the entry really is about this package, not a collision or a swapped file.
            return report is not null && report.Name == name && report.Version == version && report.NetworkError is null ? report : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Stores evidence atomically. Failures of the registry or network are refused: they are not answers.</summary>
    public void Write(Uri registry, string name, string version, string? integrity, PackageReport report)
    {
        if (report.NetworkError is not null)
        {
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

            AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(report, Json), Durability.Atomic, ensureDirectory: false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cache that cannot be written only costs speed.
        }
    }
}
