using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Vouch.Survey.Tests;

/// <summary>
/// The HTML report in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core from
/// .tools): the charts render (pixels of each tier's colour in a screenshot, in proportion to the
/// counts), nothing runs and nothing is fetched, and markup in registry-controlled names stays text.
/// </summary>
public sealed class SurveyBrowserTests
{
    private const string Script = """
        const { chromium } = require('playwright-core');
        const fs = require('fs');
        (async () => {
          const [url, profile, shot] = process.argv.slice(2);
          const browser = await chromium.launchPersistentContext(profile, {
            executablePath: '/usr/bin/chromium', headless: true,
            args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
          });
          const out = { requests: [], dialogs: 0, errors: [] };
          try {
            const page = browser.pages()[0] || await browser.newPage();
            page.on('request', r => out.requests.push(r.url()));
            page.on('dialog', d => { out.dialogs++; d.dismiss(); });
            page.on('pageerror', e => out.errors.push(String(e)));
            await page.goto(url);
            out.scripts = await page.locator('script').count();
            out.svgs = await page.locator('svg').count();
            out.downgradeTable = await page.textContent('table:last-of-type');
            const png = await page.locator('svg').first().screenshot({ path: shot });
            // Decode the screenshot in a blank page (no CSP there) and count pixels per colour.
            const blank = await browser.newPage();
            out.pixels = await blank.evaluate(async (b64) => {
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
              return { width: c.width, height: c.height, counts };
            }, png.toString('base64'));
          } finally {
            await browser.close();
          }
          console.log(JSON.stringify(out));
        })().catch(e => { console.error(e); process.exit(1); });
        """;

    [Fact]
    public async Task Render_WhenOpenedInChromium_DrawsBarsInProportionRunsNothingAndFetchesNothing()
    {
        var modules = Path.Combine(ToolsDir(), "playwright", "node_modules");
        Assert.True(Directory.Exists(Path.Combine(modules, "playwright-core")), $"{modules}/playwright-core is missing: run scripts/install-tools");
        Assert.True(File.Exists("/usr/bin/chromium"), "/usr/bin/chromium is missing: apt-get install -y chromium");

        var summary = new SurveySummary();
        var i = 0;
        foreach (var (tier, count) in new[] { (EvidenceTier.RegistrySignature, 30), (EvidenceTier.Provenance, 10), (EvidenceTier.TrustedPublisher, 5) })
        {
            for (var k = 0; k < count; k++, i++)
            {
                var published = new DateTimeOffset(2024, 1 + (i % 12), 15, 0, 0, 0, TimeSpan.Zero);
                summary.Add(new SurveyRow
                {
                    Index = i, Name = i == 0 ? "<script>alert(1)</script>" : $"pkg-{i}", Status = RowStatus.Ok, LatestVersion = "1.0.1", LatestTier = tier,
                    Versions = [new SurveyedVersion("1.0.1", "1.x", published, tier, false, [])],
                    Downgrades = i % 15 == 0 ? [new SurveyDowngrade("1.0.1", "1.x", "VOUCH_POLICY_TRUST_DOWNGRADE", true, published, "weaker")] : [],
                });
            }
        }

        var dir = Directory.CreateTempSubdirectory("vouch-survey-browser-").FullName;
        var html = Path.Combine(dir, "report.html");
        await File.WriteAllTextAsync(html, SurveyHtml.Render(summary, "survey <i>test</i>"));
        var script = Path.Combine(dir, "report.js");
        await File.WriteAllTextAsync(script, Script);
        var shot = Path.Combine(dir, "tiers.png");

        var (exit, output) = await RunAsync("node", dir, new Dictionary<string, string> { ["NODE_PATH"] = modules, ["HOME"] = dir }, script, new Uri(html).AbsoluteUri, Path.Combine(dir, "profile"), shot);
        Assert.True(exit == 0, output);
        var result = JsonNode.Parse(output.Trim().Split('\n')[^1])!;

        Assert.Equal(0, (int)result["scripts"]!);
        Assert.Equal(0, (int)result["dialogs"]!);
        Assert.Empty(result["errors"]!.AsArray());
        Assert.Equal([new Uri(html).AbsoluteUri], result["requests"]!.AsArray().Select(r => (string)r!));
        Assert.Equal(3, (int)result["svgs"]!);
        Assert.Contains("<script>alert(1)</script>", (string)result["downgradeTable"]!, StringComparison.Ordinal);
        Assert.True(new FileInfo(shot).Length > 1000, "the screenshot is empty");

        var counts = result["pixels"]!["counts"]!.AsObject();
        int Pixels(string hex) => (int?)counts[string.Join(',', new[] { 1, 3, 5 }.Select(o => int.Parse(hex.AsSpan(o, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)))] ?? 0;
        var signature = Pixels("#90caf9");
        var provenance = Pixels("#66bb6a");
        var trusted = Pixels("#2e7d32");
        Assert.True(trusted > 200, $"trusted-publisher bar: {trusted} pixels");
        var ratio = (double)signature / provenance;
        Assert.True(ratio is > 2.6 and < 3.4, $"registry-signature/provenance bar area {signature}/{provenance} = {ratio:0.00}, counts are 30/10");
        Assert.True((double)provenance / trusted is > 1.7 and < 2.3, $"provenance/trusted-publisher bar area {provenance}/{trusted}, counts are 10/5");
    }

    private static string ToolsDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vouch.slnx")))
            {
                return Environment.GetEnvironmentVariable("VOUCH_TOOLS_DIR") is { Length: > 0 } env ? env : Path.Combine(dir.FullName, ".tools");
            }
        }

        throw new DirectoryNotFoundException("repository root not found");
    }

    private static async Task<(int Exit, string Output)> RunAsync(string file, string workingDirectory, IDictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }

        using var process = Process.Start(psi)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
