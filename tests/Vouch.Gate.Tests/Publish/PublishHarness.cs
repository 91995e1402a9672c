using System.Formats.Tar;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Gate.Publish;
using Vouch.Npm;
using Vouch.Provenance;
using Vouch.Sandbox.Sigstore;
using Vouch.Sigstore.Verification;

namespace Vouch.Gate.Tests.Publish;

/// <summary>
/// A gate with the publish path on, in front of the Verdaccio of <see cref="VerdaccioRegistry"/>, trusting
/// an in-process Sigstore instance (the sandbox's), plus builders for what `npm publish` sends.
/// </summary>
internal sealed class PublishHarness : IAsyncDisposable
{
    public const string PublisherToken = "publisher-secret-0123456789";
    public const string Publisher2Token = "publisher2-secret-0123456789";
    public static readonly GitHubWorkflowIdentity Workflow = new("acme/widget", "refs/tags/v1.0.0", new string('a', 40), ".github/workflows/release.yml");

    private readonly string _dir;

    private PublishHarness(GateHost host, SigstoreInstance sigstore, string dir, VerdaccioRegistry registry)
    {
        Host = host;
        Sigstore = sigstore;
        _dir = dir;
        Registry = registry;
        Http = new HttpClient { BaseAddress = host.Url };
    }

    public GateHost Host { get; }

    public SigstoreInstance Sigstore { get; }

    public VerdaccioRegistry Registry { get; }

    public HttpClient Http { get; }

    public static IReadOnlyList<GateToken> Tokens =>
    [
        .. GateFixture.Tokens,
        new GateToken("ci", GateRole.Publisher, PublisherToken),
        new GateToken("ci-other", GateRole.Publisher, Publisher2Token),
    ];

    /// <summary>A gate whose publish rules are <paramref name="policyYaml"/> (a whole vouch.policy.yml; null: none).</summary>
    public static async Task<PublishHarness> StartAsync(VerdaccioRegistry registry, string? policyYaml, SigstoreInstance? sigstore = null, TimeSpan? stageTtl = null)
    {
        sigstore ??= SigstoreInstance.Create();
        var dir = Path.Combine(Path.GetTempPath(), "vouch-publish-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        string? policyPath = null;
        if (policyYaml is not null)
        {
            policyPath = Path.Combine(dir, "vouch.policy.yml");
            await File.WriteAllTextAsync(policyPath, policyYaml);
        }

        var host = await GateHost.StartAsync(
            new GateOptions
            {
                Upstream = registry.Url,
                Listen = "127.0.0.1:0",
                Database = Path.Combine(dir, "gate.db"),
                DataDirectory = dir,
                PolicyPath = policyPath,
                Tokens = Tokens,
                ApprovalsPollInterval = TimeSpan.FromMilliseconds(200),
                Publish = new GatePublishOptions { Target = registry.Url, Credential = registry.Token, StageTtl = stageTtl ?? TimeSpan.FromDays(7), MaxTarballBytes = 1024 * 1024 },
            },
            new GateDependencies
            {
                UpstreamHandler = RegistryClient.CreateDefaultHandler(),
                Sigstore = new SigstoreVerifier(Vouch.Sigstore.Trust.TrustedRoot.Parse(Encoding.UTF8.GetBytes(sigstore.TrustedRootJson()))),
                TrustedKeys = RegistryKeys.Empty("none"),
            });
        return new PublishHarness(host, sigstore, dir, registry);
    }

    /// <summary>A package tarball as npm packs it (package/package.json plus an index.js).</summary>
    public static byte[] Tarball(string name, string version, string? scripts = null, string? content = null)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gz, TarEntryFormat.Pax))
        {
            var manifest = $$"""{"name":"{{name}}","version":"{{version}}","main":"index.js"{{(scripts is null ? "" : ",\"scripts\":" + scripts)}}}""";
            Add(tar, "package/package.json", manifest);
            Add(tar, "package/index.js", content ?? $"module.exports = '{name}@{version}';\n");
        }

        return ms.ToArray();

        static void Add(TarWriter tar, string path, string text)
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) };
            tar.WriteEntry(entry);
        }
    }

    /// <summary>A provenance bundle for the tarball with <paramref name="sha512"/>, signed by the in-process Sigstore for <paramref name="identity"/>.</summary>
    public (string Json, string MediaType) Provenance(string name, string version, byte[] sha512, GitHubWorkflowIdentity? identity = null)
    {
        var statement = InTotoStatements.NpmProvenanceV1(name, version, sha512, identity ?? Workflow);
        var bundle = Sigstore.SignDsse(InTotoStatements.PayloadType, Encoding.UTF8.GetBytes(statement), new SigningRequest { Identity = identity ?? Workflow, BundleVersion = BundleVersion.V03 });
        return (bundle.Json, bundle.MediaType);
    }

    /// <summary>The document libnpmpublish builds for `npm publish` (same fields, same attachment names and encodings).</summary>
    public static JsonObject Document(string name, string version, byte[] tarball, (string Json, string MediaType)? bundle = null, string? scripts = null)
    {
        var manifest = new JsonObject
        {
            ["name"] = name,
            ["version"] = version,
            ["main"] = "index.js",
            ["_id"] = $"{name}@{version}",
            ["_nodeVersion"] = "20.0.0",
            ["_npmVersion"] = "11.0.0",
            ["dist"] = new JsonObject
            {
                ["integrity"] = "sha512-" + Convert.ToBase64String(SHA512.HashData(tarball)),
                ["shasum"] = Convert.ToHexStringLower(SHA1.HashData(tarball)),
                ["tarball"] = $"http://gate/{name}/-/{name}-{version}.tgz",
            },
        };
        if (scripts is not null)
        {
            manifest["scripts"] = JsonNode.Parse(scripts);
        }

        var attachments = new JsonObject
        {
            [$"{name}-{version}.tgz"] = new JsonObject { ["content_type"] = "application/octet-stream", ["data"] = Convert.ToBase64String(tarball), ["length"] = tarball.Length },
        };
        if (bundle is { } b)
        {
            attachments[$"{name}-{version}.sigstore"] = new JsonObject { ["content_type"] = b.MediaType, ["data"] = b.Json, ["length"] = b.Json.Length };
        }

        return new JsonObject
        {
            ["_id"] = name,
            ["name"] = name,
            ["description"] = "test package",
            ["dist-tags"] = new JsonObject { ["latest"] = version },
            ["versions"] = new JsonObject { [version] = manifest },
            ["access"] = "public",
            ["_attachments"] = attachments,
        };
    }

    public async Task<(int Status, JsonNode? Body)> PutAsync(string name, string body, string token = PublisherToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, name.Replace("/", "%2f", StringComparison.Ordinal)) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonNode? json = null;
        try
        {
            json = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
        }

        return ((int)response.StatusCode, json);
    }

    public Task<(int Status, JsonNode? Body)> PublishAsync(string name, string version, (string Json, string MediaType)? bundle = null, string? scripts = null, string token = PublisherToken)
    {
        var tarball = Tarball(name, version, scripts);
        return PutAsync(name, Document(name, version, tarball, bundle, scripts).ToJsonString(), token);
    }

    /// <summary>Publishes with a provenance bundle signed for the tarball it carries.</summary>
    public Task<(int Status, JsonNode? Body)> PublishWithProvenanceAsync(string name, string version, GitHubWorkflowIdentity? identity = null, string token = PublisherToken)
    {
        var tarball = Tarball(name, version);
        var bundle = Provenance(name, version, SHA512.HashData(tarball), identity);
        return PutAsync(name, Document(name, version, tarball, bundle).ToJsonString(), token);
    }

    public async Task<IReadOnlyList<JsonNode>> AuditAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "-/vouch/v1/audit?limit=1000");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GateFixture.ReaderToken);
        using var response = await Http.SendAsync(request);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["entries"]!.AsArray().Select(e => e!).ToList();
    }

    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("n")[..8]}";

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
        Sigstore.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
