using System.Text.Json.Nodes;
using Vouch.Cli;

namespace Vouch.Cli.Tests;

/// <summary>`vouch serve` and `vouch approve` through the CLI, against the recorded npm data on 127.0.0.1.</summary>
public sealed class ServeCommandTests : IAsyncLifetime
{
    private const string Approver = "approver-secret-0123456789";
    private const string Reader = "reader-secret-0123456789";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-serve-");
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
        File.WriteAllText(path, $"# role name secret\nreader rita {Reader}\napprover alice {Approver}\n");
        return path;
    }

    /// <summary>Runs `vouch serve` until the returned source is cancelled; returns the gate URL once it listens.</summary>
    private async Task<(Uri Url, CancellationTokenSource Stop, Task<int> Run)> ServeAsync()
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
                var url = text[(at + 13)..].Split(' ')[0];
                return (new Uri(url), stop, run);
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException($"vouch serve did not start (exit {(run.IsCompleted ? run.Result : -1)}): {stdout}");
    }

    [Fact]
    public async Task VerifyApi_WhenAskedForAVersion_ReturnsTheSameEvidenceAsVouchVerify()
    {
        var (url, stop, run) = await ServeAsync();
        using var http = new HttpClient();
        var fromGate = JsonNode.Parse(await http.GetStringAsync(new Uri(url, "-/vouch/v1/verify/sigstore/1.0.0")))!;
        var verify = await InProcessCli.Run("verify", "--json", "--registry", _registry.BaseUrl.ToString(), "--cache-dir", Path.Combine(_dir.FullName, "cache"), "sigstore@1.0.0");
        var fromCli = JsonNode.Parse(verify.Out)!.AsArray()[0]!.AsObject();

        // `policy` and `slsa` are the CLI's judgements under its policy (its decision, its SLSA mapping),
        // not evidence; the gate judges separately (its decisions, its VSA route).
        fromCli.Remove("policy");
        Assert.NotNull(fromCli["slsa"]);
        fromCli.Remove("slsa");
        await stop.CancelAsync();

        Assert.Equal(0, await run);
        Assert.Equal("verified", (string)fromGate["provenance"]!["status"]!);
        Assert.True(JsonNode.DeepEquals(fromCli, fromGate), $"gate:\n{fromGate}\ncli:\n{fromCli}");
    }

    [Fact]
    public async Task Approve_WhenRequestedAndGrantedThroughCli_ListsTheGrant()
    {
        var (url, stop, run) = await ServeAsync();
        var request = await InProcessCli.Run("approve", "request", "sigstore@1.0.0", "--rule", "verified-evidence", "--reason", "test", "--gate", url.ToString(), "--token", Reader, "--json");
        Assert.True(request.Exit == 0, request.Err);
        var id = (long)JsonNode.Parse(request.Out)!["id"]!;

        var denied = await InProcessCli.Run("approve", "grant", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--gate", url.ToString(), "--token", Reader);
        var granted = await InProcessCli.Run("approve", "grant", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--expires", "7d", "--reason", "ok", "--gate", url.ToString(), "--token", Approver);
        var list = await InProcessCli.Run("approve", "list", "--status", "granted", "--gate", url.ToString(), "--token", Reader);
        await stop.CancelAsync();
        await run;

        Assert.Equal(2, denied.Exit);
        Assert.Contains("approver", denied.Err, StringComparison.Ordinal);
        Assert.True(granted.Exit == 0, granted.Err);
        Assert.Contains($"#{id} sigstore@1.0.0 rule verified-evidence: granted", list.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(Approver, list.Out + granted.Out + granted.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--upstream", "ftp://nowhere/")]
    [InlineData("--listen", "not-an-address")]
    [InlineData("--tokens", "/nonexistent/tokens")]
    [InlineData("--watch-secret-env", "VOUCH_TEST_UNSET_WATCH_SECRET_7F3")]
    [InlineData("--policy", "/nonexistent/policy.yml")]
    public async Task Serve_WhenOptionInvalid_Exits2WithOneLine(string option, string value)
    {
        var (exit, _, err) = await InProcessCli.Run("serve", option, value, "--data-dir", Path.Combine(_dir.FullName, "data"));

        Assert.Equal(2, exit);
        Assert.Single(err.Trim().Split('\n'));
        Assert.StartsWith("vouch: ", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("VOUCH_TEST_DB_ENV_UNSET_5C1", null, "is not set")]
    [InlineData("VOUCH_TEST_DB_ENV_SQLITE_5C1", "/tmp/secret-password-hunter2.db", "does not hold a PostgreSQL connection string")]
    [InlineData("VOUCH_TEST_DB_ENV_BAD_5C1", "Host=db;Password=hunter2;NoSuchKeyword=hunter2", "does not parse")]
    [InlineData("VOUCH_TEST_DB_ENV_URI_5C1", "postgres://u:hunter2@[not-a-host/db", "does not parse")]
    public async Task Serve_WhenDbEnvIsUnusable_Exits2WithOneLineNeverShowingTheValue(string name, string? value, string expected)
    {
        Environment.SetEnvironmentVariable(name, value);
        try
        {
            var (exit, output, err) = await InProcessCli.Run("serve", "--db-env", name, "--data-dir", Path.Combine(_dir.FullName, "data"));

            Assert.Equal(2, exit);
            Assert.Single(err.Trim().Split('\n'));
            Assert.StartsWith("vouch: --db-env: ", err, StringComparison.Ordinal);
            Assert.Contains(expected, err, StringComparison.Ordinal);
            Assert.Contains(name, err, StringComparison.Ordinal);
            Assert.DoesNotContain("hunter2", output + err, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public async Task Serve_WhenDbAndDbEnvAreBothGiven_Exits2()
    {
        var (exit, _, err) = await InProcessCli.Run("serve", "--db", Path.Combine(_dir.FullName, "g.db"), "--db-env", "VOUCH_TEST_DB_ENV_BOTH_5C1", "--data-dir", Path.Combine(_dir.FullName, "data"));

        Assert.Equal(2, exit);
        Assert.Equal("vouch: --db-env: give either --db or --db-env, not both", err.Trim());
    }

    [Theory]
    [InlineData("Host=db.internal;Username=gate;Password=hunter2;Database=vouch")]
    [InlineData("postgres://gate:hunter2@db.internal:5433/vouch")]
    public void DatabaseArgument_WhenDbEnvHoldsAConnectionString_ReturnsIt(string value)
    {
        Assert.Equal(value, Vouch.Cli.Commands.ServeCommand.DatabaseArgument(null, "PG", n => n == "PG" ? value : null));
        Assert.Equal("x.db", Vouch.Cli.Commands.ServeCommand.DatabaseArgument("x.db", null, _ => value));
        Assert.Null(Vouch.Cli.Commands.ServeCommand.DatabaseArgument(null, null, _ => value));
    }

    [Fact]
    public async Task Approve_WhenGateUnreachable_Exits3()
    {
        var (exit, _, err) = await InProcessCli.Run("approve", "list", "--gate", "http://127.0.0.1:9/", "--token", Reader);

        Assert.Equal(3, exit);
        Assert.Contains("could not be reached", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Approve_WhenSpecHasNoExactVersion_Exits2()
    {
        var (exit, _, err) = await InProcessCli.Run("approve", "request", "sigstore@^1", "--rule", "r", "--gate", "http://127.0.0.1:9/", "--token", Reader);

        Assert.Equal(2, exit);
        Assert.Contains("exact version", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WhenKilledWithSigkill_ApprovalsSurviveTheRestart()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "vouch.dll");
        var data = Path.Combine(_dir.FullName, "killed");
        var tokens = TokensFile();

        async Task<(System.Diagnostics.Process Process, Uri Url)> StartAsync()
        {
            var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { dll, "serve", "--upstream", _registry.BaseUrl.ToString(), "--listen", "127.0.0.1:0", "--data-dir", data, "--tokens", tokens })
            {
                psi.ArgumentList.Add(a);
            }

            var process = System.Diagnostics.Process.Start(psi)!;
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1)) ?? throw new InvalidOperationException(await process.StandardError.ReadToEndAsync());
            var at = line.IndexOf("listening on ", StringComparison.Ordinal);
            Assert.True(at >= 0, line);
            return (process, new Uri(line[(at + 13)..].Split(' ')[0]));
        }

        var (first, url) = await StartAsync();
        var request = await InProcessCli.Run("approve", "request", "sigstore@1.0.0", "--rule", "verified-evidence", "--gate", url.ToString(), "--token", Reader, "--json");
        var id = ((long)JsonNode.Parse(request.Out)!["id"]!).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var grant = await InProcessCli.Run("approve", "grant", id, "--gate", url.ToString(), "--token", Approver);
        Assert.True(grant.Exit == 0, grant.Err);
        first.Kill();
        await first.WaitForExitAsync();

        var (second, url2) = await StartAsync();
        try
        {
            var list = await InProcessCli.Run("approve", "list", "--status", "granted", "--gate", url2.ToString(), "--token", Reader);
            Assert.Contains($"#{id} sigstore@1.0.0 rule verified-evidence: granted", list.Out, StringComparison.Ordinal);
        }
        finally
        {
            second.Kill();
            await second.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Serve_WhenPublishToWithoutCredentialOrPublisher_ExitsTwoNamingIt()
    {
        var data = Path.Combine(_dir.FullName, "data-publish");
        var (exit, _, err) = await InProcessCli.Run("serve", "--upstream", _registry.BaseUrl.ToString(), "--listen", "127.0.0.1:0", "--data-dir", data, "--tokens", TokensFile(), "--publish-to", "http://127.0.0.1:9/");
        Assert.Equal(2, exit);
        Assert.Contains("credential", err, StringComparison.Ordinal);

        var credential = Path.Combine(_dir.FullName, "publish-credential");
        await File.WriteAllTextAsync(credential, "registry-token-0123456789\n");
        (exit, _, err) = await InProcessCli.Run("serve", "--upstream", _registry.BaseUrl.ToString(), "--listen", "127.0.0.1:0", "--data-dir", data, "--tokens", TokensFile(), "--publish-to", "http://127.0.0.1:9/", "--publish-credential-file", credential);
        Assert.Equal(2, exit);
        Assert.Contains("publisher role", err, StringComparison.Ordinal);
        Assert.DoesNotContain("registry-token-0123456789", err, StringComparison.Ordinal);

        (exit, _, err) = await InProcessCli.Run("serve", "--upstream", _registry.BaseUrl.ToString(), "--listen", "127.0.0.1:0", "--data-dir", data, "--publish-credential-file", credential);
        Assert.Equal(2, exit);
        Assert.Contains("only with --publish-to", err, StringComparison.Ordinal);
    }
}
