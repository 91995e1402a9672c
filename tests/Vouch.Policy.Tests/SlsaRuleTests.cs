using static Vouch.Policy.Tests.Policies;

namespace Vouch.Policy.Tests;

public sealed class SlsaRuleTests
{
    private static readonly DateTimeOffset Now = Day("2025-06-01");

    private const string Yaml = """
        version: 1
        rules:
          slsa:
            severity: error
            minimum:
              - packages: ['@acme/*']
                level: 2
              - packages: ['*']
                exclude: ['legacy-*']
                level: 1
        """;

    private static PolicySubject Subject(string name, bool provenance, string runner = "github-hosted", string issuer = Reports.GitHubIssuer)
    {
        var p = new PackumentBuilder(name).Version("1.0.0", Day("2024-01-01"), provenance: provenance).Build();
        return new PolicySubject { Report = Reports.For(p, "1.0.0", provenance, runner: runner, issuer: issuer), Packument = p };
    }

    private static IReadOnlyList<string> Codes(string yaml, PolicySubject s) => Evaluate(yaml, s, Now).Findings.Select(f => f.Code).ToList();

    [Fact]
    public void Slsa_WhenSelfHostedRunnerBelowMinimumTwo_FailsWithLevelCode()
    {
        var verdict = Evaluate(Yaml, Subject("@acme/widget", provenance: true, runner: "self-hosted"), Now);

        var finding = Assert.Single(verdict.Findings);
        Assert.Equal(PolicyCodes.SlsaLevel, finding.Code);
        Assert.False(verdict.Allowed);
        Assert.Contains("SLSA_BUILD_LEVEL_1 is below the minimum SLSA_BUILD_LEVEL_2", finding.Message, StringComparison.Ordinal);
        Assert.Contains("self-hosted-runner", finding.Evidence, StringComparison.Ordinal);
        Assert.Contains("hosted runner", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Slsa_WhenGitHubHostedMeetsMinimumTwo_Passes()
    {
        Assert.Empty(Codes(Yaml, Subject("@acme/widget", provenance: true)));
        var outcome = new PolicyEvaluator(Parse(Yaml), new FixedTime(Now)).Explain(Subject("@acme/widget", provenance: true)).Single(o => o.Rule == "slsa");
        Assert.Equal("pass", outcome.Verdict);
        Assert.Contains("SLSA_BUILD_LEVEL_2", outcome.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void Slsa_WhenNoProvenance_IsLevelZeroAndFailsEveryMinimum()
    {
        Assert.Equal([PolicyCodes.SlsaLevel], Codes(Yaml, Subject("left-pad", provenance: false)));
        // Excluded from the catch-all entry and covered by no other: the rule does not apply.
        Assert.Empty(Codes(Yaml, Subject("legacy-thing", provenance: false)));
    }

    [Fact]
    public void Slsa_WhenUnknownIssuerIsConfiguredAsHosted_EarnsLevelTwo()
    {
        var subject = Subject("@acme/widget", provenance: true, runner: "gitlab-hosted", issuer: "https://gitlab.example.com");
        Assert.Equal([PolicyCodes.SlsaLevel], Codes(Yaml, subject));
        var configured = Yaml + "\n    hosted-issuers: { 'https://gitlab.example.com': gitlab-ci }\n";
        Assert.Empty(Codes(configured, subject));
    }

    [Fact]
    public void Slsa_WhenWarnSeverity_ReportsButAllows()
    {
        var verdict = Evaluate(Yaml.Replace("severity: error", "severity: warn", StringComparison.Ordinal), Subject("@acme/widget", provenance: true, runner: "self-hosted"), Now);
        Assert.Equal(PolicySeverity.Warn, Assert.Single(verdict.Findings).Severity);
        Assert.True(verdict.Allowed);
    }

    [Theory]
    [InlineData("    minimum: []\n")]
    [InlineData("    minimum:\n      - packages: ['*']\n        level: 4\n")]
    [InlineData("    minimum:\n      - packages: ['*']\n        level: 2\n    isolated-builders: ['https://github.com/org/builder/.github/workflows/build.yml']\n")]
    [InlineData("    minimum:\n      - packages: ['*']\n        level: 2\n    hosted-issuers: { 'http://ci.example': ci }\n")]
    [InlineData("    minimum:\n      - packages: ['*']\n        levle: 2\n")]
    public void Parse_WhenSlsaSettingsMalformed_Throws(string tail)
    {
        Assert.Throws<PolicyFormatException>(() => Parse("version: 1\nrules:\n  slsa:\n    severity: error\n" + tail));
    }
}
