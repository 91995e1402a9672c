using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Vouch.Gate.Api;
using Vouch.Gate.Storage;

namespace Vouch.Gate.Notifications;

/// <summary>
/// Issue 19: a Markdown digest of a period, ready to paste into an email or a chat: versions
/// withheld or refused, approval requests, and decisions, read from the audit log (the same rows the
/// webhooks deliver). Every value from the log is escaped for Markdown (and for the HTML a renderer
/// makes of it), each section is capped at <see cref="MaxPerSection"/> lines.
/// </summary>
internal static partial class Digest
{
    public const int MaxPerSection = 200;

    /// <summary>Longest period a digest covers.</summary>
    public static readonly TimeSpan MaxPeriod = TimeSpan.FromDays(366);

    private const int MaxReason = 300;

    /// <summary><c>GET /-/vouch/v1/digest?since=24h|7d|DATE|RFC3339[&amp;until=...]</c> (reader).</summary>
    public static async Task HandleAsync(HttpContext ctx, GateService gate, TimeProvider time, Uri publicUrl)
    {
        var q = DashboardQuery.From(ctx);
        var now = time.GetUtcNow();
        var since = Since(q, now);
        var until = q.Time("until", endOfDay: true) ?? now;
        if (since is { } s && (until <= s || until - s > MaxPeriod))
        {
            q.Fail($"since/until: the period must end after it starts and span at most {MaxPeriod.TotalDays.ToString(CultureInfo.InvariantCulture)} days");
        }

        if (q.Errors.Count > 0)
        {
            await GateJson.ErrorAsync(ctx, 400, GateCodes.BadRequest, string.Join("; ", q.Errors)).ConfigureAwait(false);
            return;
        }

        var text = await RenderAsync(gate.Store, since!.Value, until, publicUrl, ctx.RequestAborted).ConfigureAwait(false);
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "text/markdown; charset=utf-8";
        ctx.Response.Headers.CacheControl = "no-store";
        ctx.Response.Headers["X-Content-Type-Options"] = "nosniff";
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), ctx.RequestAborted).ConfigureAwait(false);
    }

    public static async Task<string> RenderAsync(GateStore store, DateTimeOffset since, DateTimeOffset until, Uri gateUrl, CancellationToken ct)
    {
        var withheld = await store.AuditActionsAsync(["withheld", "refused"], since, until, MaxPerSection, ct).ConfigureAwait(false);
        var requested = await store.AuditActionsAsync(["requested"], since, until, MaxPerSection, ct).ConfigureAwait(false);
        var decided = await store.AuditActionsAsync(["granted", "denied"], since, until, MaxPerSection, ct).ConfigureAwait(false);
        var pending = await store.CountPendingAsync(ct).ConfigureAwait(false);

        var md = new StringBuilder(4096);
        md.Append("# Vouch gate digest: ").Append(Stamp(since)).Append(" to ").Append(Stamp(until)).Append("\n\n");
        md.Append("Gate: ").Append(Md(gateUrl.ToString())).Append(". Pending approvals now: ").Append(pending.ToString(CultureInfo.InvariantCulture))
            .Append(". Withheld: ").Append(Count(withheld)).Append(", approval requests: ").Append(Count(requested)).Append(", decisions: ").Append(Count(decided)).Append(".\n\n");

        Section(md, "Withheld versions", withheld, e =>
            $"{Md(Subject(e))}: {(e.Action == "refused" ? "tarball refused" : "withheld")} by rule {Md(e.Rule ?? "?")} at {Stamp(e.At)}{Reason(e.Reason)}");
        Section(md, "Approval requests", requested, e =>
            $"\\#{Id(e)} {Md(Subject(e))}, rule {Md(e.Rule ?? "?")}, requested by {Md(e.Actor)} at {Stamp(e.At)}{Reason(e.Reason)}");
        Section(md, "Decisions", decided, e =>
            $"\\#{Id(e)} {Md(Subject(e))}, rule {Md(e.Rule ?? "?")}: **{e.Action}** by {Md(e.Actor)} at {Stamp(e.At)}{(e.ExpiresAt is { } x ? ", until " + Stamp(x) : "")}{Reason(e.Reason)}");
        md.Append("Every entry is in the audit log (`/-/vouch/dashboard/audit`).\n");
        return md.ToString();
    }

    /// <summary>
    /// Escapes text for Markdown: every ASCII punctuation character CommonMark gives a meaning to is
    /// backslash-escaped (so a package, rule, actor or reason cannot open a link, an image, emphasis,
    /// code or raw HTML), line breaks and other control characters become spaces (no new heading or
    /// list item), and the result is cut at <paramref name="max"/> characters.
    /// </summary>
    internal static string Md(string text, int max = 500)
    {
        var b = new StringBuilder(Math.Min(text.Length, max) + 16);
        foreach (var c in text.Length > max ? text[..max] + "…" : text)
        {
            if (char.IsControl(c))
            {
                b.Append(' ');
            }
            else if (c < 128 && (char.IsPunctuation(c) || char.IsSymbol(c)))
            {
                b.Append('\\').Append(c);
            }
            else
            {
                b.Append(c);
            }
        }

        return b.ToString();
    }

    private static DateTimeOffset? Since(DashboardQuery q, DateTimeOffset now)
    {
        var raw = q.Raw("since");
        if (raw is not null && raw.Length <= 8 && Duration().Match(raw) is { Success: true } m)
        {
            var n = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            var span = m.Groups[2].Value switch { "m" => TimeSpan.FromMinutes(n), "h" => TimeSpan.FromHours(n), _ => TimeSpan.FromDays(n) };
            return now - span;
        }

        return q.Time("since", endOfDay: false) ?? (raw is null ? now.AddDays(-1) : null);
    }

    private static void Section(StringBuilder md, string title, IReadOnlyList<AuditEntry> rows, Func<AuditEntry, string> line)
    {
        md.Append("## ").Append(title).Append(" (").Append(Count(rows)).Append(")\n\n");
        if (rows.Count == 0)
        {
            md.Append("None.\n\n");
            return;
        }

        foreach (var e in rows.Take(MaxPerSection))
        {
            md.Append("- ").Append(line(e)).Append('\n');
        }

        if (rows.Count > MaxPerSection)
        {
            md.Append("- … and more: the first ").Append(MaxPerSection.ToString(CultureInfo.InvariantCulture)).Append(" are listed; see the audit log\n");
        }

        md.Append('\n');
    }

    private static string Count(IReadOnlyList<AuditEntry> rows) => rows.Count > MaxPerSection ? $"more than {MaxPerSection}" : rows.Count.ToString(CultureInfo.InvariantCulture);

    private static string Subject(AuditEntry e) => e.Version is null ? e.Name ?? "?" : $"{e.Name}@{e.Version}";

    private static string Id(AuditEntry e) => e.ApprovalId?.ToString(CultureInfo.InvariantCulture) ?? "?";

    private static string Reason(string? reason) => string.IsNullOrEmpty(reason) ? "" : ": " + Md(reason, MaxReason);

    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^([1-9][0-9]{0,4})([mhd])\z", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Duration();
}
