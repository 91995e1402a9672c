using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Provenance;
using Vouch.Sandbox.Sigstore;
using Vouch.Sigstore.Verification;
using Vouch.Tests;
using SigstoreTrustedRoot = Vouch.Sigstore.Trust.TrustedRoot;

namespace Vouch.Audit.Tests;

/// <summary>
/// A loopback npm registry (127.0.0.1, ephemeral port) whose packages are signed for real: an ECDSA
/// P-256 registry key signs `name@version:integrity` and the publish attestations, and the in-process
/// Sigstore instance signs SLSA provenance with a Fulcio-like certificate for a GitHub workflow.
/// Counts every request, so tests can prove what was (not) fetched.
/// </summary>
internal sealed class AuditRegistry : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ECDsa _registryKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly SigningKey _attestationKey;
    private readonly ConcurrentDictionary<string, SortedDictionary<string, Published>> _packages = new(StringComparer.Ordinal);

    private AuditRegistry(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
        Sigstore = SigstoreInstance.Create();
        var spki = _registryKey.ExportSubjectPublicKeyInfo();
        KeyId = "SHA256:" + Convert.ToBase64String(SHA256.HashData(spki)).TrimEnd('=');
        _attestationKey = SigningKey.FromPkcs8Pem(_registryKey.ExportPkcs8PrivateKeyPem(), KeyId);
    }

    public Uri BaseUrl { get; }

    public SigstoreInstance Sigstore { get; }

    public string KeyId { get; }

    /// <summary>Requests per "kind name" (e.g. "packument-full lodash", "packument-abbreviated lodash", "attestations x@1.0.0", "keys").</summary>
    public ConcurrentDictionary<string, int> Requests { get; } = new(StringComparer.Ordinal);

    /// <summary>Names whose packument is served as broken JSON.</summary>
    public HashSet<string> Malformed { get; } = [];

    /// <summary>Names whose packument answers HTTP 500 (a failing registry).</summary>
    public HashSet<string> Failing { get; } = [];

    public int Count(string prefix) => Requests.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)).Sum(kv => kv.Value);

    public SigstoreTrustedRoot TrustedRoot => SigstoreTrustedRoot.Parse(Encoding.UTF8.GetBytes(Sigstore.TrustedRootJson()));

    /// <summary>The registry key, trusted for signatures and publish attestations, without a validity window.</summary>
    public RegistryKeys Keys => RegistryKeys.Combine(RegistryKeys.Empty("test registry"), [
        new Provenance.RegistryKey(KeyId, RegistryKeys.SignaturesUsage, Vouch.Sigstore.Crypto.PublicKey.FromSubjectPublicKeyInfo(_registryKey.ExportSubjectPublicKeyInfo()), null, null),
        new Provenance.RegistryKey(KeyId, RegistryKeys.AttestationsUsage, Vouch.Sigstore.Crypto.PublicKey.FromSubjectPublicKeyInfo(_registryKey.ExportSubjectPublicKeyInfo()), null, null),
    ], "test registry keys");

    public string KeysJson => new JsonObject
    {
        ["keys"] = new JsonArray(new JsonObject
        {
            ["expires"] = null,
            ["keyid"] = KeyId,
            ["keytype"] = "ecdsa-sha2-nistp256",
            ["scheme"] = "ecdsa-sha2-nistp256",
            ["key"] = Convert.ToBase64String(_registryKey.ExportSubjectPublicKeyInfo()),
        }),
    }.ToJsonString();

    public static async Task<AuditRegistry> StartAsync()
    {
        AuditRegistry? self = null;
        var (app, url) = await LoopbackHost.StartAsync(ctx => self!.HandleAsync(ctx));
        self = new AuditRegistry(app, url);
        return self;
    }

    /// <summary>What one published version looks like; tests change it before requests are made.</summary>
    public sealed class Published
    {
        public required string Name { get; init; }

        public required string Version { get; init; }

        public required byte[] Tarball { get; init; }

        public string Integrity => "sha512-" + Convert.ToBase64String(SHA512.HashData(Tarball));

        public byte[] Sha512 => SHA512.HashData(Tarball);

        /// <summary>`dist.integrity` as served (defaults to the tarball's).</summary>
        public string? ServedIntegrity { get; set; }

        public string? Signature { get; set; }

        public string? Repository { get; set; }

        public string? AttestationsJson { get; set; }

        /// <summary>Served as <c>deprecated</c> in both forms of the packument (the one mutable field the policy reads).</summary>
        public string? Deprecated { get; set; }
    }

    /// <summary>Publishes a signed version; with <paramref name="workflow"/>, also provenance and a publish attestation.</summary>
    public Published Publish(string name, string version, GitHubWorkflowIdentity? workflow = null, string? repository = null, bool sign = true)
    {
        var p = new Published { Name = name, Version = version, Tarball = Encoding.UTF8.GetBytes($"tarball of {name}@{version}") };
        p.ServedIntegrity = p.Integrity;
        p.Repository = repository ?? (workflow is null ? null : $"git+https://github.com/{workflow.Repository}.git");
        if (sign)
        {
            p.Signature = Sign(name, version, p.Integrity);
        }

        if (workflow is not null)
        {
            p.AttestationsJson = Attest(name, version, p.Sha512, workflow);
        }

        _packages.GetOrAdd(name, _ => new SortedDictionary<string, Published>(StringComparer.Ordinal))[version] = p;
        return p;
    }

    /// <summary>
    /// Publishes a version known only by its integrity (a real package pinned by a real lockfile, whose
    /// tarball the test does not have): signed, and with provenance over the sha512 of that integrity.
    /// </summary>
    public Published PublishPinned(string name, string version, string integrity, GitHubWorkflowIdentity? workflow = null)
    {
        var p = new Published { Name = name, Version = version, Tarball = [], ServedIntegrity = integrity, Signature = Sign(name, version, integrity) };
        var sha512 = Vouch.Npm.Integrity.Parse(integrity).Hashes.FirstOrDefault(h => h.Algorithm == IntegrityAlgorithm.Sha512)?.Digest;
        if (workflow is not null && sha512 is not null)
        {
            p.Repository = $"git+https://github.com/{workflow.Repository}.git";
            p.AttestationsJson = Attest(name, version, sha512, workflow);
        }

        _packages.GetOrAdd(name, _ => new SortedDictionary<string, Published>(StringComparer.Ordinal))[version] = p;
        return p;
    }

    /// <summary>The attestations document npm serves: a publish attestation (registry key) and SLSA provenance (Sigstore) over <paramref name="sha512"/>.</summary>
    private string Attest(string name, string version, byte[] sha512, GitHubWorkflowIdentity workflow)
    {
        var provenance = Sigstore.SignDsse(InTotoStatements.PayloadType, Encoding.UTF8.GetBytes(InTotoStatements.NpmProvenanceV1(name, version, sha512, workflow)), new SigningRequest { Identity = workflow });
        var publish = Sigstore.SignDsseWithKey(InTotoStatements.PayloadType, Encoding.UTF8.GetBytes(InTotoStatements.NpmPublishAttestation(name, version, sha512)), _attestationKey);
        return new JsonObject
        {
            ["attestations"] = new JsonArray(
                new JsonObject { ["predicateType"] = InTotoStatements.NpmPublishV01, ["bundle"] = JsonNode.Parse(publish.Json) },
                new JsonObject { ["predicateType"] = InTotoStatements.SlsaProvenanceV1, ["bundle"] = JsonNode.Parse(provenance.Json) }),
        }.ToJsonString();
    }

    public string Sign(string name, string version, string integrity) =>
        Convert.ToBase64String(_registryKey.SignData(Encoding.UTF8.GetBytes($"{name}@{version}:{integrity}"), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

    /// <summary>The lockfile entry npm would write for a published version.</summary>
    public LockfilePackage Entry(Published p, int line) => new()
    {
        Name = p.Name,
        Version = p.Version,
        Resolved = new Uri(BaseUrl, $"{p.Name}/-/{p.Name.Split('/')[^1]}-{p.Version}.tgz").ToString(),
        Integrity = p.Integrity,
        Key = $"node_modules/{p.Name}",
        Line = line,
    };

    public PackageVerifier Verifier(RegistryClient client) => new(client, new SigstoreVerifier(TrustedRoot), Keys);

    public RegistryClient Client(RegistryClientOptions? options = null, string? cacheDirectory = null) =>
        new(new SocketsHttpHandler { AllowAutoRedirect = false }, NpmConfig.ForRegistry(BaseUrl), cacheDirectory, TimeProvider.System, options ?? new RegistryClientOptions { MaxRetries = 0, MaxConcurrency = 16 }, disposeHandler: true);

    private void Record(string key) => Requests.AddOrUpdate(key, 1, (_, n) => n + 1);

    private async Task HandleAsync(HttpContext ctx)
    {
        var path = Uri.UnescapeDataString(ctx.Request.Path.Value!.TrimStart('/'));
        if (path == "-/npm/v1/keys")
        {
            Record("keys");
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(KeysJson);
            return;
        }

        if (path.StartsWith("-/npm/v1/attestations/", StringComparison.Ordinal))
        {
            var spec = path["-/npm/v1/attestations/".Length..];
            Record("attestations " + spec);
            var at = spec.LastIndexOf('@');
            if (at > 0 && _packages.TryGetValue(spec[..at], out var vs) && vs.TryGetValue(spec[(at + 1)..], out var pv) && pv.AttestationsJson is { } doc)
            {
                ctx.Response.ContentType = "application/json";
                await ctx.Response.WriteAsync(doc);
                return;
            }

            ctx.Response.StatusCode = 404;
            return;
        }

        var abbreviated = ctx.Request.Headers.Accept.ToString().Contains("application/vnd.npm.install-v1+json", StringComparison.Ordinal);
        Record($"packument-{(abbreviated ? "abbreviated" : "full")} {path}");
        if (Failing.Contains(path))
        {
            ctx.Response.StatusCode = 500;
            return;
        }

        if (Malformed.Contains(path))
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("{\"name\": \"" + path + "\", \"versions\": [");
            return;
        }

        if (!_packages.TryGetValue(path, out var versions))
        {
            ctx.Response.StatusCode = 404;
            await ctx.Response.WriteAsync("{\"error\":\"Not found\"}");
            return;
        }

        var docs = new JsonObject();
        var time = new JsonObject();
        foreach (var (v, p) in versions)
        {
            var dist = new JsonObject
            {
                ["integrity"] = p.ServedIntegrity,
                ["tarball"] = new Uri(BaseUrl, $"{p.Name}/-/{p.Name.Split('/')[^1]}-{v}.tgz").ToString(),
                ["signatures"] = p.Signature is null ? new JsonArray() : new JsonArray(new JsonObject { ["keyid"] = KeyId, ["sig"] = p.Signature }),
            };
            if (p.AttestationsJson is not null)
            {
                dist["attestations"] = new JsonObject
                {
                    ["url"] = new Uri(BaseUrl, $"-/npm/v1/attestations/{p.Name}@{v}").ToString(),
                    ["provenance"] = new JsonObject { ["predicateType"] = InTotoStatements.SlsaProvenanceV1 },
                };
            }

            var doc = new JsonObject { ["name"] = p.Name, ["version"] = v, ["dist"] = dist };
            if (p.Deprecated is not null)
            {
                doc["deprecated"] = p.Deprecated;
            }
            if (!abbreviated && p.Repository is not null)
            {
                doc["repository"] = new JsonObject { ["type"] = "git", ["url"] = p.Repository };
            }

            docs[v] = doc;
            // Publish order is the order of Publish calls, a minute apart (release-line history needs times).
            time[v] = new DateTimeOffset(2026, 1, 1, 0, time.Count, 0, TimeSpan.Zero).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        }

        var packument = new JsonObject { ["name"] = path, ["dist-tags"] = new JsonObject { ["latest"] = versions.Keys.Last() }, ["versions"] = docs };
        if (abbreviated)
        {
            packument["modified"] = "2026-01-01T00:00:00.000Z";
        }
        else
        {
            packument["time"] = time;
        }

        ctx.Response.ContentType = abbreviated ? "application/vnd.npm.install-v1+json" : "application/json";
        await ctx.Response.WriteAsync(packument.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Sigstore.Dispose();
        _registryKey.Dispose();
        _attestationKey.Dispose();
    }
}
