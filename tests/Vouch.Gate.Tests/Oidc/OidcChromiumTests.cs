using System.Text.Json.Nodes;

namespace Vouch.Gate.Tests.Oidc;

/// <summary>Issue 19's proof "OIDC sign-in in Chromium": Debian's headless Chromium, driven by playwright-core from .tools, as <see cref="DashboardTests"/> runs it.</summary>
[Collection("clients")]
public class OidcChromiumTests
{
    private const string Script = """
        const { chromium } = require('playwright-core');
        (async () => {
          const [url, profile] = process.argv.slice(2);
          const browser = await chromium.launchPersistentContext(profile, {
            executablePath: '/usr/bin/chromium',
            headless: true,
            args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
                   '--disable-component-update', '--disable-sync'],
          });
          const out = { console: [] };
          try {
            const page = browser.pages()[0] || await browser.newPage();
            page.on('console', m => { if (m.type() === 'error') out.console.push(m.text()); });
            page.on('pageerror', e => out.console.push(String(e)));
            page.on('dialog', d => d.accept('reviewed in the browser'));
            await page.goto(url + '-/vouch/dashboard');
            out.signInLink = await page.isVisible('#oidc-signin');
            await Promise.all([page.waitForURL(url + '-/vouch/dashboard'), page.click('#oidc-signin')]);
            await page.waitForSelector('#who');
            out.who = await page.textContent('#who');
            out.cookies = (await browser.cookies(url + '-/vouch/dashboard')).map(c => ({ name: c.name, secure: c.secure, httpOnly: c.httpOnly, sameSite: c.sameSite }));
            out.pendingBefore = await page.locator('#pending tr[data-id]').count();
            await Promise.all([page.waitForNavigation(), page.click('button.grant')]);
            out.pendingAfter = await page.locator('#pending tr[data-id]').count();
            await Promise.all([page.waitForNavigation(), page.click('#signout button[type=submit]')]);
            out.signedOut = !(await page.isVisible('#who')) && await page.isVisible('#oidc-signin');
          } finally {
            await browser.close();
          }
          console.log(JSON.stringify(out));
        })().catch(e => { console.error(e); process.exit(1); });
        """;

    [Fact]
    public async Task Chromium_WhenApproverSignsInThroughProvider_SeesDashboardAndGrants()
    {
        var modules = Path.Combine(ClientProcess.ToolsDir, "playwright", "node_modules");
        Assert.True(Directory.Exists(Path.Combine(modules, "playwright-core")), $"{modules}/playwright-core is missing: run scripts/install-tools");
        Assert.True(File.Exists("/usr/bin/chromium"), "/usr/bin/chromium is missing: apt-get install -y chromium");

        var (gate, provider) = await OidcSignInTests.StartAsync();
        await using var _ = gate;
        await using var __ = provider;
        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade", reason = "<img src=x onerror=alert(1)>" }, 201);
        var dir = Path.Combine(gate.Directory, "browser");
        Directory.CreateDirectory(dir);
        var script = Path.Combine(dir, "oidc.js");
        await File.WriteAllTextAsync(script, Script);

        var (exit, output) = await ClientProcess.RunAsync("node", dir, new Dictionary<string, string> { ["NODE_PATH"] = modules, ["HOME"] = dir },
            script, gate.Host.Url.ToString(), Path.Combine(dir, "profile"));
        Assert.True(exit == 0, output);
        var result = JsonNode.Parse(output.Trim().Split('\n')[^1])!;

        Assert.True((bool)result["signInLink"]!);
        Assert.Equal("oidc:alice", (string)result["who"]!);
        Assert.Equal(1, provider.TokensIssued);
        var session = result["cookies"]!.AsArray().Single(c => (string)c!["name"]! == "vouch_session")!;
        Assert.True((bool)session["secure"]!);
        Assert.True((bool)session["httpOnly"]!);
        Assert.Equal("Lax", (string)session["sameSite"]!);
        Assert.Equal(1, (int)result["pendingBefore"]!);
        Assert.Equal(0, (int)result["pendingAfter"]!);
        Assert.True((bool)result["signedOut"]!);
        Assert.Empty(result["console"]!.AsArray());
        var decided = (await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/approvals", GateFixture.ReaderToken))["approvals"]!.AsArray().Single(a => (long)a!["id"]! == (long)request["id"]!)!;
        Assert.Equal("granted", (string)decided["status"]!);
        Assert.Equal("oidc:alice", (string)decided["decidedBy"]!);
        Assert.Equal("reviewed in the browser", (string)decided["decisionReason"]!);
    }
}
