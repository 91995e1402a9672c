using System.Text.Json.Nodes;

namespace Vouch.Gate.Tests;

/// <summary>The dashboard in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core from .tools) on loopback.</summary>
[Collection("clients")]
public class DashboardTests
{
    private const string Script = """
        const { chromium } = require('playwright-core');
        const fs = require('fs');
        (async () => {
          const [url, token, profile] = process.argv.slice(2);
          // A fresh profile directory per run (Playwright's form of --user-data-dir).
          const browser = await chromium.launchPersistentContext(profile, {
            executablePath: '/usr/bin/chromium',
            headless: true,
            args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                   '--disable-component-update', '--disable-sync'],
          });
          const out = {};
          try {
            const page = browser.pages()[0] || await browser.newPage();
            page.on('dialog', d => d.accept('looks fine'));
            await page.goto(url + '-/vouch/dashboard');
            out.loginForm = await page.isVisible('#token');
            await page.fill('#token', token);
            await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
            out.who = await page.textContent('#who');
            out.withheld = await page.textContent('#withheld');
            out.packages = await page.textContent('#packages');
            out.pendingBefore = await page.locator('#pending tr[data-id]').count();
            await Promise.all([page.waitForNavigation(), page.click('button.grant')]);
            out.pendingAfter = await page.locator('#pending tr[data-id]').count();
          } finally {
            await browser.close();
          }
          console.log(JSON.stringify(out));
        })().catch(e => { console.error(e); process.exit(1); });
        """;

    [Fact]
    public async Task Dashboard_WhenApproverSignsInAndGrants_ShowsWithheldVersionsAndDecides()
    {
        var modules = Path.Combine(ClientProcess.ToolsDir, "playwright", "node_modules");
        Assert.True(Directory.Exists(Path.Combine(modules, "playwright-core")), $"{modules}/playwright-core is missing: run scripts/install-tools");
        Assert.True(File.Exists("/usr/bin/chromium"), "/usr/bin/chromium is missing: apt-get install -y chromium");

        await using var gate = await GateFixture.StartAsync(u => u.AddVersion("sigstore", "1.0.1", "2023-03-01T00:00:00.000Z"));
        using (var warm = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz"))
        {
            Assert.Equal(System.Net.HttpStatusCode.OK, warm.StatusCode);
        }

        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade", reason = "<script>alert(1)</script>" }, 201);
        var dir = Path.Combine(gate.Directory, "browser");
        Directory.CreateDirectory(dir);
        var script = Path.Combine(dir, "dashboard.js");
        await File.WriteAllTextAsync(script, Script);

        var (exit, output) = await ClientProcess.RunAsync("node", dir, new Dictionary<string, string> { ["NODE_PATH"] = modules, ["HOME"] = dir },
            script, gate.Host.Url.ToString(), GateFixture.ApproverToken, Path.Combine(dir, "profile"));
        Assert.True(exit == 0, output);
        var result = JsonNode.Parse(output.Trim().Split('\n')[^1])!;

        Assert.True((bool)result["loginForm"]!);
        Assert.Equal("alice", (string)result["who"]!);
        Assert.Contains("sigstore@1.0.1", (string)result["withheld"]!, StringComparison.Ordinal);
        Assert.Contains("trust-downgrade", (string)result["withheld"]!, StringComparison.Ordinal);
        Assert.Contains("sigstore@1.0.0", (string)result["packages"]!, StringComparison.Ordinal);
        Assert.Contains("verified", (string)result["packages"]!, StringComparison.Ordinal);
        Assert.Equal(1, (int)result["pendingBefore"]!);
        Assert.Equal(0, (int)result["pendingAfter"]!);
        var approvals = (await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/approvals", GateFixture.ReaderToken))["approvals"]!.AsArray();
        var decided = approvals.Single(a => (long)a!["id"]! == (long)request["id"]!)!;
        Assert.Equal("granted", (string)decided["status"]!);
        Assert.Equal("alice", (string)decided["decidedBy"]!);
        Assert.Equal("looks fine", (string)decided["decisionReason"]!);
    }

    [Fact]
    public async Task Dashboard_WhenNoToken_ShowsOnlySignIn()
    {
        await using var gate = await GateFixture.StartAsync(u => u.AddVersion("sigstore", "1.0.1", "2023-03-01T00:00:00.000Z"));
        using var response = await gate.SendAsync(HttpMethod.Get, "-/vouch/dashboard");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Contains("id=\"token\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"pending\"", html, StringComparison.Ordinal);

        // Scripts run only by hash: markup that slipped past the encoder could not run. (The
        // Chromium test above shows the page's own scripts still run under this policy.)
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'sha256-", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("script-src 'unsafe-inline'", csp, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dashboard_WhenReasonHasMarkup_EscapesIt()
    {
        await using var gate = await GateFixture.StartAsync(u => u.AddVersion("sigstore", "1.0.1", "2023-03-01T00:00:00.000Z"));
        await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade", reason = "<script>alert(1)</script>" }, 201);
        using var response = await gate.SendAsync(HttpMethod.Get, "-/vouch/dashboard", GateFixture.ReaderToken);
        var html = await response.Content.ReadAsStringAsync();

        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(1)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("class=\"grant\"", html, StringComparison.Ordinal);
    }
}
