using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Vouch.Npm;

/// <summary>
/// An npm version range with node-semver's semantics (loose parsing off): primitives, x-ranges and
/// partial versions, tilde, caret, hyphen ranges, <c>||</c>, and the prerelease rule — a prerelease
/// satisfies the range only if some comparator in the matching set names the same
/// [major, minor, patch] with a prerelease of its own, unless <see cref="IncludePrerelease"/>.
/// </summary>
public sealed class SemVerRange
{
    private readonly Comparator[][] _sets;

    private SemVerRange(string raw, Comparator[][] sets, bool includePrerelease)
    {
        Raw = raw;
        _sets = sets;
        IncludePrerelease = includePrerelease;
        Canonical = Format(sets);
    }

    /// <summary>The range as given.</summary>
    public string Raw { get; }

    public bool IncludePrerelease { get; }

    /// <summary>
    /// The desugared range, as node-semver's <c>validRange</c> prints it (e.g. <c>^1.2</c> is
    /// <c>&gt;=1.2.0 &lt;2.0.0-0</c>; a range that admits everything is <c>*</c>).
    /// </summary>
    public string Canonical { get; }

    public override string ToString() => Canonical;

    public static SemVerRange? ParseOrNull(string? text, bool includePrerelease = false) =>
        TryParse(text, out var range, includePrerelease) ? range : null;

    public static SemVerRange Parse(string text, bool includePrerelease = false) =>
        TryParse(text, out var range, includePrerelease)
            ? range
            : throw new FormatException($"'{text}' is not a valid semver range.");

    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out SemVerRange? range, bool includePrerelease = false)
    {
        range = null;
        if (text is null)
        {
            return false;
        }

        var sets = RangeParser.Parse(text, includePrerelease);
        if (sets is null)
        {
            return false;
        }

        range = new SemVerRange(text, [.. sets], includePrerelease);
        return true;
    }

    /// <summary>True when <paramref name="version"/> satisfies any of the <c>||</c> alternatives.</summary>
    public bool IsSatisfiedBy(SemVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        foreach (var set in _sets)
        {
            if (SetAdmits(set, version))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Parses <paramref name="version"/> strictly; an invalid version satisfies nothing.</summary>
    public bool IsSatisfiedBy(string? version) =>
        SemVersion.TryParse(version, out var v) && IsSatisfiedBy(v);

    /// <summary>The highest version that satisfies the range, or null.</summary>
    public SemVersion? MaxSatisfying(IEnumerable<SemVersion> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        SemVersion? max = null;
        foreach (var v in versions)
        {
            if ((max is null || v > max) && IsSatisfiedBy(v))
            {
                max = v;
            }
        }

        return max;
    }

    /// <summary>
    /// The highest version string that satisfies the range, or null; strings that are not valid
    /// versions are skipped, as node-semver's <c>maxSatisfying</c> does.
    /// </summary>
    public string? MaxSatisfying(IEnumerable<string> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        string? best = null;
        SemVersion? max = null;
        foreach (var s in versions)
        {
            if (SemVersion.TryParse(s, out var v) && (max is null || v > max) && IsSatisfiedBy(v))
            {
                max = v;
                best = s;
            }
        }

        return best;
    }

    private bool SetAdmits(Comparator[] set, SemVersion version)
    {
        foreach (var c in set)
        {
            if (!c.Test(version))
            {
                return false;
            }
        }

        if (!version.IsPrerelease || IncludePrerelease)
        {
            return true;
        }

        // A prerelease is admitted only when the range opted into prereleases of that very
        // [major, minor, patch]: ^1.2.3-beta.1 admits 1.2.3-beta.2 but not 1.2.4-alpha.
        foreach (var c in set)
        {
            if (c.Version is { IsPrerelease: true } allowed && allowed.HasSameTuple(version))
            {
                return true;
            }
        }

        return false;
    }

    private static string Format(Comparator[][] sets)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < sets.Length; i++)
        {
            if (i > 0)
            {
                sb.Append("||");
            }

            sb.AppendJoin(' ', sets[i].Select(c => c.Value));
        }

        var text = sb.ToString().Trim(' ');
        return text.Length == 0 ? "*" : text;
    }
}
