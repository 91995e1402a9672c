using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Vouch.Advisories.Check;
using Vouch.Audit;
using Vouch.Cli.Commands;
using Vouch.Cli.Composition;
using Vouch.Npm;
using Vouch.Sandbox;

namespace Vouch.Cli.Tests;

/// <summary>
/// `vouch check` warm runs (issue 15): verified evidence comes from the sealed evidence cache and the
/// packuments from the HTTP cache within --max-age, so a warm run makes no request at all, and its
/// findings equal the cold run's. Requests are counted at the HttpMessageHandler the registry client uses.
/// </summary>
public sealed class CheckEvidenceCacheTests : IAsyncLifetime
{
    // A small tree: provenance (Sigstore bundle + publish attestation) and token (signature) publishes,
    // a shared dependency, and a second version so the release-line checks have a predecessor.
    private const string ScenarioYaml = """
        name: check-cache
        packages:
          - name: cache-root
            repository: test/cache-root
            versions:
              - version: 1.0.0
                published: -400d
                publisher: provenance
                dependencies: { cache-a: "^1.0.0", cache-b: "^1.0.0" }
          - name: cache-a
            repository: test/cache-a
            versions:
              - version: 1.0.0
                published: -300d
                publisher: provenance
              - version: 1.1.0
                published: -200d
                publisher: token
                dependencies: { cache-c: "^1.0.0" }
          - name: cache-b
            repository: test/cache-b
            versions:
              - version: 1.0.0
                published: -300d
                publisher: token
                dependencies: { cache-c: "^1.0.0" }
                scripts: { postinstall: "node setup.js" }
          - name: cache-c
            repository: test/cache-c
            versions:
              - version: 1.0.0
                published: -300d
                publisher: provenance
        """;

    private static readonly PackageSpec[] Specs = [PackageSpec.Parse("cache-root@1.0.0")];

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-check-cache-");
    private SandboxRegistry _sandbox = null!;

    private string Cache => Path.Combine(_dir.FullName, "cache");

    public async Task InitializeAsync() => _sandbox = await SandboxRegistry.StartAsync(Scenario.Parse(ScenarioYaml, "check-cache"), new SandboxOptions());

    public async Task DisposeAsync()
    {
        await _sandbox.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private sealed class Counting() : DelegatingHandler(RegistryClient.CreateDefaultHandler())
    {
        public ConcurrentQueue<string> Requests { get; } = new();

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Enqueue(request.RequestUri!.AbsolutePath);
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>The system clock moved by a fixed offset (a later run without waiting).</summary>
    private sealed class Later(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }

    private async Task<(CheckReport Report, List<string> Requests)> Check(TimeSpan maxAge, TimeProvider? time = null)
    {
        var handler = new Counting();
        var settings = new ServiceSettings { Registry = _sandbox.Url, CacheDirectory = Cache, TrustedRootFile = _sandbox.TrustedRootPath, HttpCacheMaxAge = maxAge };
        using var services = VouchServices.Create(settings, time ?? TimeProvider.System, handler);
        var report = await CheckCommand.RunAsync(services, null, PopularNames.Shipped(), Specs, ProjectContext.Empty, new CheckOptions(), CancellationToken.None);
        Assert.Empty(report.NetworkErrors);
        return (report, [.. handler.Requests]);
    }

    private static string Findings(CheckReport report) => JsonSerializer.Serialize(
        report.Packages.Select(p => new { p.Name, Version = p.Version.ToString(), p.Depth, Findings = p.Findings.Select(f => $"{f.Code} {f.Level} {f.Reason}") })
            .Append(new { Name = "", Version = "", Depth = -1, Findings = report.General.Select(f => $"{f.Code} {f.Level} {f.Reason}") }));

    [Fact]
    public async Task RunAsync_WhenWarmWithinMaxAge_MakesNoRequestAndFindsTheSame()
    {
        var (cold, coldRequests) = await Check(TimeSpan.FromMinutes(5));
        Assert.Equal(4, cold.Packages.Count);
        Assert.Contains(cold.Packages, p => p.Findings.Count > 0);
        Assert.Contains(coldRequests, r => r.EndsWith(".tgz", StringComparison.Ordinal));
        Assert.Equal(0, cold.Freshness.FromCacheUnasked);

        var (warm, warmRequests) = await Check(TimeSpan.FromMinutes(5));

        Assert.Empty(warmRequests);
        Assert.Equal(Findings(cold), Findings(warm));
        Assert.Equal(4, warm.Freshness.Packuments);
        Assert.Equal(4, warm.Freshness.FromCacheUnasked);
        Assert.True(warm.Freshness.OldestConfirmedAt <= DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task RunAsync_WhenMaxAgePassed_RevalidatesPackumentsButVerifiesNothingAgain()
    {
        var (cold, _) = await Check(TimeSpan.FromMinutes(5));

        var (late, requests) = await Check(TimeSpan.FromMinutes(5), new Later(TimeSpan.FromMinutes(6)));

        // The four packuments and the registry's key list are asked again; no tarball, no attestation.
        Assert.Equal(5, requests.Count);
        Assert.DoesNotContain(requests, r => r.EndsWith(".tgz", StringComparison.Ordinal) || r.Contains("attestations", StringComparison.Ordinal));
        Assert.Equal(Findings(cold), Findings(late));
        Assert.Equal(0, late.Freshness.FromCacheUnasked);

        // The registry's answer (200, or 304 re-dating the copy) starts the max-age again.
        var (_, next) = await Check(TimeSpan.FromMinutes(5), new Later(TimeSpan.FromMinutes(8)));
        Assert.Empty(next);
    }

    [Fact]
    public async Task RunAsync_WhenCachedCopyIsDatedInTheFuture_RevalidatesIt()
    {
        await Check(TimeSpan.FromMinutes(5), new Later(TimeSpan.FromMinutes(10)));

        var (_, requests) = await Check(TimeSpan.FromMinutes(5));

        Assert.Equal(5, requests.Count);
    }

    [Fact]
    public async Task RunAsync_WhenMaxAgeZero_RevalidatesEveryPackument()
    {
        await Check(TimeSpan.FromMinutes(5));

        var (_, requests) = await Check(TimeSpan.Zero);

        Assert.Equal(5, requests.Count);
        Assert.DoesNotContain(requests, r => r.EndsWith(".tgz", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_WhenEvidenceEntryEdited_RefusesItAndVerifiesAgain()
    {
        var (cold, _) = await Check(TimeSpan.FromMinutes(5));
        var entry = await EntryPath("cache-b", "1.0.0");
        var original = File.ReadAllBytes(entry);
        var text = Encoding.UTF8.GetString(original);

        // A failure turned into a pass would need the opposite edit; any edit must break the seal.
        Assert.Contains("\"verified\"", text, StringComparison.Ordinal);
        File.WriteAllBytes(entry, Encoding.UTF8.GetBytes(text.Replace("\"verified\"", "\"absent\"", StringComparison.Ordinal)));

        // --max-age 0, so that a verification shows at the handler (a fresh cached tarball would be read without a request).
        var (warm, requests) = await Check(TimeSpan.Zero);

        // Only that version is verified again (its tarball; it has no attestations), and it finds what the cold run found.
        Assert.Equal(["/cache-b/-/cache-b-1.0.0.tgz"], Tarballs(requests));
        Assert.Equal(Findings(cold), Findings(warm));

        // The re-verification rewrote a good entry: the next run verifies nothing.
        Assert.Equal(original, File.ReadAllBytes(entry));
        var (_, again) = await Check(TimeSpan.Zero);
        Assert.Empty(Tarballs(again));
    }

    [Fact]
    public async Task RunAsync_WhenEditedEntryHidesADowngrade_RefusesItAndStillReportsTheDowngrade()
    {
        var (cold, _) = await Check(TimeSpan.FromMinutes(5));
        Assert.Contains(cold.Packages.Single(p => p.Name == "cache-a").Findings, f => f.Code == CheckCodes.TrustDowngrade);
        var entry = await EntryPath("cache-a", "1.1.0");
        var sealedText = File.ReadAllText(entry);

        // The attacker's edit: the token publish claims verified provenance, as its predecessor had.
        var level = JsonSerializer.Serialize(Vouch.Provenance.EvidenceLevel.Provenance, EvidenceJson).Trim('"');
        var edited = System.Text.RegularExpressions.Regex.Replace(sealedText, "\"evidenceLevel\":\"[A-Za-z]+\"", $"\"evidenceLevel\":\"{level}\"");
        Assert.NotEqual(sealedText, edited);
        File.WriteAllText(entry, edited);

        var (warm, requests) = await Check(TimeSpan.Zero);

        Assert.Equal(["/cache-a/-/cache-a-1.1.0.tgz"], Tarballs(requests));
        Assert.Equal(Findings(cold), Findings(warm));
        Assert.Contains(warm.Packages.Single(p => p.Name == "cache-a").Findings, f => f.Code == CheckCodes.TrustDowngrade);
    }

    private static readonly JsonSerializerOptions EvidenceJson = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private static List<string> Tarballs(List<string> requests) => [.. requests.Where(r => r.EndsWith(".tgz", StringComparison.Ordinal))];

    [Fact]
    public async Task RunAsync_WhenEntryCopiedOverAnotherVersion_RefusesIt()
    {
        var (cold, _) = await Check(TimeSpan.FromMinutes(5));
        var provenance = await EntryPath("cache-c", "1.0.0");
        var token = await EntryPath("cache-b", "1.0.0");

        // cache-c's entry (provenance) under cache-b's name: the seal covers the key, so it does not open there.
        File.Copy(provenance, token, overwrite: true);
        var (warm, requests) = await Check(TimeSpan.Zero);

        Assert.Equal(["/cache-b/-/cache-b-1.0.0.tgz"], Tarballs(requests));
        Assert.Equal(Findings(cold), Findings(warm));
    }

    [Fact]
    public async Task Check_WhenMaxAgeAndPreferOnlineBoth_FailsWithUsage()
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var exit = await VouchCli.RunAsync(["check", "cache-root@1.0.0", "--registry", _sandbox.Url.ToString(), "--cache-dir", Cache, "--max-age", "5m", "--prefer-online"], o, e);
        Assert.Equal(2, exit);
        Assert.Contains("exclude each other", e.ToString(), StringComparison.Ordinal);

        exit = await VouchCli.RunAsync(["check", "cache-root@1.0.0", "--registry", _sandbox.Url.ToString(), "--cache-dir", Cache, "--max-age", "5 minutes"], o, e);
        Assert.Equal(2, exit);
    }

    [Fact]
    public async Task Check_WhenRunTwice_SaysHowFreshTheRegistryDataIs()
    {
        string[] args = ["check", "cache-root@1.0.0", "--registry", _sandbox.Url.ToString(), "--trusted-root", _sandbox.TrustedRootPath, "--cache-dir", Cache,
            "--project", Directory.CreateDirectory(Path.Combine(_dir.FullName, "project")).FullName];
        await VouchCli.RunAsync(args, new StringWriter(), new StringWriter());

        var o = new StringWriter();
        var exit = await VouchCli.RunAsync([.. args, "--json"], o, new StringWriter());

        Assert.True(exit is 0 or 1, o.ToString());
        var data = JsonDocument.Parse(o.ToString()).RootElement.GetProperty("registryData");
        Assert.Equal(4, data.GetProperty("packuments").GetInt32());
        Assert.Equal(4, data.GetProperty("fromCacheUnasked").GetInt32());
        Assert.Equal(300, data.GetProperty("maxAgeSeconds").GetInt64());
        Assert.True(data.GetProperty("oldestConfirmedAt").GetDateTimeOffset() <= DateTimeOffset.UtcNow);
    }

    // Where the evidence of name@version is kept, found the way the adapter keys it.
    private async Task<string> EntryPath(string name, string version)
    {
        var settings = new ServiceSettings { Registry = _sandbox.Url, CacheDirectory = Cache, TrustedRootFile = _sandbox.TrustedRootPath, HttpCacheMaxAge = TimeSpan.MaxValue };
        using var services = VouchServices.Create(settings);
        var keys = await services.Verifier.KeysAsync(CancellationToken.None);
        var packument = (await services.Registry.GetPackumentAsync(name)).Value!;
        var cache = new EvidenceCache(CheckCommand.VerifierTrust.EvidenceDirectory(services.CacheDirectory), EvidenceCache.Fingerprint(services.Verifier.Sigstore.TrustedRoot, keys));
        var path = cache.PathFor(_sandbox.Url, name, version, packument.Versions[version].Dist.Integrity);
        Assert.True(File.Exists(path), path);
        return path;
    }
}
