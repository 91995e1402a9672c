using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Vouch.Tests;
using Vouch.Watch.Storage;

namespace Vouch.Watch.Tests;

public sealed class WebhookTests : IDisposable
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("s3cret-for-tests");
    private static readonly DateTimeOffset Now = new(2024, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vouch-watch-hook-" + Guid.NewGuid().ToString("N")[..10]);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Verify_WhenSignedWithTheSecret_IsValid()
    {
        var header = WebhookSignature.Sign(Secret, "{\"a\":1}", Now);

        Assert.Equal(SignatureCheck.Valid, WebhookSignature.Verify(Secret, header, "{\"a\":1}", Now + TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void Verify_WhenSecretBodyOrTimestampDiffers_Fails()
    {
        var header = WebhookSignature.Sign(Secret, "{\"a\":1}", Now);
        var otherTime = header.Replace($"t={Now.ToUnixTimeSeconds()}", $"t={Now.ToUnixTimeSeconds() + 1}", StringComparison.Ordinal);

        Assert.Equal(SignatureCheck.Mismatch, WebhookSignature.Verify(Encoding.UTF8.GetBytes("wrong"), header, "{\"a\":1}", Now, TimeSpan.FromMinutes(5)));
        Assert.Equal(SignatureCheck.Mismatch, WebhookSignature.Verify(Secret, header, "{\"a\":2}", Now, TimeSpan.FromMinutes(5)));
        Assert.Equal(SignatureCheck.Mismatch, WebhookSignature.Verify(Secret, otherTime, "{\"a\":1}", Now, TimeSpan.FromMinutes(5)));
        Assert.Equal(SignatureCheck.Stale, WebhookSignature.Verify(Secret, header, "{\"a\":1}", Now + TimeSpan.FromHours(1), TimeSpan.FromMinutes(5)));
        Assert.Equal(SignatureCheck.Malformed, WebhookSignature.Verify(Secret, "v1=abc", "{\"a\":1}", Now, TimeSpan.FromMinutes(5)));
        Assert.Equal(SignatureCheck.Malformed, WebhookSignature.Verify(Secret, null, "{\"a\":1}", Now, TimeSpan.FromMinutes(5)));
    }

    [Theory]
    [InlineData("http://hooks.example.com/x", "loopback")]
    [InlineData("https://user:pw@hooks.example.com/x", "credentials")]
    [InlineData("ftp://hooks.example.com/x", "http(s)")]
    [InlineData("/relative", "http(s)")]
    public void TryParseUrl_WhenUnsafe_Refuses(string url, string reason)
    {
        Assert.False(WebhookSender.TryParseUrl(url, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void TryParseUrl_WhenHttpsOrLoopbackHttp_Accepts()
    {
        Assert.True(WebhookSender.TryParseUrl("https://hooks.example.com/x", out _, out _));
        Assert.True(WebhookSender.TryParseUrl("http://127.0.0.1:9/x", out _, out _));
    }

    [Fact]
    public async Task Deliver_WhenReceiverRedirects_DoesNotFollowAndRetriesLater()
    {
        var elsewhere = 0;
        var (other, otherUrl) = await LoopbackHost.StartAsync(ctx => { Interlocked.Increment(ref elsewhere); ctx.Response.StatusCode = 200; return Task.CompletedTask; });
        var (app, url) = await LoopbackHost.StartAsync(ctx => { ctx.Response.StatusCode = 307; ctx.Response.Headers.Location = otherUrl.AbsoluteUri; return Task.CompletedTask; });
        await using var a = app;
        await using var o = other;
        var (store, time) = StoreWithOneEvent();
        using var sender = new WebhookSender(url, Secret, store, WebhookSender.CreateDefaultHandler(), time);

        var round = await sender.DeliverDueAsync(CancellationToken.None);

        Assert.Equal(0, round.Delivered);
        Assert.Contains("redirect", Assert.Single(round.Failures));
        Assert.Equal(0, elsewhere);
        Assert.Equal(1, store.PendingDeliveries());
    }

    [Fact]
    public async Task Deliver_WhenReceiverFailsThenRecovers_DeliversOnRetryWithTheSameIds()
    {
        var bodies = new List<(string Body, string Signature, string Delivery)>();
        var calls = 0;
        var (app, url) = await LoopbackHost.StartAsync(async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync();
            lock (bodies)
            {
                bodies.Add((body, ctx.Request.Headers[WebhookSignature.Header].ToString(), ctx.Request.Headers[WebhookSignature.DeliveryHeader].ToString()));
            }

            ctx.Response.StatusCode = Interlocked.Increment(ref calls) == 1 ? 503 : 204;
        });
        await using var a = app;
        var (store, time) = StoreWithOneEvent();
        using var sender = new WebhookSender(url, Secret, store, WebhookSender.CreateDefaultHandler(), time);

        var first = await sender.DeliverDueAsync(CancellationToken.None);
        var tooEarly = await sender.DeliverDueAsync(CancellationToken.None);
        time.Advance(Limits.WebhookBaseDelay * 2);
        var retried = await sender.DeliverDueAsync(CancellationToken.None);

        Assert.Single(first.Failures);
        Assert.Equal(0, tooEarly.Delivered + tooEarly.Failures.Count);
        Assert.Equal(1, retried.Delivered);
        Assert.Equal(2, bodies.Count);
        Assert.Equal(bodies[0].Body, bodies[1].Body);
        Assert.Equal(bodies[0].Delivery, bodies[1].Delivery);
        Assert.All(bodies, b => Assert.Equal(SignatureCheck.Valid, WebhookSignature.Verify(Secret, b.Signature, b.Body, time.GetUtcNow(), TimeSpan.FromMinutes(5))));
        Assert.Equal(0, store.PendingDeliveries());
    }

    [Fact]
    public async Task Deliver_WhenReceiverNeverRecovers_GivesUpAfterTheLimit()
    {
        var (app, url) = await LoopbackHost.StartAsync(ctx => { ctx.Response.StatusCode = 500; return Task.CompletedTask; });
        await using var a = app;
        var (store, time) = StoreWithOneEvent();
        using var sender = new WebhookSender(url, Secret, store, WebhookSender.CreateDefaultHandler(), time);
        var gaveUp = new List<string>();

        for (var i = 0; i < Limits.MaxWebhookAttempts; i++)
        {
            gaveUp.AddRange((await sender.DeliverDueAsync(CancellationToken.None)).GaveUp);
            time.Advance(Limits.MaxWebhookRetryDelay);
        }

        Assert.Single(gaveUp);
        Assert.Equal(0, store.PendingDeliveries());
    }

    private (WatchStore Store, ManualTime Time) StoreWithOneEvent()
    {
        var store = WatchStore.Open(Path.Combine(_dir, "watch.db"));
        var e = new WatchEvent { Id = WatchEvent.MakeId("pkg", "1.0.1", "new-bin", "x"), Kind = "new-bin", Code = WatchCodes.NewBin, Package = "pkg", Version = "1.0.1", Severity = "warn", Detail = "d", ObservedAt = Now };
        store.Commit("pkg", null, new PackageState(), [e], outbox: true, Now);
        return (store, new ManualTime(Now));
    }
}
