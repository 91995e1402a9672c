using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Provenance;
using Vouch.Sandbox.Sigstore;

namespace Vouch.Audit.Tests;

/// <summary>The audit pipeline against a loopback registry whose signatures and provenance are real (sandbox-signed).</summary>
public sealed class AuditPipelineTests : IAsyncLifetime
{
    internal static readonly GitHubWorkflowIdentity Widget = new("acme/widget", "refs/tags/v1.0.0", new string('a', 40), ".github/workflows/release.yml");

    private readonly DirectoryInfo _cache = Directory.CreateTempSubdirectory("vouch-audit-");
    private AuditRegistry _registry = null!;

    public async Task InitializeAsync() => _registry = await AuditRegistry.StartAsync();

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _cache.Delete(recursive: true);
    }

    private static Lockfile Lock(params LockfilePackage[] packages) => new() { Path = "package-lock.json", Format = LockfileFormat.NpmV3, Packages = packages };

    private async Task<AuditReport> Audit(Lockfile lockfile, AuditOptions? options = null)
    {
        using var client = _registry.Client();
        var pipeline = new AuditPipeline(client, _registry.Verifier(client), options ?? new AuditOptions { EvidenceCacheDirectory = _cache.FullName });
        return await pipeline.RunAsync(lockfile);
    }

    private static string Codes(AuditEntry e) => string.Join(",", e.Findings.Select(f => f.Code));

    [Fact]
    public async Task Run_WhenEveryPackageSignedAndOneHasProvenance_PassesWithCounts()
    {
        var widget = _registry.Publish("widget", "1.0.0", Widget);
        var plain = _registry.Publish("plain", "2.1.0");
        var scoped = _registry.Publish("@acme/util", "0.3.0");

        var report = await Audit(Lock(_registry.Entry(widget, 10), _registry.Entry(plain, 20), _registry.Entry(scoped, 30)));

        Assert.True(report.Entries.All(e => e.Status == AuditStatus.Passed), string.Join("; ", report.Entries.Select(e => $"{e.Id}: {Codes(e)}")));
        Assert.False(report.HasErrors);
        Assert.Equal(3, report.Totals.SignaturesVerified);
        Assert.Equal(1, report.Totals.ProvenanceVerified);
        var w = report.Entries.Single(e => e.Package.Name == "widget").Report!;
        Assert.Equal("https://github.com/acme/widget", w.Provenance.Claims!.SourceRepository);
        Assert.Equal(EvidenceStatus.Verified, w.PublishAttestation.Status);
        Assert.Equal("verified", w.Integrity.Status);
        Assert.Equal([10, 20, 30], report.Entries.Select(e => e.Package.Line));
    }

    [Fact]
    public async Task Run_WhenLockfileIntegrityDiffersFromRegistry_FailsIntegrityMismatch()
    {
        var p = _registry.Publish("widget", "1.0.0", Widget);
        var entry = _registry.Entry(p, 5) with { Integrity = "sha512-" + Convert.ToBase64String(new byte[64]) };

        var e = (await Audit(Lock(entry))).Entries.Single();

        Assert.Equal(AuditStatus.Failed, e.Status);
        Assert.Contains(AuditCodes.IntegrityMismatch, Codes(e));
        Assert.Equal("invalid", e.Report!.Integrity.Status);
    }

    [Fact]
    public async Task Run_WhenLockfileIntegrityMatches_NoIntegrityFinding()
    {
        // The control for the mismatch test: the same entry untampered.
        var p = _registry.Publish("widget", "1.0.0", Widget);
        var e = (await Audit(Lock(_registry.Entry(p, 5)))).Entries.Single();
        Assert.DoesNotContain(AuditCodes.IntegrityMismatch, Codes(e));
    }

    [Fact]
    public async Task Run_WhenResolvedPointsAtAnotherHost_FailsResolvedElsewhere()
    {
        var p = _registry.Publish("plain", "1.0.0");
        var entry = _registry.Entry(p, 7) with { Resolved = "https://evil.example.com/plain/-/plain-1.0.0.tgz" };

        var e = (await Audit(Lock(entry))).Entries.Single();

        Assert.Equal(AuditStatus.Failed, e.Status);
        Assert.Equal(AuditCodes.ResolvedElsewhere, Codes(e));
        Assert.Contains("evil.example.com", e.Findings.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WhenResolvedOnPublicRegistryHost_IsAcceptedAsTheConfiguredRegistry()
    {
        var p = _registry.Publish("plain", "1.0.0");
        var entry = _registry.Entry(p, 7) with { Resolved = "https://registry.npmjs.org/plain/-/plain-1.0.0.tgz" };
        Assert.Equal(AuditStatus.Passed, (await Audit(Lock(entry))).Entries.Single().Status);
    }

    [Fact]
    public async Task Run_WhenProvenanceIsFromAnotherRepository_FailsSourceMismatch()
    {
        // package.json says acme/widget; the provenance was built (and signed) in attacker/widget.
        var p = _registry.Publish("widget", "1.0.0", Widget with { Repository = "attacker/widget" }, repository: "git+https://github.com/acme/widget.git");

        var e = (await Audit(Lock(_registry.Entry(p, 3)))).Entries.Single();

        Assert.Equal(AuditStatus.Failed, e.Status);
        Assert.Contains(ProvenanceCodes.SourceMismatch, Codes(e));
        Assert.Equal("https://github.com/attacker/widget", e.Report!.Provenance.Claims!.SourceRepository);
    }

    [Fact]
    public async Task Run_WhenSignatureIsForOtherBytes_FailsSignatureInvalid()
    {
        var p = _registry.Publish("plain", "1.0.0");
        p.Signature = _registry.Sign("plain", "1.0.0", "sha512-" + Convert.ToBase64String(new byte[64]));

        var e = (await Audit(Lock(_registry.Entry(p, 3)))).Entries.Single();

        Assert.Equal(ProvenanceCodes.SignatureInvalid, Codes(e));
        Assert.Equal("invalid", e.Report!.Signature.Status);
    }

    [Fact]
    public async Task Run_WhenRegistrySignsButVersionIsUnsigned_FailsSignatureMissing()
    {
        var p = _registry.Publish("plain", "1.0.0", sign: false);
        var report = await Audit(Lock(_registry.Entry(p, 3)));
        Assert.Equal(AuditCodes.SignatureMissing, Codes(report.Entries.Single()));
        Assert.Equal(1, report.Totals.SignaturesMissing);
    }

    [Fact]
    public async Task Run_WhenRegistryServesTamperedIntegrity_SignatureNoLongerVerifies()
    {
        // A registry (or a man in the middle) that swaps dist.integrity and the lockfile along with it.
        var p = _registry.Publish("plain", "1.0.0");
        var other = "sha512-" + Convert.ToBase64String(new byte[64]);
        p.ServedIntegrity = other;
        var e = (await Audit(Lock(_registry.Entry(p, 3) with { Integrity = other }))).Entries.Single();
        Assert.Equal(ProvenanceCodes.SignatureInvalid, Codes(e));
    }

    [Fact]
    public async Task Run_WhenVersionOrPackageUnknown_FailsWithNotFoundCodes()
    {
        var p = _registry.Publish("plain", "1.0.0");
        var report = await Audit(Lock(_registry.Entry(p, 1) with { Version = "9.9.9" }, new LockfilePackage { Name = "ghost", Version = "1.0.0", Line = 2 }));
        Assert.Equal(AuditCodes.VersionNotFound, Codes(report.Entries[0]));
        Assert.Equal(AuditCodes.PackageNotFound, Codes(report.Entries[1]));
        Assert.True(report.HasErrors);
    }

    [Fact]
    public async Task Run_WhenEntryIsGitOrBundled_SkippedWithoutRequests()
    {
        var report = await Audit(Lock(
            new LockfilePackage { Name = "fromgit", Version = "1.0.0", Source = LockfileSourceKind.Git, Resolved = "git+ssh://git@github.com/a/b.git#abc", Line = 1 },
            new LockfilePackage { Name = "inner", Version = "1.0.0", Bundled = true, Line = 2 }));

        Assert.All(report.Entries, e => Assert.Equal(AuditStatus.Skipped, e.Status));
        Assert.Equal(0, _registry.Count("packument"));
        Assert.False(report.HasErrors);
    }

    [Fact]
    public async Task Run_WhenManyVersionsOfOnePackage_FetchesOnePackument()
    {
        var entries = Enumerable.Range(0, 5).Select(i => _registry.Entry(_registry.Publish("multi", $"1.{i}.0"), i + 1)).ToArray();
        var report = await Audit(Lock(entries));
        Assert.Equal(5, report.Totals.SignaturesVerified);
        Assert.Equal(1, _registry.Count("packument"));
    }

    [Fact]
    public async Task Run_WhenKeysHaveNoWindowAndNoAttestations_UsesAbbreviatedPackuments()
    {
        var plain = _registry.Publish("plain", "1.0.0");
        var widget = _registry.Publish("widget", "1.0.0", Widget);
        var report = await Audit(Lock(_registry.Entry(plain, 1), _registry.Entry(widget, 2)));

        Assert.False(report.HasErrors);
        Assert.Equal(1, _registry.Count("packument-abbreviated plain"));
        Assert.Equal(0, _registry.Count("packument-full plain"));

        // The version with attestations needs `repository` for the source binding: upgraded to the full document.
        Assert.Equal(1, _registry.Count("packument-full widget"));
        Assert.Equal(1, _registry.Count("attestations widget@1.0.0"));
        Assert.Equal(0, _registry.Count("attestations plain"));
    }

    [Fact]
    public async Task Run_WhenRunTwice_SecondRunAnswersFromCacheWithoutRequests()
    {
        var widget = _registry.Publish("widget", "1.0.0", Widget);
        var plain = _registry.Publish("plain", "1.0.0");
        var lockfile = Lock(_registry.Entry(widget, 1), _registry.Entry(plain, 2));
        var first = await Audit(lockfile);
        var requests = _registry.Count("packument") + _registry.Count("attestations");

        var second = await Audit(lockfile);

        Assert.Equal(requests, _registry.Count("packument") + _registry.Count("attestations"));
        Assert.All(second.Entries, e => Assert.True(e.FromCache));
        Assert.Equal(first.Totals with { FromCache = 0 }, second.Totals with { FromCache = 0 });
        Assert.Equal(2, second.Totals.FromCache);
        var cached = second.Entries.Single(e => e.Package.Name == "widget").Report!;
        Assert.Equal(EvidenceStatus.Verified, cached.Provenance.Status);
        Assert.Equal(Widget.Sha, cached.Provenance.Claims!.SourceCommit);

        // "No attestations" is an answer too: plain's absent provenance came from the cache.
        Assert.Equal(EvidenceStatus.Absent, second.Entries.Single(e => e.Package.Name == "plain").Report!.Provenance.Status);
    }

    [Fact]
    public async Task Run_WhenCachedEvidenceFailed_CachedFailureStillFails()
    {
        var p = _registry.Publish("widget", "1.0.0", Widget);
        var entry = _registry.Entry(p, 1) with { Integrity = "sha512-" + Convert.ToBase64String(new byte[64]) };
        await Audit(Lock(entry));
        var second = (await Audit(Lock(entry))).Entries.Single();
        Assert.True(second.FromCache);
        Assert.Equal(AuditStatus.Failed, second.Status);
        Assert.Contains(AuditCodes.IntegrityMismatch, Codes(second));
    }

    [Fact]
    public async Task Run_WhenCacheEntryIsCorrupt_IgnoresAndOverwritesIt()
    {
        var p = _registry.Publish("plain", "1.0.0");
        var lockfile = Lock(_registry.Entry(p, 1));
        await Audit(lockfile);
        var file = Directory.GetFiles(_cache.FullName, "*.json", SearchOption.AllDirectories).Single();
        File.WriteAllText(file, "{ not json");

        var again = (await Audit(lockfile)).Entries.Single();

        Assert.False(again.FromCache);
        Assert.Equal(AuditStatus.Passed, again.Status);
        Assert.Contains("\n{", File.ReadAllText(file), StringComparison.Ordinal);
        Assert.True((await Audit(lockfile)).Entries.Single().FromCache);
    }

    [Fact]
    public async Task Run_WhenCacheEntryIsAboutAnotherPackage_IsAMiss()
    {
        var a = _registry.Publish("plain", "1.0.0");
        var b = _registry.Publish("other", "1.0.0");
        await Audit(Lock(_registry.Entry(a, 1)));
        await Audit(Lock(_registry.Entry(b, 1)));
        var files = Directory.GetFiles(_cache.FullName, "*.json", SearchOption.AllDirectories);
        var (fa, fb) = File.ReadAllText(files[0]).Contains("\"plain\"", StringComparison.Ordinal) ? (files[0], files[1]) : (files[1], files[0]);
        File.Copy(fb, fa, overwrite: true);

        var again = (await Audit(Lock(_registry.Entry(a, 1)))).Entries.Single();
        Assert.False(again.FromCache);
        Assert.Equal("plain", again.Report!.Name);
    }

    [Fact]
    public async Task Run_WhenRegistryFails_NetworkErrorIsReportedAndNeverCached()
    {
        var p = _registry.Publish("plain", "1.0.0");
        _registry.Failing.Add("plain");
        var failed = await Audit(Lock(_registry.Entry(p, 1)));
        Assert.Equal(AuditStatus.NetworkError, failed.Entries.Single().Status);
        Assert.True(failed.HasNetworkErrors);
        Assert.Empty(Directory.GetFiles(_cache.FullName, "*.json", SearchOption.AllDirectories));

        _registry.Failing.Clear();
        var recovered = (await Audit(Lock(_registry.Entry(p, 1)))).Entries.Single();
        Assert.False(recovered.FromCache);
        Assert.Equal(AuditStatus.Passed, recovered.Status);
    }

    [Fact]
    public async Task Run_WhenTrustMaterialChanges_CacheMisses()
    {
        var p = _registry.Publish("plain", "1.0.0");
        var lockfile = Lock(_registry.Entry(p, 1));
        await Audit(lockfile);

        // Another registry key set (another fingerprint): the evidence must be verified again.
        using var client = _registry.Client();
        var keys = RegistryKeys.Combine(_registry.Keys, [], "other source");
        var extra = RegistryKeys.Combine(keys, [_registry.Keys.Keys[0] with { KeyId = "SHA256:another" }], "more keys");
        var verifier = new PackageVerifier(client, new Vouch.Sigstore.Verification.SigstoreVerifier(_registry.TrustedRoot), extra);
        var again = await new AuditPipeline(client, verifier, new AuditOptions { EvidenceCacheDirectory = _cache.FullName }).RunAsync(lockfile);
        Assert.False(again.Entries.Single().FromCache);
    }

    [Fact]
    public async Task Run_WithPolicy_EvaluatesEveryRunEvenFromCache()
    {
        var p = _registry.Publish("plain", "1.0.0");
        var lockfile = Lock(_registry.Entry(p, 1));
        var calls = 0;
        var options = new AuditOptions
        {
            EvidenceCacheDirectory = _cache.FullName,
            Policy = input =>
            {
                Interlocked.Increment(ref calls);
                Assert.NotNull(input.Packument);
                return input.Report.Provenance.Status == EvidenceStatus.Verified
                    ? new PolicyOutcome([], true)
                    : new PolicyOutcome([new AuditFinding("POLICY_PROVENANCE_REQUIRED", AuditSeverity.Error, FindingSource.Policy, "provenance is required") { Rule = "require-provenance" }], false);
            },
            PolicyNeedsPackument = true,
        };

        var first = (await Audit(lockfile, options)).Entries.Single();
        var second = (await Audit(lockfile, options)).Entries.Single();

        Assert.Equal(2, calls);
        Assert.True(second.FromCache);
        Assert.Equal(AuditStatus.Failed, second.Status);
        Assert.False(second.PolicyAllowed);
        Assert.Equal("POLICY_PROVENANCE_REQUIRED", Codes(first));
    }

    [Fact]
    public async Task Run_WithLintFindings_AttachesThemToTheirPackage()
    {
        var p = _registry.Publish("plain", "1.0.0");
        var entry = _registry.Entry(p, 1);
        using var client = _registry.Client();
        var pipeline = new AuditPipeline(client, _registry.Verifier(client));
        var report = await pipeline.RunAsync(Lock(entry), [
            new PackageLint(entry, new AuditFinding("LOCKFILE_TEST", AuditSeverity.Error, FindingSource.Lockfile, "bad entry")),
            new PackageLint(null, new AuditFinding("LOCKFILE_FILE", AuditSeverity.Warning, FindingSource.Lockfile, "about the file")),
        ]);
        Assert.Equal(AuditStatus.Failed, report.Entries.Single().Status);
        Assert.Equal("LOCKFILE_FILE", report.LockfileFindings.Single().Code);
        Assert.Equal(1, report.Totals.Warnings);
    }

    [Fact]
    public async Task RunDiff_WhenPackageUpgradedAndLosesProvenance_ReportsOnlyChangesWithBeforeAndAfter()
    {
        var v1 = _registry.Publish("widget", "1.0.0", Widget);
        var v2 = _registry.Publish("widget", "1.1.0");
        var same = _registry.Publish("plain", "1.0.0");
        var added = _registry.Publish("newdep", "1.0.0");
        var gone = _registry.Publish("gone", "1.0.0");
        var baseLock = Lock(_registry.Entry(v1, 1), _registry.Entry(same, 2), _registry.Entry(gone, 3));
        var head = Lock(_registry.Entry(v2, 1), _registry.Entry(same, 2), _registry.Entry(added, 3));

        using var client = _registry.Client();
        var report = await new AuditPipeline(client, _registry.Verifier(client)).RunDiffAsync(head, baseLock, "base.json");

        Assert.Equal("base.json", report.DiffBase);
        var byName = report.Entries.ToDictionary(e => e.Package.Name);
        Assert.DoesNotContain("plain", byName.Keys);
        Assert.Equal(DiffChange.Upgraded, byName["widget"].Diff!.Change);
        Assert.Equal("1.0.0", byName["widget"].Diff!.BaseVersion);
        Assert.Equal(EvidenceLevel.Provenance, byName["widget"].Diff!.BaseReport!.EvidenceLevel);
        Assert.Equal(EvidenceLevel.None, byName["widget"].Report!.EvidenceLevel);
        Assert.Equal(DiffChange.Added, byName["newdep"].Diff!.Change);
        Assert.Equal(DiffChange.Removed, byName["gone"].Diff!.Change);
        Assert.Equal(0, _registry.Count("packument-full plain") + _registry.Count("packument-abbreviated plain"));
    }

    [Fact]
    public async Task RunDiff_WithPolicy_PassesBaseVersionAndNewDependency()
    {
        var v1 = _registry.Publish("widget", "1.0.0");
        var v2 = _registry.Publish("widget", "2.0.0");
        var added = _registry.Publish("newdep", "1.0.0");
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, PolicyInput>();
        using var client = _registry.Client();
        var pipeline = new AuditPipeline(client, _registry.Verifier(client), new AuditOptions { Policy = i => { seen[i.Package.Name] = i; return new PolicyOutcome([], true); } });

        await pipeline.RunDiffAsync(Lock(_registry.Entry(v2, 1), _registry.Entry(added, 2)), Lock(_registry.Entry(v1, 1)), "base");

        Assert.Equal("1.0.0", seen["widget"].BaseVersion);
        Assert.False(seen["widget"].IsNewDependency);
        Assert.True(seen["newdep"].IsNewDependency);
    }

    [Fact]
    public async Task Run_WhenPackumentIsMalformed_FailsRegistryResponseInvalid()
    {
        var p = _registry.Publish("plain", "1.0.0");
        _registry.Malformed.Add("plain");
        var report = await Audit(Lock(_registry.Entry(p, 1)));
        Assert.Equal(AuditCodes.RegistryResponseInvalid, Codes(report.Entries.Single()));
        Assert.False(report.HasNetworkErrors);
    }

    [Fact]
    public async Task Run_WhenProvenanceCoversOtherBytesThanTheSignedIntegrity_FailsSubjectMismatch()
    {
        // The registry signs (and the lockfile pins) one sha512; the provenance was made for another tarball.
        var p = _registry.Publish("widget", "1.0.0", Widget);
        var other = "sha512-" + Convert.ToBase64String(System.Security.Cryptography.SHA512.HashData("other bytes"u8.ToArray()));
        p.ServedIntegrity = other;
        p.Signature = _registry.Sign("widget", "1.0.0", other);

        var e = (await Audit(Lock(_registry.Entry(p, 1) with { Integrity = other }))).Entries.Single();

        Assert.Equal(ProvenanceCodes.ProvenanceSubjectMismatch, e.Report!.Provenance.Problem?.Code);
        Assert.Equal(AuditStatus.Failed, e.Status);
        Assert.Equal("verified", e.Report.Signature.Status);
    }

    [Fact]
    public async Task Run_WhenOnlySha1IsKnownAndAttestationsAreAdvertised_ProvenanceCannotBeBound()
    {
        var p = _registry.Publish("widget", "1.0.0", Widget);
        var sha1 = "sha1-" + Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(p.Tarball));
        p.ServedIntegrity = sha1;
        p.Signature = _registry.Sign("widget", "1.0.0", sha1);

        var e = (await Audit(Lock(_registry.Entry(p, 1) with { Integrity = sha1 }))).Entries.Single();

        Assert.Equal("verified", e.Report!.Integrity.Status);
        Assert.Equal(EvidenceStatus.Invalid, e.Report.Provenance.Status);
        Assert.Contains(ProvenanceCodes.ProvenanceSubjectMismatch, Codes(e));
    }
}
