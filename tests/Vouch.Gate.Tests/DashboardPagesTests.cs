using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Gate.Api;

namespace Vouch.Gate.Tests;

/// <summary>
/// Issue 19: the operator pages (search, audit log and its export, summary) and the digest over
/// HTTP: filters, pagination, 400 pages for bad query parameters, escaping of every value the log
/// holds, CSV formula neutralisation, roles.
/// </summary>
public class DashboardPagesTests
{
    // What an attacker can get into the log: actor names (token file), rule names (policy), package
    // names and reasons (request bodies, upstream packuments).
    private const string EvilActor = "<script>alert('actor')</script> \"mallory\" ünïcødé 🎉";
    private const string EvilRule = "<img src=x onerror=alert(1)>";
    private const string EvilReason = "=HYPERLINK(\"http://evil.example/\",\"click\") <b>bold</b>\n# heading ✓ ünï";

    [Fact]
    public async Task Search_WhenFilteredByStatusRuleAndPackage_ListsWhatTheGateSaw()
    {
        await using var gate = await SeededAsync();

        var withheld = await PageAsync(gate, "-/vouch/dashboard/search?status=withheld");
        Assert.Contains("<td><a href=\"/-/vouch/dashboard/package/sigstore\">sigstore</a></td><td>1.0.1</td><td><span class=\"badge withheld\">withheld</span></td><td>trust-downgrade</td>", withheld, StringComparison.Ordinal);
        Assert.DoesNotContain("<td>1.0.0</td>", withheld, StringComparison.Ordinal);

        var served = await PageAsync(gate, "-/vouch/dashboard/search?status=served&package=SIGS");
        Assert.Contains("<td>1.0.0</td><td><span class=\"badge served\">served</span>", served, StringComparison.Ordinal);
        Assert.DoesNotContain("badge withheld", served, StringComparison.Ordinal);

        var pending = await PageAsync(gate, "-/vouch/dashboard/search?status=pending&rule=trust-downgrade");
        Assert.Contains("<td>1.0.1</td><td><span class=\"badge pending\">pending</span>", pending, StringComparison.Ordinal);

        // Filter values are data: SQL and LIKE wildcards match literally, nothing is found, nothing fails.
        foreach (var q in new[] { "package=' OR 1=1 --", "package=%25", "package=_", "package=sigstore'); DROP TABLE audit_log; --", "rule=*" })
        {
            var html = await PageAsync(gate, "-/vouch/dashboard/search?" + q.Replace(" ", "%20", StringComparison.Ordinal).Replace("'", "%27", StringComparison.Ordinal).Replace(";", "%3B", StringComparison.Ordinal));
            Assert.Contains("Nothing matches.", html, StringComparison.Ordinal);
        }

        Assert.NotEmpty((await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/audit", GateFixture.ReaderToken))["entries"]!.AsArray());
    }

    [Fact]
    public async Task Search_WhenMoreThanOnePage_LinksPagesAndCapsThePageNumber()
    {
        await using var gate = await GateFixture.StartAsync();
        for (var i = 0; i < DashboardPages.PageSize + 5; i++)
        {
            await gate.Host.Store.AppendAuditAsync("gate", "withheld", $"pkg-{i:D3}", "1.0.0", "provenance", "no provenance");
        }

        var first = await PageAsync(gate, "-/vouch/dashboard/search?rule=provenance");
        Assert.Equal(DashboardPages.PageSize, Count(first, "<span class=\"badge withheld\">"));
        Assert.Contains("id=\"next\" rel=\"next\" href=\"/-/vouch/dashboard/search?rule=provenance&amp;page=2\"", first, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"prev\"", first, StringComparison.Ordinal);

        var second = await PageAsync(gate, "-/vouch/dashboard/search?rule=provenance&page=2");
        Assert.Equal(5, Count(second, "<span class=\"badge withheld\">"));
        Assert.DoesNotContain("id=\"next\"", second, StringComparison.Ordinal);
        Assert.Contains("id=\"prev\"", second, StringComparison.Ordinal);

        await PageAsync(gate, "-/vouch/dashboard/search?page=" + DashboardPages.MaxPage);
        await PageAsync(gate, "-/vouch/dashboard/search?page=" + (DashboardPages.MaxPage + 1), HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("search?status=bogus", "status: must be one of")]
    [InlineData("search?status=withheld&status=served", "status: given more than once")]
    [InlineData("search?page=0", "page: must be a whole number")]
    [InlineData("search?page=-1", "page: must be a whole number")]
    [InlineData("search?page=1e3", "page: must be a whole number")]
    [InlineData("search?page=99999999999999999999999", "page: must be a whole number")]
    [InlineData("search?rule=%3Cscript%3E", "rule: expected a rule name")]
    [InlineData("search?package=a%00b", "package: holds a control character")]
    [InlineData("search?package=%FF%FE", "not valid UTF-8")]
    [InlineData("search?package=%ED%A0%80", "not valid UTF-8")]
    [InlineData("search?package=%C0%AF", "not valid UTF-8")]
    [InlineData("audit?from=yesterday", "from: must be a date")]
    [InlineData("audit?from=2026-12-01T00:00:00", "from: must be a date")]
    [InlineData("audit?from=2026-12-02&to=2026-12-01", "to: must be after from")]
    [InlineData("audit?from=0001-01-01T00:00:00%2B01:00", "from: must be a date")]
    [InlineData("audit?to=9999-12-31T23:59:59-01:00", "to: must be a date")]
    [InlineData("audit/export?after=9223372036854775808", "after: must be a whole number")]
    [InlineData("audit?action=DROP%20TABLE", "action: expected an action name")]
    [InlineData("audit?page=abc&actor=x&actor=y", "actor: given more than once")]
    [InlineData("audit/export?format=xml", "format: must be one of csv, json")]
    [InlineData("audit/export?limit=0", "limit: must be a whole number")]
    [InlineData("audit/export?limit=100001", "limit: must be a whole number")]
    [InlineData("summary?x=1", "the summary takes no parameters")]
    public async Task Pages_WhenAQueryParameterIsInvalid_Answer400PageListingIt(string query, string expected)
    {
        await using var gate = await GateFixture.StartAsync();
        var html = await PageAsync(gate, "-/vouch/dashboard/" + query, HttpStatusCode.BadRequest);

        Assert.Contains("id=\"errors\"", html, StringComparison.Ordinal);
        Assert.Contains(GateCodes.BadRequest, html, StringComparison.Ordinal);
        Assert.Contains(WebUtility.HtmlEncode(expected), html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Pages_WhenQueryIsHuge_Answer400NotAServerError()
    {
        await using var gate = await GateFixture.StartAsync();
        var longName = new string('a', DashboardQuery.MaxTextLength + 1);
        Assert.Contains("package: longer than", await PageAsync(gate, "-/vouch/dashboard/search?package=" + longName, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        var huge = "-/vouch/dashboard/audit?" + string.Join('&', Enumerable.Range(0, 1000).Select(i => $"k{i}=v"));
        Assert.Contains("the query string is longer than", await PageAsync(gate, huge, HttpStatusCode.BadRequest), StringComparison.Ordinal);
        var text = await (await gate.SendAsync(HttpMethod.Get, "-/vouch/v1/digest?since=" + longName, GateFixture.ReaderToken)).Content.ReadAsStringAsync();
        Assert.Contains(GateCodes.BadRequest, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pages_WhenLogHoldsMarkupQuotesAndUnicode_EscapeEverything()
    {
        await using var gate = await SeededAsync();
        await gate.Host.Store.AppendAuditAsync(EvilActor, "withheld", "evil-pkg", "6.6.6", EvilRule, EvilReason);

        foreach (var path in new[] { "search?package=evil", "audit", "audit?actor=" + Uri.EscapeDataString(EvilActor), "summary" })
        {
            var html = await PageAsync(gate, "-/vouch/dashboard/" + path);
            Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<b>bold", html, StringComparison.Ordinal);
            Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html, StringComparison.Ordinal);
            if (path.StartsWith("audit", StringComparison.Ordinal))
            {
                Assert.Contains(EvilActor, WebUtility.HtmlDecode(html), StringComparison.Ordinal);
                Assert.Contains("&lt;script&gt;alert(&#39;actor&#39;)&lt;/script&gt; &quot;mallory&quot;", html, StringComparison.Ordinal);
            }
        }

        // The actor filter round-trips into the form's value attribute escaped, and matches exactly.
        var filtered = await PageAsync(gate, "-/vouch/dashboard/audit?actor=" + Uri.EscapeDataString(EvilActor));
        Assert.Contains("value=\"&lt;script&gt;alert(&#39;actor&#39;)", filtered, StringComparison.Ordinal);
        Assert.Equal(1, Count(filtered, "<tr data-id="));
    }

    [Fact]
    public async Task Export_WhenCsv_NeutralisesFormulasAndQuotesPerRfc4180()
    {
        await using var gate = await GateFixture.StartAsync();
        string[] starts = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "plain, with \"quotes\"\nand a newline"];
        foreach (var s in starts)
        {
            await gate.Host.Store.AppendAuditAsync(s, "reverify", "pkg", null, null, s);
        }

        using var response = await gate.SendAsync(HttpMethod.Get, "-/vouch/v1/audit/export?format=csv", GateFixture.ReaderToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition!.ToString(), StringComparison.Ordinal);
        var rows = ParseCsv(await response.Content.ReadAsStringAsync());

        Assert.Equal(["id", "at", "actor", "action", "approvalId", "name", "version", "rule", "reason", "expiresAt"], rows[0]);
        Assert.Equal(starts.Length + 1, rows.Count);
        for (var i = 0; i < starts.Length; i++)
        {
            var expected = starts[i][0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + starts[i] : starts[i];
            Assert.Equal(expected, rows[i + 1][2]);
            Assert.Equal(expected, rows[i + 1][8]);
        }

        // The timestamps (digits first) and ids are not touched.
        Assert.Matches("^[0-9]{4}-", rows[1][1]);
    }

    [Fact]
    public async Task Export_WhenLargerThanOneChunk_StreamsEveryRowOnceInOrder()
    {
        await using var gate = await GateFixture.StartAsync();
        const int Rows = 1234;
        var reason = new string('r', 100);
        for (var i = 0; i < Rows; i++)
        {
            await gate.Host.Store.AppendAuditAsync("bulk", "reverify", $"p{i}", null, null, reason);
        }

        var json = await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/audit/export?format=json&actor=bulk", GateFixture.ReaderToken);
        var ids = json["entries"]!.AsArray().Select(e => (long)e!["id"]!).ToList();
        Assert.Equal(Rows, ids.Count);
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());

        using var csv = await gate.SendAsync(HttpMethod.Get, "-/vouch/v1/audit/export?format=csv&actor=bulk", GateFixture.ReaderToken);
        var rows = ParseCsv(await csv.Content.ReadAsStringAsync());
        Assert.Equal(ids.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), rows.Skip(1).Select(r => r[0]));
    }

    [Theory]
    [InlineData(null, "")]
    [InlineData("", "")]
    [InlineData("safe", "safe")]
    [InlineData("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("@x,\"y\"", "\"'@x,\"\"y\"\"\"")]
    [InlineData(" =1", " =1")]
    public void CsvCell_WhenValueStartsWithFormulaCharacter_PrefixesApostrophe(string? value, string expected) =>
        Assert.Equal(expected, AuditExport.CsvCell(value));

    [Fact]
    public async Task Export_WhenJsonOverTheLimit_SaysTruncatedAndContinuesAfterTheLastId()
    {
        await using var gate = await GateFixture.StartAsync();
        for (var i = 0; i < 5; i++)
        {
            await gate.Host.Store.AppendAuditAsync("rita", "reverify", $"p{i}", null, null, null);
        }

        await gate.Host.Store.AppendAuditAsync("someone-else", "reverify", "p9", null, null, null);
        var first = await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/audit/export?format=json&actor=rita&limit=3", GateFixture.ReaderToken);
        Assert.Equal(["p0", "p1", "p2"], first["entries"]!.AsArray().Select(e => (string)e!["name"]!));
        Assert.True((bool)first["truncated"]!);
        var next = (long)first["nextAfter"]!;

        var rest = await gate.JsonAsync(HttpMethod.Get, $"-/vouch/v1/audit/export?format=json&actor=rita&limit=3&after={next}", GateFixture.ReaderToken);
        Assert.Equal(["p3", "p4"], rest["entries"]!.AsArray().Select(e => (string)e!["name"]!));
        Assert.False((bool)rest["truncated"]!);
        Assert.Null(rest["nextAfter"]);

        var future = await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/audit/export?format=json&from=2999-01-01", GateFixture.ReaderToken);
        Assert.Empty(future["entries"]!.AsArray());
        var today = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var inRange = await gate.JsonAsync(HttpMethod.Get, $"-/vouch/v1/audit/export?format=json&from={today}&to={today}&action=reverify&package=P9", GateFixture.ReaderToken);
        Assert.Equal("someone-else", (string)inRange["entries"]!.AsArray().Single()!["actor"]!);
    }

    [Fact]
    public async Task Pages_WhenNotSignedInOrNotAReader_AreRefused()
    {
        const string Publisher = "publisher-secret-0123456789";
        await using var gate = await GateFixture.StartAsync(configure: o => o with { Tokens = [.. GateFixture.Tokens, new GateToken("ci", GateRole.Publisher, Publisher)] });
        using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = gate.Host.Url };
        foreach (var page in new[] { "search", "audit", "summary", "audit/export" })
        {
            using var anonymous = await noRedirect.GetAsync("-/vouch/dashboard/" + page);
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
            using var publisher = await gate.SendAsync(HttpMethod.Get, "-/vouch/dashboard/" + page, Publisher);
            Assert.Equal(HttpStatusCode.Forbidden, publisher.StatusCode);
        }

        // The first dashboard page and the package page refuse a publisher token as well.
        foreach (var page in new[] { "-/vouch/dashboard", "-/vouch/dashboard/package/left-pad" })
        {
            using var publisher = await gate.SendAsync(HttpMethod.Get, page, Publisher);
            Assert.Equal(HttpStatusCode.Forbidden, publisher.StatusCode);
        }

        foreach (var api in new[] { "audit/export", "digest" })
        {
            using var anonymous = await gate.SendAsync(HttpMethod.Get, "-/vouch/v1/" + api);
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            using var publisher = await gate.SendAsync(HttpMethod.Get, "-/vouch/v1/" + api, Publisher);
            Assert.Equal(HttpStatusCode.Forbidden, publisher.StatusCode);
        }

        // The cookie the dashboard sets signs the pages in too.
        using var request = new HttpRequestMessage(HttpMethod.Get, "-/vouch/dashboard/summary");
        request.Headers.Add("Cookie", "vouch_token=" + Uri.EscapeDataString(GateFixture.ReaderToken));
        using var withCookie = await noRedirect.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, withCookie.StatusCode);
        var csp = withCookie.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("script-src", csp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Summary_WhenVersionsSeen_ChartsServedWithheldPendingAndTiers()
    {
        await using var gate = await SeededAsync();
        for (var i = 0; i < 4; i++)
        {
            await gate.Host.Store.PutCompleteEvidenceAsync($"tier-s{i}", "1.0.0", "sha512-x", "trust", Report("staged-publish"));
        }

        await gate.Host.Store.PutCompleteEvidenceAsync("tier-t", "1.0.0", "sha512-x", "trust", Report("staged-publish"));
        await gate.Host.Store.PutCompleteEvidenceAsync("tier-t", "1.0.0", "sha512-x", "other-trust", Report("staged-publish"));
        var html = await PageAsync(gate, "-/vouch/dashboard/summary");

        Assert.Contains("<figure id=\"chart-overview\">", html, StringComparison.Ordinal);
        Assert.Contains("<svg role=\"img\"", html, StringComparison.Ordinal);
        Assert.Matches("<title>trust-downgrade: 1</title>", html);
        // Four versions, and one verified under two trust materials that counts once.
        Assert.Contains("<title>staged-publish: 5</title>", html, StringComparison.Ordinal);
        Assert.Contains("<title>pending approvals: 1</title>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Digest_WhenEventsInPeriod_ListsThemAsEscapedMarkdown()
    {
        await using var gate = await SeededAsync();
        await gate.Host.Store.AppendAuditAsync(EvilActor, "withheld", "evil-pkg", "6.6.6", EvilRule, EvilReason);
        var approvals = (await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/approvals?status=pending", GateFixture.ReaderToken))["approvals"]!.AsArray();
        await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{(long)approvals[0]!["id"]!}/deny", GateFixture.ApproverToken, new { reason = "[click](javascript:alert(1))" });

        using var response = await gate.SendAsync(HttpMethod.Get, "-/vouch/v1/digest?since=1h", GateFixture.ReaderToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/markdown", response.Content.Headers.ContentType!.MediaType);
        var md = await response.Content.ReadAsStringAsync();

        Assert.StartsWith("# Vouch gate digest: ", md, StringComparison.Ordinal);
        Assert.Contains("## Withheld versions (2)", md, StringComparison.Ordinal);
        Assert.Contains("- sigstore\\@1\\.0\\.1: withheld by rule trust\\-downgrade", md, StringComparison.Ordinal);
        Assert.Contains("## Approval requests (1)", md, StringComparison.Ordinal);
        Assert.Contains("requested by rita", md, StringComparison.Ordinal);
        Assert.Contains("## Decisions (1)", md, StringComparison.Ordinal);
        Assert.Contains("**denied** by alice", md, StringComparison.Ordinal);
        Assert.Contains("\\[click\\]\\(javascript\\:alert\\(1\\)\\)", md, StringComparison.Ordinal);
        Assert.Contains("\\<img src\\=x onerror\\=alert\\(1\\)\\>", md, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", md, StringComparison.Ordinal);
        Assert.DoesNotContain("\n# heading", md, StringComparison.Ordinal);
        Assert.Contains("heading ✓ ünï", md, StringComparison.Ordinal);

        var empty = await (await gate.SendAsync(HttpMethod.Get, "-/vouch/v1/digest?since=2000-01-01&until=2000-01-02", GateFixture.ReaderToken)).Content.ReadAsStringAsync();
        Assert.Contains("## Withheld versions (0)", empty, StringComparison.Ordinal);
        using (var edge = await gate.SendAsync(HttpMethod.Get, "-/vouch/dashboard/audit?from=0001-01-01&to=9999-12-31", GateFixture.ReaderToken))
        {
            Assert.Equal(HttpStatusCode.OK, edge.StatusCode);
        }

        foreach (var bad in new[] { "since=yesterday", "since=400d", "since=99999d", "since=0001-01-01", "until=9999-12-31", "since=0h", "since=2000-01-02&until=2000-01-01", "since=1h&since=2h" })
        {
            using var refused = await gate.SendAsync(HttpMethod.Get, "-/vouch/v1/digest?" + bad, GateFixture.ReaderToken);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }
    }

    /// <summary>A gate that withheld sigstore@1.0.1 (trust downgrade), served 1.0.0, and has a pending request for 1.0.1.</summary>
    internal static async Task<GateFixture> SeededAsync()
    {
        var gate = await GateFixture.StartAsync(u => u.AddVersion("sigstore", "1.0.1", "2023-03-01T00:00:00.000Z"));
        using (var tgz = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz"))
        {
            Assert.Equal(HttpStatusCode.OK, tgz.StatusCode);
        }

        await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade", reason = "needed" }, 201);
        for (var i = 0; i < 100; i++)
        {
            var log = (await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/audit", GateFixture.ReaderToken))["entries"]!.AsArray();
            if (log.Any(e => (string?)e!["action"] == "withheld"))
            {
                return gate;
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException("the gate never logged sigstore@1.0.1 as withheld");
    }

    internal static string Report(string tier) =>
        new JsonObject
        {
            ["integrity"] = new JsonObject { ["status"] = "verified" },
            ["signature"] = new JsonObject { ["status"] = "verified" },
            ["provenance"] = new JsonObject { ["status"] = tier == "none" ? "absent" : "verified" },
            ["publisher"] = new JsonObject { ["evidenceLevel"] = tier },
            ["problems"] = new JsonArray(),
        }.ToJsonString();

    private static async Task<string> PageAsync(GateFixture gate, string path, HttpStatusCode expect = HttpStatusCode.OK)
    {
        using var response = await gate.SendAsync(HttpMethod.Get, path, GateFixture.ReaderToken);
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expect, $"{path}: expected {expect}, got {response.StatusCode}: {html}");
        return html;
    }

    private static int Count(string html, string needle)
    {
        var n = 0;
        for (var i = html.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = html.IndexOf(needle, i + 1, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    // RFC 4180: quoted fields may hold commas, doubled quotes and line breaks.
    private static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(cell.ToString());
                cell.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                row.Add(cell.ToString());
                cell.Clear();
                rows.Add(row);
                row = [];
                i++;
            }
            else
            {
                cell.Append(c);
            }
        }

        Assert.False(quoted, "unterminated quoted field");
        Assert.Empty(row);
        return rows;
    }
}
