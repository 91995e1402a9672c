using System.Text;
using Vouch.Tuf.Tests.Infrastructure;

namespace Vouch.Tuf.Tests;

public sealed class SigstoreTrustUpdaterTests : IDisposable
{
    private static readonly byte[] FreshTrustedRoot = Encoding.UTF8.GetBytes("{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\",\"fresh\":true}");
    private static readonly byte[] FreshNpmKeys = Encoding.UTF8.GetBytes("{\"keys\":[],\"fresh\":true}");

    private readonly TufFixture _f = new();

    public SigstoreTrustUpdaterTests()
    {
        _f.Repository.Targets[SigstoreTrustUpdater.TrustedRootTarget] = FreshTrustedRoot;
        _f.Repository.Targets[SigstoreTrustUpdater.NpmKeysTarget] = FreshNpmKeys;
        _f.Repository.Publish();
    }

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task GetStatusAsync_WhenNothingIsCached_UsesEmbeddedSnapshots()
    {
        var status = await Updater().GetStatusAsync();

        Assert.Equal(TufErrorCodes.NotCached, status.CacheProblem?.Code);
        Assert.Null(status.Metadata);
        Assert.Equal(TrustMaterialSource.Embedded, status.TrustedRoot.Source);
        Assert.Equal(EmbeddedTrust.SigstoreTrustedRoot(), status.TrustedRoot.Content);
        Assert.Equal(TrustMaterialSource.Embedded, status.NpmKeys.Source);
        Assert.Equal(EmbeddedTrust.NpmRegistryKeys(), status.NpmKeys.Content);
        Assert.Contains("vouch trust update", status.NpmKeys.Reason, StringComparison.Ordinal);
        Assert.Empty(_f.Repository.Handler.Requests);
    }

    [Fact]
    public async Task UpdateAsync_WhenRepositoryServesBothTargets_UsesFreshCachedCopies()
    {
        var result = await Updater().UpdateAsync();

        Assert.True(result.IsSuccess, result.Error?.ToString());
        Assert.Equal(TrustMaterialSource.Cache, result.Status.TrustedRoot.Source);
        Assert.Equal(FreshTrustedRoot, result.Status.TrustedRoot.Content);
        Assert.Equal(TrustMaterialSource.Cache, result.Status.NpmKeys.Source);
        Assert.Equal(FreshNpmKeys, result.Status.NpmKeys.Content);
        Assert.Equal(_f.Repository.TimestampExpires, result.Status.NpmKeys.FreshUntil);
        Assert.NotNull(result.Status.NpmKeys.CachedAt);
        Assert.Equal(1, result.Status.Metadata?.RootVersion);
    }

    [Fact]
    public async Task GetStatusAsync_AfterUpdate_ReadsCacheWithoutNetwork()
    {
        await Updater().UpdateAsync();
        _f.Repository.Handler.Requests.Clear();

        var status = await Updater().GetStatusAsync();

        Assert.Equal(TrustMaterialSource.Cache, status.TrustedRoot.Source);
        Assert.Equal(TrustMaterialSource.Cache, status.NpmKeys.Source);
        Assert.Empty(_f.Repository.Handler.Requests);
    }

    [Fact]
    public async Task GetStatusAsync_WhenCachedMetadataExpired_FallsBackToEmbedded()
    {
        await Updater().UpdateAsync();
        _f.Clock.Now = _f.Repository.TimestampExpires.AddMinutes(1);

        var status = await Updater().GetStatusAsync();

        Assert.Equal(TufErrorCodes.Expired, status.CacheProblem?.Code);
        Assert.Equal(TrustMaterialSource.Embedded, status.TrustedRoot.Source);
        Assert.Contains(TufErrorCodes.Expired, status.TrustedRoot.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_WhenOneTargetHashMismatches_ReportsItAndKeepsEmbeddedForThatTarget()
    {
        var path = _f.Repository.TargetFilePath(SigstoreTrustUpdater.TrustedRootTarget, FreshTrustedRoot);
        var tampered = (byte[])FreshTrustedRoot.Clone();
        tampered[^2] ^= 0x20;
        _f.Repository.Files[path] = tampered;

        var result = await Updater().UpdateAsync();

        Assert.Equal(TufErrorCodes.TargetHashMismatch, result.Error?.Code);
        Assert.Equal(TrustMaterialSource.Embedded, result.Status.TrustedRoot.Source);
        Assert.Equal(TrustMaterialSource.Cache, result.Status.NpmKeys.Source);
    }

    [Fact]
    public async Task UpdateAsync_WhenRepositoryRollsBack_FailsAndKeepsPreviousCache()
    {
        _f.Repository.TimestampVersion = 3;
        _f.Repository.Publish();
        await Updater().UpdateAsync();
        _f.Repository.TimestampVersion = 2;
        _f.Repository.Publish();

        var result = await Updater().UpdateAsync();

        Assert.Equal(TufErrorCodes.Rollback, result.Error?.Code);
        Assert.Equal(TrustMaterialSource.Cache, result.Status.TrustedRoot.Source);
        Assert.Equal(3, result.Status.Metadata?.TimestampVersion);
    }

    [Fact]
    public async Task UpdateAsync_WhenBootstrappedFromEmbeddedRoot_RefusesRepositorySignedByOtherKeys()
    {
        var updater = new SigstoreTrustUpdater(new SigstoreTrustOptions
        {
            CacheDirectory = _f.CacheDirectory,
            RepositoryUrl = TestRepository.BaseUrl,
            HttpHandler = _f.Repository.Handler,
            TimeProvider = _f.Clock,
        });

        var result = await updater.UpdateAsync();

        Assert.Equal(TufErrorCodes.Threshold, result.Error?.Code);
        Assert.Equal("16.root.json", _f.Repository.Handler.Requests[0]);
        Assert.Equal(TrustMaterialSource.Embedded, result.Status.TrustedRoot.Source);
    }

    [Fact]
    public async Task GetStatusAsync_WithEmbeddedBootstrapAndEmptyCache_ReportsNotCached()
    {
        var updater = new SigstoreTrustUpdater(new SigstoreTrustOptions { CacheDirectory = _f.CacheDirectory, HttpHandler = _f.Repository.Handler });

        var status = await updater.GetStatusAsync();

        Assert.Equal(TufErrorCodes.NotCached, status.CacheProblem?.Code);
        Assert.Equal(TrustMaterialSource.Embedded, status.NpmKeys.Source);
    }

    [Fact]
    public void RepositoryDirectory_WhenUrlsDiffer_Differs()
    {
        var a = new SigstoreTrustUpdater(new SigstoreTrustOptions { CacheDirectory = _f.CacheDirectory });
        var b = new SigstoreTrustUpdater(new SigstoreTrustOptions { CacheDirectory = _f.CacheDirectory, RepositoryUrl = new Uri("http://127.0.0.1:8080/tuf/") });

        Assert.NotEqual(a.RepositoryDirectory, b.RepositoryDirectory);
        Assert.StartsWith(Path.GetFullPath(_f.CacheDirectory), b.RepositoryDirectory, StringComparison.Ordinal);
        Assert.EndsWith("tuf-repo-cdn.sigstore.dev", a.RepositoryDirectory, StringComparison.Ordinal);
    }

    private SigstoreTrustUpdater Updater() => new(new SigstoreTrustOptions
    {
        CacheDirectory = _f.CacheDirectory,
        RepositoryUrl = TestRepository.BaseUrl,
        HttpHandler = _f.Repository.Handler,
        TimeProvider = _f.Clock,
        BootstrapRoot = _f.Bootstrap,
    });
}
