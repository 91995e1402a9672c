using System.Diagnostics;
using System.Text.Json.Nodes;
using Vouch.Cli.Run;
using Vouch.Gate.Storage;
using Vouch.Npm;
using Vouch.Sandbox;

namespace Vouch.Cli.Tests;

/// <summary>The sandbox replaying the lottie-player incident (2.0.5-2.0.7 withheld by the default policy), shared by the `vouch run` tests.</summary>
public sealed class RunSandbox : IAsyncLifetime
{
    public SandboxRegistry Registry { get; private set; } = null!;

    public async Task InitializeAsync() => Registry = await SandboxRegistry.StartAsync(Scenario.Builtin("lottie-player"), new SandboxOptions());

    public async Task DisposeAsync() => await Registry.DisposeAsync();
}

/// <summary>
/// `vouch run` end to end with the real clients (npm from PATH, pnpm, yarn 1, yarn 4 and bun from
/// .tools) against the sandbox: what was withheld is printed, and a version the client would have
/// taken but was refused makes the run exit 1 even when the client settled for another.
/// </summary>
[Collection("clients")]
public sealed class RunCommandTests(RunSandbox sandbox) : IClassFixture<RunSandbox>, IDisposable
{
    private const string Name = "@lottiefiles/lottie-player";
    private const string Secret = "vouch-run-secret-token-5f1c2a";
    private readonly string _root = Directory.CreateTempSubdirectory("vouch-run-test-").FullName;

    private string Project(string range)
    {
        var dir = Path.Combine(_root, "project");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "package.json"), new JsonObject
        {
            ["name"] = "consumer", ["version"] = "1.0.0", ["private"] = true,
            ["dependencies"] = new JsonObject { [Name] = range },
        }.ToJsonString());

        // A credential for the upstream: the gate sends it upstream; nothing may print it.
        File.WriteAllText(Path.Combine(dir, ".npmrc"), $"//{sandbox.Registry.Url.Authority}/:_authToken={Secret}\n");
        return dir;
    }

    private string? Installed(string project)
    {
        var file = Path.Combine(project, "node_modules", "@lottiefiles", "lottie-player", "package.json");
        return File.Exists(file) ? (string?)JsonNode.Parse(File.ReadAllText(file))!["version"] : null;
    }

    private async Task<(int Exit, string Out, string Err)> RunAsync(string project, params string[] child)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string[] args =
        [
            "run", "--project", project, "--registry", sandbox.Registry.Url.AbsoluteUri, "--trusted-root", sandbox.Registry.TrustedRootPath,
            "--registry-keys", sandbox.Registry.RegistryKeysPath, "--cache-dir", Path.Combine(_root, "vouch-cache"), "--", .. child,
        ];
        var exit = await VouchCli.RunAsync(args, stdout, stderr);
        var (o, e) = (stdout.ToString(), stderr.ToString());
        Assert.DoesNotContain(Secret, o, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, e, StringComparison.Ordinal);
        return (exit, o, e);
    }

    private static string Tool(string dir, string bin)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            // scripts/install-tools installs into VOUCH_TOOLS_DIR when it is set, like the other suites read it.
            var tools = Environment.GetEnvironmentVariable("VOUCH_TOOLS_DIR") is { Length: > 0 } env ? env : Path.Combine(d.FullName, ".tools");
            var path = Path.Combine(tools, dir, "node_modules", ".bin", bin);
            if (File.Exists(Path.Combine(d.FullName, "Vouch.slnx")))
            {
                Assert.True(File.Exists(path), $"{path} is missing: run scripts/install-tools");
                return path;
            }
        }

        throw new DirectoryNotFoundException("repository root not found");
    }

    private string[] Npm(params string[] args) =>
        ["npm", .. args, "--cache", Path.Combine(_root, "npm-cache"), "--no-audit", "--no-fund", "--ignore-scripts"];

    [Fact]
    public async Task Npm_WhenRangeAdmitsWithheldVersions_InstallsLowerButExitsOneNamingThem()
    {
        var project = Project(">=2.0.4 <2.0.8");

        var (exit, _, err) = await RunAsync(project, Npm("install"));

        Assert.Equal("2.0.4", Installed(project));
        Assert.True(exit == 1, err);
        Assert.Contains($"{Name}@2.0.7: REFUSED (the client asked for it): rule trust-downgrade", err, StringComparison.Ordinal);
        Assert.Contains("it settled for another", err, StringComparison.Ordinal);
        Assert.Contains("vouch run: gate http://127.0.0.1:", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Npm_WhenRangeResolvesAboveEveryWithheldVersion_ExitsZeroAndStillListsThem()
    {
        var project = Project("^2.0.4");

        var (exit, _, err) = await RunAsync(project, Npm("install"));

        Assert.True(exit == 0, err);
        Assert.Equal("2.0.8", Installed(project));
        Assert.Contains($"{Name}@2.0.5: withheld: rule trust-downgrade", err, StringComparison.Ordinal);
        Assert.DoesNotContain("REFUSED", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Npm_WhenExactWithheldVersionAsked_FailsAndSaysWhy()
    {
        var project = Project("2.0.5");

        var (exit, _, err) = await RunAsync(project, Npm("install"));

        Assert.NotEqual(0, exit);
        Assert.Null(Installed(project));
        Assert.Contains($"{Name}@2.0.5: ", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Npm_WhenProjectPolicyAllowsDowngradeButAdvisoryDbListsMalware_RefusesNamingTheRecord()
    {
        var project = Project(">=2.0.4 <2.0.8");
        File.WriteAllText(Path.Combine(project, "vouch.policy.yml"), "version: 1\nrules:\n  trust-downgrade: off\n  install-scripts: off\n");
        var db = Path.Combine(_root, "osv.db");
        using (var store = Vouch.Advisories.AdvisoryStore.Open(db, create: true))
        {
            // Real record (ossf/malicious-packages, Apache-2.0; ../shared/fixtures/osv/README.md).
            store.Import(Vouch.Advisories.OsvSource.Read(Vouch.Tests.SharedFixtures.Path("osv", "malicious", "MAL-2024-10301.json")));
        }

        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await VouchCli.RunAsync(
            ["run", "--project", project, "--registry", sandbox.Registry.Url.AbsoluteUri, "--trusted-root", sandbox.Registry.TrustedRootPath,
             "--registry-keys", sandbox.Registry.RegistryKeysPath, "--cache-dir", Path.Combine(_root, "vouch-cache"), "--advisory-db", db, "--", .. Npm("install")],
            stdout, stderr);
        var err = stderr.ToString();

        Assert.True(exit == 1, err);
        Assert.Equal("2.0.4", Installed(project));
        Assert.Contains($"{Name}@2.0.7: REFUSED (the client asked for it): rule malware", err, StringComparison.Ordinal);
        Assert.Contains("MAL-2024-10301", err, StringComparison.Ordinal);
        Assert.Contains("advisory snapshot sha256:", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pnpm_WhenRangeAdmitsWithheldVersions_ExitsOne()
    {
        var project = Project(">=2.0.4 <2.0.8");

        var (exit, _, err) = await RunAsync(project, Tool("pnpm", "pnpm"), "install", "--store-dir", Path.Combine(_root, "pnpm-store"), "--ignore-scripts", "--config.node-linker=hoisted", "--reporter=append-only");

        Assert.Equal("2.0.4", Installed(project));
        Assert.True(exit == 1, err);
        Assert.Contains($"{Name}@2.0.7: REFUSED", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Yarn1_WhenRangeAdmitsWithheldVersions_ExitsOne()
    {
        var project = Project(">=2.0.4 <2.0.8");

        var (exit, _, err) = await RunAsync(project, Tool("yarn1", "yarn"), "install", "--cache-folder", Path.Combine(_root, "yarn-cache"), "--ignore-scripts", "--non-interactive", "--no-progress");

        Assert.Equal("2.0.4", Installed(project));
        Assert.True(exit == 1, err);
        Assert.Contains($"{Name}@2.0.7: REFUSED", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task YarnBerry_WhenRangeAdmitsWithheldVersions_ExitsOne()
    {
        var project = Project(">=2.0.4 <2.0.8");
        File.WriteAllText(Path.Combine(project, ".yarnrc.yml"),
            $"nodeLinker: node-modules\nenableGlobalCache: false\ncacheFolder: \"{Path.Combine(_root, "berry-cache")}\"\nenableTelemetry: false\nenableScripts: false\n");
        File.WriteAllText(Path.Combine(project, "yarn.lock"), "");

        var (exit, _, err) = await RunAsync(project, Tool("yarn4", "yarn"), "install", "--mode=skip-build", "--no-immutable");

        Assert.Equal("2.0.4", Installed(project));
        Assert.True(exit == 1, err);
        Assert.Contains($"{Name}@2.0.7: REFUSED", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bun_WhenRangeAdmitsWithheldVersions_ExitsOne()
    {
        var project = Project(">=2.0.4 <2.0.8");

        var (exit, _, err) = await RunAsync(project, Tool("bun", "bun"), "install", "--no-cache", "--ignore-scripts");

        Assert.Equal("2.0.4", Installed(project));
        Assert.True(exit == 1, err);
        Assert.Contains($"{Name}@2.0.7: REFUSED", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_WhenCommandIsNotAPackageManager_ExitsTwo()
    {
        var (exit, _, err) = await RunAsync(_root, "sh", "-c", "true");

        Assert.Equal(2, exit);
        Assert.Contains("not a package manager", err, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>The child's environment: every registry setting points at the gate, and what cannot be redirected refuses the run.</summary>
public sealed class ChildEnvironmentTests : IDisposable
{
    private static readonly Uri Gate = new("http://127.0.0.1:40123/");
    private static readonly Uri Upstream = new("https://registry.example.com/npm/");
    private readonly string _dir = Directory.CreateTempSubdirectory("vouch-childenv-").FullName;

    private NpmConfig Config(string npmrc, Dictionary<string, string>? env = null)
    {
        File.WriteAllText(Path.Combine(_dir, ".npmrc"), npmrc);
        return NpmConfig.Load(new NpmConfigOptions { WorkingDirectory = _dir, HomeDirectory = _dir, Environment = env ?? new Dictionary<string, string>() });
    }

    [Fact]
    public void Build_WhenParentPointsAtTheUpstreamInEveryCase_EveryRegistrySettingNamesTheGateOnly()
    {
        var parent = new Dictionary<string, string>
        {
            ["NPM_CONFIG_REGISTRY"] = Upstream.AbsoluteUri,
            ["npm_config_Registry"] = Upstream.AbsoluteUri,
            ["YARN_NPM_REGISTRY_SERVER"] = Upstream.AbsoluteUri,
            ["yarn_registry"] = Upstream.AbsoluteUri,
            ["BUN_CONFIG_REGISTRY"] = Upstream.AbsoluteUri,
            ["NPM_CONFIG_REPLACE_REGISTRY_HOST"] = "never",
            ["NPM_TOKEN"] = "kept-for-the-child",
            ["PATH"] = "/usr/bin",
        };

        var env = ChildEnvironment.Build(parent, Gate, Upstream, Config("@acme:registry=https://registry.example.com/npm/\n"), _dir, out var errors);

        Assert.Empty(errors);
        Assert.DoesNotContain(env.Values, v => v.Contains("registry.example.com", StringComparison.OrdinalIgnoreCase));
        foreach (var (key, value) in env.Where(e => e.Key.Contains("registry", StringComparison.OrdinalIgnoreCase) && !e.Key.Contains("replace", StringComparison.OrdinalIgnoreCase)))
        {
            Assert.StartsWith("http://127.0.0.1:40123", value, StringComparison.Ordinal);
        }

        Assert.Equal("http://127.0.0.1:40123/", env["npm_config_@acme:registry"]);
        Assert.Equal("always", env["npm_config_replace_registry_host"]);
        Assert.Equal("kept-for-the-child", env["NPM_TOKEN"]);
        Assert.Single(env.Keys, k => k.Equals("npm_config_registry", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Build_WhenAScopeUsesAnotherRegistry_Refuses()
    {
        var env = ChildEnvironment.Build(new Dictionary<string, string>(), Gate, Upstream, Config("@corp:registry=https://npm.corp.example/\n"), _dir, out var errors);

        Assert.Contains(errors, e => e.Contains("@corp", StringComparison.Ordinal) && e.Contains("around the gate", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_WhenScopeRegistryComesFromTheEnvironment_Refuses()
    {
        var parentEnv = new Dictionary<string, string> { ["npm_config_@corp:registry"] = "https://npm.corp.example/" };
        ChildEnvironment.Build(parentEnv, Gate, Upstream, Config("", parentEnv), _dir, out var errors);

        Assert.Contains(errors, e => e.Contains("@corp", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_WhenYarnClassicLockfilePinsTarballUrls_Refuses()
    {
        File.WriteAllText(Path.Combine(_dir, "yarn.lock"), "# THIS IS AN AUTOGENERATED FILE.\n# yarn lockfile v1\n\n\nleft-pad@^1.3.0:\n  version \"1.3.0\"\n  resolved \"https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz#5b8a3a7765dfe001261dde915589e782f8c94d1e\"\n");

        ChildEnvironment.Build(new Dictionary<string, string>(), Gate, Upstream, Config(""), _dir, out var errors);

        Assert.Contains(errors, e => e.Contains("yarn.lock", StringComparison.Ordinal) && e.Contains("https://registry.yarnpkg.com/", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_WhenYarnBerryOrBunDeclareScopes_Refuses()
    {
        File.WriteAllText(Path.Combine(_dir, ".yarnrc.yml"), "npmScopes:\n  corp:\n    npmRegistryServer: https://npm.corp.example\n");
        File.WriteAllText(Path.Combine(_dir, "bunfig.toml"), "[install.scopes]\ncorp = \"https://npm.corp.example/\"\n");

        ChildEnvironment.Build(new Dictionary<string, string>(), Gate, Upstream, Config(""), _dir, out var errors);

        Assert.Equal(2, errors.Count);
    }

    [Theory]
    [InlineData("npm", true)]
    [InlineData("/usr/local/bin/npx", true)]
    [InlineData("pnpm", true)]
    [InlineData("yarn", true)]
    [InlineData("bunx", true)]
    [InlineData("node", false)]
    [InlineData("sh", false)]
    public void Classify_WhenCommandGiven_KnowsOnlyPackageManagers(string command, bool known) =>
        Assert.Equal(known, ChildEnvironment.Classify(command) is not null);

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

/// <summary>The run's verdict from the gate's refusal log and evidence.</summary>
public sealed class RunReportTests
{
    private static AuditEntry Log(string action, string version) =>
        new(1, DateTimeOffset.UnixEpoch, "gate", action, null, "pkg", version, "malware", "listed by MAL-1", null);

    private static StoredEvidence Served(string version) => new("pkg", version, "sha512-x", "{}", DateTimeOffset.UnixEpoch);

    [Theory]
    [InlineData("2.0.7", "2.0.4", true)]
    [InlineData("2.0.7", "2.0.8", false)]
    [InlineData("3.0.0", "2.0.4", false)]
    [InlineData("0.3.1", "0.3.0", true)]
    [InlineData("0.4.0", "0.3.0", false)]
    public void From_WhenWithheldAndServed_AsksIfTheClientSettledInTheSameCaretRange(string withheld, string served, bool requested)
    {
        var report = RunReport.From([Log("withheld", withheld)], [Served(served)]);

        Assert.Equal(requested, report.RequestedRefused);
    }

    [Fact]
    public void From_WhenTarballRefused_IsRequestedEvenWithNothingServed()
    {
        var report = RunReport.From([Log("refused", "1.0.0"), Log("withheld", "1.0.0")], [Served("1.0.0")]);

        Assert.True(report.RequestedRefused);
        Assert.Single(report.Refusals);
        Assert.Empty(report.Served);
    }

    [Fact]
    public void From_WhenTheClientTookTheLowerVersionFromItsOwnCache_StillCountsAsSettled()
    {
        var report = RunReport.From([Log("withheld", "2.0.7")], [], [("pkg", "2.0.4")]);

        Assert.True(report.RequestedRefused);
    }

    [Fact]
    public void Lines_WhenNothingWithheld_SaysSo() =>
        Assert.Equal(["vouch run: the gate withheld nothing"], RunReport.From([], []).Lines());
}

/// <summary>The gate's upstream credential: added only where the project's .npmrc scopes it.</summary>
public sealed class RegistryCredentialHandlerTests
{
    private sealed class Capture : HttpMessageHandler
    {
        public List<HttpRequestMessage> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK));
        }
    }

    [Fact]
    public async Task Send_WhenUrlUnderTheCredentialPrefix_AddsItAndNowhereElse()
    {
        var dir = Directory.CreateTempSubdirectory("vouch-cred-").FullName;
        File.WriteAllText(Path.Combine(dir, ".npmrc"), "registry=https://npm.corp.example/repo/\n//npm.corp.example/repo/:_authToken=s3cret-token-value\n");
        var config = NpmConfig.Load(new NpmConfigOptions { WorkingDirectory = dir, HomeDirectory = dir });
        var capture = new Capture();
        using var http = new HttpClient(new RegistryCredentialHandler(config, capture));

        await http.GetAsync("https://npm.corp.example/repo/left-pad");
        await http.GetAsync("https://cdn.example/left-pad.tgz");
        await http.GetAsync("https://npm.corp.example/other/left-pad");

        Assert.Equal("Bearer s3cret-token-value", capture.Requests[0].Headers.Authorization!.ToString());
        Assert.Null(capture.Requests[1].Headers.Authorization);
        Assert.Null(capture.Requests[2].Headers.Authorization);
        Directory.Delete(dir, recursive: true);
    }
}

/// <summary>`vouch serve --advisory-db`: a database that is missing or not a database stops start-up with exit 2.</summary>
public sealed class ServeAdvisoryDbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vouch-serve-osv-").FullName;

    [Fact]
    public async Task Serve_WhenAdvisoryDbMissing_ExitsTwo()
    {
        var stderr = new StringWriter();
        var exit = await VouchCli.RunAsync(["serve", "--upstream", "http://127.0.0.1:9/", "--listen", "127.0.0.1:0", "--data-dir", _dir, "--advisory-db", Path.Combine(_dir, "none.db")], new StringWriter(), stderr);

        Assert.Equal(2, exit);
        Assert.Contains("advisory-db", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WhenAdvisoryDbIsNotADatabase_ExitsTwoWithCode()
    {
        var file = Path.Combine(_dir, "bad.db");
        File.WriteAllText(file, "this is not a SQLite database, just text that fills a page or so of bytes..........");
        var stderr = new StringWriter();
        var exit = await VouchCli.RunAsync(["serve", "--upstream", "http://127.0.0.1:9/", "--listen", "127.0.0.1:0", "--data-dir", _dir, "--advisory-db", file], new StringWriter(), stderr);

        Assert.Equal(2, exit);
        Assert.Contains("VOUCH_DB_CORRUPT", stderr.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
