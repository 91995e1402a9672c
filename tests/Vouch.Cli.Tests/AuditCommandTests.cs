using System.Text.Json.Nodes;
using Vouch.Cli;
using Vouch.Tests;

namespace Vouch.Cli.Tests;

/// <summary>`vouch audit` end to end: an npm v3 lockfile pinning the recorded real packages, served on 127.0.0.1 with their real signatures and attestations.</summary>
public sealed class AuditCommandTests : IAsyncLifetime
{
    private static readonly string[] Pinned = ["sigstore@1.0.0", "tuf-js@1.0.0", "node-fetch@1.7.1", "async@2.5.0"];

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-audit-cli-");
    private FixtureRegistry _registry = null!;

    private string Cache => Path.Combine(_dir.FullName, "cache");

    private string Project => Path.Combine(_dir.FullName, "project");

    public async Task InitializeAsync()
    {
        _registry = await FixtureRegistry.StartAsync();
        Directory.CreateDirectory(Project);
        WriteLockfile(Path.Combine(Project, "package-lock.json"), Pinned);
    }

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    /// <summary>A lockfile as npm 7+ writes it (v3), with the recorded integrity of every pinned version.</summary>
    private void WriteLockfile(string path, IEnumerable<string> specs, Func<string, string, string>? resolved = null, Func<string, string>? integrity = null)
    {
        var records = JsonNode.Parse(File.ReadAllText(SharedFixtures.Path("npm", "signatures.json")))!.AsArray();
        var packages = new JsonObject { [""] = new JsonObject { ["name"] = "app", ["version"] = "1.0.0" } };
        foreach (var spec in specs)
        {
            var at = spec.LastIndexOf('@');
            var (name, version) = (spec[..at], spec[(at + 1)..]);
            var sri = SharedIntegrity(records, name, version);
            packages[$"node_modules/{name}"] = new JsonObject
            {
                ["version"] = version,
                ["resolved"] = resolved?.Invoke(name, version) ?? new Uri(_registry.BaseUrl, $"{name}/-/{name}-{version}.tgz").ToString(),
                ["integrity"] = integrity?.Invoke(name) ?? sri ?? throw new InvalidOperationException($"no recorded integrity for {spec}"),
            };
        }

        var doc = new JsonObject { ["name"] = "app", ["version"] = "1.0.0", ["lockfileVersion"] = 3, ["requires"] = true, ["packages"] = packages };
        File.WriteAllText(path, doc.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    // Recorded tarballs without a signature record (e.g. @sigstore/protobuf-specs) have the integrity of their bytes, as FixtureRegistry serves them.
    private static string? SharedIntegrity(JsonArray records, string name, string version) =>
        records.SingleOrDefault(r => (string)r!["name"]! == name && (string)r["version"]! == version) is { } r
            ? (string)r["integrity"]!
            : name == "@sigstore/protobuf-specs" ? "sha512-" + Convert.ToBase64String(System.Security.Cryptography.SHA512.HashData(File.ReadAllBytes(SharedFixtures.Path("npm", "tarballs", "sigstore-protobuf-specs-0.2.1.tgz")))) : null;

    private async Task<(int Exit, string Out, string Err)> Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var exit = await VouchCli.RunAsync(["audit", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", Cache, .. args], o, e);
        return (exit, o.ToString(), e.ToString());
    }

    private static JsonNode Package(JsonNode report, string name) => report["packages"]!.AsArray().Single(p => (string?)p!["name"] == name)!;

    [Fact]
    public async Task Audit_WhenRecursive_OneSectionPerLockfileOutsideNodeModules()
    {
        var mono = Path.Combine(_dir.FullName, "mono");
        foreach (var sub in (string[])["a", "b/c"])
        {
            Directory.CreateDirectory(Path.Combine(mono, sub));
            File.Copy(Path.Combine(Project, "package-lock.json"), Path.Combine(mono, sub, "package-lock.json"));
        }

        // Malformed, but inside node_modules: never read.
        Directory.CreateDirectory(Path.Combine(mono, "node_modules", "x"));
        File.WriteAllText(Path.Combine(mono, "node_modules", "x", "package-lock.json"), "{");

        var (exit, stdout, stderr) = await Run(mono, "--recursive", "--json", "--no-policy");

        Assert.True(exit == 0, stderr + stdout);
        var json = JsonNode.Parse(stdout)!;
        Assert.Equal(2, (int)json["totals"]!["lockfiles"]!);
        var sections = json["lockfiles"]!.AsArray();
        Assert.EndsWith("a/package-lock.json", (string)sections[0]!["lockfile"]!, StringComparison.Ordinal);
        Assert.EndsWith("b/c/package-lock.json", (string)sections[1]!["lockfile"]!, StringComparison.Ordinal);
        // One registry client and evidence cache: the second section answers from the first's evidence.
        Assert.Equal((int)sections[1]!["totals"]!["audited"]!, (int)sections[1]!["totals"]!["fromCache"]!);
    }

    [Theory]
    [InlineData("--format", "sarif")]
    [InlineData("--diff", "package-lock.json")]
    public async Task Audit_WhenRecursiveWithAnUnsupportedOption_ExitsTwo(string option, string value)
    {
        var (exit, _, stderr) = await Run(_dir.FullName, "--recursive", option, value);

        Assert.Equal(2, exit);
        Assert.Contains("--recursive", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_WhenEveryPinnedVersionVerifies_ExitsZeroWithCounts()
    {
        var (exit, stdout, stderr) = await Run(Project, "--json");
        var json = JsonNode.Parse(stdout)!;
        Assert.True(exit == 0, stderr + stdout);
        Assert.Equal("npm-v3", (string?)json["format"]);
        Assert.Equal(4, (int)json["totals"]!["signatures"]!["verified"]!);
        Assert.Equal(2, (int)json["totals"]!["provenance"]!["verified"]!);
        Assert.Equal("https://github.com/sigstore/sigstore-js", (string?)Package(json, "sigstore")["evidence"]!["provenance"]!["sourceRepository"]);
        Assert.True((int)Package(json, "sigstore")["line"]! > 0);
    }

    [Fact]
    public async Task Audit_WhenRunTwice_SecondRunIsServedFromTheEvidenceCache()
    {
        await Run(Project, "--json");
        var (exit, stdout, _) = await Run(Project, "--json");
        Assert.Equal(0, exit);
        Assert.Equal(4, (int)JsonNode.Parse(stdout)!["totals"]!["fromCache"]!);
    }

    [Fact]
    public async Task Audit_WhenOfflineAfterAnOnlineRun_AnswersFromTheEvidenceCache()
    {
        await Run(Project, "--json");
        var (exit, stdout, stderr) = await Run(Project, "--json", "--offline");
        Assert.True(exit == 0, stderr);
        Assert.Equal(4, (int)JsonNode.Parse(stdout)!["totals"]!["fromCache"]!);
    }

    [Fact]
    public async Task Audit_WhenOfflineWithAnEmptyCache_ExitsThree()
    {
        var (exit, _, stderr) = await Run(Project, "--json", "--offline");
        Assert.Equal(3, exit);
        Assert.Contains("offline", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_WhenLockfileIntegrityDiffers_ExitsOneWithTheCode()
    {
        WriteLockfile(Path.Combine(Project, "package-lock.json"), Pinned, integrity: n => n == "async" ? "sha512-" + Convert.ToBase64String(new byte[64]) : null!);
        var (exit, stdout, _) = await Run(Project, "--json");
        Assert.Equal(1, exit);
        var findings = Package(JsonNode.Parse(stdout)!, "async")["findings"]!.AsArray();
        Assert.Contains(findings, f => (string?)f!["code"] == "VOUCH_AUDIT_INTEGRITY_MISMATCH");
    }

    [Fact]
    public async Task Audit_WhenResolvedPointsAtAnotherHost_ExitsOne()
    {
        WriteLockfile(Path.Combine(Project, "package-lock.json"), Pinned, resolved: (n, v) => n == "async" ? $"https://evil.example.com/async/-/async-{v}.tgz" : null!);
        var (exit, stdout, _) = await Run(Project, "--json");
        Assert.Equal(1, exit);
        Assert.Contains(Package(JsonNode.Parse(stdout)!, "async")["findings"]!.AsArray(), f => (string?)f!["code"] == "VOUCH_LOCK_HOST_NOT_ALLOWED");
    }

    [Fact]
    public async Task Audit_WhenProvenanceSourceDiffersFromRepository_ExitsOneSourceMismatch()
    {
        _registry.Tamper.Add((name, _, doc) =>
        {
            if (name == "sigstore")
            {
                doc["repository"] = new JsonObject { ["type"] = "git", ["url"] = "git+https://github.com/someone-else/sigstore-js.git" };
            }
        });
        var (exit, stdout, _) = await Run(Project, "--json");
        Assert.Equal(1, exit);
        Assert.Contains(Package(JsonNode.Parse(stdout)!, "sigstore")["findings"]!.AsArray(), f => (string?)f!["code"] == "VOUCH_SOURCE_MISMATCH");
    }

    [Fact]
    public async Task Audit_WhenPolicyFileRequiresProvenance_PackagesWithoutItFailWithThePolicyCode()
    {
        File.WriteAllText(Path.Combine(Project, "vouch.policy.yml"), "version: 1\nrules:\n  provenance:\n    severity: error\n    packages: ['node-fetch']\n");
        var (exit, stdout, stderr) = await Run(Project, "--json");
        Assert.True(exit == 1, stderr);
        var json = JsonNode.Parse(stdout)!;
        var nodeFetch = Package(json, "node-fetch");
        Assert.False((bool)nodeFetch["policyAllowed"]!);
        Assert.Contains(nodeFetch["findings"]!.AsArray(), f => (string?)f!["code"] == "VOUCH_POLICY_PROVENANCE_REQUIRED" && (string?)f["source"] == "policy" && (string?)f["rule"] == "provenance");
        Assert.Equal("passed", (string?)Package(json, "async")["status"]);

        // The control: without the file the same lockfile passes.
        File.Delete(Path.Combine(Project, "vouch.policy.yml"));
        Assert.Equal(0, (await Run(Project, "--json")).Exit);
    }

    [Fact]
    public async Task Audit_WhenPolicyFileIsInvalid_ExitsTwo()
    {
        File.WriteAllText(Path.Combine(Project, "vouch.policy.yml"), "version: 1\nrules:\n  provenence: error\n");
        var (exit, _, stderr) = await Run(Project);
        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_WhenSarifToFile_WritesItAndPrintsNothing()
    {
        WriteLockfile(Path.Combine(Project, "package-lock.json"), Pinned, integrity: n => n == "async" ? "sha512-" + Convert.ToBase64String(new byte[64]) : null!);
        var target = Path.Combine(_dir.FullName, "out", "audit.sarif");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var (exit, stdout, _) = await Run(Project, "--format", "sarif", "--output", target);
        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        var sarif = JsonNode.Parse(File.ReadAllText(target))!;
        var result = sarif["runs"]![0]!["results"]!.AsArray().Single(r => (string?)r!["ruleId"] == "VOUCH_AUDIT_INTEGRITY_MISMATCH")!;
        var line = (int)result["locations"]![0]!["physicalLocation"]!["region"]!["startLine"]!;
        Assert.Contains("node_modules/async", File.ReadAllLines(Path.Combine(Project, "package-lock.json"))[line - 1], StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(target)!, "*.tmp"));
    }

    [Fact]
    public async Task Audit_WhenCycloneDx_PrintsAnSbomWithProvenance()
    {
        var (exit, stdout, _) = await Run(Project, "--format", "cyclonedx");
        Assert.Equal(0, exit);
        var bom = JsonNode.Parse(stdout)!;
        Assert.Equal("1.6", (string?)bom["specVersion"]);
        var sigstore = bom["components"]!.AsArray().Single(c => (string?)c!["name"] == "sigstore")!;
        Assert.Equal("pkg:npm/sigstore@1.0.0", (string?)sigstore["purl"]);
        Assert.Contains(sigstore["properties"]!.AsArray(), p => (string?)p!["name"] == "vouch:provenance:sourceCommit");
    }

    [Fact]
    public async Task Audit_WhenPolicyMapsSlsa_JsonSarifCycloneDxAndTableShowThePolicysLevel()
    {
        WriteLockfile(Path.Combine(Project, "package-lock.json"), [.. Pinned, "@sigstore/protobuf-specs@0.2.1"]);

        // The default mapping: hosted GitHub runner L2, a certificate without the runner extension L1, no provenance L0.
        var (_, stdout, stderr) = await Run(Project, "--json");
        var json = JsonNode.Parse(stdout)!;
        Assert.True(Package(json, "@sigstore/protobuf-specs")["slsa"] is not null, stderr + stdout);
        Assert.Equal(2, (int)Package(json, "@sigstore/protobuf-specs")["slsa"]!["level"]!);
        Assert.Equal("github-hosted", (string?)Package(json, "@sigstore/protobuf-specs")["slsa"]!["row"]);
        Assert.Equal("SLSA_BUILD_LEVEL_2", (string?)Package(json, "@sigstore/protobuf-specs")["slsa"]!["name"]);
        Assert.Equal(1, (int)Package(json, "sigstore")["slsa"]!["level"]!);
        Assert.Equal("runner-unknown", (string?)Package(json, "sigstore")["slsa"]!["row"]);
        Assert.Equal(0, (int)Package(json, "node-fetch")["slsa"]!["level"]!);
        Assert.Equal("no-provenance", (string?)Package(json, "node-fetch")["slsa"]!["row"]);

        // A policy whose mapping lists the publishing workflow as an isolated builder: L3 everywhere the level is shown.
        File.WriteAllText(Path.Combine(Project, "vouch.policy.yml"), """
            version: 1
            rules:
              slsa:
                severity: warn
                minimum:
                  - packages: ["sigstore"]
                    level: 3
                isolated-builders: ["https://github.com/sigstore/protobuf-specs/.github/workflows/typescript-publish.yml@"]
            """);
        var mapped = JsonNode.Parse((await Run(Project, "--json")).Out)!;
        Assert.Equal(3, (int)Package(mapped, "@sigstore/protobuf-specs")["slsa"]!["level"]!);
        Assert.Equal("isolated-builder", (string?)Package(mapped, "@sigstore/protobuf-specs")["slsa"]!["row"]);

        var sarif = JsonNode.Parse((await Run(Project, "--format", "sarif")).Out)!;
        var slsaResult = sarif["runs"]![0]!["results"]!.AsArray().First(r => (string?)r!["ruleId"] == "VOUCH_POLICY_SLSA_LEVEL")!;
        Assert.Equal("1", (string?)slsaResult["properties"]!["slsaBuildLevel"]);

        var bom = JsonNode.Parse((await Run(Project, "--format", "cyclonedx")).Out)!;
        var specs = bom["components"]!.AsArray().Single(c => (string?)c!["name"] == "@sigstore/protobuf-specs" || (string?)c!["purl"] == "pkg:npm/%40sigstore/protobuf-specs@0.2.1")!;
        Assert.Contains(specs["properties"]!.AsArray(), p => (string?)p!["name"] == "vouch:slsa:build-level" && (string?)p["value"] == "3");
        var nodeFetch = bom["components"]!.AsArray().Single(c => (string?)c!["name"] == "node-fetch")!;
        Assert.Contains(nodeFetch["properties"]!.AsArray(), p => (string?)p!["name"] == "vouch:slsa:build-level" && (string?)p["value"] == "0");

        var table = (await Run(Project)).Out;
        Assert.Matches(@"sigstore@1\.0\.0\s*│[^\n]*│\s*L1\s*│\s*VOUCH_POLICY_SLSA_LEVEL", table);
    }

    [Fact]
    public async Task Audit_WhenTextFormat_PrintsNpmStyleSummary()
    {
        var (exit, stdout, _) = await Run(Project);
        Assert.Equal(0, exit);
        Assert.Contains("4 packages have verified registry signatures", stdout, StringComparison.Ordinal);
        Assert.Contains("2 packages have verified provenance", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_WhenDiffAgainstBase_ReportsOnlyTheChange()
    {
        var basePath = Path.Combine(_dir.FullName, "base-lock.json");
        WriteLockfile(basePath, ["sigstore@1.0.0", "tuf-js@1.0.0", "node-fetch@1.7.1"]);
        var (exit, stdout, stderr) = await Run(Project, "--json", "--diff", basePath);
        Assert.True(exit == 0, stderr);
        var json = JsonNode.Parse(stdout)!;
        var only = Assert.Single(json["packages"]!.AsArray())!;
        Assert.Equal("async", (string?)only["name"]);
        Assert.Equal("added", (string?)only["diff"]!["change"]);
    }

    [Fact]
    public async Task Audit_WhenBaseIsAGitRef_ComparesWithTheCommittedLockfile()
    {
        WriteLockfile(Path.Combine(Project, "package-lock.json"), ["sigstore@1.0.0", "tuf-js@1.0.0"]);
        Git("init", "-q");
        Git("add", "package-lock.json");
        Git("-c", "user.name=t", "-c", "user.email=t@example.test", "commit", "-q", "-m", "base");
        WriteLockfile(Path.Combine(Project, "package-lock.json"), Pinned);

        var (exit, stdout, stderr) = await Run(Project, "--json", "--base", "HEAD");

        Assert.True(exit == 0, stderr);
        var json = JsonNode.Parse(stdout)!;
        Assert.Equal("HEAD", (string?)json["diffBase"]);
        Assert.Equal(["async", "node-fetch"], json["packages"]!.AsArray().Select(p => (string)p!["name"]!).Order().ToArray());
        Assert.Equal(2, (await Run(Project, "--base", "no-such-ref")).Exit);
    }

    private void Git(params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("git") { WorkingDirectory = Project, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var git = System.Diagnostics.Process.Start(start)!;
        git.WaitForExit();
        Assert.True(git.ExitCode == 0, git.StandardError.ReadToEnd());
    }

    [Theory]
    [InlineData("--trusted-root", "--trusted-root: cannot read")]
    [InlineData("--registry-keys", "--registry-keys: cannot read")]
    public async Task Audit_WhenTrustFileMissing_ExitsTwoNamingTheOption(string option, string expected)
    {
        var (exit, _, err) = await Run(Project, option, Path.Combine(_dir.FullName, "missing.json"));

        Assert.Equal(2, exit);
        Assert.StartsWith($"vouch: {expected}", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_WhenRegistryKeysFileMalformed_ExitsTwo()
    {
        var keys = Path.Combine(_dir.FullName, "keys.json");
        File.WriteAllText(keys, "{\"keys\": 42}");

        var (exit, _, err) = await Run(Project, "--registry-keys", keys);

        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: --registry-keys:", err, StringComparison.Ordinal);
        Assert.Contains("is not an npm registry keys document", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_WhenNoLockfile_ExitsTwoWithOneLine()
    {
        var empty = Directory.CreateDirectory(Path.Combine(_dir.FullName, "empty"));
        var (exit, _, stderr) = await Run(empty.FullName);
        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("VOUCH_LOCK_", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_WhenLockfileMalformed_ExitsTwo()
    {
        File.WriteAllText(Path.Combine(Project, "package-lock.json"), "{ \"lockfileVersion\": 3, \"packages\": [");
        var (exit, _, stderr) = await Run(Project);
        Assert.Equal(2, exit);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--format", "xml")]
    [InlineData("--concurrency", "0")]
    public async Task Audit_WhenOptionInvalid_ExitsTwo(string option, string value)
    {
        var (exit, _, stderr) = await Run(Project, option, value);
        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Audit_WhenRegistryUnreachable_ExitsThree()
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var exit = await VouchCli.RunAsync(["audit", Project, "--registry", "http://127.0.0.1:9/", "--cache-dir", Cache, "--json"], o, e);
        Assert.Equal(3, exit);
    }
}
