using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Watch;

namespace Vouch.Gate.Tests;

/// <summary>
/// Issue 16: the gate as a receiver of `vouch watch` webhooks. A signed event quarantines its version
/// at once (withheld from packuments and tarballs) until an approver grants it; everything a sender
/// or an attacker can vary (signature, timestamp, body, size, package, repetition) is tried here, and
/// nothing a client sends is answered with a 500.
/// </summary>
public sealed class WatchEventsTests
{
    private const string Secret = "watch-shared-secret-0123";
    private const string Path = "-/vouch/v1/watch/events";

    private static Task<GateFixture> StartAsync(string? secret = Secret, TimeProvider? time = null) => GateFixture.StartAsync(
        u =>
        {
            u.AddVersion("plain", "1.0.0", "2023-01-01T00:00:00.000Z");
            u.AddVersion("plain", "1.0.1", "2023-02-01T00:00:00.000Z");
        },
        o => o with { WatchSecret = secret },
        time: time);

    private static WatchEvent Event(string kind, string package = "plain", string version = "1.0.1", string? severity = null)
    {
        var k = EventKinds.ByName(kind)!;
        return new WatchEvent
        {
            Id = WatchEvent.MakeId(package, version, kind, "test"),
            Sequence = 7,
            Kind = k.Name,
            Code = k.Code,
            Package = package,
            Version = version,
            PreviousVersion = "1.0.0",
            Severity = severity ?? k.DefaultSeverity,
            Detail = $"{kind}: <script>alert(1)</script> seen by watch",
            ObservedAt = DateTimeOffset.UtcNow,
        };
    }

    private static async Task<(int Status, JsonNode? Body)> PostAsync(GateFixture gate, string body, string? signature, byte[]? raw = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path) { Content = raw is null ? new StringContent(body, Encoding.UTF8, "application/json") : new ByteArrayContent(raw) };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation(WebhookSignature.Header, signature);
        }

        using var response = await gate.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private static Task<(int Status, JsonNode? Body)> DeliverAsync(GateFixture gate, params WatchEvent[] events)
    {
        var (_, body) = WebhookPayload.Build(events);
        return PostAsync(gate, body, WebhookSignature.Sign(Encoding.UTF8.GetBytes(Secret), body, DateTimeOffset.UtcNow));
    }

    private static async Task<(bool Offered, int Tarball)> StateAsync(GateFixture gate, string version = "1.0.1")
    {
        using var packument = await gate.SendAsync(HttpMethod.Get, "plain");
        var doc = JsonNode.Parse(await packument.Content.ReadAsStringAsync())!;
        using var tarball = await gate.SendAsync(HttpMethod.Get, $"plain/-/plain-{version}.tgz");
        return (doc["versions"]![version] is not null, (int)tarball.StatusCode);
    }

    [Fact]
    public async Task Post_WhenSignedEventFlagsAVersion_WithholdsItAtOnceUntilAnApproverGrantsIt()
    {
        await using var gate = await StartAsync();
        Assert.Equal((true, 200), await StateAsync(gate));

        var (status, body) = await DeliverAsync(gate, Event("provenance-lost"), Event("new-dependency"));

        Assert.Equal(200, status);
        Assert.Equal(2, (int)body!["stored"]!);
        Assert.Equal(["plain@1.0.1"], body["quarantined"]!.AsArray().Select(x => (string)x!));
        Assert.Equal((false, 403), await StateAsync(gate));
        Assert.Equal((true, 200), await StateAsync(gate, "1.0.0"));
        using (var packument = await gate.SendAsync(HttpMethod.Get, "plain"))
        {
            var doc = JsonNode.Parse(await packument.Content.ReadAsStringAsync())!;
            Assert.Contains(GateCodes.WatchQuarantined, doc["_vouch"]!["withheld"]!["1.0.1"]!.ToJsonString(), StringComparison.Ordinal);
        }

        var pending = Assert.Single((await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/approvals?status=pending", GateFixture.ReaderToken))["approvals"]!.AsArray());
        Assert.Equal("watch-quarantine", (string)pending!["rule"]!);
        Assert.Equal("vouch-watch", (string)pending["requestedBy"]!);

        // The dashboard's package page shows the events, escaped, with the quarantine.
        var page = await PageAsync(gate);
        Assert.Contains("provenance-lost", page, StringComparison.Ordinal);
        Assert.Contains("new-dependency", page, StringComparison.Ordinal);
        Assert.Contains("quarantined</span> pending approval", page, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(1)</script>", page, StringComparison.Ordinal);

        await gate.JsonAsync(HttpMethod.Post, $"-/vouch/v1/approvals/{(long)pending["id"]!}/grant", GateFixture.ApproverToken, new { reason = "diff read" });
        Assert.Equal((true, 200), await StateAsync(gate));
        Assert.Contains("quarantine lifted", await PageAsync(gate), StringComparison.Ordinal);

        // A later event about the same version quarantines it again.
        await Task.Delay(5);
        var (again, _) = await DeliverAsync(gate, Event("install-script-added"));
        Assert.Equal(200, again);
        Assert.Equal((false, 403), await StateAsync(gate));
    }

    private static async Task<string> PageAsync(GateFixture gate)
    {
        using var page = await gate.SendAsync(HttpMethod.Get, "-/vouch/dashboard/package/plain", GateFixture.ReaderToken);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        return await page.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Post_WhenTheSameDeliveryArrivesAgain_StoresNothingTwice()
    {
        await using var gate = await StartAsync();
        var events = new[] { Event("provenance-lost"), Event("install-script-added") };

        var first = await DeliverAsync(gate, events);
        var second = await DeliverAsync(gate, events);
        var overlapping = await DeliverAsync(gate, events[1]);

        Assert.Equal((200, 2, 0), (first.Status, (int)first.Body!["stored"]!, (int)first.Body["duplicates"]!));
        Assert.Equal((200, 0, 2), (second.Status, (int)second.Body!["stored"]!, (int)second.Body["duplicates"]!));
        Assert.Equal((200, 0, 1), (overlapping.Status, (int)overlapping.Body!["stored"]!, (int)overlapping.Body["duplicates"]!));
        Assert.Equal(2, (await gate.Host.Store.WatchEventsForAsync("plain", 100)).Count);
        Assert.Single((await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/approvals?status=pending", GateFixture.ReaderToken))["approvals"]!.AsArray());
    }

    [Fact]
    public async Task Post_WhenOnlyInfoEvents_RecordsThemWithoutQuarantine()
    {
        await using var gate = await StartAsync();

        var (status, body) = await DeliverAsync(gate, Event("new-dependency"), Event("deprecated"));

        Assert.Equal(200, status);
        Assert.Empty(body!["quarantined"]!.AsArray());
        Assert.Equal((true, 200), await StateAsync(gate));
        Assert.Contains("shown only", await PageAsync(gate), StringComparison.Ordinal);
    }

    public static TheoryData<string> Forgeries => new()
    {
        "wrong-secret", "tampered-body", "no-header", "malformed-header", "short-mac", "old-timestamp", "future-timestamp", "not-utf8",
    };

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task Post_WhenTheSignatureIsForgedReplayedOrOld_Answers401AndChangesNothing(string attack)
    {
        await using var gate = await StartAsync();
        var (_, body) = WebhookPayload.Build([Event("provenance-lost")]);
        var key = Encoding.UTF8.GetBytes(Secret);
        var now = DateTimeOffset.UtcNow;
        var good = WebhookSignature.Sign(key, body, now);
        byte[]? raw = null;
        string? signature = attack switch
        {
            "wrong-secret" => WebhookSignature.Sign(Encoding.UTF8.GetBytes("another-secret-0123456"), body, now),
            "tampered-body" => good,
            "no-header" => null,
            "malformed-header" => "v1=" + new string('0', 64),
            "short-mac" => good[..^2],
            "old-timestamp" => WebhookSignature.Sign(key, body, now.AddMinutes(-6)),
            "future-timestamp" => WebhookSignature.Sign(key, body, now.AddMinutes(6)),
            _ => good,
        };
        if (attack == "tampered-body")
        {
            body = body.Replace("1.0.1", "1.0.0", StringComparison.Ordinal);
        }

        if (attack == "not-utf8")
        {
            raw = [.. Encoding.UTF8.GetBytes(body[..^2]), 0xC3, 0x28, (byte)']', (byte)'}'];
        }

        var (status, answer) = await PostAsync(gate, body, signature, raw);

        Assert.Equal(401, status);
        Assert.Equal(attack.EndsWith("-timestamp", StringComparison.Ordinal) ? GateCodes.WatchSignatureStale : GateCodes.WatchSignatureInvalid, (string)answer!["code"]!);
        Assert.Empty(await gate.Host.Store.WatchEventsForAsync("plain", 10));
        Assert.Equal((true, 200), await StateAsync(gate));
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { "not-json", "{\"deliveryId\": " },
        { "array", "[]" },
        { "no-events", "{\"deliveryId\":\"sha256:" + new string('a', 64) + "\",\"events\":[]}" },
        { "deep", new string('[', 5000) + new string(']', 5000) },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Post_WhenSignedBodyIsNotADelivery_Answers400(string why, string body)
    {
        await using var gate = await StartAsync();

        var (status, answer) = await PostAsync(gate, body, WebhookSignature.Sign(Encoding.UTF8.GetBytes(Secret), body, DateTimeOffset.UtcNow));

        Assert.True(status == 400, $"{why}: {status}");
        Assert.Equal(GateCodes.WatchEventInvalid, (string)answer!["code"]!);
    }

    [Theory]
    [InlineData("kind", "provenance-found")]
    [InlineData("code", "VOUCH_WATCH_NEW_BIN")]
    [InlineData("package", "../etc/passwd")]
    [InlineData("version", "latest")]
    [InlineData("severity", "fatal")]
    [InlineData("id", "sha256:xyz")]
    [InlineData("deliveryId", "sha256:0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("drop", "")]
    public async Task Post_WhenAFieldIsWrongEvenIfSigned_Answers400NamingIt(string field, string value)
    {
        await using var gate = await StartAsync();
        var (_, built) = WebhookPayload.Build([Event("provenance-lost"), Event("install-script-added")]);
        var doc = JsonNode.Parse(built)!.AsObject();
        switch (field)
        {
            case "deliveryId":
                doc["deliveryId"] = value;
                break;
            case "drop":
                // One event removed: the delivery id no longer matches the events.
                doc["events"]!.AsArray().RemoveAt(1);
                break;
            default:
                doc["events"]![0]![field] = value;
                break;
        }

        var body = doc.ToJsonString();
        var (status, answer) = await PostAsync(gate, body, WebhookSignature.Sign(Encoding.UTF8.GetBytes(Secret), body, DateTimeOffset.UtcNow));

        Assert.Equal(400, status);
        Assert.Equal(GateCodes.WatchEventInvalid, (string)answer!["code"]!);
        Assert.Contains(field == "drop" ? "deliveryId" : field, (string)answer["error"]!, StringComparison.Ordinal);
        Assert.Empty(await gate.Host.Store.WatchEventsForAsync("plain", 10));
    }

    [Fact]
    public async Task Post_WhenTheBodyIsHuge_Answers413WithoutReadingIt()
    {
        await using var gate = await StartAsync();
        var body = "{\"deliveryId\":\"" + new string('a', Vouch.Watch.Limits.MaxDeliveryBytes + 10) + "\"}";

        var (status, answer) = await PostAsync(gate, body, WebhookSignature.Sign(Encoding.UTF8.GetBytes(Secret), body, DateTimeOffset.UtcNow));

        Assert.Equal(413, status);
        Assert.Equal(GateCodes.BadBody, (string)answer!["code"]!);
    }

    [Fact]
    public async Task Post_WhenThePackageIsNotServed_IgnoresItsEventsAndStoresNothing()
    {
        await using var gate = await StartAsync();

        var (status, body) = await DeliverAsync(gate, Event("provenance-lost", package: "no-such-package"));

        Assert.Equal(200, status);
        Assert.Equal(0, (int)body!["stored"]!);
        Assert.Equal("no-such-package", (string)body["ignored"]![0]!["package"]!);
        Assert.Empty(await gate.Host.Store.WatchEventsForAsync("no-such-package", 10));
        Assert.Empty((await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/approvals", GateFixture.ReaderToken))["approvals"]!.AsArray());
    }

    [Fact]
    public async Task Post_WhenTheGateHasNoWatchSecret_Answers404()
    {
        await using var gate = await StartAsync(secret: null);

        var (status, body) = await DeliverAsync(gate, Event("provenance-lost"));

        Assert.Equal(404, status);
        Assert.Equal(GateCodes.WatchDisabled, (string)body!["code"]!);
        Assert.Equal((true, 200), await StateAsync(gate));
    }

    [Fact]
    public void Validate_WhenTheWatchSecretIsShort_ListsIt()
    {
        var options = new GateOptions { Upstream = new Uri("http://127.0.0.1:1/"), Database = "x.db", DataDirectory = "x", WatchSecret = "short" };

        Assert.Contains(options.Validate(), e => e.StartsWith("watch-secret-env:", StringComparison.Ordinal));
        Assert.DoesNotContain((options with { WatchSecret = Secret }).Validate(), e => e.StartsWith("watch-secret-env:", StringComparison.Ordinal));
    }
}
