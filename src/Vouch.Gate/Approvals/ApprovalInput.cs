using System.Globalization;
using System.Text.RegularExpressions;
using Vouch.Npm;

namespace Vouch.Gate.Approvals;

/// <summary>
/// What an approval may say, checked the same way by the gate's API and by <c>vouch approve</c>:
/// an exact version as the registry spells it, a rule name or <c>*</c>, and an expiry that is an
/// RFC 3339 time with an explicit offset, in the future. A version stored as typed (<c>v2.0.6</c>,
/// <c> 2.0.7</c>) would never match a packument's key, so the grant would silently do nothing.
/// </summary>
public static partial class ApprovalInput
{
    /// <summary>The rule that lifts every rule for the version.</summary>
    public const string AnyRule = "*";

    public const int MaxRuleLength = 100;

    /// <summary>Null when <paramref name="version"/> is an exact, normalised version (no <c>v</c>, no spaces, no build metadata); else why not.</summary>
    public static string? CheckVersion(string? version)
    {
        if (version is null)
        {
            return "version: missing";
        }

        var parsed = SemVersion.ParseOrNull(version);
        if (parsed is null)
        {
            return $"version: '{version}' is not an exact version";
        }

        return parsed.ToFullString() == version && parsed.Build.Count == 0
            ? null
            : $"version: '{version}' is not written as the registry writes it (expected '{parsed.Version}')";
    }

    /// <summary>Null when <paramref name="rule"/> is a rule name (letters, digits, '-', '_', '.') or <c>*</c>; else why not.</summary>
    public static string? CheckRule(string? rule) =>
        rule == AnyRule || (rule is { Length: > 0 and <= MaxRuleLength } && rule.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            ? null
            : "rule: expected a rule name (letters, digits, '-', '_', '.') or '*'";

    /// <summary>
    /// Parses an expiry: RFC 3339 with an explicit offset (<c>2026-12-31T23:59:59Z</c>,
    /// <c>2026-12-31T23:59:59+01:00</c>), strictly after <paramref name="now"/>. Anything else,
    /// including dates without a time or times without an offset, is refused: they are ambiguous.
    /// </summary>
    public static bool TryParseExpiry(string text, DateTimeOffset now, out DateTimeOffset expires, out string? error)
    {
        expires = default;
        if (!Rfc3339().IsMatch(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
        {
            error = $"expires: '{text}' is not an RFC 3339 time with an offset (e.g. 2026-12-31T23:59:59Z)";
            return false;
        }

        if (at <= now)
        {
            error = $"expires: '{text}' is not in the future";
            return false;
        }

        expires = at;
        error = null;
        return true;
    }

    /// <summary>An RFC 3339 time with an explicit offset (the dashboard's time filters; no future requirement).</summary>
    public static bool TryParseRfc3339(string text, out DateTimeOffset at)
    {
        at = default;
        return Rfc3339().IsMatch(text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out at);
    }

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,7})?(Z|[+-][0-9]{2}:[0-9]{2})\z", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Rfc3339();
}
