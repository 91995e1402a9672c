using System.Text;
using Vouch.Reviews.Coverage;
using Vouch.Reviews.Records;

namespace Vouch.Reviews.Tests;

public sealed class CoverageEngineTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    internal static SupplyChain Chain(string audits, string config = "", Dictionary<string, string>? importFiles = null) =>
        SupplyChain.FromDocuments(
            "supply-chain",
            SupplyChainParser.Parse(config, "config.toml"),
            SupplyChainParser.Parse(audits, "audits.toml"),
            spec => importFiles is not null && importFiles.TryGetValue(spec.Name, out var text) ? Encoding.UTF8.GetBytes(text) : null);

    private static CoverageEngine Engine(string audits, string config = "", Dictionary<string, string>? importFiles = null) =>
        new(Chain(audits, config, importFiles), new FixedTime(Now));

    private const string DeltaChain = """
        [[audits.left-pad]]
        who = "alice"
        criteria = "safe-to-deploy"
        version = "1.0.0"

        [[audits.left-pad]]
        who = "bob"
        criteria = "safe-to-deploy"
        delta = "1.0.0 -> 1.1.0"

        [[audits.left-pad]]
        who = "carol"
        criteria = "safe-to-deploy"
        delta = "1.1.0 -> 1.2.0"
        """;

    [Fact]
    public void Check_WhenFullAuditThenTwoDeltas_CoversLastVersionByDeltaChain()
    {
        var result = Engine(DeltaChain).Check(new PackageRef("left-pad", "1.2.0"));
        Assert.True(result.Covered);
        var c = Assert.Single(result.Criteria);
        Assert.Equal(CoverageKind.DeltaChain, c.Kind);
        Assert.Equal(["1.0.0", "1.1.0", "1.2.0"], c.Path.Select(s => s.To));
    }

    [Fact]
    public void Check_WhenMiddleDeltaIsMissing_ChainBreaksAndVersionIsNotCovered()
    {
        var broken = DeltaChain.Replace("delta = \"1.0.0 -> 1.1.0\"", "delta = \"1.0.1 -> 1.1.0\"", StringComparison.Ordinal);
        var result = Engine(broken).Check(new PackageRef("left-pad", "1.2.0"));
        Assert.False(result.Covered);
        Assert.Equal(ReviewCodes.NotCovered, result.Code);
        Assert.Equal(["1.0.0"], result.Criteria[0].CoveredVersions);
    }

    [Fact]
    public void Check_WhenAuditIsForWeakerCriterion_DoesNotCoverStrongerOne()
    {
        var weak = DeltaChain.Replace("who = \"carol\"\ncriteria = \"safe-to-deploy\"", "who = \"carol\"\ncriteria = \"safe-to-run\"", StringComparison.Ordinal);
        Assert.False(Engine(weak).Check(new PackageRef("left-pad", "1.2.0")).Covered);
        Assert.True(Engine(weak).Check(new PackageRef("left-pad", "1.2.0", Dev: true)).Covered); // dev needs safe-to-run only
    }

    [Fact]
    public void Check_WhenCustomCriterionImpliesSafeToDeploy_Covers()
    {
        const string audits = """
            [criteria.crypto-reviewed]
            description = "d"
            implies = "safe-to-deploy"

            [[audits.tweetnacl]]
            criteria = "crypto-reviewed"
            version = "1.0.3"
            """;
        Assert.True(Engine(audits).Check(new PackageRef("tweetnacl", "1.0.3")).Covered);
    }

    [Fact]
    public void Check_WhenViolationRangeMatches_OverridesAudit()
    {
        var audits = DeltaChain + """

            [[audits.left-pad]]
            who = "dave"
            criteria = "safe-to-run"
            violation = ">=1.2.0 <1.3.0"
            """;
        var result = Engine(audits).Check(new PackageRef("left-pad", "1.2.0"));
        Assert.Equal(ReviewCodes.Violation, result.Code);
        Assert.True(Engine(audits).Check(new PackageRef("left-pad", "1.1.0")).Covered);
    }

    [Fact]
    public void Check_WhenExemptionValid_CoversByExemption_AndWhenExpired_FailsWithItsOwnCode()
    {
        const string config = """
            [[exemptions.is-odd]]
            version = "3.0.1"
            criteria = "safe-to-deploy"
            reason = "legacy, being removed"
            expires = 2026-12-31
            """;
        var ok = Engine("", config).Check(new PackageRef("is-odd", "3.0.1"));
        Assert.Equal(CoverageKind.Exemption, ok.Criteria[0].Kind);

        var expired = Engine("", config.Replace("2026-12-31", "2026-05-31", StringComparison.Ordinal)).Check(new PackageRef("is-odd", "3.0.1"));
        Assert.Equal(ReviewCodes.ExemptionExpired, expired.Code);
    }

    [Fact]
    public void Check_WhenAuditAndExemptionBothCover_ReportsTheAudit()
    {
        var config = "[[exemptions.left-pad]]\nversion = \"1.0.0\"\ncriteria = \"safe-to-deploy\"\n";
        Assert.Equal(CoverageKind.Audit, Engine(DeltaChain, config).Check(new PackageRef("left-pad", "1.0.0")).Criteria[0].Kind);
    }

    private const string Theirs = """
        [criteria.reviewed]
        description = "their own criterion"

        [[audits.chalk]]
        who = "someone@acme"
        criteria = "reviewed"
        version = "5.3.0"
        """;

    private static string ImportConfig(string sha) => $"""
        [imports.acme]
        url = "https://acme.example/audits.toml"
        sha256 = "{sha}"
        criteria-map = {"{"} reviewed = "safe-to-deploy" {"}"}
        """;

    [Fact]
    public void Check_WhenImportPinnedAndMapped_CoversByImport()
    {
        var sha = SupplyChain.Sha256Hex(Encoding.UTF8.GetBytes(Theirs));
        var engine = Engine("", ImportConfig(sha), new() { ["acme"] = Theirs });
        var report = engine.Check([new PackageRef("chalk", "5.3.0")]);
        Assert.True(report.Ok);
        Assert.Equal(CoverageKind.Import, report.Packages[0].Criteria[0].Kind);
    }

    [Fact]
    public void Check_WhenImportedFileChanged_FailsWithDigestMismatchAndUsesNoneOfIt()
    {
        var sha = SupplyChain.Sha256Hex(Encoding.UTF8.GetBytes(Theirs));
        var tampered = Theirs.Replace("5.3.0", "5.4.0", StringComparison.Ordinal);
        var report = Engine("", ImportConfig(sha), new() { ["acme"] = tampered }).Check([new PackageRef("chalk", "5.4.0")]);
        Assert.False(report.Ok);
        Assert.Equal(ReviewCodes.ImportDigestMismatch, Assert.Single(report.ImportProblems).Code);
        Assert.Equal(ReviewCodes.NotCovered, report.Packages[0].Code);
    }

    [Fact]
    public void Check_WhenImportUnpinned_ReportsUnpinned()
    {
        var report = Engine("", "[imports.acme]\nurl = \"https://acme.example/audits.toml\"\n").Check([]);
        Assert.Equal(ReviewCodes.ImportUnpinned, Assert.Single(report.ImportProblems).Code);
    }

    [Fact]
    public void Check_WhenImportedCriterionUnmapped_GrantsNothing()
    {
        var sha = SupplyChain.Sha256Hex(Encoding.UTF8.GetBytes(Theirs));
        var config = $"[imports.acme]\nurl = \"https://acme.example/audits.toml\"\nsha256 = \"{sha}\"\n";
        Assert.False(Engine("", config, new() { ["acme"] = Theirs }).Check(new PackageRef("chalk", "5.3.0")).Covered);
    }

    [Fact]
    public void Check_WhenTrustedPublisherReleasedWithinDates_CoversByTrustedPublisher()
    {
        const string audits = """
            [[trusted.react]]
            criteria = "safe-to-deploy"
            repository = "https://github.com/facebook/react"
            start = 2024-01-01
            end = 2027-01-01
            """;
        var engine = Engine(audits);
        var inside = new PublisherEvidence(null, "git+https://github.com/facebook/react.git", new DateTimeOffset(2025, 4, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(CoverageKind.TrustedPublisher, engine.Check(new PackageRef("react", "19.1.0"), (_, _) => inside).Criteria[0].Kind);
        var outside = inside with { Published = new DateTimeOffset(2023, 4, 1, 0, 0, 0, TimeSpan.Zero) };
        Assert.False(engine.Check(new PackageRef("react", "18.2.0"), (_, _) => outside).Covered);
        var otherRepo = inside with { SourceRepository = "https://github.com/evil/react" };
        Assert.False(engine.Check(new PackageRef("react", "19.1.0"), (_, _) => otherRepo).Covered);
    }

    [Fact]
    public void RequiredCriteria_WhenPolicyPatternMatches_UsesMostSpecific()
    {
        const string config = """
            [criteria.crypto-reviewed]
            description = "d"
            implies = "safe-to-deploy"

            [policy."@acme/*"]
            criteria = "safe-to-run"

            [policy."@acme/crypto"]
            criteria = ["crypto-reviewed", "safe-to-deploy"]
            """;
        var engine = Engine("", config);
        Assert.Equal(["safe-to-run"], engine.RequiredCriteria("@acme/ui", dev: false));
        Assert.Equal(["crypto-reviewed"], engine.RequiredCriteria("@acme/crypto", dev: false));
        Assert.Equal(["safe-to-deploy"], engine.RequiredCriteria("lodash", dev: false));
    }

    internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

public sealed class ReviewRuleEvaluatorTests
{
    [Fact]
    public void Evaluate_WhenPatternRequiresCriterion_UsesRecordsAndReturnsCode()
    {
        var chain = CoverageEngineTests.Chain("[[audits.\"@acme/ui\"]]\ncriteria = \"safe-to-run\"\nversion = \"1.0.0\"\n");
        var root = Vouch.Sigstore.Trust.TrustedRoot.Parse(File.ReadAllBytes(Vouch.Tests.SharedFixtures.Path("npm", "trusted_root.json")));
        var evaluator = new ReviewRuleEvaluator(chain, Signed.TrustGraph.Empty, new Vouch.Sigstore.Verification.SigstoreVerifier(root), TimeProvider.System);
        var sha = new byte[64];
        var run = new ReviewRule { Required = [("@acme/*", ["safe-to-run"])] };
        Assert.True(evaluator.Evaluate(run, "@acme/ui", "1.0.0", sha, []).Covered);
        var deploy = new ReviewRule { Required = [("@acme/*", ["safe-to-run"]), ("@acme/ui", ["safe-to-deploy"])] };
        var decision = evaluator.Evaluate(deploy, "@acme/ui", "1.0.0", sha, []);
        Assert.False(decision.Covered);
        Assert.Equal(ReviewCodes.NotCovered, decision.Code);
        Assert.True(evaluator.Evaluate(deploy, "lodash", "4.17.21", sha, []).Covered); // no pattern matches: nothing required
    }
}
