using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Reviews.Signed;
using Vouch.Sandbox.Sigstore;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;
using Vouch.Tests;

namespace Vouch.Reviews.Tests;

/// <summary>
/// <see cref="KeylessReviewSigner"/> over HTTP against the sandbox's Sigstore instance (Fulcio and Rekor
/// answering as the real APIs do), then verified as `review check` verifies reviews.
/// </summary>
public sealed class KeylessReviewSignerTests : IDisposable
{
    private static readonly byte[] Tarball = Encoding.UTF8.GetBytes("pretend this is left-pad-1.3.0.tgz");
    private static readonly Uri Fulcio = new("https://fulcio.test/");
    private static readonly Uri Rekor = new("https://rekor.test/");

    private static readonly GitHubWorkflowIdentity Alice = new("alice/reviews", "refs/heads/main", new string('a', 40), ".github/workflows/review.yml");
    private static readonly GitHubWorkflowIdentity Mallory = new("mallory/reviews", "refs/heads/main", new string('b', 40), ".github/workflows/review.yml");

    private readonly SigstoreInstance _sigstore = SigstoreInstance.Create();
    private readonly SandboxSigstoreServices _services;

    public KeylessReviewSignerTests() => _services = new SandboxSigstoreServices(_sigstore);

    public void Dispose()
    {
        _services.Dispose();
        _sigstore.Dispose();
    }

    private SigstoreVerifier Verifier() => new(TrustedRoot.Parse(Encoding.UTF8.GetBytes(_sigstore.TrustedRootJson())));

    private static byte[] Statement() => ReviewStatement.Build(
        new ReviewPredicate { Package = "left-pad", Version = "1.3.0", Criteria = ["safe-to-deploy"], Reviewer = "alice", ReviewedAt = DateTimeOffset.UtcNow },
        SHA512.HashData(Tarball));

    private KeylessReviewSigner Signer(string token, HttpMessageHandler? handler = null) =>
        new(handler ?? new Handler(_services), new KeylessSigningEndpoints { Fulcio = Fulcio, Rekor = Rekor }, token, Verifier());

    private SignedReviewResult VerifyAsReviewCheck(string bundle) =>
        new SignedReviewVerifier(Verifier(), TrustGraph.Parse($"""
            [[reviewer]]
            id = "alice"
            identity = "{Alice.BuildSignerUri}"
            issuer = "{GitHubWorkflowIdentity.GitHubActionsIssuer}"
            level = "high"
            """, "trust.toml"), new ReviewTrustPolicy(), TimeProvider.System).Verify(Encoding.UTF8.GetBytes(bundle), "left-pad", "1.3.0", SHA512.HashData(Tarball));

    [Fact]
    public async Task SignStatementAsync_WhenTokenIsTheAcceptedReviewers_BundleVerifiesAsTheirReview()
    {
        using var signer = Signer(_services.MintToken(Alice));
        var signed = await signer.SignStatementAsync(Statement(), CancellationToken.None);
        Assert.True(signed.Bundle is not null, signed.Message);
        Assert.Equal(Alice.BuildSignerUri, signed.SignerIdentity);
        Assert.Equal((1, 1), (_services.FulcioRequests, _services.RekorRequests));

        var result = VerifyAsReviewCheck(signed.Bundle);
        Assert.True(result.IsValid, result.Message);
        Assert.Equal("alice", result.Review!.ReviewerId);
    }

    [Fact]
    public async Task SignStatementAsync_WhenCertificateIdentityIsNotAnAcceptedReviewer_ReviewIsRefused()
    {
        using var signer = Signer(_services.MintToken(Mallory));
        var signed = await signer.SignStatementAsync(Statement(), CancellationToken.None);
        Assert.True(signed.Bundle is not null, signed.Message);
        Assert.Equal(ReviewCodes.ReviewerUnknown, VerifyAsReviewCheck(signed.Bundle).Code);
    }

    [Fact]
    public async Task SignStatementAsync_WhenBundlePayloadIsChangedAfterSigning_FailsWithSignatureInvalid()
    {
        using var signer = Signer(_services.MintToken(Alice));
        var signed = await signer.SignStatementAsync(Statement(), CancellationToken.None);
        var bundle = JsonNode.Parse(signed.Bundle!)!;
        var statement = JsonNode.Parse(Convert.FromBase64String((string)bundle["dsseEnvelope"]!["payload"]!))!;
        statement["predicate"]!["criteria"] = new JsonArray("safe-to-deploy", "crypto-reviewed");
        bundle["dsseEnvelope"]!["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(statement.ToJsonString()));
        Assert.Equal(ReviewCodes.SignatureInvalid, VerifyAsReviewCheck(bundle.ToJsonString()).Code);
    }

    [Fact]
    public async Task SignStatementAsync_WhenTokenIsSignedByAnotherIssuer_IsRefusedAndNothingIsLogged()
    {
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var signer = Signer(_services.MintToken(Alice, issuerKey: forger));
        var signed = await signer.SignStatementAsync(Statement(), CancellationToken.None);
        Assert.Null(signed.Bundle);
        Assert.Equal(ReviewCodes.SigningRefused, signed.Code);
        Assert.Equal(ReviewFailureKind.Refused, signed.Kind);
        Assert.Contains("HTTP 401", signed.Message, StringComparison.Ordinal);
        Assert.Equal(0, _services.RekorRequests);
    }

    [Fact]
    public async Task SignStatementAsync_WhenTokenHasExpired_IsRefused()
    {
        using var signer = Signer(_services.MintToken(Alice, lifetime: TimeSpan.FromMinutes(-1)));
        Assert.Equal(ReviewCodes.SigningRefused, (await signer.SignStatementAsync(Statement(), CancellationToken.None)).Code);
    }

    [Theory]
    [InlineData(400, ReviewFailureKind.Refused)]
    [InlineData(403, ReviewFailureKind.Refused)]
    [InlineData(503, ReviewFailureKind.NetworkFailed)]
    public async Task SignStatementAsync_WhenFulcioEchoesTheTokenInAnError_MessageNeverCarriesIt(int status, ReviewFailureKind kind)
    {
        _services.FulcioFailure = status;
        var token = _services.MintToken(Alice);
        using var signer = Signer(token);
        var signed = await signer.SignStatementAsync(Statement(), CancellationToken.None);
        Assert.Equal(kind, signed.Kind);
        Assert.Contains($"HTTP {status}", signed.Message, StringComparison.Ordinal);
        Assert.Contains("[token]", signed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token, signed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[2], signed.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignStatementAsync_WhenFulcioIsUnreachable_IsANetworkFailure()
    {
        using var signer = Signer(_services.MintToken(Alice), new Unreachable());
        var signed = await signer.SignStatementAsync(Statement(), CancellationToken.None);
        Assert.Equal((ReviewCodes.SigningUnavailable, ReviewFailureKind.NetworkFailed), (signed.Code, signed.Kind));
    }

    [Theory]
    [InlineData("signedEntryTimestamp")]
    [InlineData("integratedTime")]
    [InlineData("rootHash")]
    [InlineData("body")]
    public async Task SignStatementAsync_WhenRekorAnswersWithAChangedEntry_NoBundleIsReturned(string field)
    {
        _services.TamperRekor = answer =>
        {
            var entry = answer.First().Value!;
            var proof = entry["verification"]!["inclusionProof"]!;
            switch (field)
            {
                case "signedEntryTimestamp":
                    var set = Convert.FromBase64String((string)entry["verification"]![field]!);
                    set[^3] ^= 1;
                    entry["verification"]![field] = Convert.ToBase64String(set);
                    break;
                case "integratedTime":
                    entry[field] = (long)entry[field]! - 3600;
                    break;
                case "rootHash":
                    proof[field] = new string('0', 64);
                    break;
                default:
                    var body = JsonNode.Parse(Convert.FromBase64String((string)entry[field]!))!;
                    body["spec"]!["payloadHash"]!["value"] = new string('0', 64);
                    entry[field] = Convert.ToBase64String(Encoding.UTF8.GetBytes(body.ToJsonString()));
                    break;
            }

            return answer;
        };
        using var signer = Signer(_services.MintToken(Alice));
        var signed = await signer.SignStatementAsync(Statement(), CancellationToken.None);
        Assert.Null(signed.Bundle);
        Assert.Equal((ReviewCodes.SigningUnverified, ReviewFailureKind.CheckFailed), (signed.Code, signed.Kind));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJhdWQiOiJzaWdzdG9yZSJ9.")]
    public void CheckTokenShape_WhenNotAJwtWithASubject_SaysWhyWithoutQuotingIt(string token)
    {
        var why = KeylessReviewSigner.CheckTokenShape(token);
        Assert.NotNull(why);
        if (token.Length > 0)
        {
            Assert.DoesNotContain(token, why, StringComparison.Ordinal);
        }
    }

    private sealed class Handler(SandboxSigstoreServices services) : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
            var (status, answer) = services.Handle(request.Method.Method, request.RequestUri!.AbsolutePath, body);
            return new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(answer, Encoding.UTF8, "application/json") };
        }
    }

    private sealed class Unreachable : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("Connection refused (fulcio.test:443)");
    }
}
