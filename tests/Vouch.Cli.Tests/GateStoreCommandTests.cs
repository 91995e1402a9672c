using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using Vouch.Cli;

namespace Vouch.Cli.Tests;

/// <summary>
/// Issue 12, storage side, from the command line: `vouch approve` refuses inexact versions and
/// ambiguous or past expiries before calling the gate, `vouch approve reverify`, and two `vouch serve`
/// processes on one PostgreSQL with one killed by SIGKILL (Skipped when VOUCH_SKIP_POSTGRES=1).
/// </summary>
public sealed class GateStoreCommandTests : IAsyncLifetime
{
    private const string Reader = "reader-secret-0123456789";
    private const string Approver = "approver-secret-0123456789";
    private const string Admin = "admin-secret-0123456789";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-gate-store-");
    private FixtureRegistry _registry = null!;

    public async Task InitializeAsync() => _registry = await FixtureRegistry.StartAsync();

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private string TokensFile()
    {
        var path = Path.Combine(_dir.FullName, "tokens");
        File.WriteAllText(path, $"reader rita {Reader}\napprover alice {Approver}\nadmin root {Admin}\n");
        return path;
    }

    [Theory]
    [InlineData("request", "sigstore@v1.0.0", "--rule", "r")]
    [InlineData("request", "sigstore@1.0.0+build", "--rule", "r")]
    [InlineData("request", "sigstore@1.0.0", "--rule", "bad rule")]
    [InlineData("grant", "1", "--expires", "2020-01-01T00:00:00Z")]
    [InlineData("grant", "1", "--expires", "2099-01-01")]
    [InlineData("grant", "1", "--expires", "2099-01-01T00:00:00")]
    [InlineData("grant", "1", "--expires", "01/02/2099")]
    [InlineData("reverify", "sigstore@v1.0.0")]
    public async Task Approve_WhenInputIsInexactOrAmbiguous_Exits2WithoutCallingTheGate(params string[] args)
    {
        // Port 9 (discard) on loopback: a call that got through would exit 3, not 2.
        var (exit, _, err) = await InProcessCli.Run(["approve", .. args, "--gate", "http://127.0.0.1:9/", "--token", Reader]);

        Assert.True(exit == 2, err);
    }

    [Fact]
    public async Task Approve_WhenRuleIsStar_IsSentToTheGate()
    {
        var (exit, _, err) = await InProcessCli.Run("approve", "request", "sigstore@1.0.0", "--rule", "*", "--gate", "http://127.0.0.1:9/", "--token", Reader);

        Assert.True(exit == 3, err);
    }

    [Fact]
    public async Task Reverify_WhenAdminRunsIt_GateVerifiesAgainAndAuditsIt()
    {
        var (url, stop, run) = await ServeInProcessAsync();
        using var http = new HttpClient();
        await http.GetStringAsync(new Uri(url, "-/vouch/v1/verify/sigstore/1.0.0"));

        var approver = await InProcessCli.Run("approve", "reverify", "sigstore@1.0.0", "--gate", url.ToString(), "--token", Approver);
        var admin = await InProcessCli.Run("approve", "reverify", "sigstore@1.0.0", "--reason", "new root", "--gate", url.ToString(), "--token", Admin);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, "-/vouch/v1/audit"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Reader);
        using var response = await http.SendAsync(request);
        var audit = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["entries"]!.AsArray();
        await stop.CancelAsync();
        await run;

        Assert.Equal(2, approver.Exit);
        Assert.Contains("admin", approver.Err, StringComparison.Ordinal);
        Assert.True(admin.Exit is 0 or 1, admin.Err);
        Assert.Contains("sigstore@1.0.0: verified again", admin.Out, StringComparison.Ordinal);
        Assert.Contains(audit, e => (string)e!["action"]! == "reverify" && (string)e["actor"]! == "root" && (string)e["reason"]! == "new root");
    }

    private async Task<(Uri Url, CancellationTokenSource Stop, Task<int> Run)> ServeInProcessAsync()
    {
        var stdout = new StringWriter();
        var output = TextWriter.Synchronized(stdout);
        var stop = new CancellationTokenSource();
        var run = Task.Run(() => VouchCli.RunAsync(
            ["serve", "--upstream", _registry.BaseUrl.ToString(), "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(_dir.FullName, "data"), "--tokens", TokensFile()],
            output, TextWriter.Null, stop.Token));
        for (var i = 0; i < 600 && !run.IsCompleted; i++)
        {
            var text = stdout.ToString();
            var at = text.IndexOf("listening on ", StringComparison.Ordinal);
            if (at >= 0)
            {
                return (new Uri(text[(at + 13)..].Split(' ')[0]), stop, run);
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException($"vouch serve did not start: {stdout}");
    }

    [SkippableFact]
    public async Task Serve_WhenTwoProcessesShareOnePostgresAndOneIsKilled_NothingAcknowledgedIsLost()
    {
        Skip.If(Environment.GetEnvironmentVariable("VOUCH_SKIP_POSTGRES") == "1", "PostgreSQL is skipped (VOUCH_SKIP_POSTGRES=1)");
        var database = await CreateDatabaseAsync();
        var tokens = TokensFile();

        // Started together on an empty database: both migrate, under the advisory lock, once.
        var started = await Task.WhenAll(StartServeAsync(database, tokens, "a"), StartServeAsync(database, tokens, "b"));
        var (a, urlA) = started[0];
        var (b, urlB) = started[1];
        try
        {
            await using (var c = new NpgsqlConnection(database))
            {
                await c.OpenAsync();
                await using var cmd = new NpgsqlCommand("SELECT count(*) FROM schema_migrations", c);
                Assert.Equal(4L, (long)(await cmd.ExecuteScalarAsync())!);
            }

            // Concurrent identical requests across both processes: one pending row.
            using var http = new HttpClient();
            var ids = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(i % 2 == 0 ? urlA : urlB, "-/vouch/v1/approvals"))
                {
                    Content = new StringContent("{\"name\":\"sigstore\",\"version\":\"1.0.0\",\"rule\":\"verified-evidence\"}", Encoding.UTF8, "application/json"),
                };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Reader);
                using var response = await http.SendAsync(request);
                return (long)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!;
            }));
            var id = Assert.Single(ids.Distinct());

            // Acknowledged by A, then A dies at once: B has the grant, with its audit row, within the bound.
            var grant = await InProcessCli.Run("approve", "grant", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--reason", "ok", "--gate", urlA.ToString(), "--token", Approver);
            Assert.True(grant.Exit == 0, grant.Err);
            a.Kill();
            await a.WaitForExitAsync();

            var clock = Stopwatch.StartNew();
            string listed;
            do
            {
                listed = (await InProcessCli.Run("approve", "list", "--status", "granted", "--gate", urlB.ToString(), "--token", Reader)).Out;
            }
            while (!listed.Contains($"#{id} ", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(3));

            Assert.Contains($"#{id} sigstore@1.0.0 rule verified-evidence: granted", listed, StringComparison.Ordinal);
            using var audit = new HttpRequestMessage(HttpMethod.Get, new Uri(urlB, "-/vouch/v1/audit"));
            audit.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Reader);
            using var auditResponse = await http.SendAsync(audit);
            var entries = JsonNode.Parse(await auditResponse.Content.ReadAsStringAsync())!["entries"]!.AsArray();
            Assert.Single(entries, e => (string)e!["action"]! == "requested");
            Assert.Single(entries, e => (string)e!["action"]! == "granted" && (string)e["actor"]! == "alice");
        }
        finally
        {
            foreach (var p in new[] { a, b }.Where(p => !p.HasExited))
            {
                p.Kill();
                await p.WaitForExitAsync();
            }
        }
    }

    private async Task<(Process Process, Uri Url)> StartServeAsync(string database, string tokens, string name)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "vouch.dll"), "serve", "--upstream", _registry.BaseUrl.ToString(), "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(_dir.FullName, name), "--tokens", tokens, "--db", database })
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1)) ?? throw new InvalidOperationException(await process.StandardError.ReadToEndAsync());
        var at = line.IndexOf("listening on ", StringComparison.Ordinal);
        Assert.True(at >= 0, line);
        return (process, new Uri(line[(at + 13)..].Split(' ')[0]));
    }

    private static async Task<string> CreateDatabaseAsync()
    {
        var cs = Environment.GetEnvironmentVariable("VOUCH_TEST_POSTGRES") is { Length: > 0 } env ? env.Trim()
            : File.Exists("/tmp/vouch-postgres/connection") ? File.ReadAllText("/tmp/vouch-postgres/connection").Trim()
            : throw new InvalidOperationException("PostgreSQL is not configured: run scripts/postgres start or set VOUCH_TEST_POSTGRES; set VOUCH_SKIP_POSTGRES=1 to skip");
        var name = "vouch_cli_" + Guid.NewGuid().ToString("n")[..12];
        await using (var admin = new NpgsqlConnection(cs))
        {
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await cmd.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(cs) { Database = name }.ToString();
    }
}
