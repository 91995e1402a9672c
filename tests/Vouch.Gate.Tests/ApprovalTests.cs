using System.Net;
using System.Text.Json.Nodes;

namespace Vouch.Gate.Tests;

public class ApprovalTests
{
    private static Task<GateFixture> StartAsync() =>
        GateFixture.StartAsync(u => u.AddVersion("sigstore", "1.0.1", "2023-03-01T00:00:00.000Z"));

    [Fact]
    public async Task Grant_WhenApproverGrantsWithheldVersion_ItIsOfferedAndServedAndTheAuditLogShowsBoth()
    {
        await using var gate = await StartAsync();
        using (var refused = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.1.tgz"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade", reason = "hotfix, checked by hand" }, 201);
        var id = (long)request["id"]!;
        Assert.Equal("pending", (string)request["status"]!);
        var granted = await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{id}/grant", GateFixture.ApproverToken, new { reason = "diff reviewed" });
        Assert.Equal("granted", (string)granted["status"]!);
        Assert.Equal("alice", (string)granted["decidedBy"]!);

        using var packument = await gate.SendAsync(HttpMethod.Get, "sigstore");
        var doc = JsonNode.Parse(await packument.Content.ReadAsStringAsync())!;
        Assert.NotNull(doc["versions"]!["1.0.1"]);
        Assert.Equal("1.0.1", (string)doc["dist-tags"]!["latest"]!);
        using var tarball = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.1.tgz");
        Assert.Equal(HttpStatusCode.OK, tarball.StatusCode);

        var audit = (await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/audit", GateFixture.ReaderToken))["entries"]!.AsArray();
        Assert.Equal(["withheld", "refused", "requested", "granted"], audit.Select(e => (string)e!["action"]!).ToArray());
        Assert.All(audit, e => Assert.Equal("trust-downgrade", (string)e!["rule"]!));
        Assert.Equal("alice", (string)audit[3]!["actor"]!);
        Assert.Equal("diff reviewed", (string)audit[3]!["reason"]!);
    }

    [Fact]
    public async Task Grant_WhenTokenIsReader_IsForbidden()
    {
        await using var gate = await StartAsync();
        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade" }, 201);
        var body = await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{(long)request["id"]!}/grant", GateFixture.ReaderToken, new { }, 403);

        Assert.Equal(GateCodes.Forbidden, (string)body["code"]!);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-secret-0123456789")]
    [InlineData("reader-secret-012345678")]
    public async Task Api_WhenTokenMissingOrUnknown_Answers401(string? token)
    {
        await using var gate = await StartAsync();
        var body = await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/approvals", token, expect: 401);

        Assert.Equal(GateCodes.Unauthorized, (string)body["code"]!);
    }

    [Fact]
    public async Task Deny_WhenDenied_VersionStaysWithheldAndCannotBeGrantedLater()
    {
        await using var gate = await StartAsync();
        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade" }, 201);
        var id = (long)request["id"]!;
        await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{id}/deny", GateFixture.AdminToken, new { reason = "not ours" });
        var conflict = await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{id}/grant", GateFixture.AdminToken, new { }, 409);
        using var tarball = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.1.tgz");

        Assert.Equal(GateCodes.Conflict, (string)conflict["code"]!);
        Assert.Equal(HttpStatusCode.Forbidden, tarball.StatusCode);
    }

    [Fact]
    public async Task Grant_WhenExpired_NoLongerLiftsTheRule()
    {
        var time = new ShiftedTime();
        await using var gate = await GateFixture.StartAsync(u => u.AddVersion("sigstore", "1.0.1", "2023-03-01T00:00:00.000Z"), dependencies: GateFixture.Dependencies() with { Time = time });
        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade" }, 201);
        await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{(long)request["id"]!}/grant", GateFixture.ApproverToken, new { expires = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) });
        using (var during = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.1.tgz"))
        {
            Assert.Equal(HttpStatusCode.OK, during.StatusCode);
        }

        time.Shift = TimeSpan.FromHours(2);
        await gate.Host.Service.RefreshApprovalsAsync(CancellationToken.None);
        using var after = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.1.tgz");

        Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
    }

    /// <summary>The system clock, moved forward on demand.</summary>
    private sealed class ShiftedTime : TimeProvider
    {
        public TimeSpan Shift { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;
    }

    [Theory]
    [InlineData("../etc", "1.0.0", "r")]
    [InlineData("ok", "latest", "r")]
    [InlineData("ok", "1.0.0", "bad rule!")]
    public async Task Request_WhenFieldsInvalid_Answers400NamingThem(string name, string version, string rule)
    {
        await using var gate = await StartAsync();
        var body = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name, version, rule }, 400);

        Assert.Equal(GateCodes.BadRequest, (string)body["code"]!);
    }

    [Fact]
    public async Task Approvals_WhenGatesRestart_Survive()
    {
        var dir = Path.Combine(Path.GetTempPath(), "vouch-gate-" + Guid.NewGuid().ToString("n"));
        var upstream = await TestUpstream.StartAsync();
        upstream.AddVersion("sigstore", "1.0.1", "2023-03-01T00:00:00.000Z");
        var first = await GateFixture.StartAsync(upstream: upstream, dir: dir);
        var request = await first.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade" }, 201);
        await first.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{(long)request["id"]!}/grant", GateFixture.ApproverToken, new { });
        first.Http.Dispose();
        await first.Host.DisposeAsync();

        await using var second = await GateFixture.StartAsync(upstream: upstream, dir: dir);
        using var tarball = await second.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.1.tgz");

        Assert.Equal(HttpStatusCode.OK, tarball.StatusCode);
    }

    [Fact]
    public void Tokens_WhenFileHasBadLines_ReportsEachWithoutEchoingSecrets()
    {
        var tokens = GateToken.ParseFile("# tokens\nreader rita reader-secret-0123456789\nboss bob bob-secret-0123456789\napprover al short\nadmin\n", out var errors);

        Assert.Single(tokens);
        Assert.Equal(3, errors.Count);
        Assert.DoesNotContain(errors, e => e.Contains("bob-secret", StringComparison.Ordinal) || e.Contains("short", StringComparison.Ordinal) && e.Contains("'short'", StringComparison.Ordinal));
    }
}
