using System.Text.Json.Nodes;

namespace Vouch.Gate.Tests;

/// <summary>Issue 19: structured logs, one JSON object a line, matched to the answer by X-Request-Id.</summary>
public class JsonLogTests
{
    private sealed class Lines : StringWriter
    {
        public override void WriteLine(string? value)
        {
            lock (this)
            {
                base.WriteLine(value);
            }
        }
    }

    [Fact]
    public async Task AccessLog_WhenOn_WritesOneParsableLinePerRequestWithItsRequestId()
    {
        var log = new Lines();
        await using var gate = await GateFixture.StartAsync(configure: o => o with { AccessLog = true }, dependencies: GateFixture.Dependencies() with { Log = log });

        using var ping = await gate.SendAsync(HttpMethod.Get, "-/ping");
        using var bad = await gate.SendAsync(HttpMethod.Get, "a%22%7d%0a%7b%22level%22:%22forged");
        var ids = new[] { ping.Headers.GetValues("X-Request-Id").Single(), bad.Headers.GetValues("X-Request-Id").Single() };
        Assert.NotEqual(ids[0], ids[1]);

        string text;
        lock (log)
        {
            text = log.ToString();
        }

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.Equal("info", (string)l["level"]!));
        Assert.Equal(ids, lines.Select(l => (string)l["requestId"]!));
        Assert.Equal(200, (int)lines[0]["status"]!);
        Assert.Equal(400, (int)lines[1]["status"]!);
        Assert.Contains("%22", (string)lines[1]["target"]!, StringComparison.Ordinal);
    }
}
