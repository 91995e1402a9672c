using System.Text;
using Vouch.Npm;

namespace Vouch.Advisories.Tests;

public sealed class AdvisoryRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly SnapshotInfo Snap = new() { Digest = "sha256:" + new string('a', 64), RecordCount = 1, WithdrawnCount = 0, MalwareCount = 0 };

    private static AdvisoryMatch Match(string id, SeverityLevel level, bool malware = false, string package = "lodash", string version = "4.17.20", params string[] aliases) => new()
    {
        Id = id,
        Ids = [id],
        Aliases = aliases,
        IsMalware = malware,
        Severity = new AdvisorySeverity(level, null, SeveritySource.Database, null),
        Modified = Now,
        Package = package,
        Version = SemVersion.Parse(version),
        FixedIn = SemVersion.Parse("4.17.21"),
    };

    private static IReadOnlyList<AdvisoryFinding> Eval(AdvisoryMatch m, AdvisoryRuleOptions? o = null) =>
        AdvisoryRules.Advisories(m.Package, m.Version, [m], o ?? new AdvisoryRuleOptions(), Snap, Now);

    private static AdvisoryIgnore Ignore(string id, DateTimeOffset expires, string? package = null)
    {
        Assert.True(AdvisoryIgnore.TryCreate(id, "not reachable from our code", expires, package, out var i, out var errors), string.Join(", ", errors));
        return i!;
    }

    [Theory]
    [InlineData(SeverityLevel.Critical, SeverityLevel.High, "VOUCH_ADVISORY_VULNERABLE")]
    [InlineData(SeverityLevel.High, SeverityLevel.High, "VOUCH_ADVISORY_VULNERABLE")]
    [InlineData(SeverityLevel.Medium, SeverityLevel.High, "VOUCH_ADVISORY_BELOW_THRESHOLD")]
    [InlineData(SeverityLevel.Low, SeverityLevel.Low, "VOUCH_ADVISORY_VULNERABLE")]
    [InlineData(SeverityLevel.Unknown, SeverityLevel.High, "VOUCH_ADVISORY_VULNERABLE")]
    public void Advisories_WhenSeverityComparedWithThreshold_FailsAtOrAbove(SeverityLevel level, SeverityLevel threshold, string code)
    {
        var f = Assert.Single(Eval(Match("GHSA-1", level), new AdvisoryRuleOptions { Threshold = threshold }));
        Assert.Equal(code, f.Code);
        Assert.Equal(code == AdvisoryCodes.Vulnerable ? FindingLevel.Error : FindingLevel.Note, f.Level);
        Assert.Contains("4.17.21", f.Fix, StringComparison.Ordinal);
        Assert.Equal(Snap.Id, f.Snapshot);
    }

    [Fact]
    public void Advisories_WhenIgnoredByAliasAndUnexpired_IsSuppressed()
    {
        var f = Assert.Single(Eval(Match("GHSA-1", SeverityLevel.Critical, aliases: "CVE-2021-23337"), new AdvisoryRuleOptions { Ignores = [Ignore("CVE-2021-23337", Now.AddDays(1))] }));
        Assert.Equal(AdvisoryCodes.Suppressed, f.Code);
    }

    [Fact]
    public void Advisories_WhenIgnoreExpired_FailsAgainAndReportsTheEntry()
    {
        var fs = Eval(Match("GHSA-1", SeverityLevel.Critical), new AdvisoryRuleOptions { Ignores = [Ignore("GHSA-1", Now)] });
        Assert.Equal([AdvisoryCodes.IgnoreExpired, AdvisoryCodes.Vulnerable], fs.Select(f => f.Code));
    }

    [Fact]
    public void Advisories_WhenIgnoreIsForAnotherPackage_DoesNotApply()
    {
        var f = Assert.Single(Eval(Match("GHSA-1", SeverityLevel.Critical), new AdvisoryRuleOptions { Ignores = [Ignore("GHSA-1", Now.AddDays(9), "lodash-es")] }));
        Assert.Equal(AdvisoryCodes.Vulnerable, f.Code);
    }

    [Theory]
    [InlineData(null, "because", true, "id")]
    [InlineData("GHSA-1", "", true, "reason")]
    [InlineData("GHSA-1", "because", false, "expires")]
    public void TryCreate_WhenFieldMissing_NamesIt(string? id, string reason, bool hasExpiry, string field)
    {
        Assert.False(AdvisoryIgnore.TryCreate(id, reason, hasExpiry ? Now : null, null, out _, out var errors));
        Assert.Contains(errors, e => e.StartsWith(field, StringComparison.Ordinal));
    }

    [Fact]
    public void Malware_WhenMatched_IsAlwaysAnErrorEvenIfIgnoredOrVexed()
    {
        var m = Match("MAL-2025-46974", SeverityLevel.Unknown, malware: true, package: "debug", version: "4.4.2");
        var vex = VexDocument.Parse(Encoding.UTF8.GetBytes(OpenVex("MAL-2025-46974", "pkg:npm/debug@4.4.2", "not_affected")), "vex.json");
        var options = new AdvisoryRuleOptions { Ignores = [Ignore("MAL-2025-46974", Now.AddDays(30))], Vex = vex.Statements };
        Assert.Empty(AdvisoryRules.Advisories("debug", m.Version, [m], options, Snap, Now));
        var f = Assert.Single(AdvisoryRules.Malware("debug", m.Version, [m], Snap));
        Assert.Equal(AdvisoryCodes.Malware, f.Code);
        Assert.Equal(FindingLevel.Error, f.Level);
    }

    [Fact]
    public void Malware_WhenNoMalwareMatch_FindsNothing()
    {
        Assert.Empty(AdvisoryRules.Malware("lodash", SemVersion.Parse("4.17.20"), [Match("GHSA-1", SeverityLevel.Critical)], Snap));
    }

    private static string OpenVex(string vuln, string product, string status, string extra = ",\"justification\":\"vulnerable_code_not_in_execute_path\"", string? timestamp = null) => $$"""
        {"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1","author":"me","timestamp":"2026-01-01T00:00:00Z","version":1,
         "statements":[{"vulnerability":{"name":"{{vuln}}"},"products":[{"@id":"pkg:npm/my-app@1.0.0","subcomponents":[{"@id":"{{product}}"}]}],"status":"{{status}}"{{extra}}{{(timestamp is null ? "" : $",\"timestamp\":\"{timestamp}\"")}}}]}
        """;

    [Theory]
    [InlineData("pkg:npm/lodash@4.17.20", "not_affected", true)]
    [InlineData("pkg:npm/lodash", "not_affected", true)]
    [InlineData("pkg:npm/lodash@4.17.20", "fixed", true)]
    [InlineData("pkg:npm/lodash@4.17.20", "affected", false)]
    [InlineData("pkg:npm/lodash@4.17.19", "not_affected", false)]
    [InlineData("pkg:npm/lodash-es@4.17.20", "not_affected", false)]
    [InlineData("pkg:pypi/lodash@4.17.20", "not_affected", false)]
    public void Advisories_WhenOpenVexStatement_SuppressesOnlyMatchingNotAffectedOrFixed(string product, string status, bool suppressed)
    {
        var vex = VexDocument.Parse(Encoding.UTF8.GetBytes(OpenVex("CVE-2021-23337", product, status)), "app.openvex.json");
        Assert.True(vex.IsOk, string.Join("; ", vex.Errors));
        var f = Assert.Single(Eval(Match("GHSA-35jh-r3h4-6jhm", SeverityLevel.High, aliases: "CVE-2021-23337"), new AdvisoryRuleOptions { Vex = vex.Statements }));
        Assert.Equal(suppressed ? AdvisoryCodes.Suppressed : AdvisoryCodes.Vulnerable, f.Code);
    }

    [Fact]
    public void Parse_WhenOpenVexNotAffectedLacksJustification_Refuses()
    {
        var vex = VexDocument.Parse(Encoding.UTF8.GetBytes(OpenVex("CVE-1", "pkg:npm/lodash@4.17.20", "not_affected", extra: "")), "v.json");
        Assert.False(vex.IsOk);
        Assert.Empty(vex.Statements);
        Assert.Contains(vex.Errors, e => e.Contains("justification", StringComparison.Ordinal));
    }

    [Fact]
    public void VexVerdict_WhenLaterStatementSaysAffected_DoesNotSuppress()
    {
        var doc = """
            {"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2026-01-01T00:00:00Z","version":2,"statements":[
             {"vulnerability":{"name":"GHSA-1"},"products":[{"@id":"pkg:npm/lodash@4.17.20"}],"status":"not_affected","justification":"component_not_present","timestamp":"2026-01-01T00:00:00Z"},
             {"vulnerability":{"name":"GHSA-1"},"products":[{"@id":"pkg:npm/lodash@4.17.20"}],"status":"affected","timestamp":"2026-02-01T00:00:00Z"}]}
            """;
        var vex = VexDocument.Parse(Encoding.UTF8.GetBytes(doc), "v.json");
        Assert.True(vex.IsOk, string.Join("; ", vex.Errors));
        Assert.Null(AdvisoryRules.VexVerdict(Match("GHSA-1", SeverityLevel.High), vex.Statements));
    }

    [Theory]
    [InlineData("not_affected", "\"justification\":\"code_not_reachable\"", true)]
    [InlineData("resolved", "", true)]
    [InlineData("exploitable", "", false)]
    [InlineData("in_triage", "", false)]
    public void Advisories_WhenCycloneDxVex_SuppressesByBomRef(string state, string justification, bool suppressed)
    {
        var comma = justification.Length > 0 ? "," : "";
        var doc = $$"""
            {"bomFormat":"CycloneDX","specVersion":"1.5","version":1,
             "components":[{"type":"library","bom-ref":"lodash-ref","name":"lodash","version":"4.17.20","purl":"pkg:npm/lodash@4.17.20"}],
             "vulnerabilities":[{"id":"CVE-2021-23337","analysis":{"state":"{{state}}"{{comma}}{{justification}}},"affects":[{"ref":"lodash-ref"}]}]}
            """;
        var vex = VexDocument.Parse(Encoding.UTF8.GetBytes(doc), "bom.cdx.json");
        Assert.True(vex.IsOk, string.Join("; ", vex.Errors));
        var f = Assert.Single(Eval(Match("GHSA-35jh-r3h4-6jhm", SeverityLevel.High, aliases: "CVE-2021-23337"), new AdvisoryRuleOptions { Vex = vex.Statements }));
        Assert.Equal(suppressed ? AdvisoryCodes.Suppressed : AdvisoryCodes.Vulnerable, f.Code);
    }

    [Theory]
    [InlineData("""{"hello":1}""")]
    [InlineData("""{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"maybe"},"affects":[{"ref":"pkg:npm/x@1.0.0"}]}]}""")]
    [InlineData("""{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"resolved"},"affects":[{"ref":"unknown-ref"}]}]}""")]
    [InlineData("""{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"products":[],"status":"perhaps"}]}""")]
    [InlineData("""{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"products":[]}]}""")]
    [InlineData("not json")]
    public void Parse_WhenVexDocumentIsMalformed_ListsErrorsAndYieldsNoStatements(string doc)
    {
        var vex = VexDocument.Parse(Encoding.UTF8.GetBytes(doc), "bad.json");
        Assert.False(vex.IsOk);
        Assert.Empty(vex.Statements);
    }

    [Theory]
    [InlineData("pkg:npm/%40babel/traverse@7.23.1", "@babel/traverse", "7.23.1")]
    [InlineData("pkg:npm/@babel/traverse@7.23.1", "@babel/traverse", "7.23.1")]
    [InlineData("pkg:npm/lodash@4.17.20?foo=bar#sub", "lodash", "4.17.20")]
    [InlineData("pkg:npm/lodash", "lodash", null)]
    public void Purl_WhenNpm_ParsesNameAndVersion(string purl, string name, string? version)
    {
        var p = NpmPurl.Parse(purl);
        Assert.NotNull(p);
        Assert.Equal(name, p.Name);
        Assert.Equal(version, p.Version?.ToString());
    }

    [Theory]
    [InlineData("pkg:npm/a/b/c@1.0.0")]
    [InlineData("pkg:npm/lodash@not-a-version")]
    [InlineData("pkg:npm/%2540x@1.0.0")]
    [InlineData("pkg:maven/a/b@1.0")]
    public void Purl_WhenMalformed_IsNull(string purl) => Assert.Null(NpmPurl.Parse(purl));
}
