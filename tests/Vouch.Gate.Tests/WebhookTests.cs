using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Vouch.Gate.Notifications;
using Vouch.Tests;

namespace Vouch.Gate.Tests;

/// <summary>
/// Issue 19: webhooks received on 127.0.0.1, their HMAC-SHA256 signature checked over the raw body
/// by the receiver's own code; the receiver fails its first delivery, so a retry is seen too.
/// </summary>
public class WebhookTests
{
    private const string Secret = "webhook-secret-0123456789abcdef";

    internal sealed record Delivery(string EventId, string Event, string Signature, byte[] Body);

    /// <summary>What a receiver does: recompute the HMAC over the bytes received and compare in constant time.</summary>
    internal static bool Verify(string secret, string header, byte[] body)
    {
        if (!header.StartsWith("sha256=", StringComparison.Ordinal))
        {
            return false;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body);
        byte[] given;
        try
        {
            given = Convert.FromHexString(header["sha256=".Length..]);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    [Fact]
    public async Task Webhooks_WhenVersionWithheldAndApprovalRequestedAndGranted_AreDeliveredSignedAndRetried()
    {
        var received = new ConcurrentQueue<Delivery>();
        var failuresLeft = 1;
        var (receiver, url) = await LoopbackHost.StartAsync(async ctx =>
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms);
            received.Enqueue(new Delivery(ctx.Request.Headers["X-Vouch-Event-Id"].ToString(), ctx.Request.Headers["X-Vouch-Event"].ToString(), ctx.Request.Headers["X-Vouch-Signature"].ToString(), ms.ToArray()));
            ctx.Response.StatusCode = Interlocked.Decrement(ref failuresLeft) >= 0 ? 503 : 204;
        });
        await using var _ = receiver;

        await using var gate = await GateFixture.StartAsync(
            u => u.AddVersion("sigstore", "1.0.1", "2023-03-01T00:00:00.000Z"),
            o => o with { Webhooks = [new WebhookTarget(new Uri(url, "hooks/vouch"), Secret)], WebhookPollInterval = TimeSpan.FromMilliseconds(100), WebhookRetryMin = TimeSpan.FromMilliseconds(100) });

        (await gate.SendAsync(HttpMethod.Get, "sigstore")).Dispose();
        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade", reason = "needed" }, 201);
        await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{(long)request["id"]!}/grant", GateFixture.ApproverToken, new { reason = "reviewed" });

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !new[] { "version.withheld", "approval.requested", "approval.granted" }.All(t => received.Any(d => d.Event == t)))
        {
            await Task.Delay(100);
        }

        var all = received.ToList();
        Assert.All(all, d => Assert.True(Verify(Secret, d.Signature, d.Body), $"bad signature on {d.EventId}"));
        var withheld = all.First(d => d.Event == "version.withheld");
        var body = JsonNode.Parse(withheld.Body)!;
        Assert.Equal("sigstore", (string)body["name"]!);
        Assert.Equal("1.0.1", (string)body["version"]!);
        Assert.Equal("trust-downgrade", (string)body["rule"]!);
        Assert.Equal(withheld.EventId, (string)body["id"]!);
        var granted = JsonNode.Parse(all.First(d => d.Event == "approval.granted").Body)!;
        Assert.Equal("alice", (string)granted["actor"]!);
        Assert.Equal((long)request["id"]!, (long)granted["approvalId"]!);

        // The first delivery was answered 503 and came again with the same event id and bytes.
        Assert.Equal(all[0].EventId, all[1].EventId);
        Assert.Equal(all[0].Body, all[1].Body);
        Assert.Equal(all.Count - 1, all.Select(d => d.EventId).Distinct().Count());

        // The receiver's check fails on a tampered body, another secret, or a bare hex digest.
        var tampered = withheld.Body.ToArray();
        tampered[^2] ^= 1;
        Assert.False(Verify(Secret, withheld.Signature, tampered));
        Assert.False(Verify("another-secret-0123456789", withheld.Signature, withheld.Body));
        Assert.False(Verify(Secret, withheld.Signature["sha256=".Length..], withheld.Body));
    }

    [Theory]
    [InlineData("99999999999999999999999")]
    [InlineData("")]
    [InlineData("-1")]
    [InlineData("12abc")]
    public void ReadCursor_WhenTheFileDoesNotHoldAnAuditId_ReportsAProblemAndNeverThrows(string text)
    {
        var file = Path.Combine(Path.GetTempPath(), "vouch-cursor-" + Guid.NewGuid().ToString("n"));
        File.WriteAllText(file, text);
        try
        {
            var (_, problem) = WebhookDispatcher.ReadCursor(file);
            Assert.NotNull(problem);
            File.WriteAllText(file, "41\n");
            Assert.Equal((41L, (string?)null), WebhookDispatcher.ReadCursor(file));
        }
        finally
        {
            File.Delete(file);
        }

        Assert.Contains("cannot be read", WebhookDispatcher.ReadCursor(file).Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("99999999999999999999999")]
    [InlineData("999999")]
    public async Task Webhooks_WhenOneCursorIsMalformed_ThatReceiverIsPausedWithACodeOthersGoOnAndNothingIsLostOrSentTwice(string cursor)
    {
        var good = new ConcurrentQueue<Delivery>();
        var bad = new ConcurrentQueue<Delivery>();
        async Task Receive(HttpContext ctx, ConcurrentQueue<Delivery> into)
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms);
            into.Enqueue(new Delivery(ctx.Request.Headers["X-Vouch-Event-Id"].ToString(), ctx.Request.Headers["X-Vouch-Event"].ToString(), ctx.Request.Headers["X-Vouch-Signature"].ToString(), ms.ToArray()));
            ctx.Response.StatusCode = 204;
        }

        var (goodHost, goodUrl) = await LoopbackHost.StartAsync(ctx => Receive(ctx, good));
        await using var _ = goodHost;
        var (badHost, badUrl) = await LoopbackHost.StartAsync(ctx => Receive(ctx, bad));
        await using var __ = badHost;
        var badTarget = new Uri(badUrl, "hooks/vouch");
        var log = new SynchronizedLog();
        string? cursorFile = null;

        await using var gate = await GateFixture.StartAsync(
            u => u.AddVersion("sigstore", "1.0.1", "2023-03-01T00:00:00.000Z"),
            o =>
            {
                // The bad receiver's cursor is in place before the gate starts (as a damaged or hand-edited file).
                cursorFile = Path.Combine(o.DataDirectory, "webhooks", WebhookDispatcher.CursorFileName(badTarget));
                Directory.CreateDirectory(Path.GetDirectoryName(cursorFile)!);
                File.WriteAllText(cursorFile, cursor);
                return o with { Webhooks = [new WebhookTarget(badTarget, Secret), new WebhookTarget(new Uri(goodUrl, "hooks/vouch"), Secret)], WebhookPollInterval = TimeSpan.FromMilliseconds(50), WebhookRetryMin = TimeSpan.FromMilliseconds(50) };
            },
            dependencies: GateFixture.Dependencies() with { Log = log });

        (await gate.SendAsync(HttpMethod.Get, "sigstore")).Dispose();
        await Until(() => good.Any(d => d.Event == "version.withheld"));
        await Task.Delay(300);

        // The other receiver got its event; this one got nothing, and the problem was reported once, with its code.
        Assert.Contains(good, d => d.Event == "version.withheld");
        Assert.Empty(bad);
        var reports = log.Lines().Where(l => l.Contains(GateCodes.WebhookCursorInvalid, StringComparison.Ordinal)).ToList();
        Assert.Single(reports);
        Assert.Contains(badTarget.AbsoluteUri, reports[0], StringComparison.Ordinal);

        // Fixed by the operator (the receiver had received nothing): the paused loop resumes by itself,
        // and every event is delivered once, the same ones the other receiver got.
        File.WriteAllText(cursorFile!, "0");
        await Until(() => bad.Count >= good.Count);
        await Task.Delay(300);
        Assert.Equal(good.Select(d => d.EventId).Order(StringComparer.Ordinal), bad.Select(d => d.EventId).Order(StringComparer.Ordinal));
        Assert.Equal(bad.Count, bad.Select(d => d.EventId).Distinct().Count());
    }

    private static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && !condition())
        {
            await Task.Delay(50);
        }
    }

    private sealed class SynchronizedLog : StringWriter
    {
        private readonly object _gate = new();

        public override void WriteLine(string? value)
        {
            lock (_gate)
            {
                base.WriteLine(value);
            }
        }

        public IReadOnlyList<string> Lines()
        {
            lock (_gate)
            {
                return ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            }
        }
    }

    [Fact]
    public void Validate_WhenSecretShortOrPlainHttpElsewhere_ListsBoth()
    {
        var errors = WebhookTarget.Validate([new WebhookTarget(new Uri("http://hooks.example/x"), "short")]);
        Assert.Equal(2, errors.Count);
    }
}
