using System.Net;
using System.Text;

namespace Vouch.Watch.Tests;

/// <summary>The gate's packages answer as a watchlist, against hostile answers from a fake handler.</summary>
public sealed class GateWatchlistTests
{
    private static readonly Uri Gate = new("https://gate.example/");

    [Fact]
    public async Task ReadAsync_WhenTheAnswerIsTheGatesShape_ReturnsTheNamesSortedAndDistinct()
    {
        var handler = new Fake(_ => Json("""{"packages":[{"name":"zod","versions":3,"withheld":[]},{"name":"@scope/a","versions":1,"withheld":[{"version":"1.0.0","rule":"r","code":"C","reason":"x"}]},{"name":"zod"}]}"""));
        using var reader = new GateWatchlist(handler);

        var result = await reader.ReadAsync(Gate, "reader-token", CancellationToken.None);

        Assert.True(result.IsOk, result.Error);
        Assert.Equal(["@scope/a", "zod"], result.Packages);
        var request = Assert.Single(handler.Requests);
        Assert.Equal("https://gate.example/-/vouch/v1/packages", request.Url);
        Assert.Equal("Bearer reader-token", request.Authorization);
    }

    [Fact]
    public async Task ReadAsync_WhenTheGateSitsBehindAPathPrefix_AsksUnderIt()
    {
        Assert.True(GateWatchlist.TryParseUrl("https://proxy.example/npm/gate", out var gate, out _));
        var handler = new Fake(_ => Json("""{"packages":[]}"""));
        using var reader = new GateWatchlist(handler);

        var result = await reader.ReadAsync(gate, "t", CancellationToken.None);

        Assert.True(result.IsOk, result.Error);
        Assert.Equal("https://proxy.example/npm/gate/-/vouch/v1/packages", Assert.Single(handler.Requests).Url);
    }

    [Theory]
    [InlineData("[1,2]", "not a packages answer")]
    [InlineData("""{"packages":{"name":"a"}}""", "not a packages answer")]
    [InlineData("""{"items":[]}""", "not a packages answer")]
    [InlineData("""{"packages":[{"name":"a"}],"next":"/-/vouch/v1/packages?page=2"}""", "paginated")]
    [InlineData("""{"packages":[{"name":"a"}""", "not valid JSON")]
    [InlineData("""{"packages":[7,{"nom":"a"},{"name":12},{"name":"../../etc/passwd"},{"name":"Bad Name"},{"name":"x\u001b[31mred"},{"name":"ok"}]}""",
        "packages[0]: not an object; packages[1].name: missing or not a string; packages[2].name: missing or not a string; packages[3].name: '../../etc/passwd' is not a package name; packages[4].name: 'Bad Name' is not a package name; packages[5].name: 'x\\u001b[31mred' is not a package name")]
    public async Task ReadAsync_WhenTheAnswerIsMalformed_ListsEveryProblemAndWatchesNothing(string body, string expected)
    {
        using var reader = new GateWatchlist(new Fake(_ => Json(body)));

        var result = await reader.ReadAsync(Gate, "t", CancellationToken.None);

        Assert.False(result.IsOk);
        Assert.Equal(WatchCodes.GateInvalidResponse, result.Code);
        Assert.False(result.BadInput);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', result.Error);
    }

    [Fact]
    public async Task ReadAsync_WhenTheAnswerNamesMorePackagesThanTheCap_RefusesIt()
    {
        var body = "{\"packages\":[" + string.Join(',', Enumerable.Range(0, Limits.MaxWatchedPackages + 1).Select(i => $"{{\"name\":\"p{i}\"}}")) + "]}";
        using var reader = new GateWatchlist(new Fake(_ => Json(body)));

        var result = await reader.ReadAsync(Gate, "t", CancellationToken.None);

        Assert.Equal(WatchCodes.GateInvalidResponse, result.Code);
        Assert.Contains("at most 100000", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_WhenTheBodyNeverEnds_StopsReadingAtTheCap()
    {
        var endless = new EndlessStream();
        using var reader = new GateWatchlist(new Fake(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(endless) { Headers = { { "Content-Type", "application/json" } } } }));

        var result = await reader.ReadAsync(Gate, "t", CancellationToken.None);

        Assert.Equal(WatchCodes.GateInvalidResponse, result.Code);
        Assert.Contains("larger than", result.Error, StringComparison.Ordinal);
        Assert.InRange(endless.Served, Limits.MaxGateAnswerBytes, Limits.MaxGateAnswerBytes + (1 << 20));
    }

    [Fact]
    public async Task ReadAsync_WhenTheBodyTricklesForever_GivesUpAtTheDeadline()
    {
        var content = new StreamContent(new StalledStream());
        content.Headers.ContentType = new("application/json");
        using var reader = new GateWatchlist(new Fake(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = content }), TimeSpan.FromMilliseconds(300));

        var result = await reader.ReadAsync(Gate, "t", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(WatchCodes.GateFailed, result.Code);
        Assert.Contains("no complete answer within", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_WhenContentLengthIsOverTheCap_RefusesBeforeReading()
    {
        var endless = new EndlessStream();
        var content = new StreamContent(endless);
        content.Headers.ContentType = new("application/json");
        content.Headers.ContentLength = Limits.MaxGateAnswerBytes + 1;
        using var reader = new GateWatchlist(new Fake(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = content }));

        var result = await reader.ReadAsync(Gate, "t", CancellationToken.None);

        Assert.Equal(WatchCodes.GateInvalidResponse, result.Code);
        Assert.Equal(0, endless.Served);
    }

    [Theory]
    [InlineData(HttpStatusCode.Unauthorized, WatchCodes.GateUnauthorized, true, "refused the token")]
    [InlineData(HttpStatusCode.Forbidden, WatchCodes.GateUnauthorized, true, "reader token")]
    [InlineData(HttpStatusCode.NotFound, WatchCodes.GateFailed, true, "base URL")]
    [InlineData(HttpStatusCode.InternalServerError, WatchCodes.GateFailed, false, "HTTP 500")]
    [InlineData(HttpStatusCode.BadGateway, WatchCodes.GateFailed, false, "HTTP 502")]
    public async Task ReadAsync_WhenTheGateAnswersAnError_SaysWhichWithItsCode(HttpStatusCode status, string code, bool badInput, string message)
    {
        using var reader = new GateWatchlist(new Fake(_ => new HttpResponseMessage(status) { Content = new StringContent("""{"error":"x","code":"Y"}""", Encoding.UTF8, "application/json") }));

        var result = await reader.ReadAsync(Gate, "secret-reader-token", CancellationToken.None);

        Assert.Equal(code, result.Code);
        Assert.Equal(badInput, result.BadInput);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-reader-token", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_WhenTheGateRedirectsToAnotherHost_DoesNotFollowAndSaysSo()
    {
        var handler = new Fake(_ => new HttpResponseMessage(HttpStatusCode.Found) { Headers = { Location = new Uri("https://collector.example/steal") } });
        using var reader = new GateWatchlist(handler);

        var result = await reader.ReadAsync(Gate, "t", CancellationToken.None);

        Assert.Equal(WatchCodes.GateFailed, result.Code);
        Assert.Contains("not followed", result.Error, StringComparison.Ordinal);
        Assert.Single(handler.Requests);
    }

    [Fact]
    public async Task ReadAsync_WhenAHandlerFollowedARedirect_RefusesTheAnswer()
    {
        // A handler that follows redirects itself (not ours): the answer names another URL than asked.
        using var reader = new GateWatchlist(new Fake(request => new HttpResponseMessage(HttpStatusCode.OK)
        {
            RequestMessage = new HttpRequestMessage(HttpMethod.Get, "https://collector.example/-/vouch/v1/packages"),
            Content = new StringContent("""{"packages":[{"name":"evil"}]}""", Encoding.UTF8, "application/json"),
        }));

        var result = await reader.ReadAsync(Gate, "t", CancellationToken.None);

        Assert.Equal(WatchCodes.GateFailed, result.Code);
        Assert.Null(result.Packages);
    }

    [Fact]
    public async Task ReadAsync_WhenTheAnswerIsNotJsonContent_RefusesIt()
    {
        using var reader = new GateWatchlist(new Fake(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("<html>login</html>", Encoding.UTF8, "text/html") }));

        var result = await reader.ReadAsync(Gate, "t", CancellationToken.None);

        Assert.Equal(WatchCodes.GateInvalidResponse, result.Code);
    }

    [Fact]
    public async Task ReadAsync_WhenTheGateIsUnreachable_IsANetworkFailure()
    {
        using var reader = new GateWatchlist(new Fake(_ => throw new HttpRequestException("connection refused")));

        var result = await reader.ReadAsync(Gate, "t", CancellationToken.None);

        Assert.Equal(WatchCodes.GateFailed, result.Code);
        Assert.False(result.BadInput);
    }

    [Theory]
    [InlineData("https://gate.example", true, "https://gate.example/")]
    [InlineData("http://127.0.0.1:4873/", true, "http://127.0.0.1:4873/")]
    [InlineData("https://gate.example/a/b/", true, "https://gate.example/a/b/")]
    [InlineData("http://gate.example/", false, "loopback")]
    [InlineData("https://user:pass@gate.example/", false, "credentials")]
    [InlineData("https://gate.example/?x=1", false, "query")]
    [InlineData("https://gate.example/#f", false, "fragment")]
    [InlineData("https://gate.example/a%2F..%2Fb/", false, "path")]
    [InlineData("https://gate.example/a%20b/", false, "path")]
    [InlineData("ftp://gate.example/", false, "http(s)")]
    [InlineData("gate.example", false, "http(s)")]
    public void TryParseUrl_WhenGivenAUrl_AcceptsOnlyPlainGateBases(string text, bool ok, string expected)
    {
        var accepted = GateWatchlist.TryParseUrl(text, out var url, out var error);

        Assert.Equal(ok, accepted);
        Assert.Contains(expected, ok ? url!.AbsoluteUri : error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("abc.DEF-123_~+/=", true)]
    [InlineData("", false)]
    [InlineData("two words", false)]
    [InlineData("line\r\nX-Injected: 1", false)]
    [InlineData("caf\u00e9", false)]
    public void IsUsableToken_WhenGivenText_RefusesWhatCannotBeAHeaderValue(string token, bool ok) =>
        Assert.Equal(ok, GateWatchlist.IsUsableToken(token));

    private static HttpResponseMessage Json(string body) => new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    private sealed class Fake(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        public List<(string Url, string? Authorization)> Requests { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add((request.RequestUri!.AbsoluteUri, request.Headers.Authorization?.ToString()));
            var response = answer(request);
            response.RequestMessage ??= request;
            return Task.FromResult(response);
        }
    }

    /// <summary>A body that sends one byte and then nothing, without closing (a slow-loris gate).</summary>
    private sealed class StalledStream : Stream
    {
        private bool _sent;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => 0; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_sent)
            {
                _sent = true;
                buffer.Span[0] = (byte)'{';
                return 1;
            }

            await Task.Delay(Timeout.Infinite, cancellationToken);
            return 0;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>A body that never ends (a hostile gate streaming forever); counts what was read.</summary>
    private sealed class EndlessStream : Stream
    {
        public long Served { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => Served; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            buffer.AsSpan(offset, count).Fill((byte)' ');
            Served += count;
            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
