using System.Text.Json.Nodes;
using Vouch.Sandbox;

namespace Vouch.Cli.Tests;

/// <summary>
/// `vouch audit` with no policy file applies the built-in default policy (as `vouch verify` does), so
/// the lottie-player downgrade fails an audit out of the box; `--no-policy` verifies evidence only.
/// </summary>
public sealed class AuditDefaultPolicyTests : IAsyncLifetime
{
    private const string Name = "@lottiefiles/lottie-player";

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-audit-default-");
    private SandboxRegistry _registry = null!;

    public async Task InitializeAsync() => _registry = await SandboxRegistry.StartAsync(Scenario.Builtin("lottie-player"), new SandboxOptions());

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Audit_WhenNoPolicyFileAndLockfilePinsTheDowngrade_ExitsOneWithTrustDowngrade()
    {
        var project = await ProjectPinning("2.0.5");

        var (exit, stdout, stderr) = await Audit(project, "--json");

        Assert.True(exit == 1, stderr);
        var package = JsonNode.Parse(stdout)!["packages"]!.AsArray().Single(p => (string?)p!["name"] == Name)!;
        Assert.Contains(package["findings"]!.AsArray(), f => (string?)f!["code"] == "VOUCH_POLICY_TRUST_DOWNGRADE" && (string?)f["severity"] == "error");
        Assert.False((bool)package["policyAllowed"]!);
    }

    [Fact]
    public async Task Audit_WhenNoPolicyFileAndLockfilePinsAGoodRelease_ExitsZero()
    {
        var project = await ProjectPinning("2.0.4");

        var (exit, _, stderr) = await Audit(project);

        Assert.True(exit == 0, stderr);
    }

    [Fact]
    public async Task Audit_WhenNoPolicyGiven_VerifiesEvidenceOnlyAndPasses()
    {
        var project = await ProjectPinning("2.0.5");

        var (exit, stdout, stderr) = await Audit(project, "--json", "--no-policy");

        Assert.True(exit == 0, stderr);
        var package = JsonNode.Parse(stdout)!["packages"]!.AsArray().Single(p => (string?)p!["name"] == Name)!;
        Assert.Null(package["policyAllowed"]);
    }

    [Fact]
    public async Task Audit_WhenPolicyAndNoPolicyBothGiven_ExitsTwo()
    {
        var project = await ProjectPinning("2.0.4");

        var (exit, _, stderr) = await Audit(project, "--no-policy", "--policy", Path.Combine(project, "x.yml"));

        Assert.Equal(2, exit);
        Assert.Contains("--policy and --no-policy exclude each other", stderr);
    }

    private async Task<(int Exit, string Stdout, string Stderr)> Audit(string project, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var exit = await VouchCli.RunAsync(["audit", project, "--registry", _registry.Url.AbsoluteUri, "--trusted-root", _registry.TrustedRootPath, "--cache-dir", Path.Combine(_dir.FullName, "cache"), .. args], o, e);
        return (exit, o.ToString(), e.ToString());
    }

    /// <summary>A project whose npm v3 lockfile pins one version, with the integrity the sandbox serves.</summary>
    private async Task<string> ProjectPinning(string version)
    {
        using var http = new HttpClient();
        var packument = JsonNode.Parse(await http.GetStringAsync(new Uri(_registry.Url, Name.Replace("/", "%2f", StringComparison.Ordinal))))!;
        var dist = packument["versions"]![version]!["dist"]!;
        var project = Path.Combine(_dir.FullName, $"project-{version}");
        Directory.CreateDirectory(project);
        var lockfile = new JsonObject
        {
            ["name"] = "app",
            ["version"] = "1.0.0",
            ["lockfileVersion"] = 3,
            ["requires"] = true,
            ["packages"] = new JsonObject
            {
                [""] = new JsonObject { ["name"] = "app", ["version"] = "1.0.0", ["dependencies"] = new JsonObject { [Name] = version } },
                [$"node_modules/{Name}"] = new JsonObject
                {
                    ["version"] = version,
                    ["resolved"] = (string?)dist["tarball"],
                    ["integrity"] = (string?)dist["integrity"],
                },
            },
        };
        File.WriteAllText(Path.Combine(project, "package-lock.json"), lockfile.ToJsonString());
        return project;
    }
}
