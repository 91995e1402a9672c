using Vouch.Npm.Lockfiles;

namespace Vouch.Audit;

/// <summary>One audit over every lockfile of a directory tree (`vouch audit --recursive DIR`).</summary>
public sealed record RecursiveAuditReport
{
    /// <summary>The directory that was searched.</summary>
    public required string Root { get; init; }

    /// <summary>One report per lockfile, in path order (shallowest first).</summary>
    public required IReadOnlyList<AuditReport> Sections { get; init; }

    public bool HasErrors => Sections.Any(s => s.HasErrors);

    public bool HasNetworkErrors => Sections.Any(s => s.HasNetworkErrors);
}

/// <summary>
/// Finds every lockfile under a directory (never inside node_modules or .git, never through a
/// symbolic link, so a link cannot lead the walk out of the tree or round in a loop) and audits
/// them one after the other through one <see cref="AuditPipeline"/>: one registry client, one
/// evidence cache, so a package pinned by several lockfiles is verified once and read from the
/// cache afterwards. All lockfiles are read before anything is fetched: a malformed one stops the
/// run (exit 2) before any request.
/// </summary>
public static class RecursiveAudit
{
    /// <summary>Most lockfiles one run audits; a tree with more is refused rather than half-audited.</summary>
    public const int MaxLockfiles = 2_000;

    /// <summary>Deepest directory level searched below the root.</summary>
    public const int MaxDepth = 32;

    private static readonly HashSet<string> SkippedDirectories = new(StringComparer.Ordinal) { "node_modules", ".git" };

    /// <summary>
    /// The directories under <paramref name="root"/> holding a lockfile (the root included), in
    /// path order. Throws <see cref="LockfileFormatException"/> (<c>VOUCH_LOCK_UNREADABLE</c> or
    /// <c>VOUCH_LOCK_TOO_LARGE</c>) when the root is no directory, holds no lockfile, or holds too many.
    /// </summary>
    public static IReadOnlyList<string> FindLockfileDirectories(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
        {
            throw new LockfileFormatException(LockfileCodes.Unreadable, root, 0, 0, "--recursive needs a directory");
        }

        var found = new List<string>();
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = false,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            ReturnSpecialDirectories = false,
        };
        var pending = new Queue<(string Dir, int Depth)>();
        pending.Enqueue((full, 0));
        while (pending.TryDequeue(out var item))
        {
            if (LockfileReader.Find(item.Dir) is not null || File.Exists(Path.Combine(item.Dir, "bun.lockb")))
            {
                found.Add(item.Dir);
                if (found.Count > MaxLockfiles)
                {
                    throw new LockfileFormatException(LockfileCodes.TooLarge, root, 0, 0, $"more than {MaxLockfiles} lockfiles below this directory");
                }
            }

            if (item.Depth == MaxDepth)
            {
                continue;
            }

            foreach (var sub in Directory.EnumerateDirectories(item.Dir, "*", options).Order(StringComparer.Ordinal))
            {
                if (!SkippedDirectories.Contains(Path.GetFileName(sub)))
                {
                    pending.Enqueue((sub, item.Depth + 1));
                }
            }
        }

        if (found.Count == 0)
        {
            throw new LockfileFormatException(LockfileCodes.Unreadable, root, 0, 0, $"no lockfile below this directory (looked for {string.Join(", ", LockfileReader.FileNames)}, outside node_modules)");
        }

        return found;
    }

    /// <summary>Reads the lockfile of every directory; the first malformed one throws.</summary>
    public static IReadOnlyList<Lockfile> ReadAll(IReadOnlyList<string> directories) =>
        directories.Select(LockfileReader.Read).ToList();

    /// <summary>Audits each lockfile in turn through the shared pipeline.</summary>
    public static async Task<RecursiveAuditReport> RunAsync(
        AuditPipeline pipeline,
        string root,
        IReadOnlyList<Lockfile> lockfiles,
        Func<Lockfile, IReadOnlyList<PackageLint>> lint,
        IProgress<AuditProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(lockfiles);
        ArgumentNullException.ThrowIfNull(lint);
        var sections = new List<AuditReport>(lockfiles.Count);
        foreach (var lockfile in lockfiles)
        {
            sections.Add(await pipeline.RunAsync(lockfile, lint(lockfile), progress, cancellationToken).ConfigureAwait(false));
        }

        return new RecursiveAuditReport { Root = Path.GetFullPath(root), Sections = sections };
    }
}

/// <summary>Lockfile lint as audit findings (one per package and code).</summary>
public static class AuditLint
{
    public static IReadOnlyList<PackageLint> Check(Lockfile lockfile, IReadOnlyList<Uri> allowedRegistries) =>
        LockfileLint.Check(lockfile, allowedRegistries)
            .Select(f => new PackageLint(f.Package, new AuditFinding(f.Code, f.Severity == LockfileLint.Error ? AuditSeverity.Error : AuditSeverity.Warning, FindingSource.Lockfile, f.Message)))
            .DistinctBy(l => (l.Package?.Name, l.Package?.Version, l.Package?.Source, l.Package?.Resolved, l.Finding.Code))
            .ToList();
}
