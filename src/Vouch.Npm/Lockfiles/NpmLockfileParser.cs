using System.Text.Json;

namespace Vouch.Npm.Lockfiles;

/// <summary>
/// package-lock.json / npm-shrinkwrap.json, lockfileVersion 1, 2 and 3, read with a forward-only
/// <see cref="Utf8JsonReader"/> so memory stays the file's bytes plus the entries (no DOM), and
/// each entry keeps the line of its key. v2 carries both the v3 <c>packages</c> map and the v1
/// <c>dependencies</c> tree; the <c>packages</c> map wins, as it does in npm 7+.
/// </summary>
internal sealed class NpmLockfileParser
{
    private readonly ReadOnlyMemory<byte> _utf8;
    private readonly ParseContext _ctx;
    private readonly JsonLockfileReader _json;

    // Link entries are only known to point at a workspace once every workspace folder is seen.
    private readonly List<LockfilePackage> _links = [];
    private readonly HashSet<string> _workspaceFolders = new(StringComparer.Ordinal);

    private NpmLockfileParser(ReadOnlyMemory<byte> utf8, string path)
    {
        _utf8 = utf8;
        _ctx = new ParseContext(path);
        _json = new JsonLockfileReader(utf8, _ctx);
    }

    public static Lockfile Parse(ReadOnlyMemory<byte> utf8, string path) => new NpmLockfileParser(utf8, path).Run();

    private Lockfile Run()
    {
        var reader = new Utf8JsonReader(_utf8.Span, new JsonReaderOptions
        {
            // v1 nests two JSON levels per dependency level.
            MaxDepth = (2 * Limits.MaxLockfileDepth) + 4,
            CommentHandling = JsonCommentHandling.Disallow,
        });
        long? version = null;
        var sawPackages = false;
        List<LockfilePackage>? v1 = null;
        try
        {
            _json.Expect(ref reader, JsonTokenType.StartObject, "a JSON object");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (_json.NextProperty(ref reader, seen, "top-level key", out var name, out var line))
            {
                switch (name)
                {
                    case "lockfileVersion":
                        version = _json.ReadLockfileVersion(ref reader, line);
                        break;
                    case "packages":
                        _json.RequireObject(ref reader, "packages");
                        sawPackages = true;
                        ReadPackages(ref reader);
                        break;
                    case "dependencies" when !sawPackages:
                        _json.RequireObject(ref reader, "dependencies");
                        var saved = _ctx.Packages.ToList();
                        _ctx.Packages.Clear();
                        ReadV1Dependencies(ref reader, "", 1, false);
                        v1 = _ctx.Packages.ToList();
                        _ctx.Packages.Clear();
                        _ctx.Packages.AddRange(saved);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            _json.EndOfObject(ref reader);
            if (reader.Read())
            {
                throw _ctx.Malformed(_json.Line(ref reader), 0, "expected the end of the file after the top-level object");
            }
        }
        catch (JsonException e)
        {
            throw _json.NotJson(e);
        }

        var format = version switch
        {
            null => throw _ctx.InvalidEntry(0, 0, "lockfileVersion is missing (expected 1, 2 or 3)"),
            1 => LockfileFormat.NpmV1,
            2 => LockfileFormat.NpmV2,
            3 => LockfileFormat.NpmV3,
            _ => throw _ctx.Fail(LockfileCodes.Unsupported, 0, 0, $"lockfileVersion {version} is not supported (expected 1, 2 or 3)"),
        };

        if (format == LockfileFormat.NpmV3 && !sawPackages)
        {
            throw _ctx.InvalidEntry(0, 0, "lockfileVersion 3 without a \"packages\" object");
        }

        if (!sawPackages)
        {
            _ctx.Packages.AddRange(v1 ?? []);
        }

        foreach (var link in _links)
        {
            if (link.Resolved is null || !_workspaceFolders.Contains(link.Resolved))
            {
                _ctx.Add(link);
            }
        }

        return new Lockfile
        {
            Path = _ctx.Path,
            Format = format,
            FormatVersion = version.ToString()!,
            Packages = _ctx.Packages,
        };
    }

    // lockfileVersion 2/3: "packages": { "<install path>": { … } }.
    private void ReadPackages(ref Utf8JsonReader reader)
    {
        // Two entries for one path would let two readers install two different things.
        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (_json.NextProperty(ref reader, keys, "package path", out var key, out var line))
        {
            _json.RequireObject(ref reader, $"packages[\"{key}\"]");
            var e = ReadEntry(ref reader, key, line, allowNested: false);
            if (key.Length == 0)
            {
                continue;
            }

            var isFolder = !key.StartsWith("node_modules/", StringComparison.Ordinal) && !key.Contains("/node_modules/", StringComparison.Ordinal);
            if (e.Link)
            {
                _links.Add(new LockfilePackage
                {
                    Name = e.Name ?? LockfileText.NameFromInstallPath(key),
                    Version = e.Version ?? "",
                    Source = LockfileSourceKind.Link,
                    Resolved = e.Resolved,
                    Key = key,
                    Line = line,
                    Dev = e.Dev,
                    Optional = e.Optional,
                });
                continue;
            }

            if (isFolder)
            {
                // A workspace (or a file: dependency's folder): its own code, not fetched.
                _workspaceFolders.Add(key);
                _ctx.Add(new LockfilePackage
                {
                    Name = e.Name ?? key[(key.LastIndexOf('/') + 1)..],
                    Version = e.Version ?? "",
                    Source = LockfileSourceKind.Workspace,
                    Resolved = key,
                    Key = key,
                    Line = line,
                    Dev = e.Dev,
                    Optional = e.Optional,
                });
                continue;
            }

            var installName = LockfileText.NameFromInstallPath(key);
            var realName = e.Name ?? installName;
            if (e.Version is null)
            {
                throw _ctx.InvalidEntry(line, 0, $"packages[\"{key}\"]: version is missing");
            }

            _ctx.Add(new LockfilePackage
            {
                Name = realName,
                Version = e.Version,
                Alias = realName != installName ? installName : null,
                Source = LockfileText.Classify(e.Resolved),
                Resolved = e.Resolved,
                Integrity = e.Integrity,
                Dev = e.Dev,
                Optional = e.Optional,
                Bundled = e.InBundle && LockfileText.IsNestedInDependency(key),
                Key = key,
                Line = line,
                HasInstallScript = e.HasInstallScript ?? false,
            });
        }

        _json.EndOfObject(ref reader);
    }

    // lockfileVersion 1: "dependencies": { "<name>": { version, …, dependencies: { … } } }.
    private void ReadV1Dependencies(ref Utf8JsonReader reader, string parentKey, int depth, bool parentBundled)
    {
        if (depth > Limits.MaxLockfileDepth)
        {
            throw _ctx.Fail(LockfileCodes.TooLarge, _json.Line(ref reader), 0, $"dependencies nested deeper than {Limits.MaxLockfileDepth} levels");
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (_json.NextProperty(ref reader, keys, "dependency", out var installName, out var line))
        {
            var key = (parentKey.Length == 0 ? "" : parentKey + "/") + "node_modules/" + installName;
            _json.RequireObject(ref reader, $"dependencies[\"{installName}\"]");

            // The entry is added before its children so lines stay in file order.
            var index = _ctx.Packages.Count;
            _ctx.Add(new LockfilePackage { Name = installName, Version = "", Key = key, Line = line });
            var e = ReadEntry(ref reader, key, line, allowNested: true, depth, parentBundled);
            if (e.Version is null)
            {
                throw _ctx.InvalidEntry(line, 0, $"dependencies[\"{installName}\"]: version is missing");
            }

            var name = installName;
            string? alias = null;
            var version = e.Version;
            LockfileSourceKind source;
            if (version.StartsWith("npm:", StringComparison.Ordinal)
                && LockfileText.TrySplitNameAt(version[4..], out var real, out var realVersion))
            {
                // `"alias": { "version": "npm:real@1.2.3" }`
                name = real;
                alias = installName != real ? installName : null;
                version = realVersion;
                source = LockfileText.Classify(e.Resolved);
            }
            else if (LockfileText.IsVersion(version))
            {
                source = LockfileText.Classify(e.Resolved);
            }
            else if (LockfileText.IsHttp(version) && LockfileText.VersionFromRegistryTarball(installName, version) is { } fromUrl)
            {
                // npm 5.0 wrote a registry package's tarball URL as its "version" (the version is in the
                // file name), as arborist also reads it; lint still checks the URL's host and name.
                e.Resolved ??= version;
                version = fromUrl;
                source = LockfileText.Classify(e.Resolved);
            }
            else
            {
                // Git, tarball and file dependencies keep their spec in "version".
                source = LockfileText.Classify(version);
                if (source == LockfileSourceKind.Registry)
                {
                    throw _ctx.InvalidEntry(line, 0, $"dependencies[\"{installName}\"]: version \"{version}\" is neither a version nor a git, URL or file spec");
                }

                e.Resolved ??= version;
                version = "";
            }

            _ctx.Packages[index] = new LockfilePackage
            {
                Name = name,
                Version = version,
                Alias = alias,
                Source = source,
                Resolved = e.Resolved,
                Integrity = e.Integrity,
                Dev = e.Dev,
                Optional = e.Optional,
                Bundled = e.InBundle || parentBundled,
                Key = key,
                Line = line,
            };
        }

        _json.EndOfObject(ref reader);
    }

    private Entry ReadEntry(ref Utf8JsonReader reader, string key, int entryLine, bool allowNested, int depth = 0, bool parentBundled = false)
    {
        var e = new Entry();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var nestedAt = -1;
        while (_json.NextProperty(ref reader, seen, "field", out var field, out var line, owner: key))
        {
            switch (field)
            {
                case "version":
                    e.Version = _json.ReadString(ref reader, key, field, line);
                    break;
                case "resolved":
                    e.Resolved = _json.ReadString(ref reader, key, field, line);
                    break;
                case "integrity":
                    e.Integrity = _json.ReadString(ref reader, key, field, line);
                    break;
                case "name":
                    e.Name = _json.ReadString(ref reader, key, field, line);
                    break;
                case "dev":
                    e.Dev |= _json.ReadBool(ref reader, key, field, line);
                    break;
                case "optional":
                    e.Optional |= _json.ReadBool(ref reader, key, field, line);
                    break;
                case "devOptional":
                    // Needed by the dev tree and the optional tree: omitted only when both are.
                    if (_json.ReadBool(ref reader, key, field, line))
                    {
                        e.Dev = true;
                        e.Optional = true;
                    }

                    break;
                case "inBundle":
                case "bundled":
                    e.InBundle |= _json.ReadBool(ref reader, key, field, line);
                    break;
                case "link":
                    e.Link = _json.ReadBool(ref reader, key, field, line);
                    break;
                case "hasInstallScript":
                    e.HasInstallScript = _json.ReadBool(ref reader, key, field, line);
                    break;
                case "dependencies" when allowNested:
                    _json.RequireObject(ref reader, $"\"{key}\".dependencies");
                    nestedAt = _ctx.Packages.Count;
                    // "bundled" may come after "dependencies"; fixed up below.
                    ReadV1Dependencies(ref reader, key, depth + 1, parentBundled);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        _json.EndOfObject(ref reader);
        if (nestedAt >= 0 && e.InBundle && !parentBundled)
        {
            // Children of a bundled dependency ship in its tarball too.
            for (var i = nestedAt; i < _ctx.Packages.Count; i++)
            {
                _ctx.Packages[i] = _ctx.Packages[i] with { Bundled = true };
            }
        }

        _ = entryLine;
        return e;
    }

    private sealed class Entry
    {
        public string? Version;
        public string? Resolved;
        public string? Integrity;
        public string? Name;
        public bool Dev;
        public bool Optional;
        public bool InBundle;
        public bool Link;
        public bool? HasInstallScript;
    }
}
