using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vouch.Tests;

namespace Vouch.Cli.Tests;

/// <summary>
/// A loopback npm registry (127.0.0.1, ephemeral port) serving the real recorded records of
/// shared/fixtures/npm: packuments built from signatures.json, the recorded tarballs, attestations
/// and keys. Tests tamper with a copy through <see cref="Tamper"/> before requests are made.
/// </summary>
internal sealed class FixtureRegistry : IAsyncDisposable
{
    private static readonly Dictionary<string, string> Tarballs = new()
    {
        ["sigstore@1.0.0"] = "sigstore-1.0.0.tgz",
        ["tuf-js@1.0.0"] = "tuf-js-1.0.0.tgz",
        ["@sigstore/protobuf-specs@0.2.1"] = "sigstore-protobuf-specs-0.2.1.tgz",
        ["node-fetch@1.7.1"] = "node-fetch-1.7.1.tgz",
        ["async@2.5.0"] = "async-2.5.0.tgz",
    };

    private static readonly Dictionary<string, string> Repositories = new()
    {
        ["sigstore"] = "git+https://github.com/sigstore/sigstore-js.git",
        ["tuf-js"] = "git+https://github.com/theupdateframework/tuf-js.git",
        ["@sigstore/protobuf-specs"] = "git+https://github.com/sigstore/protobuf-specs.git",
    };

    private readonly WebApplication _app;

    private FixtureRegistry(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    /// <summary>Tarball bytes per file name; tests may flip bytes.</summary>
    public Dictionary<string, byte[]> TarballBytes { get; } = Tarballs.Values.ToDictionary(f => f, f => File.ReadAllBytes(SharedFixtures.Path("npm", "tarballs", f)));

    /// <summary>Attestation documents per "name@version"; tests may replace them.</summary>
    public Dictionary<string, string> Attestations { get; } = new()
    {
        ["sigstore@1.0.0"] = File.ReadAllText(SharedFixtures.Path("npm", "attestations", "sigstore@1.0.0.json")),
        ["tuf-js@1.0.0"] = File.ReadAllText(SharedFixtures.Path("npm", "attestations", "tuf-js@1.0.0.json")),
        ["@sigstore/protobuf-specs@0.2.1"] = File.ReadAllText(SharedFixtures.Path("npm", "attestations", "@sigstore%2fprotobuf-specs@0.2.1.json")),
    };

    /// <summary>The `time` the packument gives every version.</summary>
    public string PublishTime { get; set; } = "2023-02-09T18:00:00.000Z";

    /// <summary>Edits applied to each version document before it is served: (name, version, document).</summary>
    public List<Action<string, string, JsonObject>> Tamper { get; } = [];

    public static async Task<FixtureRegistry> StartAsync()
    {
        FixtureRegistry? self = null;
        var (app, url) = await LoopbackHost.StartAsync(ctx => self!.HandleAsync(ctx));
        self = new FixtureRegistry(app, url);
        return self;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var path = Uri.UnescapeDataString(ctx.Request.Path.Value!.TrimStart('/'));
        if (path == "-/npm/v1/keys")
        {
            await ctx.Response.SendFileAsync(SharedFixtures.Path("npm", "registry-keys.v1.json"));
            return;
        }

        if (path.StartsWith("-/npm/v1/attestations/", StringComparison.Ordinal))
        {
            var spec = path["-/npm/v1/attestations/".Length..];
            if (Attestations.TryGetValue(spec, out var doc))
            {
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync(doc);
                return;
            }

            ctx.Response.StatusCode = 404;
            return;
        }

        var dash = path.IndexOf("/-/", StringComparison.Ordinal);
        if (dash > 0)
        {
            var file = path[(dash + 3)..];
            if (TarballBytes.TryGetValue(file, out var bytes))
            {
                await ctx.Response.Body.WriteAsync(bytes);
                return;
            }

            ctx.Response.StatusCode = 404;
            return;
        }

        var packument = Packument(path);
        if (packument is null)
        {
            ctx.Response.StatusCode = 404;
            await ctx.Response.WriteAsync("{\"error\":\"Not found\"}");
            return;
        }

        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(packument.ToJsonString());
    }

    private JsonObject? Packument(string name)
    {
        var records = JsonNode.Parse(File.ReadAllText(SharedFixtures.Path("npm", "signatures.json")))!.AsArray()
            .Where(r => (string)r!["name"]! == name).ToList();
        foreach (var (spec, file) in Tarballs)
        {
            // Recorded tarballs without a signature record (e.g. @sigstore/protobuf-specs): unsigned, integrity from the bytes.
            var at = spec.LastIndexOf('@');
            if (spec[..at] == name && !records.Any(r => (string)r!["version"]! == spec[(at + 1)..]))
            {
                var sha512 = System.Security.Cryptography.SHA512.HashData(File.ReadAllBytes(SharedFixtures.Path("npm", "tarballs", file)));
                records.Add(new JsonObject { ["name"] = name, ["version"] = spec[(at + 1)..], ["integrity"] = "sha512-" + Convert.ToBase64String(sha512), ["signatures"] = new JsonArray() });
            }
        }

        if (records.Count == 0)
        {
            return null;
        }

        var versions = new JsonObject();
        var time = new JsonObject();
        string? latest = null;
        foreach (var r in records)
        {
            var version = (string)r!["version"]!;
            var key = $"{name}@{version}";
            var file = Tarballs.TryGetValue(key, out var f) ? f : $"{name.Replace("/", "-", StringComparison.Ordinal)}-{version}.tgz";
            var dist = new JsonObject
            {
                ["integrity"] = (string)r["integrity"]!,
                ["tarball"] = new Uri(BaseUrl, $"{name}/-/{file}").ToString(),
                ["signatures"] = r["signatures"]!.DeepClone(),
            };
            if (Attestations.ContainsKey(key))
            {
                dist["attestations"] = new JsonObject
                {
                    ["url"] = new Uri(BaseUrl, $"-/npm/v1/attestations/{key}").ToString(),
                    ["provenance"] = new JsonObject { ["predicateType"] = "https://slsa.dev/provenance/v1" },
                };
            }

            var doc = new JsonObject { ["name"] = name, ["version"] = version, ["dist"] = dist };
            if (Repositories.TryGetValue(name, out var repo))
            {
                doc["repository"] = new JsonObject { ["type"] = "git", ["url"] = repo };
            }

            foreach (var t in Tamper)
            {
                t(name, version, doc);
            }

            versions[version] = doc;
            time[version] = PublishTime;
            latest = version;
        }

        return new JsonObject { ["name"] = name, ["dist-tags"] = new JsonObject { ["latest"] = latest }, ["versions"] = versions, ["time"] = time };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
