using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Npm;

namespace Vouch.Sandbox.Registry;

/// <summary>One served version: its manifest and everything the registry says about it.</summary>
internal sealed class VersionRecord
{
    public required string Name { get; init; }

    public required SemVersion Version { get; init; }

    /// <summary>The package.json fields as published (name, version, dependencies, scripts, ...).</summary>
    public required JsonObject Manifest { get; init; }

    public required TarballFile Tarball { get; init; }

    /// <summary>`dist.signatures` entries; empty when the version has none.</summary>
    public required IReadOnlyList<(string KeyId, string Sig)> Signatures { get; init; }

    /// <summary>Provenance predicate type when `dist.attestations` is advertised.</summary>
    public string? AttestationsPredicateType { get; init; }

    public required DateTimeOffset PublishTime { get; init; }

    public required JsonObject NpmUser { get; init; }

    public string? Deprecated { get; init; }

    public string TarballPath => $"{Name}/-/{Registry.Tarball.FileName(Name, Version.Version)}";

    public bool HasInstallScript => Manifest["scripts"] is JsonObject scripts && scripts.Any(s => s.Key is "preinstall" or "install" or "postinstall");
}

/// <summary>A package: its versions plus the rendered packument bytes (rebuilt whenever a version is added).</summary>
internal sealed class PackageRecord
{
    private readonly Lock _gate = new();
    private readonly SortedList<SemVersion, VersionRecord> _versions = [];
    private readonly Dictionary<string, string> _tags = new(StringComparer.Ordinal);

    public PackageRecord(string name, string? description, string? repositoryUrl, IReadOnlyList<string> maintainers)
    {
        Name = name;
        Description = description;
        RepositoryUrl = repositoryUrl;
        Maintainers = maintainers;
    }

    public string Name { get; }

    public string? Description { get; }

    public string? RepositoryUrl { get; }

    public IReadOnlyList<string> Maintainers { get; }

    public Rendered Current { get; private set; } = Rendered.Empty;

    public VersionRecord? Find(string version)
    {
        lock (_gate)
        {
            return SemVersion.TryParse(version, out var v) && _versions.TryGetValue(v, out var r) ? r : null;
        }
    }

    public IReadOnlyList<VersionRecord> Versions()
    {
        lock (_gate)
        {
            return [.. _versions.Values];
        }
    }

    public string? Tag(string tag)
    {
        lock (_gate)
        {
            return _tags.TryGetValue(tag, out var v) ? v : null;
        }
    }

    /// <summary>Adds a version (false when it exists: published versions are immutable) and applies tags.</summary>
    public bool TryAdd(VersionRecord version, IReadOnlyDictionary<string, string> tags)
    {
        lock (_gate)
        {
            if (!_versions.TryAdd(version.Version, version))
            {
                return false;
            }

            foreach (var (tag, target) in tags)
            {
                _tags[tag] = target;
            }

            return true;
        }
    }

    /// <summary>Renders both packument forms; call after changes and before serving.</summary>
    public void Render(Uri baseUrl)
    {
        lock (_gate)
        {
            var tags = new Dictionary<string, string>(_tags, StringComparer.Ordinal);
            if (!tags.ContainsKey("latest"))
            {
                // npm's rule: latest is the highest release (a prerelease only when nothing else exists).
                var latest = _versions.Keys.LastOrDefault(v => !v.IsPrerelease) ?? _versions.Keys.LastOrDefault();
                if (latest is not null)
                {
                    tags["latest"] = latest.Version;
                }
            }

            var modified = _versions.Count == 0 ? DateTimeOffset.UnixEpoch : _versions.Values.Max(v => v.PublishTime);
            var created = _versions.Count == 0 ? DateTimeOffset.UnixEpoch : _versions.Values.Min(v => v.PublishTime);
            var full = RenderFull(baseUrl, tags, created, modified);
            var abbreviated = RenderAbbreviated(baseUrl, tags, modified);
            Current = new Rendered(full, abbreviated, ETag(full), ETag(abbreviated), modified);
        }
    }

    private byte[] RenderFull(Uri baseUrl, Dictionary<string, string> tags, DateTimeOffset created, DateTimeOffset modified)
    {
        var versions = new JsonObject();
        var time = new JsonObject { ["created"] = Time(created), ["modified"] = Time(modified) };
        foreach (var v in _versions.Values)
        {
            var doc = (JsonObject)v.Manifest.DeepClone();
            doc["_id"] = $"{Name}@{v.Version.Version}";
            doc["_npmUser"] = v.NpmUser.DeepClone();
            doc["maintainers"] = MaintainersJson();
            if (v.Deprecated is not null)
            {
                doc["deprecated"] = v.Deprecated;
            }

            doc["dist"] = Dist(baseUrl, v);
            versions[v.Version.Version] = doc;
            time[v.Version.Version] = Time(v.PublishTime);
        }

        var root = new JsonObject
        {
            ["_id"] = Name,
            ["name"] = Name,
            ["description"] = Description,
            ["dist-tags"] = TagsJson(tags),
            ["versions"] = versions,
            ["time"] = time,
            ["maintainers"] = MaintainersJson(),
            ["license"] = "MIT",
        };
        if (RepositoryUrl is not null)
        {
            root["repository"] = new JsonObject { ["type"] = "git", ["url"] = RepositoryUrl };
        }

        return JsonSerializer.SerializeToUtf8Bytes(root);
    }

    private byte[] RenderAbbreviated(Uri baseUrl, Dictionary<string, string> tags, DateTimeOffset modified)
    {
        // What npm, pnpm and yarn resolve and install with (the install-v1 field list), plus the evidence.
        string[] kept = ["name", "version", "dependencies", "optionalDependencies", "peerDependencies", "peerDependenciesMeta", "bundleDependencies", "bin", "directories", "engines", "os", "cpu", "funding", "_hasShrinkwrap"];
        var versions = new JsonObject();
        foreach (var v in _versions.Values)
        {
            var doc = new JsonObject();
            foreach (var key in kept)
            {
                if (v.Manifest[key] is { } value)
                {
                    doc[key] = value.DeepClone();
                }
            }

            if (v.Deprecated is not null)
            {
                doc["deprecated"] = v.Deprecated;
            }

            if (v.HasInstallScript)
            {
                doc["hasInstallScript"] = true;
            }

            doc["dist"] = Dist(baseUrl, v);
            versions[v.Version.Version] = doc;
        }

        var root = new JsonObject
        {
            ["name"] = Name,
            ["dist-tags"] = TagsJson(tags),
            ["versions"] = versions,
            ["modified"] = Time(modified),
        };
        return JsonSerializer.SerializeToUtf8Bytes(root);
    }

    private JsonObject Dist(Uri baseUrl, VersionRecord v)
    {
        var dist = new JsonObject
        {
            ["integrity"] = v.Tarball.Integrity,
            ["shasum"] = v.Tarball.Shasum,
            ["tarball"] = new Uri(baseUrl, v.TarballPath).AbsoluteUri,
            ["fileCount"] = v.Tarball.FileCount,
            ["unpackedSize"] = v.Tarball.UnpackedSize,
        };
        if (v.Signatures.Count > 0)
        {
            dist["signatures"] = new JsonArray([.. v.Signatures.Select(s => (JsonNode)new JsonObject { ["keyid"] = s.KeyId, ["sig"] = s.Sig })]);
        }

        if (v.AttestationsPredicateType is { } predicateType)
        {
            dist["attestations"] = new JsonObject
            {
                ["url"] = new Uri(baseUrl, "-/npm/v1/attestations/" + AttestationKey(Name, v.Version.Version).Replace("/", "%2f", StringComparison.Ordinal)).AbsoluteUri,
                ["provenance"] = new JsonObject { ["predicateType"] = predicateType },
            };
        }

        return dist;
    }

    public static string AttestationKey(string name, string version) => $"{name}@{version}";

    private JsonArray MaintainersJson() =>
        new([.. Maintainers.Select(m => (JsonNode)new JsonObject { ["name"] = m, ["email"] = $"{m}@users.sandbox.test" })]);

    private static JsonObject TagsJson(Dictionary<string, string> tags)
    {
        var o = new JsonObject();
        foreach (var (k, v) in tags.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            o[k] = v;
        }

        return o;
    }

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string ETag(byte[] body) => $"\"{Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 12))}\"";

    internal sealed record Rendered(byte[] Full, byte[] Abbreviated, string FullETag, string AbbreviatedETag, DateTimeOffset Modified)
    {
        public static readonly Rendered Empty = new([], [], "\"\"", "\"\"", DateTimeOffset.UnixEpoch);
    }
}

/// <summary>Everything the registry serves, keyed the way requests name it.</summary>
internal sealed class RegistryStore
{
    public ConcurrentDictionary<string, PackageRecord> Packages { get; } = new(StringComparer.Ordinal);

    /// <summary>`name/-/file.tgz` → the bytes served (which a tamper switch may have swapped).</summary>
    public ConcurrentDictionary<string, byte[]> Tarballs { get; } = new(StringComparer.Ordinal);

    /// <summary>`name@version` → the attestations document.</summary>
    public ConcurrentDictionary<string, byte[]> Attestations { get; } = new(StringComparer.Ordinal);

    /// <summary>The scenario's OSV export (<see cref="AdvisorySnapshot"/>); null when it has no advisories.</summary>
    public byte[]? AdvisorySnapshot { get; set; }

    public static string AttestationKeyOf(string name, string version) => PackageRecord.AttestationKey(name, version);

    private readonly Lock _changesGate = new();
    private readonly List<string> _changes = [];

    /// <summary>Appends a change of <paramref name="name"/> to the changes feed (`/_changes`); its sequence is its position, from 1.</summary>
    public void RecordChange(string name)
    {
        lock (_changesGate)
        {
            _changes.Add(name);
        }
    }

    /// <summary>The changes after sequence <paramref name="since"/> (at most <paramref name="limit"/>) and the last sequence they reach.</summary>
    public (IReadOnlyList<(long Seq, string Name)> Rows, long LastSeq) ChangesSince(long since, int limit)
    {
        lock (_changesGate)
        {
            var start = (int)Math.Clamp(since, 0, _changes.Count);
            var rows = _changes.Skip(start).Take(limit).Select((n, i) => ((long)(start + i + 1), n)).ToList();
            return (rows, rows.Count > 0 ? rows[^1].Item1 : Math.Max(start, 0));
        }
    }

    public long LastChange
    {
        get
        {
            lock (_changesGate)
            {
                return _changes.Count;
            }
        }
    }
}
