using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vouch.Sandbox;

namespace Vouch.Cli.Tests;

public sealed class SandboxCommandTests
{
    [Fact]
    public async Task Demo_WhenRun_ExitsZeroAndNamesTheAttackVersions()
    {
        var (exit, stdout, stderr) = await Run("sandbox", "demo");

        Assert.True(exit == 0, stderr);
        Assert.Contains("The attack: @lottiefiles/lottie-player 2.0.5, 2.0.6, 2.0.7.", stdout);
        Assert.Contains("✗ @lottiefiles/lottie-player@2.0.5: trust-downgrade (VOUCH_POLICY_TRUST_DOWNGRADE): @lottiefiles/lottie-player@2.0.5 carries weaker evidence (none) than @lottiefiles/lottie-player@2.0.4 (trusted-publisher)", stdout);
        Assert.Contains("install-scripts (VOUCH_POLICY_INSTALL_SCRIPTS): @lottiefiles/lottie-player@2.0.5 runs code at install time", stdout);
        Assert.Contains("@lottiefiles/lottie-player@2.0.8 restores the evidence (trusted-publisher).", stdout);
        Assert.DoesNotContain("✗ @lottiefiles/lottie-player@2.0.4", stdout);
        Assert.DoesNotContain("✗ @lottiefiles/lottie-player@2.0.8", stdout);
    }

    [Fact]
    public async Task Demo_WhenPolicyAllowsDowngrades_AttackVersionsAreAllowed()
    {
        var file = Path.Combine(Path.GetTempPath(), $"vouch-demo-policy-{Guid.NewGuid():N}.yml");
        File.WriteAllText(file, "version: 1\nrules:\n  signature: error\n  trust-downgrade: off\n");
        try
        {
            var (exit, stdout, stderr) = await Run("sandbox", "demo", "--policy", file);

            Assert.True(exit == 0, stderr);
            Assert.Contains("the policy allows every version", stdout);
            Assert.DoesNotContain("The attack:", stdout);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Sandbox_WhenScenarioFileInvalid_ExitsTwoWithFileLineColumn()
    {
        var file = Path.Combine(Path.GetTempPath(), $"vouch-bad-scenario-{Guid.NewGuid():N}.yml");
        await File.WriteAllTextAsync(file, "name: bad\npackages:\n  - name: a\n    versions:\n      - version: 1.0.0\n        tamper: [nope]\n");
        try
        {
            var (exit, _, stderr) = await Run("sandbox", "--scenario", file);

            Assert.Equal(2, exit);
            Assert.StartsWith($"vouch: --scenario: {file}:6:18: unknown tamper switch 'nope'", stderr);
            Assert.Single(stderr.Trim().Split('\n'));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("sandbox")]
    [InlineData("sandbox", "--scenario", "lottie-player", "--generate", "10")]
    [InlineData("sandbox", "--scenario", "no-such-builtin")]
    [InlineData("sandbox", "--scenario", "lottie-player", "--port", "70000")]
    [InlineData("sandbox", "--generate", "0")]
    public async Task Sandbox_WhenUsageWrong_ExitsTwoWithOneLine(params string[] args)
    {
        var (exit, _, stderr) = await Run(args);

        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: ", stderr);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    public async Task Sandbox_WhenRunning_PrintsUrlAndTrustedRootAndStopsOnCancel()
    {
        var stdout = new StringWriter();
        var synchronized = TextWriter.Synchronized(stdout);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var run = VouchCli.RunAsync(["sandbox", "--scenario", "typosquat"], synchronized, TextWriter.Null, cts.Token);

        Match url;
        while (!(url = Regex.Match(stdout.ToString(), @"registry:\s+(http://127\.0\.0\.1:\d+/)")).Success)
        {
            Assert.False(run.IsCompleted, stdout.ToString());
            await Task.Delay(50);
        }

        var root = Regex.Match(stdout.ToString(), @"trusted root:\s+(\S+)").Groups[1].Value;
        using var http = new HttpClient();
        var packument = JsonNode.Parse(await http.GetStringAsync(url.Groups[1].Value + "crossenv"))!;
        Assert.Equal("7.0.3", packument["dist-tags"]!["latest"]!.GetValue<string>());
        Assert.True(File.Exists(root));
        Assert.Contains($"vouch verify --registry {url.Groups[1].Value} --trusted-root {root}", stdout.ToString());

        await cts.CancelAsync();
        Assert.Equal(0, await run);
        Assert.False(File.Exists(root), "the temporary data directory is removed on exit");
    }

    [Fact]
    public async Task Verify_WhenPointedAtSandboxWithItsTrustedRoot_VerifiesProvenance()
    {
        await using var registry = await SandboxRegistry.StartAsync(Scenario.Builtin("lottie-player"), new SandboxOptions());
        var cache = Path.Combine(Path.GetTempPath(), $"vouch-sandbox-verify-{Guid.NewGuid():N}");

        var (_, stdout, stderr) = await Run("verify", "--registry", registry.Url.AbsoluteUri, "--trusted-root", registry.TrustedRootPath, "--cache-dir", cache, "--json", "@lottiefiles/lottie-player@2.0.4", "@lottiefiles/lottie-player@2.0.5");

        var reports = JsonNode.Parse(stdout)!.AsArray();
        Assert.Equal("verified", reports[0]!["provenance"]!["status"]!.GetValue<string>());
        Assert.Equal("https://github.com/LottieFiles/lottie-player", reports[0]!["provenance"]!["sourceRepository"]!.GetValue<string>());
        Assert.Equal("verified", reports[0]!["signature"]!["status"]!.GetValue<string>());
        Assert.Equal("verified", reports[0]!["publishAttestation"]!["status"]!.GetValue<string>());
        Assert.Empty(reports[0]!["problems"]!.AsArray());
        Assert.Equal("absent", reports[1]!["provenance"]!["status"]!.GetValue<string>());
        Assert.Equal("verified", reports[1]!["signature"]!["status"]!.GetValue<string>());
        Assert.True(stderr.Length == 0 || !stderr.Contains("network", StringComparison.OrdinalIgnoreCase), stderr);

        var (exit, _, err) = await Run("verify", "--registry", registry.Url.AbsoluteUri, "--trusted-root", registry.TrustedRootPath, "--cache-dir", cache, "@lottiefiles/lottie-player@2.0.4");
        Assert.True(exit == 0, err);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await VouchCli.RunAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
