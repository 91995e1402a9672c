using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vouch.Tests;

namespace Vouch.Sri.Tests;

/// <summary>Runs only where Debian's chromium is installed (scripts/setup installs it for CI).</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public static readonly string Path = Environment.GetEnvironmentVariable("VOUCH_CHROMIUM") ?? "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        if (!File.Exists(Path))
        {
            Skip = $"chromium is not installed at {Path}";
        }
    }
}

/// <summary>
/// A real browser enforces the integrity Vouch computes: a page on one loopback origin loads a
/// script from another (CORS), with integrity hashed from the file inside an npm tarball. The
/// browser runs it; served tampered, the browser refuses it.
/// </summary>
public sealed class BrowserTests
{
    private const string Script = "document.getElementById('out').textContent = 'script-ran';\n";

    [ChromiumFact]
    public async Task Chromium_WhenScriptMatchesVouchIntegrity_RunsIt_AndWhenTampered_RefusesIt()
    {
        var tarball = new PackageTarball(TestTarballs.Create(("package/package.json", "{\"name\":\"widget\"}"), ("package/dist/widget.js", Script)));
        var integrity = SriIntegrity.Compute(tarball.ReadFile("dist/widget.js"));

        var served = Encoding.UTF8.GetBytes(Script);
        await using var cdn = await StartAsync(async ctx =>
        {
            ctx.Response.Headers["Access-Control-Allow-Origin"] = "*";
            ctx.Response.ContentType = "text/javascript";
            await ctx.Response.Body.WriteAsync(served);
        });
        var scriptUrl = $"{cdn.Urls.First()}/npm/widget@1.0.0/dist/widget.js";
        await using var site = await StartAsync(async ctx =>
        {
            ctx.Response.ContentType = "text/html; charset=utf-8";
            await ctx.Response.WriteAsync($"<!doctype html><html><body><p id=out>not-run</p><script src=\"{scriptUrl}\" integrity=\"{integrity}\" crossorigin=\"anonymous\"></script></body></html>");
        });
        var page = site.Urls.First() + "/";
        Assert.NotEqual(new Uri(page).Port, new Uri(scriptUrl).Port);

        var (dom, log) = await DumpDomAsync(page);
        Assert.Contains("script-ran", dom, StringComparison.Ordinal);

        served = Encoding.UTF8.GetBytes(Script.Replace("script-ran", "tampered-ran", StringComparison.Ordinal));
        (dom, log) = await DumpDomAsync(page);
        Assert.Contains("not-run", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("tampered-ran", dom, StringComparison.Ordinal);
        Assert.Contains("integrity", log, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task<WebApplication> StartAsync(RequestDelegate handler) => (await LoopbackHost.StartAsync(handler)).App;

    private static async Task<(string Dom, string Log)> DumpDomAsync(string url)
    {
        var profile = Directory.CreateTempSubdirectory("vouch-chromium-");
        try
        {
            var psi = new ProcessStartInfo(ChromiumFactAttribute.Path)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
                $"--user-data-dir={profile.FullName}", "--dump-dom", url,
            })
            {
                psi.ArgumentList.Add(arg);
            }

            using var process = Process.Start(psi)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"chromium did not finish loading {url}");
            }

            return (await stdout, await stderr);
        }
        finally
        {
            try
            {
                profile.Delete(recursive: true);
            }
            catch (IOException)
            {
                // Chromium's helpers may still hold files for a moment; the temp directory is harmless.
            }
        }
    }
}
