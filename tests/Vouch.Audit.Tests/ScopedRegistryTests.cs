using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Provenance;

namespace Vouch.Audit.Tests;

/// <summary>
/// Two sandbox-signed loopback registries, each with its own signing key: the default one and one
/// configured for a scope (`@b:registry=`). Each registry's packages must be judged by that
/// registry's own keys, never by the default registry's.
/// </summary>
public sealed class ScopedRegistryTests : IAsyncLifetime
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("vouch-scoped-");
    private AuditRegistry _a = null!;
    private AuditRegistry _b = null!;

    public async Task InitializeAsync()
    {
        _a = await AuditRegistry.StartAsync();
        _b = await AuditRegistry.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _temp.Delete(recursive: true);
    }

    private RegistryClient Client()
    {
        var project = Directory.CreateDirectory(Path.Combine(_temp.FullName, "project")).FullName;
        File.WriteAllText(Path.Combine(project, ".npmrc"), $"registry={_a.BaseUrl}\n@b:registry={_b.BaseUrl}\n");
        var config = NpmConfig.Load(new NpmConfigOptions { WorkingDirectory = project, HomeDirectory = Path.Combine(_temp.FullName, "home") });
        return new RegistryClient(new SocketsHttpHandler { AllowAutoRedirect = false }, config, null, TimeProvider.System, new RegistryClientOptions { MaxRetries = 0 }, disposeHandler: true);
    }

    private async Task<AuditReport> AuditAsync(params LockfilePackage[] packages)
    {
        using var client = Client();
        Assert.Equal(_b.BaseUrl, client.Config.GetRegistryFor("@b/pkg"));
        // The verifier is given the default registry's keys only, as the CLI gives it the trust material.
        var pipeline = new AuditPipeline(client, _a.Verifier(client), new AuditOptions { EvidenceCacheDirectory = Path.Combine(_temp.FullName, "cache") });
        return await pipeline.RunAsync(new Lockfile { Path = "package-lock.json", Format = LockfileFormat.NpmV3, Packages = packages });
    }

    [Fact]
    public async Task Run_WhenAScopedRegistrySignsWithItsOwnKey_VerifiedWithThatKey()
    {
        var plain = _a.Publish("plain", "1.0.0");
        var scoped = _b.Publish("@b/pkg", "1.0.0");

        var report = await AuditAsync(_a.Entry(plain, 1), _b.Entry(scoped, 2));

        Assert.False(report.HasErrors, string.Join("; ", report.Entries.SelectMany(e => e.Findings).Select(f => f.Message)));
        Assert.Equal(2, report.Totals.SignaturesVerified);
        Assert.Equal(_b.KeyId, report.Entries.Single(e => e.Package.Name == "@b/pkg").Report!.Signature.KeyId);
        Assert.Equal(1, _b.Count("keys"));
    }

    [Fact]
    public async Task Run_WhenTheScopedPackageIsSignedByTheDefaultRegistrysKey_Fails()
    {
        // A signature by A's key on B's package: A's keys must not judge B's packages.
        var scoped = _b.Publish("@b/pkg", "1.0.0");
        scoped.Signature = _a.Sign(scoped.Name, scoped.Version, scoped.Integrity);

        var report = await AuditAsync(_b.Entry(scoped, 1));

        var entry = Assert.Single(report.Entries);
        Assert.Equal(AuditStatus.Failed, entry.Status);
        Assert.NotEqual("verified", entry.Report!.Signature.Status);
    }

    [Fact]
    public async Task Run_WhenTheScopedRegistryServesKeysAndTheVersionIsUnsigned_SignatureMissing()
    {
        var scoped = _b.Publish("@b/pkg", "1.0.0", sign: false);

        var report = await AuditAsync(_b.Entry(scoped, 1));

        // B serves keys, so its unsigned version fails: npm's rule, applied per registry.
        Assert.Contains(report.Entries.Single().Findings, f => f.Code == AuditCodes.SignatureMissing);
    }
}
