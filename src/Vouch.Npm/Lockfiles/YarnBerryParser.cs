namespace Vouch.Npm.Lockfiles;

/// <summary>
/// yarn.lock from yarn 2+ ("berry"): YAML whose keys list the descriptors (<c>"a@npm:^1, a@npm:^1.2"</c>)
/// and whose <c>resolution</c> says what they resolved to (<c>a@npm:1.2.3</c>, <c>a@workspace:…</c>,
/// <c>a@https://…</c>, <c>a@patch:…</c>). Berry writes no tarball URL and no SRI: its <c>checksum</c>
/// hashes yarn's own zip of the package, so it lands in <see cref="LockfilePackage.Checksum"/>.
/// </summary>
internal sealed class YarnBerryParser
{
    private readonly ParseContext _ctx;
    private string? _version;

    private YarnBerryParser(string path)
    {
        _ctx = new ParseContext(path);
    }

    public static Lockfile Parse(string content, string path) => new YarnBerryParser(path).Run(content);

    private Lockfile Run(string content)
    {
        var yaml = new YamlLockfileReader(content, _ctx);
        yaml.Read(_ => SectionMode.Tree, (_, _, _) => { }, OnValue);
        if (_version is null)
        {
            throw _ctx.InvalidEntry(0, 0, "__metadata.version is missing (not a yarn berry lockfile)");
        }

        return new Lockfile { Path = _ctx.Path, Format = LockfileFormat.YarnBerry, FormatVersion = _version, Packages = _ctx.Packages };
    }

    private void OnValue(string key, YScalar keyNode, YNode value)
    {
        if (key == "__metadata")
        {
            _version = (value as YMap)?.String("version")
                ?? throw _ctx.InvalidEntry(keyNode.Line, keyNode.Column, "__metadata: expected a mapping with version");
            if (!int.TryParse(_version, out var v) || v < 3)
            {
                throw _ctx.Fail(LockfileCodes.Unsupported, keyNode.Line, keyNode.Column, $"__metadata.version {_version} is not supported (expected 3 or later)");
            }

            return;
        }

        if (value is not YMap entry)
        {
            throw _ctx.InvalidEntry(keyNode.Line, keyNode.Column, $"\"{key}\": expected a mapping");
        }

        var resolution = entry.String("resolution")
            ?? throw _ctx.InvalidEntry(keyNode.Line, keyNode.Column, $"\"{key}\": resolution is missing");
        if (!LockfileText.TrySplitNameAt(resolution, out var name, out var locator))
        {
            throw _ctx.InvalidEntry(keyNode.Line, keyNode.Column, $"\"{key}\": resolution \"{resolution}\" is not name@reference");
        }

        var version = entry.String("version") ?? "";
        LockfileSourceKind source;
        string? resolved = null;
        if (locator.StartsWith("npm:", StringComparison.Ordinal))
        {
            source = LockfileSourceKind.Registry;
            if (version.Length == 0)
            {
                version = locator[4..];
            }
        }
        else if (locator.StartsWith("patch:", StringComparison.Ordinal))
        {
            // A patched copy of another locator (yarn's built-in compat patches for typescript,
            // resolve, fsevents…); the unpatched locator has its own entry, so it is not listed twice.
            return;
        }
        else if (locator.StartsWith("workspace:", StringComparison.Ordinal))
        {
            if (locator == "workspace:.")
            {
                return;
            }

            source = LockfileSourceKind.Workspace;
            resolved = locator["workspace:".Length..];
        }
        else
        {
            source = LockfileText.Classify(locator);
            if (source == LockfileSourceKind.Registry && LockfileText.IsHttp(locator))
            {
                // A URL dependency, whatever its shape: berry writes npm: for registry packages.
                source = LockfileSourceKind.RemoteTarball;
            }
            else if (source == LockfileSourceKind.Registry)
            {
                source = LockfileSourceKind.LocalFile;
            }

            resolved = locator;
        }

        if (source == LockfileSourceKind.Registry && !LockfileText.IsVersion(version))
        {
            throw _ctx.InvalidEntry(keyNode.Line, keyNode.Column, $"\"{key}\": version \"{version}\" is not a version");
        }

        // The descriptors say under which name the project asked for it: `alias@npm:real@^1`.
        string? alias = null;
        foreach (var descriptor in key.Split(", "))
        {
            if (LockfileText.TrySplitNameAt(descriptor.Trim(), out var asked, out _) && asked != name)
            {
                alias = asked;
                break;
            }
        }

        _ctx.Add(new LockfilePackage
        {
            Name = name,
            Version = version,
            Alias = alias,
            Source = source,
            Resolved = resolved,
            Checksum = entry.String("checksum"),
            Key = key,
            Line = keyNode.Line,
        });
    }
}
