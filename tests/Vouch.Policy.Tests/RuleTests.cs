using static Vouch.Policy.Tests.Policies;

namespace Vouch.Policy.Tests;

public sealed class RuleTests
{
    private static readonly DateTimeOffset Now = Day("2025-06-01");

    private static PolicySubject Subject(PackumentBuilder b, string version, bool? provenance = null, string repository = "https://github.com/acme/widget", string sourceRef = "refs/tags/v1.0.0", string workflow = ".github/workflows/release.yml", string runner = "github-hosted", DateTimeOffset? publishTime = null, string? timeSource = null)
    {
        var p = b.Build();
        return new PolicySubject { Report = Reports.For(p, version, provenance, repository, sourceRef, workflow, runner: runner, publishTime: publishTime, publishTimeSource: timeSource), Packument = p };
    }

    private static IReadOnlyList<string> Codes(string yaml, PolicySubject s, DateTimeOffset? now = null) =>
        Evaluate(yaml, s, now ?? Now).Findings.Select(f => f.Code).ToList();

    [Fact]
    public void Provenance_WhenPatternMatchesAndProvenanceAbsent_ReportsRequired()
    {
        const string yaml = "version: 1\nrules:\n  provenance:\n    severity: error\n    packages: ['@acme/*', 'lottie-*']\n";
        var without = Subject(new PackumentBuilder("@acme/widget").Version("1.0.0", Day("2024-01-01")), "1.0.0");
        var with = Subject(new PackumentBuilder("@acme/widget").Version("1.0.0", Day("2024-01-01"), provenance: true), "1.0.0");
        var other = Subject(new PackumentBuilder("left-pad").Version("1.0.0", Day("2024-01-01")), "1.0.0");

        Assert.Equal([PolicyCodes.ProvenanceRequired], Codes(yaml, without));
        Assert.False(Evaluate(yaml, without, Now).Allowed);
        Assert.Empty(Codes(yaml, with));
        Assert.Empty(Codes(yaml, other));
    }

    [Fact]
    public void Provenance_WhenPackageExcluded_DoesNotApply()
    {
        const string yaml = "version: 1\nrules:\n  provenance:\n    severity: error\n    packages: ['@acme/*']\n    exclude: ['@acme/legacy-*']\n";
        Assert.Empty(Codes(yaml, Subject(new PackumentBuilder("@acme/legacy-x").Version("1.0.0", Day("2024-01-01")), "1.0.0")));
        Assert.NotEmpty(Codes(yaml, Subject(new PackumentBuilder("@acme/new-x").Version("1.0.0", Day("2024-01-01")), "1.0.0")));
    }

    [Fact]
    public void Signature_WhenAbsent_ReportsRequired()
    {
        const string yaml = "version: 1\nrules:\n  signature: error\n";
        Assert.Equal([PolicyCodes.SignatureRequired], Codes(yaml, Subject(new PackumentBuilder("a").Version("1.0.0", Day("2024-01-01"), signature: false), "1.0.0")));
        Assert.Empty(Codes(yaml, Subject(new PackumentBuilder("a").Version("1.0.0", Day("2024-01-01")), "1.0.0")));
    }

    private const string SourcePolicy = """
        version: 1
        rules:
          source:
            severity: error
            allowed:
              - packages: ['@acme/*']
                repositories: ['https://github.com/acme/*']
                workflows: ['.github/workflows/release.yml']
                refs: ['refs/tags/v*']
                builders: ['https://github.com/actions/runner/github-hosted']
                issuers: ['https://token.actions.githubusercontent.com']
                hosted-runners-only: true
        """;

    private static PackumentBuilder Acme() => new PackumentBuilder("@acme/widget").Version("1.0.0", Day("2024-01-01"), provenance: true);

    [Fact]
    public void Source_WhenBuiltFromAllowedSource_Allows()
    {
        Assert.Empty(Codes(SourcePolicy, Subject(Acme(), "1.0.0")));
        Assert.Empty(Codes(SourcePolicy, Subject(Acme(), "1.0.0", repository: "git+https://github.com/ACME/widget.git")));
    }

    [Fact]
    public void Source_WhenRepositoryHijacked_ReportsRepository()
    {
        var codes = Codes(SourcePolicy, Subject(Acme(), "1.0.0", repository: "https://github.com/attacker/widget"));
        Assert.Equal([PolicyCodes.SourceRepository], codes);
    }

    [Fact]
    public void Source_WhenRepositoryIsSubPathOrLookalike_ReportsRepository()
    {
        Assert.Equal([PolicyCodes.SourceRepository], Codes(SourcePolicy, Subject(Acme(), "1.0.0", repository: "https://github.com/acme-evil/widget")));
        Assert.Equal([PolicyCodes.SourceRepository], Codes(SourcePolicy, Subject(Acme(), "1.0.0", repository: "https://gitlab.com/acme/widget")));
    }

    [Fact]
    public void Source_WhenRefWorkflowOrRunnerDiffer_ReportsEach()
    {
        Assert.Equal([PolicyCodes.SourceRef], Codes(SourcePolicy, Subject(Acme(), "1.0.0", sourceRef: "refs/heads/main")));
        Assert.Equal([PolicyCodes.SourceWorkflow], Codes(SourcePolicy, Subject(Acme(), "1.0.0", workflow: ".github/workflows/other.yml")));
        Assert.Equal([PolicyCodes.SourceRunner], Codes(SourcePolicy, Subject(Acme(), "1.0.0", runner: "self-hosted")));
    }

    [Fact]
    public void Source_WhenNoProvenance_ReportsUnverified()
    {
        Assert.Equal([PolicyCodes.SourceUnverified], Codes(SourcePolicy, Subject(Acme(), "1.0.0", provenance: false)));
    }

    [Fact]
    public void Source_WhenPackageNotCovered_DoesNotApply()
    {
        Assert.Empty(Codes(SourcePolicy, Subject(new PackumentBuilder("left-pad").Version("1.0.0", Day("2024-01-01")), "1.0.0")));
    }

    [Fact]
    public void ReleaseAge_WhenFreshTyposquat_ReportsReleaseAge()
    {
        const string yaml = "version: 1\nrules:\n  release-age:\n    severity: error\n    minimum: 3d\n    exempt: ['@acme/*']\n";
        var published = Now.AddHours(-5);
        var typo = Subject(new PackumentBuilder("lodahs").Version("1.0.0", published), "1.0.0", publishTime: published, timeSource: "transparency-log");

        var verdict = Evaluate(yaml, typo, Now);
        var f = Assert.Single(verdict.Findings);
        Assert.Equal(PolicyCodes.ReleaseAge, f.Code);
        Assert.Contains("transparency-log", f.Evidence, StringComparison.Ordinal);
        Assert.Contains("5h", f.Message, StringComparison.Ordinal);

        Assert.Empty(Codes(yaml, typo, Now.AddDays(3)));
        var own = Subject(new PackumentBuilder("@acme/x").Version("1.0.0", published), "1.0.0", publishTime: published);
        Assert.Empty(Codes(yaml, own));
    }

    [Fact]
    public void ReleaseAge_WhenOnlyPackumentTime_SaysSo()
    {
        const string yaml = "version: 1\nrules:\n  release-age:\n    severity: error\n    minimum: 1d\n";
        var s = Subject(new PackumentBuilder("x").Version("1.0.0", Now.AddHours(-1)), "1.0.0");
        Assert.Contains("packument", Assert.Single(Evaluate(yaml, s, Now).Findings).Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void ReleaseAge_WhenPublishTimeUnknown_Fails()
    {
        const string yaml = "version: 1\nrules:\n  release-age:\n    severity: error\n    minimum: 1d\n";
        var p = new PackumentBuilder("x").Version("1.0.0", Day("2024-01-01")).Build();
        var s = new PolicySubject { Report = Reports.For(p, "1.0.0") with { PublishTime = null, PublishTimeSource = null }, Packument = p };
        Assert.Equal([PolicyCodes.ReleaseTimeUnknown], Codes(yaml, s));
    }

    private const string ScriptsPolicy = "version: 1\nrules:\n  install-scripts:\n    severity: error\n    allow: ['esbuild', '@acme/*']\n";

    [Fact]
    public void InstallScripts_WhenMaliciousPostinstall_Reports()
    {
        var s = Subject(new PackumentBuilder("evil").Version("1.0.0", Day("2024-01-01"), scripts: new Dictionary<string, string> { ["postinstall"] = "node steal.js", ["test"] = "x" }), "1.0.0");
        var f = Assert.Single(Evaluate(ScriptsPolicy, s, Now).Findings);
        Assert.Equal(PolicyCodes.InstallScripts, f.Code);
        Assert.Contains("node steal.js", f.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void InstallScripts_WhenImplicitNodeGyp_Reports()
    {
        var s = Subject(new PackumentBuilder("native").Version("1.0.0", Day("2024-01-01"), gypfile: true), "1.0.0");
        Assert.Contains("node-gyp", Assert.Single(Evaluate(ScriptsPolicy, s, Now).Findings).Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void InstallScripts_WhenAllowlistedOrOnlyOtherScripts_Allows()
    {
        Assert.Empty(Codes(ScriptsPolicy, Subject(new PackumentBuilder("esbuild").Version("1.0.0", Day("2024-01-01"), scripts: new Dictionary<string, string> { ["postinstall"] = "node install.js" }), "1.0.0")));
        Assert.Empty(Codes(ScriptsPolicy, Subject(new PackumentBuilder("plain").Version("1.0.0", Day("2024-01-01"), scripts: new Dictionary<string, string> { ["test"] = "jest", ["prepare"] = "tsc" }), "1.0.0")));
    }

    [Fact]
    public void Deprecated_WhenVersionDeprecated_Reports()
    {
        const string yaml = "version: 1\nrules:\n  deprecated: warn\n";
        var s = Subject(new PackumentBuilder("old").Version("1.0.0", Day("2024-01-01"), deprecated: "use new"), "1.0.0");
        var verdict = Evaluate(yaml, s, Now);
        Assert.True(verdict.Allowed);
        Assert.Equal(PolicyCodes.Deprecated, Assert.Single(verdict.Findings).Code);
        Assert.Empty(Codes(yaml, Subject(new PackumentBuilder("old").Version("1.0.0", Day("2024-01-01")), "1.0.0")));
    }

    private const string BumpPolicy = """
        version: 1
        rules:
          major-bump:
            severity: error
            require: [provenance]
          new-dependency:
            severity: error
            require: [approval]
        """;

    [Fact]
    public void MajorBump_WhenUpgradeCrossesLinesWithoutProvenance_Reports()
    {
        var b = new PackumentBuilder("lib").Version("1.9.0", Day("2024-01-01")).Version("2.0.0", Day("2024-02-01"));
        var s = Subject(b, "2.0.0") with { BaseVersion = "1.9.0" };
        Assert.Equal([PolicyCodes.MajorBump], Codes(BumpPolicy, s));
        Assert.Empty(Codes(BumpPolicy, s with { BaseVersion = "2.0.0" }));
        Assert.Empty(Codes(BumpPolicy, s with { BaseVersion = null }));
    }

    [Fact]
    public void MajorBump_WhenZeroMinorChanges_IsAMajorBump()
    {
        var s = Subject(new PackumentBuilder("lib").Version("0.3.0", Day("2024-01-01")), "0.3.0") with { BaseVersion = "0.2.7" };
        Assert.Equal([PolicyCodes.MajorBump], Codes(BumpPolicy, s));
    }

    [Fact]
    public void MajorBump_WhenProvenancePresent_Allows()
    {
        var s = Subject(new PackumentBuilder("lib").Version("2.0.0", Day("2024-01-01"), provenance: true), "2.0.0") with { BaseVersion = "1.0.0" };
        Assert.Empty(Codes(BumpPolicy, s));
    }

    [Fact]
    public void NewDependency_WhenNewAndNotApproved_ReportsAndApprovalLiftsIt()
    {
        var s = Subject(new PackumentBuilder("fresh").Version("1.0.0", Day("2024-01-01"), provenance: true), "1.0.0") with { IsNewDependency = true };
        Assert.Equal([PolicyCodes.NewDependency], Codes(BumpPolicy, s));

        var approved = s with { Approvals = [new Approval("fresh", "1.0.0", "new-dependency", "alice", Now.AddDays(1), "reviewed")] };
        Assert.Empty(Codes(BumpPolicy, approved));

        var otherVersion = s with { Approvals = [new Approval("fresh", "0.9.0", "new-dependency", "alice", null, "reviewed")] };
        Assert.Equal([PolicyCodes.NewDependency], Codes(BumpPolicy, otherVersion));

        var expired = s with { Approvals = [new Approval("fresh", "1.0.0", "new-dependency", "alice", Now.AddDays(-1), "reviewed")] };
        Assert.Equal([PolicyCodes.NewDependency, PolicyCodes.ApprovalExpired], Codes(BumpPolicy, expired));
    }

    [Fact]
    public void Evaluate_WhenVersionNotInPackument_FailsClosed()
    {
        var p = new PackumentBuilder("x").Version("1.0.0", Day("2024-01-01")).Build();
        var s = new PolicySubject { Report = Reports.For(p, "1.0.0") with { Version = "9.9.9" }, Packument = p };
        Assert.Equal([PolicyCodes.VersionUnknown], Codes("version: 1\n", s));
    }

    [Fact]
    public void Explain_WhenEvaluated_ListsEveryRuleWithEvidence()
    {
        var s = Subject(new PackumentBuilder("x").Version("1.0.0", Day("2024-01-01")), "1.0.0");
        var outcomes = new PolicyEvaluator(PolicyDocument.Default, new FixedTime(Now)).Explain(s);
        Assert.Equal(["deny", .. PolicyRules.Names], outcomes.Select(o => o.Rule));
        Assert.All(outcomes, o => Assert.False(string.IsNullOrEmpty(o.Evidence)));
        Assert.Equal("off", outcomes.Single(o => o.Rule == "provenance").Verdict);
        Assert.Equal("pass", outcomes.Single(o => o.Rule == "trust-downgrade").Verdict);
    }
}
