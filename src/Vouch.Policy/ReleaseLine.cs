using Vouch.Npm;

namespace Vouch.Policy;

/// <summary>
/// A release line: the versions a caret range keeps a user on. <c>1.x</c> and above: one line per
/// major. <c>0.x</c>: one line per minor (<c>0.3.x</c>), because for npm a 0.x minor is a breaking
/// release. <c>0.0.x</c> is one line as well (caret pins each 0.0.z, but they are still one stream
/// of releases, and a line of one version would have no history to compare with).
/// </summary>
public readonly record struct ReleaseLine(long Major, long Minor) : IComparable<ReleaseLine>
{
    public static ReleaseLine Of(SemVersion version) => version.Major == 0 ? new(0, version.Minor) : new(version.Major, -1);

    public int CompareTo(ReleaseLine other) => Major != other.Major ? Major.CompareTo(other.Major) : Minor.CompareTo(other.Minor);

    public override string ToString() => Minor < 0 ? $"{Major}.x" : $"{Major}.{Minor}.x";

    /// <summary>
    /// The versions <paramref name="candidate"/> is judged against for trust-downgrade: same line,
    /// LOWER in semver order, and published BEFORE it. Same line: a backport to an old major is not
    /// held to what a newer major adopted later. Lower: a maintenance release on an older minor is
    /// not held to a higher release of the line. Before: a version is only held to what existed when
    /// it was published, so older releases do not become "downgrades" when a backport gains provenance.
    /// A stable candidate ignores prereleases (experimental pipelines); a prerelease candidate is
    /// compared with everything lower and earlier. When either publish time is unknown, order alone decides.
    /// </summary>
    public static IReadOnlyList<PackageVersion> Predecessors(Packument packument, SemVersion candidate)
    {
        var line = Of(candidate);
        packument.Time.TryGetValue(candidate.Version, out var candidateTime);
        var hasCandidateTime = packument.Time.ContainsKey(candidate.Version);
        var result = new List<PackageVersion>();
        foreach (var v in packument.Versions.Values)
        {
            if (Of(v.Version) != line || v.Version.CompareTo(candidate) >= 0)
            {
                continue;
            }

            if (!candidate.IsPrerelease && v.Version.IsPrerelease)
            {
                continue;
            }

            if (hasCandidateTime && packument.Time.TryGetValue(v.Version.Version, out var t) && t >= candidateTime)
            {
                continue;
            }

            result.Add(v);
        }

        result.Sort((a, b) => a.Version.CompareTo(b.Version));
        return result;
    }

    /// <summary>True when <paramref name="candidate"/> is on a higher line than <paramref name="baseVersion"/> (a breaking upgrade).</summary>
    public static bool IsMajorBump(SemVersion baseVersion, SemVersion candidate) => Of(candidate).CompareTo(Of(baseVersion)) > 0;
}
