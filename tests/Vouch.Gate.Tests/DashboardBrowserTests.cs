using System.Globalization;
using System.Text.Json.Nodes;

namespace Vouch.Gate.Tests;

/// <summary>
/// Issue 19: the search, audit-log and summary pages in headless Chromium (Debian's /usr/bin/chromium
/// driven by playwright-core from .tools, as <see cref="DashboardTests"/>): signed in through the
/// dashboard's form, the search driven by the keyboard only, no console error or CSP violation, no
/// script, no request leaving the gate, markup in the log shown as text, and screenshots decoded and
/// checked (pages laid out, chart bars drawn in proportion to the counts).
/// </summary>
[Collection("clients")]
public class DashboardBrowserTests
{
    private const string Script = """
        const { chromium } = require('playwright-core');
        (async () => {
          const [url, token, profile, shots] = process.argv.slice(2);
          const browser = await chromium.launchPersistentContext(profile, {
            executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1,
            args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
          });
          const out = { console: [], pageErrors: [], dialogs: 0, foreign: [], shots: {} };
          const decode = async (png) => {
            const blank = await browser.newPage();
            try {
              return await blank.evaluate(async (b64) => {
                const img = new Image();
                img.src = 'data:image/png;base64,' + b64;
                await img.decode();
                const c = document.createElement('canvas');
                c.width = img.width; c.height = img.height;
                const g = c.getContext('2d');
                g.drawImage(img, 0, 0);
                const d = g.getImageData(0, 0, c.width, c.height).data;
                const counts = {};
                for (let i = 0; i < d.length; i += 4) {
                  const k = d[i] + ',' + d[i + 1] + ',' + d[i + 2];
                  counts[k] = (counts[k] || 0) + 1;
                }
                return { width: c.width, height: c.height, colours: Object.keys(counts).length, counts };
              }, png.toString('base64'));
            } finally {
              await blank.close();
            }
          };
          try {
            const page = browser.pages()[0] || await browser.newPage();
            page.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') out.console.push(m.text()); });
            page.on('pageerror', e => out.pageErrors.push(String(e)));
            page.on('dialog', d => { out.dialogs++; d.dismiss(); });
            page.on('request', r => { if (!r.url().startsWith(url) && !r.url().startsWith('data:')) out.foreign.push(r.url()); });

            await page.goto(url + '-/vouch/dashboard');
            await page.fill('#token', token);
            await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);

            // Search with the keyboard only: Tab to the package field, type, Tab to the status list,
            // choose by typing, Tab to the button, Enter.
            await page.goto(url + '-/vouch/dashboard/search');
            out.searchScripts = await page.locator('script').count();
            out.unlabelled = await page.evaluate(() => [...document.querySelectorAll('input,select,button')].filter(e => e.tagName !== 'BUTTON' && e.labels.length === 0).map(e => e.id));
            let tabs = 0;
            while (tabs < 20 && await page.evaluate(() => document.activeElement && document.activeElement.id) !== 'f-package') { await page.keyboard.press('Tab'); tabs++; }
            out.tabsToPackage = tabs;
            await page.keyboard.type('SIG');
            await page.keyboard.press('Tab');
            out.afterPackage = await page.evaluate(() => document.activeElement.id);
            await page.keyboard.press('Tab');
            out.afterRule = await page.evaluate(() => document.activeElement.id);
            await page.keyboard.type('withheld');
            await page.keyboard.press('Tab');
            out.afterStatus = await page.evaluate(() => document.activeElement.tagName + ':' + document.activeElement.textContent);
            await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
            out.searchUrl = page.url();
            out.results = await page.textContent('#results');
            out.resultsBox = await page.locator('#results').boundingBox();
            out.shots.search = await decode(await page.screenshot({ path: shots + '/search.png', fullPage: true }));

            await page.goto(url + '-/vouch/dashboard/audit');
            out.auditScripts = await page.locator('script').count();
            out.audit = await page.textContent('#audit');
            out.auditBox = await page.locator('#audit').boundingBox();
            out.navBox = await page.locator('nav').first().boundingBox();
            out.exportHref = await page.getAttribute('#export-csv', 'href');
            out.shots.audit = await decode(await page.screenshot({ path: shots + '/audit.png', fullPage: true }));

            await page.goto(url + '-/vouch/dashboard/summary');
            out.svgs = await page.locator('svg').count();
            out.tierDesc = await page.textContent('#chart-tiers desc');
            out.shots.tiers = await decode(await page.locator('#chart-tiers svg').screenshot({ path: shots + '/tiers.png' }));
            out.shots.summary = await decode(await page.screenshot({ path: shots + '/summary.png', fullPage: true }));

            out.consoleGood = [...out.console];
            const bad = await page.goto(url + '-/vouch/dashboard/search?status=%3Cscript%3Ealert(1)%3C/script%3E');
            out.badStatus = bad.status();
            out.badText = await page.textContent('#errors');
            out.tierCounts = out.shots.tiers.counts;
            for (const s of Object.values(out.shots)) { delete s.counts; }
          } finally {
            await browser.close();
          }
          console.log(JSON.stringify(out));
        })().catch(e => { console.error(e); process.exit(1); });
        """;

    [Fact]
    public async Task OperatorPages_WhenUsedWithKeyboardInChromium_RenderWithoutErrorsAndChartsInProportion()
    {
        var modules = Path.Combine(ClientProcess.ToolsDir, "playwright", "node_modules");
        Assert.True(Directory.Exists(Path.Combine(modules, "playwright-core")), $"{modules}/playwright-core is missing: run scripts/install-tools");
        Assert.True(File.Exists("/usr/bin/chromium"), "/usr/bin/chromium is missing: apt-get install -y chromium");

        await using var gate = await DashboardPagesTests.SeededAsync();
        await gate.Host.Store.AppendAuditAsync("<script>alert('actor')</script> ünï", "withheld", "evil-pkg", "6.6.6", "<img src=x onerror=alert(1)>", "\"quoted\" 🎉");
        for (var i = 0; i < 6; i++)
        {
            await gate.Host.Store.PutCompleteEvidenceAsync($"staged-{i}", "1.0.0", "sha512-x", "trust", DashboardPagesTests.Report("staged-publish"));
        }

        for (var i = 0; i < 2; i++)
        {
            await gate.Host.Store.PutCompleteEvidenceAsync($"none-{i}", "1.0.0", "sha512-x", "trust", DashboardPagesTests.Report("none"));
        }

        var dir = Path.Combine(gate.Directory, "browser");
        var shots = Path.Combine(dir, "shots");
        Directory.CreateDirectory(shots);
        var script = Path.Combine(dir, "pages.js");
        await File.WriteAllTextAsync(script, Script);
        var (exit, output) = await ClientProcess.RunAsync("node", dir, new Dictionary<string, string> { ["NODE_PATH"] = modules, ["HOME"] = dir },
            script, gate.Host.Url.ToString(), GateFixture.ReaderToken, Path.Combine(dir, "profile"), shots);
        Assert.True(exit == 0, output);
        var r = JsonNode.Parse(output.Trim().Split('\n')[^1])!;

        // Nothing failed, nothing ran, nothing left the gate.
        Assert.Empty(r["consoleGood"]!.AsArray());
        // The 400 page itself is the only thing Chromium reports (the status, not a CSP violation).
        Assert.All(r["console"]!.AsArray(), m => Assert.Contains("400", (string)m!, StringComparison.Ordinal));
        Assert.Empty(r["pageErrors"]!.AsArray());
        Assert.Equal(0, (int)r["dialogs"]!);
        Assert.Empty(r["foreign"]!.AsArray());
        Assert.Equal(0, (int)r["searchScripts"]!);
        Assert.Equal(0, (int)r["auditScripts"]!);

        // Keyboard: every field labelled, reached by Tab in order, the form submitted with Enter.
        Assert.Empty(r["unlabelled"]!.AsArray());
        Assert.InRange((int)r["tabsToPackage"]!, 1, 8);
        Assert.Equal("f-rule", (string)r["afterPackage"]!);
        Assert.Equal("f-status", (string)r["afterRule"]!);
        Assert.Equal("BUTTON:Search", (string)r["afterStatus"]!);
        Assert.Contains("package=SIG", (string)r["searchUrl"]!, StringComparison.Ordinal);
        Assert.Contains("status=withheld", (string)r["searchUrl"]!, StringComparison.Ordinal);
        var results = (string)r["results"]!;
        Assert.Contains("sigstore1.0.1withheldtrust-downgrade", results, StringComparison.Ordinal);
        Assert.DoesNotContain("evil-pkg", results, StringComparison.Ordinal);

        // Markup from the log is text on the page.
        var audit = (string)r["audit"]!;
        Assert.Contains("<script>alert('actor')</script> ünï", audit, StringComparison.Ordinal);
        Assert.Contains("<img src=x onerror=alert(1)>", audit, StringComparison.Ordinal);
        Assert.Contains("\"quoted\" 🎉", audit, StringComparison.Ordinal);
        Assert.StartsWith("/-/vouch/dashboard/audit/export?format=csv", (string)r["exportHref"]!, StringComparison.Ordinal);

        // Layout: navigation above the table, tables wide, screenshots not blank.
        Assert.True((double)r["navBox"]!["y"]! < (double)r["auditBox"]!["y"]!, "the navigation is not above the audit table");
        Assert.True((double)r["auditBox"]!["width"]! > 600, "the audit table is not laid out across the page");
        Assert.True((double)r["resultsBox"]!["width"]! > 600, "the results table is not laid out across the page");
        foreach (var name in new[] { "search", "audit", "summary" })
        {
            var shot = r["shots"]![name]!;
            Assert.True((int)shot["width"]! >= 1200 && (int)shot["height"]! >= 300, $"{name}: {shot}");
            Assert.True((int)shot["colours"]! > 20, $"{name} screenshot looks blank: {shot}");
            Assert.True(new FileInfo(Path.Combine(shots, name + ".png")).Length > 5000, $"{name}.png is nearly empty");
        }

        // The tier chart: each bar's area in the screenshot matches its count (360 px for the largest, 20 px high).
        Assert.Equal(3, (int)r["svgs"]!);
        var desc = ((string)r["tierDesc"]!).Split("; ").Select(p => p.Split(": ")).ToDictionary(p => p[0], p => int.Parse(p[1], CultureInfo.InvariantCulture));
        Assert.True(desc["staged-publish"] >= 6, (string)r["tierDesc"]!);
        var max = desc.Values.Max();
        var counts = r["tierCounts"]!.AsObject();
        foreach (var (tier, colour) in new[] { ("none", "#9e9e9e"), ("provenance", "#66bb6a"), ("trusted-publisher", "#2e7d32"), ("staged-publish", "#1565c0") })
        {
            var key = string.Join(',', new[] { 1, 3, 5 }.Select(o => int.Parse(colour.AsSpan(o, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)));
            var pixels = (int?)counts[key] ?? 0;
            var expected = desc[tier] == 0 ? 0 : Math.Max(2, (int)Math.Round((double)desc[tier] / max * 360)) * 20;
            Assert.True(Math.Abs(pixels - expected) <= expected / 10 + 40, $"{tier}: {pixels} pixels of {colour}, expected about {expected} for {desc[tier]} of {max}");
        }

        Assert.Equal(400, (int)r["badStatus"]!);
        Assert.Contains("status: must be one of", (string)r["badText"]!, StringComparison.Ordinal);
    }
}
