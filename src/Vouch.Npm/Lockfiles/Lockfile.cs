namespace Vouch.Npm.Lockfiles;

/// <summary>Which client wrote a lockfile, and in which format generation.</summary>
public enum LockfileFormat
{
    NpmV1,
    NpmV2,
    NpmV3,
    YarnClassic,
    YarnBerry,
    Pnpm,
    Bun,
}

/// <summary>Where an entry's bytes come from. Only <see cref="Registry"/> entries can carry registry trust evidence.</summary>
public enum LockfileSourceKind
{
    Registry,
    Git,
    RemoteTarball,
    LocalFile,
    Link,
    Workspace,
}

/// <summary>
/// One package pinned by a lockfile, in a client-neutral shape. Several entries may share a
/// name@version (npm nests copies); <see cref="Lockfile.Distinct"/> folds them.
/// </summary>
public sealed record LockfilePackage
{
    /// <summary>The real package name (for an alias `foo: npm:bar@1`, this is `bar`).</summary>
    public required string Name { get; init; }

    public required string Version { get; init; }

    /// <summary>The name the project installs it under when it differs (npm/pnpm/yarn aliases).</summary>
    public string? Alias { get; init; }

    public LockfileSourceKind Source { get; init; } = LockfileSourceKind.Registry;

    /// <summary>The resolved download URL, git URL or path, as written (null when the client omits it).</summary>
    public string? Resolved { get; init; }

    /// <summary>SRI string (`sha512-…`), or null when the lockfile records none.</summary>
    public string? Integrity { get; init; }

    public bool Dev { get; init; }

    public bool Optional { get; init; }

    /// <summary>Inside a bundled dependency (npm `inBundle`): shipped in its parent's tarball, not fetched.</summary>
    public bool Bundled { get; init; }

    /// <summary>The lockfile's own key or path for this entry (e.g. `node_modules/a/node_modules/b`).</summary>
    public string? Key { get; init; }

    /// <summary>1-based line of the entry in the lockfile (SARIF locations).</summary>
    public int Line { get; init; }

    /// <summary>Install scripts as the lockfile records them (npm `hasInstallScript`, pnpm `requiresBuild`); null when unknown.</summary>
    public bool? HasInstallScript { get; init; }

    /// <summary>
    /// A client-specific checksum that is not an SRI of the registry tarball (yarn berry's
    /// `checksum: 10c0/…` hashes yarn's own zip archive); null when none.
    /// </summary>
    public string? Checksum { get; init; }
}

/// <summary>A parsed lockfile: every entry, plus the facts about the file itself.</summary>
public sealed record Lockfile
{
    public required string Path { get; init; }

    public required LockfileFormat Format { get; init; }

    public required IReadOnlyList<LockfilePackage> Packages { get; init; }

    /// <summary>The format version as the file writes it (`3`, `9.0`, `5.4`, `v1`, `10`), or "" when it has none.</summary>
    public string FormatVersion { get; init; } = "";

    /// <summary>Facts worth telling the user about the file itself (e.g. other lockfiles ignored beside it).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>One entry per distinct (name, version, source), keeping the first line seen.</summary>
    public IReadOnlyList<LockfilePackage> Distinct() =>
        Packages.GroupBy(p => (p.Name, p.Version, p.Source, p.Resolved)).Select(g => g.First()).ToList();
}
