using System.Text.Json;
using Vouch.Tuf.Json;

namespace Vouch.Tuf.Metadata;

/// <summary>One entry of a metadata file's <c>signatures</c>. <see cref="Value"/> is null when the hex does not decode.</summary>
internal sealed record TufSignature(string KeyId, byte[]? Value);

/// <summary>A hash as listed in metadata: the algorithm name, the hex as written (consistent-snapshot
/// file names use it verbatim) and the decoded digest.</summary>
internal sealed record HashEntry(string Algorithm, string Hex, byte[] Digest);

/// <summary>A role's keys and threshold, from root's <c>roles</c> or a delegation.</summary>
internal sealed class RoleKeys
{
    private RoleKeys(IReadOnlyList<string> keyIds, int threshold)
    {
        KeyIds = keyIds;
        Threshold = threshold;
    }

    public IReadOnlyList<string> KeyIds { get; }

    public int Threshold { get; }

    public static RoleKeys Read(JsonElement role, string what)
    {
        JsonRead.RequireObject(role, what);
        var keyIds = new List<string>();
        foreach (var item in JsonRead.Array(role, "keyids", what).EnumerateArray())
        {
            keyIds.Add(JsonRead.AsString(item, $"{what}.keyids[]"));
        }

        var threshold = JsonRead.Integer(role, "threshold", what);

        // A zero threshold would accept unsigned metadata; the spec requires at least one signature.
        if (threshold < 1 || threshold > int.MaxValue)
        {
            throw JsonRead.Malformed($"{what}.threshold", "must be a positive integer");
        }

        return new RoleKeys(keyIds, (int)threshold);
    }
}

/// <summary>What a referrer says about a metadata file (timestamp → snapshot, snapshot → targets).</summary>
internal sealed class MetaFile
{
    private MetaFile(long version, long? length, IReadOnlyList<HashEntry>? hashes)
    {
        Version = version;
        Length = length;
        Hashes = hashes;
    }

    public long Version { get; }

    public long? Length { get; }

    public IReadOnlyList<HashEntry>? Hashes { get; }

    public static MetaFile Read(JsonElement meta, string what)
    {
        JsonRead.RequireObject(meta, what);
        var version = JsonRead.Integer(meta, "version", what);
        if (version < 1)
        {
            throw JsonRead.Malformed($"{what}.version", "must be at least 1");
        }

        var length = JsonRead.OptionalInteger(meta, "length", what);
        if (length is <= 0)
        {
            throw JsonRead.Malformed($"{what}.length", "must be positive");
        }

        var hashesElement = JsonRead.OptionalObject(meta, "hashes", what);
        var hashes = hashesElement is { } h ? Hashing.Read(h, $"{what}.hashes") : null;
        return new MetaFile(version, length, hashes);
    }
}

/// <summary>The fields every metadata file shares, plus what signature checks need.</summary>
internal abstract class TufMetadata
{
    protected TufMetadata(Envelope envelope, long version, DateTimeOffset expires)
    {
        Raw = envelope.Raw;
        SignedBytes = envelope.SignedBytes;
        Signatures = envelope.Signatures;
        Version = version;
        Expires = expires;
    }

    /// <summary>The bytes as received, which is what gets persisted (never a re-serialisation).</summary>
    public byte[] Raw { get; }

    /// <summary>Canonical JSON of <c>signed</c>: the bytes signatures are over.</summary>
    public byte[] SignedBytes { get; }

    public IReadOnlyList<TufSignature> Signatures { get; }

    public long Version { get; }

    public DateTimeOffset Expires { get; }

    /// <summary>Expired when the reference time has reached <see cref="Expires"/> (the spec wants expiry strictly later).</summary>
    public bool IsExpired(DateTimeOffset referenceTime) => referenceTime >= Expires;

    /// <summary>The parsed document and the fields common to every role, read once per file.</summary>
    internal sealed class Envelope
    {
        /// <summary>Caps the signature checks one document can make us run.</summary>
        private const int MaxSignatures = 256;

        private Envelope(byte[] raw, byte[] signedBytes, IReadOnlyList<TufSignature> signatures)
        {
            Raw = raw;
            SignedBytes = signedBytes;
            Signatures = signatures;
        }

        public byte[] Raw { get; }

        public byte[] SignedBytes { get; }

        public IReadOnlyList<TufSignature> Signatures { get; }

        /// <summary>
        /// Parses <paramref name="raw"/>, checks <c>_type</c> and <c>spec_version</c>, and hands the
        /// <c>signed</c> object to <paramref name="readSigned"/> while the document is alive.
        /// </summary>
        public static T Parse<T>(byte[] raw, string expectedType, Func<Envelope, JsonElement, long, DateTimeOffset, T> readSigned)
        {
            using var document = JsonRead.Parse(raw, $"{expectedType} metadata");
            var root = JsonRead.RequireObject(document.RootElement, expectedType);
            var signed = JsonRead.Object(root, "signed", expectedType);
            var what = $"{expectedType}.signed";

            var type = JsonRead.String(signed, "_type", what);
            if (type != expectedType)
            {
                throw new TufException(TufErrorCodes.Malformed, $"expected {expectedType} metadata, got _type '{type}'");
            }

            CheckSpecVersion(JsonRead.String(signed, "spec_version", what));
            var version = JsonRead.Integer(signed, "version", what);
            if (version < 1)
            {
                throw JsonRead.Malformed($"{what}.version", "must be at least 1");
            }

            var expires = JsonRead.UtcTimestamp(signed, "expires", what);

            var signatures = new List<TufSignature>();
            var signatureKeyIds = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in JsonRead.Array(root, "signatures", expectedType).EnumerateArray())
            {
                if (signatures.Count == MaxSignatures)
                {
                    throw new TufException(TufErrorCodes.Malformed, $"{expectedType} metadata has more than {MaxSignatures} signatures");
                }

                var sig = JsonRead.RequireObject(item, $"{expectedType}.signatures[]");
                var keyId = JsonRead.String(sig, "keyid", $"{expectedType}.signatures[]");
                var hex = JsonRead.String(sig, "sig", $"{expectedType}.signatures[]");

                // The spec makes key ids unique in "signatures". Counting by key material already stops a
                // repeated signature from reaching a threshold alone, but a document breaking a MUST is
                // refused outright (as python-tuf does) rather than read one way here and another elsewhere.
                if (!signatureKeyIds.Add(keyId))
                {
                    throw new TufException(TufErrorCodes.Malformed, $"{expectedType} metadata has more than one signature with key id '{keyId}'");
                }

                // An undecodable signature is just an invalid signature; the threshold decides, as for a wrong one.
                byte[]? value;
                try
                {
                    value = hex.Length % 2 == 0 ? Convert.FromHexString(hex) : null;
                }
                catch (FormatException)
                {
                    value = null;
                }

                signatures.Add(new TufSignature(keyId, value));
            }

            var envelope = new Envelope(raw, OlpcCanonicalJson.Encode(signed), signatures);
            return readSigned(envelope, signed, version, expires);
        }

        /// <summary>This client implements spec 1.x; a major version we do not know may change meaning under us.</summary>
        private static void CheckSpecVersion(string specVersion)
        {
            var parts = specVersion.Split('.');
            if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0 || !p.All(char.IsAsciiDigit)) || parts[0] != "1")
            {
                throw new TufException(TufErrorCodes.Malformed, $"unsupported spec_version '{specVersion}' (this client implements 1.x)");
            }
        }
    }
}

internal sealed class RootMetadata : TufMetadata
{
    public static readonly string[] TopLevelRoles = ["root", "timestamp", "snapshot", "targets"];

    private RootMetadata(Envelope envelope, long version, DateTimeOffset expires, bool consistentSnapshot, Dictionary<string, TufKey> keys, Dictionary<string, RoleKeys> roles)
        : base(envelope, version, expires)
    {
        ConsistentSnapshot = consistentSnapshot;
        Keys = keys;
        Roles = roles;
    }

    public bool ConsistentSnapshot { get; }

    public IReadOnlyDictionary<string, TufKey> Keys { get; }

    public IReadOnlyDictionary<string, RoleKeys> Roles { get; }

    public static RootMetadata Parse(byte[] raw) => Envelope.Parse(raw, "root", static (envelope, signed, version, expires) =>
    {
        const string what = "root.signed";
        var consistent = JsonRead.Boolean(signed, "consistent_snapshot", what);
        var keys = TufKey.ReadKeys(JsonRead.Object(signed, "keys", what), $"{what}.keys");
        var rolesElement = JsonRead.Object(signed, "roles", what);
        var roles = new Dictionary<string, RoleKeys>(StringComparer.Ordinal);
        foreach (var name in TopLevelRoles)
        {
            // Every top-level role must be defined: a root without, say, a timestamp role could never
            // verify a timestamp, and treating it as "no keys" would be a silent dead end.
            if (!rolesElement.TryGetProperty(name, out var role))
            {
                throw JsonRead.Malformed($"{what}.roles", $"lacks the '{name}' role");
            }

            roles[name] = RoleKeys.Read(role, $"{what}.roles.{name}");
        }

        return new RootMetadata(envelope, version, expires, consistent, keys, roles);
    });
}

internal sealed class TimestampMetadata : TufMetadata
{
    private TimestampMetadata(Envelope envelope, long version, DateTimeOffset expires, MetaFile snapshotMeta)
        : base(envelope, version, expires)
    {
        SnapshotMeta = snapshotMeta;
    }

    public MetaFile SnapshotMeta { get; }

    public static TimestampMetadata Parse(byte[] raw) => Envelope.Parse(raw, "timestamp", static (envelope, signed, version, expires) =>
    {
        const string what = "timestamp.signed";
        var meta = JsonRead.Object(signed, "meta", what);
        if (!meta.TryGetProperty("snapshot.json", out var snapshot))
        {
            throw JsonRead.Malformed($"{what}.meta", "lacks 'snapshot.json'");
        }

        return new TimestampMetadata(envelope, version, expires, MetaFile.Read(snapshot, $"{what}.meta[snapshot.json]"));
    });
}

internal sealed class SnapshotMetadata : TufMetadata
{
    private SnapshotMetadata(Envelope envelope, long version, DateTimeOffset expires, Dictionary<string, MetaFile> meta)
        : base(envelope, version, expires)
    {
        Meta = meta;
    }

    /// <summary>Keyed by file name as the snapshot lists it: "targets.json", "&lt;role&gt;.json".</summary>
    public IReadOnlyDictionary<string, MetaFile> Meta { get; }

    public static SnapshotMetadata Parse(byte[] raw) => Envelope.Parse(raw, "snapshot", static (envelope, signed, version, expires) =>
    {
        const string what = "snapshot.signed";
        var metaElement = JsonRead.Object(signed, "meta", what);
        var meta = new Dictionary<string, MetaFile>(StringComparer.Ordinal);
        foreach (var property in metaElement.EnumerateObject())
        {
            meta[property.Name] = MetaFile.Read(property.Value, $"{what}.meta[{property.Name}]");
        }

        if (!meta.ContainsKey("targets.json"))
        {
            throw JsonRead.Malformed($"{what}.meta", "lacks 'targets.json'");
        }

        return new SnapshotMetadata(envelope, version, expires, meta);
    });
}

/// <summary>A target as targets metadata describes it.</summary>
internal sealed class TargetFile
{
    private TargetFile(string path, long length, IReadOnlyList<HashEntry> hashes, string? customJson)
    {
        Path = path;
        Length = length;
        Hashes = hashes;
        CustomJson = customJson;
    }

    public string Path { get; }

    public long Length { get; }

    public IReadOnlyList<HashEntry> Hashes { get; }

    public string? CustomJson { get; }

    public static TargetFile Read(string path, JsonElement target, string what)
    {
        JsonRead.RequireObject(target, what);
        var length = JsonRead.Integer(target, "length", what);
        if (length < 0)
        {
            throw JsonRead.Malformed($"{what}.length", "must not be negative");
        }

        // Without hashes a target could be anything of the right length; the spec makes them mandatory.
        var hashes = Hashing.Read(JsonRead.Object(target, "hashes", what), $"{what}.hashes");
        var custom = target.TryGetProperty("custom", out var c) && c.ValueKind != JsonValueKind.Null ? c.GetRawText() : null;
        return new TargetFile(path, length, hashes, custom);
    }
}

/// <summary>A role that targets metadata delegates to.</summary>
internal sealed class DelegatedRole
{
    private DelegatedRole(string name, RoleKeys keys, bool terminating, IReadOnlyList<string>? paths, IReadOnlyList<string>? pathHashPrefixes)
    {
        Name = name;
        Keys = keys;
        Terminating = terminating;
        Paths = paths;
        PathHashPrefixes = pathHashPrefixes;
    }

    public string Name { get; }

    public RoleKeys Keys { get; }

    public bool Terminating { get; }

    public IReadOnlyList<string>? Paths { get; }

    public IReadOnlyList<string>? PathHashPrefixes { get; }

    /// <summary>Whether this role is trusted for <paramref name="targetPath"/>.</summary>
    public bool IsDelegatedPath(string targetPath)
    {
        if (Paths is not null)
        {
            return Paths.Any(pattern => PathPattern.Matches(targetPath, pattern));
        }

        if (PathHashPrefixes is not null)
        {
            var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(targetPath)));
            return PathHashPrefixes.Any(prefix => hash.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
        }

        // Neither field: the role is trusted for nothing, which is the fail-closed reading.
        return false;
    }

    public static DelegatedRole Read(JsonElement role, string what)
    {
        JsonRead.RequireObject(role, what);
        var name = JsonRead.String(role, "name", what);

        // Delegated metadata is stored and fetched as "<name>.json"; a delegation named like a top-level
        // role would overwrite that role's file, and an empty name has no file at all.
        if (name.Length == 0 || RootMetadata.TopLevelRoles.Contains(name, StringComparer.Ordinal))
        {
            throw JsonRead.Malformed($"{what}.name", $"'{name}' is not a usable delegated role name");
        }

        var keys = RoleKeys.Read(role, $"{what}({name})");
        var terminating = JsonRead.Boolean(role, "terminating", what);
        var paths = ReadStrings(JsonRead.OptionalArray(role, "paths", what), $"{what}.paths");
        var prefixes = ReadStrings(JsonRead.OptionalArray(role, "path_hash_prefixes", what), $"{what}.path_hash_prefixes");
        if (paths is not null && prefixes is not null)
        {
            throw JsonRead.Malformed(what, "sets both 'paths' and 'path_hash_prefixes'");
        }

        return new DelegatedRole(name, keys, terminating, paths, prefixes);
    }

    private static List<string>? ReadStrings(JsonElement? array, string what)
    {
        if (array is not { } a)
        {
            return null;
        }

        var list = new List<string>();
        foreach (var item in a.EnumerateArray())
        {
            list.Add(JsonRead.AsString(item, $"{what}[]"));
        }

        return list;
    }
}

internal sealed class Delegations
{
    private Delegations(Dictionary<string, TufKey> keys, IReadOnlyList<DelegatedRole> roles)
    {
        Keys = keys;
        Roles = roles;
    }

    public IReadOnlyDictionary<string, TufKey> Keys { get; }

    /// <summary>In order of appearance, which is the search order the spec prescribes.</summary>
    public IReadOnlyList<DelegatedRole> Roles { get; }

    public static Delegations Read(JsonElement delegations, string what)
    {
        var keys = TufKey.ReadKeys(JsonRead.Object(delegations, "keys", what), $"{what}.keys");
        var roles = new List<DelegatedRole>();
        var names = new HashSet<string>(StringComparer.Ordinal);

        // TAP 15 "succinct_roles" is not implemented: without "roles" nothing is delegated, so a
        // target only reachable through succinct roles is reported as not found rather than trusted.
        if (JsonRead.OptionalArray(delegations, "roles", what) is { } array)
        {
            foreach (var item in array.EnumerateArray())
            {
                var role = DelegatedRole.Read(item, $"{what}.roles[]");
                if (!names.Add(role.Name))
                {
                    throw JsonRead.Malformed($"{what}.roles", $"delegates to '{role.Name}' twice");
                }

                roles.Add(role);
            }
        }

        return new Delegations(keys, roles);
    }
}

internal sealed class TargetsMetadata : TufMetadata
{
    private TargetsMetadata(Envelope envelope, long version, DateTimeOffset expires, Dictionary<string, TargetFile> targets, Delegations? delegations)
        : base(envelope, version, expires)
    {
        Targets = targets;
        Delegations = delegations;
    }

    public IReadOnlyDictionary<string, TargetFile> Targets { get; }

    public Delegations? Delegations { get; }

    public static TargetsMetadata Parse(byte[] raw) => Envelope.Parse(raw, "targets", static (envelope, signed, version, expires) =>
    {
        const string what = "targets.signed";
        var targetsElement = JsonRead.Object(signed, "targets", what);
        var targets = new Dictionary<string, TargetFile>(StringComparer.Ordinal);
        foreach (var property in targetsElement.EnumerateObject())
        {
            targets[property.Name] = TargetFile.Read(property.Name, property.Value, $"{what}.targets[{property.Name}]");
        }

        var delegationsElement = JsonRead.OptionalObject(signed, "delegations", what);
        var delegations = delegationsElement is { } d ? Delegations.Read(d, $"{what}.delegations") : null;
        return new TargetsMetadata(envelope, version, expires, targets, delegations);
    });
}
