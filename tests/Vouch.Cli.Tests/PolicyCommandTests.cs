using System.Text.Json.Nodes;
using Vouch.Cli;

namespace Vouch.Cli.Tests;

/// <summary>`vouch policy init|check|explain` and `vouch verify --policy`, against recorded npm data on 127.0.0.1.</summary>
public sealed class PolicyCommandTests : IAsyncLifetime
{
    private FixtureRegistry _registry = null!;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-policy-cli-");

    public async Task InitializeAsync() => _registry = await FixtureRegistry.StartAsync();

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string[] Registry => ["--registry", _registry.BaseUrl.ToString(), "--cache-dir", Path.Combine(_dir.FullName, "cache")];

    [Fact]
    public async Task Check_WhenValid_ListsRulesAndExitsZero()
    {
        var path = Write("p.yml", "version: 1\nrules:\n  provenance:\n    severity: error\n    packages: ['@myorg/*']\nallow:\n  - package: x\n    reason: r\n    expires: 2099-01-01\n");
        var (exit, output, err) = await InProcessCli.Run("policy", "check", path);
        Assert.True(exit == 0, err);
        Assert.Contains("provenance       error", output, StringComparison.Ordinal);
        Assert.Contains("allow x: r", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WhenMalformed_ExitsTwoWithLineAndColumn()
    {
        var path = Write("bad.yml", "version: 1\nrules:\n  provenance: sometimes\n");
        var (exit, _, err) = await InProcessCli.Run("policy", "check", path);
        Assert.Equal(2, exit);
        Assert.Contains($"{path}:3:15: error, warn or off", err, StringComparison.Ordinal);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public async Task Check_WhenAnExceptionExpired_ExitsOne()
    {
        var path = Write("old.yml", "version: 1\nallow:\n  - package: x\n    reason: r\n    expires: 2020-01-01\n");
        var (exit, output, _) = await InProcessCli.Run("policy", "check", path, "--json");
        Assert.Equal(1, exit);
        Assert.True((bool)JsonNode.Parse(output)!["exceptions"]![0]!["expired"]!);
    }

    [Fact]
    public async Task Verify_WhenPolicyRequiresMissingSignature_ExitsOneWithFinding()
    {
        var policy = Write("sig.yml", "version: 1\nrules:\n  signature:\n    severity: error\n    packages: ['@sigstore/*']\n");
        var (exit, output, err) = await InProcessCli.Run(["verify", "--json", "--policy", policy, .. Registry, "@sigstore/protobuf-specs@0.2.1"]);
        Assert.True(exit == 1, err + output);
        var p = JsonNode.Parse(output)![0]!["policy"]!;
        Assert.False((bool)p["allowed"]!);
        Assert.Equal(policy, (string?)p["source"]);
        var f = p["findings"]![0]!;
        Assert.Equal("VOUCH_POLICY_SIGNATURE_REQUIRED", (string?)f["code"]);
        Assert.Equal("signature", (string?)f["rule"]);
        Assert.Equal("error", (string?)f["severity"]);
        Assert.False(string.IsNullOrEmpty((string?)f["evidence"]));
        Assert.False(string.IsNullOrEmpty((string?)f["fix"]));
    }

    [Fact]
    public async Task Verify_WhenPolicyIsSatisfied_ExitsZero()
    {
        var policy = Write("ok.yml", "version: 1\nrules:\n  signature:\n    severity: error\n    packages: ['sigstore']\n  provenance: error\n");
        var (exit, output, err) = await InProcessCli.Run(["verify", "--json", "--policy", policy, .. Registry, "sigstore@1.0.0"]);
        Assert.True(exit == 0, err + output);
        Assert.True((bool)JsonNode.Parse(output)![0]!["policy"]!["allowed"]!);
    }

    [Fact]
    public async Task Verify_WhenInstallScriptAndPolicyForbidsIt_ShowsFindingInTable()
    {
        _registry.Tamper.Add((name, _, doc) =>
        {
            if (name == "async")
            {
                doc["scripts"] = new JsonObject { ["postinstall"] = "node collect.js" };
            }
        });
        var policy = Write("scripts.yml", "version: 1\nrules:\n  install-scripts: error\n");
        var (exit, output, _) = await InProcessCli.Run(["verify", "--policy", policy, .. Registry, "async@2.5.0"]);
        Assert.Equal(1, exit);
        Assert.Contains("VOUCH_POLICY_INSTALL_SCRIPTS", output, StringComparison.Ordinal);
        Assert.Contains("node collect.js", output, StringComparison.Ordinal);
        Assert.Contains("refused", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WhenPolicyMalformed_ExitsTwoBeforeAnyNetwork()
    {
        var policy = Write("bad.yml", "version: 1\nrules: oops\n");
        var (exit, _, err) = await InProcessCli.Run(["verify", "--policy", policy, "--registry", "http://127.0.0.1:9/", "sigstore@1.0.0"]);
        Assert.Equal(2, exit);
        Assert.Contains("bad.yml:2:8", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WhenPolicyUrlUnpinned_ExitsTwo()
    {
        var (exit, _, err) = await InProcessCli.Run(["verify", "--policy", "https://policies.example/p.yml", .. Registry, "sigstore@1.0.0"]);
        Assert.Equal(2, exit);
        Assert.Contains("#sha256=", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_WhenProvenanceRequiredAndAbsent_ShowsEveryRuleAndExitsOne()
    {
        var policy = Write("prov.yml", "version: 1\nrules:\n  provenance: error\n  deprecated: warn\n");
        var (exit, output, err) = await InProcessCli.Run(["policy", "explain", "--policy", policy, .. Registry, "async@2.5.0"]);
        Assert.True(exit == 1, err + output);
        Assert.Contains("REFUSED", output, StringComparison.Ordinal);
        Assert.Contains("- provenance (error): fail", output, StringComparison.Ordinal);
        Assert.Contains("VOUCH_POLICY_PROVENANCE_REQUIRED", output, StringComparison.Ordinal);
        Assert.Contains("fix:", output, StringComparison.Ordinal);
        Assert.Contains("- deprecated (warn): pass", output, StringComparison.Ordinal);
        Assert.Contains("- source (off): off", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_WhenJson_ReportsRuleOutcomes()
    {
        var policy = Write("prov.yml", "version: 1\nrules:\n  provenance: error\n");
        var (exit, output, err) = await InProcessCli.Run(["policy", "explain", "--json", "--policy", policy, .. Registry, "sigstore@1.0.0"]);
        Assert.True(exit == 0, err + output);
        var json = JsonNode.Parse(output)!;
        Assert.True((bool)json["allowed"]!);
        var rule = json["rules"]!.AsArray().Single(r => (string?)r!["rule"] == "provenance")!;
        Assert.Equal("pass", (string?)rule["verdict"]);
        Assert.Contains("sigstore-js", (string?)rule["evidence"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_WhenLockfileHasProvenancePackages_WritesLoadablePolicyPinningTheirSource()
    {
        var lockfile = Write("package-lock.json", """
            {
              "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
              "packages": {
                "": { "name": "app", "version": "1.0.0", "dependencies": { "sigstore": "1.0.0", "async": "2.5.0" } },
                "node_modules/sigstore": { "version": "1.0.0", "resolved": "https://registry.npmjs.org/sigstore/-/sigstore-1.0.0.tgz" },
                "node_modules/async": { "version": "2.5.0", "resolved": "https://registry.npmjs.org/async/-/async-2.5.0.tgz", "hasInstallScript": true }
              }
            }
            """);
        var target = Path.Combine(_dir.FullName, "vouch.policy.yml");
        var (exit, output, err) = await InProcessCli.Run(["policy", "init", "--lockfile", lockfile, .. Registry]);
        Assert.True(exit == 0, err + output);
        var yaml = File.ReadAllText(target);
        Assert.Contains("- 'sigstore'  # 1.0.0", yaml, StringComparison.Ordinal);
        Assert.Contains("repositories: ['github.com/sigstore/sigstore-js']", yaml, StringComparison.Ordinal);
        Assert.DoesNotContain("- 'async'  #", yaml, StringComparison.Ordinal);
        Assert.Contains("allow:\n      - 'async'", yaml.ReplaceLineEndings("\n"), StringComparison.Ordinal);

        var (checkExit, _, checkErr) = await InProcessCli.Run("policy", "check", target);
        Assert.True(checkExit == 0, checkErr);

        // Never overwrites without --force.
        var (again, _, againErr) = await InProcessCli.Run(["policy", "init", "--lockfile", lockfile, .. Registry]);
        Assert.Equal(2, again);
        Assert.Contains("--force", againErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Init_WhenNoLockfile_ExitsTwo()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_dir.FullName, "empty")).FullName;
        var (exit, _, err) = await InProcessCli.Run(["policy", "init", "--lockfile", empty, .. Registry]);
        Assert.Equal(2, exit);
        Assert.Contains("no lockfile", err, StringComparison.Ordinal);
    }
}
