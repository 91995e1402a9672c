using System.Text.Json.Nodes;

namespace Vouch.Gate.Tests;

/// <summary>
/// The real clients against the gate in front of a loopback upstream replaying the lottie-player
/// pattern on recorded data: sigstore@1.0.0 with real provenance, then 1.0.1 published later
/// without it. A range gets the last good version, the exact bad version is refused with the
/// rule's name, and installs after an approval; the audit log shows both decisions.
/// </summary>
[Collection("clients")]
public class ClientEndToEndTests
{
    private static Task<GateFixture> StartAsync() =>
        GateFixture.StartAsync(u =>
        {
            u.AddVersion("sigstore", "1.0.1", "2023-03-01T00:00:00.000Z");
            u.AddVersion("plain", "1.0.0", "2023-01-01T00:00:00.000Z");
        });

    private static string Project()
    {
        var dir = Path.Combine(Path.GetTempPath(), "vouch-client-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "package.json"), "{\"name\":\"consumer\",\"version\":\"1.0.0\",\"private\":true}");
        return dir;
    }

    private static string InstalledVersion(string project) =>
        (string)JsonNode.Parse(File.ReadAllText(Path.Combine(project, "node_modules", "sigstore", "package.json")))!["version"]!;

    private static Task<(int Exit, string Output)> NpmAsync(GateFixture gate, string project, params string[] args) =>
        ClientProcess.RunAsync("npm", project, new Dictionary<string, string> { ["HOME"] = project }, [.. args, "--registry", gate.Host.Url.ToString(), "--cache", Path.Combine(project, ".npm-cache"), "--no-audit", "--no-fund", "--ignore-scripts", "--userconfig", Path.Combine(project, ".npmrc-none")]);

    [Fact]
    public async Task Npm_WhenRangeIncludesWithheldVersion_InstallsLastGoodAndRefusesBadUntilApproved()
    {
        await using var gate = await StartAsync();
        var project = Project();

        var range = await NpmAsync(gate, project, "install", "sigstore@^1");
        Assert.True(range.Exit == 0, range.Output);
        Assert.Equal("1.0.0", InstalledVersion(project));

        var exact = await NpmAsync(gate, project, "install", "sigstore@1.0.1");
        Assert.NotEqual(0, exact.Exit);
        Assert.Contains("trust-downgrade", exact.Output, StringComparison.Ordinal);

        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade", reason = "needed for the release" }, 201);
        await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{(long)request["id"]!}/grant", GateFixture.ApproverToken, new { reason = "reviewed" });

        var approved = await NpmAsync(gate, project, "install", "sigstore@1.0.1");
        Assert.True(approved.Exit == 0, approved.Output);
        Assert.Equal("1.0.1", InstalledVersion(project));

        var actions = (await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/audit", GateFixture.ReaderToken))["entries"]!.AsArray().Select(e => (string)e!["action"]!).ToList();
        Assert.Contains("withheld", actions);
        Assert.Contains("granted", actions);
    }

    [Fact]
    public async Task Npm_WhenViewingThroughGate_ShowsOnlyAllowedVersions()
    {
        await using var gate = await StartAsync();
        var project = Project();

        var view = await NpmAsync(gate, project, "view", "sigstore", "versions", "--json");
        Assert.True(view.Exit == 0, view.Output);
        Assert.Contains("1.0.0", view.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("1.0.1", view.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Npm_WhenInstallingTarballUrlOfWithheldVersion_IsRefused()
    {
        await using var gate = await StartAsync();
        var project = Project();

        var direct = await NpmAsync(gate, project, "install", new Uri(gate.Host.Url, "sigstore/-/sigstore-1.0.1.tgz").ToString());
        Assert.NotEqual(0, direct.Exit);
        Assert.Contains("403", direct.Output, StringComparison.Ordinal);

        var good = await NpmAsync(gate, project, "install", new Uri(gate.Host.Url, "plain/-/plain-1.0.0.tgz").ToString());
        Assert.True(good.Exit == 0, good.Output);
    }

    [Fact]
    public async Task Pnpm_WhenRangeIncludesWithheldVersion_InstallsLastGood()
    {
        var pnpm = ClientProcess.Tool("pnpm", "pnpm");
        await using var gate = await StartAsync();
        var project = Project();

        var result = await ClientProcess.RunAsync(pnpm, project, new Dictionary<string, string> { ["HOME"] = project },
            "add", "sigstore@^1", "--registry", gate.Host.Url.ToString(), "--store-dir", Path.Combine(project, ".pnpm-store"), "--ignore-scripts", "--config.node-linker=hoisted");
        Assert.True(result.Exit == 0, result.Output);
        Assert.Equal("1.0.0", InstalledVersion(project));

        var exact = await ClientProcess.RunAsync(pnpm, project, new Dictionary<string, string> { ["HOME"] = project },
            "add", "sigstore@1.0.1", "--registry", gate.Host.Url.ToString(), "--store-dir", Path.Combine(project, ".pnpm-store"), "--ignore-scripts", "--config.node-linker=hoisted");
        Assert.NotEqual(0, exact.Exit);
    }

    [Fact]
    public async Task Yarn_WhenRangeIncludesWithheldVersion_InstallsLastGood()
    {
        var yarn = ClientProcess.Tool("yarn1", "yarn");
        await using var gate = await StartAsync();
        var project = Project();

        var result = await ClientProcess.RunAsync(yarn, project, new Dictionary<string, string> { ["HOME"] = project, ["YARN_CACHE_FOLDER"] = Path.Combine(project, ".yarn-cache") },
            "add", "sigstore@^1", "--registry", gate.Host.Url.ToString(), "--ignore-scripts", "--non-interactive", "--no-lockfile");
        Assert.True(result.Exit == 0, result.Output);
        Assert.Equal("1.0.0", InstalledVersion(project));
    }
}
