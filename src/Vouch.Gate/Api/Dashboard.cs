using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Vouch.Common.Json;

namespace Vouch.Gate.Api;

/// <summary>
/// The gate's web dashboard: server-rendered HTML (no front-end build). Packages seen with their
/// evidence badges, withheld versions with reasons, pending approvals with grant/deny buttons for
/// approvers. The only script calls the REST API with the token the user entered.
/// </summary>
internal static class Dashboard
{
    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin-bottom:2rem}
        td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}
        .badge{display:inline-block;padding:0 .4rem;border-radius:.3rem;font-size:.85em;color:#fff}
        .verified{background:#2a7}.invalid{background:#c33}.absent{background:#888}.withheld{background:#c60}
        button{margin-right:.3rem}
        """;

    // The page's two scripts, fixed text: the CSP allows exactly these by hash ('unsafe-inline' would
    // let any markup that escaped the encoder run).
    private const string LoginScript = """
        document.getElementById('login').addEventListener('submit', e => {
          e.preventDefault();
          document.cookie = 'vouch_token=' + encodeURIComponent(document.getElementById('token').value) + '; path=/-/vouch; SameSite=Strict';
          location.reload();
        });
        """;

    private const string ApproveScript = """
        const token = decodeURIComponent((document.cookie.split('; ').find(c => c.startsWith('vouch_token=')) || '').slice(12));
        const csrf = document.querySelector('meta[name=vouch-csrf]');
        const auth = token ? { 'Authorization': 'Bearer ' + token } : { 'X-Vouch-Csrf': csrf ? csrf.content : '' };
        for (const b of document.querySelectorAll('button.grant, button.deny')) {
          b.addEventListener('click', async () => {
            const action = b.classList.contains('grant') ? 'grant' : 'deny';
            const reason = prompt(action + ' approval ' + b.dataset.id + ': reason') || '';
            const r = await fetch('/-/vouch/v1/approvals/' + b.dataset.id + '/' + action, {
              method: 'POST', headers: Object.assign({ 'Content-Type': 'application/json' }, auth),
              body: JSON.stringify({ reason })
            });
            document.getElementById('status').textContent = r.ok ? action + 'ed ' + b.dataset.id : 'failed: ' + r.status;
            if (r.ok) { location.reload(); }
          });
        }
        """;

    private static readonly string Csp =
        $"default-src 'none'; script-src {Hash(LoginScript)} {Hash(ApproveScript)}; style-src 'unsafe-inline'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private static string Hash(string script) => $"'sha256-{Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(script)))}'";

    public static async Task RenderAsync(HttpContext ctx, GateService gate, GateToken? token, bool oidc = false)
    {
        // A publisher token reads nothing under /-/vouch: refused here as on every other page.
        if (token is not null && await DashboardLayout.RequireReaderAsync(ctx, token).ConfigureAwait(false) is null)
        {
            return;
        }

        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>vouch gate</title><style>").Append(Style).Append("</style></head><body>");
        html.Append("<h1>vouch gate</h1>");
        if (token is null)
        {
            html.Append("""
                {OIDC}<form id="login"><label>Gate token <input id="token" type="password" autocomplete="off"></label> <button type="submit">Sign in</button></form>
                """).Append("<script>").Append(LoginScript).Append("</script></body></html>");
            // Issue 19: OpenID Connect sign-in next to the token form.
            html.Replace("{OIDC}", oidc ? "<p><a id=\"oidc-signin\" href=\"/-/vouch/signin\">Sign in with your organisation's account</a></p>" : "");
            await WriteAsync(ctx, html, 200).ConfigureAwait(false);
            return;
        }

        var approver = token.Role >= GateRole.Approver;
        html.Append("<p>Signed in as <b id=\"who\">").Append(E(token.Name)).Append("</b> (").Append(E(token.Role.ToString().ToLowerInvariant())).Append("). Upstream: ")
            .Append(E(gate.Upstream.BaseUrl.ToString())).Append(". Policy: <code>").Append(E(gate.Decider.PolicyVersion)).Append("</code></p>");
        html.Append("<nav aria-label=\"dashboard\"><a href=\"/-/vouch/dashboard/search\">Search</a> · <a href=\"/-/vouch/dashboard/audit\">Audit log</a> · <a href=\"/-/vouch/dashboard/summary\">Summary</a></nav>");
        if (token.IsSession && SignIn.OidcSignIn.CsrfToken(ctx) is { } csrf)
        {
            // Issue 19: the session's anti-forgery token for grant/deny (header) and sign-out (form field).
            html.Append("<meta name=\"vouch-csrf\" content=\"").Append(E(csrf)).Append("\"><form id=\"signout\" method=\"post\" action=\"/-/vouch/signout\"><input type=\"hidden\" name=\"csrf\" value=\"")
                .Append(E(csrf)).Append("\"><button type=\"submit\">Sign out</button></form>");
        }

        var pending = await gate.Store.ListApprovalsAsync("pending", ctx.RequestAborted).ConfigureAwait(false);
        html.Append("<h2>Pending approvals</h2><table id=\"pending\"><tr><th>id</th><th>package</th><th>rule</th><th>requested by</th><th>reason</th>");
        html.Append(approver ? "<th>decide</th></tr>" : "</tr>");
        foreach (var a in pending)
        {
            html.Append("<tr data-id=\"").Append(a.Id).Append("\"><td>").Append(a.Id).Append("</td><td>").Append(E($"{a.Name}@{a.Version}")).Append("</td><td>").Append(E(a.Rule))
                .Append("</td><td>").Append(E(a.RequestedBy)).Append("</td><td>").Append(E(a.RequestReason ?? "")).Append("</td>");
            if (approver)
            {
                html.Append("<td><button class=\"grant\" data-id=\"").Append(a.Id).Append("\">Grant</button><button class=\"deny\" data-id=\"").Append(a.Id).Append("\">Deny</button></td>");
            }

            html.Append("</tr>");
        }

        html.Append("</table>");

        html.Append("<h2>Withheld versions</h2><table id=\"withheld\"><tr><th>package</th><th>rule</th><th>code</th><th>reason</th></tr>");
        foreach (var p in gate.CachedPackuments.OrderBy(p => p.Filtered.Name, StringComparer.Ordinal))
        {
            foreach (var w in p.Filtered.Withheld.Values.OrderBy(w => w.Version, StringComparer.Ordinal))
            {
                html.Append("<tr><td>").Append(E($"{p.Filtered.Name}@{w.Version}")).Append(" <span class=\"badge withheld\">withheld</span></td><td>").Append(E(w.First.Rule))
                    .Append("</td><td>").Append(E(w.First.Code)).Append("</td><td>").Append(E(w.First.Message)).Append("</td></tr>");
            }
        }

        html.Append("</table>");
        DryRun(html, gate);

        var evidence = await gate.Store.ListEvidenceAsync(1000, ctx.RequestAborted).ConfigureAwait(false);
        html.Append("<h2>Packages seen</h2><table id=\"packages\"><tr><th>package</th><th>integrity</th><th>signature</th><th>provenance</th><th>evidence</th><th>problems</th></tr>");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in evidence)
        {
            seen.Add(e.Name);
            using var doc = JsonInput.Parse(e.ReportJson, Limits.MaxJsonDepth);
            var r = doc.RootElement;
            html.Append("<tr><td>").Append(E($"{e.Name}@{e.Version}")).Append("</td><td>").Append(Badge(r.GetProperty("integrity").GetProperty("status").GetString()))
                .Append("</td><td>").Append(Badge(r.GetProperty("signature").GetProperty("status").GetString()))
                .Append("</td><td>").Append(Badge(r.GetProperty("provenance").GetProperty("status").GetString()))
                .Append("</td><td>").Append(E(r.GetProperty("publisher").GetProperty("evidenceLevel").GetString() ?? "none"))
                .Append("</td><td>").Append(E(string.Join("; ", r.GetProperty("problems").EnumerateArray().Select(p => p.GetProperty("code").GetString())))).Append("</td></tr>");
        }

        foreach (var p in gate.CachedPackuments.Where(p => !seen.Contains(p.Filtered.Name)).OrderBy(p => p.Filtered.Name, StringComparer.Ordinal))
        {
            html.Append("<tr><td>").Append(E(p.Filtered.Name)).Append("</td><td colspan=\"5\">packument served; no tarball verified yet</td></tr>");
        }

        html.Append("</table>");
        if (approver)
        {
            html.Append("""
                <p id="status"></p>
                """).Append("<script>").Append(ApproveScript).Append("</script>");
        }

        html.Append("</body></html>");
        await WriteAsync(ctx, html, 200).ConfigureAwait(false);
    }

    /// <summary>Issue 19: versions a rule in <c>mode: report</c> would withhold; offered to clients all the same.</summary>
    private static void DryRun(System.Text.StringBuilder html, GateService gate)
    {
        html.Append("<h2>Dry run (mode: report)</h2><table id=\"dry-run\"><tr><th>package</th><th>rule</th><th>code</th><th>reason</th></tr>");
        foreach (var p in gate.CachedPackuments.OrderBy(p => p.Filtered.Name, StringComparer.Ordinal))
        {
            foreach (var (version, findings) in p.Filtered.Reported.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                foreach (var f in findings)
                {
                    html.Append("<tr><td>").Append(E($"{p.Filtered.Name}@{version}")).Append(" <span class=\"badge report\">would withhold</span></td><td>").Append(E(f.Rule))
                        .Append("</td><td>").Append(E(f.Code)).Append("</td><td>").Append(E(f.Message)).Append("</td></tr>");
                }
            }
        }

        html.Append("</table>");
    }

    private static string Badge(string? status) => $"<span class=\"badge {(status is "verified" or "invalid" ? status : "absent")}\">{E(status ?? "absent")}</span>";

    private static string E(string s) => WebUtility.HtmlEncode(s);

    internal static async Task WriteAsync(HttpContext ctx, StringBuilder html, int status)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "text/html; charset=utf-8";
        ctx.Response.Headers["Content-Security-Policy"] = Csp;
        ctx.Response.Headers["X-Frame-Options"] = "DENY";
        ctx.Response.Headers.CacheControl = "no-store";
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(html.ToString()), ctx.RequestAborted).ConfigureAwait(false);
    }
}
