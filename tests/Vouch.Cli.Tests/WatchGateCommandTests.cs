using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Vouch.Gate;
using Vouch.Npm;
using Vouch.Provenance;
using Vouch.Sandbox;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;
using Vouch.Tests;
using Vouch.Watch.Storage;

namespace Vouch.Cli.Tests;

/// <summary>
/// `vouch watch --gate URL --gate-token-env NAME` against an in-process gate over the sandbox
/// registry, against hostile gates on loopback, and `--store-postgres-env NAME` with two watch
/// runs sharing one PostgreSQL store at once.
/// </summary>
public sealed class WatchGateCommandTests : IAsyncLifetime
{
    private const string Name = "@lottiefiles/lottie-player";
    private const string ReaderToken = "reader-token-0123456789abcdef";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-watch-gate-");
    private readonly string _tokenEnv = "VOUCH_TEST_WATCH_GATE_TOKEN_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
    private SandboxRegistry _registry = null!;

    public async Task InitializeAsync()
    {
        _registry = await SandboxRegistry.StartAsync(Scenario.Builtin("lottie-player"), new SandboxOptions());
        Environment.SetEnvironmentVariable(_tokenEnv, ReaderToken);
    }

    public async Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(_tokenEnv, null);
        await _registry.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Watch_WhenGateServesPackages_WatchesThoseAndReportsTheirEvents()
    {
        await using var gate = await StartGateAsync();
        using (var http = new HttpClient { BaseAddress = gate.Url })
        {
            // The gate lists what its clients installed through it.
            foreach (var path in new[] { "@lottiefiles%2flottie-player", "lottie-web" })
            {
                using var r = await http.GetAsync(path);
                Assert.True(r.IsSuccessStatusCode, path);
            }
        }

        var baseline = await Watch(["--gate", gate.Url.ToString(), "--gate-token-env", _tokenEnv]);
        await PublishAsync("2.0.9");
        var found = await Watch(["--gate", gate.Url.ToString(), "--gate-token-env", _tokenEnv]);

        Assert.True(baseline.Exit == 0, baseline.Stderr);
        Assert.Contains("2 package(s)", baseline.Stderr);
        Assert.True(found.Exit == 1, found.Stderr);
        var lines = found.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Contains(lines, l => (string?)l["kind"] == "provenance-lost" && (string?)l["package"] == Name && (string?)l["version"] == "2.0.9");
        Assert.DoesNotContain(ReaderToken, baseline.Stderr + found.Stderr + found.Stdout);
    }

    [Fact]
    public async Task Watch_WhenGateRefusesTheToken_ExitsTwoWithTheCodeAndWithoutTheToken()
    {
        await using var gate = await StartGateAsync();
        var wrongEnv = _tokenEnv + "_WRONG";
        Environment.SetEnvironmentVariable(wrongEnv, "not-a-token-of-this-gate");
        try
        {
            var (exit, stdout, stderr) = await Watch(["--gate", gate.Url.ToString(), "--gate-token-env", wrongEnv]);

            Assert.Equal(2, exit);
            Assert.Contains("VOUCH_WATCH_GATE_UNAUTHORIZED", stderr);
            Assert.DoesNotContain("not-a-token-of-this-gate", stdout + stderr);
        }
        finally
        {
            Environment.SetEnvironmentVariable(wrongEnv, null);
        }
    }

    [Theory]
    [InlineData("invalid-names", "VOUCH_WATCH_GATE_INVALID_RESPONSE")]
    [InlineData("not-json", "VOUCH_WATCH_GATE_INVALID_RESPONSE")]
    [InlineData("huge", "VOUCH_WATCH_GATE_INVALID_RESPONSE")]
    [InlineData("redirect", "VOUCH_WATCH_GATE_FAILED")]
    [InlineData("error", "VOUCH_WATCH_GATE_FAILED")]
    public async Task Watch_WhenTheGatesAnswerIsHostile_ExitsThreeWatchingNothing(string mode, string code)
    {
        var collected = 0;
        var (collector, collectorUrl) = await LoopbackHost.StartAsync(ctx => { Interlocked.Increment(ref collected); return Task.CompletedTask; });
        await using var _c = collector;
        var (hostile, hostileUrl) = await LoopbackHost.StartAsync(async ctx =>
        {
            switch (mode)
            {
                case "invalid-names":
                    ctx.Response.ContentType = "application/json";
                    await ctx.Response.WriteAsync("""{"packages":[{"name":"lodash"},{"name":"../../../etc/passwd"},{"name":"http://evil.example/x"}]}""");
                    break;
                case "not-json":
                    ctx.Response.ContentType = "application/json";
                    await ctx.Response.WriteAsync("{\"packages\": [");
                    break;
                case "huge":
                    ctx.Response.ContentType = "application/json";
                    var chunk = Encoding.ASCII.GetBytes(new string(' ', 1 << 20));
                    for (var i = 0; i < 40 && !ctx.RequestAborted.IsCancellationRequested; i++)
                    {
                        await ctx.Response.Body.WriteAsync(chunk, ctx.RequestAborted);
                    }

                    break;
                case "redirect":
                    ctx.Response.StatusCode = 307;
                    ctx.Response.Headers.Location = new Uri(collectorUrl, "steal").ToString();
                    break;
                default:
                    ctx.Response.StatusCode = 500;
                    break;
            }
        });
        await using var _h = hostile;

        var (exit, stdout, stderr) = await Watch(["--gate", hostileUrl.ToString(), "--gate-token-env", _tokenEnv]);

        Assert.True(exit == 3, stderr);
        Assert.Contains(code, stderr);
        Assert.Equal("", stdout);
        Assert.Equal(0, collected);
        Assert.DoesNotContain(ReaderToken, stderr);
    }

    [Theory]
    [InlineData("--gate", "http://gate.example/")]
    [InlineData("--gate", "https://gate.example/")]
    [InlineData("--gate", "https://gate.example/", "--gate-token-env", "VOUCH_TEST_WATCH_UNSET_VARIABLE")]
    [InlineData("--gate-token-env", "VOUCH_TEST_WATCH_UNSET_VARIABLE")]
    [InlineData("--store", "x.db", "--store-postgres-env", "VOUCH_TEST_WATCH_UNSET_VARIABLE")]
    [InlineData("--store-postgres-env", "VOUCH_TEST_WATCH_UNSET_VARIABLE")]
    public async Task Watch_WhenGateOrStoreOptionsAreBad_ExitsTwo(params string[] options)
    {
        var (exit, _, stderr) = await Run(["watch", "--once", "--registry", _registry.Url.ToString(), Name, .. options]);

        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: ", stderr);
    }

    [Fact]
    public async Task Watch_WhenPostgresIsUnreachable_ExitsThreeWithoutThePassword()
    {
        var env = "VOUCH_TEST_WATCH_PG_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        Environment.SetEnvironmentVariable(env, "Host=127.0.0.1;Port=9;Username=watch;Password=hunter2-secret;Timeout=3");
        try
        {
            var (exit, _, stderr) = await Run(["watch", "--once", "--store-postgres-env", env, "--registry", _registry.Url.ToString(), Name]);

            Assert.Equal(3, exit);
            Assert.Contains("VOUCH_WATCH_STORE_UNAVAILABLE", stderr);
            Assert.DoesNotContain("hunter2", stderr);
        }
        finally
        {
            Environment.SetEnvironmentVariable(env, null);
        }
    }

    /// <summary>Two `vouch watch --once` runs at the same moment on one PostgreSQL store, each with its own HTTP cache: every event is printed and stored once.</summary>
    [SkippableFact]
    public async Task Watch_WhenTwoRunsShareAPostgresStoreAtOnce_EachEventIsPrintedOnce()
    {
        var cluster = Environment.GetEnvironmentVariable("VOUCH_TEST_POSTGRES");
        Skip.If(string.IsNullOrWhiteSpace(cluster), "needs VOUCH_TEST_POSTGRES (scripts/postgres start)");
        var admin = PostgresConnectionString.ToNpgsql(cluster!.Trim());
        var db = "vouch_watch_cli_" + Guid.NewGuid().ToString("N")[..10];
        await Exec(admin, $"CREATE DATABASE {db}");
        var env = "VOUCH_TEST_WATCH_PG_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var connection = new NpgsqlConnectionStringBuilder(admin) { Database = db }.ConnectionString;
        Environment.SetEnvironmentVariable(env, connection);
        try
        {
            var baseline = await Watch(["--store-postgres-env", env, Name, "lottie-web"], cache: "a");
            await PublishAsync("2.0.9");

            var runs = await Task.WhenAll(
                Watch(["--store-postgres-env", env, Name, "lottie-web"], cache: "a"),
                Watch(["--store-postgres-env", env, Name, "lottie-web"], cache: "b"));

            Assert.True(baseline.Exit == 0, baseline.Stderr);
            var printed = runs.SelectMany(r => r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)).Select(l => (string)JsonNode.Parse(l)!["id"]!).ToList();
            Assert.NotEmpty(printed);
            Assert.Equal(printed.Count, printed.Distinct().Count());
            Assert.Contains(runs, r => r.Exit == 1);
            Assert.All(runs, r => Assert.True(r.Exit is 0 or 1, r.Stderr));
            using var store = WatchStore.OpenPostgres(connection);
            Assert.Equal(printed.Order(), store.ReadEvents(0, 100).Select(e => e.Id).Order());
        }
        finally
        {
            Environment.SetEnvironmentVariable(env, null);
            NpgsqlConnection.ClearAllPools();
            await Exec(admin, $"DROP DATABASE IF EXISTS {db} WITH (FORCE)");
        }
    }

    private async Task<GateHost> StartGateAsync() => await GateHost.StartAsync(
        new GateOptions
        {
            Upstream = _registry.Url,
            Listen = "127.0.0.1:0",
            Database = Path.Combine(_dir.FullName, "gate.db"),
            DataDirectory = Path.Combine(_dir.FullName, "gate"),
            PackumentMaxAge = TimeSpan.Zero,
            Tokens = [new GateToken("rita", GateRole.Reader, ReaderToken)],
        },
        new GateDependencies
        {
            UpstreamHandler = RegistryClient.CreateDefaultHandler(),
            Sigstore = new SigstoreVerifier(TrustedRoot.Parse(Encoding.UTF8.GetBytes(_registry.TrustedRootJson))),
            TrustedKeys = RegistryKeys.Parse(Encoding.UTF8.GetBytes(_registry.RegistryKeysJson), "sandbox registry keys").WithV1KeysForAttestations(),
        });

    private Task<(int Exit, string Stdout, string Stderr)> Watch(string[] extra, string cache = "cache")
    {
        string[] store = extra.Contains("--store-postgres-env") ? [] : ["--store", Path.Combine(_dir.FullName, "watch.db")];
        return Run(["watch", "--once", .. store, "--cache-dir", Path.Combine(_dir.FullName, cache),
            "--registry", _registry.Url.ToString(), "--trusted-root", _registry.TrustedRootPath, "--registry-keys", _registry.RegistryKeysPath, .. extra]);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> Run(string[] args) => await InProcessCli.Run(args);

    private static async Task Exec(string connection, string sql)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, c);
        await cmd.ExecuteNonQueryAsync();
    }

    /// <summary>A token publish (no provenance, an install script), as npm sends it.</summary>
    private Task PublishAsync(string version) =>
        WatchCommandTests.TokenPublishAsync(_registry.Url, version, new JsonObject { ["postinstall"] = "node collect.js" });
}
