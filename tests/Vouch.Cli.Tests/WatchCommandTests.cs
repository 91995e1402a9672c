using System.Formats.Tar;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Sandbox;

namespace Vouch.Cli.Tests;

/// <summary>`vouch watch --once` against the lottie-player sandbox, as cron would run it.</summary>
public sealed class WatchCommandTests : IAsyncLifetime
{
    private const string Name = "@lottiefiles/lottie-player";
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-watch-cli-");
    private SandboxRegistry _registry = null!;

    public async Task InitializeAsync() => _registry = await SandboxRegistry.StartAsync(Scenario.Builtin("lottie-player"), new SandboxOptions());

    public async Task DisposeAsync()
    {
        await _registry.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _dir.Delete(recursive: true);
    }

    [Fact]
    public async Task Watch_WhenRunOnceAroundATokenPublish_PrintsItsEventsOnceAndExitsOne()
    {
        var sarif = Path.Combine(_dir.FullName, "watch.sarif");
        var digest = Path.Combine(_dir.FullName, "digest.md");

        var baseline = await Watch("--sarif", sarif, "--digest", digest);
        await PublishAsync("2.0.9", new JsonObject { ["postinstall"] = "node collect.js" });
        var found = await Watch("--sarif", sarif, "--digest", digest);
        var again = await Watch();

        Assert.True(baseline.Exit == 0, baseline.Stderr);
        Assert.Equal("", baseline.Stdout);
        Assert.True(found.Exit == 1, found.Stderr);
        var lines = found.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Contains(lines, l => (string?)l["kind"] == "provenance-lost" && (string?)l["version"] == "2.0.9" && (string?)l["previousVersion"] == "2.0.8" && (string?)l["severity"] == "error");
        Assert.Contains(lines, l => (string?)l["kind"] == "install-script-added");
        Assert.Contains(lines, l => (string?)l["kind"] == "trusted-publisher-replaced");
        Assert.True(again.Exit == 0, again.Stderr);
        Assert.Equal("", again.Stdout);
        var results = JsonNode.Parse(File.ReadAllText(sarif))!["runs"]![0]!["results"]!.AsArray();
        Assert.Equal(lines.Count, results.Count);
        Assert.Contains("| error | 2.0.9 | `provenance-lost` | 2.0.8 |", File.ReadAllText(digest));
    }

    [Fact]
    public async Task Watch_WhenStoreIsAnotherDatabase_ExitsTwoWithTheStoreCode()
    {
        var other = Path.Combine(_dir.FullName, "gate.db");
        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={other}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TABLE audit_log (id INTEGER PRIMARY KEY)";
            cmd.ExecuteNonQuery();
        }

        var (exit, _, stderr) = await Run(["watch", "--once", "--store", other, "--registry", _registry.Url.ToString(), Name]);

        Assert.Equal(2, exit);
        Assert.Contains("VOUCH_WATCH_STORE_INVALID", stderr);
    }

    [Theory]
    [InlineData("--webhook", "https://hooks.example.com/x")]
    [InlineData("--webhook", "http://hooks.example.com/x", "--webhook-secret-env", "VOUCH_TEST_WATCH_SECRET")]
    [InlineData("--webhook-secret-env", "VOUCH_TEST_WATCH_SECRET")]
    [InlineData("--interval", "1s")]
    public async Task Watch_WhenWebhookOrIntervalIsBad_ExitsTwo(params string[] options)
    {
        var (exit, _, stderr) = await Run(["watch", "--once", "--store", Path.Combine(_dir.FullName, "w.db"), "--registry", _registry.Url.ToString(), Name, .. options]);

        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: ", stderr);
    }

    [Fact]
    public async Task Watch_WhenRegistryIsUnreachable_ExitsThree()
    {
        var (exit, _, stderr) = await Run(["watch", "--once", "--store", Path.Combine(_dir.FullName, "w.db"), "--registry", "http://127.0.0.1:9/", Name]);

        Assert.Equal(3, exit);
        Assert.Contains("VOUCH_WATCH_REGISTRY_FAILED", stderr);
    }

    private Task<(int Exit, string Stdout, string Stderr)> Watch(params string[] extra) =>
        Run(["watch", "--once", "--store", Path.Combine(_dir.FullName, "watch.db"), "--cache-dir", Path.Combine(_dir.FullName, "cache"),
            "--registry", _registry.Url.ToString(), "--trusted-root", _registry.TrustedRootPath, "--registry-keys", _registry.RegistryKeysPath, Name, "lottie-web", .. extra]);

    private static async Task<(int Exit, string Stdout, string Stderr)> Run(string[] args) => await InProcessCli.Run(args);

    private Task PublishAsync(string version, JsonObject scripts) => TokenPublishAsync(_registry.Url, version, scripts);

    /// <summary>A token publish of the lottie-player stand-in (no provenance), as npm sends it; shared with <see cref="WatchGateCommandTests"/>.</summary>
    internal static async Task TokenPublishAsync(Uri registry, string version, JsonObject scripts)
    {
        var manifest = new JsonObject { ["name"] = Name, ["version"] = version, ["scripts"] = scripts, ["dependencies"] = new JsonObject { ["lottie-web"] = "^5.12.2" } };
        byte[] tgz;
        using (var output = new MemoryStream())
        {
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
            {
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, "package/package.json") { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(manifest.ToJsonString())) });
            }

            tgz = output.ToArray();
        }

        var sent = (JsonObject)manifest.DeepClone();
        sent["dist"] = new JsonObject { ["integrity"] = "sha512-" + Convert.ToBase64String(SHA512.HashData(tgz)) };
        var body = new JsonObject
        {
            ["name"] = Name,
            ["versions"] = new JsonObject { [version] = sent },
            ["dist-tags"] = new JsonObject { ["latest"] = version },
            ["_attachments"] = new JsonObject { ["p.tgz"] = new JsonObject { ["data"] = Convert.ToBase64String(tgz), ["length"] = tgz.Length } },
        };
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(registry, "@lottiefiles%2flottie-player")) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "stolen");
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }
}
