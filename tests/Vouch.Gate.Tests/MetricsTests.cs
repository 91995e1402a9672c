using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Vouch.Gate.Tests;

/// <summary>
/// Issue 19: the gate's OpenTelemetry metrics, scraped at /-/vouch/metrics in Prometheus' text
/// exposition format and parsed line by line (a line that does not parse fails the test).
/// </summary>
public partial class MetricsTests
{
    internal sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    [GeneratedRegex("""^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""\G\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?""")]
    private static partial Regex Label();

    /// <summary>Parses the text format (version 0.0.4): comments, blank lines, samples; anything else throws.</summary>
    internal static IReadOnlyList<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"not a sample line: {line}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            var labelText = m.Groups[2].Value;
            var at = 0;
            while (at < labelText.Length)
            {
                var l = Label().Match(labelText, at);
                Assert.True(l.Success, $"bad labels at {at}: {line}");
                labels[l.Groups[1].Value] = l.Groups[2].Value;
                at = l.Index + l.Length;
            }

            var value = m.Groups[3].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add(new Sample(m.Groups[1].Value, labels, value));
        }

        return samples;
    }

    internal static double Value(IReadOnlyList<Sample> samples, string name, params (string Key, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);

    [Fact]
    public async Task Metrics_WhenScrapedAfterTraffic_CountRequestsWithheldVerificationsUpstreamCacheBytesAndPending()
    {
        await using var gate = await GateFixture.StartAsync(
            u => u.AddVersion("sigstore", "1.0.1", "2023-03-01T00:00:00.000Z"),
            dependencies: GateFixture.Dependencies() with { MeterName = "Vouch.Gate.Test." + Guid.NewGuid().ToString("n") });

        (await gate.SendAsync(HttpMethod.Get, "sigstore")).Dispose();
        (await gate.SendAsync(HttpMethod.Get, "sigstore")).Dispose();
        using (var bad = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.1.tgz"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, bad.StatusCode);
        }

        long tarballBytes;
        using (var good = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz"))
        {
            Assert.Equal(HttpStatusCode.OK, good.StatusCode);
            tarballBytes = (await good.Content.ReadAsByteArrayAsync()).Length;
        }

        (await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.0.tgz")).Dispose();
        (await gate.SendAsync(HttpMethod.Get, "@scope%252fname")).Dispose();
        await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade" }, 201);

        using var scrape = await gate.SendAsync(HttpMethod.Get, "-/vouch/metrics");
        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.StartsWith("text/plain", scrape.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        var text = await scrape.Content.ReadAsStringAsync();
        var s = Parse(text);

        Assert.True(Value(s, "vouch_gate_requests_total", ("route", "packument"), ("status", "200")) >= 2, text);
        Assert.Equal(1, Value(s, "vouch_gate_requests_total", ("route", "tarball"), ("status", "403")));
        Assert.Equal(2, Value(s, "vouch_gate_requests_total", ("route", "tarball"), ("status", "200")));
        Assert.Equal(1, Value(s, "vouch_gate_requests_total", ("route", "bad_path"), ("status", "400")));
        Assert.Equal(1, Value(s, "vouch_gate_withheld_total", ("rule", "trust-downgrade"), ("action", "withheld")));
        Assert.Equal(1, Value(s, "vouch_gate_verifications_total", ("upstream", "default"), ("outcome", "passed")));
        Assert.Equal(1, Value(s, "vouch_gate_verification_duration_seconds_count", ("upstream", "default")));
        Assert.True(Value(s, "vouch_gate_upstream_requests_total", ("upstream", "default"), ("outcome", "ok")) >= 2, text);
        Assert.True(Value(s, "vouch_gate_upstream_duration_seconds_count", ("upstream", "default")) >= 2, text);
        Assert.True(Value(s, "vouch_gate_cache_lookups_total", ("cache", "packument"), ("result", "hit")) >= 1, text);
        Assert.Equal(1, Value(s, "vouch_gate_cache_lookups_total", ("cache", "decision"), ("result", "hit")));
        Assert.Equal(2 * tarballBytes, Value(s, "vouch_gate_served_bytes_total", ("route", "tarball")));
        Assert.Equal(1, Value(s, "vouch_gate_approvals_pending"));
    }

    [Fact]
    public void Parse_WhenLineIsMalformed_Fails()
    {
        Assert.Single(Parse("# HELP x y\nx_total{a=\"b\\\"c\",d=\"e\"} 3 1700000000000\n"));
        Assert.ThrowsAny<Exception>(() => Parse("x_total{a=b} 3\n"));
        Assert.ThrowsAny<Exception>(() => Parse("x_total 3 4 5\n"));
    }
}
