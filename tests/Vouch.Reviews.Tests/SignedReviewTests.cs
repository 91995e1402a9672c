using System.Security.Cryptography;
using System.Text;
using Vouch.Reviews.Signed;
using Vouch.Sandbox.Sigstore;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;

namespace Vouch.Reviews.Tests;

/// <summary>Signed reviews end to end with the sandbox's Sigstore instance (Fulcio certificates, Rekor entries).</summary>
public sealed class SignedReviewTests : IDisposable
{
    private static readonly byte[] Tarball = Encoding.UTF8.GetBytes("pretend this is left-pad-1.3.0.tgz");
    private static readonly byte[] OtherTarball = Encoding.UTF8.GetBytes("pretend this is a different left-pad-1.3.0.tgz");

    private static readonly GitHubWorkflowIdentity Alice = new("alice/reviews", "refs/heads/main", new string('a', 40), ".github/workflows/review.yml");
    private static readonly GitHubWorkflowIdentity Mallory = new("mallory/reviews", "refs/heads/main", new string('b', 40), ".github/workflows/review.yml");

    private readonly SigstoreInstance _sigstore = SigstoreInstance.Create();

    public void Dispose() => _sigstore.Dispose();

    private SigstoreVerifier Verifier() => new(TrustedRoot.Parse(Encoding.UTF8.GetBytes(_sigstore.TrustedRootJson())));

    private static ReviewPredicate Predicate(string version = "1.3.0") => new()
    {
        Package = "left-pad",
        Version = version,
        Criteria = ["safe-to-deploy"],
        Notes = "read every line",
        Reviewer = "alice",
        ReviewedAt = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
    };

    private string SignKeyless(GitHubWorkflowIdentity who, ReviewPredicate predicate, byte[] tarball) =>
        _sigstore.SignDsse("application/vnd.in-toto+json", ReviewStatement.Build(predicate, SHA512.HashData(tarball)), new SigningRequest { Identity = who }).Json;

    private static string TrustToml(string extra = "") => $"""
        [[reviewer]]
        id = "alice"
        identity = "{Alice.BuildSignerUri}"
        issuer = "{GitHubWorkflowIdentity.GitHubActionsIssuer}"
        level = "high"

        [[reviewer]]
        id = "mallory"
        identity = "{Mallory.BuildSignerUri}"
        issuer = "{GitHubWorkflowIdentity.GitHubActionsIssuer}"
        {extra}
        """;

    private SignedReviewVerifier ReviewVerifier(string trust, ReviewTrustPolicy? policy = null) =>
        new(Verifier(), TrustGraph.Parse(trust, "trust.toml"), policy ?? new ReviewTrustPolicy(), TimeProvider.System);

    [Fact]
    public void Verify_WhenTrustedReviewerSignedThisTarball_IsValid()
    {
        var bundle = SignKeyless(Alice, Predicate(), Tarball);
        var result = ReviewVerifier(TrustToml()).Verify(Encoding.UTF8.GetBytes(bundle), "left-pad", "1.3.0", SHA512.HashData(Tarball));
        Assert.True(result.IsValid, result.Message);
        Assert.Equal("alice", result.Review!.ReviewerId);
        Assert.Equal(TrustLevel.High, result.Review.Trust.Level);
        Assert.Equal(["safe-to-deploy"], result.Review.Predicate.Criteria);
    }

    [Fact]
    public void Verify_WhenPayloadTampered_FailsWithSignatureInvalid()
    {
        var bundle = SignKeyless(Alice, Predicate(), Tarball);
        var node = System.Text.Json.Nodes.JsonNode.Parse(bundle)!;
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String(node["dsseEnvelope"]!["payload"]!.GetValue<string>()));
        node["dsseEnvelope"]!["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload.Replace("safe-to-deploy", "safe-to-run", StringComparison.Ordinal)));
        var result = ReviewVerifier(TrustToml()).Verify(Encoding.UTF8.GetBytes(node.ToJsonString()), "left-pad", "1.3.0", SHA512.HashData(Tarball));
        Assert.Equal(ReviewCodes.SignatureInvalid, result.Code);
    }

    [Fact]
    public void Verify_WhenReviewIsOfOtherBytes_FailsWithSubjectMismatch()
    {
        var bundle = SignKeyless(Alice, Predicate(), OtherTarball);
        var result = ReviewVerifier(TrustToml()).Verify(Encoding.UTF8.GetBytes(bundle), "left-pad", "1.3.0", SHA512.HashData(Tarball));
        Assert.Equal(ReviewCodes.SubjectMismatch, result.Code);
    }

    [Fact]
    public void Verify_WhenReviewNamesAnotherVersionOfTheSameBytes_FailsWithSubjectMismatch()
    {
        var bundle = SignKeyless(Alice, Predicate("1.2.0"), Tarball);
        var result = ReviewVerifier(TrustToml()).Verify(Encoding.UTF8.GetBytes(bundle), "left-pad", "1.3.0", SHA512.HashData(Tarball));
        Assert.Equal(ReviewCodes.SubjectMismatch, result.Code);
    }

    [Fact]
    public void Verify_WhenReviewerDistrusted_FailsWithDistrusted()
    {
        var trust = TrustToml("level = \"medium\"") + """

            [[trust]]
            from = "alice"
            to = "mallory"
            level = "distrust"
            """;
        var bundle = SignKeyless(Mallory, Predicate(), Tarball);
        var result = ReviewVerifier(trust).Verify(Encoding.UTF8.GetBytes(bundle), "left-pad", "1.3.0", SHA512.HashData(Tarball));
        Assert.Equal(ReviewCodes.ReviewerDistrusted, result.Code);

        // Without the distrust the same review is accepted: the code above comes from the distrust alone.
        var trusted = ReviewVerifier(TrustToml("level = \"medium\"")).Verify(Encoding.UTF8.GetBytes(bundle), "left-pad", "1.3.0", SHA512.HashData(Tarball));
        Assert.True(trusted.IsValid, trusted.Message);
    }

    [Fact]
    public void Verify_WhenSignerNotInTrustFile_FailsWithReviewerUnknown()
    {
        var stranger = Alice with { Repository = "stranger/reviews" };
        var bundle = SignKeyless(stranger, Predicate(), Tarball);
        var result = ReviewVerifier(TrustToml()).Verify(Encoding.UTF8.GetBytes(bundle), "left-pad", "1.3.0", SHA512.HashData(Tarball));
        Assert.Equal(ReviewCodes.ReviewerUnknown, result.Code);
    }

    [Fact]
    public void Verify_WhenReviewerOnlyReachableBeyondDepth_FailsWithTrustTooLow()
    {
        var trust = TrustToml() + """

            [[trust]]
            from = "alice"
            to = "mallory"
            level = "low"
            """;
        var bundle = SignKeyless(Mallory, Predicate(), Tarball);
        var deep = ReviewVerifier(trust, new ReviewTrustPolicy { MaxDepth = 1 }).Verify(Encoding.UTF8.GetBytes(bundle), "left-pad", "1.3.0", SHA512.HashData(Tarball));
        Assert.Equal(ReviewCodes.ReviewerTooFar, deep.Code);
        var ok = ReviewVerifier(trust, new ReviewTrustPolicy { MaxDepth = 2 }).Verify(Encoding.UTF8.GetBytes(bundle), "left-pad", "1.3.0", SHA512.HashData(Tarball));
        Assert.True(ok.IsValid, ok.Message);
        Assert.Equal(TrustLevel.Low, ok.Review!.Trust.Level); // the minimum along alice(high) -> mallory(low)
        var medium = ReviewVerifier(trust, new ReviewTrustPolicy { MaxDepth = 2, MinimumLevel = TrustLevel.Medium }).Verify(Encoding.UTF8.GetBytes(bundle), "left-pad", "1.3.0", SHA512.HashData(Tarball));
        Assert.Equal(ReviewCodes.ReviewerTooFar, medium.Code);
    }

    [Fact]
    public void Verify_WhenSignedWithListedLocalKey_IsValid_AndWithAnotherKey_FailsWithSignatureInvalid()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var signer = new LocalKeyReviewSigner(ec.ExportPkcs8PrivateKeyPem());
        var trust = $"""
            [[reviewer]]
            id = "bob"
            public-key = '''
            {signer.PublicKeyPem}'''
            level = "medium"
            """;
        var bundle = signer.SignStatement(ReviewStatement.Build(Predicate(), SHA512.HashData(Tarball)));
        var ok = ReviewVerifier(trust).Verify(Encoding.UTF8.GetBytes(bundle), "left-pad", "1.3.0", SHA512.HashData(Tarball));
        Assert.True(ok.IsValid, ok.Message);
        Assert.Equal("bob", ok.Review!.ReviewerId);

        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherSigner = new LocalKeyReviewSigner(other.ExportPkcs8PrivateKeyPem());
        var forged = otherSigner.SignStatement(ReviewStatement.Build(Predicate(), SHA512.HashData(Tarball)));
        Assert.Equal(ReviewCodes.SignatureInvalid, ReviewVerifier(trust).Verify(Encoding.UTF8.GetBytes(forged), "left-pad", "1.3.0", SHA512.HashData(Tarball)).Code);
    }

    [Fact]
    public void Evaluate_WhenDistrustedReviewerVouchesForAnother_CutsThatPath()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = ec.ExportSubjectPublicKeyInfoPem().Replace("\n", "\\n", StringComparison.Ordinal);
        var trust = $$"""
            [[reviewer]]
            id = "a"
            public-key = "{{pem}}"
            level = "high"
            [[reviewer]]
            id = "b"
            public-key = "{{pem}}"
            [[reviewer]]
            id = "c"
            public-key = "{{pem}}"
            [[trust]]
            from = "a"
            to = "b"
            level = "high"
            [[trust]]
            from = "b"
            to = "c"
            level = "medium"
            """;
        var graph = TrustGraph.Parse(trust, "trust.toml");
        Assert.Equal(TrustLevel.Medium, graph.Evaluate(3)["c"].Level);
        Assert.Equal(["(organisation)", "a", "b", "c"], graph.Evaluate(3)["c"].Path);
        var cut = TrustGraph.Parse(trust + "\n[[trust]]\nfrom = \"a\"\nto = \"b\"\nlevel = \"distrust\"\n", "trust.toml").Evaluate(3);
        Assert.True(cut["b"].Distrusted);
        Assert.Equal(TrustLevel.None, cut["c"].Level);
    }
}

public sealed class ReviewCheckSignedTests
{
    [Fact]
    public void Run_WhenSignedReviewOfLockedBytes_CoversBySignedReview_AndTamperedCopyFailsTheCheck()
    {
        var tarball = Encoding.UTF8.GetBytes("tiny-lib-2.0.0.tgz bytes");
        var dir = Directory.CreateTempSubdirectory("vouch-reviews-signed-").FullName;
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var signer = new LocalKeyReviewSigner(ec.ExportPkcs8PrivateKeyPem());
        Records.SupplyChainWriter.AddReviewer(dir, "bob", null, null, signer.PublicKeyPem, TrustLevel.Medium);
        var predicate = new ReviewPredicate { Package = "tiny-lib", Version = "2.0.0", Criteria = ["safe-to-deploy"], ReviewedAt = DateTimeOffset.UnixEpoch };
        Directory.CreateDirectory(Path.Combine(dir, "reviews"));
        File.WriteAllText(Path.Combine(dir, "reviews", "tiny-lib@2.0.0.json"), signer.SignStatement(ReviewStatement.Build(predicate, SHA512.HashData(tarball))));
        var lockfile = new Vouch.Npm.Lockfiles.Lockfile
        {
            Path = "package-lock.json",
            Format = Vouch.Npm.Lockfiles.LockfileFormat.NpmV3,
            Packages = [new Vouch.Npm.Lockfiles.LockfilePackage { Name = "tiny-lib", Version = "2.0.0", Integrity = "sha512-" + Convert.ToBase64String(SHA512.HashData(tarball)) }],
        };
        var root = TrustedRoot.Parse(File.ReadAllBytes(Vouch.Tests.SharedFixtures.Path("npm", "trusted_root.json")));
        SignedReviewVerifier Verifier() => new(new SigstoreVerifier(root), TrustGraph.Load(dir), new ReviewTrustPolicy(), TimeProvider.System);

        var ok = ReviewCheck.Run(Records.SupplyChain.Load(dir), lockfile, TimeProvider.System, Verifier());
        Assert.True(ok.Ok);
        Assert.Equal(Coverage.CoverageKind.SignedReview, ok.Coverage.Packages[0].Criteria[0].Kind);

        // The lockfile pins other bytes: the same review no longer binds.
        var other = lockfile with { Packages = [lockfile.Packages[0] with { Integrity = "sha512-" + Convert.ToBase64String(SHA512.HashData("x"u8.ToArray())) }] };
        var mismatch = ReviewCheck.Run(Records.SupplyChain.Load(dir), other, TimeProvider.System, Verifier());
        Assert.False(mismatch.Ok);
        Assert.Equal(ReviewCodes.SubjectMismatch, Assert.Single(mismatch.SignedReviewProblems).Code);
    }
}
