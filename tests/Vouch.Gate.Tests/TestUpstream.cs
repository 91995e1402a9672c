using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vouch.Tests;

namespace Vouch.Gate.Tests;

/// <summary>How the upstream misbehaves for packument requests.</summary>
public enum UpstreamMode
{
    Normal,

    /// <summary>503 for everything.</summary>
    Down,

    /// <summary>200 with a body that is not JSON.</summary>
    Garbage,

    /// <summary>Declares a length and closes the connection early.</summary>
    Truncated,

    /// <summary>A body larger than the gate's cap.</summary>
    Oversized,
}

/// <summary>
/// A loopback npm registry for the gate's tests. It serves the real recorded sigstore@1.0.0
/// (tarball, registry signature, attestations, keys: real Sigstore evidence) and lets each test add
/// versions and packages of its own, count requests and make the upstream fail.
/// </summary>
internal sealed class TestUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _hits = new();

    private TestUpstream(WebApplication app, Uri url)
    {
        _app = app;
        BaseUrl = url;
    }

    public Uri BaseUrl { get; }

    public UpstreamMode Mode { get; set; }

    /// <summary>Delay before answering a packument (to make concurrent requests overlap).</summary>
    public TimeSpan PackumentDelay { get; set; }

    public ConcurrentDictionary<string, JsonObject> Packuments { get; } = new();

    /// <summary>Tarball bytes by URL path (without the leading '/').</summary>
    public ConcurrentDictionary<string, byte[]> Tarballs { get; } = new();

    public ConcurrentDictionary<string, string> Attestations { get; } = new();

    /// <summary>Paths answered with a 302 to the given absolute URL (checked before anything else).</summary>
    public ConcurrentDictionary<string, string> Redirects { get; } = new();

    /// <summary>Paths answered 503 whatever else is configured (one failing route of a working upstream).</summary>
    public ConcurrentDictionary<string, bool> Failing { get; } = new();

    /// <summary>When positive, any unknown package named <c>big-*</c> is generated with a readme of this many bytes.</summary>
    public int GeneratedPackumentBytes { get; set; }

    public int TotalHits => _hits.Values.Sum();

    public int Hits(string path) => _hits.TryGetValue(path, out var n) ? n : 0;

    public static async Task<TestUpstream> StartAsync()
    {
        TestUpstream? self = null;
        var (app, url) = await LoopbackHost.StartAsync(ctx => self!.HandleAsync(ctx));
        self = new TestUpstream(app, url);
        self.AddRecordedSigstore();
        return self;
    }

    /// <summary>sigstore@1.0.0 exactly as npm served it (signature, provenance and publish attestations).</summary>
    private void AddRecordedSigstore()
    {
        var record = JsonNode.Parse(File.ReadAllText(SharedFixtures.Path("npm", "signatures.json")))!.AsArray()
            .First(r => (string)r!["name"]! == "sigstore" && (string)r["version"]! == "1.0.0")!;
        Tarballs["sigstore/-/sigstore-1.0.0.tgz"] = File.ReadAllBytes(SharedFixtures.Path("npm", "tarballs", "sigstore-1.0.0.tgz"));
        Attestations["sigstore@1.0.0"] = File.ReadAllText(SharedFixtures.Path("npm", "attestations", "sigstore@1.0.0.json"));
        var doc = new JsonObject
        {
            ["name"] = "sigstore",
            ["version"] = "1.0.0",
            ["repository"] = new JsonObject { ["type"] = "git", ["url"] = "git+https://github.com/sigstore/sigstore-js.git" },
            ["dist"] = new JsonObject
            {
                ["integrity"] = (string)record["integrity"]!,
                ["tarball"] = new Uri(BaseUrl, "sigstore/-/sigstore-1.0.0.tgz").ToString(),
                ["signatures"] = record["signatures"]!.DeepClone(),
                ["attestations"] = new JsonObject
                {
                    ["url"] = new Uri(BaseUrl, "-/npm/v1/attestations/sigstore@1.0.0").ToString(),
                    ["provenance"] = new JsonObject { ["predicateType"] = "https://slsa.dev/provenance/v0.2" },
                },
            },
        };
        Packuments["sigstore"] = new JsonObject
        {
            ["name"] = "sigstore",
            ["dist-tags"] = new JsonObject { ["latest"] = "1.0.0" },
            ["versions"] = new JsonObject { ["1.0.0"] = doc },
            ["time"] = new JsonObject { ["created"] = "2023-01-01T00:00:00.000Z", ["modified"] = "2023-02-09T18:00:00.000Z", ["1.0.0"] = "2023-02-09T18:00:00.000Z" },
        };
    }

    /// <summary>Adds an unsigned version (no signature, no attestations) with a real tarball, published at <paramref name="time"/>.</summary>
    public byte[] AddVersion(string name, string version, string time, bool latest = true, byte[]? tarball = null)
    {
        var bytes = tarball ?? MakeTarball(name, version);
        var file = $"{name.Split('/')[^1]}-{version}.tgz";
        var path = $"{name}/-/{file}";
        Tarballs[path] = bytes;
        var packument = Packuments.GetOrAdd(name, n => new JsonObject
        {
            ["name"] = n,
            ["dist-tags"] = new JsonObject(),
            ["versions"] = new JsonObject(),
            ["time"] = new JsonObject { ["created"] = "2022-01-01T00:00:00.000Z" },
        });
        lock (packument)
        {
            packument["versions"]![version] = new JsonObject
            {
                ["name"] = name,
                ["version"] = version,
                ["dist"] = new JsonObject
                {
                    ["integrity"] = "sha512-" + Convert.ToBase64String(SHA512.HashData(bytes)),
                    ["shasum"] = Convert.ToHexStringLower(SHA1.HashData(bytes)),
                    ["tarball"] = new Uri(BaseUrl, path).ToString(),
                },
            };
            packument["time"]![version] = time;
            packument["time"]!["modified"] = time;
            if (latest)
            {
                packument["dist-tags"]!["latest"] = version;
            }
        }

        return bytes;
    }

    /// <summary>A minimal valid npm tarball (gzip'd tar with package/package.json).</summary>
    public static byte[] MakeTarball(string name, string version)
    {
        var json = Encoding.UTF8.GetBytes($"{{\"name\":\"{name}\",\"version\":\"{version}\",\"main\":\"index.js\"}}");
        var index = Encoding.UTF8.GetBytes($"module.exports = '{name}@{version}';\n");
        using var ms = new MemoryStream();
        using (var gz = new System.IO.Compression.GZipStream(ms, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new System.Formats.Tar.TarWriter(gz, System.Formats.Tar.TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (entryName, data) in new[] { ("package/package.json", json), ("package/index.js", index) })
            {
                var entry = new System.Formats.Tar.UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, entryName) { DataStream = new MemoryStream(data), Mode = (UnixFileMode)420, ModificationTime = new DateTimeOffset(2023, 1, 1, 0, 0, 0, TimeSpan.Zero) };
                tar.WriteEntry(entry);
            }
        }

        return ms.ToArray();
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var path = Uri.UnescapeDataString(ctx.Request.Path.Value!.TrimStart('/'));
        _hits.AddOrUpdate(path, 1, (_, n) => n + 1);
        if (Redirects.TryGetValue(path, out var location))
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.Headers.Location = location;
            return;
        }

        if (Mode == UpstreamMode.Down || Failing.ContainsKey(path))
        {
            ctx.Response.StatusCode = 503;
            return;
        }

        if (path == "-/npm/v1/keys")
        {
            await ctx.Response.SendFileAsync(SharedFixtures.Path("npm", "registry-keys.v1.json"));
            return;
        }

        if (path.StartsWith("-/npm/v1/attestations/", StringComparison.Ordinal))
        {
            if (Attestations.TryGetValue(path["-/npm/v1/attestations/".Length..], out var doc))
            {
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync(doc);
                return;
            }

            ctx.Response.StatusCode = 404;
            return;
        }

        if (path.Contains("/-/", StringComparison.Ordinal))
        {
            if (Tarballs.TryGetValue(path, out var bytes))
            {
                ctx.Response.ContentLength = bytes.Length;
                await ctx.Response.Body.WriteAsync(bytes);
                return;
            }

            ctx.Response.StatusCode = 404;
            return;
        }

        if (PackumentDelay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(PackumentDelay, ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        switch (Mode)
        {
            case UpstreamMode.Garbage:
                await ctx.Response.WriteAsync("<html>this is not a packument</html>");
                return;
            case UpstreamMode.Truncated:
                ctx.Response.ContentLength = 100000;
                await ctx.Response.WriteAsync("{\"name\":\"x\",\"versions\":{");
                await ctx.Response.Body.FlushAsync();
                ctx.Abort();
                return;
            case UpstreamMode.Oversized:
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync("{\"name\":\"" + new string('x', 300_000) + "\"}");
                return;
        }

        if (!Packuments.TryGetValue(path, out var packument) && GeneratedPackumentBytes > 0 && path.StartsWith("big-", StringComparison.Ordinal))
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(Generated(path, GeneratedPackumentBytes));
            return;
        }

        if (packument is null)
        {
            ctx.Response.StatusCode = 404;
            await ctx.Response.WriteAsync("{\"error\":\"Not found\"}");
            return;
        }

        string text;
        lock (packument)
        {
            text = packument.ToJsonString();
        }

        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(text);
    }

    private string Generated(string name, int bytes) => new JsonObject
    {
        ["name"] = name,
        ["dist-tags"] = new JsonObject { ["latest"] = "1.0.0" },
        ["readme"] = new string('r', bytes),
        ["versions"] = new JsonObject
        {
            ["1.0.0"] = new JsonObject
            {
                ["name"] = name,
                ["version"] = "1.0.0",
                ["dist"] = new JsonObject
                {
                    ["integrity"] = "sha512-" + Convert.ToBase64String(SHA512.HashData(Encoding.UTF8.GetBytes(name))),
                    ["tarball"] = new Uri(BaseUrl, $"{name}/-/{name}-1.0.0.tgz").ToString(),
                },
            },
        },
        ["time"] = new JsonObject { ["created"] = "2022-01-01T00:00:00.000Z", ["1.0.0"] = "2022-01-01T00:00:00.000Z" },
    }.ToJsonString();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
