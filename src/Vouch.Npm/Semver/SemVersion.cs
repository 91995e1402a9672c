using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Vouch.Npm;

/// <summary>
/// A semantic version with node-semver's strict (non-loose) parsing and its precedence rules:
/// an optional leading <c>v</c> is accepted, build metadata is kept but ignored for precedence and
/// equality, a release outranks its prereleases.
/// </summary>
public sealed class SemVersion : IComparable<SemVersion>, IEquatable<SemVersion>
{
    /// <summary>node-semver refuses version strings longer than this.</summary>
    internal const int MaxLength = 256;

    /// <summary>JavaScript's Number.MAX_SAFE_INTEGER: node-semver refuses larger components.</summary>
    internal const long MaxSafeInteger = 9_007_199_254_740_991;

    private readonly string[] _prerelease;
    private readonly string[] _build;

    private SemVersion(long major, long minor, long patch, string[] prerelease, string[] build)
    {
        Major = major;
        Minor = minor;
        Patch = patch;
        _prerelease = prerelease;
        _build = build;
        Version = Format(major, minor, patch, prerelease);
    }

    public long Major { get; }

    public long Minor { get; }

    public long Patch { get; }

    /// <summary>Dot-separated prerelease identifiers (empty for a release).</summary>
    public IReadOnlyList<string> Prerelease => _prerelease;

    /// <summary>Build metadata identifiers; never part of precedence.</summary>
    public IReadOnlyList<string> Build => _build;

    public bool IsPrerelease => _prerelease.Length > 0;

    /// <summary>The normalised version without build metadata, as node-semver's <c>.version</c>.</summary>
    public string Version { get; }

    public override string ToString() => Version;

    /// <summary>The normalised version including build metadata.</summary>
    public string ToFullString() => _build.Length == 0 ? Version : Version + "+" + string.Join('.', _build);

    public static SemVersion? ParseOrNull(string? text) => TryParse(text, out var v) ? v : null;

    public static SemVersion Parse(string text) =>
        TryParse(text, out var v) ? v : throw new FormatException($"'{text}' is not a valid semantic version.");

    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out SemVersion? version)
    {
        version = null;
        // node-semver checks the length before trimming.
        if (text is null || text.Length > MaxLength)
        {
            return false;
        }

        var s = JsWhitespace.Trim(text).AsSpan();
        var pos = 0;
        if (pos < s.Length && s[pos] == 'v')
        {
            pos++;
        }

        if (!TryReadNumber(s, ref pos, out var major) || !Expect(s, ref pos, '.')
            || !TryReadNumber(s, ref pos, out var minor) || !Expect(s, ref pos, '.')
            || !TryReadNumber(s, ref pos, out var patch))
        {
            return false;
        }

        string[] prerelease = [];
        if (pos < s.Length && s[pos] == '-')
        {
            pos++;
            if (!TryReadIdentifiers(s, ref pos, prerelease: true, out prerelease))
            {
                return false;
            }
        }

        string[] build = [];
        if (pos < s.Length && s[pos] == '+')
        {
            pos++;
            if (!TryReadIdentifiers(s, ref pos, prerelease: false, out build))
            {
                return false;
            }
        }

        if (pos != s.Length)
        {
            return false;
        }

        version = new SemVersion(major, minor, patch, prerelease, build);
        return true;
    }

    /// <summary>Builds a version from already-validated parts (used when desugaring ranges).</summary>
    internal static SemVersion? Create(long major, long minor, long patch, string[] prerelease)
    {
        if (major is < 0 or > MaxSafeInteger || minor is < 0 or > MaxSafeInteger || patch is < 0 or > MaxSafeInteger)
        {
            return null;
        }

        return new SemVersion(major, minor, patch, prerelease, []);
    }

    private static bool Expect(ReadOnlySpan<char> s, ref int pos, char c)
    {
        if (pos < s.Length && s[pos] == c)
        {
            pos++;
            return true;
        }

        return false;
    }

    // A main-version component: "0" or a digit run without a leading zero, at most MAX_SAFE_INTEGER.
    private static bool TryReadNumber(ReadOnlySpan<char> s, ref int pos, out long value)
    {
        value = 0;
        var start = pos;
        while (pos < s.Length && char.IsAsciiDigit(s[pos]))
        {
            pos++;
        }

        var digits = s[start..pos];
        if (digits.Length == 0 || (digits.Length > 1 && digits[0] == '0'))
        {
            return false;
        }

        // MAX_SAFE_INTEGER has 16 digits: anything longer is too big (and would overflow a long).
        if (digits.Length > 16)
        {
            return false;
        }

        value = long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
        return value <= MaxSafeInteger;
    }

    private static bool TryReadIdentifiers(ReadOnlySpan<char> s, ref int pos, bool prerelease, out string[] identifiers)
    {
        var list = new List<string>();
        identifiers = [];
        while (true)
        {
            var start = pos;
            var allDigits = true;
            while (pos < s.Length && IsIdentifierChar(s[pos]))
            {
                allDigits &= char.IsAsciiDigit(s[pos]);
                pos++;
            }

            var id = s[start..pos];
            if (id.Length == 0)
            {
                return false;
            }

            // Numeric prerelease identifiers must not have leading zeros; alphanumeric ones may
            // ("01a" is fine). Build identifiers have no such rule.
            if (prerelease && allDigits && id.Length > 1 && id[0] == '0')
            {
                return false;
            }

            list.Add(id.ToString());
            if (pos < s.Length && s[pos] == '.')
            {
                pos++;
                continue;
            }

            identifiers = [.. list];
            return true;
        }
    }

    internal static bool IsIdentifierChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '-';

    private static string Format(long major, long minor, long patch, string[] prerelease)
    {
        var sb = new StringBuilder();
        sb.Append(major).Append('.').Append(minor).Append('.').Append(patch);
        if (prerelease.Length > 0)
        {
            sb.Append('-').AppendJoin('.', prerelease);
        }

        return sb.ToString();
    }

    /// <summary>Precedence order: main version, then prerelease (absent outranks present). Build metadata is ignored.</summary>
    public int CompareTo(SemVersion? other)
    {
        if (other is null)
        {
            return 1;
        }

        var c = Major.CompareTo(other.Major);
        if (c != 0)
        {
            return c;
        }

        c = Minor.CompareTo(other.Minor);
        if (c != 0)
        {
            return c;
        }

        c = Patch.CompareTo(other.Patch);
        return c != 0 ? c : ComparePrerelease(_prerelease, other._prerelease);
    }

    private static int ComparePrerelease(string[] a, string[] b)
    {
        if (a.Length == 0 || b.Length == 0)
        {
            // A release is greater than any of its prereleases.
            return b.Length.CompareTo(a.Length);
        }

        for (var i = 0; ; i++)
        {
            if (i >= a.Length && i >= b.Length)
            {
                return 0;
            }

            if (i >= a.Length)
            {
                return -1;
            }

            if (i >= b.Length)
            {
                return 1;
            }

            var c = CompareIdentifier(a[i], b[i]);
            if (c != 0)
            {
                return c;
            }
        }
    }

    private static int CompareIdentifier(string a, string b)
    {
        var aNum = IsNumeric(a);
        var bNum = IsNumeric(b);
        if (aNum && bNum)
        {
            // Numeric identifiers have no leading zeros, so a longer one is larger; this stays exact
            // beyond 2^53 where JavaScript would round.
            var byLength = a.Length.CompareTo(b.Length);
            return byLength != 0 ? byLength : Math.Sign(string.CompareOrdinal(a, b));
        }

        if (aNum != bNum)
        {
            // Numeric identifiers have lower precedence than alphanumeric ones.
            return aNum ? -1 : 1;
        }

        return Math.Sign(string.CompareOrdinal(a, b));
    }

    private static bool IsNumeric(string s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return s.Length > 0;
    }

    /// <summary>Same main version tuple (major, minor, patch), prerelease ignored.</summary>
    internal bool HasSameTuple(SemVersion other) => Major == other.Major && Minor == other.Minor && Patch == other.Patch;

    public bool Equals(SemVersion? other) => other is not null && CompareTo(other) == 0;

    public override bool Equals(object? obj) => obj is SemVersion v && Equals(v);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Major);
        hash.Add(Minor);
        hash.Add(Patch);
        foreach (var id in _prerelease)
        {
            hash.Add(id, StringComparer.Ordinal);
        }

        return hash.ToHashCode();
    }

    public static bool operator ==(SemVersion? left, SemVersion? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(SemVersion? left, SemVersion? right) => !(left == right);

    public static bool operator <(SemVersion? left, SemVersion? right) => Compare(left, right) < 0;

    public static bool operator <=(SemVersion? left, SemVersion? right) => Compare(left, right) <= 0;

    public static bool operator >(SemVersion? left, SemVersion? right) => Compare(left, right) > 0;

    public static bool operator >=(SemVersion? left, SemVersion? right) => Compare(left, right) >= 0;

    private static int Compare(SemVersion? left, SemVersion? right) =>
        left is null ? (right is null ? 0 : -1) : left.CompareTo(right);
}
