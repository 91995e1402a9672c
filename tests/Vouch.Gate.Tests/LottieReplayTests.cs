using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Npm;
using Vouch.Provenance;
using Vouch.Sandbox;
using Vouch.Sigstore.Verification;

namespace Vouch.Gate.Tests;

/// <summary>
/// The proof: the gate in front of the sandbox replaying the lottie-player incident, with
/// the real npm client. The sandbox signs with its own Sigstore instance and registry key; the gate
/// trusts exactly those.
/// </summary>
[Collection("clients")]
public class LottieReplayTests
{
    private const string Package = "@lottiefiles/lottie-player";

    [Fact]
    public async Task Npm_WhenLottieReplayed_RangeGetsGoodVersionAttackVersionRefusedUntilApproved()
    {
        await using var sandbox = await SandboxRegistry.StartAsync(Scenario.Builtin("lottie-player"), new SandboxOptions());
        var dir = Path.Combine(Path.GetTempPath(), "vouch-lottie-" + Guid.NewGuid().ToString("n"));
        await using var gate = await GateHost.StartAsync(
            new GateOptions { Upstream = sandbox.Url, Listen = "127.0.0.1:0", Database = Path.Combine(dir, "gate.db"), DataDirectory = dir, Tokens = GateFixture.Tokens },
            new GateDependencies
            {
                UpstreamHandler = RegistryClient.CreateDefaultHandler(),
                Sigstore = new SigstoreVerifier(Vouch.Sigstore.Trust.TrustedRoot.Parse(Encoding.UTF8.GetBytes(sandbox.TrustedRootJson))),
                TrustedKeys = RegistryKeys.Parse(Encoding.UTF8.GetBytes(sandbox.RegistryKeysJson), "sandbox registry keys").WithV1KeysForAttestations(),
            });
        using var http = new HttpClient { BaseAddress = gate.Url };
        var project = Path.Combine(dir, "project");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(project, "package.json"), "{\"name\":\"consumer\",\"version\":\"1.0.0\",\"private\":true}");

        Task<(int Exit, string Output)> Npm(params string[] args) => ClientProcess.RunAsync("npm", project, new Dictionary<string, string> { ["HOME"] = project },
            [.. args, "--registry", gate.Url.ToString(), "--cache", Path.Combine(project, ".npm-cache"), "--no-audit", "--no-fund", "--ignore-scripts", "--userconfig", Path.Combine(project, ".npmrc-none")]);
        string Installed() => (string)JsonNode.Parse(File.ReadAllText(Path.Combine(project, "node_modules", "@lottiefiles", "lottie-player", "package.json")))!["version"]!;

        var packument = JsonNode.Parse(await http.GetStringAsync("@lottiefiles%2flottie-player"))!;
        var withheld = packument["_vouch"]!["withheld"]!.AsObject().Select(p => p.Key).Order().ToList();
        Assert.Equal(["2.0.5", "2.0.6", "2.0.7"], withheld);

        var range = await Npm("install", $"{Package}@^2");
        Assert.True(range.Exit == 0, range.Output);
        Assert.Equal("2.0.8", Installed());

        var attack = await Npm("install", $"{Package}@2.0.5");
        Assert.NotEqual(0, attack.Exit);
        Assert.Contains("trust-downgrade", attack.Output, StringComparison.Ordinal);
        using (var direct = await http.GetAsync("@lottiefiles/lottie-player/-/lottie-player-2.0.5.tgz"))
        {
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, direct.StatusCode);
        }

        var rule = (string)packument["_vouch"]!["withheld"]!["2.0.5"]!["rule"]!;
        var id = await PostAsync(http, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = Package, version = "2.0.5", rule, reason = "forensics" });
        await PostAsync(http, $"-/vouch/v1/approvals/{id}/grant", GateFixture.ApproverToken, new { reason = "isolated analysis machine", expires = DateTimeOffset.UtcNow.AddHours(1).ToString("O") });

        var approved = await Npm("install", $"{Package}@2.0.5");
        Assert.True(approved.Exit == 0, approved.Output);
        Assert.Equal("2.0.5", Installed());

        using var request = new HttpRequestMessage(HttpMethod.Get, "-/vouch/v1/audit");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GateFixture.ReaderToken);
        using var auditResponse = await http.SendAsync(request);
        var audit = JsonNode.Parse(await auditResponse.Content.ReadAsStringAsync())!["entries"]!.AsArray();
        Assert.Contains(audit, e => (string)e!["action"]! == "withheld" && (string)e["version"]! == "2.0.5" && (string)e["rule"]! == rule);
        Assert.Contains(audit, e => (string)e!["action"]! == "granted" && (string)e["version"]! == "2.0.5" && (string)e["actor"]! == "alice" && e["expiresAt"] is not null);
    }

    private static async Task<long> PostAsync(HttpClient http, string path, string token, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return (long)JsonNode.Parse(text)!["id"]!;
    }
}
