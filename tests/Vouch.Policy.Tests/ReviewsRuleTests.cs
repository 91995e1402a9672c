using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Reviews;
using Vouch.Reviews.Signed;
using Vouch.Sandbox.Sigstore;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;
using static Vouch.Policy.Tests.Policies;

namespace Vouch.Policy.Tests;

/// <summary>
/// The `reviews` rule: the policy names criteria per pattern; Vouch.Reviews computes coverage from a
/// real supply-chain directory (and signed reviews made with the sandbox's Sigstore instance).
/// </summary>
public sealed class ReviewsRuleTests : IDisposable
{
    private static readonly DateTimeOffset Now = Day("2026-06-01");

    // PackumentBuilder writes dist.integrity = sha512 of 64 zero bytes: that is the verified tarball digest here.
    private static readonly byte[] TarballSha512 = new byte[64];

    private static readonly GitHubWorkflowIdentity Alice = new("alice/reviews", "refs/heads/main", new string('a', 40), ".github/workflows/review.yml");

    private readonly string _dir = Directory.CreateTempSubdirectory("vouch-reviews-rule-").FullName;
    private readonly SigstoreInstance _sigstore = SigstoreInstance.Create();

    public void Dispose()
    {
        _sigstore.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private const string Rule = """
        version: 1
        rules:
          reviews:
            severity: error
            require:
              - packages: ['*']
                criteria: safe-to-deploy
              - packages: ['@acme/*']
                criteria: [safe-to-run]
        """;

    private string Store => Path.Combine(_dir, "supply-chain");

    private void Write(string file, string text)
    {
        var path = Path.Combine(Store, file);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private PolicyDocument Load(string yaml)
    {
        var path = Path.Combine(_dir, "vouch.policy.yml");
        File.WriteAllText(path, yaml);
        return PolicyLoader.Load(path);
    }

    private SigstoreVerifier Verifier() => new(TrustedRoot.Parse(Encoding.UTF8.GetBytes(_sigstore.TrustedRootJson())));

    private PolicyVerdict Decide(string yaml, string name, string version = "1.2.0", bool loadReviews = true)
    {
        var policy = Load(yaml);
        var reviews = loadReviews ? ReviewRuleEvaluator.Load(policy.ReviewStore!, Verifier(), new FixedTime(Now)) : null;
        var p = new PackumentBuilder(name).Version("1.0.0", Day("2024-01-01")).Version("1.1.0", Day("2024-02-01")).Version("1.2.0", Day("2024-03-01")).Build();
        var subject = new PolicySubject { Report = Reports.For(p, version), Packument = p };
        return new PolicyEvaluator(policy, new FixedTime(Now), reviews: reviews).Evaluate(subject);
    }

    private IReadOnlyList<string> Codes(string yaml, string name, string version = "1.2.0") => Decide(yaml, name, version).Findings.Select(f => f.Code).ToList();

    private const string DeltaChain = """
        [[audits.left-pad]]
        who = "alice"
        criteria = "safe-to-deploy"
        version = "1.0.0"

        [[audits.left-pad]]
        who = "alice"
        criteria = "safe-to-deploy"
        delta = "1.0.0 -> 1.1.0"

        [[audits.left-pad]]
        who = "bob"
        criteria = "safe-to-deploy"
        delta = "1.1.0 -> 1.2.0"
        """;

    [Fact]
    public void Reviews_WhenDeltaChainReachesTheVersion_Passes()
    {
        Write("audits.toml", DeltaChain);
        Assert.Empty(Codes(Rule, "left-pad"));
        var outcome = new PolicyEvaluator(Load(Rule), new FixedTime(Now), reviews: ReviewRuleEvaluator.Load(Store, Verifier(), new FixedTime(Now)))
            .Explain(Subject("left-pad")).Single(o => o.Rule == "reviews");
        Assert.Equal("pass", outcome.Verdict);
        Assert.Contains("safe-to-deploy by delta-chain", outcome.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void Reviews_WhenALinkOfTheChainIsMissing_FailsWithNotCovered()
    {
        Write("audits.toml", DeltaChain.Replace("delta = \"1.1.0 -> 1.2.0\"", "delta = \"1.1.0 -> 1.1.9\"", StringComparison.Ordinal));
        var verdict = Decide(Rule, "left-pad");
        Assert.False(verdict.Allowed);
        var finding = Assert.Single(verdict.Findings);
        Assert.Equal(ReviewCodes.NotCovered, finding.Code);
        Assert.Equal("reviews", finding.Rule);
        Assert.Contains("vouch review", finding.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Reviews_WhenPatternRequiresLessForScope_UsesTheMostSpecificPattern()
    {
        Write("audits.toml", "[[audits.\"@acme/ui\"]]\ncriteria = \"safe-to-run\"\nversion = \"1.2.0\"\n[[audits.lodash]]\ncriteria = \"safe-to-run\"\nversion = \"1.2.0\"\n");
        Assert.Empty(Codes(Rule, "@acme/ui"));
        Assert.Equal([ReviewCodes.NotCovered], Codes(Rule, "lodash")); // '*' asks safe-to-deploy; safe-to-run does not imply it
    }

    [Fact]
    public void Reviews_WhenOnlyAnExpiredExemptionCovers_FailsWithExemptionExpired()
    {
        Write("config.toml", "[[exemptions.left-pad]]\nversion = \"1.2.0\"\ncriteria = \"safe-to-deploy\"\nreason = \"legacy\"\nexpires = 2026-05-31\n");
        Assert.Equal([ReviewCodes.ExemptionExpired], Codes(Rule, "left-pad"));
        Write("config.toml", "[[exemptions.left-pad]]\nversion = \"1.2.0\"\ncriteria = \"safe-to-deploy\"\nreason = \"legacy\"\nexpires = 2026-06-01\n");
        Assert.Empty(Codes(Rule, "left-pad")); // the last day still counts: the code above comes from the expiry alone
    }

    [Fact]
    public void Reviews_WhenAViolationCoversTheVersion_FailsWithViolationOverTheAudit()
    {
        Write("audits.toml", DeltaChain + "\n[[audits.left-pad]]\ncriteria = \"safe-to-run\"\nviolation = \">=1.2.0\"\n");
        Assert.Equal([ReviewCodes.Violation], Codes(Rule, "left-pad"));
    }

    [Fact]
    public void Reviews_WhenImportIsNotAnAcceptedOrganisation_DoesNotCount()
    {
        const string theirs = "[[audits.left-pad]]\ncriteria = \"safe-to-deploy\"\nversion = \"1.2.0\"\n";
        Write("imports/acme.toml", theirs);
        Write("config.toml", $"[imports.acme]\nurl = \"https://acme.example/audits.toml\"\nsha256 = \"{Vouch.Reviews.Records.SupplyChain.Sha256Hex(Encoding.UTF8.GetBytes(theirs))}\"\n");
        Assert.Empty(Codes(Rule, "left-pad"));
        Assert.Empty(Codes(Rule + "\n    organisations: [acme]\n", "left-pad"));
        Assert.Equal([ReviewCodes.NotCovered], Codes(Rule + "\n    organisations: [other]\n", "left-pad"));

        // The pinned copy changed: none of it counts.
        Write("imports/acme.toml", theirs + "\n[[audits.is-odd]]\ncriteria = \"safe-to-deploy\"\nversion = \"1.0.0\"\n");
        Assert.Equal([ReviewCodes.NotCovered], Codes(Rule, "left-pad"));
    }

    [Fact]
    public void Reviews_WhenNoRecordsWereLoaded_FailsInsteadOfPassing()
    {
        var verdict = Decide(Rule, "left-pad", loadReviews: false);
        Assert.Equal(PolicyCodes.ReviewsUnavailable, Assert.Single(verdict.Findings).Code);
        Assert.False(verdict.Allowed);
    }

    [Fact]
    public void Reviews_WhenPolicyRequiresACriterionTheRecordsDoNotDefine_FailsWithUnknownCriterion()
    {
        Write("audits.toml", DeltaChain);
        Assert.Equal([ReviewCodes.UnknownCriterion], Codes(Rule.Replace("criteria: safe-to-deploy", "criteria: crypto-reviewed", StringComparison.Ordinal), "left-pad"));
    }

    [Fact]
    public void Reviews_WhenDecidingOnThePackumentAlone_DefersToVerifiedEvidence()
    {
        var p = new PackumentBuilder("left-pad").Version("1.2.0", Day("2024-03-01")).Build();
        var outcomes = new PolicyEvaluator(Load(Rule), new FixedTime(Now)).Prefilter(p, p.Versions["1.2.0"], []);
        Assert.True(outcomes.Allowed);
    }

    [Fact]
    public void Reviews_WhenWarnSeverity_ReportsButAllows()
    {
        var verdict = Decide(Rule.Replace("severity: error", "severity: warn", StringComparison.Ordinal), "left-pad");
        Assert.Equal(PolicySeverity.Warn, Assert.Single(verdict.Findings).Severity);
        Assert.True(verdict.Allowed);
    }

    // ---- signed reviews --------------------------------------------------------------------------

    private string TrustToml() => $"""
        [[reviewer]]
        id = "alice"
        identity = "{Alice.BuildSignerUri}"
        issuer = "{GitHubWorkflowIdentity.GitHubActionsIssuer}"
        level = "high"
        """;

    private string SignedReview(byte[] sha512, string version = "1.2.0") => _sigstore.SignDsse("application/vnd.in-toto+json", ReviewStatement.Build(new ReviewPredicate
    {
        Package = "left-pad",
        Version = version,
        Criteria = ["safe-to-deploy"],
        Reviewer = "alice",
        ReviewedAt = Now.AddDays(-1),
    }, sha512), new SigningRequest { Identity = Alice }).Json;

    [Fact]
    public void Reviews_WhenATrustedReviewerSignedTheseBytes_Passes()
    {
        Write("trust.toml", TrustToml());
        Write("reviews/left-pad-1.2.0.json", SignedReview(TarballSha512));
        Assert.Empty(Codes(Rule, "left-pad"));

        // Accepted reviewers named in the policy: alice is not one of them, so her review does not count.
        Assert.Equal([ReviewCodes.NotCovered], Codes(Rule + "\n    reviewers: [bob]\n", "left-pad"));
    }

    [Fact]
    public void Reviews_WhenTheSignedReviewIsTampered_FailsWithSignatureInvalid()
    {
        Write("trust.toml", TrustToml());
        var node = JsonNode.Parse(SignedReview(TarballSha512))!;
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String(node["dsseEnvelope"]!["payload"]!.GetValue<string>()));
        node["dsseEnvelope"]!["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload.Replace("\"alice\"", "\"alicf\"", StringComparison.Ordinal)));
        Write("reviews/left-pad-1.2.0.json", node.ToJsonString());
        Assert.Equal([ReviewCodes.SignatureInvalid], Codes(Rule, "left-pad"));
    }

    [Fact]
    public void Reviews_WhenTheSignedReviewIsOfOtherBytes_FailsWithSubjectMismatch()
    {
        Write("trust.toml", TrustToml());
        Write("reviews/left-pad-1.2.0.json", SignedReview(SHA512.HashData("other bytes"u8)));
        Assert.Equal([ReviewCodes.SubjectMismatch], Codes(Rule, "left-pad"));
    }

    [Fact]
    public void Reviews_WhenTheReviewerIsDistrusted_DoesNotCount()
    {
        Write("trust.toml", TrustToml().Replace("level = \"high\"", "level = \"distrust\"", StringComparison.Ordinal));
        Write("reviews/left-pad-1.2.0.json", SignedReview(TarballSha512));
        var verdict = Decide(Rule, "left-pad");
        var finding = Assert.Single(verdict.Findings);
        Assert.Equal(ReviewCodes.NotCovered, finding.Code);
        Assert.Contains(ReviewCodes.ReviewerDistrusted, finding.Evidence, StringComparison.Ordinal);
    }

    // ---- the policy file -------------------------------------------------------------------------

    [Theory]
    [InlineData("    trust-depth: 9\n")]
    [InlineData("    trust-depth: 0\n")]
    [InlineData("    min-trust: distrust\n")]
    [InlineData("    organisations: ['../evil']\n")]
    [InlineData("    reviewerz: [alice]\n")]
    public void Parse_WhenReviewsSettingIsBad_ThrowsWithPosition(string extra)
    {
        var e = Assert.Throws<PolicyFormatException>(() => Parse(Rule + "\n" + extra));
        Assert.True(e.Line > 0, e.Message);
    }

    [Theory]
    [InlineData("version: 1\nrules:\n  reviews:\n    severity: error\n    require: []\n")]
    [InlineData("version: 1\nrules:\n  reviews:\n    severity: error\n")]
    [InlineData("version: 1\nrules:\n  reviews:\n    severity: error\n    require:\n      - packages: '*'\n        criteria: Safe To Run\n")]
    public void Parse_WhenRequireIsBad_Throws(string yaml) => Assert.Throws<PolicyFormatException>(() => Parse(yaml));

    [Fact]
    public void ReviewStore_WhenRuleHasStore_IsResolvedAgainstThePolicyFile()
    {
        Assert.Equal(Path.Combine(_dir, "audits"), Load(Rule + "\n    store: audits\n").ReviewStore);
        Assert.Equal(Store, Load(Rule).ReviewStore);
        Assert.Null(Load("version: 1\n").ReviewStore);
    }

    private static PolicySubject Subject(string name)
    {
        var p = new PackumentBuilder(name).Version("1.0.0", Day("2024-01-01")).Version("1.1.0", Day("2024-02-01")).Version("1.2.0", Day("2024-03-01")).Build();
        return new PolicySubject { Report = Reports.For(p, "1.2.0"), Packument = p };
    }
}
