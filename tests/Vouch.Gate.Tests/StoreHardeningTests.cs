using System.Net;
using System.Text.Json.Nodes;
using Vouch.Provenance;

namespace Vouch.Gate.Tests;

/// <summary>
/// Issue 12, storage side, through the gate's HTTP API: evidence that could not be completed is
/// not permanent, approvals are four-eyed and typed, withheld rows are written once.
/// </summary>
public class StoreHardeningTests
{
    private const string Attestations = "-/npm/v1/attestations/sigstore@1.0.0";

    private static Task<GateFixture> StartAsync(Func<GateOptions, GateOptions>? configure = null, string? dir = null, TestUpstream? upstream = null) =>
        GateFixture.StartAsync(u => u.AddVersion("sigstore", "1.0.1", "2023-03-01T00:00:00.000Z"), configure, upstream: upstream, dir: dir);

    private static GateOptions QuickRetry(GateOptions o) => o with { VerificationRetryMin = TimeSpan.FromMilliseconds(800), VerificationRetryMax = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task Tarball_WhenAttestationsAreTransiently404_Answers503ThenServesOnceTheyAreBack()
    {
        await using var gate = await StartAsync(QuickRetry);
        var saved = gate.Upstream.Attestations["sigstore@1.0.0"];
        gate.Upstream.Attestations.TryRemove("sigstore@1.0.0", out _);

        using (var first = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz"))
        {
            var body = JsonNode.Parse(await first.Content.ReadAsStringAsync())!;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
            Assert.Equal(GateCodes.VerificationIncomplete, (string)body["code"]!);
            Assert.NotNull(first.Headers.RetryAfter);
        }

        // Within the backoff the gate does not ask the upstream again.
        var hits = gate.Upstream.Hits(Attestations);
        using (var again = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
        }

        Assert.Equal(hits, gate.Upstream.Hits(Attestations));
        Assert.Empty(await gate.Host.Store.ListEvidenceAsync());

        gate.Upstream.Attestations["sigstore@1.0.0"] = saved;
        await Task.Delay(TimeSpan.FromSeconds(1));
        using var later = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz");

        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        var report = JsonNode.Parse(Assert.Single(await gate.Host.Store.ListEvidenceAsync()).ReportJson)!;
        Assert.Equal("verified", (string)report["provenance"]!["status"]!);
    }

    [Fact]
    public async Task Tarball_WhenIncompleteUnderTheGatesClock_SaysRetryAfterOnThatClock()
    {
        var clock = new ManualClock();
        var upstream = await TestUpstream.StartAsync();
        upstream.AddVersion("sigstore", "1.0.1", "2023-03-01T00:00:00.000Z");
        upstream.Attestations.TryRemove("sigstore@1.0.0", out _);
        await using var gate = await GateFixture.StartAsync(upstream: upstream, time: clock,
            configure: o => o with { VerificationRetryMin = TimeSpan.FromMinutes(10), VerificationRetryMax = TimeSpan.FromHours(1) });

        using (var first = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
            Assert.InRange(first.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 599, 600);
        }

        // Nine minutes later on the gate's clock (not the machine's), one minute is left.
        clock.Advance(TimeSpan.FromMinutes(9));
        using var again = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
        Assert.InRange(again.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 59, 60);
    }

    [Fact]
    public async Task Verify_WhenAnonymousCallerHitsItDuringA404_DoesNotPoisonTheVersion()
    {
        await using var gate = await StartAsync(QuickRetry);
        var saved = gate.Upstream.Attestations["sigstore@1.0.0"];
        gate.Upstream.Attestations.TryRemove("sigstore@1.0.0", out _);

        using (var poison = await gate.SendAsync(HttpMethod.Get, "-/vouch/v1/verify/sigstore/1.0.0"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, poison.StatusCode);
        }

        gate.Upstream.Attestations["sigstore@1.0.0"] = saved;
        await Task.Delay(TimeSpan.FromSeconds(1));
        var evidence = await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/verify/sigstore/1.0.0");

        Assert.True((bool)evidence["passed"]!);
    }

    [Fact]
    public async Task Tarball_WhenEvidenceIsBad_StaysRefusedAndIsStoredAsComplete()
    {
        await using var gate = await StartAsync(QuickRetry);
        var sig = gate.Upstream.Packuments["sigstore"]["versions"]!["1.0.0"]!["dist"]!["signatures"]![0]!;
        sig["sig"] = "MEUCIQDdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeAiAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";

        using (var refused = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz"))
        {
            var body = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("verified-evidence", (string)body["rule"]!);
        }

        // Bad evidence is final: no retry after the backoff, the stored report decides.
        var hits = gate.Upstream.Hits(Attestations);
        await Task.Delay(TimeSpan.FromSeconds(1));
        using var again = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz");

        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        Assert.Equal(hits, gate.Upstream.Hits(Attestations));
        Assert.Single(await gate.Host.Store.ListEvidenceAsync());
    }

    [Fact]
    public async Task Reverify_WhenAdminAsks_ForgetsEvidenceVerifiesAgainAndAudits()
    {
        await using var gate = await StartAsync();
        using (var first = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        var hits = gate.Upstream.Hits(Attestations);
        var reader = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/reverify", GateFixture.ApproverToken, new { name = "sigstore", version = "1.0.0" }, 403);
        var anonymous = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/reverify", null, new { name = "sigstore", version = "1.0.0" }, 401);
        var bad = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/reverify", GateFixture.AdminToken, new { name = "sigstore", version = "v1.0.0" }, 400);
        var answer = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/reverify", GateFixture.AdminToken, new { name = "sigstore", version = "1.0.0", reason = "new trusted root" });

        Assert.Equal(GateCodes.Forbidden, (string)reader["code"]!);
        Assert.Equal(GateCodes.Unauthorized, (string)anonymous["code"]!);
        Assert.Equal(GateCodes.BadRequest, (string)bad["code"]!);
        Assert.Equal(("complete", 1, true), ((string)answer["state"]!, (int)answer["removed"]!, (bool)answer["passed"]!));
        Assert.Equal(hits + 1, gate.Upstream.Hits(Attestations));
        var audit = (await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/audit", GateFixture.ReaderToken))["entries"]!.AsArray();
        var row = Assert.Single(audit, e => (string)e!["action"]! == "reverify")!;
        Assert.Equal(("root", "sigstore", "1.0.0", "new trusted root"), ((string)row["actor"]!, (string)row["name"]!, (string)row["version"]!, (string)row["reason"]!));
    }

    [Fact]
    public async Task Evidence_WhenTrustMaterialChanges_IsVerifiedAgain()
    {
        var dir = Path.Combine(Path.GetTempPath(), "vouch-gate-" + Guid.NewGuid().ToString("n"));
        await using var upstream = await TestUpstream.StartAsync();
        var first = await GateFixture.StartAsync(upstream: upstream, dir: dir);
        using (var ok = await first.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        first.Http.Dispose();
        await first.Host.DisposeAsync();

        // Same store, one more registry key: new trust material, so the stored evidence no longer applies.
        var extra = RegistryKeys.Embedded.Keys[0] with { KeyId = "SHA256:extra-key-for-the-test" };
        var deps = GateFixture.Dependencies() with { TrustedKeys = RegistryKeys.Combine(RegistryKeys.Embedded, [extra], "embedded plus one") };
        await using var second = await GateFixture.StartAsync(upstream: upstream, dir: dir, dependencies: deps);
        var hits = upstream.Hits(Attestations);
        using (var again = await second.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz"))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        Assert.Equal(hits + 1, upstream.Hits(Attestations));
        Assert.Equal(2, (await second.Host.Store.ListEvidenceAsync()).Count);
    }

    [Fact]
    public async Task Grant_WhenRequesterGrantsOwnRequest_Answers403FourEyesAndAnotherApproverCan()
    {
        await using var gate = await StartAsync();
        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ApproverToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade" }, 201);
        var id = (long)request["id"]!;

        var self = await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{id}/grant", GateFixture.ApproverToken, new { }, 403);
        var other = await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{id}/grant", GateFixture.AdminToken, new { });

        Assert.Equal(GateCodes.FourEyes, (string)self["code"]!);
        Assert.Equal(("granted", "root"), ((string)other["status"]!, (string)other["decidedBy"]!));
    }

    [Fact]
    public async Task Grant_WhenSelfApprovalAllowedUnsafe_RequesterMayGrantAndHealthSaysSo()
    {
        await using var gate = await StartAsync(o => o with { AllowSelfApprovalUnsafe = true });
        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ApproverToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade" }, 201);
        var granted = await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{(long)request["id"]!}/grant", GateFixture.ApproverToken, new { });
        var health = await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/health");

        Assert.Equal("granted", (string)granted["status"]!);
        Assert.False((bool)health["fourEyes"]!);
    }

    [Fact]
    public void Options_WhenSelfApprovalAllowedWithoutAnyApprover_FailsValidation()
    {
        var options = new GateOptions { Upstream = new Uri("http://127.0.0.1:1/"), Database = "x.db", DataDirectory = "x", AllowSelfApprovalUnsafe = true, Tokens = [new GateToken("rita", GateRole.Reader, GateFixture.ReaderToken)] };

        Assert.Contains(options.Validate(), e => e.StartsWith("allow-self-approval-unsafe:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Grant_WhenRuleIsStar_LiftsEveryRuleForThatVersion()
    {
        await using var gate = await StartAsync();
        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "*" }, 201);
        await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{(long)request["id"]!}/grant", GateFixture.ApproverToken, new { });
        using var tarball = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.1.tgz");

        Assert.Equal(HttpStatusCode.OK, tarball.StatusCode);
    }

    [Theory]
    [InlineData("v1.0.1")]
    [InlineData(" 1.0.1")]
    [InlineData("1.0.1 ")]
    [InlineData("1.0.1+build")]
    [InlineData("=1.0.1")]
    public async Task Request_WhenVersionIsNotWrittenExactly_Answers400(string version)
    {
        await using var gate = await StartAsync();
        var body = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version, rule = "trust-downgrade" }, 400);

        Assert.Equal(GateCodes.BadRequest, (string)body["code"]!);
        Assert.Contains("version", (string)body["error"]!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2020-01-01T00:00:00Z")]
    [InlineData("2099-01-01")]
    [InlineData("2099-01-01T00:00:00")]
    [InlineData("01/02/2099")]
    [InlineData("2099-01-01 00:00:00Z")]
    [InlineData("2099-01-01T00:00:00+0100")]
    [InlineData("tomorrow")]
    public async Task Grant_WhenExpiresIsPastOrAmbiguous_Answers400AndStaysPending(string expires)
    {
        await using var gate = await StartAsync();
        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade" }, 201);
        var body = await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{(long)request["id"]!}/grant", GateFixture.ApproverToken, new { expires }, 400);

        Assert.Equal(GateCodes.BadRequest, (string)body["code"]!);
        Assert.Equal("pending", (await gate.Host.Store.ListApprovalsAsync()).Single().Status);
    }

    [Fact]
    public async Task Grant_WhenExpiresHasAnOffset_StoresTheInstant()
    {
        await using var gate = await StartAsync();
        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade" }, 201);
        await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{(long)request["id"]!}/grant", GateFixture.ApproverToken, new { expires = "2099-01-01T02:00:00+02:00" });

        Assert.Equal(new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero), (await gate.Host.Store.ListApprovalsAsync()).Single().ExpiresAt);
    }

    [Fact]
    public async Task Withheld_WhenUnrelatedApprovalsChange_IsLoggedOncePerVersionAndRule()
    {
        await using var gate = await StartAsync();
        gate.Upstream.AddVersion("other", "1.0.0", "2023-03-01T00:00:00.000Z");
        using (var _ = await gate.SendAsync(HttpMethod.Get, "sigstore"))
        {
        }

        for (var i = 0; i < 3; i++)
        {
            var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "other", version = "1.0.0", rule = $"rule-{i}" }, 201);
            await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{(long)request["id"]!}/grant", GateFixture.ApproverToken, new { });
            using var _ = await gate.SendAsync(HttpMethod.Get, "sigstore");
        }

        var audit = (await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/audit", GateFixture.ReaderToken))["entries"]!.AsArray();
        Assert.Single(audit, e => (string)e!["action"]! == "withheld" && (string)e["name"]! == "sigstore" && (string)e["version"]! == "1.0.1");
    }
}
