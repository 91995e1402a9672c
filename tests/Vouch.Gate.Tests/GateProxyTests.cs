using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Vouch.Gate.Tests;

public class GateProxyTests
{
    private const string Downgrade = "2023-03-01T00:00:00.000Z";

    private static Task<GateFixture> StartWithDowngradeAsync(Func<GateOptions, GateOptions>? configure = null) =>
        GateFixture.StartAsync(u => u.AddVersion("sigstore", "1.0.1", Downgrade), configure);

    [Fact]
    public async Task Packument_WhenVersionLosesProvenance_WithholdsItExplainsWhyAndRepointsLatest()
    {
        await using var gate = await StartWithDowngradeAsync();
        using var response = await gate.SendAsync(HttpMethod.Get, "sigstore");
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("1.0.1=trust-downgrade", response.Headers.GetValues("X-Vouch-Withheld").Single());
        Assert.Null(doc["versions"]!["1.0.1"]);
        Assert.NotNull(doc["versions"]!["1.0.0"]);
        Assert.Equal("1.0.0", (string)doc["dist-tags"]!["latest"]!);
        Assert.Equal("trust-downgrade", (string)doc["_vouch"]!["withheld"]!["1.0.1"]!["rule"]!);
        Assert.Equal("VOUCH_POLICY_TRUST_DOWNGRADE", (string)doc["_vouch"]!["withheld"]!["1.0.1"]!["code"]!);
        Assert.StartsWith(gate.Host.Url.ToString(), (string)doc["versions"]!["1.0.0"]!["dist"]!["tarball"]!);
        Assert.StartsWith(gate.Host.Url.ToString(), (string)doc["versions"]!["1.0.0"]!["dist"]!["attestations"]!["url"]!);
    }

    [Fact]
    public async Task Packument_WhenEveryVersionHasNoProvenance_WithholdsNothing()
    {
        await using var gate = await GateFixture.StartAsync(u =>
        {
            u.AddVersion("plain", "1.0.0", "2023-01-01T00:00:00.000Z");
            u.AddVersion("plain", "1.0.1", "2023-02-01T00:00:00.000Z");
        });
        using var response = await gate.SendAsync(HttpMethod.Get, "plain");
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.False(response.Headers.Contains("X-Vouch-Withheld"));
        Assert.NotNull(doc["versions"]!["1.0.1"]);
        Assert.Equal("1.0.1", (string)doc["dist-tags"]!["latest"]!);
    }

    [Fact]
    public async Task Packument_WhenAbbreviatedRequested_ServesInstallFormFiltered()
    {
        await using var gate = await StartWithDowngradeAsync();
        using var response = await gate.SendAsync(HttpMethod.Get, "sigstore", accept: "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*");
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal("application/vnd.npm.install-v1+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Null(doc["versions"]!["1.0.1"]);
        Assert.Null(doc["versions"]!["1.0.0"]!["repository"]);
        Assert.NotNull(doc["versions"]!["1.0.0"]!["dist"]);
        Assert.Null(doc["time"]);
        Assert.NotNull(doc["_vouch"]!["withheld"]!["1.0.1"]);
    }

    [Fact]
    public async Task Packument_WhenETagMatches_Answers304()
    {
        await using var gate = await StartWithDowngradeAsync();
        using var first = await gate.SendAsync(HttpMethod.Get, "sigstore");
        using var request = new HttpRequestMessage(HttpMethod.Get, "sigstore");
        request.Headers.TryAddWithoutValidation("If-None-Match", first.Headers.ETag!.Tag);
        using var second = await gate.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }

    [Fact]
    public async Task Tarball_WhenVersionWithheld_Answers403NamingTheRuleEvenByDirectUrl()
    {
        await using var gate = await StartWithDowngradeAsync();
        using var response = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.1.tgz");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("trust-downgrade", (string)body["rule"]!);
        Assert.Contains("trust-downgrade", (string)body["error"]!);
        Assert.Equal(0, gate.Upstream.Hits("sigstore/-/sigstore-1.0.1.tgz"));
    }

    [Fact]
    public async Task Tarball_WhenVerified_ServesTheUpstreamBytesAndStoresEvidence()
    {
        await using var gate = await StartWithDowngradeAsync();
        using var response = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz");
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(gate.Upstream.Tarballs["sigstore/-/sigstore-1.0.0.tgz"], bytes);
        var evidence = await gate.Host.Store.ListEvidenceAsync();
        var report = JsonNode.Parse(Assert.Single(evidence).ReportJson)!;
        Assert.Equal("verified", (string)report["provenance"]!["status"]!);
        Assert.Equal("verified", (string)report["signature"]!["status"]!);
    }

    [Fact]
    public async Task Tarball_WhenServedTwice_FetchesUpstreamOnce()
    {
        await using var gate = await StartWithDowngradeAsync();
        for (var i = 0; i < 3; i++)
        {
            using var response = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(1, gate.Upstream.Hits("sigstore/-/sigstore-1.0.0.tgz"));
    }

    [Fact]
    public async Task Tarball_WhenUpstreamBytesDoNotMatchIntegrity_Answers502AndCachesNothing()
    {
        await using var gate = await GateFixture.StartAsync(u =>
        {
            u.AddVersion("plain", "1.0.0", "2023-01-01T00:00:00.000Z");
            var tampered = (byte[])u.Tarballs["plain/-/plain-1.0.0.tgz"].Clone();
            tampered[^1] ^= 0xff;
            u.Tarballs["plain/-/plain-1.0.0.tgz"] = tampered;
        });
        using var response = await gate.SendAsync(HttpMethod.Get, "plain/-/plain-1.0.0.tgz");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(GateCodes.IntegrityMismatch, (string)body["code"]!);
        Assert.Empty(System.IO.Directory.GetFiles(Path.Combine(gate.Directory, "tarballs"), "*", SearchOption.AllDirectories));
        Assert.Empty(await gate.Host.Store.ListEvidenceAsync());
    }

    [Fact]
    public async Task Tarball_WhenVerificationFails_Answers403WithEvidenceRule()
    {
        await using var gate = await GateFixture.StartAsync(u =>
        {
            // A registry signature that does not verify: the gate must not serve the bytes.
            var v = u.Packuments["sigstore"]["versions"]!["1.0.0"]!["dist"]!["signatures"]![0]!;
            v["sig"] = "MEUCIQDdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeAiAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";
        });
        using var response = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("verified-evidence", (string)body["rule"]!);
    }

    [Fact]
    public async Task Tarball_WhenPackumentPointsElsewhere_RefusesToFetch()
    {
        await using var gate = await GateFixture.StartAsync(u =>
        {
            u.AddVersion("plain", "1.0.0", "2023-01-01T00:00:00.000Z");
            u.Packuments["plain"]["versions"]!["1.0.0"]!["dist"]!["tarball"] = "http://169.254.169.254/plain/-/plain-1.0.0.tgz";
        });
        using var response = await gate.SendAsync(HttpMethod.Get, "plain/-/plain-1.0.0.tgz");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(GateCodes.ForeignUrl, (string)body["code"]!);
    }

    [Theory]
    [InlineData("..%2F..%2Fetc%2Fpasswd")]
    [InlineData("plain/-/..%2F..%2Fgate.db")]
    [InlineData("plain/-/.hidden.tgz")]
    [InlineData("Plain%20Name")]
    public async Task Request_WhenPathIsNotAPackage_Answers400(string path)
    {
        await using var gate = await GateFixture.StartAsync(u => u.AddVersion("plain", "1.0.0", "2023-01-01T00:00:00.000Z"));
        using var response = await gate.SendAsync(HttpMethod.Get, path);

        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound, $"{path}: {response.StatusCode}");
        Assert.Equal(0, gate.Upstream.Hits("etc/passwd"));
    }

    [Fact]
    public async Task Packument_WhenScoped_IsServedUnderBothPathForms()
    {
        await using var gate = await GateFixture.StartAsync(u => u.AddVersion("@acme/widget", "1.2.3", "2023-01-01T00:00:00.000Z"));
        using var escaped = await gate.SendAsync(HttpMethod.Get, "@acme%2fwidget");
        using var plain = await gate.SendAsync(HttpMethod.Get, "@acme/widget");
        var doc = JsonNode.Parse(await escaped.Content.ReadAsStringAsync())!;
        using var tarball = await gate.SendAsync(HttpMethod.Get, new Uri((string)doc["versions"]!["1.2.3"]!["dist"]!["tarball"]!).AbsolutePath.TrimStart('/'));

        Assert.Equal(HttpStatusCode.OK, escaped.StatusCode);
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal(HttpStatusCode.OK, tarball.StatusCode);
    }

    [Fact]
    public async Task Packument_WhenUpstreamGoesDown_ServesCachedCopyMarkedStale()
    {
        await using var gate = await StartWithDowngradeAsync(o => o with { PackumentMaxAge = TimeSpan.Zero });
        using (var warm = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        gate.Upstream.Mode = UpstreamMode.Down;
        using var response = await gate.SendAsync(HttpMethod.Get, "sigstore");
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        using var verified = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("true", response.Headers.GetValues("X-Vouch-Stale").Single());
        Assert.True((bool)doc["_vouch"]!["stale"]!);
        Assert.Null(doc["versions"]!["1.0.1"]);
        Assert.Equal(HttpStatusCode.OK, verified.StatusCode);
    }

    [Fact]
    public async Task Tarball_WhenUpstreamDownAndNeverVerified_Answers502()
    {
        await using var gate = await GateFixture.StartAsync(u => u.AddVersion("plain", "1.0.0", "2023-01-01T00:00:00.000Z"), o => o with { PackumentMaxAge = TimeSpan.Zero });
        using (var warm = await gate.SendAsync(HttpMethod.Get, "plain"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        gate.Upstream.Mode = UpstreamMode.Down;
        using var response = await gate.SendAsync(HttpMethod.Get, "plain/-/plain-1.0.0.tgz");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
    }

    [Theory]
    [InlineData(UpstreamMode.Garbage)]
    [InlineData(UpstreamMode.Truncated)]
    [InlineData(UpstreamMode.Oversized)]
    [InlineData(UpstreamMode.Down)]
    public async Task Packument_WhenUpstreamMisbehavesAndNothingCached_Answers502AndCachesNothing(UpstreamMode mode)
    {
        await using var gate = await GateFixture.StartAsync(u => u.AddVersion("plain", "1.0.0", "2023-01-01T00:00:00.000Z"), o => o with { MaxPackumentBytes = 200_000 });
        gate.Upstream.Mode = mode;
        using var response = await gate.SendAsync(HttpMethod.Get, "plain");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.StartsWith("VOUCH_GATE_UPSTREAM_", (string)body["code"]!);
        Assert.Empty(System.IO.Directory.GetFiles(Path.Combine(gate.Directory, "packuments")));
        gate.Upstream.Mode = UpstreamMode.Normal;
        using var recovered = await gate.SendAsync(HttpMethod.Get, "plain");
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
    }

    [Fact]
    public async Task Packument_WhenRequestedConcurrently_AsksUpstreamOnce()
    {
        await using var gate = await GateFixture.StartAsync(u =>
        {
            u.AddVersion("plain", "1.0.0", "2023-01-01T00:00:00.000Z");
            u.PackumentDelay = TimeSpan.FromMilliseconds(300);
        });
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => gate.SendAsync(HttpMethod.Get, "plain")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, gate.Upstream.Hits("plain"));
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }

    [Fact]
    public async Task Publish_WhenAttempted_IsRefusedReadOnly()
    {
        await using var gate = await GateFixture.StartAsync();
        using var response = await gate.SendAsync(HttpMethod.Put, "plain", json: new { name = "plain" });
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal(GateCodes.ReadOnly, (string)body["code"]!);
    }

    [Fact]
    public async Task VerifyApi_WhenAsked_ReturnsTheEvidenceJson()
    {
        await using var gate = await StartWithDowngradeAsync();
        var report = await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/verify/sigstore/1.0.0");

        Assert.Equal("sigstore", (string)report["name"]!);
        Assert.True((bool)report["passed"]!);
        Assert.Equal("verified", (string)report["provenance"]!["status"]!);
        Assert.Equal("https://github.com/sigstore/sigstore-js", (string)report["provenance"]!["sourceRepository"]!);
        Assert.Equal("verified", (string)report["integrity"]!["status"]!);
    }

    [Fact]
    public async Task Keys_WhenRequested_AreProxiedFromUpstream()
    {
        await using var gate = await GateFixture.StartAsync();
        using var response = await gate.SendAsync(HttpMethod.Get, "-/npm/v1/keys");
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEmpty(doc["keys"]!.AsArray());
    }

    [Fact]
    public async Task Start_WhenOptionsInvalid_ListsEveryProblem()
    {
        var options = new GateOptions { Upstream = new Uri("ftp://x/"), Listen = "nowhere", Database = "", DataDirectory = "" };
        var e = await Assert.ThrowsAsync<GateConfigurationException>(() => GateHost.StartAsync(options, GateFixture.Dependencies()));

        Assert.Equal(4, e.Errors.Count);
    }

    [Fact]
    public void Sha512_WhenTarballMade_IsStable()
    {
        // Guards the fixture: equal inputs give equal tarballs, so integrity in the packument matches.
        Assert.Equal(SHA512.HashData(TestUpstream.MakeTarball("a", "1.0.0")), SHA512.HashData(TestUpstream.MakeTarball("a", "1.0.0")));
    }
}
