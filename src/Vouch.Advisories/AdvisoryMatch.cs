using Vouch.Npm;

namespace Vouch.Advisories;

/// <summary>
/// One advisory that affects a package version. Records that name each other as aliases (a GHSA
/// record and the MAL record that lists it, a CVE mirrored under two ids) are merged into one match:
/// <see cref="Ids"/> lists every merged record, <see cref="Id"/> is the preferred one (MAL first).
/// </summary>
public sealed record AdvisoryMatch
{
    public required string Id { get; init; }

    public required IReadOnlyList<string> Ids { get; init; }

    /// <summary>Every alias of every merged record, minus the record ids themselves.</summary>
    public required IReadOnlyList<string> Aliases { get; init; }

    public required bool IsMalware { get; init; }

    /// <summary>The highest severity of the merged records.</summary>
    public required AdvisorySeverity Severity { get; init; }

    public string? Summary { get; init; }

    public required DateTimeOffset Modified { get; init; }

    public required string Package { get; init; }

    public required SemVersion Version { get; init; }

    /// <summary>The lowest <c>fixed</c> version above <see cref="Version"/> in the matching ranges, when the record names one.</summary>
    public SemVersion? FixedIn { get; init; }

    /// <summary>True when <paramref name="idOrAlias"/> names this advisory (an id or an alias).</summary>
    public bool IsNamed(string idOrAlias) =>
        Ids.Contains(idOrAlias, StringComparer.OrdinalIgnoreCase) || Aliases.Contains(idOrAlias, StringComparer.OrdinalIgnoreCase);
}

/// <summary>The snapshot a lookup used: every report names it.</summary>
public sealed record SnapshotInfo
{
    /// <summary><c>sha256:</c> over the sorted (id, sha256 of record bytes) pairs of every stored record.</summary>
    public required string Digest { get; init; }

    public required int RecordCount { get; init; }

    public required int WithdrawnCount { get; init; }

    public required int MalwareCount { get; init; }

    public DateTimeOffset? NewestModified { get; init; }

    public DateTimeOffset? ImportedAt { get; init; }

    public string? Source { get; init; }

    /// <summary>A short name for reports: the first 12 hex digits of the digest.</summary>
    public string Id => Digest.StartsWith("sha256:", StringComparison.Ordinal) && Digest.Length >= 19 ? Digest[7..19] : Digest;
}

/// <summary>What policy rules and reports consume: typed matches and the snapshot they came from.</summary>
public interface IAdvisoryDatabase
{
    SnapshotInfo Snapshot { get; }

    /// <summary>The advisories (merged by alias) that affect <paramref name="version"/> of <paramref name="package"/>; withdrawn records never match.</summary>
    IReadOnlyList<AdvisoryMatch> Lookup(string package, SemVersion version);

    /// <summary>The same for many versions at once (a lockfile); the result is aligned with <paramref name="packages"/>.</summary>
    IReadOnlyList<IReadOnlyList<AdvisoryMatch>> LookupMany(IReadOnlyList<PackageRef> packages);
}

/// <summary>One exact package version to look up.</summary>
public sealed record PackageRef(string Name, SemVersion Version);
