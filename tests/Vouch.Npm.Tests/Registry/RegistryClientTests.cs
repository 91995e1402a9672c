using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Vouch.Npm.Tests.Infrastructure;

namespace Vouch.Npm.Tests.Registry;

public sealed class RegistryClientTests : IDisposable
{
    private const string Secret = "npm_s3cr3tT0kenValue";
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly RegistryClientOptions FastOptions = new()
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(100),
        MaxRetryDelay = TimeSpan.FromSeconds(30),
        AttemptTimeout = TimeSpan.FromMinutes(5),
    };

    private RegistryClient NewClient(NpmConfig config, RegistryClientOptions? options = null, TimeProvider? time = null, string? cacheDir = "default") =>
        new(RegistryClient.CreateDefaultHandler(), config, cacheDir == "default" ? _temp.Combine("cache") : cacheDir, time ?? new RecordingTimeProvider(), options ?? FastOptions, disposeHandler: true);

    private static Task<LoopbackRegistry> StartFixtureRegistryAsync() =>
        LoopbackRegistry.StartAsync(async (ctx, req) =>
        {
            if (!await FixtureRoutes.TryServeAsync(ctx, req.RawTarget))
            {
                ctx.Response.StatusCode = 404;
            }
        });

    private NpmConfig ConfigWithNpmrc(string npmrc, Uri? registryOverride = null)
    {
        var project = _temp.Combine("project");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "package.json"), "{}");
        File.WriteAllText(Path.Combine(project, ".npmrc"), npmrc);
        return NpmConfig.Load(new NpmConfigOptions { WorkingDirectory = project, HomeDirectory = _temp.Combine("nohome"), RegistryOverride = registryOverride });
    }

    [Fact]
    public async Task GetPackumentAsync_WhenRegistryServesRecordedPackument_ReturnsTypedModel()
    {
        await using var registry = await StartFixtureRegistryAsync();
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl));

        var result = await client.GetPackumentAsync("has-package-exports");

        Assert.True(result.IsOk, result.Error);
        var p = result.Value;
        Assert.Equal("has-package-exports", p.Name);
        Assert.Equal("1.3.0", p.DistTags["latest"]);
        var v = p.Versions["1.3.0"];
        Assert.Equal("SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA", Assert.Single(v.Dist.Signatures).KeyId);
        Assert.StartsWith("sha512-e9OeXPQnmPhYoJ63lXC4wWe34Tx", v.Dist.Integrity, StringComparison.Ordinal);
        Assert.Equal("10ed49bdd97180c96cd0a24c72e5acf67c6995af", v.GitHead);
        Assert.Equal("git+https://github.com/inspect-js/has-package-exports.git", v.Repository?.Url);
        Assert.Equal("^0.0.2", v.Dependencies["@ljharb/has-package-exports-patterns"]);
        Assert.True(p.Time.ContainsKey("1.0.0"));
        Assert.Empty(p.InvalidVersions);
        var request = Assert.Single(registry.Requests);
        Assert.Equal("application/json", request.Accept);
        Assert.Contains("gzip", request.AcceptEncoding, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenRequestSent_PrefersHttp2AndAdvertisesCompression()
    {
        var handler = new CapturingHandler(_ => new HttpResponseMessage(System.Net.HttpStatusCode.NotFound));
        using var client = new RegistryClient(handler, NpmConfig.ForRegistry(new Uri("https://registry.example/")), null, new RecordingTimeProvider(), FastOptions);

        await client.GetPackumentAsync("left-pad");

        var request = Assert.Single(handler.Requests);
        Assert.Equal(new Version(2, 0), request.Version);
        Assert.Equal(HttpVersionPolicy.RequestVersionOrLower, request.VersionPolicy);
        Assert.Equal(new Uri("https://registry.example/left-pad"), request.RequestUri);
        Assert.Contains("br", request.Headers.AcceptEncoding.Select(e => e.Value));
        Assert.Contains("gzip", request.Headers.AcceptEncoding.Select(e => e.Value));
        Assert.Null(request.Headers.Authorization);
    }

    [Fact]
    public async Task GetRegistryKeysAsync_WhenRegistryHasPath_KeepsIt()
    {
        var handler = new CapturingHandler(_ => new HttpResponseMessage(System.Net.HttpStatusCode.NotFound));
        using var client = new RegistryClient(handler, NpmConfig.ForRegistry(new Uri("https://registry.example/")), null, new RecordingTimeProvider(), FastOptions);

        await client.GetRegistryKeysAsync(new Uri("https://mirror.example/npm"));

        Assert.Equal(new Uri("https://mirror.example/npm/-/npm/v1/keys"), Assert.Single(handler.Requests).RequestUri);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenAbbreviatedRequested_SendsInstallAcceptHeader()
    {
        await using var registry = await StartFixtureRegistryAsync();
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl));

        var result = await client.GetPackumentAsync("has-package-exports", PackumentFormat.Abbreviated);

        Assert.True(result.IsOk, result.Error);
        Assert.True(result.Value.IsAbbreviated);
        Assert.Equal("application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*", Assert.Single(registry.Requests).Accept);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenScopedPackageHasScopeRegistry_EscapesNameAndRoutesThere()
    {
        await using var publicRegistry = await StartFixtureRegistryAsync();
        await using var scopedRegistry = await StartFixtureRegistryAsync();
        var config = ConfigWithNpmrc($"registry={publicRegistry.BaseUrl}\n@ljharb:registry={scopedRegistry.BaseUrl}\n");
        using var client = NewClient(config);

        var scoped = await client.GetPackumentAsync("@ljharb/has-package-exports-patterns");
        var plain = await client.GetPackumentAsync("has-package-exports");

        Assert.True(scoped.IsOk, scoped.Error);
        Assert.True(plain.IsOk, plain.Error);
        Assert.Equal("/@ljharb%2fhas-package-exports-patterns", Assert.Single(scopedRegistry.Requests).RawTarget);
        Assert.Equal("/has-package-exports", Assert.Single(publicRegistry.Requests).RawTarget);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenRegistryOverrideGiven_IgnoresScopeRegistry()
    {
        await using var overrideRegistry = await StartFixtureRegistryAsync();
        await using var scopedRegistry = await StartFixtureRegistryAsync();
        var config = ConfigWithNpmrc($"@ljharb:registry={scopedRegistry.BaseUrl}\n", overrideRegistry.BaseUrl);
        using var client = NewClient(config);

        var result = await client.GetPackumentAsync("@ljharb/has-package-exports-patterns");

        Assert.True(result.IsOk, result.Error);
        Assert.Single(overrideRegistry.Requests);
        Assert.Empty(scopedRegistry.Requests);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenTokenConfiguredForOneRegistry_SendsItOnlyThere()
    {
        await using var publicRegistry = await StartFixtureRegistryAsync();
        await using var privateRegistry = await StartFixtureRegistryAsync();
        var privateKey = $"//{privateRegistry.BaseUrl.Authority}/";
        var config = ConfigWithNpmrc($"registry={publicRegistry.BaseUrl}\n@ljharb:registry={privateRegistry.BaseUrl}\n{privateKey}:_authToken={Secret}\n");
        using var client = NewClient(config);

        Assert.True((await client.GetPackumentAsync("has-package-exports")).IsOk);
        Assert.True((await client.GetPackumentAsync("@ljharb/has-package-exports-patterns")).IsOk);
        Assert.True((await client.GetTarballAsync(publicRegistry.Url("tarballs/tuf-js-1.0.0.tgz"))).IsOk);

        Assert.All(publicRegistry.Requests, r => Assert.Null(r.Authorization));
        Assert.Equal("Bearer " + Secret, Assert.Single(privateRegistry.Requests).Authorization);
        Assert.DoesNotContain(Secret, config.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, config.Credentials[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTarballAsync_WhenRedirectedToAnotherHost_DoesNotForwardCredential()
    {
        await using var cdn = await StartFixtureRegistryAsync();
        await using var registry = await LoopbackRegistry.StartAsync((ctx, req) =>
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.Headers.Location = cdn.Url("tarballs/tuf-js-1.0.0.tgz").AbsoluteUri;
            return Task.CompletedTask;
        });
        var config = ConfigWithNpmrc($"registry={registry.BaseUrl}\n//{registry.BaseUrl.Authority}/:_authToken={Secret}\n");
        using var client = NewClient(config);

        var result = await client.GetTarballAsync(registry.Url("tuf-js/-/tuf-js-1.0.0.tgz"));

        Assert.True(result.IsOk, result.Error);
        Assert.Equal("Bearer " + Secret, Assert.Single(registry.Requests).Authorization);
        Assert.Null(Assert.Single(cdn.Requests).Authorization);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenCachedWithETag_RevalidatesAndUsesCachedBodyOn304()
    {
        var served = 0;
        var json = await File.ReadAllBytesAsync(Path.Combine(TestPaths.NpmFixtures, "packuments", "has-package-exports.json"));
        await using var registry = await LoopbackRegistry.StartAsync(async (ctx, req) =>
        {
            if (req.IfNoneMatch == "\"v1\"")
            {
                ctx.Response.StatusCode = 304;
                return;
            }

            served++;
            ctx.Response.Headers.ETag = "\"v1\"";
            ctx.Response.ContentType = "application/json";
            await ctx.Response.Body.WriteAsync(json);
        });
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl));

        var first = await client.GetPackumentAsync("has-package-exports");
        var second = await client.GetPackumentAsync("has-package-exports");

        Assert.True(first.IsOk, first.Error);
        Assert.False(first.FromCache);
        Assert.True(second.IsOk, second.Error);
        Assert.True(second.FromCache);
        Assert.Equal(304, second.HttpStatus);
        Assert.Equal(first.Value.Versions.Count, second.Value.Versions.Count);
        Assert.Equal(1, served);
        Assert.Equal(["\"v1\""], registry.Requests.Select(r => r.IfNoneMatch).Skip(1));
    }

    [Fact]
    public async Task GetPackumentAsync_WhenOnlyLastModifiedGiven_RevalidatesWithIfModifiedSince()
    {
        const string lastModified = "Wed, 04 May 2022 18:04:33 GMT";
        var json = await File.ReadAllBytesAsync(Path.Combine(TestPaths.NpmFixtures, "packuments", "has-package-exports.json"));
        await using var registry = await LoopbackRegistry.StartAsync(async (ctx, req) =>
        {
            if (req.IfModifiedSince == lastModified)
            {
                ctx.Response.StatusCode = 304;
                return;
            }

            ctx.Response.Headers.LastModified = lastModified;
            await ctx.Response.Body.WriteAsync(json);
        });
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl));

        await client.GetPackumentAsync("has-package-exports");
        var second = await client.GetPackumentAsync("has-package-exports");

        Assert.True(second.IsOk, second.Error);
        Assert.True(second.FromCache);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenCachedBodyTamperedOnDisk_IgnoresCacheAndRefetches()
    {
        await using var registry = await LoopbackRegistry.StartAsync(async (ctx, req) =>
        {
            ctx.Response.Headers.ETag = "\"v1\"";
            if (req.IfNoneMatch is not null)
            {
                ctx.Response.StatusCode = 304;
                return;
            }

            await FixtureRoutes.TryServeAsync(ctx, req.RawTarget);
        });
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl));
        Assert.True((await client.GetPackumentAsync("has-package-exports")).IsOk);

        foreach (var body in Directory.EnumerateFiles(_temp.Combine("cache"), "*.body", SearchOption.AllDirectories))
        {
            var bytes = await File.ReadAllBytesAsync(body);
            bytes[10] ^= 0x20;
            await File.WriteAllBytesAsync(body, bytes);
        }

        var second = await client.GetPackumentAsync("has-package-exports");

        Assert.True(second.IsOk, second.Error);
        Assert.False(second.FromCache);
        Assert.Null(registry.Requests.Last().IfNoneMatch);
    }

    [Fact]
    public async Task GetPackumentAsync_When503ThenOk_RetriesAndSucceeds()
    {
        var calls = 0;
        await using var registry = await LoopbackRegistry.StartAsync(async (ctx, req) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                ctx.Response.StatusCode = 503;
                return;
            }

            await FixtureRoutes.TryServeAsync(ctx, req.RawTarget);
        });
        var time = new RecordingTimeProvider();
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl), time: time);

        var result = await client.GetPackumentAsync("has-package-exports");

        Assert.True(result.IsOk, result.Error);
        Assert.Equal(2, registry.Requests.Count);
        Assert.Single(time.Delays);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenRetryAfterGiven_WaitsThatLongBeforeRetrying()
    {
        var calls = 0;
        await using var registry = await LoopbackRegistry.StartAsync(async (ctx, req) =>
        {
            switch (Interlocked.Increment(ref calls))
            {
                case 1:
                    ctx.Response.StatusCode = 429;
                    ctx.Response.Headers.RetryAfter = "7";
                    return;
                case 2:
                    ctx.Response.StatusCode = 503;
                    // An HTTP date 12 s after the provider's fixed clock.
                    ctx.Response.Headers.RetryAfter = "Sun, 01 Jun 2025 12:00:12 GMT";
                    return;
                default:
                    await FixtureRoutes.TryServeAsync(ctx, req.RawTarget);
                    return;
            }
        });
        var time = new RecordingTimeProvider();
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl), time: time);

        var result = await client.GetPackumentAsync("has-package-exports");

        Assert.True(result.IsOk, result.Error);
        Assert.Equal([TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(12)], time.Delays.ToArray());
    }

    [Fact]
    public async Task GetPackumentAsync_WhenRetryAfterExceedsMaxDelay_ReturnsNetworkErrorWithoutWaiting()
    {
        await using var registry = await LoopbackRegistry.StartAsync((ctx, req) =>
        {
            ctx.Response.StatusCode = 503;
            ctx.Response.Headers.RetryAfter = "3600";
            return Task.CompletedTask;
        });
        var time = new RecordingTimeProvider();
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl), time: time);

        var result = await client.GetPackumentAsync("has-package-exports");

        Assert.Equal(RegistryStatus.NetworkError, result.Status);
        Assert.Equal(503, result.HttpStatus);
        Assert.Contains("3600", result.Error, StringComparison.Ordinal);
        Assert.Single(registry.Requests);
        Assert.Empty(time.Delays);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenAlways500_ReturnsNetworkErrorAfterMaxRetries()
    {
        await using var registry = await LoopbackRegistry.StartAsync((ctx, req) =>
        {
            ctx.Response.StatusCode = 500;
            return Task.CompletedTask;
        });
        var time = new RecordingTimeProvider();
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl), FastOptions with { MaxRetries = 2, RetryBaseDelay = TimeSpan.FromSeconds(1) }, time);

        var result = await client.GetPackumentAsync("has-package-exports");

        Assert.Equal(RegistryStatus.NetworkError, result.Status);
        Assert.Equal(3, registry.Requests.Count);
        var delays = time.Delays.ToArray();
        Assert.Equal(2, delays.Length);
        // Exponential with equal jitter: attempt n waits between half and all of base * 2^n.
        Assert.InRange(delays[0], TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(1));
        Assert.InRange(delays[1], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
    }

    [Fact]
    public async Task GetPackumentAsync_WhenAttemptTimesOut_RetriesAndSucceeds()
    {
        var calls = 0;
        await using var registry = await LoopbackRegistry.StartAsync(async (ctx, req) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                await Task.Delay(TimeSpan.FromSeconds(10), ctx.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            }

            await FixtureRoutes.TryServeAsync(ctx, req.RawTarget);
        });
        using var client = NewClient(
            NpmConfig.ForRegistry(registry.BaseUrl),
            FastOptions with { AttemptTimeout = TimeSpan.FromMilliseconds(300) },
            TimeProvider.System);

        var result = await client.GetPackumentAsync("has-package-exports");

        Assert.True(result.IsOk, result.Error);
        Assert.Equal(2, registry.Requests.Count);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenNothingListens_ReturnsNetworkError()
    {
        Uri deadUrl;
        await using (var registry = await LoopbackRegistry.StartAsync((ctx, req) => Task.CompletedTask))
        {
            deadUrl = registry.BaseUrl;
        }

        using var client = NewClient(NpmConfig.ForRegistry(deadUrl), FastOptions with { MaxRetries = 1 });

        var result = await client.GetPackumentAsync("has-package-exports");

        Assert.Equal(RegistryStatus.NetworkError, result.Status);
        Assert.Contains("2 attempts", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenUnauthorized_ReturnsNetworkErrorWithoutSecret()
    {
        await using var registry = await LoopbackRegistry.StartAsync((ctx, req) =>
        {
            ctx.Response.StatusCode = 401;
            return Task.CompletedTask;
        });
        var config = ConfigWithNpmrc($"registry={registry.BaseUrl}\n//{registry.BaseUrl.Authority}/:_authToken={Secret}\n");
        using var client = NewClient(config);

        var result = await client.GetPackumentAsync("has-package-exports");

        Assert.Equal(RegistryStatus.NetworkError, result.Status);
        Assert.Equal(401, result.HttpStatus);
        Assert.Contains("not accepted", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, result.ToString(), StringComparison.Ordinal);
        Assert.Single(registry.Requests);
    }

    [Fact]
    public async Task GetPackumentAsync_When404_ReturnsNotFound()
    {
        await using var registry = await StartFixtureRegistryAsync();
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl));

        var result = await client.GetPackumentAsync("does-not-exist");

        Assert.Equal(RegistryStatus.NotFound, result.Status);
        Assert.Null(result.Value);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenRegistryAnswersWithAnotherPackage_ReturnsInvalidResponse()
    {
        var json = await File.ReadAllBytesAsync(Path.Combine(TestPaths.NpmFixtures, "packuments", "has-package-exports.json"));
        await using var registry = await LoopbackRegistry.StartAsync((ctx, req) => ctx.Response.Body.WriteAsync(json).AsTask());
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl));

        var result = await client.GetPackumentAsync("lodash");

        Assert.Equal(RegistryStatus.InvalidResponse, result.Status);
        Assert.Contains("expected 'lodash'", result.Error, StringComparison.Ordinal);
        // Not cached: offline must not find it.
        using var offline = NewClient(NpmConfig.ForRegistry(registry.BaseUrl), FastOptions with { Offline = true });
        Assert.Equal(RegistryStatus.NotInCache, (await offline.GetPackumentAsync("lodash")).Status);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenContentLengthOverCap_ReturnsInvalidResponse()
    {
        await using var registry = await StartFixtureRegistryAsync();
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl), FastOptions with { MaxPackumentBytes = 1000 });

        var result = await client.GetPackumentAsync("has-package-exports");

        Assert.Equal(RegistryStatus.InvalidResponse, result.Status);
        Assert.Contains("limit", result.Error, StringComparison.Ordinal);
        Assert.Single(registry.Requests);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenChunkedBodyGrowsOverCap_ReturnsInvalidResponse()
    {
        await using var registry = await LoopbackRegistry.StartAsync(async (ctx, req) =>
        {
            // No Content-Length: the client only finds out while reading.
            var chunk = Encoding.UTF8.GetBytes(new string(' ', 1000));
            for (var i = 0; i < 50; i++)
            {
                await ctx.Response.Body.WriteAsync(chunk);
                await ctx.Response.Body.FlushAsync();
            }
        });
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl), FastOptions with { MaxPackumentBytes = 10_000 });

        var result = await client.GetPackumentAsync("has-package-exports");

        Assert.Equal(RegistryStatus.InvalidResponse, result.Status);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenGzipBodyInflatesOverCap_ReturnsInvalidResponse()
    {
        using var compressed = new MemoryStream();
        await using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            await gzip.WriteAsync(new byte[5_000_000]);
        }

        var bomb = compressed.ToArray();
        await using var registry = await LoopbackRegistry.StartAsync(async (ctx, req) =>
        {
            ctx.Response.Headers.ContentEncoding = "gzip";
            await ctx.Response.Body.WriteAsync(bomb);
        });
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl), FastOptions with { MaxPackumentBytes = 100_000 });

        var result = await client.GetPackumentAsync("has-package-exports");

        Assert.True(bomb.Length < 100_000);
        Assert.Equal(RegistryStatus.InvalidResponse, result.Status);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    public async Task GetPackumentAsync_WhenBodyCompressed_Decompresses(string encoding)
    {
        var json = await File.ReadAllBytesAsync(Path.Combine(TestPaths.NpmFixtures, "packuments", "has-package-exports.json"));
        using var compressed = new MemoryStream();
        await using (Stream z = encoding == "gzip" ? new GZipStream(compressed, CompressionLevel.Fastest, true) : new BrotliStream(compressed, CompressionLevel.Fastest, true))
        {
            await z.WriteAsync(json);
        }

        var body = compressed.ToArray();
        await using var registry = await LoopbackRegistry.StartAsync(async (ctx, req) =>
        {
            ctx.Response.Headers.ContentEncoding = encoding;
            await ctx.Response.Body.WriteAsync(body);
        });

        // Both with the production handler (which decompresses) and a bare one (the client does it).
        foreach (var handler in new HttpMessageHandler[] { RegistryClient.CreateDefaultHandler(), new SocketsHttpHandler() })
        {
            using var client = new RegistryClient(handler, NpmConfig.ForRegistry(registry.BaseUrl), null, TimeProvider.System, FastOptions, disposeHandler: true);
            var result = await client.GetPackumentAsync("has-package-exports");
            Assert.True(result.IsOk, result.Error);
            Assert.Equal(11, result.Value.Versions.Count + result.Value.InvalidVersions.Count);
        }
    }

    [Fact]
    public async Task GetPackumentAsync_WhenOfflineAndCached_AnswersWithoutRequest()
    {
        await using var registry = await StartFixtureRegistryAsync();
        using (var online = NewClient(NpmConfig.ForRegistry(registry.BaseUrl)))
        {
            Assert.True((await online.GetPackumentAsync("has-package-exports")).IsOk);
        }

        using var offline = NewClient(NpmConfig.ForRegistry(registry.BaseUrl), FastOptions with { Offline = true });
        var result = await offline.GetPackumentAsync("has-package-exports");

        Assert.True(result.IsOk, result.Error);
        Assert.True(result.FromCache);
        Assert.Single(registry.Requests);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenOfflineAndNotCached_ReturnsNotInCache()
    {
        await using var registry = await StartFixtureRegistryAsync();
        using var offline = NewClient(NpmConfig.ForRegistry(registry.BaseUrl), FastOptions with { Offline = true });

        var result = await offline.GetPackumentAsync("has-package-exports");
        var tarball = await offline.GetTarballAsync(registry.Url("tarballs/tuf-js-1.0.0.tgz"));

        Assert.Equal(RegistryStatus.NotInCache, result.Status);
        Assert.Equal(RegistryStatus.NotInCache, tarball.Status);
        Assert.Empty(registry.Requests);
    }

    [Fact]
    public async Task GetPackumentAsync_WhenManyInParallel_NeverExceedsMaxConcurrency()
    {
        var inFlight = 0;
        var maxInFlight = 0;
        await using var registry = await LoopbackRegistry.StartAsync(async (ctx, req) =>
        {
            var now = Interlocked.Increment(ref inFlight);
            int seen;
            while ((seen = Volatile.Read(ref maxInFlight)) < now && Interlocked.CompareExchange(ref maxInFlight, now, seen) != seen)
            {
            }

            await Task.Delay(50);
            Interlocked.Decrement(ref inFlight);
            ctx.Response.StatusCode = 404;
        });
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl), FastOptions with { MaxConcurrency = 2 });

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => client.GetPackumentAsync($"pkg-{i}")));

        Assert.All(results, r => Assert.Equal(RegistryStatus.NotFound, r.Status));
        Assert.InRange(maxInFlight, 1, 2);
    }

    [Theory]
    [InlineData("sigstore-1.0.0.tgz", "sigstore")]
    [InlineData("tuf-js-1.0.0.tgz", "tuf-js")]
    [InlineData("node-fetch-1.7.1.tgz", "node-fetch")]
    [InlineData("async-2.5.0.tgz", "async")]
    public async Task GetTarballAsync_WhenServed_HashesMatchRecordedIntegrity(string file, string name)
    {
        await using var registry = await StartFixtureRegistryAsync();
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl));
        var expected = SignaturesFixture.IntegrityOf(name);

        var result = await client.GetTarballAsync(registry.Url("tarballs/" + file));

        Assert.True(result.IsOk, result.Error);
        Assert.Equal(expected, result.Value.Hashes.Sha512Integrity);
        Assert.Equal(IntegrityStatus.Match, Integrity.Parse(expected).Check(result.Value.Hashes).Status);
        Assert.Equal(new FileInfo(Path.Combine(TestPaths.NpmFixtures, "tarballs", file)).Length, result.Value.Length);
    }

    [Fact]
    public async Task GetTarballAsync_WhenOfflineAfterDownload_RecomputesHashesFromCache()
    {
        await using var registry = await StartFixtureRegistryAsync();
        var url = registry.Url("tarballs/sigstore-1.0.0.tgz");
        using (var online = NewClient(NpmConfig.ForRegistry(registry.BaseUrl)))
        {
            Assert.True((await online.GetTarballAsync(url)).IsOk);
        }

        using var offline = NewClient(NpmConfig.ForRegistry(registry.BaseUrl), FastOptions with { Offline = true });
        var result = await offline.GetTarballAsync(url);

        Assert.True(result.IsOk, result.Error);
        Assert.True(result.FromCache);
        Assert.Equal(SignaturesFixture.IntegrityOf("sigstore"), result.Value.Hashes.Sha512Integrity);
    }

    [Fact]
    public async Task GetTarballAsync_WhenLargerThanCap_ReturnsInvalidResponse()
    {
        await using var registry = await StartFixtureRegistryAsync();
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl), FastOptions with { MaxTarballBytes = 10_000 });

        var result = await client.GetTarballAsync(registry.Url("tarballs/async-2.5.0.tgz"));

        Assert.Equal(RegistryStatus.InvalidResponse, result.Status);
    }

    [Fact]
    public async Task GetRegistryKeysAsync_WhenServed_ParsesKeys()
    {
        await using var registry = await StartFixtureRegistryAsync();
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl));

        var result = await client.GetRegistryKeysAsync();

        Assert.True(result.IsOk, result.Error);
        var key = Assert.Single(result.Value.Keys);
        Assert.Equal("SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA", key.KeyId);
        Assert.Equal("ecdsa-sha2-nistp256", key.KeyType);
        Assert.Null(key.Expires);
        Assert.Equal(91, key.PublicKeySpki.Length);
        Assert.Equal("/-/npm/v1/keys", Assert.Single(registry.Requests).RawTarget);
    }

    [Fact]
    public async Task GetRegistryKeysAsync_WhenRegistryHasNone_ReturnsNotFound()
    {
        await using var registry = await LoopbackRegistry.StartAsync((ctx, req) =>
        {
            ctx.Response.StatusCode = 404;
            return Task.CompletedTask;
        });
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl));

        Assert.Equal(RegistryStatus.NotFound, (await client.GetRegistryKeysAsync()).Status);
    }

    [Theory]
    [InlineData("sigstore@1.0.0")]
    [InlineData("tuf-js@1.0.0")]
    [InlineData("@sigstore%2fprotobuf-specs@0.2.1")]
    public async Task GetAttestationsAsync_WhenServed_ReturnsPublishAndProvenanceBundles(string target)
    {
        await using var registry = await StartFixtureRegistryAsync();
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl));

        var result = await client.GetAttestationsAsync(registry.Url("-/npm/v1/attestations/" + target));

        Assert.True(result.IsOk, result.Error);
        Assert.Equal(2, result.Value.Attestations.Count);
        Assert.Contains(result.Value.Attestations, a => a.PredicateType == "https://github.com/npm/attestation/tree/main/specs/publish/v0.1");
        Assert.Contains(result.Value.Attestations, a => a.PredicateType.StartsWith("https://slsa.dev/provenance/", StringComparison.Ordinal));
        Assert.All(result.Value.Attestations, a => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(a.BundleJson).RootElement.ValueKind));
    }

    [Fact]
    public async Task GetAttestationsAsync_When404_ReturnsAbsentNotException()
    {
        await using var registry = await StartFixtureRegistryAsync();
        using var client = NewClient(NpmConfig.ForRegistry(registry.BaseUrl));

        var result = await client.GetAttestationsAsync(registry.Url("-/npm/v1/attestations/left-pad@1.0.0"));

        Assert.Equal(RegistryStatus.NotFound, result.Status);
    }
}

/// <summary>An in-memory handler that records requests and answers from a function.</summary>
internal sealed class CapturingHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
{
    public List<HttpRequestMessage> Requests { get; } = [];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Add(request);
        var response = respond(request);
        response.RequestMessage = request;
        return Task.FromResult(response);
    }
}

/// <summary>Reads shared/fixtures/npm/signatures.json.</summary>
internal static class SignaturesFixture
{
    public static string IntegrityOf(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.NpmFixtures, "signatures.json")));
        return doc.RootElement.EnumerateArray().First(e => e.GetProperty("name").GetString() == name).GetProperty("integrity").GetString()!;
    }
}
