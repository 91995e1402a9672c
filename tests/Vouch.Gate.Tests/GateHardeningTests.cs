using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Gate.Decisions;
using Vouch.Gate.Packuments;
using Vouch.Gate.Upstream;

namespace Vouch.Gate.Tests;

/// <summary>Regression tests for issue 12's HTTP-side defects (each named in the method).</summary>
public class GateHardeningTests
{
    private const string Downgrade = "2023-03-01T00:00:00.000Z";

    [Fact]
    public async Task Verify_WhenAttestationsRedirectToAnotherHost_RefusesAndNeverContactsIt()
    {
        await using var foreign = await TestUpstream.StartAsync();
        await using var gate = await GateFixture.StartAsync(u => u.Redirects["-/npm/v1/attestations/sigstore@1.0.0"] = new Uri(foreign.BaseUrl, "-/npm/v1/attestations/sigstore@1.0.0").ToString());
        using var response = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz");

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.True((int)response.StatusCode < 500 || response.StatusCode == HttpStatusCode.BadGateway, $"{response.StatusCode}");
        Assert.Equal(0, foreign.TotalHits);
        Assert.True(gate.Host.Services.GetRequiredService<OutboundPolicy>().Refused > 0);
    }

    [Fact]
    public async Task Keys_WhenUpstreamRedirectsElsewhere_Answers502OutboundRefused()
    {
        await using var foreign = await TestUpstream.StartAsync();
        await using var gate = await GateFixture.StartAsync(u => u.Redirects["-/npm/v1/keys"] = new Uri(foreign.BaseUrl, "-/npm/v1/keys").ToString());
        var answer = await RawHttp.SendAsync(gate.Host.Url, "GET", "/-/npm/v1/keys");

        Assert.Equal(502, answer.Status);
        Assert.Equal(0, foreign.TotalHits);
    }

    [Theory]
    [InlineData(new byte[] { 0x7B, 0x22, 0x6E, 0x61, 0x6D, 0x65, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D })]
    [InlineData(new byte[] { 0x7B, 0x22, 0x6E, 0x22, 0x3A, 0x22, 0xC0, 0xAE, 0x22, 0x7D })]
    public async Task RequestApproval_WhenBodyIsNotUtf8_Answers400BadBody(byte[] body)
    {
        await using var gate = await GateFixture.StartAsync();
        var answer = await RawHttp.SendAsync(gate.Host.Url, "POST", "/-/vouch/v1/approvals", [$"Authorization: Bearer {GateFixture.ReaderToken}", "Content-Type: application/json"], body);

        Assert.Equal(400, answer.Status);
        Assert.Equal(GateCodes.BadBody, (string)JsonNode.Parse(answer.Text)!["code"]!);
    }

    [Theory]
    [InlineData("{\"name\":\"plain\",\"version\":\"1.0.0\",\"rule\":\"\\ud800\"}")]
    [InlineData("{\"name\":\"plain\",\"version\":\"1.0.0\",\"rule\":\"x\",\"reason\":\"\\udfff\\ud800\"}")]
    [InlineData("{\"name\":1}")]
    [InlineData("[1,2]")]
    [InlineData("{\"name\":")]
    public async Task RequestApproval_WhenJsonHasLoneSurrogateOrWrongShape_Answers400BadBody(string json)
    {
        await using var gate = await GateFixture.StartAsync();
        var answer = await RawHttp.SendAsync(gate.Host.Url, "POST", "/-/vouch/v1/approvals", [$"Authorization: Bearer {GateFixture.ReaderToken}", "Content-Type: application/json"], Encoding.UTF8.GetBytes(json));

        Assert.Equal(400, answer.Status);
        Assert.Equal(GateCodes.BadBody, (string)JsonNode.Parse(answer.Text)!["code"]!);
    }

    [Fact]
    public async Task Grant_WhenReasonIsALoneSurrogate_Answers400BadBody()
    {
        await using var gate = await GateFixture.StartAsync();
        var answer = await RawHttp.SendAsync(gate.Host.Url, "POST", "/-/vouch/v1/approvals/1/grant", [$"Authorization: Bearer {GateFixture.ApproverToken}"], Encoding.UTF8.GetBytes("{\"reason\":\"\\ud83d\"}"));

        Assert.Equal(400, answer.Status);
        Assert.Equal(GateCodes.BadBody, (string)JsonNode.Parse(answer.Text)!["code"]!);
    }

    [Theory]
    [InlineData("FOO", "/plain")]
    [InlineData("OPTIONS", "/plain")]
    [InlineData("TRACE", "/-/ping")]
    [InlineData("DELETE", "/-/vouch/v1/health")]
    [InlineData("PATCH", "/-/vouch/v1/approvals")]
    [InlineData("PUT", "/-/vouch/dashboard")]
    [InlineData("GET", "/-/npm/v1/security/audits/quick")]
    public async Task Request_WhenMethodIsUnknownForTheRoute_Answers405WithACode(string method, string target)
    {
        await using var gate = await GateFixture.StartAsync(u => u.AddVersion("plain", "1.0.0", "2023-01-01T00:00:00.000Z"));
        var answer = await RawHttp.SendAsync(gate.Host.Url, method, target, [$"Authorization: Bearer {GateFixture.AdminToken}"]);

        Assert.Equal(405, answer.Status);
        Assert.StartsWith("VOUCH_GATE_", (string)JsonNode.Parse(answer.Text)!["code"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Packument_WhenUpstreamHangs_ServesStaleAtOnceAndAsksUpstreamOnce()
    {
        var clock = new ManualClock();
        await using var gate = await GateFixture.StartAsync(
            u => u.AddVersion("plain", "1.0.0", "2023-01-01T00:00:00.000Z"),
            o => o with { PackumentMaxAge = TimeSpan.FromMinutes(1), StaleWait = TimeSpan.FromMilliseconds(100), UpstreamTimeout = TimeSpan.FromMinutes(5) },
            time: clock);
        using (var warm = await gate.SendAsync(HttpMethod.Get, "plain"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        gate.Upstream.PackumentDelay = TimeSpan.FromMinutes(10);
        clock.Advance(TimeSpan.FromMinutes(2));
        for (var i = 0; i < 20; i++)
        {
            using var response = await gate.SendAsync(HttpMethod.Get, "plain");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("true", response.Headers.GetValues("X-Vouch-Stale").Single());
        }

        // One revalidation in flight, shared by all twenty requests; not one per request.
        Assert.Equal(2, gate.Upstream.Hits("plain"));
    }

    [Fact]
    public async Task Packument_WhenUpstreamKeepsFailing_BreakerStopsAskingAndStaleIsServed()
    {
        var clock = new ManualClock();
        await using var gate = await GateFixture.StartAsync(
            u => u.AddVersion("plain", "1.0.0", "2023-01-01T00:00:00.000Z"),
            o => o with { PackumentMaxAge = TimeSpan.FromMinutes(1), StaleWait = TimeSpan.FromSeconds(5) },
            time: clock);
        using (var warm = await gate.SendAsync(HttpMethod.Get, "plain"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        gate.Upstream.Mode = UpstreamMode.Down;
        clock.Advance(TimeSpan.FromMinutes(2));
        for (var i = 0; i < 20; i++)
        {
            using var response = await gate.SendAsync(HttpMethod.Get, "plain");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("true", response.Headers.GetValues("X-Vouch-Stale").Single());
        }

        // The warm-up, then the breaker's threshold of failures; the clock does not move, so no probe.
        Assert.Equal(1 + CircuitBreaker.Threshold, gate.Upstream.Hits("plain"));

        clock.Advance(TimeSpan.FromSeconds(2));
        gate.Upstream.Mode = UpstreamMode.Normal;
        using var recovered = await gate.SendAsync(HttpMethod.Get, "plain");
        Assert.False(recovered.Headers.Contains("X-Vouch-Stale"));
    }

    [Fact]
    public async Task Packument_WhenStaleAndAGrantArrives_IsFilteredWithTheCurrentGrants()
    {
        await using var gate = await GateFixture.StartAsync(u => u.AddVersion("sigstore", "1.0.1", Downgrade), o => o with { PackumentMaxAge = TimeSpan.Zero });
        var before = await gate.JsonAsync(HttpMethod.Get, "sigstore");
        Assert.NotNull(before["_vouch"]!["withheld"]!["1.0.1"]);

        gate.Upstream.Mode = UpstreamMode.Down;
        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade" }, expect: 201);
        await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{(long)request["id"]!}/grant", GateFixture.ApproverToken, new { reason = "ok" });

        using var response = await gate.SendAsync(HttpMethod.Get, "sigstore");
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("true", response.Headers.GetValues("X-Vouch-Stale").Single());
        Assert.Null(doc["_vouch"]!["withheld"]!["1.0.1"]);
        Assert.NotNull(doc["versions"]!["1.0.1"]);
    }

    [Fact]
    public async Task Packument_WhenLoadedFromDiskWhileUpstreamDown_ReportsItsRealFetchedAt()
    {
        var upstream = await TestUpstream.StartAsync();
        upstream.AddVersion("plain", "1.0.0", "2023-01-01T00:00:00.000Z");
        var dir = Path.Combine(Path.GetTempPath(), "vouch-gate-" + Guid.NewGuid().ToString("n"));
        var started = DateTimeOffset.UtcNow.AddMinutes(-1);
        var first = await GateFixture.StartAsync(upstream: upstream, dir: dir);
        using (var warm = await first.SendAsync(HttpMethod.Get, "plain"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        // Stop the first gate without its fixture's clean-up, which would delete the data directory.
        await first.Host.DisposeAsync();
        await first.Upstream.DisposeAsync();
        first.Http.Dispose();
        upstream = await TestUpstream.StartAsync();

        upstream.Mode = UpstreamMode.Down;
        await using var second = await GateFixture.StartAsync(upstream: upstream, dir: dir, configure: o => o with { Upstream = upstream.BaseUrl });
        using var response = await second.SendAsync(HttpMethod.Get, "plain");
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True((bool)doc["_vouch"]!["stale"]!);
        var fetchedAt = DateTimeOffset.Parse((string)doc["_vouch"]!["fetchedAt"]!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(fetchedAt, started, DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public async Task Version_WhenServedFromAStalePackument_CarriesTheStaleMarker()
    {
        await using var gate = await GateFixture.StartAsync(u => u.AddVersion("plain", "1.0.0", "2023-01-01T00:00:00.000Z"), o => o with { PackumentMaxAge = TimeSpan.Zero });
        using (var warm = await gate.SendAsync(HttpMethod.Get, "plain/1.0.0"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
            Assert.False(warm.Headers.Contains("X-Vouch-Stale"));
        }

        gate.Upstream.Mode = UpstreamMode.Down;
        using var response = await gate.SendAsync(HttpMethod.Get, "plain/1.0.0");
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal("true", response.Headers.GetValues("X-Vouch-Stale").Single());
        Assert.True((bool)doc["_vouch"]!["stale"]!);
        Assert.Equal("1.0.0", (string)doc["version"]!);
    }

    [Fact]
    public void Cache_WhenAThousandLargePackumentsPass_StaysWithinItsByteBound()
    {
        var options = new GateOptions { Upstream = new Uri("https://r.example/"), Database = "x", DataDirectory = "x", PackumentCacheBytes = 64L * 1024 * 1024 };
        var cache = new PackumentCache(options);
        var raw = new byte[5 * 1024 * 1024];
        var form = new byte[1024 * 1024];
        for (var i = 0; i < 1000; i++)
        {
            cache.Set($"big-{i}", Entry(raw, form));
            Assert.InRange(cache.Bytes, 0, options.PackumentCacheBytes);
        }

        var each = (3L * raw.Length) + (2L * form.Length);
        Assert.Equal(options.PackumentCacheBytes / each, cache.Count);
        Assert.Equal(cache.Count * each, cache.Bytes);
        Assert.True(cache.TryGet("big-999", out _));
        Assert.False(cache.TryGet("big-0", out _));
    }

    [Fact]
    public void Cache_WhenFull_EvictsTheLeastRecentlyUsed()
    {
        var options = new GateOptions { Upstream = new Uri("https://r.example/"), Database = "x", DataDirectory = "x", PackumentCacheBytes = 1024 * 1024 };
        var cache = new PackumentCache(options);
        var raw = new byte[100 * 1024];
        cache.Set("a", Entry(raw, []));
        cache.Set("b", Entry(raw, []));
        cache.Set("c", Entry(raw, []));
        Assert.True(cache.TryGet("a", out _));
        cache.Set("d", Entry(raw, []));

        Assert.True(cache.TryGet("a", out _));
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("c", out _));
        Assert.True(cache.TryGet("d", out _));
    }

    [Fact]
    public async Task Tarball_WhenServedAgain_UsesTheCachedDecisionUntilInvalidated()
    {
        await using var gate = await GateFixture.StartAsync();
        var decisions = gate.Host.Services.GetRequiredService<ReleaseDecisionCache>();
        using (var first = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        Assert.Equal(1, decisions.Count);
        decisions.Invalidate();
        Assert.Equal(0, decisions.Count);
        using var again = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(1, decisions.Count);
        Assert.Equal(1, gate.Upstream.Hits("sigstore/-/sigstore-1.0.0.tgz"));
    }

    private static PackumentEntry Entry(byte[] raw, byte[] form) => new()
    {
        Filtered = new FilteredPackument
        {
            Name = "x",
            Upstream = null!,
            Withheld = new Dictionary<string, WithheldVersion>(),
            TarballFiles = new Dictionary<string, string>(),
            Full = form,
            FullETag = "\"a\"",
            Abbreviated = form,
            AbbreviatedETag = "\"b\"",
            WithheldHeader = "",
        },
        Raw = raw,
        FetchedAt = DateTimeOffset.UnixEpoch,
        ApprovalsVersion = 0,
        PolicyVersion = "p",
    };
}

/// <summary>A clock that moves only when told (timers still run on real time).</summary>
internal sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
