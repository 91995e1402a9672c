using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vouch.Tests;

namespace Vouch.Gate.Tests;

/// <summary>
/// The security sweep's hostile tests (docs/gate.md, "Findings of the hostile sweep"): each fact
/// is one way a client, the upstream or the data directory attacks the gate, and what must hold.
/// </summary>
public class HostileRequestTests2
{
    private const string Published = "2023-01-01T00:00:00.000Z";

    // Finding 1: an integrity naming two SHA-512 digests made the store serve the file of the first
    // digest (another package's tarball) with the evidence of the bytes that matched the second.
    [Fact]
    public async Task Tarball_WhenIntegrityListsTwoSha512Digests_NeverServesBytesOtherThanTheOnesChecked()
    {
        byte[] other = [];
        byte[] victim = [];
        await using var gate = await GateFixture.StartAsync(u =>
        {
            other = u.AddVersion("other", "1.0.0", Published);
            victim = u.AddVersion("victim", "1.0.0", Published);
            u.Packuments["victim"]["versions"]!["1.0.0"]!["dist"]!["integrity"] =
                $"sha512-{Convert.ToBase64String(SHA512.HashData(other))} sha512-{Convert.ToBase64String(SHA512.HashData(victim))}";
            u.Packuments["victim"]["versions"]!["1.0.0"]!["dist"]!.AsObject().Remove("shasum");
        });
        using (var warm = await gate.SendAsync(HttpMethod.Get, "other/-/other-1.0.0.tgz"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        for (var i = 0; i < 2; i++)
        {
            using var response = await gate.SendAsync(HttpMethod.Get, "victim/-/victim-1.0.0.tgz");
            var body = await response.Content.ReadAsByteArrayAsync();
            Assert.False(body.AsSpan().SequenceEqual(other), $"request {i}: the tarball of another package was served for victim");
            Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
            Assert.Equal(GateCodes.IntegrityMismatch, (string)JsonNode.Parse(body)!["code"]!);
        }
    }

    // Finding 2: a stored tarball was trusted without hashing again, so a file cut short (a crash of
    // something else writing the data directory, a full disk, a hand edit) was served after a restart.
    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped")]
    [InlineData("empty")]
    public async Task Tarball_WhenStoredFileWasDamagedBeforeRestart_ServesOnlyTheCheckedBytes(string damage)
    {
        var upstream = await TestUpstream.StartAsync();
        var original = upstream.AddVersion("plain", "1.0.0", Published);
        var dir = Path.Combine(Path.GetTempPath(), "vouch-gate-" + Guid.NewGuid().ToString("n"));
        var first = await GateFixture.StartAsync(upstream: upstream, dir: dir);
        using (var warm = await first.SendAsync(HttpMethod.Get, "plain/-/plain-1.0.0.tgz"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        await first.Host.DisposeAsync();
        first.Http.Dispose();
        var stored = Assert.Single(Directory.GetFiles(Path.Combine(dir, "tarballs"), "*", SearchOption.AllDirectories));
        var bytes = File.ReadAllBytes(stored);
        File.WriteAllBytes(stored, damage switch
        {
            "truncated" => bytes[..(bytes.Length / 2)],
            "flipped" => [.. bytes[..^1], (byte)(bytes[^1] ^ 0xff)],
            _ => [],
        });

        await using var second = await GateFixture.StartAsync(upstream: upstream, dir: dir);
        using var response = await second.SendAsync(HttpMethod.Get, "plain/-/plain-1.0.0.tgz");
        var served = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(original, served);
        Assert.Equal(original, File.ReadAllBytes(stored));
    }

    [Fact]
    public async Task Verify_WhenTheStoredFileChangesWhileTheGateRuns_HashesItAgainAndRestoresTheCheckedBytes()
    {
        byte[] original = [];
        await using var gate = await GateFixture.StartAsync(u => original = u.AddVersion("plain", "1.0.0", Published));
        using (var warm = await gate.SendAsync(HttpMethod.Get, "plain/-/plain-1.0.0.tgz"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var stored = Assert.Single(Directory.GetFiles(Path.Combine(gate.Directory, "tarballs"), "*", SearchOption.AllDirectories));
        File.WriteAllBytes(stored, original[..(original.Length / 2)]);

        using var verify = await gate.SendAsync(HttpMethod.Get, "-/vouch/v1/verify/plain/1.0.0");

        Assert.Equal(HttpStatusCode.OK, verify.StatusCode);
        Assert.Equal(original, File.ReadAllBytes(stored));
        Assert.Equal(2, gate.Upstream.Hits("plain/-/plain-1.0.0.tgz"));
    }

    [Fact]
    public async Task Tarball_WhenStoredFileWasDamagedAndUpstreamIsDown_IsNotServed()
    {
        var upstream = await TestUpstream.StartAsync();
        var original = upstream.AddVersion("plain", "1.0.0", Published);
        var dir = Path.Combine(Path.GetTempPath(), "vouch-gate-" + Guid.NewGuid().ToString("n"));
        var first = await GateFixture.StartAsync(upstream: upstream, dir: dir);
        using (var warm = await first.SendAsync(HttpMethod.Get, "plain/-/plain-1.0.0.tgz"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        await first.Host.DisposeAsync();
        first.Http.Dispose();
        var stored = Assert.Single(Directory.GetFiles(Path.Combine(dir, "tarballs"), "*", SearchOption.AllDirectories));
        File.WriteAllBytes(stored, original[..(original.Length / 2)]);
        upstream.Mode = UpstreamMode.Down;
        upstream.Failing["plain/-/plain-1.0.0.tgz"] = true;

        await using var second = await GateFixture.StartAsync(upstream: upstream, dir: dir);
        using var response = await second.SendAsync(HttpMethod.Get, "plain/-/plain-1.0.0.tgz");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(GateCodes.UpstreamUnavailable, (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]!);
    }

    // A copy on disk is read back only for its own name: cut short or replaced by another package's
    // document, it is not served (and not a 500).
    [Theory]
    [InlineData("truncated")]
    [InlineData("other-package")]
    [InlineData("garbage")]
    public async Task Packument_WhenDiskCopyIsDamagedOrForAnotherNameAndUpstreamDown_Answers502(string damage)
    {
        var upstream = await TestUpstream.StartAsync();
        upstream.AddVersion("plain", "1.0.0", Published);
        upstream.AddVersion("other", "1.0.0", Published);
        var dir = Path.Combine(Path.GetTempPath(), "vouch-gate-" + Guid.NewGuid().ToString("n"));
        var first = await GateFixture.StartAsync(upstream: upstream, dir: dir);
        foreach (var name in new[] { "plain", "other" })
        {
            using var warm = await first.SendAsync(HttpMethod.Get, name);
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        await first.Host.DisposeAsync();
        first.Http.Dispose();
        var plainCopy = DiskCopy(dir, "plain");
        var text = File.ReadAllBytes(plainCopy);
        File.WriteAllBytes(plainCopy, damage switch
        {
            "truncated" => text[..(text.Length / 2)],
            "other-package" => File.ReadAllBytes(DiskCopy(dir, "other")),
            _ => [0xff, 0xfe, 0x00, 0x7b],
        });
        upstream.Mode = UpstreamMode.Down;

        await using var second = await GateFixture.StartAsync(upstream: upstream, dir: dir);
        using var response = await second.SendAsync(HttpMethod.Get, "plain");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.DoesNotContain("\"other\"", body, StringComparison.Ordinal);
    }

    // Finding 5: a package the registry removed (404: what npm answers for a package taken down as
    // malware) kept its last good copy on disk, and the gate served it again once the upstream was down.
    [Fact]
    public async Task Packument_WhenUpstreamRemovedThePackageThenGoesDown_DoesNotServeTheOldCopy()
    {
        await using var gate = await GateFixture.StartAsync(u => u.AddVersion("plain", "1.0.0", Published), configure: o => o with { PackumentMaxAge = TimeSpan.Zero });
        using (var first = await gate.SendAsync(HttpMethod.Get, "plain"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        gate.Upstream.Packuments.TryRemove("plain", out _);
        using (var removed = await gate.SendAsync(HttpMethod.Get, "plain"))
        {
            Assert.Equal(HttpStatusCode.NotFound, removed.StatusCode);
        }

        gate.Upstream.Mode = UpstreamMode.Down;
        using var down = await gate.SendAsync(HttpMethod.Get, "plain");
        using var tarball = await gate.SendAsync(HttpMethod.Get, "plain/-/plain-1.0.0.tgz");

        Assert.Equal(HttpStatusCode.BadGateway, down.StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, tarball.StatusCode);
        Assert.False(File.Exists(DiskCopy(gate.Directory, "plain")));
    }

    // Finding 6: verifications were shared by name@version alone, so a request made under a newer
    // packument (other integrity) joined one still running for the older bytes and was answered with them.
    [Fact]
    public async Task Tarball_WhenThePackumentChangesIntegrityWhileAVerificationRuns_EachIsAnsweredWithItsOwnBytes()
    {
        var oldBytes = TestUpstream.MakeTarball("plain", "1.0.0");
        var newBytes = TestUpstream.MakeTarball("plain", "1.0.0").Concat(new byte[16]).ToArray();
        var packuments = 0;
        var tarballs = 0;
        using var slowStarted = new SemaphoreSlim(0);
        Uri? self = null;
        await using var hostile = await Hostile.StartAsync(async ctx =>
        {
            var path = ctx.Request.Path.Value!;
            if (path == "/plain")
            {
                var bytes = Interlocked.Increment(ref packuments) == 1 ? oldBytes : newBytes;
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync(new JsonObject
                {
                    ["name"] = "plain",
                    ["dist-tags"] = new JsonObject { ["latest"] = "1.0.0" },
                    ["versions"] = new JsonObject
                    {
                        ["1.0.0"] = new JsonObject
                        {
                            ["name"] = "plain",
                            ["version"] = "1.0.0",
                            ["dist"] = new JsonObject
                            {
                                ["integrity"] = "sha512-" + Convert.ToBase64String(SHA512.HashData(bytes)),
                                ["tarball"] = new Uri(self!, "plain/-/plain-1.0.0.tgz").ToString(),
                            },
                        },
                    },
                    ["time"] = new JsonObject { ["created"] = Published, ["1.0.0"] = Published },
                }.ToJsonString());
                return;
            }

            if (path == "/plain/-/plain-1.0.0.tgz")
            {
                if (Interlocked.Increment(ref tarballs) == 1)
                {
                    // The first download (of the old bytes) is slow: the second request arrives meanwhile.
                    slowStarted.Release();
                    await Task.Delay(TimeSpan.FromSeconds(2));
                    await ctx.Response.Body.WriteAsync(oldBytes);
                    return;
                }

                await ctx.Response.Body.WriteAsync(newBytes);
                return;
            }

            ctx.Response.StatusCode = 404;
        });
        self = hostile.Url;
        await using var gate = await hostile.GateAsync(o => o with { PackumentMaxAge = TimeSpan.Zero });
        using var first = new HttpClient { BaseAddress = gate.Url };
        using var second = new HttpClient { BaseAddress = gate.Url };

        var slow = first.GetAsync("plain/-/plain-1.0.0.tgz");
        Assert.True(await slowStarted.WaitAsync(TimeSpan.FromSeconds(30)));
        using var later = await second.GetAsync("plain/-/plain-1.0.0.tgz");
        using var earlier = await slow;

        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        Assert.Equal(newBytes, await later.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, earlier.StatusCode);
        Assert.Equal(oldBytes, await earlier.Content.ReadAsByteArrayAsync());
    }

    // Finding 3: the last-good copy is an aid for outages; when it cannot be written or read (its path
    // taken by a directory, a read-only data directory) the gate answered 500.
    [Fact]
    public async Task Packument_WhenDiskCopyCannotBeWrittenOrRead_IsStillServedAndNever500()
    {
        var dir = Path.Combine(Path.GetTempPath(), "vouch-gate-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(DiskCopy(dir, "plain"));
        await using var gate = await GateFixture.StartAsync(u => u.AddVersion("plain", "1.0.0", Published), dir: dir);

        using (var fresh = await gate.SendAsync(HttpMethod.Get, "plain"))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        gate.Upstream.Mode = UpstreamMode.Down;
        using var uncached = await gate.SendAsync(HttpMethod.Get, "plain-not-cached");
        Assert.Equal(HttpStatusCode.BadGateway, uncached.StatusCode);
    }

    [Fact]
    public async Task Packument_WhenDiskCopyPathIsADirectoryAndUpstreamDown_Answers502Not500()
    {
        var upstream = await TestUpstream.StartAsync();
        upstream.AddVersion("plain", "1.0.0", Published);
        upstream.Mode = UpstreamMode.Down;
        var dir = Path.Combine(Path.GetTempPath(), "vouch-gate-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(DiskCopy(dir, "plain"));
        await using var gate = await GateFixture.StartAsync(upstream: upstream, dir: dir);

        using var response = await gate.SendAsync(HttpMethod.Get, "plain");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(GateCodes.UpstreamUnavailable, (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]!);
    }

    // Finding 4: npm audit answers were relayed with the upstream's Content-Type, so a hostile upstream
    // could have the gate's origin serve HTML (script next to the dashboard's cookies).
    [Fact]
    public async Task Audit_WhenUpstreamAnswersHtml_IsRelayedAsJsonWithNosniff()
    {
        await using var hostile = await Hostile.StartAsync(async ctx =>
        {
            ctx.Response.ContentType = "text/html";
            await ctx.Response.WriteAsync("<script>alert(document.cookie)</script>");
        });
        await using var gate = await hostile.GateAsync();

        var answer = await RawHttp.SendAsync(gate.Url, "POST", "/-/npm/v1/security/audits/quick", ["Content-Type: application/json"], "{}"u8.ToArray());

        Assert.Equal(200, answer.Status);
        Assert.Contains("content-type: application/json", answer.Head, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("text/html", answer.Head, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("x-content-type-options: nosniff", answer.Head, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("ftp://127.0.0.1/x.tgz")]
    public async Task Tarball_WhenUpstreamRedirectsOutside_IsRefusedAndNothingStored(string location)
    {
        await using var gate = await GateFixture.StartAsync(u =>
        {
            u.AddVersion("plain", "1.0.0", Published);
            u.Redirects["plain/-/plain-1.0.0.tgz"] = location;
        });
        using var response = await gate.SendAsync(HttpMethod.Get, "plain/-/plain-1.0.0.tgz");
        var code = (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]!;

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains(code, new[] { GateCodes.ForeignUrl, GateCodes.OutboundRefused, GateCodes.UpstreamInvalid });
        Assert.Empty(Directory.GetFiles(Path.Combine(gate.Directory, "tarballs"), "*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("file:///etc/passwd")]
    [InlineData("http://169.254.169.254/")]
    public async Task Packument_WhenUpstreamRedirectsOutside_Answers502AndCachesNothing(string location)
    {
        await using var gate = await GateFixture.StartAsync(u => u.Redirects["plain"] = location);
        using var response = await gate.SendAsync(HttpMethod.Get, "plain");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Empty(Directory.GetFiles(Path.Combine(gate.Directory, "packuments")));
    }

    [Fact]
    public async Task Tarball_WhenPackumentPointsUnderTheUpstreamHostButThroughEncodedDots_IsRefused()
    {
        await using var gate = await GateFixture.StartAsync(u =>
        {
            u.AddVersion("plain", "1.0.0", Published);
            u.Packuments["plain"]["versions"]!["1.0.0"]!["dist"]!["tarball"] = new Uri(u.BaseUrl, "plain/-/").AbsoluteUri + "%2e%2e/%2e%2e/etc/passwd.tgz";
        });
        using var response = await gate.SendAsync(HttpMethod.Get, "plain/-/passwd.tgz");

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.True((int)response.StatusCode is 404 or 502, $"{response.StatusCode}");
    }

    // Finding 7: Uri keeps "..%2f" as it is, so a tarball URL under a path-prefixed upstream could walk
    // out of that path at a server that decodes encoded slashes (nginx does) and still pass the check.
    [Theory]
    [InlineData("https://r.example/npm/..%2f..%2fadmin/x.tgz", false)]
    [InlineData("https://r.example/npm/..%2F..%2Fadmin/x.tgz", false)]
    [InlineData("https://r.example/npm/x/-/..%5c..%5cadmin.tgz", false)]
    [InlineData("https://r.example/npm/%2e%2e%2fadmin/x.tgz", false)]
    [InlineData("https://r.example/npm/x%2f.%2f/x.tgz", false)]
    [InlineData("https://r.example/npm/@scope%2fname", true)]
    [InlineData("https://r.example/npm/@scope/name/-/name-1.0.0.tgz", true)]
    [InlineData("https://r.example/npm/a..b%2fc/-/a-1.0.0.tgz", true)]
    [InlineData("https://r.example/npm/x/-/x-1.0.0..tgz", true)]
    public void Allows_WhenAnEncodedSlashHidesADotSegment_IsFalse(string url, bool allowed)
    {
        var upstream = new Uri("https://r.example/npm/");
        using var client = new Vouch.Gate.Upstream.UpstreamClient(new HttpClientHandler(), upstream, TimeSpan.FromSeconds(1), new Vouch.Gate.Upstream.CircuitBreaker(TimeProvider.System));

        Assert.Equal(allowed, new Vouch.Gate.Upstream.OutboundPolicy(upstream).Allows(new Uri(url)));
        Assert.Equal(allowed, client.IsUpstreamUrl(new Uri(url)));
    }

    [Fact]
    public async Task Tarball_WhenAPathPrefixedUpstreamPointsOutOfItsPathThroughEncodedSlashes_IsRefusedAndNeverRequested()
    {
        var bytes = TestUpstream.MakeTarball("plain", "1.0.0");
        var seen = new System.Collections.Concurrent.ConcurrentBag<string>();
        Uri? self = null;
        await using var hostile = await Hostile.StartAsync(async ctx =>
        {
            var raw = ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!.RawTarget;
            seen.Add(raw);
            if (raw == "/npm/plain")
            {
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync(new JsonObject
                {
                    ["name"] = "plain",
                    ["dist-tags"] = new JsonObject { ["latest"] = "1.0.0" },
                    ["versions"] = new JsonObject
                    {
                        ["1.0.0"] = new JsonObject
                        {
                            ["name"] = "plain",
                            ["version"] = "1.0.0",
                            ["dist"] = new JsonObject
                            {
                                ["integrity"] = "sha512-" + Convert.ToBase64String(SHA512.HashData(bytes)),
                                ["tarball"] = new Uri(self!, "npm/").AbsoluteUri + "..%2f..%2fprivate/plain/-/plain-1.0.0.tgz",
                            },
                        },
                    },
                    ["time"] = new JsonObject { ["created"] = Published, ["1.0.0"] = Published },
                }.ToJsonString());
                return;
            }

            ctx.Response.StatusCode = 404;
        });
        self = hostile.Url;
        await using var gate = await hostile.GateAsync(o => o with { Upstream = new Uri(hostile.Url, "npm/") });
        using var client = new HttpClient { BaseAddress = gate.Url };

        using var response = await client.GetAsync("plain/-/plain-1.0.0.tgz");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal(GateCodes.ForeignUrl, (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["code"]!);
        Assert.DoesNotContain(seen, s => s.Contains("private", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Packument_WhenUpstreamSendsAGzipBomb_Answers502WithoutHoldingIt()
    {
        var bomb = GzipOfZeros(48 * 1024 * 1024);
        await using var hostile = await Hostile.StartAsync(async ctx =>
        {
            ctx.Response.ContentType = "application/json";
            ctx.Response.Headers.ContentEncoding = "gzip";
            await ctx.Response.Body.WriteAsync(bomb);
        });
        await using var gate = await hostile.GateAsync(o => o with { MaxPackumentBytes = 4 * 1024 * 1024 });

        var answer = await RawHttp.SendAsync(gate.Url, "GET", "/plain");

        Assert.Equal(502, answer.Status);
        Assert.Contains(GateCodes.UpstreamInvalid, answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Packument_WhenUpstreamTricklesForever_GivesUpAtTheTimeoutWith502()
    {
        await using var hostile = await Hostile.StartAsync(async ctx =>
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("{\"name\":\"plain\",");
            for (var i = 0; i < 600 && !ctx.RequestAborted.IsCancellationRequested; i++)
            {
                await ctx.Response.WriteAsync(" ");
                await ctx.Response.Body.FlushAsync();
                await Task.Delay(100);
            }
        });
        await using var gate = await hostile.GateAsync(o => o with { UpstreamTimeout = TimeSpan.FromSeconds(1) });
        var started = System.Diagnostics.Stopwatch.StartNew();

        var answer = await RawHttp.SendAsync(gate.Url, "GET", "/plain");

        Assert.Equal(502, answer.Status);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(30), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task Tarball_WhenManyClientsAskFirstAtOnce_DownloadsOnceAndAllGetTheSameCheckedBytes()
    {
        byte[] original = [];
        await using var gate = await GateFixture.StartAsync(u => original = u.AddVersion("plain", "1.0.0", Published));

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            using var client = new HttpClient { BaseAddress = gate.Host.Url };
            using var response = await client.GetAsync("plain/-/plain-1.0.0.tgz");
            return ((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync());
        }));

        Assert.All(answers, a =>
        {
            Assert.Equal(200, a.Item1);
            Assert.Equal(original, a.Item2);
        });
        Assert.Equal(1, gate.Upstream.Hits("plain/-/plain-1.0.0.tgz"));
        Assert.Single(await gate.Host.Store.ListEvidenceAsync());
    }

    [Fact]
    public async Task Packument_WhenHostAndForwardedHeadersAreSpoofed_TarballUrlsStayOnThePublicUrl()
    {
        await using var gate = await GateFixture.StartAsync(u => u.AddVersion("plain", "1.0.0", Published));
        var target = "/plain";
        var answer = await RawHttp.SendAsync(new Uri(gate.Host.Url, "/"), "GET", target,
            ["X-Forwarded-Host: evil.example", "X-Forwarded-Proto: https", "X-Forwarded-For: 10.0.0.1", "Forwarded: host=evil.example;proto=https", "X-Original-URL: /-/vouch/v1/approvals"]);
        var spoofedHost = await SendWithHostAsync(gate.Host.Url, target, "evil.example");

        foreach (var a in new[] { answer, spoofedHost })
        {
            Assert.Equal(200, a.Status);
            Assert.DoesNotContain("evil.example", a.Text, StringComparison.Ordinal);
            Assert.Contains(gate.Host.Url.AbsoluteUri + "plain/-/plain-1.0.0.tgz", a.Text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("?access_token=" + GateFixture.ApproverToken)]
    [InlineData("?token=" + GateFixture.ApproverToken)]
    [InlineData("?authorization=Bearer%20" + GateFixture.ApproverToken)]
    public async Task Grant_WhenTheTokenIsOnlyInTheQueryString_Answers401(string query)
    {
        await using var gate = await GateFixture.StartAsync();
        var id = await RequestAsync(gate);

        var answer = await RawHttp.SendAsync(gate.Host.Url, "POST", $"/-/vouch/v1/approvals/{id}/grant{query}", ["Content-Type: application/json"], "{}"u8.ToArray());

        Assert.Equal(401, answer.Status);
        Assert.Equal("pending", await StatusOfAsync(gate, id));
    }

    [Theory]
    [InlineData("Cookie: vouch_token=" + GateFixture.ApproverToken)]
    [InlineData("Authorization: Basic " + "YWxpY2U6YXBwcm92ZXItc2VjcmV0LTAxMjM0NTY3ODk=")]
    [InlineData("Authorization: Token " + GateFixture.ApproverToken)]
    [InlineData("Authorization: Bearer" + GateFixture.ApproverToken)]
    [InlineData("Authorization: " + GateFixture.ApproverToken)]
    [InlineData("X-Authorization: Bearer " + GateFixture.ApproverToken)]
    [InlineData("Proxy-Authorization: Bearer " + GateFixture.ApproverToken)]
    public async Task Grant_WhenTheTokenIsInAnOddPlace_IsNotAccepted(string header)
    {
        await using var gate = await GateFixture.StartAsync();
        var id = await RequestAsync(gate);

        var answer = await RawHttp.SendAsync(gate.Host.Url, "POST", $"/-/vouch/v1/approvals/{id}/grant", [header, "Content-Type: application/json"], "{}"u8.ToArray());

        Assert.Equal(401, answer.Status);
        Assert.Equal("pending", await StatusOfAsync(gate, id));
    }

    [Theory]
    [InlineData("Authorization: Bearer " + GateFixture.ReaderToken, "Authorization: Bearer " + GateFixture.ApproverToken)]
    [InlineData("Authorization: Bearer " + GateFixture.ApproverToken, "Authorization: Bearer " + GateFixture.ReaderToken)]
    [InlineData("Authorization: Bearer " + GateFixture.ReaderToken + ", Bearer " + GateFixture.ApproverToken, null)]
    [InlineData("Authorization: bearer " + GateFixture.ReaderToken, null)]
    [InlineData("Authorization: BEARER   " + GateFixture.ReaderToken + "   ", null)]
    [InlineData("Authorization: Bearer " + GateFixture.ReaderToken, "Cookie: vouch_token=" + GateFixture.ApproverToken)]
    public async Task Grant_WhenAReaderTokenIsMixedWithAnApproversInOneRequest_NeverGrants(string first, string? second)
    {
        await using var gate = await GateFixture.StartAsync();
        var id = await RequestAsync(gate, GateFixture.AdminToken);
        var headers = new List<string> { first, "Content-Type: application/json" };
        if (second is not null)
        {
            headers.Add(second);
        }

        var answer = await RawHttp.SendAsync(gate.Host.Url, "POST", $"/-/vouch/v1/approvals/{id}/grant", headers, "{}"u8.ToArray());

        Assert.True(answer.Status is 401 or 403, $"{answer.Status}: {answer.Text}");
        Assert.Equal("pending", await StatusOfAsync(gate, id));
    }

    [Fact]
    public async Task AdminApi_WhenAPublisherTokenTriesEveryWriteOrReadRoute_IsForbiddenAndNothingChanges()
    {
        const string Publisher = "publisher-secret-0123456789";
        await using var gate = await GateFixture.StartAsync(configure: o => o with { Tokens = [.. GateFixture.Tokens, new GateToken("ci", GateRole.Publisher, Publisher)] });
        var id = await RequestAsync(gate);
        var routes = new (HttpMethod Method, string Path, object? Body)[]
        {
            (HttpMethod.Post, $"-/vouch/v1/approvals/{id}/grant", new { reason = "x" }),
            (HttpMethod.Post, $"-/vouch/v1/approvals/{id}/deny", new { reason = "x" }),
            (HttpMethod.Post, "-/vouch/v1/approvals", new { name = "plain", version = "1.0.0", rule = "x" }),
            (HttpMethod.Post, "-/vouch/v1/reviews", new { payload = "x" }),
            (HttpMethod.Post, "-/vouch/v1/reverify", new { name = "plain" }),
            (HttpMethod.Get, "-/vouch/v1/approvals", null),
            (HttpMethod.Get, "-/vouch/v1/audit", null),
            (HttpMethod.Get, "-/vouch/v1/packages", null),
            (HttpMethod.Get, "-/vouch/v1/publish/staged", null),
            (HttpMethod.Get, "-/vouch/v1/whoami", null),
        };

        foreach (var (method, path, body) in routes)
        {
            using var response = await gate.SendAsync(method, path, Publisher, body);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {response.StatusCode}");
        }

        Assert.Equal("pending", await StatusOfAsync(gate, id));
        Assert.Single(await gate.Host.Store.ListApprovalsAsync(null));
    }

    [Theory]
    [InlineData("-/vouch/v1/approvals")]
    [InlineData("-/vouch/v1/audit")]
    [InlineData("-/vouch/v1/packages")]
    [InlineData("-/vouch/v1/whoami")]
    [InlineData("-/vouch/v1/reviews")]
    public async Task AdminApi_WhenAnsweredToAToken_IsNeverStoredByACacheInFront(string path)
    {
        await using var gate = await GateFixture.StartAsync();
        using var response = await gate.SendAsync(HttpMethod.Get, path, GateFixture.ReaderToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore, $"{path}: Cache-Control {response.Headers.CacheControl}");
    }

    [Fact]
    public async Task Reverify_WhenAReaderOrApproverAsks_IsForbiddenAndForgetsNothing()
    {
        await using var gate = await GateFixture.StartAsync(u => u.AddVersion("plain", "1.0.0", Published));
        using (var warm = await gate.SendAsync(HttpMethod.Get, "plain/-/plain-1.0.0.tgz"))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        foreach (var token in new[] { GateFixture.ReaderToken, GateFixture.ApproverToken })
        {
            using var response = await gate.SendAsync(HttpMethod.Post, "-/vouch/v1/reverify", token, new { name = "plain", version = "1.0.0" });
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        Assert.Single(await gate.Host.Store.ListEvidenceAsync());
    }

    [Fact]
    public async Task Approvals_WhenAChunkedBodyHasNoLengthAndExceedsTheCap_Answers413()
    {
        await using var gate = await GateFixture.StartAsync();
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(gate.Host.Url.Host, gate.Host.Url.Port);
        await using var stream = tcp.GetStream();
        var head = $"POST /-/vouch/v1/approvals HTTP/1.1\r\nHost: {gate.Host.Url.Authority}\r\nAuthorization: Bearer {GateFixture.ReaderToken}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)' ');
        var chunkHead = Encoding.ASCII.GetBytes($"{chunk.Length:x}\r\n");
        try
        {
            for (var i = 0; i < 5 * 1024 * 1024 / chunk.Length + 4; i++)
            {
                await stream.WriteAsync(chunkHead);
                await stream.WriteAsync(chunk);
                await stream.WriteAsync("\r\n"u8.ToArray());
            }
        }
        catch (IOException)
        {
            // The gate may close the connection once it has answered.
        }

        using var ms = new MemoryStream();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await stream.CopyToAsync(ms, cts.Token);
        }
        catch (IOException)
        {
        }

        var text = Encoding.Latin1.GetString(ms.ToArray());
        Assert.StartsWith("HTTP/1.1 413", text, StringComparison.Ordinal);
        Assert.Empty(await gate.Host.Store.ListApprovalsAsync(null));
    }

    private static async Task<RawHttp.Answer> SendWithHostAsync(Uri server, string target, string host)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        await using var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"));
        using var ms = new MemoryStream();
        await stream.CopyToAsync(ms);
        var raw = ms.ToArray();
        var end = raw.AsSpan().IndexOf("\r\n\r\n"u8);
        var headText = Encoding.Latin1.GetString(raw, 0, end);
        return new RawHttp.Answer(int.Parse(headText.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture), headText, raw[(end + 4)..]);
    }

    private static async Task<long> RequestAsync(GateFixture gate, string token = GateFixture.ReaderToken)
    {
        var created = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", token, new { name = "plain", version = "1.0.0", rule = "trust-downgrade" }, expect: 201);
        return (long)created["id"]!;
    }

    private static async Task<string> StatusOfAsync(GateFixture gate, long id)
    {
        var list = await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/approvals", GateFixture.ReaderToken);
        return (string)list["approvals"]!.AsArray().First(a => (long)a!["id"]! == id)!["status"]!;
    }

    private static string DiskCopy(string dir, string name) =>
        Path.Combine(dir, "packuments", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name))) + ".json");

    private static byte[] GzipOfZeros(int size)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var zeros = new byte[1024 * 1024];
            for (var written = 0; written < size; written += zeros.Length)
            {
                gz.Write(zeros);
            }
        }

        return ms.ToArray();
    }

    /// <summary>An upstream that answers every request with one handler, and a gate in front of it.</summary>
    private sealed class Hostile : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly string _dir = Path.Combine(Path.GetTempPath(), "vouch-gate-" + Guid.NewGuid().ToString("n"));
        private GateHost? _gate;

        private Hostile(WebApplication app, Uri url)
        {
            _app = app;
            Url = url;
        }

        public Uri Url { get; }

        public static async Task<Hostile> StartAsync(RequestDelegate handler)
        {
            var (app, url) = await LoopbackHost.StartAsync(handler);
            return new Hostile(app, url);
        }

        public async Task<GateHost> GateAsync(Func<GateOptions, GateOptions>? configure = null)
        {
            var options = new GateOptions
            {
                Upstream = Url,
                Listen = "127.0.0.1:0",
                Database = Path.Combine(_dir, "gate.db"),
                DataDirectory = _dir,
                Tokens = GateFixture.Tokens,
            };
            _gate = await GateHost.StartAsync(configure?.Invoke(options) ?? options, GateFixture.Dependencies());
            return _gate;
        }

        public async ValueTask DisposeAsync()
        {
            if (_gate is not null)
            {
                await _gate.DisposeAsync();
            }

            await _app.StopAsync();
            await _app.DisposeAsync();
            try
            {
                Directory.Delete(_dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}

/// <summary>Requests a client controls completely, against one gate; none may be a 500 or go unanswered.</summary>
public sealed class HostileRequestBatteryTests(HostileRequestBatteryTests.BatteryGate fixture) : IClassFixture<HostileRequestBatteryTests.BatteryGate>
{
    public static TheoryData<string, string, string[], string?> HostileRequests() => new()
    {
        { "GET", "/plain", ["Accept: " + new string('a', 20000)], null },
        { "GET", "/plain", ["If-None-Match: \"" + new string('x', 8000) + "\""], null },
        { "GET", "/plain", ["Accept: application/vnd.npm.install-v1+json; q=\u00ff"], null },
        { "GET", "/plain", ["Host: "], null },
        { "GET", "/plain", ["Content-Length: 5"], "hello" },
        { "GET", "/plain?" + new string('q', 7000), [], null },
        { "GET", "/plain?a=%ff%fe&b=%00", [], null },
        { "HEAD", "/plain/-/plain-1.0.0.tgz", [], null },
        { "GET", "/plain/-/plain-1.0.0.tgz", ["Range: bytes=0-10,-5,99999999999999999999-"], null },
        { "GET", "/plain/-/plain-1.0.0.tgz", ["If-Range: garbage", "Range: bytes=0-"], null },
        { "GET", "/plain/" + new string('9', 250), [], null },
        { "GET", "/plain/1.0.0+" + new string('b', 200), [], null },
        { "GET", "/plain/99999999999999999999.0.0", [], null },
        { "GET", "/-/npm/v1/attestations/plain@99999999999999999999.0.0", [], null },
        { "GET", "/-/vouch/v1/verify/plain/99999999999999999999.0.0", [], null },
        { "GET", "/-/vouch/v1/verify/plain/1.0.0", [], null },
        { "GET", "/-/vouch/v1/verify/plain", [], null },
        { "GET", "/-/vouch/v1/vsa/plain/1.0.0", [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/v1/approvals?status=%ff", [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/v1/approvals?status=pending&status=granted", [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/v1/audit?limit=99999999999999999999999", [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/v1/audit?limit=-1", [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/v1/audit/export?format=%00&from=0001-01-01T00:00:00%2B14:00", [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/v1/audit/export?from=9999-12-31&to=0001-01-01", [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/v1/digest?since=99999d", [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/v1/digest?since=0001-01-01&until=9999-12-31T23:59:59-14:00", [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/v1/digest?since=9999-12-31", [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/v1/reviews/99999999999999999999999", [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/v1/reviews/-1", [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/v1/reviews/sha256:%ff", [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/v1/reviews?name=" + new string('n', 3000), [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/v1/packages", [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/dashboard/search?q=%ff%fe&page=-1", ["Cookie: vouch_token=" + GateFixture.ReaderToken], null },
        { "GET", "/-/vouch/dashboard/audit?from=9999-12-31&to=9999-12-31&page=9223372036854775807", ["Cookie: vouch_token=" + GateFixture.ReaderToken], null },
        { "GET", "/-/vouch/dashboard/summary?days=99999999999", ["Cookie: vouch_token=" + GateFixture.ReaderToken], null },
        { "GET", "/-/vouch/dashboard/package/@scope", ["Cookie: vouch_token=" + GateFixture.ReaderToken], null },
        { "GET", "/-/vouch/dashboard/package/" + new string('p', 250), ["Cookie: vouch_token=" + GateFixture.ReaderToken], null },
        { "GET", "/-/vouch/dashboard", ["Cookie: vouch_token=%zz%"], null },
        { "GET", "/-/vouch/dashboard", ["Cookie: vouch_token=" + new string('c', 5000)], null },
        { "GET", "/-/vouch/oidc/callback?code=x&state=y", [], null },
        { "POST", "/-/vouch/signout", [], "" },
        { "POST", "/-/vouch/v1/approvals/99999999999999999999/grant", [$"Authorization: Bearer {GateFixture.ApproverToken}", "Content-Type: application/json"], "{}" },
        { "POST", "/-/vouch/v1/approvals/1/grant", [$"Authorization: Bearer {GateFixture.ApproverToken}", "Content-Type: application/json"], "{\"expires\":\"9999-12-31T23:59:59-14:00\"}" },
        { "POST", "/-/vouch/v1/approvals/1/grant", [$"Authorization: Bearer {GateFixture.ApproverToken}", "Content-Type: application/json"], "{\"expires\":\"0001-01-01T00:00:00+14:00\"}" },
        { "POST", "/-/vouch/v1/approvals", [$"Authorization: Bearer {GateFixture.ReaderToken}", "Content-Type: text/plain"], "name=plain&version=1.0.0" },
        { "POST", "/-/vouch/v1/approvals", [$"Authorization: Bearer {GateFixture.ReaderToken}", "Content-Type: application/json"], new string('[', 100000) },
        { "POST", "/-/vouch/v1/approvals", [$"Authorization: Bearer {GateFixture.ReaderToken}", "Content-Type: application/json"], "{\"name\":\"plain\",\"name\":\"other\",\"version\":\"1.0.0\",\"rule\":\"x\"}" },
        { "POST", "/-/vouch/v1/approvals", [$"Authorization: Bearer {GateFixture.ReaderToken}", "Content-Type: application/json"], "{\"name\":\"pla\u0000in\",\"version\":\"1.0.0\",\"rule\":\"x\"}" },
        { "POST", "/-/vouch/v1/approvals", [$"Authorization: Bearer {GateFixture.ReaderToken}", "Content-Type: application/json"], "{\"name\":\"plaın\",\"version\":\"1.0.0\",\"rule\":\"x\"}" },
        { "POST", "/-/vouch/v1/approvals", [$"Authorization: Bearer {GateFixture.ReaderToken}", "Content-Type: application/json"], "{\"name\":\"plain\",\"version\":\"1.0.0\",\"rule\":\"" + new string('r', 100000) + "\"}" },
        { "POST", "/-/vouch/v1/reverify", [$"Authorization: Bearer {GateFixture.AdminToken}", "Content-Type: application/json"], "{\"name\":\"../../etc\",\"version\":\"1.0.0\"}" },
        { "POST", "/-/vouch/v1/reverify", [$"Authorization: Bearer {GateFixture.AdminToken}", "Content-Type: application/json"], "{}" },
        { "POST", "/-/vouch/v1/reviews", [$"Authorization: Bearer {GateFixture.ApproverToken}", "Content-Type: application/json"], "{\"payload\":\"%%%\"}" },
        { "POST", "/-/vouch/v1/watch/events", ["Vouch-Signature: t=99999999999999999999,v1=zz"], "{}" },
        { "POST", "/-/vouch/v1/watch/events", ["Vouch-Signature: " + new string(',', 5000)], "{}" },
        { "POST", "/-/npm/v1/security/audits/quick", ["Content-Type: ;;;=\"\\"], "{}" },
        { "POST", "/-/npm/v1/security/advisories/bulk", ["Content-Type: application/json"], "not json at all" },
        { "PUT", "/plain", [$"Authorization: Bearer {GateFixture.AdminToken}", "Content-Type: application/json"], "{\"_attachments\":{}}" },
        { "DELETE", "/plain/-/plain-1.0.0.tgz/-rev/1", [], null },
        { "OPTIONS", "*", [], null },
        { "PROPFIND", "/plain", [], null },
        { "get", "/plain", [], null },
        { "GET", "/-/v1/search?text=" + new string('s', 3000), [], null },
        { "GET", "/-/user/org.couchdb.user:x", [], null },
        { "GET", "/%40scope%252fname", [], null },
        { "GET", "/%C0%AE%C0%AE/%C0%AE%C0%AE/etc/passwd", [], null },
        { "GET", "/%E2%80%AEplain", [], null },
        { "GET", "/@scope%2f..%2f..%2fplain", [], null },
        { "GET", "/plain%3f/1.0.0", [], null },
        { "GET", "/plain%23frag", [], null },
        { "GET", "/-/vouch/v1/approvals%3fstatus=pending", [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/v1/..%2fv1/approvals", [$"Authorization: Bearer {GateFixture.ReaderToken}"], null },
        { "GET", "/-/vouch/" + string.Concat(Enumerable.Repeat("a/", 900)), [], null },
    };

    [Theory]
    [MemberData(nameof(HostileRequests))]
    public async Task Request_WhenHostile_IsAnsweredWithoutA500(string method, string target, string[] headers, string? body)
    {
                var answer = await RawHttp.SendAsync(fixture.Url, method, target, headers, body is null ? null : Encoding.UTF8.GetBytes(body));

        Assert.True(answer.Status is >= 200 and < 500 or 502 or 503, $"{method} {target}: {answer.Status} {answer.Text}");
        Assert.DoesNotContain(GateCodes.Internal, answer.Text, StringComparison.Ordinal);
    }


    /// <summary>One gate serving <c>plain@1.0.0</c> with one pending approval, shared by the battery's rows.</summary>
    public sealed class BatteryGate : IAsyncLifetime
    {
        private GateFixture? _gate;

        public Uri Url => _gate!.Host.Url;

        public async Task InitializeAsync()
        {
            _gate = await GateFixture.StartAsync(u => u.AddVersion("plain", "1.0.0", "2023-01-01T00:00:00.000Z"));
            await _gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "plain", version = "1.0.0", rule = "trust-downgrade" }, expect: 201);
        }

        public async Task DisposeAsync()
        {
            if (_gate is not null)
            {
                await _gate.DisposeAsync();
            }
        }
    }
}
