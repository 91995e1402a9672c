using System.Text.Json.Nodes;
using Vouch.Provenance;

namespace Vouch.Sandbox.Tests.Registry;

/// <summary>The real npm, pnpm and yarn clients install from (and npm publishes to) the sandbox.</summary>
public sealed class RealClientTests(LottieFixture fixture) : IClassFixture<LottieFixture>
{
    [Fact]
    public async Task NpmInstall_WhenProjectDependsOnRange_InstallsLatestFromSandbox()
    {
        using var ws = new ClientWorkspace();
        ws.WriteProject(fixture.Registry.Scenario.ProjectDependencies);

        var (exit, log) = await ws.RunAsync("npm", $"install --registry {fixture.Registry.Url} --cache {ws.Cache} --no-audit --no-fund --ignore-scripts");

        Assert.True(exit == 0, log);
        Assert.Equal("2.0.8", ws.InstalledVersion("@lottiefiles/lottie-player"));
        Assert.Equal("5.12.2", ws.InstalledVersion("lottie-web"));
        var lockfile = JsonNode.Parse(File.ReadAllText(Path.Combine(ws.Project, "package-lock.json")))!;
        var entry = lockfile["packages"]!["node_modules/@lottiefiles/lottie-player"]!;
        Assert.StartsWith(fixture.Registry.Url.AbsoluteUri, entry["resolved"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("sha512-", entry["integrity"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task NpmInstall_WhenAttackVersionPinned_GetsItsPostinstallAndTarball()
    {
        using var ws = new ClientWorkspace();
        ws.WriteProject(new Dictionary<string, string> { ["@lottiefiles/lottie-player"] = "2.0.5" });

        var (exit, log) = await ws.RunAsync("npm", $"install --registry {fixture.Registry.Url} --cache {ws.Cache} --no-audit --no-fund --ignore-scripts");

        Assert.True(exit == 0, log);
        Assert.True(File.Exists(Path.Combine(ws.Project, "node_modules", "@lottiefiles", "lottie-player", "collect.js")));
        var lockfile = JsonNode.Parse(File.ReadAllText(Path.Combine(ws.Project, "package-lock.json")))!;
        Assert.True(lockfile["packages"]!["node_modules/@lottiefiles/lottie-player"]!["hasInstallScript"]!.GetValue<bool>());
    }

    [Fact]
    public async Task NpmPublish_WhenAnyToken_StoresSignedVersionThatInstallsAndVerifies()
    {
        using var ws = new ClientWorkspace();
        var registry = fixture.Registry.Url;
        var package = Path.Combine(ws.Root, "pkg");
        Directory.CreateDirectory(package);
        var name = "fresh-" + Guid.NewGuid().ToString("N")[..8];
        File.WriteAllText(Path.Combine(package, "package.json"), new JsonObject
        {
            ["name"] = name, ["version"] = "1.0.0", ["main"] = "index.js", ["license"] = "MIT",
            ["dependencies"] = new JsonObject { ["lottie-web"] = "^5.0.0" },
        }.ToJsonString());
        File.WriteAllText(Path.Combine(package, "index.js"), "module.exports = 42;\n");
        File.WriteAllText(ws.UserConfig, $"//{registry.Authority}/:_authToken=sandbox-any-token\n");

        var (exit, log) = await ws.RunAsync("npm", $"publish --registry {registry} --cache {ws.Cache}", package);
        Assert.True(exit == 0, log);
        var (again, againLog) = await ws.RunAsync("npm", $"publish --registry {registry} --cache {ws.Cache}", package);
        Assert.True(again != 0, againLog);

        using var verifier = new SandboxVerifier(fixture.Registry);
        var report = await verifier.VerifyAsync($"{name}@1.0.0");
        Assert.True(report.Passed, string.Join("; ", report.Problems.Select(p => p.Code)));
        Assert.Equal("verified", report.Integrity.Status);
        Assert.Equal("verified", report.Signature.Status);
        Assert.Equal(EvidenceStatus.Absent, report.Provenance.Status);

        ws.WriteProject(new Dictionary<string, string> { [name] = "^1.0.0" });
        var (install, installLog) = await ws.RunAsync("npm", $"install --registry {registry} --cache {ws.Cache} --no-audit --no-fund --ignore-scripts");
        Assert.True(install == 0, installLog);
        Assert.Equal("module.exports = 42;\n", File.ReadAllText(Path.Combine(ws.Project, "node_modules", name, "index.js")));
    }

    [Fact]
    public async Task NpmPublish_WhenNoToken_Refused()
    {
        using var ws = new ClientWorkspace();
        var package = Path.Combine(ws.Root, "pkg");
        Directory.CreateDirectory(package);
        File.WriteAllText(Path.Combine(package, "package.json"), """{"name":"no-token-pkg","version":"1.0.0"}""");
        var before = fixture.Registry.PublishCount;

        var (exit, _) = await ws.RunAsync("npm", $"publish --registry {fixture.Registry.Url} --cache {ws.Cache}", package);

        Assert.NotEqual(0, exit);
        Assert.Equal(before, fixture.Registry.PublishCount);
    }

    [Fact]
    public async Task PnpmInstall_WhenProjectDependsOnRange_Installs()
    {
        using var ws = new ClientWorkspace();
        ws.WriteProject(fixture.Registry.Scenario.ProjectDependencies);
        var pnpm = ClientWorkspace.Tool("pnpm", "pnpm");

        var (exit, log) = await ws.RunAsync(pnpm, $"install --registry {fixture.Registry.Url} --store-dir {Path.Combine(ws.Root, "store")} --ignore-scripts --reporter=append-only");

        Assert.True(exit == 0, log);
        Assert.Equal("2.0.8", ws.InstalledVersion("@lottiefiles/lottie-player"));
    }

    [Fact]
    public async Task Yarn1Install_WhenProjectDependsOnRange_Installs()
    {
        using var ws = new ClientWorkspace();
        ws.WriteProject(fixture.Registry.Scenario.ProjectDependencies);
        var yarn = ClientWorkspace.Tool("yarn1", "yarn");

        var (exit, log) = await ws.RunAsync(yarn, $"install --registry {fixture.Registry.Url} --cache-folder {Path.Combine(ws.Root, "yarn-cache")} --ignore-scripts --non-interactive --no-progress");

        Assert.True(exit == 0, log);
        Assert.Equal("2.0.8", ws.InstalledVersion("@lottiefiles/lottie-player"));
    }

    [Fact]
    public async Task YarnBerryInstall_WhenProjectDependsOnRange_Installs()
    {
        using var ws = new ClientWorkspace();
        ws.WriteProject(fixture.Registry.Scenario.ProjectDependencies);
        var registry = fixture.Registry.Url.AbsoluteUri.TrimEnd('/');
        File.WriteAllText(Path.Combine(ws.Project, ".yarnrc.yml"),
            $"npmRegistryServer: \"{registry}\"\nunsafeHttpWhitelist:\n  - \"127.0.0.1\"\nnodeLinker: node-modules\nenableGlobalCache: false\ncacheFolder: \"{Path.Combine(ws.Root, "berry-cache")}\"\nenableTelemetry: false\nenableScripts: false\n");
        File.WriteAllText(Path.Combine(ws.Project, "yarn.lock"), "");
        var yarn = ClientWorkspace.Tool("yarn4", "yarn");

        var (exit, log) = await ws.RunAsync(yarn, "install --mode=skip-build --no-immutable");

        Assert.True(exit == 0, log);
        Assert.Equal("2.0.8", ws.InstalledVersion("@lottiefiles/lottie-player"));
    }
}
