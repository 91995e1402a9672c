using Vouch.Npm;

namespace Vouch.Advisories;

/// <summary>
/// OSV's affected-version semantics (osv-schema "Evaluation"): a version is affected when it is in an
/// explicit <c>versions</c> list or inside a SEMVER/ECOSYSTEM range. A range is walked over its events
/// sorted by version: <c>introduced</c> at or below the version turns "affected" on, <c>fixed</c> at or
/// below turns it off, <c>last_affected</c> strictly below turns it off; a version at or past every
/// <c>limit</c> is outside the range. Versions compare with node-semver precedence, prereleases
/// included (a range is an interval of the total order, not a node-semver range expression).
/// </summary>
public static class OsvMatcher
{
    public static bool Affects(OsvAffected affected, SemVersion version)
    {
        ArgumentNullException.ThrowIfNull(affected);
        ArgumentNullException.ThrowIfNull(version);
        foreach (var v in affected.Versions)
        {
            if (v.CompareTo(version) == 0)
            {
                return true;
            }
        }

        foreach (var range in affected.Ranges)
        {
            if (InRange(range, version))
            {
                return true;
            }
        }

        return false;
    }

    public static bool InRange(OsvRange range, SemVersion version)
    {
        ArgumentNullException.ThrowIfNull(range);
        if (range.Limits.Count > 0 && !BelowSomeLimit(range.Limits, version))
        {
            return false;
        }

        var affected = false;
        foreach (var e in range.Events)
        {
            switch (e.Kind)
            {
                case OsvEventKind.Introduced when e.Version is null || version.CompareTo(e.Version) >= 0:
                    affected = true;
                    break;
                case OsvEventKind.Fixed when version.CompareTo(e.Version) >= 0:
                    affected = false;
                    break;
                case OsvEventKind.LastAffected when version.CompareTo(e.Version) > 0:
                    affected = false;
                    break;
            }
        }

        return affected;
    }

    private static bool BelowSomeLimit(IReadOnlyList<OsvEvent> limits, SemVersion version)
    {
        foreach (var limit in limits)
        {
            if (limit.Version is null || version.CompareTo(limit.Version) < 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The lowest <c>fixed</c> event above <paramref name="version"/> in the entry's ranges (a version to upgrade to), or null.</summary>
    public static SemVersion? FirstFixedAfter(OsvAffected affected, SemVersion version)
    {
        ArgumentNullException.ThrowIfNull(affected);
        SemVersion? best = null;
        foreach (var range in affected.Ranges)
        {
            foreach (var e in range.Events)
            {
                if (e.Kind == OsvEventKind.Fixed && e.Version is { } f && f.CompareTo(version) > 0 && (best is null || f.CompareTo(best) < 0))
                {
                    best = f;
                }
            }
        }

        return best;
    }

    /// <summary>Every record entry for <paramref name="package"/> that covers <paramref name="version"/>.</summary>
    public static bool Affects(OsvRecord record, string package, SemVersion version)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Withdrawn is not null)
        {
            return false;
        }

        foreach (var a in record.Affected)
        {
            if (string.Equals(a.Package, package, StringComparison.Ordinal) && Affects(a, version))
            {
                return true;
            }
        }

        return false;
    }
}
