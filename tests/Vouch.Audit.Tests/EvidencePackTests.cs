using System.Text;
using System.Text.Json.Nodes;
using Vouch.Npm;
using Vouch.Npm.Lockfiles;

namespace Vouch.Audit.Tests;

/// <summary>
/// One sealed evidence pack per lockfile: a warm audit reads it alone; an edited, truncated,
/// swapped, renamed or foreign pack is a miss (the failing package still fails); a changed lockfile
/// reuses the entries that still match; audits saving the same pack at once leave a whole one.
/// </summary>
public sealed class EvidencePackTests : IAsyncLifetime
{
    private readonly DirectoryInfo _cache = Directory.CreateTempSubdirectory("vouch-audit-pack-");
    private AuditRegistry _registry = null!;

    public async Task InitializeAsync() => _registry = await AuditRegistry.StartAsync();

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _cache.Delete(recursive: true);
    }

    private string LockPath(string project = "app") => Path.Combine(_cache.FullName, "projects", project, "package-lock.json");

    private Lockfile Lock(string project, params LockfilePackage[] packages) => new() { Path = LockPath(project), Format = LockfileFormat.NpmV3, Packages = packages };

    private string CacheDir => Path.Combine(_cache.FullName, "cache");

    private AuditOptions Options(string? cacheDir = null, TimeProvider? time = null) => new() { EvidenceCacheDirectory = cacheDir ?? CacheDir, EvidencePack = true, Time = time ?? TimeProvider.System };

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private async Task<AuditReport> Audit(Lockfile lockfile, AuditOptions? options = null)
    {
        using var client = _registry.Client();
        return await new AuditPipeline(client, _registry.Verifier(client), options ?? Options()).RunAsync(lockfile);
    }

    private static string Codes(AuditEntry e) => string.Join(",", e.Findings.Select(f => f.Code));

    private string PackPath(string project = "app", string? cacheDir = null) =>
        Directory.GetFiles(Path.Combine(cacheDir ?? CacheDir, "packs"), "*.pack").Single(f => f == EvidencePack.Open(cacheDir ?? CacheDir, CacheSeal.Open(cacheDir ?? CacheDir), LockPath(project), null).FilePath);

    private static (string Mac, JsonNode Payload) Split(string path)
    {
        var text = File.ReadAllText(path);
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        return (text[..newline], JsonNode.Parse(text[(newline + 1)..])!);
    }

    private void Reseal(string path, string project, string payload) =>
        File.WriteAllBytes(path, CacheSeal.Open(CacheDir).Seal(EvidencePack.SealKeyFor(LockPath(project)), Encoding.UTF8.GetBytes(payload)));

    /// <summary>An unsigned version (fails: the registry signs) and a signed one (passes).</summary>
    private (LockfilePackage Bad, LockfilePackage Good) Pair()
    {
        var bad = _registry.Publish("unsigned", "1.0.0", sign: false);
        var good = _registry.Publish("plain", "1.0.0");
        return (_registry.Entry(bad, 1), _registry.Entry(good, 2));
    }

    [Fact]
    public async Task Run_WithPacks_WritesOnePackNoEntryFilesAndAWarmRunRewritesNothing()
    {
        var (bad, good) = Pair();
        var lockfile = Lock("app", bad, good);
        var cold = await Audit(lockfile);
        var path = PackPath();
        var written = File.GetLastWriteTimeUtc(path);
        var requests = _registry.Count("packument-");

        var warm = await Audit(lockfile);

        Assert.Empty(Directory.GetFiles(CacheDir, "*.json", SearchOption.AllDirectories));
        Assert.All(warm.Entries, e => Assert.True(e.FromCache, e.Id));
        Assert.Equal(requests, _registry.Count("packument-"));
        Assert.Equal(cold.Entries.Select(e => (e.Id, e.Status, Codes(e))), warm.Entries.Select(e => (e.Id, e.Status, Codes(e))));
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        Assert.Equal(2, Split(path).Payload["entries"]!.AsArray().Count);
    }

    [Fact]
    public async Task Run_WhenAPackIsEdited_TheFailingPackageStillFails()
    {
        var (bad, good) = Pair();
        var lockfile = Lock("app", bad, good);
        Assert.Contains(AuditCodes.SignatureMissing, Codes((await Audit(lockfile)).Entries.Single(e => e.Package.Name == "unsigned")));
        var path = PackPath();
        var (mac, payload) = Split(path);
        var edited = payload.ToJsonString().Replace("\"status\":\"absent\"", "\"status\":\"verified\"", StringComparison.Ordinal);
        Assert.NotEqual(payload.ToJsonString(), edited);
        File.WriteAllText(path, mac + "\n" + edited);

        var afterEdit = await Audit(lockfile);

        Assert.All(afterEdit.Entries, e => Assert.False(e.FromCache, e.Id));
        Assert.Equal(AuditStatus.Failed, afterEdit.Entries.Single(e => e.Package.Name == "unsigned").Status);

        // Control: the same edit sealed with the cache's key (what only a holder of the key can do)
        // is accepted, so the seal is what refused it above.
        Reseal(path, "app", edited);
        var resealed = (await Audit(lockfile)).Entries.Single(e => e.Package.Name == "unsigned");
        Assert.True(resealed.FromCache);
        Assert.Equal(AuditStatus.Passed, resealed.Status);
    }

    [Fact]
    public async Task Run_WhenOneByteOfThePackIsFlipped_EveryEntryIsAMiss()
    {
        var (bad, good) = Pair();
        var lockfile = Lock("app", bad, good);
        await Audit(lockfile);
        var path = PackPath();
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var again = await Audit(lockfile);

        Assert.All(again.Entries, e => Assert.False(e.FromCache, e.Id));
        Assert.Equal(AuditStatus.Failed, again.Entries.Single(e => e.Package.Name == "unsigned").Status);

        // Rewritten whole: the next run opens it.
        Assert.All((await Audit(lockfile)).Entries, e => Assert.True(e.FromCache, e.Id));
    }

    [Fact]
    public async Task Run_WhenPackEntriesAreSwapped_EachIsAMissEvenResealed()
    {
        var (bad, good) = Pair();
        var lockfile = Lock("app", bad, good);
        await Audit(lockfile);
        var path = PackPath();
        var (mac, payload) = Split(path);
        var entries = payload["entries"]!.AsArray();
        var (first, second) = (entries[0]!["value"]!.DeepClone(), entries[1]!["value"]!.DeepClone());
        entries[0]!["value"] = second;
        entries[1]!["value"] = first;
        var swapped = payload.ToJsonString();

        File.WriteAllText(path, mac + "\n" + swapped);
        var unsealed = await Audit(lockfile);
        Assert.All(unsealed.Entries, e => Assert.False(e.FromCache, e.Id));

        // Sealed with the key, the passing package's entry under the failing one's key is still not
        // used for it: every entry must be about the name, version and integrity it is looked up for.
        await Audit(lockfile);
        (mac, payload) = Split(path);
        entries = payload["entries"]!.AsArray();
        (first, second) = (entries[0]!["value"]!.DeepClone(), entries[1]!["value"]!.DeepClone());
        entries[0]!["value"] = second;
        entries[1]!["value"] = first;
        Reseal(path, "app", payload.ToJsonString());
        var resealed = await Audit(lockfile);
        Assert.All(resealed.Entries, e => Assert.False(e.FromCache, e.Id));
        Assert.Equal(AuditStatus.Failed, resealed.Entries.Single(e => e.Package.Name == "unsigned").Status);
    }

    [Fact]
    public async Task Run_WhenThePackIsTruncated_ItIsAMissAndRewritten()
    {
        var (bad, good) = Pair();
        var lockfile = Lock("app", bad, good);
        await Audit(lockfile);
        var path = PackPath();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 10)]);

        var again = await Audit(lockfile);

        Assert.All(again.Entries, e => Assert.False(e.FromCache, e.Id));
        Assert.True(new FileInfo(path).Length > bytes.Length - 10);
        Assert.All((await Audit(lockfile)).Entries, e => Assert.True(e.FromCache, e.Id));
    }

    [Fact]
    public async Task Run_WhenThePackComesFromAnotherCacheOrLockfile_ItDoesNotOpen()
    {
        var (bad, good) = Pair();
        var lockfile = Lock("app", bad, good);
        var other = Path.Combine(_cache.FullName, "other-cache");
        await Audit(lockfile, Options(other));
        await Audit(Lock("second", bad, good));

        // The other cache's pack (another key) copied into place.
        File.Copy(PackPath(cacheDir: other), Path.Combine(CacheDir, "packs", Path.GetFileName(PackPath(cacheDir: other))), overwrite: true);
        Assert.All((await Audit(lockfile)).Entries, e => Assert.False(e.FromCache, e.Id));

        // Another lockfile's pack (same key, another path) renamed over this one's.
        File.Copy(PackPath("second"), PackPath("app"), overwrite: true);
        Assert.All((await Audit(lockfile)).Entries, e => Assert.False(e.FromCache, e.Id));

        // Control: left alone, this lockfile's pack opens.
        Assert.All((await Audit(lockfile)).Entries, e => Assert.True(e.FromCache, e.Id));
    }

    [Fact]
    public async Task Run_WhenTheLockfileChanges_MatchingEntriesAreReusedAndDroppedOnesLeaveThePack()
    {
        var (bad, good) = Pair();
        var added = _registry.Entry(_registry.Publish("added", "1.0.0"), 3);
        await Audit(Lock("app", bad, good));

        var changed = await Audit(Lock("app", good, added));

        Assert.True(changed.Entries.Single(e => e.Package.Name == "plain").FromCache);
        Assert.False(changed.Entries.Single(e => e.Package.Name == "added").FromCache);
        Assert.Equal(2, Split(PackPath()).Payload["entries"]!.AsArray().Count);
        Assert.False((await Audit(Lock("app", bad, good))).Entries.Single(e => e.Package.Name == "unsigned").FromCache);
    }

    [Fact]
    public async Task Run_WhenAnOldPerEntryCacheExists_ItsEntriesAreReadIntoThePack()
    {
        var (bad, good) = Pair();
        var lockfile = Lock("app", bad, good);
        await Audit(lockfile, new AuditOptions { EvidenceCacheDirectory = CacheDir });
        Assert.Equal(2, Directory.GetFiles(CacheDir, "*.json", SearchOption.AllDirectories).Length);
        var requests = _registry.Count("packument-");

        var packed = await Audit(lockfile);

        Assert.All(packed.Entries, e => Assert.True(e.FromCache, e.Id));
        Assert.Equal(requests, _registry.Count("packument-"));
        Assert.Equal(2, Split(PackPath()).Payload["entries"]!.AsArray().Count);
    }

    [Fact]
    public async Task Run_WhenAuditsSaveOnePackAtOnce_TheSurvivorIsWhole()
    {
        var packages = Enumerable.Range(0, 12).Select(i => _registry.Entry(_registry.Publish($"pkg{i}", "1.0.0"), i)).ToArray();
        var lockfile = Lock("app", packages);

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Audit(lockfile))));
        Assert.All(runs, r => Assert.All(r.Entries, e => Assert.Equal(AuditStatus.Passed, e.Status)));

        var requests = _registry.Count("packument-");
        var warm = await Audit(lockfile);
        Assert.All(warm.Entries, e => Assert.True(e.FromCache, e.Id));
        Assert.Equal(requests, _registry.Count("packument-"));
        Assert.DoesNotContain(Directory.EnumerateFiles(CacheDir, "*", SearchOption.AllDirectories), f => Path.GetFileName(f).StartsWith('.'));
    }

    /// <summary>Counts every request the registry client sends, at its HTTP handler.</summary>
    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public List<string> Paths { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            lock (Paths)
            {
                Paths.Add(request.RequestUri!.AbsolutePath);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>Trusting no key of its own: the registry's served key is what verifies (a private registry, as npm trusts it).</summary>
    private AuditOptions KeyedOptions(TimeProvider clock) => Options(time: clock) with { TrustedRegistryKeys = Vouch.Provenance.RegistryKeys.Empty("none") };

    /// <summary>An audit through a client whose every request <paramref name="handler"/> counts.</summary>
    private async Task<AuditReport> AuditCounted(Lockfile lockfile, AuditOptions options, CountingHandler handler)
    {
        using var client = new RegistryClient(handler, NpmConfig.ForRegistry(_registry.BaseUrl), null, TimeProvider.System, new RegistryClientOptions { MaxRetries = 0, MaxConcurrency = 16 }, disposeHandler: true);
        return await new AuditPipeline(client, _registry.Verifier(client), options).RunAsync(lockfile);
    }

    [Fact]
    public async Task Run_WhenTheServedKeysWereReadWithinMaxAge_MakesNoRequestAndAfterItRevalidates()
    {
        var (bad, good) = Pair();
        var lockfile = Lock("app", bad, good);
        var clock = new Clock(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));

        var cold = new CountingHandler();
        var first = await AuditCounted(lockfile, KeyedOptions(clock), cold);
        Assert.Equal(1, cold.Paths.Count(p => p.EndsWith("/-/npm/v1/keys", StringComparison.Ordinal)));
        Assert.Equal(AuditStatus.Passed, first.Entries.Single(e => e.Package.Name == "plain").Status);

        clock.Now += TimeSpan.FromMinutes(1);
        var warm = new CountingHandler();
        var second = await AuditCounted(lockfile, KeyedOptions(clock), warm);
        Assert.Equal(0, warm.Count);
        Assert.All(second.Entries, e => Assert.True(e.FromCache, e.Id));

        // The kept list still says the registry signs: the unsigned version fails, the signed one passes.
        Assert.Contains(AuditCodes.SignatureMissing, Codes(second.Entries.Single(e => e.Package.Name == "unsigned")));
        Assert.Equal(AuditStatus.Passed, second.Entries.Single(e => e.Package.Name == "plain").Status);

        // After the max-age: asked again (once), and the evidence is still read from the pack.
        clock.Now += AuditOptions.DefaultMaxAge;
        var stale = new CountingHandler();
        await AuditCounted(lockfile, KeyedOptions(clock), stale);
        Assert.Equal(["/-/npm/v1/keys"], stale.Paths);

        // --prefer-online (max-age 0) asks on every run.
        var online = new CountingHandler();
        await AuditCounted(lockfile, KeyedOptions(clock) with { MaxAge = TimeSpan.Zero }, online);
        Assert.Equal(["/-/npm/v1/keys"], online.Paths);

        // A record from the future (a clock set back, an edited pack resealed) is not trusted either.
        clock.Now -= TimeSpan.FromHours(1);
        var future = new CountingHandler();
        await AuditCounted(lockfile, KeyedOptions(clock), future);
        Assert.Equal(["/-/npm/v1/keys"], future.Paths);
    }

    [Fact]
    public async Task Run_WhenTheKeptKeyListIsEdited_ThePackIsRefusedAndTheRegistryAskedAgain()
    {
        var (bad, good) = Pair();
        var lockfile = Lock("app", bad, good);
        var clock = new Clock(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));
        await AuditCounted(lockfile, KeyedOptions(clock), new CountingHandler());
        var path = PackPath();
        var (mac, payload) = Split(path);
        Assert.Equal(_registry.BaseUrl.AbsoluteUri, payload["registryKeys"]![0]!["registry"]!.GetValue<string>());

        // An attacker's key put in place of the registry's, without the cache's key to reseal.
        using var attacker = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        payload["registryKeys"]![0]!["keys"]![0]!["key"] = Convert.ToBase64String(attacker.ExportSubjectPublicKeyInfo());
        File.WriteAllText(path, mac + "\n" + payload.ToJsonString());

        var handler = new CountingHandler();
        var after = await AuditCounted(lockfile, KeyedOptions(clock), handler);
        Assert.Contains("/-/npm/v1/keys", handler.Paths);
        Assert.All(after.Entries, e => Assert.False(e.FromCache, e.Id));
        Assert.Equal(AuditStatus.Passed, after.Entries.Single(e => e.Package.Name == "plain").Status);

        // Control: the same edit sealed with the cache's key is read without a request (so the seal
        // refused it above), and the versions it would judge are re-verified under the key it names
        // (another trust fingerprint): the registry's signature does not verify with the attacker's key.
        (mac, payload) = Split(path);
        payload["registryKeys"]![0]!["keys"]![0]!["key"] = Convert.ToBase64String(attacker.ExportSubjectPublicKeyInfo());
        Reseal(path, "app", payload.ToJsonString());
        var resealed = new CountingHandler();
        var forged = await AuditCounted(lockfile, KeyedOptions(clock), resealed);
        Assert.DoesNotContain("/-/npm/v1/keys", resealed.Paths);
        Assert.Equal(AuditStatus.Failed, forged.Entries.Single(e => e.Package.Name == "plain").Status);
    }

    /// <summary>Keys pinned by a file (key A, which signs nothing here): the registry's own key B must not join them.</summary>
    private static Vouch.Provenance.RegistryKeys PinnedKeyA()
    {
        using var a = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var json = $$"""{"keys":[{"expires":null,"keyid":"SHA256:pinned-key-a","keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"{{Convert.ToBase64String(a.ExportSubjectPublicKeyInfo())}}"}]}""";
        return Vouch.Provenance.RegistryKeys.Parse(Encoding.UTF8.GetBytes(json), "pinned.json");
    }

    [Fact]
    public async Task Run_WhenKeysArePinned_TheServedKeyNeverVerifiesColdOrWarmAndIsNotKept()
    {
        var (bad, good) = Pair();
        var lockfile = Lock("app", bad, good);
        var clock = new Clock(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));
        var pinned = PinnedKeyA();
        AuditOptions Unpinned() => Options(time: clock) with { TrustedRegistryKeys = pinned };
        AuditOptions Pinned() => Unpinned() with { TrustServedRegistryKeys = false };
        int KeptKeyLists() => Split(PackPath()).Payload["registryKeys"]?.AsArray().Count ?? 0;

        // Cold, pinned: the version signed only by the registry's own key B is not registry-signed, and B is not kept.
        var cold = new CountingHandler();
        var first = await AuditCounted(lockfile, Pinned(), cold);
        Assert.DoesNotContain("/-/npm/v1/keys", cold.Paths);
        var plain = first.Entries.Single(e => e.Package.Name == "plain");
        Assert.Equal(AuditStatus.Failed, plain.Status);
        Assert.Contains(Vouch.Provenance.ProvenanceCodes.SignatureKeyUnknown, Codes(plain));
        Assert.Equal(0, KeptKeyLists());

        // Control, not pinned: B is served, trusted (as npm trusts a private registry), and kept in the pack.
        clock.Now += TimeSpan.FromMinutes(1);
        var open = await AuditCounted(lockfile, Unpinned(), new CountingHandler());
        Assert.Equal(AuditStatus.Passed, open.Entries.Single(e => e.Package.Name == "plain").Status);
        Assert.Equal(1, KeptKeyLists());

        // Warm, pinned, over the pack that now carries B: B is neither read from it nor kept in it.
        clock.Now += TimeSpan.FromMinutes(1);
        var warm = new CountingHandler();
        var second = await AuditCounted(lockfile, Pinned(), warm);
        Assert.DoesNotContain("/-/npm/v1/keys", warm.Paths);
        var warmPlain = second.Entries.Single(e => e.Package.Name == "plain");
        Assert.Equal(AuditStatus.Failed, warmPlain.Status);
        Assert.Contains(Vouch.Provenance.ProvenanceCodes.SignatureKeyUnknown, Codes(warmPlain));
        Assert.Contains(AuditCodes.SignatureMissing, Codes(second.Entries.Single(e => e.Package.Name == "unsigned")));
        Assert.Equal(0, KeptKeyLists());
    }

    [Fact]
    public void Validate_WhenTheStructureIsWrong_RefusesTheWholePack()
    {
        var entry = new CachedEvidence { Report = new Vouch.Provenance.PackageReport { Name = "a", Version = "1.0.0" } };
        var key = new string('a', 64);
        EvidencePack.PackFile File(params EvidencePack.PackEntry?[] entries) => new() { Format = "vouch-audit-pack-1", Entries = [.. entries] };

        Assert.NotNull(EvidencePack.Validate(File(new EvidencePack.PackEntry { Key = key, Value = entry })));
        Assert.Null(EvidencePack.Validate(File(new EvidencePack.PackEntry { Key = key, Value = entry }, new EvidencePack.PackEntry { Key = key, Value = entry })));
        Assert.Null(EvidencePack.Validate(File(new EvidencePack.PackEntry { Key = key.ToUpperInvariant(), Value = entry })));
        Assert.Null(EvidencePack.Validate(File(new EvidencePack.PackEntry { Key = "../" + key[3..], Value = entry })));
        Assert.Null(EvidencePack.Validate(File(new EvidencePack.PackEntry { Key = key, Value = null })));
        Assert.Null(EvidencePack.Validate(File((EvidencePack.PackEntry?)null)));
        Assert.Null(EvidencePack.Validate(File(new EvidencePack.PackEntry { Key = key, Value = entry with { Report = entry.Report with { NetworkError = "refused" } } })));
        Assert.Null(EvidencePack.Validate(new EvidencePack.PackFile { Format = "vouch-audit-pack-0", Entries = [new EvidencePack.PackEntry { Key = key, Value = entry }] }));
        var spki = Convert.ToBase64String(System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfo());
        EvidencePack.ServedKey Key(string? text = null) => new() { KeyId = "SHA256:k", KeyType = "ecdsa-sha2-nistp256", Scheme = "ecdsa-sha2-nistp256", Key = text ?? spki };
        EvidencePack.PackFile Keys(string? registry, params EvidencePack.ServedKey?[] keys) => new() { Format = "vouch-audit-pack-1", Entries = [], RegistryKeys = [new EvidencePack.KeysRecord { Registry = registry, CheckedAt = DateTimeOffset.UnixEpoch, Keys = [.. keys] }] };
        Assert.NotNull(EvidencePack.Validate(Keys("http://127.0.0.1:4873/", Key())));
        Assert.Null(EvidencePack.Validate(Keys("http://127.0.0.1:4873/../x", Key())));
        Assert.Null(EvidencePack.Validate(Keys("file:///etc/passwd", Key())));
        Assert.Null(EvidencePack.Validate(Keys("registry", Key())));
        Assert.Null(EvidencePack.Validate(Keys(null, Key())));
        Assert.Null(EvidencePack.Validate(Keys("http://127.0.0.1:4873/")));
        Assert.Null(EvidencePack.Validate(Keys("http://127.0.0.1:4873/", Key("not base64!"))));
        Assert.Null(EvidencePack.Validate(Keys("http://127.0.0.1:4873/", Key() with { KeyId = "" })));
        Assert.Null(EvidencePack.Validate(Keys("http://127.0.0.1:4873/", (EvidencePack.ServedKey?)null)));
        Assert.Null(EvidencePack.Validate(Keys("http://127.0.0.1:4873/", [.. Enumerable.Repeat(Key(), AuditLimits.MaxServedKeys + 1)])));
        Assert.Null(EvidencePack.Validate(new EvidencePack.PackFile { Format = "vouch-audit-pack-1", Entries = [.. Enumerable.Repeat<EvidencePack.PackEntry?>(new EvidencePack.PackEntry { Key = key, Value = entry }, AuditLimits.MaxPackEntries + 1)] }));
    }

    [Fact]
    public async Task Preload_WhenTheCacheDirectoryCannotBeOpened_SettlesAndTheReadIsAMiss()
    {
        // A file where the cache directory should be: the seal key cannot be created.
        var blocked = Path.Combine(_cache.FullName, "blocked");
        File.WriteAllText(blocked, "not a directory");

        var preload = EvidencePack.Preload(blocked, LockPath());
        await preload.SettleAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // A cache that cannot be written only costs speed: an in-memory seal, no entries.
        Assert.True(preload.Reading.IsCompletedSuccessfully);
        var (_, loaded) = await preload.Reading;
        Assert.Empty(loaded.Entries);
    }

    [Fact]
    public async Task Preload_WhenThePackIsSealed_ReadsTheSameEntriesAsOpen()
    {
        var (bad, good) = Pair();
        await Audit(Lock("app", bad, good));

        var preload = EvidencePack.Preload(CacheDir, LockPath());
        await preload.SettleAsync();

        var (_, loaded) = await preload.Reading;
        Assert.Equal(2, loaded.Entries.Count);
        Assert.Equal(PackPath(), EvidencePack.Open(preload, CacheSeal.Open(CacheDir), loaded, null).FilePath);
    }
}
