using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vouch.Sandbox.Sigstore;
using Vouch.Tests;

namespace Vouch.Sri.Tests;

/// <summary>One version a <see cref="TestRegistry"/> publishes.</summary>
internal sealed record TestVersion(string Name, string Version, byte[] Tarball)
{
    /// <summary>Sign SLSA provenance with the registry's Sigstore instance (from acme/widget's release workflow).</summary>
    public bool Provenance { get; init; } = true;

    /// <summary>Sign `name@version:integrity` with the registry key.</summary>
    public bool Signed { get; init; } = true;

    /// <summary>Serve these bytes instead of the published tarball (a tampered CDN origin / registry).</summary>
    public byte[]? ServedTarball { get; init; }

    /// <summary>Sign the provenance as another repository's workflow (identity mismatch).</summary>
    public bool ProvenanceFromOtherRepository { get; init; }
}

/// <summary>
/// A loopback npm registry (127.0.0.1) with real in-memory tarballs, registry signatures over
/// `name@version:integrity` with its own P-256 key, and SLSA provenance signed by an in-process
/// Sigstore instance whose trusted root tests pass to the verifier.
/// </summary>
internal sealed class TestRegistry : IAsyncDisposable
{
    public static readonly GitHubWorkflowIdentity Workflow = new("acme/widget", "refs/tags/v1.0.0", new string('a', 40), ".github/workflows/release.yml");

    private readonly WebApplication _app;
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly Dictionary<string, List<TestVersion>> _packages = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _tags = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _attestations = new(StringComparer.Ordinal);

    private TestRegistry(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public SigstoreInstance Sigstore { get; } = SigstoreInstance.Create();

    public string TrustedRootJson => Sigstore.TrustedRootJson();

    public int TarballRequests { get; private set; }

    public static async Task<TestRegistry> StartAsync()
    {
        TestRegistry? self = null;
        var (app, url) = await LoopbackHost.StartAsync(ctx => self!.HandleAsync(ctx));
        self = new TestRegistry(app, url);
        return self;
    }

    public void Publish(TestVersion version, bool latest = true)
    {
        if (!_packages.TryGetValue(version.Name, out var list))
        {
            _packages[version.Name] = list = [];
        }

        list.RemoveAll(v => v.Version == version.Version);
        list.Add(version);
        if (latest)
        {
            _tags[version.Name] = version.Version;
        }

        if (version.Provenance)
        {
            var sha512 = SHA512.HashData(version.Tarball);
            var statement = InTotoStatements.NpmProvenanceV1(version.Name, version.Version, sha512, Workflow);
            var signer = version.ProvenanceFromOtherRepository ? Workflow with { Repository = "attacker/widget" } : Workflow;
            var bundle = Sigstore.SignDsse(InTotoStatements.PayloadType, Encoding.UTF8.GetBytes(statement), new SigningRequest { Identity = signer }).Json;
            _attestations[$"{version.Name}@{version.Version}"] = new JsonObject
            {
                ["attestations"] = new JsonArray(new JsonObject { ["predicateType"] = InTotoStatements.SlsaProvenanceV1, ["bundle"] = JsonNode.Parse(bundle) }),
            }.ToJsonString();
        }
    }

    private string KeyId => "SHA256:" + Convert.ToBase64String(SHA256.HashData(_key.ExportSubjectPublicKeyInfo())).TrimEnd('=');

    private async Task HandleAsync(HttpContext ctx)
    {
        var path = Uri.UnescapeDataString(ctx.Request.Path.Value!.TrimStart('/'));
        if (path == "-/npm/v1/keys")
        {
            var keys = new JsonObject
            {
                ["keys"] = new JsonArray(new JsonObject
                {
                    ["expires"] = null,
                    ["keyid"] = KeyId,
                    ["keytype"] = "ecdsa-sha2-nistp256",
                    ["scheme"] = "ecdsa-sha2-nistp256",
                    ["key"] = Convert.ToBase64String(_key.ExportSubjectPublicKeyInfo()),
                }),
            };
            await Json(ctx, keys.ToJsonString());
            return;
        }

        if (path.StartsWith("-/npm/v1/attestations/", StringComparison.Ordinal))
        {
            if (_attestations.TryGetValue(path["-/npm/v1/attestations/".Length..], out var doc))
            {
                await Json(ctx, doc);
            }
            else
            {
                ctx.Response.StatusCode = 404;
            }

            return;
        }

        if (path.StartsWith("-/tarballs/", StringComparison.Ordinal))
        {
            TarballRequests++;
            var id = path["-/tarballs/".Length..];
            var version = _packages.Values.SelectMany(v => v).FirstOrDefault(v => $"{v.Name}@{v.Version}.tgz" == id);
            if (version is null)
            {
                ctx.Response.StatusCode = 404;
                return;
            }

            ctx.Response.ContentType = "application/octet-stream";
            await ctx.Response.Body.WriteAsync(version.ServedTarball ?? version.Tarball);
            return;
        }

        if (!_packages.TryGetValue(path, out var versions))
        {
            ctx.Response.StatusCode = 404;
            return;
        }

        await Json(ctx, Packument(path, versions).ToJsonString());
    }

    private JsonObject Packument(string name, List<TestVersion> versions)
    {
        var entries = new JsonObject();
        var time = new JsonObject();
        foreach (var v in versions)
        {
            var integrity = "sha512-" + Convert.ToBase64String(SHA512.HashData(v.Tarball));
            var dist = new JsonObject
            {
                ["tarball"] = new Uri(Url, $"-/tarballs/{Uri.EscapeDataString($"{v.Name}@{v.Version}.tgz")}").AbsoluteUri,
                ["integrity"] = integrity,
            };
            if (v.Signed)
            {
                var sig = _key.SignData(Encoding.UTF8.GetBytes($"{v.Name}@{v.Version}:{integrity}"), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
                dist["signatures"] = new JsonArray(new JsonObject { ["keyid"] = KeyId, ["sig"] = Convert.ToBase64String(sig) });
            }

            if (v.Provenance)
            {
                dist["attestations"] = new JsonObject
                {
                    ["url"] = new Uri(Url, $"-/npm/v1/attestations/{Uri.EscapeDataString($"{v.Name}@{v.Version}")}").AbsoluteUri,
                    ["provenance"] = new JsonObject { ["predicateType"] = InTotoStatements.SlsaProvenanceV1 },
                };
            }

            entries[v.Version] = new JsonObject
            {
                ["name"] = v.Name,
                ["version"] = v.Version,
                ["dist"] = dist,
                ["repository"] = new JsonObject { ["type"] = "git", ["url"] = "git+https://github.com/acme/widget.git" },
            };
            time[v.Version] = "2024-10-30T12:00:00.000Z";
        }

        return new JsonObject
        {
            ["name"] = name,
            ["dist-tags"] = new JsonObject { ["latest"] = _tags[name] },
            ["versions"] = entries,
            ["time"] = time,
        };
    }

    private static async Task Json(HttpContext ctx, string json)
    {
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(json);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        Sigstore.Dispose();
        _key.Dispose();
    }
}
