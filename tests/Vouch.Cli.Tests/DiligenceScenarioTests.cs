using System.Text.Json.Nodes;
using Vouch.Cli;
using Vouch.Sandbox;

namespace Vouch.Cli.Tests;

/// <summary>
/// Issue 15's sandbox scenarios end to end and offline: the `diligence` scenario's own OSV snapshot is
/// imported with `vouch db update --from URL`, then `vouch check` and `vouch audit` must name each risk
/// by its stable code (typosquat, advisory, malware, publisher change).
/// </summary>
public sealed class DiligenceScenarioTests : IAsyncLifetime
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-diligence-");
    private SandboxRegistry _sandbox = null!;

    private string Cache => Path.Combine(_dir.FullName, "cache");

    private string Db => Path.Combine(Cache, "advisories", "osv-npm.db");

    public async Task InitializeAsync() => _sandbox = await SandboxRegistry.StartAsync(Scenario.Builtin("diligence"), new SandboxOptions());

    public async Task DisposeAsync()
    {
        await _sandbox.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
    }

    private async Task ImportSnapshot()
    {
        var (exit, output, err) = await InProcessCli.Run("db", "update", "--from", _sandbox.AdvisorySnapshotUrl!.AbsoluteUri, "--db", Db, "--json");
        Assert.True(exit == 0, err + output);
    }

    private async Task<(int Exit, Dictionary<string, List<string>> Codes)> Check(params string[] specs)
    {
        var project = Directory.CreateDirectory(Path.Combine(_dir.FullName, "project")).FullName;
        var (exit, output, err) = await InProcessCli.Run(["check", .. specs, "--registry", _sandbox.Url.ToString(), "--trusted-root", _sandbox.TrustedRootPath,
            "--cache-dir", Cache, "--project", project, "--db", Db, "--json"]);
        Assert.True(exit is 0 or 1, err + output);
        var codes = JsonNode.Parse(output)!["packages"]!.AsArray().ToDictionary(
            p => $"{(string)p!["name"]!}@{(string)p["version"]!}",
            p => p!["findings"]!.AsArray().Select(f => (string)f!["code"]!).ToList());
        return (exit, codes);
    }

    [Fact]
    public async Task Check_WhenDiligenceScenarioWithItsSnapshot_NamesEachRiskByCode()
    {
        await ImportSnapshot();

        var (exit, codes) = await Check("expresss@4.21.0", "body-parser@1.20.2", "debug@4.4.2", "ua-parser-js@0.7.29", "serve-static@1.15.0");

        Assert.Equal(1, exit);
        Assert.Contains("VOUCH_CHECK_TYPOSQUAT", codes["expresss@4.21.0"]);
        Assert.Contains("VOUCH_ADVISORY_VULNERABLE", codes["body-parser@1.20.2"]);
        Assert.Contains("VOUCH_ADVISORY_MALWARE", codes["debug@4.4.2"]);
        Assert.Contains("VOUCH_CHECK_PUBLISHER_CHANGED", codes["ua-parser-js@0.7.29"]);
        Assert.Contains("VOUCH_CHECK_NEW_INSTALL_SCRIPT", codes["ua-parser-js@0.7.29"]);
        // Only a CVSS v4.0 vector (base score 2.3, low): below the default threshold, so a note.
        Assert.Contains("VOUCH_ADVISORY_BELOW_THRESHOLD", codes["serve-static@1.15.0"]);
        Assert.DoesNotContain("VOUCH_ADVISORY_VULNERABLE", codes["serve-static@1.15.0"]);
    }

    [Fact]
    public async Task Check_WhenFixedOrLegitimateVersions_Passes()
    {
        await ImportSnapshot();

        var (exit, codes) = await Check("express@4.21.0", "body-parser@1.20.3", "debug@4.4.1", "ua-parser-js@0.7.28");

        Assert.True(exit == 0, string.Join("; ", codes.Select(c => $"{c.Key}: {string.Join(",", c.Value)}")));
        Assert.DoesNotContain(codes.Values.SelectMany(c => c), c => c is "VOUCH_CHECK_TYPOSQUAT" or "VOUCH_ADVISORY_VULNERABLE" or "VOUCH_ADVISORY_MALWARE" or "VOUCH_CHECK_PUBLISHER_CHANGED");
    }

    [Fact]
    public async Task Check_WhenSnapshotNotImported_ReportsNoAdvisoryFindings()
    {
        // The same specs against an empty database: the advisory codes come from the imported snapshot, not from the names.
        Directory.CreateDirectory(Path.GetDirectoryName(Db)!);
        var empty = Path.Combine(_dir.FullName, "empty.zip");
        using (System.IO.Compression.ZipFile.Open(empty, System.IO.Compression.ZipArchiveMode.Create))
        {
        }

        var (importExit, _, importErr) = await InProcessCli.Run("db", "update", "--from", empty, "--db", Db);
        Assert.True(importExit == 0, importErr);

        var (_, codes) = await Check("body-parser@1.20.2", "debug@4.4.2");

        Assert.DoesNotContain("VOUCH_ADVISORY_VULNERABLE", codes["body-parser@1.20.2"]);
        Assert.DoesNotContain("VOUCH_ADVISORY_MALWARE", codes["debug@4.4.2"]);
    }

    [Fact]
    public async Task Audit_WhenLockfilePinsMalwareAndVulnerableVersions_FailsWithBothCodes()
    {
        await ImportSnapshot();
        var project = Directory.CreateDirectory(Path.Combine(_dir.FullName, "audited")).FullName;
        using var http = new HttpClient();
        var packages = new JsonObject { [""] = new JsonObject { ["name"] = "app", ["version"] = "1.0.0" } };
        foreach (var (name, version) in new[] { ("body-parser", "1.20.2"), ("debug", "4.4.2"), ("express", "4.21.0") })
        {
            var packument = JsonNode.Parse(await http.GetStringAsync(new Uri(_sandbox.Url, name)))!;
            var dist = packument["versions"]![version]!["dist"]!;
            packages["node_modules/" + name] = new JsonObject { ["version"] = version, ["resolved"] = (string)dist["tarball"]!, ["integrity"] = (string)dist["integrity"]! };
        }

        var lockfile = new JsonObject { ["name"] = "app", ["version"] = "1.0.0", ["lockfileVersion"] = 3, ["requires"] = true, ["packages"] = packages };
        File.WriteAllText(Path.Combine(project, "package-lock.json"), lockfile.ToJsonString());

        // The default policy applies `malware` only; vulnerabilities fail when the policy asks for them.
        var policy = Path.Combine(project, "vouch.policy.yml");
        File.WriteAllText(policy, "version: 1\nrules:\n  malware: error\n  advisories:\n    severity: error\n    threshold: high\n");

        var (exit, output, err) = await InProcessCli.Run("audit", project, "--registry", _sandbox.Url.ToString(), "--trusted-root", _sandbox.TrustedRootPath, "--cache-dir", Cache, "--format", "json", "--policy", policy);

        Assert.True(exit == 1, err + output);
        Assert.Contains("VOUCH_ADVISORY_MALWARE", output, StringComparison.Ordinal);
        Assert.Contains("MAL-2025-46974", output, StringComparison.Ordinal);
        Assert.Contains("VOUCH_ADVISORY_VULNERABLE", output, StringComparison.Ordinal);
        Assert.Contains("GHSA-qwcr-r2fm-qrc7", output, StringComparison.Ordinal);
    }
}
