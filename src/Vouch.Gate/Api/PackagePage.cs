using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Vouch.Npm;
using Vouch.Common.Json;

namespace Vouch.Gate.Api;

/// <summary>
/// Issue 19: one package on one page, <c>/-/vouch/dashboard/package/NAME</c>. Every version the
/// upstream lists on a timeline per release line (major, or 0.minor), oldest first, with what the gate
/// decided (offered, withheld by a rule, dry-run report) and, where it verified the version, the
/// evidence: publisher tier, registry signature key, and provenance as npm's page shows it and more
/// (repository and commit linked, workflow and ref, builder, trigger, run, transparency-log index
/// linked to the log's search, certificate identity and issuer, publish attestation and its time).
/// A version whose tier is lower than an earlier one in its line is marked as a trust downgrade.
/// Server-rendered, every value HTML-escaped, links only to https URLs, the dashboard's CSP.
/// </summary>
internal static class PackagePage
{
    public const string Prefix = "/-/vouch/dashboard/package/";

    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}
        td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}.downgrade{background:#fde2e1}
        .badge{padding:0 .4rem;border-radius:.3rem;font-size:.85em}.withheld{background:#f8d7da}.offered{background:#d1e7dd}.report{background:#fff3cd}
        dl{margin:0;display:grid;grid-template-columns:max-content 1fr;gap:0 .6rem}dt{font-weight:600}dd{margin:0;word-break:break-all}
        """;

    public static async Task RenderAsync(HttpContext ctx, GateService gate, GateToken? signedIn, string name)
    {
        if (await DashboardLayout.RequireReaderAsync(ctx, signedIn).ConfigureAwait(false) is null)
        {
            return;
        }

        if (!GatePath.ValidName(name))
        {
            await GateJson.ErrorAsync(ctx, 400, GateCodes.BadPath, "not a valid package name").ConfigureAwait(false);
            return;
        }

        var result = await gate.GetPackumentAsync(name).ConfigureAwait(false);
        if (result.Entry is not { } entry)
        {
            await GateJson.ErrorAsync(ctx, 404, result.Code ?? GateCodes.NotFound, result.Error ?? $"{name} is not in the upstream registry").ConfigureAwait(false);
            return;
        }

        var f = entry.Filtered;
        var evidence = new Dictionary<string, JsonDocument>(StringComparer.Ordinal);
        try
        {
            foreach (var e in await gate.Store.ListEvidenceForAsync(name, 5000, ctx.RequestAborted).ConfigureAwait(false))
            {
                if (!evidence.ContainsKey(e.Version))
                {
                    evidence[e.Version] = JsonInput.Parse(e.ReportJson, Limits.MaxJsonDepth);
                }
            }

            var html = new StringBuilder();
            html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(name)).Append(" · vouch gate</title><style>").Append(Style).Append("</style></head><body>");
            html.Append("<p><a href=\"/-/vouch/dashboard\">← dashboard</a></p><h1 id=\"package\">").Append(E(name)).Append("</h1>");
            html.Append("<p>Policy <code>").Append(E(gate.Decider.PolicyVersion)).Append("</code>. ").Append(f.Upstream.Versions.Count).Append(" versions; ")
                .Append(f.Withheld.Count).Append(" withheld; ").Append(evidence.Count).Append(" verified by this gate.</p>");

            await WatchEvents(html, gate, name, ctx.RequestAborted).ConfigureAwait(false);
            await Reviews(html, gate, name, ctx.RequestAborted).ConfigureAwait(false);
            await Approvals(html, gate, name, ctx.RequestAborted).ConfigureAwait(false);

            var lines = f.Upstream.Versions.Values
                .GroupBy(v => v.Version.Major > 0 ? $"{v.Version.Major}.x" : $"0.{v.Version.Minor}.x")
                .OrderByDescending(g => g.Max(v => v.Version));
            foreach (var line in lines)
            {
                html.Append("<h2>").Append(E(line.Key)).Append("</h2><table class=\"timeline\" data-line=\"").Append(E(line.Key)).Append("\"><tr><th>version</th><th>published</th><th>gate</th><th>tier</th><th>provenance</th><th>signature, publish attestation</th></tr>");
                var best = -1;
                foreach (var v in line.OrderBy(v => f.Upstream.Time.TryGetValue(v.Version.ToString(), out var t) ? t : DateTimeOffset.MaxValue).ThenBy(v => v.Version))
                {
                    var key = v.Version.ToString();
                    evidence.TryGetValue(key, out var doc);
                    var r = doc?.RootElement;
                    var tier = r is { } re ? Str(re, "publisher", "evidenceLevel") ?? "none" : null;
                    var rank = tier switch { "staged-publish" => 3, "trusted-publisher" => 2, "provenance" => 1, "none" => 0, _ => -1 };
                    var downgrade = rank >= 0 && rank < best;
                    best = Math.Max(best, rank);
                    html.Append("<tr id=\"v-").Append(E(key)).Append('"').Append(downgrade ? " class=\"downgrade\"" : "").Append("><td>").Append(E(key)).Append("</td><td>")
                        .Append(f.Upstream.Time.TryGetValue(key, out var published) ? E(published.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)) : "")
                        .Append("</td><td>");
                    if (f.Withheld.TryGetValue(key, out var w))
                    {
                        html.Append("<span class=\"badge withheld\">withheld</span> ").Append(E(w.First.Rule)).Append(" <code>").Append(E(w.First.Code)).Append("</code><br>").Append(E(w.First.Message));
                    }
                    else
                    {
                        html.Append("<span class=\"badge offered\">offered</span>");
                    }

                    if (f.Reported.TryGetValue(key, out var reported))
                    {
                        foreach (var x in reported)
                        {
                            html.Append("<br><span class=\"badge report\">dry run</span> ").Append(E(x.Rule)).Append(" <code>").Append(E(x.Code)).Append("</code>");
                        }
                    }

                    var npmUser = v.NpmUser is { } u ? u.Name : null;
                    html.Append("</td><td>").Append(tier is null ? "not verified yet" : E(tier)).Append(downgrade ? " <b>trust downgrade</b>" : "")
                        .Append(npmUser is null ? "" : "<br>published by " + E(npmUser)).Append("</td><td>");
                    if (r is { } rep)
                    {
                        Provenance(html, rep);
                        html.Append("</td><td><dl><dt>signature</dt><dd>").Append(E(Str(rep, "signature", "status") ?? "")).Append(' ').Append(E(Str(rep, "signature", "keyId") ?? ""))
                            .Append("</dd><dt>publish attestation</dt><dd>").Append(E(Str(rep, "publishAttestation", "status") ?? ""))
                            .Append(Num(rep, "publishAttestation", "logIndex") is { } pi ? $" (log index {LogLink(pi)})" : "")
                            .Append(Str(rep, "publishAttestation", "integratedTime") is { } it ? " integrated " + E(it) : "").Append("</dd>");
                        var problems = rep.TryGetProperty("problems", out var ps) && ps.ValueKind == JsonValueKind.Array ? ps.EnumerateArray().Select(p => p.TryGetProperty("code", out var c) ? c.GetString() : null).Where(c => c is not null).ToList() : [];
                        if (problems.Count > 0)
                        {
                            html.Append("<dt>problems</dt><dd>").Append(E(string.Join(", ", problems))).Append("</dd>");
                        }

                        html.Append("</dl>");
                    }
                    else
                    {
                        html.Append("</td><td>");
                    }

                    html.Append("</td></tr>");
                }

                html.Append("</table>");
            }

            html.Append("</body></html>");
            await Dashboard.WriteAsync(ctx, html, 200).ConfigureAwait(false);
        }
        finally
        {
            foreach (var d in evidence.Values)
            {
                d.Dispose();
            }
        }
    }

    // Issue 16: what `vouch watch` reported about this package, newest first; a version it quarantined
    // shows whether it is still withheld for that reason.
    private static async Task WatchEvents(StringBuilder html, GateService gate, string name, CancellationToken ct)
    {
        var events = await gate.Store.WatchEventsForAsync(name, 200, ct).ConfigureAwait(false);
        if (events.Count == 0)
        {
            return;
        }

        var quarantines = gate.Approvals.QuarantinesFor(name);
        html.Append("<h2 id=\"watch\">Watch events</h2><table class=\"watch\"><tr><th>received</th><th>version</th><th>event</th><th>severity</th><th>detail</th><th>gate</th></tr>");
        foreach (var e in events)
        {
            var quarantined = quarantines.ContainsKey(e.Version);
            html.Append("<tr data-event=\"").Append(E(e.EventId)).Append("\"><td>").Append(E(e.ReceivedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)))
                .Append("</td><td>").Append(E(e.Version)).Append(e.PreviousVersion is { } pv ? " (after " + E(pv) + ")" : "")
                .Append("</td><td>").Append(E(e.Kind)).Append(" <code>").Append(E(e.Code)).Append("</code></td><td>").Append(E(e.Severity))
                .Append("</td><td>").Append(E(e.Detail)).Append("</td><td>")
                .Append(!e.Quarantine ? "shown only" : quarantined ? "<span class=\"badge withheld\">quarantined</span> pending approval" : "quarantine lifted")
                .Append("</td></tr>");
        }

        html.Append("</table>");
    }

    // Issue 17: the reviews the gate stores for this package (each verified against the version's
    // tarball and the policy's web of trust before it was stored), newest version first.
    private static async Task Reviews(StringBuilder html, GateService gate, string name, CancellationToken ct)
    {
        var reviews = await gate.Store.ListReviewsAsync(name, null, 500, ct).ConfigureAwait(false);
        if (reviews.Count == 0)
        {
            return;
        }

        html.Append("<h2 id=\"reviews\">Reviews</h2><table class=\"reviews\"><tr><th>version</th><th>reviewer</th><th>criteria</th><th>delta from</th><th>submitted</th></tr>");
        foreach (var r in reviews.OrderByDescending(r => Vouch.Npm.SemVersion.TryParse(r.Version, out var v) ? v : null).ThenBy(r => r.Id))
        {
            html.Append("<tr data-review=\"").Append(r.Id).Append("\"><td>").Append(E(r.Version)).Append("</td><td>").Append(E(r.Reviewer))
                .Append("</td><td>").Append(E(string.Join(", ", r.Criteria))).Append("</td><td>").Append(E(r.DeltaFrom ?? "(full review)"))
                .Append("</td><td>").Append(E(r.SubmittedBy)).Append(", ").Append(E(r.SubmittedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)))
                .Append("</td></tr>");
        }

        html.Append("</table>");
    }

    // Issue 19: who asked to lift which rule for which version, and what was decided (newest first).
    private static async Task Approvals(StringBuilder html, GateService gate, string name, CancellationToken ct)
    {
        var approvals = await gate.Store.ListApprovalsForAsync(name, 200, ct).ConfigureAwait(false);
        if (approvals.Count == 0)
        {
            return;
        }

        static string When(DateTimeOffset? t) => t is { } at ? at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "";
        html.Append("<h2 id=\"approvals\">Approvals</h2><table class=\"approvals\"><tr><th>id</th><th>version</th><th>rule</th><th>status</th><th>requested</th><th>decided</th><th>expires</th></tr>");
        foreach (var a in approvals)
        {
            html.Append("<tr data-approval=\"").Append(a.Id).Append("\"><td>").Append(a.Id).Append("</td><td>").Append(E(a.Version)).Append("</td><td>").Append(E(a.Rule))
                .Append("</td><td>").Append(E(a.Status)).Append("</td><td>").Append(E(a.RequestedBy)).Append(", ").Append(E(When(a.RequestedAt)))
                .Append(a.RequestReason is { } rr ? ": " + E(rr) : "").Append("</td><td>")
                .Append(a.DecidedBy is { } by ? E(by) + ", " + E(When(a.DecidedAt)) + (a.DecisionReason is { } dr ? ": " + E(dr) : "") : "")
                .Append("</td><td>").Append(E(When(a.ExpiresAt))).Append("</td></tr>");
        }

        html.Append("</table>");
    }

    private static void Provenance(StringBuilder html, JsonElement r)
    {
        var status = Str(r, "provenance", "status") ?? "absent";
        html.Append("<dl><dt>status</dt><dd>").Append(E(status)).Append("</dd>");
        var repo = Str(r, "provenance", "sourceRepository");
        var commit = Str(r, "provenance", "sourceCommit");
        Row(html, "repository", repo, Https(repo));
        var commitLink = Https(repo) is { } rl && commit is not null && commit.All(char.IsAsciiHexDigit) && rl.StartsWith("https://github.com/", StringComparison.Ordinal)
            ? rl.TrimEnd('/') + "/commit/" + commit
            : null;
        Row(html, "commit", commit, commitLink);
        Row(html, "workflow", Str(r, "provenance", "workflowPath") is { } wp ? wp + (Str(r, "provenance", "sourceRef") is { } sr ? " @ " + sr : "") : null, null);
        Row(html, "builder", Str(r, "provenance", "builderId"), null);
        Row(html, "trigger", Str(r, "provenance", "buildTrigger"), null);
        Row(html, "run", Str(r, "provenance", "invocationUrl"), Https(Str(r, "provenance", "invocationUrl")));
        Row(html, "runner", Str(r, "provenance", "runnerEnvironment"), null);
        Row(html, "certificate identity", Str(r, "provenance", "certificateIdentity"), null);
        Row(html, "issuer", Str(r, "provenance", "issuer"), null);
        if (Num(r, "provenance", "logIndex") is { } li)
        {
            html.Append("<dt>transparency log</dt><dd>index ").Append(LogLink(li)).Append("</dd>");
        }

        html.Append("</dl>");
    }

    private static void Row(StringBuilder html, string label, string? value, string? link)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        html.Append("<dt>").Append(E(label)).Append("</dt><dd>");
        if (link is not null)
        {
            html.Append("<a rel=\"noreferrer\" href=\"").Append(E(link)).Append("\">").Append(E(value)).Append("</a>");
        }
        else
        {
            html.Append(E(value));
        }

        html.Append("</dd>");
    }

    // Only https links, whatever the evidence says: a javascript: or data: URL must never become a link.
    private static string? Https(string? url) => url is not null && Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Scheme == "https" && string.IsNullOrEmpty(u.UserInfo) ? u.AbsoluteUri : null;

    private static string LogLink(long index) =>
        $"<a rel=\"noreferrer\" href=\"https://search.sigstore.dev/?logIndex={index.ToString(CultureInfo.InvariantCulture)}\">{index.ToString(CultureInfo.InvariantCulture)}</a>";

    private static string? Str(JsonElement r, string obj, string field) =>
        r.TryGetProperty(obj, out var o) && o.ValueKind == JsonValueKind.Object && o.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Num(JsonElement r, string obj, string field) =>
        r.TryGetProperty(obj, out var o) && o.ValueKind == JsonValueKind.Object && o.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : null;

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
