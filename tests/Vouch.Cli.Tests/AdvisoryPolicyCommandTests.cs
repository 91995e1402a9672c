using System.Text.Json.Nodes;
using Vouch.Cli;
using Vouch.Tests;

namespace Vouch.Cli.Tests;

/// <summary>
/// The `malware` and `advisories` policy rules in `vouch verify` and `vouch audit`, with the database at
/// the place `vouch db update` keeps it (&lt;cache dir&gt;/advisories/osv-npm.db). The OSV records are written
/// here for the recorded packages (synthetic: no real advisory lists sigstore@1.0.0).
/// </summary>
public sealed class AdvisoryPolicyCommandTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-advisory-policy-");
    private FixtureRegistry _registry = null!;

    private string Cache => Path.Combine(_dir.FullName, "cache");

    private string Db => Path.Combine(Cache, "advisories", "osv-npm.db");

    public async Task InitializeAsync() => _registry = await FixtureRegistry.StartAsync();

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private async Task Import(params JsonObject[] records)
    {
        var src = Directory.CreateDirectory(Path.Combine(_dir.FullName, "osv"));
        foreach (var r in records)
        {
            File.WriteAllText(Path.Combine(src.FullName, (string)r["id"]! + ".json"), r.ToJsonString());
        }

        var (exit, _, err) = await InProcessCli.Run("db", "update", "--from", src.FullName, "--db", Db);
        Assert.True(exit == 0, err);
    }

    private static JsonObject Record(string id, string package, string version, string? severity = null) => new()
    {
        ["schema_version"] = "1.5.0",
        ["id"] = id,
        ["modified"] = "2025-01-01T00:00:00Z",
        ["summary"] = $"test record for {package}",
        ["affected"] = new JsonArray(new JsonObject
        {
            ["package"] = new JsonObject { ["ecosystem"] = "npm", ["name"] = package },
            ["versions"] = new JsonArray(version),
        }),
        ["database_specific"] = severity is null ? null : new JsonObject { ["severity"] = severity },
    };

    private async Task<(int Exit, JsonNode Report, string Err)> Verify(params string[] extra)
    {
        var (exit, output, err) = await InProcessCli.Run(["verify", "sigstore@1.0.0", "--json", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", Cache, .. extra]);
        return (exit, JsonNode.Parse(output)!.AsArray()[0]!, err);
    }

    private static List<string> Codes(JsonNode report) => report["policy"]!["findings"]!.AsArray().Select(f => (string)f!["code"]!).ToList();

    [Fact]
    public async Task Verify_WhenMalwareRecordListsVersion_FailsWithMalwareCode()
    {
        var (before, clean, _) = await Verify();
        Assert.Equal(0, before);
        Assert.DoesNotContain("VOUCH_ADVISORY_MALWARE", Codes(clean));

        await Import(Record("MAL-2025-0001", "sigstore", "1.0.0"));
        var (exit, report, err) = await Verify();
        Assert.True(exit == 1, err);
        Assert.Contains("VOUCH_ADVISORY_MALWARE", Codes(report));
    }

    [Fact]
    public async Task Audit_WhenMalwareRecordListsLockedVersion_FailsWithMalwareCode()
    {
        var project = Directory.CreateDirectory(Path.Combine(_dir.FullName, "project")).FullName;
        var sri = (string)JsonNode.Parse(File.ReadAllText(SharedFixtures.Path("npm", "signatures.json")))!.AsArray()
            .Single(r => (string)r!["name"]! == "sigstore" && (string)r["version"]! == "1.0.0")!["integrity"]!;
        var lockfile = new JsonObject
        {
            ["name"] = "app", ["version"] = "1.0.0", ["lockfileVersion"] = 3, ["requires"] = true,
            ["packages"] = new JsonObject
            {
                [""] = new JsonObject { ["name"] = "app", ["version"] = "1.0.0" },
                ["node_modules/sigstore"] = new JsonObject { ["version"] = "1.0.0", ["resolved"] = new Uri(_registry.BaseUrl, "sigstore/-/sigstore-1.0.0.tgz").ToString(), ["integrity"] = sri },
            },
        };
        File.WriteAllText(Path.Combine(project, "package-lock.json"), lockfile.ToJsonString());
        var args = new[] { "audit", project, "--registry", _registry.BaseUrl.ToString(), "--cache-dir", Cache, "--format", "json" };
        var (before, _, beforeErr) = await InProcessCli.Run(args);
        Assert.True(before == 0, beforeErr);

        await Import(Record("MAL-2025-0001", "sigstore", "1.0.0"));
        var (exit, output, err) = await InProcessCli.Run(args);
        Assert.True(exit == 1, err + output);
        Assert.Contains("VOUCH_ADVISORY_MALWARE", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_WhenAdvisoryAboveThreshold_FailsAndExpiredIgnoreStopsIgnoring()
    {
        await Import(Record("GHSA-2222-3333-4444", "sigstore", "1.0.0", severity: "HIGH"));
        var policy = Path.Combine(_dir.FullName, "p.yml");
        File.WriteAllText(policy, "version: 1\nrules:\n  advisories:\n    severity: error\n    threshold: high\n");
        var (exit, report, _) = await Verify("--policy", policy);
        Assert.Equal(1, exit);
        Assert.Contains("VOUCH_ADVISORY_VULNERABLE", Codes(report));

        File.WriteAllText(policy, "version: 1\nrules:\n  advisories:\n    severity: error\n    threshold: critical\n");
        Assert.Equal(0, (await Verify("--policy", policy)).Exit);

        const string ignored = "version: 1\nrules:\n  advisories:\n    severity: error\n    ignore:\n      - id: GHSA-2222-3333-4444\n        reason: not reachable\n        expires: {0}\n";
        File.WriteAllText(policy, string.Format(System.Globalization.CultureInfo.InvariantCulture, ignored, "2999-01-01"));
        Assert.Equal(0, (await Verify("--policy", policy)).Exit);
        File.WriteAllText(policy, string.Format(System.Globalization.CultureInfo.InvariantCulture, ignored, "2020-01-01"));
        var (expiredExit, expired, _) = await Verify("--policy", policy);
        Assert.Equal(1, expiredExit);
        Assert.Contains("VOUCH_ADVISORY_IGNORE_EXPIRED", Codes(expired));
        Assert.Contains("VOUCH_ADVISORY_VULNERABLE", Codes(expired));
    }

    [Fact]
    public async Task Verify_WhenPolicyRequiresAdvisoriesWithoutDatabase_WarnsWithCode()
    {
        var policy = Path.Combine(_dir.FullName, "p.yml");
        File.WriteAllText(policy, "version: 1\nrules:\n  advisories: error\n");
        var (exit, report, _) = await Verify("--policy", policy);
        Assert.Equal(0, exit);
        Assert.Contains("VOUCH_POLICY_ADVISORY_DB_MISSING", Codes(report));
    }
}
