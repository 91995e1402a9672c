using System.Text;
using System.Text.Json.Nodes;
using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Provenance;

namespace Vouch.Audit.Tests;

/// <summary>
/// The evidence cache with the policy's immutable facts: warm audits judge without packuments, stale
/// facts are revalidated from the abbreviated document only, edited or moved entries are misses (a
/// failing package stays failing), and audits sharing a cache at once leave it whole.
/// </summary>
public sealed class PolicyFactsCacheTests : IAsyncLifetime
{
    private readonly DirectoryInfo _cache = Directory.CreateTempSubdirectory("vouch-audit-facts-");
    private AuditRegistry _registry = null!;

    public async Task InitializeAsync() => _registry = await AuditRegistry.StartAsync();

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _cache.Delete(recursive: true);
    }

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static Lockfile Lock(params LockfilePackage[] packages) => new() { Path = "package-lock.json", Format = LockfileFormat.NpmV3, Packages = packages };

    /// <summary>
    /// A policy shaped like the built-in one where it reads history: a version without verified
    /// provenance fails when a lower version published before it had attestations, and a
    /// deprecated version fails.
    /// </summary>
    private static PolicyOutcome DowngradePolicy(PolicyInput input)
    {
        var findings = new List<AuditFinding>();
        var packument = input.Packument!;
        var candidate = packument.Versions[input.Report.Version];
        var history = History(packument, candidate);
        if (input.Report.Provenance.Status != EvidenceStatus.Verified && history.Any(v => v.Dist.Attestations is not null))
        {
            findings.Add(new AuditFinding("TEST_DOWNGRADE", AuditSeverity.Error, FindingSource.Policy, "weaker than before"));
        }

        if (candidate.Deprecated is not null)
        {
            findings.Add(new AuditFinding("TEST_DEPRECATED", AuditSeverity.Error, FindingSource.Policy, candidate.Deprecated));
        }

        return new PolicyOutcome(findings, findings.Count == 0);
    }

    private static IReadOnlyList<PackageVersion> History(Packument p, PackageVersion v) =>
        [.. p.Versions.Values.Where(x => x.Version.CompareTo(v.Version) < 0 && (!p.Time.TryGetValue(x.Version.Version, out var t) || !p.Time.TryGetValue(v.Version.Version, out var c) || t < c))];

    private AuditOptions Options(TimeProvider? time = null, TimeSpan? maxAge = null) => new()
    {
        EvidenceCacheDirectory = _cache.FullName,
        Policy = DowngradePolicy,
        PolicyNeedsPackument = true,
        PolicyHistory = History,
        Time = time ?? TimeProvider.System,
        MaxAge = maxAge ?? AuditOptions.DefaultMaxAge,
    };

    private async Task<AuditReport> Audit(Lockfile lockfile, AuditOptions options)
    {
        using var client = _registry.Client();
        return await new AuditPipeline(client, _registry.Verifier(client), options).RunAsync(lockfile);
    }

    private static string Codes(AuditEntry e) => string.Join(",", e.Findings.Select(f => f.Code));

    /// <summary>A provenance-bearing 1.0.0, then 1.1.0 without: 1.1.0 is a downgrade.</summary>
    private (LockfilePackage Good, LockfilePackage Downgrade) Downgrade(string name = "widget")
    {
        var good = _registry.Publish(name, "1.0.0", AuditPipelineTests.Widget);
        var bad = _registry.Publish(name, "1.1.0");
        return (_registry.Entry(good, 1), _registry.Entry(bad, 2));
    }

    [Fact]
    public async Task Run_WhenFactsAreCachedAndFresh_FetchesNoPackumentAndDecidesAlike()
    {
        var (good, bad) = Downgrade();
        var lockfile = Lock(good, bad);
        var first = await Audit(lockfile, Options());
        var fetchesAfterFirst = _registry.Count("packument-");

        var second = await Audit(lockfile, Options());

        Assert.True(fetchesAfterFirst > 0);
        Assert.Equal(fetchesAfterFirst, _registry.Count("packument-"));
        Assert.All(second.Entries, e => Assert.True(e.FromCache));
        Assert.Equal(first.Entries.Select(e => (e.Id, e.Status, Codes(e))), second.Entries.Select(e => (e.Id, e.Status, Codes(e))));
        Assert.Equal("TEST_DOWNGRADE", Codes(second.Entries.Single(e => e.Package.Version == "1.1.0")));
        Assert.Equal(AuditStatus.Passed, second.Entries.Single(e => e.Package.Version == "1.0.0").Status);
    }

    [Fact]
    public async Task Run_WhenFactsAreOlderThanMaxAge_RevalidatesDeprecationFromTheAbbreviatedPackumentOnly()
    {
        var p = _registry.Publish("plain", "1.0.0");
        var lockfile = Lock(_registry.Entry(p, 1));
        var clock = new Clock(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(AuditStatus.Passed, (await Audit(lockfile, Options(clock))).Entries.Single().Status);
        var full = _registry.Count("packument-full");

        p.Deprecated = "use plain2";
        clock.Now += TimeSpan.FromMinutes(1);
        var withinMaxAge = (await Audit(lockfile, Options(clock))).Entries.Single();
        clock.Now += AuditOptions.DefaultMaxAge;
        var afterMaxAge = (await Audit(lockfile, Options(clock))).Entries.Single();

        // Within the max-age the cached answer stands; after it the deprecation is seen, without a full document.
        Assert.Equal(AuditStatus.Passed, withinMaxAge.Status);
        Assert.Equal("TEST_DEPRECATED", Codes(afterMaxAge));
        Assert.Equal(full, _registry.Count("packument-full"));
        Assert.Equal(1, _registry.Count("packument-abbreviated"));
    }

    [Fact]
    public async Task Run_WhenMaxAgeIsZero_RevalidatesOnEveryRun()
    {
        var p = _registry.Publish("plain", "1.0.0");
        var lockfile = Lock(_registry.Entry(p, 1));
        await Audit(lockfile, Options(maxAge: TimeSpan.Zero));

        await Audit(lockfile, Options(maxAge: TimeSpan.Zero));
        await Audit(lockfile, Options(maxAge: TimeSpan.Zero));

        Assert.Equal(2, _registry.Count("packument-abbreviated"));
    }

    [Fact]
    public async Task Run_WhenACachedEvidenceEntryIsEdited_TheFailingPackageStillFails()
    {
        var unsigned = _registry.Publish("unsigned", "1.0.0", sign: false);
        var lockfile = Lock(_registry.Entry(unsigned, 1));
        var first = (await Audit(lockfile, Options())).Entries.Single();
        Assert.Equal(AuditStatus.Failed, first.Status);
        Assert.Contains(AuditCodes.SignatureMissing, Codes(first));

        // The attacker's edit: the signature "verified".
        var path = await EntryPath(lockfile.Packages[0]);
        var (mac, json) = Split(File.ReadAllBytes(path));
        var edited = Encoding.UTF8.GetBytes(json.Replace("\"status\":\"absent\"", "\"status\":\"verified\"", StringComparison.Ordinal));
        Assert.NotEqual(json, Encoding.UTF8.GetString(edited));
        File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes(mac + "\n"), .. edited]);

        var afterEdit = (await Audit(lockfile, Options())).Entries.Single();

        Assert.Equal(AuditStatus.Failed, afterEdit.Status);
        Assert.False(afterEdit.FromCache);
        Assert.Contains(AuditCodes.SignatureMissing, Codes(afterEdit));

        // Control: the same edit sealed with the cache's key (what only a holder of the key can do) is
        // accepted and passes, so the seal is what refused the edit above.
        File.WriteAllBytes(path, CacheSeal.Open(_cache.FullName).Seal(await KeyOf(lockfile.Packages[0]), edited));
        var resealed = (await Audit(lockfile, Options())).Entries.Single();
        Assert.True(resealed.FromCache);
        Assert.Equal(AuditStatus.Passed, resealed.Status);
    }

    [Fact]
    public async Task Run_WhenCachedHistoryIsEdited_TheDowngradeStillFails()
    {
        var (good, bad) = Downgrade();
        var lockfile = Lock(good, bad);
        Assert.Equal("TEST_DOWNGRADE", Codes((await Audit(lockfile, Options())).Entries.Single(e => e.Package.Version == "1.1.0")));

        // The attacker's edit: the predecessor's attestations erased from the recorded history.
        var path = await EntryPath(bad);
        var (mac, json) = Split(File.ReadAllBytes(path));
        var node = JsonNode.Parse(json)!;
        var history = node["facts"]!["history"]!.AsArray();
        Assert.NotEmpty(history);
        foreach (var h in history)
        {
            h!.AsObject().Remove("attestationsUrl");
        }

        var edited = Encoding.UTF8.GetBytes(node.ToJsonString());
        File.WriteAllBytes(path, [.. Encoding.ASCII.GetBytes(mac + "\n"), .. edited]);
        var fetches = _registry.Count("packument-full");

        var afterEdit = (await Audit(lockfile, Options())).Entries.Single(e => e.Package.Version == "1.1.0");

        Assert.Equal("TEST_DOWNGRADE", Codes(afterEdit));
        Assert.False(afterEdit.FromCache);
        Assert.True(_registry.Count("packument-full") > fetches);

        // Control: sealed with the key, the edited history would pass the downgrade.
        File.WriteAllBytes(path, CacheSeal.Open(_cache.FullName).Seal(await KeyOf(bad), edited));
        Assert.Equal(AuditStatus.Passed, (await Audit(lockfile, Options())).Entries.Single(e => e.Package.Version == "1.1.0").Status);
    }

    [Fact]
    public async Task Run_WhenAnEntryIsCopiedOverAnotherVersionsEntry_ItIsAMiss()
    {
        var (good, bad) = Downgrade();
        var lockfile = Lock(good, bad);
        await Audit(lockfile, Options());

        // The passing version's (validly sealed) entry in the failing version's place.
        File.Copy(await EntryPath(good), await EntryPath(bad), overwrite: true);
        var after = (await Audit(lockfile, Options())).Entries.Single(e => e.Package.Version == "1.1.0");

        Assert.False(after.FromCache);
        Assert.Equal("TEST_DOWNGRADE", Codes(after));
    }

    [Fact]
    public async Task Run_WhenTheSealKeyIsReplaced_EveryEntryIsAMiss()
    {
        var p = _registry.Publish("plain", "1.0.0");
        var lockfile = Lock(_registry.Entry(p, 1));
        await Audit(lockfile, Options());

        File.WriteAllBytes(Path.Combine(_cache.FullName, "seal.key"), new byte[32]);
        var after = (await Audit(lockfile, Options())).Entries.Single();

        Assert.False(after.FromCache);
        Assert.Equal(AuditStatus.Passed, after.Status);
    }

    [Fact]
    public async Task Run_WhenFourAuditsShareAnEmptyCacheConcurrently_EveryEntryOpensAfterwards()
    {
        var packages = new List<LockfilePackage>();
        for (var i = 0; i < 24; i++)
        {
            var (good, bad) = Downgrade($"pkg{i}");
            packages.Add(good with { Line = i * 2 });
            packages.Add(bad with { Line = (i * 2) + 1 });
        }

        var lockfile = Lock([.. packages]);

        // Four pipelines (four seals opened at once on an empty directory, racing on the key and every entry).
        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Audit(lockfile, Options()))));
        var expected = runs[0].Entries.Select(e => (e.Id, e.Status, Codes(e))).ToList();
        Assert.All(runs, r => Assert.Equal(expected, r.Entries.Select(e => (e.Id, e.Status, Codes(e)))));

        // Whatever key won, entries written under a losing key are misses that the next run rewrites;
        // none is ever read as something else: after one more run every entry opens and decides alike.
        await Audit(lockfile, Options());
        var fetches = _registry.Count("packument-");
        var warm = await Audit(lockfile, Options());

        Assert.All(warm.Entries, e => Assert.True(e.FromCache, e.Id));
        Assert.Equal(fetches, _registry.Count("packument-"));
        Assert.Equal(expected, warm.Entries.Select(e => (e.Id, e.Status, Codes(e))));
        Assert.Equal(24, warm.Entries.Count(e => Codes(e) == "TEST_DOWNGRADE"));
        Assert.DoesNotContain(Directory.EnumerateFiles(_cache.FullName, "*", SearchOption.AllDirectories), f => Path.GetFileName(f).StartsWith('.'));
    }

    [Fact]
    public async Task Run_WithoutPolicy_UsesEntriesWrittenByAPolicyRun()
    {
        var (good, _) = Downgrade();
        var lockfile = Lock(good);
        await Audit(lockfile, Options());
        var fetches = _registry.Count("packument-");

        var plain = (await Audit(lockfile, new AuditOptions { EvidenceCacheDirectory = _cache.FullName })).Entries.Single();

        Assert.True(plain.FromCache);
        Assert.Equal(fetches, _registry.Count("packument-"));
    }

    [Fact]
    public async Task Run_WithPolicy_ReverifiesEntriesWrittenFromAnAbbreviatedPackument()
    {
        var p = _registry.Publish("plain", "1.0.0");
        var lockfile = Lock(_registry.Entry(p, 1));
        await Audit(lockfile, new AuditOptions { EvidenceCacheDirectory = _cache.FullName });

        var judged = (await Audit(lockfile, Options())).Entries.Single();

        // The abbreviated document has no publish time or _npmUser: not evidence a policy may judge on.
        Assert.False(judged.FromCache);
        Assert.NotNull(judged.Report!.PublishTime);
    }

    // The fingerprint the pipeline keys entries with: the keys the verifier trusts for this registry.
    private async Task<string> Fingerprint()
    {
        using var client = _registry.Client();
        return EvidenceCache.Fingerprint(_registry.TrustedRoot, await _registry.Verifier(client).KeysAsync(CancellationToken.None));
    }

    private async Task<string> KeyOf(LockfilePackage p) =>
        string.Join('\n', EvidenceCache.LogicVersion, await Fingerprint(), _registry.BaseUrl.AbsoluteUri, p.Name, p.Version, p.Integrity ?? "");

    private async Task<string> EntryPath(LockfilePackage p)
    {
        var path = new EvidenceCache(_cache.FullName, await Fingerprint()).PathFor(_registry.BaseUrl, p.Name, p.Version, p.Integrity);
        Assert.True(File.Exists(path), $"no cache entry for {p.Name}@{p.Version}");
        return path;
    }

    private static (string Mac, string Json) Split(byte[] content)
    {
        var text = Encoding.UTF8.GetString(content);
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        return (text[..newline], text[(newline + 1)..]);
    }
}
