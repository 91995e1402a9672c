using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Provenance;
using Vouch.Sandbox.Sigstore;

namespace Vouch.Audit.Tests;

/// <summary>
/// Lockfiles written by the real clients (npm v1/v2/v3, yarn classic and berry, pnpm, bun; the
/// lockfile readers' fixtures in tests/Vouch.Npm.Tests/Lockfiles/Fixtures), read with the real
/// reader and audited against a loopback registry that signs exactly the versions they pin.
/// </summary>
public sealed class RealLockfileTests : IAsyncLifetime
{
    private AuditRegistry _registry = null!;

    public async Task InitializeAsync() => _registry = await AuditRegistry.StartAsync();

    public async Task DisposeAsync() => await _registry.DisposeAsync();

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var dir in new[] { "npm-v1", "npm-v2", "npm-v3", "yarn-classic", "yarn-berry", "pnpm-v5.4", "pnpm-v6", "pnpm-v9", "bun" })
        {
            data.Add(dir);
        }

        return data;
    }

    private static string FixtureDir(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vouch.slnx")))
            {
                return Path.Combine(dir.FullName, "tests", "Vouch.Npm.Tests", "Lockfiles", "Fixtures", name);
            }
        }

        throw new DirectoryNotFoundException("repository root not found");
    }

    private async Task<(Lockfile Lockfile, AuditReport Report)> AuditFixture(string fixture, Action<LockfilePackage, AuditRegistry.Published>? tamper = null)
    {
        var lockfile = LockfileReader.Read(FixtureDir(fixture));
        var first = true;
        foreach (var p in lockfile.Distinct().Where(p => p.Source == LockfileSourceKind.Registry && !p.Bundled))
        {
            // Clients that record no sha512 (yarn berry keeps its own checksum) get the registry's usual one.
            var integrity = Integrity.Parse(p.Integrity).Hashes.Any(h => h.Algorithm == IntegrityAlgorithm.Sha512) ? p.Integrity! : "sha512-" + Convert.ToBase64String(System.Security.Cryptography.SHA512.HashData(System.Text.Encoding.UTF8.GetBytes(p.Name + p.Version)));
            var published = _registry.PublishPinned(p.Name, p.Version, integrity, first ? AuditPipelineTests.Widget : null);
            first = false;
            tamper?.Invoke(p, published);
        }

        using var client = _registry.Client();
        var report = await new AuditPipeline(client, _registry.Verifier(client)).RunAsync(lockfile);
        return (lockfile, report);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task Audit_WhenRegistryVouchesForEveryPinnedVersion_NoErrors(string fixture)
    {
        var (lockfile, report) = await AuditFixture(fixture);

        var registryEntries = report.Entries.Where(e => e.Package.Source == LockfileSourceKind.Registry && !e.Package.Bundled).ToList();
        Assert.NotEmpty(registryEntries);
        Assert.True(!report.HasErrors, string.Join("\n", report.Entries.SelectMany(e => e.Findings.Where(f => f.Severity == AuditSeverity.Error).Select(f => $"{e.Id}: {f.Code}: {f.Message}"))));
        Assert.Equal(registryEntries.Count, report.Totals.SignaturesVerified);
        Assert.Equal(1, report.Totals.ProvenanceVerified);
        Assert.All(registryEntries, e => Assert.True(e.Package.Line > 0, $"{e.Id} has no line"));
        Assert.Equal(lockfile.Distinct().Count, report.Entries.Count);
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public async Task Audit_WhenRegistryIntegrityDiffersForOneVersion_ThatVersionFailsAtItsLine(string fixture)
    {
        LockfilePackage? victim = null;
        var (_, report) = await AuditFixture(fixture, (p, published) =>
        {
            if (victim is null && p.Integrity is not null && p.Name != "ms")
            {
                victim = p;
                var other = "sha512-" + Convert.ToBase64String(new byte[64]);
                published.ServedIntegrity = other;
                published.Signature = _registry.Sign(p.Name, p.Version, other);
            }
        });

        if (fixture == "yarn-berry")
        {
            // Berry records a checksum of its own zip archive, not of the tarball: nothing ties the
            // install to the registry's integrity, and every entry says so.
            Assert.Null(victim);
            Assert.All(report.Entries.Where(e => e.Package.Source == LockfileSourceKind.Registry), e => Assert.Contains(e.Findings, f => f.Code == AuditCodes.IntegrityUnpinned && f.Severity == AuditSeverity.Warning));
            return;
        }

        Assert.NotNull(victim);
        var failed = report.Entries.Where(e => e.Status == AuditStatus.Failed).ToList();
        var entry = Assert.Single(failed);
        Assert.Equal(victim.Name, entry.Package.Name);
        Assert.Equal(victim.Line, entry.Package.Line);
        Assert.Contains(entry.Findings, f => f.Code is AuditCodes.IntegrityMismatch or AuditCodes.IntegrityUnpinned);
    }

    [Fact]
    public async Task Audit_WhenProvenanceOfAPinnedVersionComesFromAnotherRepository_FailsSourceMismatch()
    {
        var lockfile = LockfileReader.Read(FixtureDir("npm-v3"));
        var target = lockfile.Distinct().First(p => p.Source == LockfileSourceKind.Registry && !p.Bundled && p.Integrity is not null);
        foreach (var p in lockfile.Distinct().Where(p => p.Source == LockfileSourceKind.Registry && !p.Bundled))
        {
            var published = _registry.PublishPinned(p.Name, p.Version, p.Integrity!, p == target ? AuditPipelineTests.Widget with { Repository = "attacker/widget" } : null);
            if (p == target)
            {
                published.Repository = "git+https://github.com/acme/widget.git";
            }
        }

        using var client = _registry.Client();
        var report = await new AuditPipeline(client, _registry.Verifier(client)).RunAsync(lockfile);
        var entry = report.Entries.Single(e => e.Package == target);
        Assert.Contains(entry.Findings, f => f.Code == ProvenanceCodes.SourceMismatch);
        Assert.Single(report.Entries, e => e.Status == AuditStatus.Failed);
    }
}
