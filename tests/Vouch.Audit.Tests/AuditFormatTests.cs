using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Audit.Formats;
using Vouch.Npm.Lockfiles;
using Vouch.Provenance;

namespace Vouch.Audit.Tests;

/// <summary>
/// The output formats over one report built from real sandbox-signed evidence: SARIF and CycloneDX
/// validated against their official JSON schemas (tests/Vouch.Audit.Tests/Schemas), JSON, Markdown
/// and GitHub annotations checked for what they must say.
/// </summary>
public sealed class AuditFormatTests : IAsyncLifetime
{
    private const string SarifUri = "https://json.schemastore.org/sarif-2.1.0.json";
    private const string CycloneDxUri = "http://cyclonedx.org/schema/bom-1.6.schema.json";

    // The CycloneDX schema refers to its companions by file name, relative to its $id.
    private static readonly Lazy<SchemaValidator> Schemas = new(() => new SchemaValidator()
        .Add(SarifUri, File.ReadAllText(SchemaPath("sarif-2.1.0.schema.json")))
        .Add(CycloneDxUri, File.ReadAllText(SchemaPath("bom-1.6.SNAPSHOT.schema.json")))
        .Add("http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json", File.ReadAllText(SchemaPath("spdx.SNAPSHOT.schema.json")))
        .Add("http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json", File.ReadAllText(SchemaPath("jsf-0.82.SNAPSHOT.schema.json"))));

    private AuditRegistry _registry = null!;
    private AuditReport _report = null!;

    public async Task InitializeAsync()
    {
        _registry = await AuditRegistry.StartAsync();
        var widget = _registry.Publish("@acme/widget", "1.0.0-rc.1", AuditPipelineTests.Widget);
        var plain = _registry.Publish("plain", "2.0.0");
        var bad = _registry.Publish("bad", "1.0.0");
        var lockfile = new Lockfile
        {
            Path = Path.Combine(Directory.GetCurrentDirectory(), "sub", "package-lock.json"),
            Format = LockfileFormat.NpmV3,
            Packages =
            [
                _registry.Entry(widget, 12),
                _registry.Entry(plain, 40) with { Dev = true },
                _registry.Entry(bad, 55) with { Integrity = "sha512-" + Convert.ToBase64String(new byte[64]), Resolved = "https://evil.example.com/bad.tgz" },
                new LockfilePackage { Name = "fromgit", Version = "1.0.0", Source = LockfileSourceKind.Git, Resolved = "git+https://github.com/a/b.git#0123", Line = 70 },
            ],
        };
        using var client = _registry.Client();
        _report = await new AuditPipeline(client, _registry.Verifier(client)).RunAsync(lockfile, [new PackageLint(null, new AuditFinding("LOCKFILE_TEST_WARNING", AuditSeverity.Warning, FindingSource.Lockfile, "a finding about the file, with \"quotes\" | pipes"))]);
    }

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    private static string SchemaPath(string file) => Path.Combine(AppContext.BaseDirectory, "Schemas", file);

    private static void AssertValid(string schemaUri, string json)
    {
        var errors = Schemas.Value.Validate(schemaUri, JsonNode.Parse(json));
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(20)));
    }

    private static bool IsValid(string schemaUri, string json) => Schemas.Value.Validate(schemaUri, JsonNode.Parse(json)).Count == 0;

    [Fact]
    public void Sarif_WhenRendered_ValidatesAgainstTheSarifSchema()
    {
        var sarif = AuditSarif.Render(_report, Directory.GetCurrentDirectory(), "1.2.3");
        AssertValid(SarifUri, sarif);
    }

    [Fact]
    public void Sarif_WhenTampered_SchemaRejectsIt()
    {
        // Proof that the validation can fail: an unknown level, a result without a message, an extra top-level field.
        var sarif = JsonNode.Parse(AuditSarif.Render(_report, Directory.GetCurrentDirectory(), "1.2.3"))!;
        var badLevel = sarif.DeepClone();
        badLevel["runs"]![0]!["results"]![0]!["level"] = "fatal";
        var noMessage = sarif.DeepClone();
        noMessage["runs"]![0]!["results"]![0]!.AsObject().Remove("message");
        var extra = sarif.DeepClone();
        extra["unexpected"] = true;
        Assert.False(IsValid(SarifUri, badLevel.ToJsonString()));
        Assert.False(IsValid(SarifUri, noMessage.ToJsonString()));
        Assert.False(IsValid(SarifUri, extra.ToJsonString()));
    }

    [Fact]
    public void Sarif_WhenRendered_LocatesFindingsAtTheLockfileLineOfTheirPackage()
    {
        var sarif = JsonNode.Parse(AuditSarif.Render(_report, Directory.GetCurrentDirectory(), "1.2.3"))!;
        var results = sarif["runs"]![0]!["results"]!.AsArray();
        var mismatch = results.Single(r => (string?)r!["ruleId"] == AuditCodes.IntegrityMismatch)!;
        var location = mismatch["locations"]![0]!["physicalLocation"]!;
        Assert.Equal("sub/package-lock.json", (string?)location["artifactLocation"]!["uri"]);
        Assert.Equal(55, (int)location["region"]!["startLine"]!);
        Assert.Equal("error", (string?)mismatch["level"]);
        Assert.Contains(results, r => (string?)r!["ruleId"] == AuditCodes.ResolvedElsewhere);
        var fileLevel = results.Single(r => (string?)r!["ruleId"] == "LOCKFILE_TEST_WARNING")!;
        Assert.Null(fileLevel["locations"]![0]!["physicalLocation"]!["region"]);
        var rules = sarif["runs"]![0]!["tool"]!["driver"]!["rules"]!.AsArray();
        Assert.Equal(AuditCodes.IntegrityMismatch, (string?)rules[(int)mismatch["ruleIndex"]!]!["id"]);
    }

    [Fact]
    public void CycloneDx_WhenRendered_ValidatesAgainstTheCycloneDx16Schema()
    {
        var bom = AuditCycloneDx.Render(_report, Directory.GetCurrentDirectory(), "1.2.3", DateTimeOffset.UnixEpoch, Guid.Empty);
        AssertValid(CycloneDxUri, bom);
    }

    [Fact]
    public void CycloneDx_WhenTampered_SchemaRejectsIt()
    {
        var bom = JsonNode.Parse(AuditCycloneDx.Render(_report, Directory.GetCurrentDirectory(), "1.2.3", DateTimeOffset.UnixEpoch, Guid.Empty))!;
        var badAlg = bom.DeepClone();
        badAlg["components"]![0]!["hashes"]![0]!["alg"] = "SHA-513";
        var badHash = bom.DeepClone();
        badHash["components"]![0]!["hashes"]![0]!["content"] = "not hex";
        var badRef = bom.DeepClone();
        badRef["components"]![0]!["externalReferences"]![0]!["type"] = "source-code";
        Assert.False(IsValid(CycloneDxUri, badAlg.ToJsonString()));
        Assert.False(IsValid(CycloneDxUri, badHash.ToJsonString()));
        Assert.False(IsValid(CycloneDxUri, badRef.ToJsonString()));
    }

    [Fact]
    public void CycloneDx_WhenProvenanceVerified_CarriesPurlHashesAndProvenanceEvidence()
    {
        var bom = JsonNode.Parse(AuditCycloneDx.Render(_report, null, "1.2.3", DateTimeOffset.UnixEpoch, Guid.Empty))!;
        var widget = bom["components"]!.AsArray().Single(c => (string?)c!["name"] == "widget")!;
        Assert.Equal("@acme", (string?)widget["group"]);
        Assert.Equal("pkg:npm/%40acme/widget@1.0.0-rc.1", (string?)widget["purl"]);
        Assert.Equal("SHA-512", (string?)widget["hashes"]![0]!["alg"]);
        Assert.Equal(128, ((string?)widget["hashes"]![0]!["content"])!.Length);
        var props = widget["properties"]!.AsArray().ToDictionary(p => (string)p!["name"]!, p => (string)p!["value"]!);
        Assert.Equal("https://github.com/acme/widget", props["vouch:provenance:sourceRepository"]);
        Assert.Equal(AuditPipelineTests.Widget.Sha, props["vouch:provenance:sourceCommit"]);
        Assert.Equal("verified", props["vouch:provenance"]);
        Assert.Contains("github", props["vouch:provenance:builderId"], StringComparison.Ordinal);
        Assert.Contains(widget["externalReferences"]!.AsArray(), r => (string?)r!["type"] == "vcs" && (string?)r["url"] == "https://github.com/acme/widget");
        var plain = bom["components"]!.AsArray().Single(c => (string?)c!["name"] == "plain")!;
        Assert.Equal("excluded", (string?)plain["scope"]);
        var git = bom["components"]!.AsArray().Single(c => (string?)c!["name"] == "fromgit")!;
        Assert.Null(git["purl"]);
    }

    [Fact]
    public void Json_WhenRendered_CarriesTheDocumentedFields()
    {
        var json = JsonNode.Parse(AuditJson.Render(_report, Directory.GetCurrentDirectory()))!;
        Assert.Equal("sub/package-lock.json", (string?)json["lockfile"]);
        Assert.Equal("npm-v3", (string?)json["format"]);
        Assert.False((bool)json["passed"]!);
        // "bad" is signed too: its signature covers the registry's integrity, which the lockfile contradicts.
        Assert.Equal(3, (int)json["totals"]!["signatures"]!["verified"]!);
        Assert.Equal("passed", (string?)json["packages"]!.AsArray().Single(p => (string?)p!["name"] == "@acme/widget")!["status"]);
        Assert.Equal(1, (int)json["totals"]!["provenance"]!["verified"]!);
        var bad = json["packages"]!.AsArray().Single(p => (string?)p!["name"] == "bad")!;
        Assert.Equal("failed", (string?)bad["status"]);
        Assert.Equal(55, (int)bad["line"]!);
        Assert.Contains(bad["findings"]!.AsArray(), f => (string?)f!["code"] == AuditCodes.IntegrityMismatch && (string?)f["severity"] == "error" && (string?)f["source"] == "audit");
        var widget = json["packages"]!.AsArray().Single(p => (string?)p!["name"] == "@acme/widget")!;
        Assert.Equal("verified", (string?)widget["evidence"]!["provenance"]!["status"]);
        Assert.Equal(AuditPipelineTests.Widget.Sha, (string?)widget["evidence"]!["provenance"]!["sourceCommit"]);
        Assert.Equal("skipped", (string?)json["packages"]!.AsArray().Single(p => (string?)p!["name"] == "fromgit")!["status"]);
    }

    [Fact]
    public void Markdown_WhenProblems_ListsThemInATableWithoutBreakingRows()
    {
        var md = AuditMarkdown.Render(_report, Directory.GetCurrentDirectory());
        Assert.Contains("failed", md.Split('\n')[0], StringComparison.Ordinal);
        Assert.Contains("3 packages have verified registry signatures", md, StringComparison.Ordinal);
        Assert.Contains($"`{AuditCodes.IntegrityMismatch}`", md, StringComparison.Ordinal);
        Assert.Contains("\\| pipes", md, StringComparison.Ordinal);
        var row = md.Split('\n').Single(l => l.Contains(AuditCodes.IntegrityMismatch, StringComparison.Ordinal));
        Assert.Contains("| 55 |", row, StringComparison.Ordinal);
    }

    [Fact]
    public void GitHubAnnotations_WhenErrors_PointAtTheLockfileLine()
    {
        var lines = GitHubAnnotations.Render(_report, Directory.GetCurrentDirectory()).ToList();
        var mismatch = lines.Single(l => l.Contains(AuditCodes.IntegrityMismatch, StringComparison.Ordinal));
        Assert.StartsWith("::error file=sub/package-lock.json,line=55,title=", mismatch, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("::warning file=sub/package-lock.json,title=LOCKFILE_TEST_WARNING::", StringComparison.Ordinal));
        Assert.All(lines, l => Assert.DoesNotContain('\n', l));
    }

    [Fact]
    public void EvidenceCache_WhenReportRoundTrips_KeepsEveryField()
    {
        var original = _report.Entries.Single(e => e.Package.Name == "@acme/widget").Report!;
        var dir = Directory.CreateTempSubdirectory("vouch-evidence-");
        try
        {
            var cache = new EvidenceCache(dir.FullName, "fp");
            var registry = new Uri("http://127.0.0.1/");
            cache.Write(registry, original.Name, original.Version, "sha512-x", new CachedEvidence { Report = original });
            var back = cache.TryRead(registry, original.Name, original.Version, "sha512-x")!.Report;
            Assert.Equal(JsonSerializer.Serialize(AuditJson.Evidence(original)), JsonSerializer.Serialize(AuditJson.Evidence(back)));
            Assert.Null(cache.TryRead(registry, original.Name, original.Version, "sha512-y"));
            Assert.Null(new EvidenceCache(dir.FullName, "other").TryRead(registry, original.Name, original.Version, "sha512-x"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
