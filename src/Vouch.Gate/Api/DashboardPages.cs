using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Vouch.Common.Json;
using Vouch.Gate.Storage;

namespace Vouch.Gate.Api;

/// <summary>
/// Issue 19: the operator pages beside the dashboard, server-rendered with no script
/// (<see cref="DashboardLayout"/>): search over what the gate has seen, the audit log with filters
/// and export links, and a summary with charts. Query parameters are checked by
/// <see cref="DashboardQuery"/>; a bad one is a 400 page listing every problem, never a 500.
/// </summary>
internal static class DashboardPages
{
    /// <summary>Rows per page.</summary>
    public const int PageSize = 50;

    /// <summary>Highest page number: the database never skips more than 50,000 rows for a page.</summary>
    public const int MaxPage = 1000;

    /// <summary>Evidence reports read for the summary's tier chart.</summary>
    public const int MaxSummaryReports = 20_000;

    private const string SearchPath = "/-/vouch/dashboard/search";
    private const string AuditPath = "/-/vouch/dashboard/audit";

    private static Func<string?, string> E => DashboardLayout.E;

    public static async Task SearchAsync(HttpContext ctx, GateService gate, GateToken? signedIn)
    {
        if (await DashboardLayout.RequireReaderAsync(ctx, signedIn).ConfigureAwait(false) is not { } token)
        {
            return;
        }

        var q = DashboardQuery.From(ctx);
        var package = q.Text("package", DashboardQuery.MaxTextLength);
        var rule = q.Text("rule", Approvals.ApprovalInput.MaxRuleLength, c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '*', "expected a rule name (letters, digits, '-', '_', '.') or '*'");
        var status = q.OneOf("status", GateStore.SeenStatuses);
        var page = q.Integer("page", 1, MaxPage, 1);
        if (q.Errors.Count > 0)
        {
            await DashboardLayout.BadQueryAsync(ctx, "Search", "Search", token, q.Errors).ConfigureAwait(false);
            return;
        }

        var rows = await gate.Store.SearchSeenAsync(new SeenFilter(package, rule, status), (int)(page - 1) * PageSize, PageSize, ctx.RequestAborted).ConfigureAwait(false);
        var html = DashboardLayout.Start("Search", "Search", token);
        html.Append("<p>Versions this gate served (verified and not withheld, or approved), withheld (by rule), and approval requests pending or approved. Package matches any part of the name.</p>");
        html.Append("<form class=\"filters\" id=\"search\" role=\"search\" method=\"get\" action=\"").Append(SearchPath).Append("\">");
        Input(html, "package", "Package", package, DashboardQuery.MaxTextLength);
        Input(html, "rule", "Rule", rule, Approvals.ApprovalInput.MaxRuleLength);
        html.Append("<label for=\"f-status\">Status<select id=\"f-status\" name=\"status\"><option value=\"\">any</option>");
        foreach (var s in GateStore.SeenStatuses)
        {
            html.Append("<option").Append(s == status ? " selected" : "").Append('>').Append(s).Append("</option>");
        }

        html.Append("</select></label><button type=\"submit\">Search</button></form>");
        html.Append("<table id=\"results\"><caption>Results, newest first</caption><thead><tr><th scope=\"col\">package</th><th scope=\"col\">version</th><th scope=\"col\">status</th><th scope=\"col\">rule</th><th scope=\"col\">when</th></tr></thead><tbody>");
        foreach (var r in rows.Take(PageSize))
        {
            html.Append("<tr><td>").Append(PackageLink(r.Name)).Append("</td><td>").Append(E(r.Version)).Append("</td><td><span class=\"badge ").Append(r.Status).Append("\">").Append(E(r.Status))
                .Append("</span></td><td>").Append(E(r.Rule)).Append("</td><td>").Append(DashboardLayout.Time(r.At)).Append("</td></tr>");
        }

        if (rows.Count == 0)
        {
            html.Append("<tr><td colspan=\"5\">Nothing matches.</td></tr>");
        }

        html.Append("</tbody></table>");
        DashboardLayout.Pager(html, SearchPath, page, rows.Count > PageSize, ("package", package), ("rule", rule), ("status", status));
        await DashboardLayout.EndAsync(ctx, html).ConfigureAwait(false);
    }

    public static async Task AuditAsync(HttpContext ctx, GateService gate, GateToken? signedIn)
    {
        if (await DashboardLayout.RequireReaderAsync(ctx, signedIn).ConfigureAwait(false) is not { } token)
        {
            return;
        }

        var q = DashboardQuery.From(ctx);
        var (filter, raw) = ReadAuditFilter(q);
        var page = q.Integer("page", 1, MaxPage, 1);
        if (q.Errors.Count > 0)
        {
            await DashboardLayout.BadQueryAsync(ctx, "Audit log", "Audit log", token, q.Errors).ConfigureAwait(false);
            return;
        }

        var rows = await gate.Store.SearchAuditAsync(filter, (int)(page - 1) * PageSize, PageSize, ctx.RequestAborted).ConfigureAwait(false);
        var html = DashboardLayout.Start("Audit log", "Audit log", token);
        html.Append("<p>Append-only: every approval request and decision, every version withheld or refused, re-verifies and publishes. Dates are UTC; the range includes the day in To.</p>");
        html.Append("<form class=\"filters\" id=\"audit-filters\" method=\"get\" action=\"").Append(AuditPath).Append("\">");
        Input(html, "actor", "Actor", raw.Actor, 100);
        html.Append("<label for=\"f-action\">Action<select id=\"f-action\" name=\"action\"><option value=\"\">any</option>");
        foreach (var a in KnownActions)
        {
            html.Append("<option").Append(a == filter.Action ? " selected" : "").Append('>').Append(a).Append("</option>");
        }

        if (filter.Action is { } other && !KnownActions.Contains(other, StringComparer.Ordinal))
        {
            html.Append("<option selected>").Append(E(other)).Append("</option>");
        }

        html.Append("</select></label>");
        Input(html, "package", "Package", raw.Package, DashboardQuery.MaxTextLength);
        Input(html, "from", "From (date or RFC 3339)", raw.From, 40);
        Input(html, "to", "To (date or RFC 3339)", raw.To, 40);
        html.Append("<button type=\"submit\">Filter</button></form>");

        var filters = new[] { ("actor", raw.Actor), ("action", filter.Action), ("package", raw.Package), ("from", raw.From), ("to", raw.To) };
        html.Append("<p id=\"export\">Export what these filters match (oldest first, at most ").Append(AuditExport.DefaultRows.ToString(CultureInfo.InvariantCulture))
            .Append(" rows a file): <a id=\"export-csv\" href=\"").Append(E("/-/vouch/dashboard/audit/export" + DashboardLayout.Query([.. filters, ("format", "csv")]))).Append("\">CSV</a>, ")
            .Append("<a id=\"export-json\" href=\"").Append(E("/-/vouch/dashboard/audit/export" + DashboardLayout.Query([.. filters, ("format", "json")]))).Append("\">JSON</a>.</p>");

        html.Append("<table id=\"audit\"><caption>Audit log, newest first</caption><thead><tr><th scope=\"col\">id</th><th scope=\"col\">when</th><th scope=\"col\">actor</th><th scope=\"col\">action</th><th scope=\"col\">package</th><th scope=\"col\">rule</th><th scope=\"col\">reason</th><th scope=\"col\">approval</th></tr></thead><tbody>");
        foreach (var r in rows.Take(PageSize))
        {
            html.Append("<tr data-id=\"").Append(r.Id.ToString(CultureInfo.InvariantCulture)).Append("\"><td>").Append(r.Id.ToString(CultureInfo.InvariantCulture)).Append("</td><td>").Append(DashboardLayout.Time(r.At))
                .Append("</td><td>").Append(E(r.Actor)).Append("</td><td>").Append(E(r.Action)).Append("</td><td>")
                .Append(r.Name is null ? "" : PackageLink(r.Name) + (r.Version is null ? "" : "@" + E(r.Version))).Append("</td><td>").Append(E(r.Rule)).Append("</td><td>").Append(E(r.Reason))
                .Append("</td><td>").Append(r.ApprovalId is { } id ? "#" + id.ToString(CultureInfo.InvariantCulture) : "")
                .Append(r.ExpiresAt is { } x ? " until " + DashboardLayout.Time(x) : "").Append("</td></tr>");
        }

        if (rows.Count == 0)
        {
            html.Append("<tr><td colspan=\"8\">Nothing matches.</td></tr>");
        }

        html.Append("</tbody></table>");
        DashboardLayout.Pager(html, AuditPath, page, rows.Count > PageSize, filters);
        await DashboardLayout.EndAsync(ctx, html).ConfigureAwait(false);
    }

    public static async Task SummaryAsync(HttpContext ctx, GateService gate, GateToken? signedIn)
    {
        if (await DashboardLayout.RequireReaderAsync(ctx, signedIn).ConfigureAwait(false) is not { } token)
        {
            return;
        }

        var q = DashboardQuery.From(ctx);
        if (ctx.Request.Query.Count > 0)
        {
            q.Fail("the summary takes no parameters");
        }

        if (q.Errors.Count > 0)
        {
            await DashboardLayout.BadQueryAsync(ctx, "Summary", "Summary", token, q.Errors).ConfigureAwait(false);
            return;
        }

        var summary = await gate.Store.SummaryAsync(MaxSummaryReports, ctx.RequestAborted).ConfigureAwait(false);
        var tiers = new Dictionary<string, long>(StringComparer.Ordinal) { ["none"] = 0, ["provenance"] = 0, ["trusted-publisher"] = 0, ["staged-publish"] = 0 };
        foreach (var report in summary.EvidenceReports)
        {
            tiers.TryGetValue(Tier(report), out var n);
            tiers[Tier(report)] = n + 1;
        }

        var withheld = summary.WithheldByRule.Sum(w => w.Count);
        var html = DashboardLayout.Start("Summary", "Summary", token);
        html.Append("<p id=\"totals\">Served <b>").Append(summary.Served.ToString(CultureInfo.InvariantCulture)).Append("</b> versions; withheld <b>").Append(withheld.ToString(CultureInfo.InvariantCulture))
            .Append("</b> (version and rule); <a href=\"").Append(SearchPath).Append("?status=pending\">pending approvals</a> <b>").Append(summary.Pending.ToString(CultureInfo.InvariantCulture)).Append("</b>.</p>");
        SvgChart.Bars(html, "chart-overview", "Versions by outcome", [("served", summary.Served, "#2e7d32"), ("withheld (version, rule)", withheld, "#c62828"), ("pending approvals", summary.Pending, "#f9a825")]);
        SvgChart.Bars(html, "chart-rules", "Withheld by rule", summary.WithheldByRule.Select(w => (w.Rule, w.Count, "#c62828")).ToList());
        SvgChart.Bars(html, "chart-tiers", "Evidence tiers of the versions this gate verified", [
            ("none", tiers["none"], "#9e9e9e"), ("provenance", tiers["provenance"], "#66bb6a"), ("trusted-publisher", tiers["trusted-publisher"], "#2e7d32"), ("staged-publish", tiers["staged-publish"], "#1565c0"),
            .. tiers.Where(t => t.Key is not ("none" or "provenance" or "trusted-publisher" or "staged-publish")).Select(t => (t.Key, t.Value, "#6a1b9a")),
        ]);
        if (summary.EvidenceCapped)
        {
            html.Append("<p id=\"capped\">The tier chart counts the first ").Append(MaxSummaryReports.ToString(CultureInfo.InvariantCulture)).Append(" verified versions by name.</p>");
        }

        await DashboardLayout.EndAsync(ctx, html).ConfigureAwait(false);
    }

    /// <summary>Actions the gate writes (docs/gate.md); the filter also takes any other lower-case action a newer gate may write.</summary>
    public static readonly IReadOnlyList<string> KnownActions =
        ["requested", "granted", "denied", "withheld", "refused", "reported", "reverify", "confusion", "publish-rejected", "publish-refused", "publish-staged", "published", "publish-dropped", "publish-expired", "publish-failed"];

    /// <summary>The audit filters of the page and the export: actor (exact), action (exact), package (part of the name), from and to.</summary>
    internal static (AuditFilter Filter, (string? Actor, string? Package, string? From, string? To) Raw) ReadAuditFilter(DashboardQuery q)
    {
        var actor = q.Text("actor", 100);
        var action = q.Text("action", 40, c => char.IsAsciiLetterLower(c) || c == '-', "expected an action name (lower-case letters and '-')");
        var package = q.Text("package", DashboardQuery.MaxTextLength);
        var from = q.Time("from", endOfDay: false);
        var to = q.Time("to", endOfDay: true);
        if (from is { } f && to is { } t && t <= f)
        {
            q.Fail("to: must be after from");
        }

        // The raw texts go back into the form and the links exactly as given.
        return (new AuditFilter(actor, action, package, from, to), (actor, package, from is null ? null : q.Raw("from"), to is null ? null : q.Raw("to")));
    }

    private static string Tier(string reportJson)
    {
        using var doc = JsonInput.Parse(reportJson, Limits.MaxJsonDepth);
        return doc.RootElement.TryGetProperty("publisher", out var p) && p.ValueKind == JsonValueKind.Object && p.TryGetProperty("evidenceLevel", out var l) && l.ValueKind == JsonValueKind.String
            ? l.GetString() ?? "none"
            : "none";
    }

    private static void Input(StringBuilder html, string name, string label, string? value, int max) =>
        html.Append("<label for=\"f-").Append(name).Append("\">").Append(E(label)).Append("<input id=\"f-").Append(name).Append("\" name=\"").Append(name).Append("\" maxlength=\"")
            .Append(max.ToString(CultureInfo.InvariantCulture)).Append("\" value=\"").Append(E(value)).Append("\"></label>");

    // Only a valid npm name becomes a link (it is the package page's path); anything else is text.
    private static string PackageLink(string name) => GatePath.ValidName(name)
        ? $"<a href=\"{E(PackagePage.Prefix + name)}\">{E(name)}</a>"
        : E(name);
}
