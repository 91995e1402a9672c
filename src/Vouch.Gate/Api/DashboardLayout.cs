using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Vouch.Gate.Api;

/// <summary>
/// Issue 19: the frame of the operator pages (search, audit log, summary): one stylesheet, the
/// navigation, the 400 page, and a Content-Security-Policy with no script at all (these pages are
/// plain forms and links; styles stay inline as on the existing dashboard). Every value goes through
/// <see cref="E"/>.
/// </summary>
internal static class DashboardLayout
{
    /// <summary>No script, no fetch, nothing from elsewhere; forms submit only to the gate.</summary>
    public const string Csp = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem;color:#222}
        nav ul{list-style:none;padding:0;display:flex;gap:1rem;flex-wrap:wrap}nav a[aria-current]{font-weight:700}
        table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
        form.filters{display:flex;flex-wrap:wrap;gap:.8rem;align-items:end;margin-bottom:1rem}form.filters label{display:flex;flex-direction:column;font-size:.9em}
        input,select,button{font:inherit;padding:.2rem .4rem}
        a:focus,input:focus,select:focus,button:focus{outline:3px solid #1565c0;outline-offset:2px}
        .badge{padding:0 .4rem;border-radius:.3rem;font-size:.85em}.served{background:#d1e7dd}.withheld{background:#f8d7da}.pending{background:#fff3cd}.approved{background:#cfe2ff}
        .error{border:2px solid #c33;padding:.5rem 1rem}.pager{display:flex;gap:1rem}
        figure{margin:0 0 2rem}figcaption{font-weight:600;margin-bottom:.3rem}
        """;

    /// <summary>The start of a page up to its heading; <paramref name="current"/> marks the page in the navigation.</summary>
    public static StringBuilder Start(string title, string current, GateToken token)
    {
        var html = new StringBuilder(8192);
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>").Append(E(title))
            .Append(" · vouch gate</title><style>").Append(Style).Append("</style></head><body><nav aria-label=\"dashboard\"><ul>");
        foreach (var (href, label) in new[] { ("/-/vouch/dashboard", "Dashboard"), ("/-/vouch/dashboard/search", "Search"), ("/-/vouch/dashboard/audit", "Audit log"), ("/-/vouch/dashboard/summary", "Summary") })
        {
            html.Append("<li><a href=\"").Append(href).Append('"').Append(label == current ? " aria-current=\"page\"" : "").Append('>').Append(label).Append("</a></li>");
        }

        html.Append("</ul></nav><main><h1>").Append(E(title)).Append("</h1><p>Signed in as <b id=\"who\">").Append(E(token.Name)).Append("</b> (")
            .Append(E(token.Role.ToString().ToLowerInvariant())).Append(").</p>");
        return html;
    }

    public static Task EndAsync(HttpContext ctx, StringBuilder html, int status = 200)
    {
        html.Append("</main></body></html>");
        return WriteAsync(ctx, html, status);
    }

    /// <summary>The 400 page: every problem with the query, and a way back.</summary>
    public static Task BadQueryAsync(HttpContext ctx, string title, string current, GateToken token, IReadOnlyList<string> errors)
    {
        var html = Start(title, current, token);
        html.Append("<div class=\"error\" role=\"alert\" id=\"errors\"><p><b>").Append(GateCodes.BadRequest).Append("</b>: the filters were not understood.</p><ul>");
        foreach (var e in errors)
        {
            html.Append("<li>").Append(E(e)).Append("</li>");
        }

        html.Append("</ul><p><a href=\"").Append(E(ctx.Request.Path.Value ?? "/-/vouch/dashboard")).Append("\">Start again without filters</a></p></div>");
        return EndAsync(ctx, html, 400);
    }

    /// <summary>
    /// The caller's token for a page: none → the sign-in page; a publisher token → 403 (it reads
    /// nothing of <c>/-/vouch</c>). Null when the answer was already written.
    /// </summary>
    public static async Task<GateToken?> RequireReaderAsync(HttpContext ctx, GateToken? token)
    {
        if (token is null)
        {
            ctx.Response.Redirect("/-/vouch/dashboard");
            return null;
        }

        if (token.Role < GateRole.Reader)
        {
            await GateJson.ErrorAsync(ctx, 403, GateCodes.Forbidden, $"'{token.Name}' is a {token.Role.ToString().ToLowerInvariant()} token; the dashboard needs the reader role or above").ConfigureAwait(false);
            return null;
        }

        return token;
    }

    /// <summary>A query string of the non-empty <paramref name="values"/>, each escaped as a URI component.</summary>
    public static string Query(params (string Key, string? Value)[] values)
    {
        var parts = values.Where(v => !string.IsNullOrEmpty(v.Value)).Select(v => v.Key + "=" + Uri.EscapeDataString(v.Value!)).ToList();
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }

    /// <summary>Previous/next links; <paramref name="hasNext"/> from reading one row more than a page.</summary>
    public static void Pager(StringBuilder html, string path, long page, bool hasNext, params (string Key, string? Value)[] filters)
    {
        html.Append("<nav class=\"pager\" aria-label=\"pages\">");
        if (page > 1)
        {
            html.Append("<a id=\"prev\" rel=\"prev\" href=\"").Append(E(path + Query([.. filters, ("page", (page - 1).ToString(CultureInfo.InvariantCulture))]))).Append("\">← previous page</a>");
        }

        html.Append("<span>page ").Append(page.ToString(CultureInfo.InvariantCulture)).Append("</span>");
        if (hasNext)
        {
            html.Append("<a id=\"next\" rel=\"next\" href=\"").Append(E(path + Query([.. filters, ("page", (page + 1).ToString(CultureInfo.InvariantCulture))]))).Append("\">next page →</a>");
        }

        html.Append("</nav>");
    }

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string E(string? s) => WebUtility.HtmlEncode(s ?? "");

    private static async Task WriteAsync(HttpContext ctx, StringBuilder html, int status)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "text/html; charset=utf-8";
        ctx.Response.Headers["Content-Security-Policy"] = Csp;
        ctx.Response.Headers["X-Frame-Options"] = "DENY";
        ctx.Response.Headers["X-Content-Type-Options"] = "nosniff";
        ctx.Response.Headers["Referrer-Policy"] = "no-referrer";
        ctx.Response.Headers.CacheControl = "no-store";
        await ctx.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(html.ToString()), ctx.RequestAborted).ConfigureAwait(false);
    }
}
