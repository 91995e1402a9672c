using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Vouch.Common;
using Vouch.Npm;

namespace Vouch.Audit;

/// <summary>Caps on what the audit layer reads back from its own cache directory (untrusted: another user, a bad copy).</summary>
public static class AuditLimits
{
    /// <summary>Largest evidence pack read (a 10,000-package lockfile's pack is about 25 MB).</summary>
    public const long MaxPackBytes = 128L * 1024 * 1024;

    /// <summary>Entries in one pack (at most one per distinct package of a lockfile, whose own cap is far larger than real trees).</summary>
    public const int MaxPackEntries = 200_000;

    /// <summary>Registries with a recorded key list in one pack.</summary>
    public const int MaxPackRegistries = 1_000;

    /// <summary>Keys in one registry's recorded key list (as <c>/-/npm/v1/keys</c> is read).</summary>
    public const int MaxServedKeys = 64;
}

/// <summary>
/// The evidence-cache entries of one lockfile in one sealed file, so that a warm audit reads one file,
/// checks one HMAC and parses one JSON document instead of one of each per package, and a cold audit
/// writes one file instead of one per package. The pack is named and sealed by the lockfile's full
/// path: a pack copied over another lockfile's, or from another cache directory (another key), does
/// not open. Entries inside are keyed exactly as the per-entry files (<see cref="EvidenceCache"/>):
/// registry, name, version, integrity, trust material, logic version; so an edited lockfile reuses
/// every entry whose key still matches, and entries the lockfile no longer pins are dropped when the
/// pack is rewritten. Anything wrong with the pack (seal, size, shape, a duplicate or malformed key)
/// makes the whole pack a miss: its versions are verified again, never trusted.
/// </summary>
public sealed class EvidencePack
{
    private const string FormatName = "vouch-audit-pack-1";

    private readonly string _path;
    private readonly string _sealKey;
    private readonly CacheSeal _seal;
    private readonly Dictionary<string, CachedEvidence> _loaded;
    private readonly ConcurrentDictionary<string, CachedEvidence> _next = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ServedKeys> _loadedKeys;
    private readonly ConcurrentDictionary<string, CachedEvidence>? _session;
    private readonly ConcurrentDictionary<string, ServedKeys> _nextKeys = new(StringComparer.Ordinal);
    private int _changed;

    private EvidencePack(string path, string sealKey, CacheSeal seal, Loaded loaded, ConcurrentDictionary<string, CachedEvidence>? session)
    {
        _session = session;
        _path = path;
        _sealKey = sealKey;
        _seal = seal;
        _loaded = loaded.Entries;
        _loadedKeys = loaded.Keys;
    }

    internal sealed record Loaded(Dictionary<string, CachedEvidence> Entries, Dictionary<string, ServedKeys> Keys)
    {
        public static Loaded Empty => new([], []);
    }

    /// <summary>The file the pack of <paramref name="lockfilePath"/> is kept in.</summary>
    public string FilePath => _path;


    /// <summary>
    /// Opens (reads and checks) the pack of <paramref name="lockfilePath"/> under <paramref name="directory"/>;
    /// a missing or unusable pack is an empty one. <paramref name="session"/>: entries this process
    /// has already read or verified for other lockfiles (<c>--recursive</c>), shared so a version
    /// is verified once per run whichever lockfile pins it.
    /// </summary>
    public static EvidencePack Open(string directory, CacheSeal seal, string lockfilePath, ConcurrentDictionary<string, CachedEvidence>? session = null)
    {
        var (path, sealKey) = Locate(directory, lockfilePath);
        return new EvidencePack(path, sealKey, seal, Load(path, sealKey, seal), session);
    }

    /// <summary>
    /// Starts reading and checking the pack of <paramref name="lockfilePath"/> on the thread pool, so a
    /// warm audit's largest read overlaps with loading trust material, the policy and the registry
    /// configuration (<see cref="AuditOptions.PackPreload"/>). The same seal and the same checks as
    /// <see cref="Open"/>; only earlier.
    /// </summary>
    public static PackPreload Preload(string directory, string lockfilePath)
    {
        // Everything on its own thread from the first step: naming the pack is the process's first
        // hash (the cryptography library loads then, ~12 ms), and the thread pool is not started yet.
        return new PackPreload(Path.GetFullPath(directory), Path.GetFullPath(lockfilePath), Task.Factory.StartNew(
            () =>
            {
                var (path, sealKey) = Locate(directory, lockfilePath);
                var seal = CacheSeal.Open(directory);
                return (seal, Load(path, sealKey, seal));
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default));
    }

    /// <summary>The pack of a preload, once its read is done (the caller's <paramref name="seal"/> is the preload's).</summary>
    internal static EvidencePack Open(PackPreload preload, CacheSeal seal, Loaded loaded, ConcurrentDictionary<string, CachedEvidence>? session)
    {
        var (path, sealKey) = Locate(preload.Directory, preload.LockfilePath);
        return new EvidencePack(path, sealKey, seal, loaded, session);
    }

    private static (string Path, string SealKey) Locate(string directory, string lockfilePath)
    {
        var sealKey = SealKeyFor(lockfilePath);
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sealKey)));
        return (Path.Combine(directory, "packs", id + ".pack"), sealKey);
    }

    // The seal covers the lockfile's full path: a pack renamed to another lockfile's file does not open.
    internal static string SealKeyFor(string lockfilePath) => string.Join('\n', FormatName, EvidenceCache.LogicVersion, Path.GetFullPath(lockfilePath));

    private static Loaded Load(string path, string sealKey, CacheSeal seal)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > AuditLimits.MaxPackBytes)
            {
                return Loaded.Empty;
            }

            // The seal before the parse: nothing of an unsealed file reaches the JSON reader.
            if (!seal.TryOpen(sealKey, File.ReadAllBytes(path), out var payload))
            {
                return Loaded.Empty;
            }

            return Validate(PackReader.ReadPack(payload)) ?? Loaded.Empty;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or NotSupportedException or InvalidOperationException or ArgumentException or FormatException or OutOfMemoryException)
        {
            return Loaded.Empty;
        }
    }

    /// <summary>The entries by key, or null when anything in the file's structure is wrong (then none is used).</summary>
    internal static Loaded? Validate(PackFile? file)
    {
        if (file is not { Format: FormatName, Entries: { } entries } || entries.Count > AuditLimits.MaxPackEntries
            || file.RegistryKeys is { Count: > AuditLimits.MaxPackRegistries })
        {
            return null;
        }

        var served = new Dictionary<string, ServedKeys>(StringComparer.Ordinal);
        foreach (var record in file.RegistryKeys ?? [])
        {
            // Only a registry URL as the pipeline names registries (absolute http or https) is a key here,
            // and only a non-empty list of whole keys (an empty one is never recorded: see ServedKeysFor).
            if (record is not { Registry: { } registry, CheckedAt: { } at, Keys: { Count: > 0 and <= AuditLimits.MaxServedKeys } keys }
                || !Uri.TryCreate(registry, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.AbsoluteUri != registry
                || ToKeys(keys) is not { } typed
                || !served.TryAdd(registry, new ServedKeys(at, typed)))
            {
                return null;
            }
        }

        var result = new Dictionary<string, CachedEvidence>(entries.Count, StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry is not { Key: { } key, Value: { Report: { } report } value }
                || !IsKey(key) || report.NetworkError is not null || !result.TryAdd(key, value))
            {
                return null;
            }
        }

        return new Loaded(result, served);
    }

    private static List<RegistryKey>? ToKeys(List<ServedKey?> keys)
    {
        var result = new List<RegistryKey>(keys.Count);
        foreach (var k in keys)
        {
            if (k is not { KeyId: { Length: > 0 } id, KeyType: { Length: > 0 } type, Scheme: { Length: > 0 } scheme, Key: { Length: > 0 } text })
            {
                return null;
            }

            var spki = new byte[text.Length];
            if (!Convert.TryFromBase64String(text, spki, out var n) || n == 0)
            {
                return null;
            }

            result.Add(new RegistryKey { KeyId = id, KeyType = type, Scheme = scheme, PublicKeySpki = spki[..n], Expires = k.Expires });
        }

        return result;
    }

    private static bool IsKey(string key) => key.Length == 64 && key.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');

    /// <summary>The entry stored under <paramref name="key"/> (the hex SHA-256 of the entry's key), or null.</summary>
    internal CachedEvidence? Lookup(string key, out bool fromThisPack)
    {
        fromThisPack = _loaded.TryGetValue(key, out var entry);
        return fromThisPack ? entry : _session?.GetValueOrDefault(key);
    }

    /// <summary>Keeps a loaded entry that this run used.</summary>
    internal void Keep(string key, CachedEvidence entry)
    {
        _next.TryAdd(key, entry);
        _session?.TryAdd(key, entry);
    }

    /// <summary>Adds or replaces an entry (a fresh verification, revalidated facts, an entry found in a per-entry file).</summary>
    internal void Put(string key, CachedEvidence entry)
    {
        _next[key] = entry;
        if (_session is not null)
        {
            _session[key] = entry;
        }

        Interlocked.Exchange(ref _changed, 1);
    }

    /// <summary>
    /// The signing keys <paramref name="registry"/> last served (at <c>/-/npm/v1/keys</c>) and when, or
    /// null. Only a non-empty list is kept: it means "the registry signs" (the stricter answer: an
    /// unsigned version fails) and names the keys it signs with; "no keys" would weaken the check,
    /// so it is asked for on every run.
    /// </summary>
    internal ServedKeys? ServedKeysFor(Uri registry) => _loadedKeys.GetValueOrDefault(registry.AbsoluteUri);

    /// <summary>Keeps a loaded key list that this run relied on.</summary>
    internal void KeepServedKeys(Uri registry, ServedKeys keys) => _nextKeys.TryAdd(registry.AbsoluteUri, keys);

    /// <summary>Records the non-empty key list <paramref name="registry"/> served at <paramref name="at"/>.</summary>
    internal void PutServedKeys(Uri registry, DateTimeOffset at, IReadOnlyList<RegistryKey> keys)
    {
        if (keys.Count is 0 or > AuditLimits.MaxServedKeys)
        {
            return;
        }

        _nextKeys[registry.AbsoluteUri] = new ServedKeys(at, keys);
        Interlocked.Exchange(ref _changed, 1);
    }

    /// <summary>
    /// Writes the entries this run used or added, atomically, when they differ from what was read
    /// (a warm run that changed nothing writes nothing). A second process saving the same pack at
    /// once: each renames a whole file and the last one wins; the other's new entries are verified
    /// again next time, never half-read.
    /// </summary>
    public void Save()
    {
        if (Volatile.Read(ref _changed) == 0 && _next.Count == _loaded.Count && _nextKeys.Count == _loadedKeys.Count)
        {
            return;
        }

        var file = new PackFile
        {
            Format = FormatName,
            Entries = [.. _next.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new PackEntry { Key = e.Key, Value = e.Value })],
            RegistryKeys = [.. _nextKeys.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => new KeysRecord
            {
                Registry = e.Key,
                CheckedAt = e.Value.CheckedAt,
                Keys = [.. e.Value.Keys.Select(k => new ServedKey { KeyId = k.KeyId, KeyType = k.KeyType, Scheme = k.Scheme, Key = Convert.ToBase64String(k.PublicKeySpki), Expires = k.Expires })],
            })],
        };
        try
        {
            var payload = Serialize(file);
            if (payload.LongLength + 65 > AuditLimits.MaxPackBytes)
            {
                // It would be refused on reading: not worth the disk.
                return;
            }

            AtomicFile.Write(_path, _seal.Seal(_sealKey, payload), Durability.Atomic);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cache that cannot be written only costs speed.
        }
    }

    /// <summary>
    /// The document as <see cref="AuditCacheJson"/> writes it, with the entries (nearly all of it)
    /// serialised on every core and joined in order: a cold audit waits for this before it reports.
    /// </summary>
    internal static byte[] Serialize(PackFile file)
    {
        var entries = file.Entries ?? [];
        var parts = new byte[entries.Count][];
        Parallel.For(0, entries.Count, i => parts[i] = JsonSerializer.SerializeToUtf8Bytes(entries[i], AuditCacheJson.Default.PackEntry));
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(parts.Sum(p => p.Length + 1) + 4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (file.Format is not null)
            {
                writer.WriteString("format", file.Format);
            }

            if (file.Entries is not null)
            {
                writer.WriteStartArray("entries");
                foreach (var part in parts)
                {
                    writer.WriteRawValue(part, skipInputValidation: true);
                }

                writer.WriteEndArray();
            }

            if (file.RegistryKeys is not null)
            {
                writer.WritePropertyName("registryKeys");
                JsonSerializer.Serialize(writer, file.RegistryKeys, AuditCacheJson.Default.ListKeysRecord);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The pack's JSON document.</summary>
    internal sealed record PackFile
    {
        public string? Format { get; init; }

        public List<PackEntry?>? Entries { get; init; }

        /// <summary>The signing keys registries served, and when.</summary>
        public List<KeysRecord?>? RegistryKeys { get; init; }
    }

    internal sealed record KeysRecord
    {
        public string? Registry { get; init; }

        public DateTimeOffset? CheckedAt { get; init; }

        public List<ServedKey?>? Keys { get; init; }
    }

    /// <summary>One key as <c>/-/npm/v1/keys</c> serves it (the key in base64 DER SubjectPublicKeyInfo).</summary>
    internal sealed record ServedKey
    {
        public string? KeyId { get; init; }

        public string? KeyType { get; init; }

        public string? Scheme { get; init; }

        public string? Key { get; init; }

        public DateTimeOffset? Expires { get; init; }
    }

    internal sealed record PackEntry
    {
        public string? Key { get; init; }

        public CachedEvidence? Value { get; init; }
    }
}

/// <summary>A registry's served signing keys as recorded in a pack, and when they were read.</summary>
internal sealed record ServedKeys(DateTimeOffset CheckedAt, IReadOnlyList<RegistryKey> Keys);

/// <summary>A lockfile's pack being read ahead of the audit (<see cref="EvidencePack.Preload"/>).</summary>
public sealed class PackPreload
{
    internal PackPreload(string directory, string lockfilePath, Task<(CacheSeal Seal, EvidencePack.Loaded Loaded)> reading)
    {
        Directory = directory;
        LockfilePath = lockfilePath;
        Reading = reading;
    }

    /// <summary>The evidence-cache directory, full path.</summary>
    public string Directory { get; }

    /// <summary>The lockfile whose pack is read, full path.</summary>
    public string LockfilePath { get; }

    internal Task<(CacheSeal Seal, EvidencePack.Loaded Loaded)> Reading { get; }

    /// <summary>
    /// Completes once the read-ahead has ended, however it ended (its failures only make the pack a
    /// miss). A command that fails before its audit uses the pack (a bad option, a malformed
    /// lockfile) waits for this, so nothing of it still runs in the cache directory once it returns.
    /// </summary>
    public Task SettleAsync() => Reading.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
