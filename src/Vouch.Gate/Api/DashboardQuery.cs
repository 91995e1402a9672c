using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Vouch.Gate.Api;

/// <summary>
/// Issue 19: the dashboard's query parameters are client text. Each is read once, under a length
/// cap, refused when repeated, when it holds a control character or the replacement character
/// (what invalid UTF-8 in a percent-encoding decodes to), or when it does not fit its type; every
/// problem is collected so the 400 page lists them all at once.
/// </summary>
internal sealed class DashboardQuery(IQueryCollection query, string rawQuery)
{
    /// <summary>Longest query string accepted, before decoding.</summary>
    public const int MaxQueryLength = 4096;

    /// <summary>Longest free-text filter (package, actor, action, rule).</summary>
    public const int MaxTextLength = 214;

    private static readonly System.Text.UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly List<string> _errors = rawQuery.Length > MaxQueryLength ? [$"the query string is longer than {MaxQueryLength} characters"]
        : !ValidUtf8(rawQuery) ? ["the query string is not valid UTF-8 once percent-decoded"]
        : [];

    public IReadOnlyList<string> Errors => _errors;

    public static DashboardQuery From(HttpContext ctx) => new(ctx.Request.Query, ctx.Request.QueryString.Value ?? "");

    /// <summary>A text parameter, or null when absent or empty; <paramref name="allowed"/> says which characters may appear.</summary>
    public string? Text(string key, int max, Func<char, bool>? allowed = null, string? what = null)
    {
        var raw = Single(key);
        if (raw is null)
        {
            return null;
        }

        if (raw.Length > max)
        {
            _errors.Add($"{key}: longer than {max} characters");
            return null;
        }

        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            var lone = char.IsHighSurrogate(c) ? !(i + 1 < raw.Length && char.IsLowSurrogate(raw[++i])) : char.IsLowSurrogate(c);
            if (lone || char.IsControl(c) || c == '\uFFFD' || (allowed is not null && !allowed(c)))
            {
                _errors.Add($"{key}: {what ?? "holds a control character, invalid UTF-8 or a character that is not allowed"}");
                return null;
            }
        }

        return raw;
    }

    /// <summary>One of <paramref name="values"/>, or null when absent.</summary>
    public string? OneOf(string key, IReadOnlyList<string> values)
    {
        var raw = Single(key);
        if (raw is null)
        {
            return null;
        }

        if (!values.Contains(raw, StringComparer.Ordinal))
        {
            _errors.Add($"{key}: must be one of {string.Join(", ", values)}");
            return null;
        }

        return raw;
    }

    /// <summary>A decimal integer in [<paramref name="min"/>, <paramref name="max"/>], <paramref name="fallback"/> when absent.</summary>
    public long Integer(string key, long min, long max, long fallback)
    {
        var raw = Single(key);
        if (raw is null)
        {
            return fallback;
        }

        if (raw.Length > 19 || !long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
        {
            _errors.Add($"{key}: must be a whole number from {min} to {max}");
            return fallback;
        }

        return n;
    }

    /// <summary>
    /// A point in time: a date (<c>2026-12-01</c>, midnight UTC; <paramref name="endOfDay"/> makes it
    /// the next midnight, so a "to" date includes its day) or RFC 3339 with an offset.
    /// </summary>
    public DateTimeOffset? Time(string key, bool endOfDay)
    {
        var raw = Single(key);
        if (raw is null)
        {
            return null;
        }

        if (raw.Length <= 40)
        {
            if (DateTime.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                var at = new DateTimeOffset(day.Year, day.Month, day.Day, 0, 0, 0, TimeSpan.Zero);
                return endOfDay && at < DateTimeOffset.MaxValue.AddDays(-1) ? at.AddDays(1) : at;
            }

            if (Approvals.ApprovalInput.TryParseRfc3339(raw, out var t))
            {
                return t;
            }
        }

        _errors.Add($"{key}: must be a date (2026-12-01) or an RFC 3339 time with an offset (2026-12-01T08:00:00Z)");
        return null;
    }

    /// <summary>The text of a parameter another method already accepted (to put it back into a form or link).</summary>
    public string? Raw(string key) => query.TryGetValue(key, out var v) && v.Count == 1 ? v[0] : null;

    /// <summary>Adds a problem found across parameters (e.g. a range that ends before it starts).</summary>
    public void Fail(string error) => _errors.Add(error);

    // ASP.NET Core leaves a percent-encoding that is not UTF-8 (%FF, an encoded surrogate) as text;
    // the raw query is checked here instead, so such input is refused rather than searched for.
    private static bool ValidUtf8(string raw)
    {
        var bytes = new List<byte>(raw.Length);
        for (var i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '%' && i + 2 < raw.Length && byte.TryParse(raw.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
            {
                bytes.Add(b);
                i += 2;
            }
            else if (raw[i] > 0x7F)
            {
                return false;
            }
            else
            {
                bytes.Add((byte)raw[i]);
            }
        }

        try
        {
            StrictUtf8.GetString([.. bytes]);
            return true;
        }
        catch (System.Text.DecoderFallbackException)
        {
            return false;
        }
    }

    private string? Single(string key)
    {
        if (!query.TryGetValue(key, out var values) || values.Count == 0)
        {
            return null;
        }

        if (values.Count > 1)
        {
            _errors.Add($"{key}: given more than once");
            return null;
        }

        return string.IsNullOrEmpty(values[0]) ? null : values[0];
    }
}
