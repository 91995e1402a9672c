using Vouch.Npm;
using static Vouch.Policy.Tests.Policies;

namespace Vouch.Policy.Tests;

/// <summary>trust-downgrade on the recorded shapes of real incidents and false alarms.</summary>
public sealed class TrustDowngradeTests
{
    private const string Policy = """
        version: 1
        rules:
          trust-downgrade: error
        """;

    private static readonly DateTimeOffset Now = Day("2025-06-01");

    /// <summary>@lottiefiles/lottie-player: 2.0.0–2.0.4 from GitHub Actions, then 2.0.5 with a stolen token from a laptop.</summary>
    private static PackumentBuilder LottieHistory() => new PackumentBuilder("@lottiefiles/lottie-player")
        .Version("1.7.1", Day("2023-01-10"))
        .Version("2.0.0", Day("2023-06-01"), provenance: true, trusted: true, repository: "git+https://github.com/LottieFiles/lottie-player.git")
        .Version("2.0.1", Day("2023-08-01"), provenance: true, trusted: true, repository: "git+https://github.com/LottieFiles/lottie-player.git")
        .Version("2.0.2", Day("2023-10-01"), provenance: true, trusted: true, repository: "git+https://github.com/LottieFiles/lottie-player.git")
        .Version("2.0.3", Day("2024-01-01"), provenance: true, trusted: true, repository: "git+https://github.com/LottieFiles/lottie-player.git")
        .Version("2.0.4", Day("2024-04-01"), provenance: true, trusted: true, repository: "git+https://github.com/LottieFiles/lottie-player.git");

    private static PolicySubject Subject(Packument p, string version) => new() { Report = Reports.For(p, version, repository: "https://github.com/LottieFiles/lottie-player"), Packument = p };

    [Fact]
    public void Evaluate_WhenLottiePlayerTokenReleaseFollowsTrustedPublishing_ReportsTrustDowngrade()
    {
        var p = LottieHistory().Version("2.0.5", Day("2024-10-30"), repository: "git+https://github.com/LottieFiles/lottie-player.git").Build();

        var verdict = Evaluate(Policy, Subject(p, "2.0.5"), Now);

        Assert.False(verdict.Allowed);
        var f = Assert.Single(verdict.Findings);
        Assert.Equal(PolicyCodes.TrustDowngrade, f.Code);
        Assert.Equal("trust-downgrade", f.Rule);
        Assert.Contains("2.0.4", f.Message, StringComparison.Ordinal);
        Assert.Contains("trusted-publisher", f.Evidence, StringComparison.Ordinal);
        Assert.Contains("advertised by the packument", f.Evidence, StringComparison.Ordinal);
        Assert.Contains("pin", f.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_WhenLottiePlayerReleaseKeepsTrustedPublishing_Allows()
    {
        var p = LottieHistory().Version("2.0.5", Day("2024-10-30"), provenance: true, trusted: true, repository: "git+https://github.com/LottieFiles/lottie-player.git").Build();

        var verdict = Evaluate(Policy, Subject(p, "2.0.5"), Now);

        Assert.True(verdict.Allowed);
        Assert.Empty(verdict.Findings);
    }

    [Fact]
    public void Evaluate_WhenCandidateAdvertisesProvenanceButItDidNotVerify_ReportsTrustDowngrade()
    {
        // The candidate's evidence is what verified, never what the packument claims.
        var p = LottieHistory().Version("2.0.5", Day("2024-10-30"), provenance: true, trusted: true).Build();
        var subject = new PolicySubject { Report = Reports.For(p, "2.0.5", provenance: false), Packument = p };

        var verdict = Evaluate(Policy, subject, Now);

        Assert.Equal(PolicyCodes.TrustDowngrade, Assert.Single(verdict.Findings).Code);
    }

    [Fact]
    public void Prefilter_WhenLottiePlayerTokenRelease_ReportsTrustDowngradeFromPackumentAlone()
    {
        var p = LottieHistory().Version("2.0.5", Day("2024-10-30")).Build();
        var evaluator = new PolicyEvaluator(Parse(Policy), new FixedTime(Now));

        var verdict = evaluator.Prefilter(p, p.Versions["2.0.5"], []);

        Assert.Equal(PolicyCodes.TrustDowngrade, Assert.Single(verdict.Findings).Code);
        Assert.True(evaluator.Prefilter(p, p.Versions["2.0.4"], []).Allowed);
    }

    /// <summary>semver@6.3.1 (2023-07): a backport to 6.x after 7.x had adopted provenance; 6.x never had it.</summary>
    [Fact]
    public void Evaluate_WhenBackportOnOldMajorAfterNewMajorAdoptedProvenance_Allows()
    {
        var p = new PackumentBuilder("semver")
            .Version("6.3.0", Day("2017-07-24"))
            .Version("7.5.0", Day("2023-04-17"))
            .Version("7.5.2", Day("2023-06-15"), provenance: true, repository: "git+https://github.com/npm/node-semver.git")
            .Version("7.5.4", Day("2023-07-07"), provenance: true, repository: "git+https://github.com/npm/node-semver.git")
            .Version("6.3.1", Day("2023-07-10"), repository: "git+https://github.com/npm/node-semver.git")
            .Build();

        var verdict = Evaluate(Policy, new PolicySubject { Report = Reports.For(p, "6.3.1"), Packument = p }, Now);

        Assert.True(verdict.Allowed);
        Assert.Empty(verdict.Findings);
    }

    [Fact]
    public void Evaluate_WhenBackportLineHadProvenanceBefore_ReportsTrustDowngrade()
    {
        // The same backport is caught once its own line had set the bar.
        var p = new PackumentBuilder("semver")
            .Version("6.3.0", Day("2023-05-01"), provenance: true, repository: "git+https://github.com/npm/node-semver.git")
            .Version("7.5.4", Day("2023-07-07"), provenance: true, repository: "git+https://github.com/npm/node-semver.git")
            .Version("6.3.1", Day("2023-07-10"), repository: "git+https://github.com/npm/node-semver.git")
            .Build();

        var verdict = Evaluate(Policy, new PolicySubject { Report = Reports.For(p, "6.3.1"), Packument = p }, Now);

        Assert.Equal(PolicyCodes.TrustDowngrade, Assert.Single(verdict.Findings).Code);
    }

    /// <summary>vite: 5.4.x and 4.5.x security releases after 6.x moved to trusted publishing.</summary>
    [Fact]
    public void Evaluate_WhenViteBackportsToSeveralOldMajors_Allows()
    {
        var p = new PackumentBuilder("vite")
            .Version("4.5.0", Day("2023-10-18"))
            .Version("5.4.0", Day("2024-08-07"))
            .Version("6.0.0", Day("2024-11-26"), provenance: true, trusted: true)
            .Version("6.2.3", Day("2025-03-24"), provenance: true, trusted: true)
            .Version("5.4.15", Day("2025-03-24"))
            .Version("4.5.10", Day("2025-03-24"))
            .Build();

        foreach (var v in new[] { "5.4.15", "4.5.10" })
        {
            Assert.Empty(Evaluate(Policy, new PolicySubject { Report = Reports.For(p, v), Packument = p }, Now).Findings);
        }
    }

    [Fact]
    public void Evaluate_WhenOlderMinorMaintenanceReleaseFollowsHigherMinorWithProvenance_Allows()
    {
        // 2.0.6 is judged against 2.0.x-and-lower history, not 2.1.0 which users on 2.0.x never had.
        var p = new PackumentBuilder("lib")
            .Version("2.0.5", Day("2024-01-01"))
            .Version("2.1.0", Day("2024-02-01"), provenance: true)
            .Version("2.0.6", Day("2024-03-01"))
            .Build();

        Assert.Empty(Evaluate(Policy, new PolicySubject { Report = Reports.For(p, "2.0.6"), Packument = p }, Now).Findings);
    }

    [Fact]
    public void Evaluate_WhenLowerVersionGainedProvenanceOnlyLater_AllowsTheEarlierRelease()
    {
        // 1.4.1 (backport with provenance) was published after 1.5.0: 1.5.0 could not have been held to it.
        var p = new PackumentBuilder("lib")
            .Version("1.4.0", Day("2022-01-01"))
            .Version("1.5.0", Day("2022-06-01"))
            .Version("1.4.1", Day("2024-06-01"), provenance: true)
            .Build();

        Assert.Empty(Evaluate(Policy, new PolicySubject { Report = Reports.For(p, "1.5.0"), Packument = p }, Now).Findings);
    }

    [Fact]
    public void Evaluate_WhenStableFollowsPrereleaseWithProvenance_Allows()
    {
        var p = new PackumentBuilder("lib")
            .Version("3.0.0-beta.1", Day("2024-01-01"), provenance: true)
            .Version("3.0.0", Day("2024-02-01"))
            .Build();

        Assert.Empty(Evaluate(Policy, new PolicySubject { Report = Reports.For(p, "3.0.0"), Packument = p }, Now).Findings);
    }

    [Fact]
    public void Evaluate_WhenPrereleaseFollowsStableWithProvenance_ReportsTrustDowngrade()
    {
        var p = new PackumentBuilder("lib")
            .Version("3.0.0", Day("2024-01-01"), provenance: true)
            .Version("3.1.0-rc.1", Day("2024-02-01"))
            .Build();

        Assert.Equal(PolicyCodes.TrustDowngrade, Assert.Single(Evaluate(Policy, new PolicySubject { Report = Reports.For(p, "3.1.0-rc.1"), Packument = p }, Now).Findings).Code);
    }

    [Fact]
    public void Evaluate_WhenZeroMinorLinesDiffer_ComparesOnlyWithinTheMinor()
    {
        var p = new PackumentBuilder("lib")
            .Version("0.3.0", Day("2024-01-01"), provenance: true)
            .Version("0.2.9", Day("2024-02-01"))
            .Version("0.3.1", Day("2024-03-01"))
            .Build();

        Assert.Empty(Evaluate(Policy, new PolicySubject { Report = Reports.For(p, "0.2.9"), Packument = p }, Now).Findings);
        Assert.Equal(PolicyCodes.TrustDowngrade, Assert.Single(Evaluate(Policy, new PolicySubject { Report = Reports.For(p, "0.3.1"), Packument = p }, Now).Findings).Code);
    }

    [Fact]
    public void Evaluate_WhenStagedPublishFollowedByTrustedPublishing_ReportsTrustDowngrade()
    {
        var p = new PackumentBuilder("lib")
            .Version("1.0.0", Day("2024-01-01"), provenance: true, trusted: true, approver: true)
            .Version("1.0.1", Day("2024-02-01"), provenance: true, trusted: true)
            .Build();

        var f = Assert.Single(Evaluate(Policy, new PolicySubject { Report = Reports.For(p, "1.0.1"), Packument = p }, Now).Findings);
        Assert.Contains("staged-publish", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_WhenSourceRepositoryChangesOnTheLine_ReportsSourceDowngrade()
    {
        var p = new PackumentBuilder("lib")
            .Version("1.0.0", Day("2024-01-01"), provenance: true, repository: "git+https://github.com/acme/lib.git")
            .Version("1.0.1", Day("2024-02-01"), provenance: true, repository: "git+https://github.com/evil/lib.git")
            .Build();
        var subject = new PolicySubject { Report = Reports.For(p, "1.0.1", repository: "https://github.com/evil/lib"), Packument = p };

        var f = Assert.Single(Evaluate(Policy, subject, Now).Findings);
        Assert.Equal(PolicyCodes.TrustDowngradeSource, f.Code);
        Assert.Contains("github.com/acme/lib", f.Message, StringComparison.Ordinal);

        var same = new PolicySubject { Report = Reports.For(p, "1.0.1", repository: "https://github.com/ACME/lib"), Packument = p };
        Assert.Empty(Evaluate(Policy, same, Now).Findings);

        var sourceOff = "version: 1\nrules:\n  trust-downgrade:\n    severity: error\n    source-repository: false\n";
        Assert.Empty(Evaluate(sourceOff, subject, Now).Findings);
    }

    [Fact]
    public void Evaluate_WhenRuleIsWarnOrOff_UsesThatSeverity()
    {
        var p = LottieHistory().Version("2.0.5", Day("2024-10-30")).Build();

        var warn = Evaluate("version: 1\nrules:\n  trust-downgrade: warn\n", Subject(p, "2.0.5"), Now);
        Assert.True(warn.Allowed);
        Assert.Equal(PolicySeverity.Warn, Assert.Single(warn.Findings).Severity);

        Assert.Empty(Evaluate("version: 1\nrules:\n  trust-downgrade: off\n", Subject(p, "2.0.5"), Now).Findings);
        Assert.Empty(Evaluate("version: 1\nrules:\n  trust-downgrade:\n    severity: error\n    packages: ['@other/*']\n", Subject(p, "2.0.5"), Now).Findings);
    }

    [Fact]
    public void Evaluate_WhenDefaultPolicy_CatchesLottiePlayer()
    {
        var p = LottieHistory().Version("2.0.5", Day("2024-10-30")).Build();
        var verdict = new PolicyEvaluator(PolicyDocument.Default, new FixedTime(Now)).Evaluate(Subject(p, "2.0.5"));
        Assert.Contains(verdict.Findings, f => f.Code == PolicyCodes.TrustDowngrade && f.Severity == PolicySeverity.Error);
    }
}
