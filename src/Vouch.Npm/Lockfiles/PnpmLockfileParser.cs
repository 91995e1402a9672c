namespace Vouch.Npm.Lockfiles;

/// <summary>
/// pnpm-lock.yaml, lockfileVersion 5.x (<c>/name/1.0.0_peer</c> keys), 6.x (<c>/name@1.0.0(peer)</c>)
/// and 9.0 (<c>name@1.0.0</c> in <c>packages</c>, with peer variants and the <c>optional</c> flag in
/// <c>snapshots</c>; catalogs resolve in <c>importers</c>, so <c>packages</c> already holds their versions).
/// One entry per <c>packages</c> key. 9.0 no longer writes <c>dev</c>: it is worked out from the
/// importers' <c>devDependencies</c> through the snapshot graph.
/// </summary>
internal sealed class PnpmLockfileParser
{
    private readonly ParseContext _ctx;
    private readonly Dictionary<string, int> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> _snapshotDeps = new(StringComparer.Ordinal);
    private readonly HashSet<string> _optionalSnapshots = new(StringComparer.Ordinal);
    private readonly List<string> _prodRoots = [];
    private readonly List<string> _devRoots = [];
    private string? _version;

    private PnpmLockfileParser(string path)
    {
        _ctx = new ParseContext(path);
    }

    public static Lockfile Parse(string content, string path) => new PnpmLockfileParser(path).Run(content);

    private Lockfile Run(string content)
    {
        var yaml = new YamlLockfileReader(content, _ctx);
        var any = yaml.Read(
            key => key switch
            {
                "lockfileVersion" => SectionMode.Tree,
                "packages" or "snapshots" or "importers" => SectionMode.Entries,
                "dependencies" or "devDependencies" or "optionalDependencies" => SectionMode.Tree,
                _ => SectionMode.Skip,
            },
            OnEntry,
            OnValue,
            maxDocuments: 2,
            onDocument: index =>
            {
                // pnpm 11 writes its own environment (configDependencies, the package manager) as a
                // first document, then the lockfile. Both are installed from the registry, so both are read.
                if (index > 0)
                {
                    RequireVersion();
                    _version = null;
                }
            });
        if (!any)
        {
            throw _ctx.InvalidEntry(0, 0, "lockfileVersion is missing (expected 5.x, 6.x or 9.0)");
        }

        var version = RequireVersion();
        if (version.StartsWith("9.", StringComparison.Ordinal) || version.StartsWith("7.", StringComparison.Ordinal))
        {
            ApplyReachability();
        }

        return new Lockfile { Path = _ctx.Path, Format = LockfileFormat.Pnpm, FormatVersion = version, Packages = _ctx.Packages };
    }

    private string RequireVersion() =>
        _version ?? throw _ctx.InvalidEntry(0, 0, "lockfileVersion is missing (expected 5.x, 6.x or 9.0)");

    private void OnValue(string key, YScalar keyNode, YNode value)
    {
        switch (key)
        {
            case "lockfileVersion":
                if (value is not YScalar v)
                {
                    throw _ctx.InvalidEntry(keyNode.Line, keyNode.Column, "lockfileVersion: expected a version such as '9.0'");
                }

                var major = v.Value.Split('.')[0];
                if (major is not ("5" or "6" or "7" or "9"))
                {
                    throw _ctx.Fail(LockfileCodes.Unsupported, v.Line, v.Column, $"lockfileVersion {v.Value} is not supported (expected 5.x, 6.x or 9.0)");
                }

                _version = v.Value;
                break;
            default:
                // v5 single-project lockfiles keep the root's dependencies at the top level.
                CollectRoots(key, value, "");
                break;
        }
    }

    private void OnEntry(string section, YScalar key, YNode value)
    {
        if (_version is null)
        {
            if (section != "importers")
            {
                throw _ctx.InvalidEntry(key.Line, key.Column, $"{section} before lockfileVersion");
            }

            // pnpm 5.0–5.2 sorted the keys of workspace lockfiles, so importers come first; reading
            // an importer needs no version (its references are read the same way in every generation).
        }

        switch (section)
        {
            case "importers":
                if (value is YMap importer)
                {
                    foreach (var kind in (string[])["dependencies", "devDependencies", "optionalDependencies"])
                    {
                        if (importer[kind] is { } deps)
                        {
                            CollectRoots(kind, deps, key.Value);
                        }
                    }
                }

                if (key.Value != ".")
                {
                    _ctx.Add(new LockfilePackage
                    {
                        Name = key.Value,
                        Version = "",
                        Source = LockfileSourceKind.Workspace,
                        Resolved = key.Value,
                        Key = key.Value,
                        Line = key.Line,
                    });
                }

                break;
            case "packages":
                AddPackage(key, value);
                break;
            case "snapshots":
                if (value is YMap snapshot)
                {
                    var id = StripPeers(key.Value);
                    if (snapshot.Bool("optional"))
                    {
                        _optionalSnapshots.Add(id);
                    }

                    var list = _snapshotDeps.TryGetValue(id, out var l) ? l : _snapshotDeps[id] = [];
                    foreach (var kind in (string[])["dependencies", "optionalDependencies"])
                    {
                        if (snapshot[kind] is YMap deps)
                        {
                            foreach (var (name, reference) in deps.Items)
                            {
                                if (reference is YScalar r && Target(name.Value, r.Value) is { } t)
                                {
                                    list.Add(t);
                                }
                            }
                        }
                    }
                }

                break;
        }
    }

    private void AddPackage(YScalar key, YNode value)
    {
        if (value is not YMap entry)
        {
            throw _ctx.InvalidEntry(key.Line, key.Column, $"packages[\"{key.Value}\"]: expected a mapping");
        }

        if (!TryParseKey(key.Value, out var keyName, out var keyVersion))
        {
            throw _ctx.InvalidEntry(key.Line, key.Column, $"packages[\"{key.Value}\"]: expected a key such as name@1.0.0 or /name/1.0.0");
        }

        var name = entry.String("name") ?? keyName;
        var version = entry.String("version") ?? (LockfileText.IsVersion(keyVersion) ? keyVersion : "");
        string? resolved = null;
        string? integrity = null;
        LockfileSourceKind source;
        switch (entry["resolution"])
        {
            case YMap resolution:
                integrity = resolution.String("integrity");
                var tarball = resolution.String("tarball");
                if (resolution.String("type") == "git" || resolution.String("commit") is not null)
                {
                    source = LockfileSourceKind.Git;
                    resolved = resolution.String("repo") is { } repo ? $"{repo}#{resolution.String("commit")}" : tarball;
                }
                else if (resolution.String("type") == "directory" || resolution.String("directory") is not null)
                {
                    source = LockfileSourceKind.LocalFile;
                    resolved = resolution.String("directory");
                }
                else if (resolution.String("type") is "variations" or "binary")
                {
                    // pnpm 11 runtimes (node@runtime:26.7.0): platform binaries from the runtime's own
                    // site (nodejs.org), one per variant; nothing a registry signs. The first variant's
                    // URL is kept so lint names the host.
                    source = LockfileSourceKind.RemoteTarball;
                    resolved = resolution.String("url") ?? FirstVariantUrl(resolution);
                }
                else if (tarball is not null)
                {
                    resolved = tarball;
                    var kind = LockfileText.Classify(tarball);
                    // A tarball key (name@https://…) is a URL dependency even when the URL looks like a registry's.
                    source = kind == LockfileSourceKind.Registry && !LockfileText.IsVersion(keyVersion)
                        ? LockfileSourceKind.RemoteTarball
                        : kind;
                }
                else if (integrity is not null)
                {
                    source = LockfileSourceKind.Registry;
                }
                else
                {
                    throw _ctx.InvalidEntry(resolution.Line, resolution.Column, $"packages[\"{key.Value}\"].resolution: expected integrity, tarball, directory or a git repo");
                }

                break;
            case null:
                throw _ctx.InvalidEntry(key.Line, key.Column, $"packages[\"{key.Value}\"]: resolution is missing");
            default:
                throw _ctx.InvalidEntry(key.Line, key.Column, $"packages[\"{key.Value}\"].resolution: expected a mapping");
        }

        if (source == LockfileSourceKind.Registry && version.Length == 0)
        {
            throw _ctx.InvalidEntry(key.Line, key.Column, $"packages[\"{key.Value}\"]: no version for a registry package");
        }

        var modern = _version!.StartsWith("9.", StringComparison.Ordinal) || _version.StartsWith("7.", StringComparison.Ordinal);
        _byKey[StripPeers(NormalizeId(key.Value))] = _ctx.Packages.Count;
        _ctx.Add(new LockfilePackage
        {
            Name = name,
            Version = version,
            Source = source,
            Resolved = resolved,
            Integrity = integrity,
            Dev = entry.Bool("dev"),
            Optional = entry.Bool("optional"),
            Key = key.Value,
            Line = key.Line,
            HasInstallScript = modern ? null : entry.Bool("requiresBuild"),
        });
    }

    private static string? FirstVariantUrl(YMap resolution) =>
        resolution["variants"] is YSeq { Items: [YMap first, ..] } && first["resolution"] is YMap r ? r.String("url") : null;

    private void CollectRoots(string kind, YNode deps, string importer)
    {
        if (deps is not YMap map)
        {
            return;
        }

        var roots = kind == "devDependencies" ? _devRoots : _prodRoots;
        foreach (var (name, reference) in map.Items)
        {
            // v6/v9: { specifier, version }; v5: the version itself.
            var text = reference switch
            {
                YScalar s => s.Value,
                YMap m => m.String("version"),
                _ => null,
            };
            if (text is not null && Target(name.Value, text) is { } t)
            {
                roots.Add(t);
            }
        }

        _ = importer;
    }

    // Marks dev/optional from the importers through snapshots (9.0 writes neither on packages).
    private void ApplyReachability()
    {
        var prod = Reach(_prodRoots);
        var dev = Reach(_devRoots);
        foreach (var (id, index) in _byKey)
        {
            var p = _ctx.Packages[index];
            var isDev = dev.Contains(id) && !prod.Contains(id);
            var isOptional = _optionalSnapshots.Contains(id);
            if (isDev != p.Dev || isOptional != p.Optional)
            {
                _ctx.Packages[index] = p with { Dev = isDev || p.Dev, Optional = isOptional || p.Optional };
            }
        }
    }

    private HashSet<string> Reach(List<string> roots)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var queue = new Queue<string>(roots);
        while (queue.TryDequeue(out var id))
        {
            if (seen.Add(id) && _snapshotDeps.TryGetValue(id, out var next))
            {
                foreach (var n in next)
                {
                    queue.Enqueue(n);
                }
            }
        }

        return seen;
    }

    // A dependency reference (`4.3.4`, `ms@2.1.3`, `/ms@2.1.3`, `/ms/2.1.3`, `link:…`) as a package id.
    private static string? Target(string depName, string reference)
    {
        if (reference.StartsWith("link:", StringComparison.Ordinal) || reference.StartsWith("workspace:", StringComparison.Ordinal))
        {
            return null;
        }

        var r = StripPeers(reference);
        if (r.StartsWith('/') || (LockfileText.TrySplitNameAt(r, out var n, out _) && !LockfileText.IsVersion(r) && IsName(n)))
        {
            return StripPeers(NormalizeId(r));
        }

        return depName + "@" + r;
    }

    // Every key shape as `name@version`, the v9 form.
    private static string NormalizeId(string key) =>
        TryParseKey(key, out var name, out var version) ? $"{name}@{version}" : key;

    private static string StripPeers(string key)
    {
        var p = key.IndexOf('(', StringComparison.Ordinal);
        return p > 0 ? key[..p] : key;
    }

    /// <summary>Reads a packages key of any pnpm generation into name and version (or URL/spec).</summary>
    internal static bool TryParseKey(string key, out string name, out string version)
    {
        var k = StripPeers(key.StartsWith('/') ? key[1..] : key);
        if (LockfileText.TrySplitNameAt(k, out name, out version) && IsName(name) && version.Length > 0)
        {
            return true;
        }

        // v5: name/version[_peers], @scope/name/version[_peers].
        var parts = k.Split('/');
        var nameParts = k.StartsWith('@') ? 2 : 1;
        if (parts.Length < nameParts + 1)
        {
            name = "";
            version = "";
            return false;
        }

        name = string.Join('/', parts[..nameParts]);
        version = string.Join('/', parts[nameParts..]);
        var underscore = version.IndexOf('_', StringComparison.Ordinal);
        if (underscore > 0)
        {
            version = version[..underscore];
        }

        return name.Length > 0 && version.Length > 0;
    }

    private static bool IsName(string name)
    {
        var slashes = name.Count(c => c == '/');
        return name.Length > 0 && (name.StartsWith('@') ? slashes == 1 : slashes == 0) && !name.Contains(':', StringComparison.Ordinal);
    }
}
