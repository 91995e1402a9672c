using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Reviews;
using Vouch.Reviews.Signed;

namespace Vouch.Gate.Tests;

/// <summary>
/// Issue 17: reviews shared through the gate. Reviews are signed with a local key listed in the
/// policy's trust.toml; the gate verifies each against the version's tarball before storing it, and the
/// policy's `reviews` rule counts what it stored.
/// </summary>
public sealed class ReviewsApiTests : IDisposable
{
    private const string Policy = """
        version: 1
        rules:
          reviews:
            severity: error
            require:
              - packages: ['*']
                criteria: safe-to-deploy
        """;

    private readonly string _dir = Directory.CreateTempSubdirectory("vouch-gate-reviews-").FullName;
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly LocalKeyReviewSigner _signer;
    private byte[] _leftPad = [];
    private byte[] _scoped = [];

    public ReviewsApiTests()
    {
        _signer = new LocalKeyReviewSigner(_key.ExportPkcs8PrivateKeyPem());
        Directory.CreateDirectory(Path.Combine(_dir, "supply-chain"));
        File.WriteAllText(Path.Combine(_dir, "supply-chain", "trust.toml"), $"[[reviewer]]\nid = \"carol\"\npublic-key = \"\"\"\n{_signer.PublicKeyPem}\"\"\"\nlevel = \"high\"\n");
        File.WriteAllText(Path.Combine(_dir, "vouch.policy.yml"), Policy);
    }

    public void Dispose()
    {
        _signer.Dispose();
        _key.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<GateFixture> StartAsync(bool policy = true, bool requireReview = false) => GateFixture.StartAsync(
        u =>
        {
            _leftPad = u.AddVersion("left-pad", "1.0.0", "2023-03-01T00:00:00.000Z");
            _scoped = u.AddVersion("@acme/ui", "2.0.0", "2023-03-01T00:00:00.000Z");
        },
        o => o with { PolicyPath = policy ? Path.Combine(_dir, "vouch.policy.yml") : null, ApprovalRequiresReview = requireReview });

    private string Sign(string name, string version, byte[] tarball, string criterion = "safe-to-deploy") =>
        _signer.SignStatement(ReviewStatement.Build(new ReviewPredicate
        {
            Package = name,
            Version = version,
            Criteria = [criterion],
            Reviewer = "carol",
            ReviewedAt = DateTimeOffset.Parse("2026-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture),
        }, SHA512.HashData(tarball)));

    private static async Task<(int Status, JsonNode? Body)> PostAsync(GateFixture gate, string? token, string body, string path = "-/vouch/v1/reviews")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using var response = await gate.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private static async Task<string> PageAsync(GateFixture gate, string name)
    {
        using var response = await gate.SendAsync(HttpMethod.Get, "-/vouch/dashboard/package/" + name, GateFixture.ReaderToken);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return text;
    }

    [Fact]
    public async Task Post_WhenTrustedReviewOfTheVersion_IsStoredAuditedAndLiftsTheReviewsRule()
    {
        await using var gate = await StartAsync();
        using (var refused = await gate.SendAsync(HttpMethod.Get, "left-pad/-/left-pad-1.0.0.tgz"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains(ReviewCodes.NotCovered, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.DoesNotContain("id=\"reviews\"", await PageAsync(gate, "left-pad"), StringComparison.Ordinal);

        var bundle = Sign("left-pad", "1.0.0", _leftPad);
        var (status, body) = await PostAsync(gate, GateFixture.ApproverToken, bundle);
        Assert.True(status == 201, body?.ToJsonString());
        Assert.Equal("carol", (string)body!["reviewer"]!);
        Assert.Equal(Convert.ToHexStringLower(SHA512.HashData(_leftPad)), (string)body["sha512"]!);

        using (var served = await gate.SendAsync(HttpMethod.Get, "left-pad/-/left-pad-1.0.0.tgz"))
        {
            Assert.True(served.StatusCode == HttpStatusCode.OK, await served.Content.ReadAsStringAsync());
        }

        // The same bundle again is the same row (and one audit entry).
        var (again, againBody) = await PostAsync(gate, GateFixture.ApproverToken, bundle);
        Assert.True(again == 200, againBody?.ToJsonString());
        Assert.Equal((long)body["id"]!, (long)againBody!["id"]!);

        var list = (await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/reviews?name=left-pad&version=1.0.0", GateFixture.ReaderToken))["reviews"]!.AsArray();
        Assert.NotEmpty(list);
        var one = await gate.JsonAsync(HttpMethod.Get, $"-/vouch/v1/reviews/{(long)list[0]!["id"]!}", GateFixture.ReaderToken);
        Assert.NotNull(one["bundle"]!["dsseEnvelope"]);

        // The dashboard's package page shows the stored review with its version, reviewer and criteria.
        var page = await PageAsync(gate, "left-pad");
        Assert.Contains("id=\"reviews\"", page, StringComparison.Ordinal);
        Assert.Contains("<td>1.0.0</td><td>carol</td><td>safe-to-deploy</td><td>(full review)</td>", page, StringComparison.Ordinal);

        var audit = (await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/audit", GateFixture.ReaderToken))["entries"]!.AsArray();
        var added = Assert.Single(audit, e => (string)e!["action"]! == "review-added" && (string)e["name"]! == "left-pad");
        Assert.Equal("alice", (string)added!["actor"]!);
    }

    [Fact]
    public async Task Post_WhenScopedPackage_IsStoredAndListedByItsName()
    {
        await using var gate = await StartAsync();
        var (status, body) = await PostAsync(gate, GateFixture.AdminToken, Sign("@acme/ui", "2.0.0", _scoped));
        Assert.True(status == 201, body?.ToJsonString());
        var list = (await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/reviews?name=%40acme%2Fui", GateFixture.ReaderToken))["reviews"]!.AsArray();
        Assert.Equal("@acme/ui", (string)Assert.Single(list)!["name"]!);
    }

    [Fact]
    public async Task Post_WhenTamperedReviewOfOtherBytesOrUnknownKey_IsRefusedWithItsCodeAndNotStored()
    {
        await using var gate = await StartAsync();

        var node = JsonNode.Parse(Sign("left-pad", "1.0.0", _leftPad))!;
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String((string)node["dsseEnvelope"]!["payload"]!));
        node["dsseEnvelope"]!["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload.Replace("\"carol\"", "\"carl\"", StringComparison.Ordinal)));
        var (tampered, tamperedBody) = await PostAsync(gate, GateFixture.ApproverToken, node.ToJsonString());
        Assert.Equal(422, tampered);
        Assert.Equal(ReviewCodes.SignatureInvalid, (string)tamperedBody!["code"]!);

        var (other, otherBody) = await PostAsync(gate, GateFixture.ApproverToken, Sign("left-pad", "1.0.0", "other bytes"u8.ToArray()));
        Assert.Equal(422, other);
        Assert.Equal(ReviewCodes.SubjectMismatch, (string)otherBody!["code"]!);

        using var stranger = new LocalKeyReviewSigner(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportPkcs8PrivateKeyPem());
        var strangerBundle = stranger.SignStatement(ReviewStatement.Build(new ReviewPredicate { Package = "left-pad", Version = "1.0.0", Criteria = ["safe-to-deploy"], ReviewedAt = DateTimeOffset.UnixEpoch }, SHA512.HashData(_leftPad)));
        var (unknown, unknownBody) = await PostAsync(gate, GateFixture.ApproverToken, strangerBundle);
        Assert.Equal(422, unknown);
        Assert.StartsWith("VOUCH_REVIEW_", (string)unknownBody!["code"]!, StringComparison.Ordinal);

        Assert.Empty((await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/reviews", GateFixture.ReaderToken))["reviews"]!.AsArray());
        using var stillRefused = await gate.SendAsync(HttpMethod.Get, "left-pad/-/left-pad-1.0.0.tgz");
        Assert.Equal(HttpStatusCode.Forbidden, stillRefused.StatusCode);
    }

    [Fact]
    public async Task Post_WhenReviewNamesAVersionThatDoesNotExist_Answers404()
    {
        await using var gate = await StartAsync();
        var (status, body) = await PostAsync(gate, GateFixture.ApproverToken, Sign("left-pad", "9.9.9", _leftPad));
        Assert.Equal(404, status);
        Assert.Equal(GateCodes.NotFound, (string)body!["code"]!);
        var (missing, missingBody) = await PostAsync(gate, GateFixture.ApproverToken, Sign("no-such-package-here", "1.0.0", _leftPad));
        Assert.Equal(404, missing);
        Assert.Equal(GateCodes.NotFound, (string)missingBody!["code"]!);
    }

    [Fact]
    public async Task Post_WhenTokenIsReaderOrMissing_IsRefused()
    {
        await using var gate = await StartAsync();
        var (reader, readerBody) = await PostAsync(gate, GateFixture.ReaderToken, Sign("left-pad", "1.0.0", _leftPad));
        Assert.Equal(403, reader);
        Assert.Equal(GateCodes.Forbidden, (string)readerBody!["code"]!);
        var (none, noneBody) = await PostAsync(gate, null, Sign("left-pad", "1.0.0", _leftPad));
        Assert.Equal(401, none);
        Assert.Equal(GateCodes.Unauthorized, (string)noneBody!["code"]!);
        Assert.Empty((await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/reviews", GateFixture.ReaderToken))["reviews"]!.AsArray());
    }

    public static TheoryData<string, int> BadBodies() => new()
    {
        { "", 400 },
        { "{", 400 },
        { "[]", 400 },
        { "null", 400 },
        { "{\"dsseEnvelope\":{\"payload\":null}}", 400 },
        { "{\"dsseEnvelope\":{\"payload\":\"not base64!\"}}", 400 },
        { "{\"dsseEnvelope\":{\"payload\":\"" + Convert.ToBase64String("{\"predicate\":{\"package\":{\"name\":null,\"version\":\"1.0.0\"}}}"u8) + "\"}}", 400 },
        { "{\"dsseEnvelope\":{\"payload\":\"" + Convert.ToBase64String("{\"predicate\":{\"package\":{\"name\":\"../../etc\",\"version\":\"1.0.0\"}}}"u8) + "\"}}", 400 },
        { "{\"dsseEnvelope\":{\"payload\":\"" + Convert.ToBase64String("{\"predicate\":{\"package\":{\"name\":\"left-pad\",\"version\":\"^1\"}}}"u8) + "\"}}", 400 },
        { "{\"dsseEnvelope\":{\"payload\":\"" + Convert.ToBase64String("{\"predicate\":{\"package\":{\"name\":\"left-pad\",\"version\":\"1.0.0\"}}}"u8) + "\"}}", 422 },
        { new string('[', 5000), 400 },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Post_WhenBodyIsMalformed_AnswersAClientErrorNever500(string body, int expected)
    {
        await using var gate = await StartAsync();
        var (status, json) = await PostAsync(gate, GateFixture.ApproverToken, body);
        Assert.True(status == expected, $"{status}: {json?.ToJsonString()}");
        Assert.NotNull((string?)json!["code"]);
    }

    [Fact]
    public async Task Post_WhenBodyIsHuge_Answers413()
    {
        await using var gate = await StartAsync();
        var (status, body) = await PostAsync(gate, GateFixture.ApproverToken, "{\"x\":\"" + new string('a', (int)ReviewLimits.MaxBundleBytes + 10) + "\"}");
        Assert.Equal(413, status);
        Assert.Equal(GateCodes.BadBody, (string)body!["code"]!);
    }

    [Theory]
    [InlineData("-/vouch/v1/reviews/%2e%2e%2fapprovals")]
    [InlineData("-/vouch/v1/reviews/..%2f..%2faudit")]
    [InlineData("-/vouch/v1/reviews/%252e%252e")]
    [InlineData("-/vouch/v1/reviews/abc")]
    [InlineData("-/vouch/v1/reviews/99999")]
    [InlineData("-/vouch/v1/reviews?name=..%2f..%2fetc")]
    [InlineData("-/vouch/v1/reviews?name=%2e%2e")]
    [InlineData("-/vouch/v1/reviews?version=1.0.0")]
    [InlineData("-/vouch/v1/reviews?name=left-pad&version=..")]
    [InlineData("-/vouch/v1/reviews?limit=-1")]
    public async Task Get_WhenPathOrQueryIsHostile_AnswersAClientError(string path)
    {
        await using var gate = await StartAsync();
        using var response = await gate.SendAsync(HttpMethod.Get, path, GateFixture.ReaderToken);
        var status = (int)response.StatusCode;
        Assert.True(status is 400 or 404, $"{path}: {status} {await response.Content.ReadAsStringAsync()}");
        Assert.Contains("VOUCH_GATE_", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_WhenPolicyHasNoReviewsRule_AnswersReviewsDisabled()
    {
        await using var gate = await StartAsync(policy: false);
        var (status, body) = await PostAsync(gate, GateFixture.ApproverToken, Sign("left-pad", "1.0.0", _leftPad));
        Assert.Equal(409, status);
        Assert.Equal(GateCodes.ReviewsDisabled, (string)body!["code"]!);
    }

    [Fact]
    public async Task Grant_WhenApprovalRequiresAReviewAndNoneIsStored_IsRefusedUntilOneIs()
    {
        await using var gate = await StartAsync(requireReview: true);
        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "left-pad", version = "1.0.0", rule = "reviews", reason = "needed today" }, 201);
        var id = (long)request["id"]!;
        var refused = await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{id}/grant", GateFixture.ApproverToken, new { reason = "ok" }, 409);
        Assert.Equal(GateCodes.ReviewRequired, (string)refused["code"]!);

        var (status, body) = await PostAsync(gate, GateFixture.AdminToken, Sign("left-pad", "1.0.0", _leftPad, "safe-to-run"));
        Assert.True(status == 201, body?.ToJsonString());
        var granted = await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{id}/grant", GateFixture.ApproverToken, new { reason = "ok" });
        Assert.Equal("granted", (string)granted["status"]!);
    }
}
