using Vouch.Advisories.Check;
using Vouch.Npm;
using Vouch.Sandbox;
using static Vouch.Advisories.Tests.TestRecords;

namespace Vouch.Advisories.Tests;

/// <summary>`vouch check` against the in-process sandbox registry (loopback), never the npm mirror.</summary>
public sealed class CheckServiceTests : IAsyncLifetime
{
    private const string ScenarioYaml = """
        name: check-tests
        packages:
          - name: cross-env
            repository: kentcdodds/cross-env
            maintainers: [kentcdodds]
            versions:
              - version: 7.0.3
                published: -700d
                publisher: trusted-publisher
          - name: crossenv
            repository: kentcdodds/cross-env
            maintainers: [env-tools-dev]
            versions:
              - version: 7.0.3
                published: -1h
                publisher: token
                scripts: { postinstall: "node setup.js" }
                files:
                  setup.js: "console.log('x')"
          - name: app-lib
            repository: example/app-lib
            maintainers: [alice]
            versions:
              - version: 1.0.0
                published: -400d
                publisher: token
                dependencies: { mid-lib: "^2.0.0", tiny-dep: "^1.0.0" }
          - name: mid-lib
            repository: example/mid-lib
            maintainers: [bob]
            versions:
              - version: 2.0.0
                published: -400d
                publisher: token
                dependencies: { leaf-lib: "^3.0.0" }
              - version: 2.1.0
                published: -300d
                publisher: token
                dependencies: { leaf-lib: "^3.0.0" }
          - name: leaf-lib
            repository: example/leaf-lib
            maintainers: [carol]
            versions:
              - version: 3.0.0
                published: -500d
                publisher: token
              - version: 3.0.1
                published: -200d
                publisher: token
          - name: tiny-dep
            repository: example/tiny-dep
            maintainers: [dave]
            versions:
              - version: 1.0.0
                published: -500d
                publisher: token
          - name: hijacked
            repository: example/hijacked
            maintainers: [erin, mallory]
            versions:
              - version: 1.0.0
                published: -300d
                publisher: trusted-publisher
              - version: 1.0.1
                published: -2h
                publisher: token
                published-by: mallory
                scripts: { preinstall: "node steal.js" }
                files:
                  steal.js: "console.log('x')"
          - name: old-thing
            repository: example/old-thing
            maintainers: [frank]
            versions:
              - version: 0.1.0
                published: -900d
                publisher: token
                deprecated: "use new-thing"
          - name: vuln-lib
            repository: example/vuln-lib
            maintainers: [gina]
            versions:
              - version: 1.0.0
                published: -400d
                publisher: token
              - version: 1.0.1
                published: -300d
                publisher: token
          - name: evil-pkg
            repository: example/evil-pkg
            maintainers: [hank]
            versions:
              - version: 1.0.0
                published: -100d
                publisher: token
        """;

    private SandboxRegistry? _sandbox;
    private RegistryClient? _client;
    private string? _dir;
    private AdvisoryStore? _db;

    public async Task InitializeAsync()
    {
        _sandbox = await SandboxRegistry.StartAsync(Scenario.Parse(ScenarioYaml, "check-tests.yml"), new SandboxOptions());
        _dir = Directory.CreateTempSubdirectory("vouch-check-").FullName;
        var config = NpmConfig.Load(new NpmConfigOptions { WorkingDirectory = _dir, HomeDirectory = _dir, RegistryOverride = _sandbox.Url });
        _client = new RegistryClient(RegistryClient.CreateDefaultHandler(), config, null, TimeProvider.System, new RegistryClientOptions { MaxRetries = 0 }, disposeHandler: true);
        _db = AdvisoryStore.Open(Path.Combine(_dir, "a.db"), create: true);
        _db.Import(
        [
            Item(Record("MAL-2099-7", "evil-pkg", "\"versions\":[\"1.0.0\"]", extra: ",\"summary\":\"Malicious code in evil-pkg (npm)\"")),
            Item(Record("GHSA-test-vuln-0001", "vuln-lib", "\"ranges\":[" + Range("ECOSYSTEM", """{"introduced":"0"}""", """{"fixed":"1.0.1"}""") + "]", extra: ",\"database_specific\":{\"severity\":\"HIGH\"}")),
        ]);
    }

    public async Task DisposeAsync()
    {
        _db?.Dispose();
        _client?.Dispose();
        if (_sandbox is not null)
        {
            await _sandbox.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir!, recursive: true);
    }

    private Task<CheckReport> Check(string[] specs, ProjectContext? project = null, CheckOptions? options = null, bool withDb = true) =>
        new CheckService(_client!, withDb ? _db : null, PopularNames.Shipped(), ClaimedTrust.Instance, TimeProvider.System)
            .CheckAsync(specs.Select(PackageSpec.Parse).ToList(), project ?? ProjectContext.Empty, options ?? new CheckOptions(), CancellationToken.None);

    private static IReadOnlyList<string> Codes(CheckReport r, string package) =>
        r.Packages.Single(p => p.Name == package).Findings.Select(f => f.Code).ToList();

    [Fact]
    public async Task Check_WhenTyposquatWithInstallScript_IsAnError()
    {
        var r = await Check(["crossenv@^7.0.3"]);
        var f = r.Packages.Single().Findings.Single(f => f.Code == CheckCodes.Typosquat);
        Assert.Equal(FindingLevel.Error, f.Level);
        Assert.Contains("cross-env", f.Reason, StringComparison.Ordinal);
        Assert.Contains(CheckCodes.NewPackage, Codes(r, "crossenv"));
        Assert.Contains(CheckCodes.InstallScript, Codes(r, "crossenv"));
        Assert.True(r.Failed);
    }

    [Fact]
    public async Task Check_WhenThePopularPackageItself_HasNoNameFinding()
    {
        var r = await Check(["cross-env@7.0.3"]);
        Assert.DoesNotContain(r.AllFindings, f => f.Code is CheckCodes.Typosquat or CheckCodes.ScopeConfusion);
        Assert.False(r.Failed);
    }

    [Fact]
    public async Task Check_WhenTreeHasTransitiveDependencies_ResolvesEveryLevelWithHighestSatisfying()
    {
        var r = await Check(["app-lib@^1.0.0"]);
        Assert.Equal(["app-lib@1.0.0", "mid-lib@2.1.0", "tiny-dep@1.0.0", "leaf-lib@3.0.1"], r.Packages.Select(p => $"{p.Name}@{p.Version}"));
        Assert.Equal(["app-lib@^1.0.0", "mid-lib@^2.0.0", "leaf-lib@^3.0.0"], r.Packages.Single(p => p.Name == "leaf-lib").Path);
    }

    [Fact]
    public async Task Check_WhenLockfileHasASatisfyingVersion_DoesNotAddIt()
    {
        var project = new ProjectContext { Installed = new Dictionary<string, IReadOnlyList<SemVersion>> { ["mid-lib"] = [SemVersion.Parse("2.0.5")] } };
        var r = await Check(["app-lib@^1.0.0"], project);
        Assert.Equal(["app-lib", "tiny-dep"], r.Packages.Select(p => p.Name));
        Assert.Equal(1, r.AlreadyInstalled);
    }

    [Fact]
    public async Task Check_WhenRequestedSpecIsInTheLockfile_StillChecksIt()
    {
        var project = new ProjectContext { Installed = new Dictionary<string, IReadOnlyList<SemVersion>> { ["old-thing"] = [SemVersion.Parse("0.1.0")] } };
        var r = await Check(["old-thing@^0.1.0"], project);
        Assert.Contains(CheckCodes.Deprecated, Codes(r, "old-thing"));
    }

    [Fact]
    public async Task Check_WhenDepthZero_ChecksOnlyTheSpecs()
    {
        var r = await Check(["app-lib@^1.0.0"], options: new CheckOptions { Depth = 0 });
        Assert.Equal("app-lib", Assert.Single(r.Packages).Name);
    }

    [Fact]
    public async Task Check_WhenPublisherChangesAndAddsAnInstallScript_ReportsBothAndTheTrustDowngrade()
    {
        var r = await Check(["hijacked@1.0.1"]);
        var codes = Codes(r, "hijacked");
        Assert.Contains(CheckCodes.PublisherChanged, codes);
        Assert.Contains(CheckCodes.TrustDowngrade, codes);
        Assert.Contains(CheckCodes.NewVersion, codes);
        var script = r.Packages.Single().Findings.Single(f => f.Code == CheckCodes.NewInstallScript);
        Assert.Equal(FindingLevel.Error, script.Level);
        Assert.DoesNotContain(CheckCodes.InstallScript, codes);
    }

    [Fact]
    public async Task Check_WhenPreviousReleaseUnchanged_HasNoChangeFindings()
    {
        var r = await Check(["hijacked@1.0.0"]);
        Assert.DoesNotContain(r.AllFindings, f => f.Code is CheckCodes.PublisherChanged or CheckCodes.TrustDowngrade or CheckCodes.NewInstallScript);
    }

    [Fact]
    public async Task Check_WhenDeprecated_Warns()
    {
        var r = await Check(["old-thing"]);
        Assert.Contains(CheckCodes.Deprecated, Codes(r, "old-thing"));
    }

    [Fact]
    public async Task Check_WhenMalwareRecordMatches_IsAnErrorNamingTheSnapshot()
    {
        var r = await Check(["evil-pkg@1.0.0"]);
        var f = r.Packages.Single().Findings.Single(f => f.Code == AdvisoryCodes.Malware);
        Assert.Equal(FindingLevel.Error, f.Level);
        Assert.Equal(_db!.Snapshot.Digest, r.Snapshot!.Digest);
    }

    [Fact]
    public async Task Check_WhenAdvisoryCoversOnlyOlderVersions_PicksTheFixedOne()
    {
        var vulnerable = await Check(["vuln-lib@1.0.0"]);
        Assert.Contains(AdvisoryCodes.Vulnerable, Codes(vulnerable, "vuln-lib"));
        var latest = await Check(["vuln-lib@^1.0.0"]);
        Assert.Equal("1.0.1", latest.Packages.Single().Version.ToString());
        Assert.DoesNotContain(AdvisoryCodes.Vulnerable, Codes(latest, "vuln-lib"));
    }

    [Fact]
    public async Task Check_WhenNoDatabase_SaysSo()
    {
        var r = await Check(["evil-pkg@1.0.0"], withDb: false);
        Assert.Contains(r.General, f => f.Code == CheckCodes.NoAdvisoryDatabase);
        Assert.Null(r.Snapshot);
    }

    [Fact]
    public async Task Check_WhenPackageDoesNotExist_ReportsNotResolved()
    {
        var r = await Check(["no-such-package-here@1.0.0"]);
        Assert.Contains(r.General, f => f.Code == CheckCodes.NotResolved && f.Level == FindingLevel.Error);
        Assert.Empty(r.NetworkErrors);
    }

    [Fact]
    public async Task Check_WhenNameLooksLikeAProjectDependency_Warns()
    {
        var project = new ProjectContext { DirectDependencies = ["tiny-deps"] };
        var r = await Check(["tiny-dep@1.0.0"], project);
        Assert.Contains(CheckCodes.LookalikeDependency, Codes(r, "tiny-dep"));
    }

    [Fact]
    public async Task Check_WhenRegistryIsDown_ReportsANetworkError()
    {
        var url = _sandbox!.Url;
        await _sandbox.DisposeAsync();
        _sandbox = null;
        var config = NpmConfig.Load(new NpmConfigOptions { WorkingDirectory = _dir!, HomeDirectory = _dir!, RegistryOverride = url });
        using var client = new RegistryClient(RegistryClient.CreateDefaultHandler(), config, null, TimeProvider.System, new RegistryClientOptions { MaxRetries = 0 }, disposeHandler: true);
        var r = await new CheckService(client, _db, PopularNames.Shipped(), ClaimedTrust.Instance, TimeProvider.System)
            .CheckAsync([PackageSpec.Parse("app-lib")], ProjectContext.Empty, new CheckOptions(), CancellationToken.None);
        Assert.NotEmpty(r.NetworkErrors);
    }
}

public sealed class NameSimilarityTests
{
    [Theory]
    [InlineData("crossenv", "cross-env", Resemblance.Confusable)]
    [InlineData("l0dash", "lodash", Resemblance.Confusable)]
    [InlineData("lodahs", "lodash", Resemblance.EditDistance)]
    [InlineData("axois", "axios", Resemblance.EditDistance)]
    [InlineData("electorn", "electron", Resemblance.EditDistance)]
    [InlineData("expresss", "express", Resemblance.EditDistance)]
    [InlineData("twilio-npm", "twilio", Resemblance.Affix)]
    [InlineData("types-node", "@types/node", Resemblance.Scope)]
    [InlineData("@bable/core", "@babel/core", Resemblance.Scope)]
    [InlineData("react-dom", "react", Resemblance.None)]
    [InlineData("lodash", "lodash", Resemblance.None)]
    [InlineData("ms", "qs", Resemblance.None)]
    [InlineData("clone", "done", Resemblance.None)]
    public void Compare_WhenNamesResemble_SaysHow(string candidate, string target, Resemblance expected)
    {
        Assert.Equal(expected, NameSimilarity.Compare(candidate, target));
    }

    [Fact]
    public void Shipped_WhenLoaded_HasSourceDateAndTheRealTyposquatTargets()
    {
        var p = PopularNames.Shipped();
        Assert.NotNull(p.Date);
        Assert.True(p.Names.Count > 300);
        foreach (var (squat, target) in new[] { ("axois", "axios"), ("electorn", "electron"), ("lodahs", "lodash"), ("twilio-npm", "twilio") })
        {
            Assert.Contains(target, p.Set);
            Assert.NotEqual(Resemblance.None, NameSimilarity.Compare(squat, target));
        }
    }

    [Theory]
    [InlineData("git+https://github.com/Owner/Repo.git", "github.com/owner/repo")]
    [InlineData("https://github.com/owner/repo", "github.com/owner/repo")]
    [InlineData("github:owner/repo", "github.com/owner/repo")]
    [InlineData("owner/repo", "github.com/owner/repo")]
    [InlineData("git@github.com:owner/repo.git", "github.com/owner/repo")]
    [InlineData("git+ssh://git@github.com/owner/repo.git#main", "github.com/owner/repo")]
    public void NormalizeRepository_WhenShapesDiffer_GivesOneForm(string url, string expected)
    {
        Assert.Equal(expected, CheckService.NormalizeRepository(url));
    }
}
