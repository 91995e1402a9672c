using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vouch.Cli;
using Vouch.Tests;

namespace Vouch.Cli.Tests;

/// <summary>
/// `vouch gate digest` against an in-process gate (`vouch serve` on 127.0.0.1) and against fake gates
/// that answer what a gate must not: control characters, HTML, a redirect, too much.
/// </summary>
public sealed class GateDigestCommandTests : IAsyncLifetime
{
    private const string Reader = "reader-secret-0123456789";
    private const string Approver = "approver-secret-0123456789";
    private const string Publisher = "publisher-secret-0123456789";

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-gate-digest-");
    private readonly string _variable = "VOUCH_TEST_GATE_TOKEN_" + Guid.NewGuid().ToString("N");
    private FixtureRegistry _registry = null!;
    private CancellationTokenSource _stop = null!;
    private Task<int> _run = null!;
    private Uri _gate = null!;

    public async Task InitializeAsync()
    {
        _registry = await FixtureRegistry.StartAsync();
        var tokens = Path.Combine(_dir.FullName, "tokens");
        File.WriteAllText(tokens, $"reader rita {Reader}\napprover alice {Approver}\npublisher pat {Publisher}\n");
        var stdout = new StringWriter();
        var output = TextWriter.Synchronized(stdout);
        _stop = new CancellationTokenSource();
        _run = Task.Run(() => VouchCli.RunAsync(
            ["serve", "--upstream", _registry.BaseUrl.ToString(), "--listen", "127.0.0.1:0", "--data-dir", Path.Combine(_dir.FullName, "data"), "--tokens", tokens],
            output, TextWriter.Null, _stop.Token));
        for (var i = 0; i < 600 && _gate is null; i++)
        {
            var text = stdout.ToString();
            var at = text.IndexOf("listening on ", StringComparison.Ordinal);
            if (at >= 0)
            {
                _gate = new Uri(text[(at + 13)..].Split(' ')[0]);
                break;
            }

            Assert.False(_run.IsCompleted, $"vouch serve stopped: {stdout}");
            await Task.Delay(50);
        }

        Assert.NotNull(_gate);

        // Something for the digest to report: an approval request whose reason tries a Markdown link.
        var request = await InProcessCli.Run("approve", "request", "sigstore@1.0.0", "--rule", "*", "--reason", "needed [click](https://evil.example)", "--gate", _gate.ToString(), "--token", Approver);
        Assert.True(request.Exit == 0, request.Err);
    }

    public async Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(_variable, null);
        await _stop.CancelAsync();
        await _run;
        _stop.Dispose();
        await _registry.DisposeAsync();
        _dir.Delete(recursive: true);
    }

    private Task<(int Exit, string Out, string Err)> Digest(string token, Uri? gate = null, params string[] extra)
    {
        Environment.SetEnvironmentVariable(_variable, token);
        return InProcessCli.Run(["gate", "digest", "--gate", (gate ?? _gate).ToString(), "--token-env", _variable, .. extra]);
    }

    [Fact]
    public async Task Digest_WhenReaderTokenAndOutputFile_WritesTheGatesMarkdown()
    {
        var file = Path.Combine(_dir.FullName, "out", "digest.md");
        var (exit, output, err) = await Digest(Reader, null, "--since", "1h", "--output", file);
        Assert.True(exit == 0, err);
        Assert.StartsWith($"wrote the digest to {file}", output, StringComparison.Ordinal);
        var md = File.ReadAllText(file);
        Assert.StartsWith("# Vouch gate digest: ", md, StringComparison.Ordinal);
        Assert.Contains("## Approval requests (1)", md, StringComparison.Ordinal);
        Assert.Contains("sigstore", md, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b", md, StringComparison.Ordinal);
        Assert.DoesNotContain("[click](", md, StringComparison.Ordinal); // the gate escaped the link
        Assert.Equal([file], Directory.GetFiles(Path.GetDirectoryName(file)!)); // no temporary file left
    }

    [Fact]
    public async Task Digest_WithoutOutput_PrintsTheDigestForThePeriodAsked()
    {
        var until = DateTimeOffset.UtcNow.AddMinutes(5).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);
        var (exit, output, err) = await Digest(Approver, null, "--since", DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), "--until", until);
        Assert.True(exit == 0, err);
        Assert.StartsWith("# Vouch gate digest: ", output, StringComparison.Ordinal);
        Assert.Contains("## Approval requests (1)", output, StringComparison.Ordinal);

        // A period before the request: the gate reports none.
        var (_, earlier, _) = await Digest(Reader, null, "--since", "2026-01-01", "--until", "2026-01-02");
        Assert.Contains("## Approval requests (0)", earlier, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Digest_WhenTokenIsUnknown_ExitsTwoLeavesTheOutputAloneAndNeverPrintsTheToken()
    {
        var file = Path.Combine(_dir.FullName, "kept.md");
        File.WriteAllText(file, "yesterday's digest");
        const string wrong = "not-a-known-token-0123456789";
        var (exit, output, err) = await Digest(wrong, null, "--output", file);
        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: VOUCH_GATE_CLIENT_UNAUTHORIZED:", err, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, output + err, StringComparison.Ordinal);
        Assert.Equal("yesterday's digest", File.ReadAllText(file));
    }

    [Fact]
    public async Task Digest_WhenPublisherToken_ExitsTwoForbidden()
    {
        var (exit, _, err) = await Digest(Publisher);
        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: VOUCH_GATE_CLIENT_FORBIDDEN:", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Digest_WhenThePeriodIsLongerThanTheGateAllows_ExitsTwoWithTheGatesReason()
    {
        var (exit, _, err) = await Digest(Reader, null, "--since", "2020-01-01");
        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: VOUCH_GATE_CLIENT_BAD_REQUEST:", err, StringComparison.Ordinal);
        Assert.Contains("366 days", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Digest_WhenGateIsUnreachable_ExitsThree()
    {
        var (exit, _, err) = await Digest(Reader, new Uri("http://127.0.0.1:9/"));
        Assert.Equal(3, exit);
        Assert.StartsWith("vouch: VOUCH_GATE_CLIENT_FAILED:", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("0d")]
    [InlineData("24")]
    [InlineData("-1d")]
    [InlineData("2026-13-01")]
    [InlineData("2026-12-01T08:00:00")]
    [InlineData("24h&until=2020-01-01")]
    [InlineData("1h\r\nX-Injected: 1")]
    public async Task Digest_WhenSinceIsNotAPeriod_ExitsTwoBeforeCallingTheGate(string since)
    {
        // Port 9 on loopback: a call that got through would exit 3, not 2.
        var (exit, _, err) = await Digest(Reader, new Uri("http://127.0.0.1:9/"), "--since", since);
        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: --since:", err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://gate.example/", "would send the token in clear")]
    [InlineData("ftp://gate.example/", "is not an http(s) URL")]
    [InlineData("https://user:pw@gate.example/", "without credentials")]
    [InlineData("https://gate.example/?x=1", "without credentials, query or fragment")]
    public async Task Digest_WhenGateUrlIsUnsafeOrMalformed_ExitsTwo(string gate, string expected)
    {
        var (exit, _, err) = await Digest(Reader, new Uri(gate));
        Assert.Equal(2, exit);
        Assert.Contains(expected, err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("two words")]
    [InlineData("line\nbreak")]
    public async Task Digest_WhenTokenVariableIsEmptyOrNotAToken_ExitsTwoWithoutSayingIt(string token)
    {
        var (exit, output, err) = await Digest(token, new Uri("http://127.0.0.1:9/"));
        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: --token-env:", err, StringComparison.Ordinal);
        if (token.Length > 0)
        {
            Assert.DoesNotContain(token, output + err, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Digest_WhenGateSendsTerminalControls_TheyAreReplaced()
    {
        await using var fake = await FakeGate(ctx => Answer(ctx, 200, "text/markdown; charset=utf-8", "# Digest\n\u001b]0;pwned\u0007\u001b[2J\rline\u202e\n"));
        var (exit, output, err) = await Digest(Reader, fake.Url);
        Assert.True(exit == 0, err);
        Assert.Equal("# Digest\n\uFFFD]0;pwned\uFFFD\uFFFD[2J\uFFFDline\uFFFD\n", output);
    }

    [Theory]
    [InlineData("html")]
    [InlineData("huge")]
    [InlineData("not-utf8")]
    [InlineData("redirect")]
    [InlineData("500")]
    public async Task Digest_WhenAnswerIsNotADigest_ExitsThreeAndWritesNothing(string kind)
    {
        var requests = 0;
        await using var elsewhere = await FakeGate(ctx =>
        {
            Interlocked.Increment(ref requests);
            return Answer(ctx, 200, "text/markdown", $"got {ctx.Request.Headers.Authorization}");
        });
        await using var fake = await FakeGate(ctx => kind switch
        {
            "html" => Answer(ctx, 200, "text/html", "<script>alert(1)</script>"),
            "huge" => Answer(ctx, 200, "text/markdown", new string('x', Vouch.Cli.Commands.GateCommand.MaxDigestBytes + 1)),
            "not-utf8" => AnswerBytes(ctx, 200, "text/markdown", [0x23, 0x20, 0xC3, 0x28]),
            "redirect" => Redirect(ctx, new Uri(elsewhere.Url, "-/vouch/v1/digest")),
            _ => Answer(ctx, 500, "text/plain", "boom"),
        });
        var file = Path.Combine(_dir.FullName, $"{kind}.md");
        var (exit, _, err) = await Digest(Reader, fake.Url, "--output", file);
        Assert.Equal(3, exit);
        Assert.StartsWith("vouch: VOUCH_GATE_CLIENT_FAILED:", err, StringComparison.Ordinal);
        Assert.False(File.Exists(file));
        Assert.Equal(0, requests); // a redirect is not followed: the token goes nowhere else
    }

    private static Task Answer(HttpContext ctx, int status, string type, string body) => AnswerBytes(ctx, status, type, Encoding.UTF8.GetBytes(body));

    private static async Task AnswerBytes(HttpContext ctx, int status, string type, byte[] body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = type;
        await ctx.Response.Body.WriteAsync(body);
    }

    private static Task Redirect(HttpContext ctx, Uri to)
    {
        ctx.Response.StatusCode = 307;
        ctx.Response.Headers.Location = to.ToString();
        return Task.CompletedTask;
    }

    private static async Task<Fake> FakeGate(RequestDelegate handler)
    {
        var (app, url) = await LoopbackHost.StartAsync(handler);
        return new Fake(app, url);
    }

    private sealed record Fake(WebApplication App, Uri Url) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }
}
