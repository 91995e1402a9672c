using Vouch.Cli;

namespace Vouch.Cli.Tests;

/// <summary>Issue 19: `vouch serve`'s OpenID Connect options, validated at start-up; the client secret never printed.</summary>
public sealed class ServeOidcCommandTests : IDisposable
{
    private const string Secret = "oidc-client-secret-never-printed-0123";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-serve-oidc-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string SecretFile()
    {
        var path = Path.Combine(_dir.FullName, "oidc-secret");
        File.WriteAllText(path, Secret + "\n");
        return path;
    }

    private async Task<(int Exit, string Out, string Err)> ServeAsync(string[] args, CancellationToken ct = default)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var exit = await VouchCli.RunAsync(["serve", "--upstream", "http://127.0.0.1:9/", "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(_dir.FullName, "data"), .. args], TextWriter.Synchronized(o), e, ct);
        return (exit, o.ToString(), e.ToString());
    }

    [Theory]
    [InlineData("http://idp.example.com", "", "is not https")]
    [InlineData("http://idp.example.com", "--oidc-allow-http-issuer-unsafe", "allows loopback only")]
    [InlineData("https://idp.example.com", "--oidc-allow-http-issuer-unsafe", "nothing to allow")]
    [InlineData("https://user:pw@idp.example.com", "", "without credentials")]
    [InlineData("not a url", "", "is not a URL")]
    public async Task Serve_WhenIssuerInvalid_Exits2WithOneLine(string issuer, string extra, string message)
    {
        string[] args = ["--oidc-issuer", issuer, "--oidc-client-id", "gate", "--oidc-client-secret-file", SecretFile(), "--oidc-approver", "ops", .. extra.Length > 0 ? new[] { extra } : []];

        var (exit, _, err) = await ServeAsync(args);

        Assert.Equal(2, exit);
        Assert.Single(err.Trim().Split('\n'));
        Assert.StartsWith("vouch: ", err, StringComparison.Ordinal);
        Assert.Contains(message, err, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WhenOidcConfigIncomplete_Exits2NamingEachProblem()
    {
        var noMapping = await ServeAsync(["--oidc-issuer", "https://idp.example.com", "--oidc-client-id", "gate", "--oidc-client-secret-file", SecretFile()]);
        Assert.Equal(2, noMapping.Exit);
        Assert.Contains("nobody could sign in", noMapping.Err, StringComparison.Ordinal);

        var twice = await ServeAsync(["--oidc-issuer", "https://idp.example.com", "--oidc-client-id", "gate", "--oidc-client-secret-file", SecretFile(), "--oidc-reader", "ops", "--oidc-admin", "ops", "--oidc-session-minutes", "0"]);
        Assert.Equal(2, twice.Exit);
        Assert.Contains("'ops' is mapped more than once", twice.Err, StringComparison.Ordinal);
        Assert.Contains("oidc-session-minutes", twice.Err, StringComparison.Ordinal);
        Assert.Single(twice.Err.Trim().Split('\n'));

        var noClient = await ServeAsync(["--oidc-issuer", "https://idp.example.com", "--oidc-approver", "ops"]);
        Assert.Equal(2, noClient.Exit);
        Assert.Contains("--oidc-client-id is required", noClient.Err, StringComparison.Ordinal);

        var stray = await ServeAsync(["--oidc-approver", "ops"]);
        Assert.Equal(2, stray.Exit);
        Assert.Contains("--oidc-approver: only with --oidc-issuer", stray.Err, StringComparison.Ordinal);

        var publicHttp = await ServeAsync(["--oidc-issuer", "https://idp.example.com", "--oidc-client-id", "gate", "--oidc-client-secret-file", SecretFile(), "--oidc-approver", "ops", "--public-url", "http://gate.example.com/"]);
        Assert.Equal(2, publicHttp.Exit);
        Assert.Contains("session cookie is Secure", publicHttp.Err, StringComparison.Ordinal);

        foreach (var r in new[] { noMapping, twice, noClient, publicHttp })
        {
            Assert.DoesNotContain(Secret, r.Err + r.Out, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Serve_WhenOidcConfigured_StartsWithSignInLinkAndNeverPrintsTheSecret()
    {
        using var stop = new CancellationTokenSource();
        var o = new StringWriter();
        var output = TextWriter.Synchronized(o);
        var e = new StringWriter();
        var run = Task.Run(() => VouchCli.RunAsync(
            ["serve", "--upstream", "http://127.0.0.1:9/", "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(_dir.FullName, "data"),
             "--oidc-issuer", "http://127.0.0.1:9", "--oidc-allow-http-issuer-unsafe", "--oidc-client-id", "gate", "--oidc-client-secret-file", SecretFile(), "--oidc-approver", "ops"],
            output, e, stop.Token));
        Uri? url = null;
        for (var i = 0; i < 600 && url is null && !run.IsCompleted; i++)
        {
            var text = o.ToString();
            var at = text.IndexOf("listening on ", StringComparison.Ordinal);
            if (at >= 0)
            {
                url = new Uri(text[(at + 13)..].Split(' ')[0]);
            }
            else
            {
                await Task.Delay(50);
            }
        }

        Assert.True(url is not null, $"vouch serve did not start: {o} {e}");
        Assert.Contains("sign-in at http://127.0.0.1:9", o.ToString(), StringComparison.Ordinal);
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = url };
        Assert.Contains("id=\"oidc-signin\"", await http.GetStringAsync("-/vouch/dashboard"), StringComparison.Ordinal);

        // The provider is not there: a clear 502 with a code, not a 500.
        using var signIn = await http.GetAsync("-/vouch/signin");
        Assert.Equal(System.Net.HttpStatusCode.BadGateway, signIn.StatusCode);
        Assert.Contains("VOUCH_GATE_OIDC_UNAVAILABLE", await signIn.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await stop.CancelAsync();
        Assert.Equal(0, await run);
        Assert.DoesNotContain(Secret, o.ToString() + e, StringComparison.Ordinal);
    }
}
