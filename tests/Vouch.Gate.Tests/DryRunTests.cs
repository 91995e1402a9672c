using System.Net;
using System.Text.Json.Nodes;

namespace Vouch.Gate.Tests;

/// <summary>
/// Issue 19: a rule in <c>mode: report</c> is decided, logged and shown, and withholds nothing.
/// The same policy with the rule enforced is the control: there the version is withheld.
/// </summary>
public class DryRunTests
{
    private static async Task<GateFixture> StartAsync(string mode)
    {
        var dir = Path.Combine(Path.GetTempPath(), "vouch-dryrun-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        var policy = Path.Combine(dir, "vouch.policy.yml");
        File.WriteAllText(policy, $"version: 1\nrules:\n  trust-downgrade: {{ severity: error, mode: {mode} }}\n");
        return await GateFixture.StartAsync(u => u.AddVersion("sigstore", "1.0.1", "2023-03-01T00:00:00.000Z"), o => o with { PolicyPath = policy }, dir: dir);
    }

    [Fact]
    public async Task Gate_WhenRuleIsInReportMode_ShowsDecisionButWithholdsNothing()
    {
        await using var gate = await StartAsync("report");

        using var packument = await gate.SendAsync(HttpMethod.Get, "sigstore");
        var doc = JsonNode.Parse(await packument.Content.ReadAsStringAsync())!;
        Assert.NotNull(doc["versions"]!["1.0.1"]);
        Assert.Equal("1.0.1", (string)doc["dist-tags"]!["latest"]!);
        Assert.False(packument.Headers.Contains("X-Vouch-Withheld"));
        Assert.Equal("1.0.1=trust-downgrade", packument.Headers.GetValues("X-Vouch-Report").Single());
        Assert.Equal("report", (string)doc["_vouch"]!["report"]!["1.0.1"]![0]!["mode"]!);
        Assert.Empty(doc["_vouch"]!["withheld"]!.AsObject());

        using var tarball = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.1.tgz");
        Assert.Equal(HttpStatusCode.OK, tarball.StatusCode);

        var audit = (await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/audit", GateFixture.ReaderToken))["entries"]!.AsArray();
        Assert.Contains(audit, e => (string)e!["action"]! == "reported" && (string?)e["version"] == "1.0.1" && (string?)e["rule"] == "trust-downgrade");
        Assert.DoesNotContain(audit, e => (string)e!["action"]! is "withheld" or "refused");

        using var dashboard = await gate.SendAsync(HttpMethod.Get, "-/vouch/dashboard", GateFixture.ReaderToken);
        var html = await dashboard.Content.ReadAsStringAsync();
        Assert.Contains("id=\"dry-run\"", html, StringComparison.Ordinal);
        Assert.Contains("sigstore@1.0.1", html[html.IndexOf("id=\"dry-run\"", StringComparison.Ordinal)..], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gate_WhenSameRuleIsEnforced_WithholdsTheVersion()
    {
        await using var gate = await StartAsync("enforce");

        using var packument = await gate.SendAsync(HttpMethod.Get, "sigstore");
        var doc = JsonNode.Parse(await packument.Content.ReadAsStringAsync())!;
        Assert.Null(doc["versions"]!["1.0.1"]);
        Assert.False(packument.Headers.Contains("X-Vouch-Report"));
        using var tarball = await gate.SendAsync(HttpMethod.Get, "sigstore/-/sigstore-1.0.1.tgz");
        Assert.Equal(HttpStatusCode.Forbidden, tarball.StatusCode);
    }
}
