using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Gate.Decisions;
using Vouch.Gate.Upstream;

namespace Vouch.Gate.Tests;

/// <summary>
/// Where issue 12's two halves meet: the HTTP side's cached release decisions and circuit breaker,
/// the storage side's evidence ledger and re-verify.
/// </summary>
public class EvidenceDecisionTests
{
    private const string Tarball = "sigstore/-/sigstore-1.0.0.tgz";
    private const string Attestations = "-/npm/v1/attestations/sigstore@1.0.0";

    private static GateOptions QuickRetry(GateOptions o) => o with { VerificationRetryMin = TimeSpan.FromMilliseconds(800), VerificationRetryMax = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task Reverify_WhenADecisionIsCached_DropsItSoTheNextRequestDecidesOnTheNewEvidence()
    {
        await using var gate = await GateFixture.StartAsync();
        var decisions = gate.Host.Services.GetRequiredService<ReleaseDecisionCache>();
        using (var first = await gate.SendAsync(HttpMethod.Get, Tarball))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        Assert.Equal(1, decisions.Count);
        var generation = decisions.Generation;

        var answer = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/reverify", GateFixture.AdminToken, new { name = "sigstore", version = "1.0.0" });

        Assert.Equal("complete", (string)answer["state"]!);
        Assert.Equal(0, decisions.Count);
        Assert.True(decisions.Generation > generation);
        using (var again = await gate.SendAsync(HttpMethod.Get, Tarball))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        Assert.Equal(1, decisions.Count);

        // Forgetting a whole package (no version) drops cached decisions too.
        await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/reverify", GateFixture.AdminToken, new { name = "sigstore" });
        Assert.Equal(0, decisions.Count);
    }

    [Fact]
    public async Task Tarball_WhenVerificationIsIncomplete_IsNotCachedAsADecision()
    {
        await using var gate = await GateFixture.StartAsync(configure: QuickRetry);
        var decisions = gate.Host.Services.GetRequiredService<ReleaseDecisionCache>();
        var saved = gate.Upstream.Attestations["sigstore@1.0.0"];
        gate.Upstream.Attestations.TryRemove("sigstore@1.0.0", out _);

        using (var first = await gate.SendAsync(HttpMethod.Get, Tarball))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        }

        Assert.Equal(0, decisions.Count);

        gate.Upstream.Attestations["sigstore@1.0.0"] = saved;
        await Task.Delay(TimeSpan.FromSeconds(1));
        using (var later = await gate.SendAsync(HttpMethod.Get, Tarball))
        {
            Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        }

        Assert.Equal(1, decisions.Count);
    }

    [Fact]
    public async Task Tarball_WhenAttestationFetchesKeepFailing_OpensTheBreakerAndStopsAsking()
    {
        await using var gate = await GateFixture.StartAsync(configure: QuickRetry);
        gate.Upstream.Failing[Attestations] = true;
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < CircuitBreaker.Threshold + 3; i++)
        {
            using var response = await gate.SendAsync(HttpMethod.Get, Tarball);
            codes.Add(response.StatusCode);
        }

        Assert.All(codes, c => Assert.NotEqual(HttpStatusCode.OK, c));
        Assert.True(gate.Host.Services.GetRequiredService<CircuitBreaker>().IsOpen);
        var hits = gate.Upstream.Hits(Attestations);

        // Open: the next requests fail at once without another attestation fetch.
        using var again = await gate.SendAsync(HttpMethod.Get, Tarball);
        Assert.Equal(HttpStatusCode.BadGateway, again.StatusCode);
        Assert.Equal(hits, gate.Upstream.Hits(Attestations));
        Assert.Empty(await gate.Host.Store.ListEvidenceAsync());
    }

    [Fact]
    public async Task Tarball_WhenALedgerRetryIsDueButTheBreakerIsOpen_DoesNotAskTheUpstream()
    {
        await using var gate = await GateFixture.StartAsync(configure: QuickRetry);
        gate.Upstream.Attestations.TryRemove("sigstore@1.0.0", out _);
        using (var first = await gate.SendAsync(HttpMethod.Get, Tarball))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, first.StatusCode);
        }

        var hits = gate.Upstream.Hits(Attestations);
        await Task.Delay(TimeSpan.FromSeconds(1));

        // The retry is due now; the breaker opens (5 failures: open for 4 s).
        var breaker = gate.Host.Services.GetRequiredService<CircuitBreaker>();
        for (var i = 0; i < 5; i++)
        {
            breaker.Failure();
        }

        using var during = await gate.SendAsync(HttpMethod.Get, Tarball);
        var body = JsonNode.Parse(await during.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadGateway, during.StatusCode);
        Assert.Equal(GateCodes.UpstreamUnavailable, (string)body["code"]!);
        Assert.Equal(hits, gate.Upstream.Hits(Attestations));
    }
}
