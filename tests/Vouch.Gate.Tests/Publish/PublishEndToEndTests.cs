using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Gate.Publish;
using Vouch.Policy;

namespace Vouch.Gate.Tests.Publish;

/// <summary>
/// Issue 20, end to end: a real Verdaccio as the organisation's registry, the gate in front of it,
/// real `npm publish` and `npm install`, and publishes carrying provenance signed by the in-process
/// Sigstore instance (npm cannot reach a private Fulcio, so those requests are built as libnpmpublish builds them).
/// </summary>
[Collection(VerdaccioCollection.Name)]
public sealed class PublishEndToEndTests(VerdaccioRegistry registry)
{
    private const string ProvenancePolicy = """
        version: 1
        publish:
          - packages: ['*']
            provenance: error
        """;

    private const string SourcePolicy = """
        version: 1
        publish:
          - packages: ['*']
            provenance: error
            source:
              repositories: [github.com/acme/*]
              workflows: [.github/workflows/release.yml]
              refs: ['refs/tags/v*']
        """;

    private void SkipUnlessVerdaccio() => Skip.If(registry.Unavailable is not null, registry.Unavailable);

    [SkippableFact]
    public async Task NpmPublish_WhenProvenanceRequiredAndNoneAttached_IsRefusedWithRuleAndNothingForwarded()
    {
        SkipUnlessVerdaccio();
        await using var gate = await PublishHarness.StartAsync(registry, ProvenancePolicy);
        var name = PublishHarness.Unique("npm-noprov");
        var (exit, output) = await NpmPublishAsync(gate, name, "1.0.0");
        Assert.NotEqual(0, exit);
        Assert.Contains("publish-provenance", output, StringComparison.Ordinal);
        Assert.Contains(PolicyCodes.PublishProvenanceRequired, output, StringComparison.Ordinal);
        Assert.Contains("npm publish --provenance", output, StringComparison.Ordinal);
        Assert.Empty(await registry.VersionsAsync(name));
        Assert.Contains(await gate.AuditAsync(), e => (string?)e["action"] == "publish-refused" && (string?)e["name"] == name && (string?)e["rule"] == "publish-provenance");
    }

    [SkippableFact]
    public async Task NpmPublish_WhenNoPublishPolicy_IsForwardedAndNpmInstallGetsIt()
    {
        SkipUnlessVerdaccio();
        await using var gate = await PublishHarness.StartAsync(registry, null);
        var name = PublishHarness.Unique("npm-plain");
        var (exit, output) = await NpmPublishAsync(gate, name, "1.0.0");
        Assert.True(exit == 0, output);
        Assert.Equal(["1.0.0"], await registry.VersionsAsync(name));
        var evidence = (await registry.VersionDocumentAsync(name, "1.0.0"))![PublishRequest.EvidenceField]!;
        Assert.Equal("none", (string?)evidence["trust"]);
        Assert.Equal("ci", (string?)evidence["publisher"]);
        Assert.Equal("1.0.0", await NpmInstallAsync(name, "1.0.0"));

        // The same version again: npm 11 sees it in the packument the gate serves and stops, or the gate answers 409.
        var (again, againOutput) = await NpmPublishAsync(gate, name, "1.0.0");
        Assert.NotEqual(0, again);
        Assert.True(againOutput.Contains(PublishCodes.VersionExists, StringComparison.Ordinal) || againOutput.Contains("previously published", StringComparison.Ordinal), againOutput);
        Assert.Equal(["1.0.0"], await registry.VersionsAsync(name));
    }

    [SkippableFact]
    public async Task NpmPublish_WhenTokenIsNotPublisher_IsRefused()
    {
        SkipUnlessVerdaccio();
        await using var gate = await PublishHarness.StartAsync(registry, null);
        var name = PublishHarness.Unique("npm-reader");
        var (exit, output) = await NpmPublishAsync(gate, name, "1.0.0", GateFixture.AdminToken);
        Assert.NotEqual(0, exit);
        Assert.Contains("publisher", output, StringComparison.Ordinal);
        Assert.Empty(await registry.VersionsAsync(name));
    }

    [SkippableFact]
    public async Task Publish_WhenSandboxProvenanceFromPinnedRepository_IsForwardedWithEvidence()
    {
        SkipUnlessVerdaccio();
        await using var gate = await PublishHarness.StartAsync(registry, SourcePolicy);
        var name = PublishHarness.Unique("prov-ok");
        var (status, body) = await gate.PublishWithProvenanceAsync(name, "1.0.0");
        Assert.True(status == 201, body?.ToJsonString());
        Assert.Equal(["1.0.0"], await registry.VersionsAsync(name));
        var evidence = (await registry.VersionDocumentAsync(name, "1.0.0"))![PublishRequest.EvidenceField]!;
        Assert.Equal("provenance", (string?)evidence["trust"]);
        Assert.Equal("https://github.com/acme/widget", (string?)evidence["repository"]);
        Assert.Equal("1.0.0", await NpmInstallAsync(name, "1.0.0"));
    }

    [SkippableFact]
    public async Task Publish_WhenProvenanceFromAnotherRepository_IsRefusedBySource()
    {
        SkipUnlessVerdaccio();
        await using var gate = await PublishHarness.StartAsync(registry, SourcePolicy);
        var name = PublishHarness.Unique("prov-repo");
        var (status, body) = await gate.PublishWithProvenanceAsync(name, "1.0.0", PublishHarness.Workflow with { Repository = "attacker/widget" });
        Assert.Equal(403, status);
        Assert.Equal(PolicyCodes.PublishSource, (string?)body!["code"]);
        Assert.Equal("publish-source", (string?)body["rule"]);
        Assert.Contains("attacker/widget", (string?)body["error"], StringComparison.Ordinal);
        Assert.Empty(await registry.VersionsAsync(name));
    }

    [SkippableFact]
    public async Task Publish_WhenProvenanceSubjectIsAnotherTarball_IsRefused()
    {
        SkipUnlessVerdaccio();
        await using var gate = await PublishHarness.StartAsync(registry, SourcePolicy);
        var name = PublishHarness.Unique("prov-subject");
        var tarball = PublishHarness.Tarball(name, "1.0.0");
        var other = PublishHarness.Tarball(name, "1.0.0", content: "module.exports = 'the reviewed build';\n");
        var bundle = gate.Provenance(name, "1.0.0", SHA512.HashData(other));
        var (status, body) = await gate.PutAsync(name, PublishHarness.Document(name, "1.0.0", tarball, bundle).ToJsonString());
        Assert.Equal(403, status);
        Assert.Equal(PublishCodes.ProvenanceInvalid, (string?)body!["code"]);
        Assert.Empty(await registry.VersionsAsync(name));
    }

    [SkippableFact]
    public async Task Publish_WhenProvenanceBundleTampered_IsRefused()
    {
        SkipUnlessVerdaccio();
        await using var gate = await PublishHarness.StartAsync(registry, null);
        var name = PublishHarness.Unique("prov-tamper");
        var tarball = PublishHarness.Tarball(name, "1.0.0");
        var (json, media) = gate.Provenance(name, "1.0.0", SHA512.HashData(tarball));

        // Rewrite the signed statement's repository: the DSSE signature no longer covers the payload.
        var bundle = JsonNode.Parse(json)!;
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String((string)bundle["dsseEnvelope"]!["payload"]!));
        bundle["dsseEnvelope"]!["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload.Replace("acme/widget", "acme/widgex", StringComparison.Ordinal)));
        var (status, body) = await gate.PutAsync(name, PublishHarness.Document(name, "1.0.0", tarball, (bundle.ToJsonString(), media)).ToJsonString());
        Assert.Equal(403, status);
        Assert.Equal(PublishCodes.ProvenanceInvalid, (string?)body!["code"]);

        // A bundle from a Sigstore instance the gate does not trust.
        using var foreign = Vouch.Sandbox.Sigstore.SigstoreInstance.Create();
        var statement = Vouch.Sandbox.Sigstore.InTotoStatements.NpmProvenanceV1(name, "1.0.0", SHA512.HashData(tarball), PublishHarness.Workflow);
        var alien = foreign.SignDsse(Vouch.Sandbox.Sigstore.InTotoStatements.PayloadType, Encoding.UTF8.GetBytes(statement), new Vouch.Sandbox.Sigstore.SigningRequest { Identity = PublishHarness.Workflow, BundleVersion = Vouch.Sandbox.Sigstore.BundleVersion.V03 });
        (status, body) = await gate.PutAsync(name, PublishHarness.Document(name, "1.0.0", tarball, (alien.Json, alien.MediaType)).ToJsonString());
        Assert.Equal(403, status);
        Assert.Equal(PublishCodes.ProvenanceInvalid, (string?)body!["code"]);
        Assert.Empty(await registry.VersionsAsync(name));
    }

    [SkippableFact]
    public async Task Publish_WhenTrustedPublisherRequired_OnlyThatIdentityAndTokenPublish()
    {
        SkipUnlessVerdaccio();
        await using var gate = await PublishHarness.StartAsync(registry, """
            version: 1
            publish:
              - packages: ['*']
                trusted-publisher:
                  issuers: [https://token.actions.githubusercontent.com]
                  identities: ['https://github.com/acme/widget/.github/workflows/release.yml@refs/tags/v*']
                  tokens: [ci]
            """);
        var name = PublishHarness.Unique("trusted");
        var (status, body) = await gate.PublishWithProvenanceAsync(name, "1.0.0", PublishHarness.Workflow with { WorkflowPath = ".github/workflows/other.yml" });
        Assert.Equal(403, status);
        Assert.Equal(PolicyCodes.PublishTrustedPublisher, (string?)body!["code"]);

        (status, body) = await gate.PublishWithProvenanceAsync(name, "1.0.0", token: PublishHarness.Publisher2Token);
        Assert.Equal(403, status);
        Assert.Contains("ci-other", (string?)body!["error"], StringComparison.Ordinal);

        (status, body) = await gate.PublishWithProvenanceAsync(name, "1.0.0");
        Assert.True(status == 201, body?.ToJsonString());
        Assert.Equal("trusted-publisher", (string?)(await registry.VersionDocumentAsync(name, "1.0.0"))![PublishRequest.EvidenceField]!["trust"]);
    }

    [SkippableFact]
    public async Task Publish_WhenLaterVersionDropsProvenance_IsRefusedAsTrustDowngrade()
    {
        SkipUnlessVerdaccio();
        await using var gate = await PublishHarness.StartAsync(registry, """
            version: 1
            publish:
              - packages: ['*']
                trust-downgrade: error
            """);
        var name = PublishHarness.Unique("downgrade");
        Assert.Equal(201, (await gate.PublishWithProvenanceAsync(name, "1.0.0")).Status);
        var (status, body) = await gate.PublishAsync(name, "1.0.1");
        Assert.Equal(403, status);
        Assert.Equal(PolicyCodes.PublishTrustDowngrade, (string?)body!["code"]);

        // Another release line has no history to downgrade from.
        Assert.Equal(201, (await gate.PublishAsync(name, "2.0.0")).Status);
        Assert.Equal(["1.0.0", "2.0.0"], await registry.VersionsAsync(name));
    }

    [SkippableFact]
    public async Task Publish_WhenAnotherPublisherTokenSendsTheNextVersion_IsRefusedAsNewPublisher()
    {
        SkipUnlessVerdaccio();
        await using var gate = await PublishHarness.StartAsync(registry, """
            version: 1
            publish:
              - packages: ['*']
                new-publisher: error
            """);
        var name = PublishHarness.Unique("newpub");
        Assert.Equal(201, (await gate.PublishAsync(name, "1.0.0")).Status);

        // The gate reads who published 1.0.0 back from the organisation's registry (_vouchPublish).
        var (status, body) = await gate.PublishAsync(name, "1.0.1", token: PublishHarness.Publisher2Token);
        Assert.Equal(403, status);
        Assert.Equal(PolicyCodes.PublishNewPublisher, (string?)body!["code"]);

        Assert.Equal(201, (await gate.PublishAsync(name, "1.0.1")).Status);
        Assert.Equal(["1.0.0", "1.0.1"], await registry.VersionsAsync(name));
    }

    [SkippableFact]
    public async Task Publish_WhenNewMajorHeld_IsForwardedOnlyAfterAGrantAndDeniedIsDropped()
    {
        SkipUnlessVerdaccio();
        await using var gate = await PublishHarness.StartAsync(registry, """
            version: 1
            publish:
              - packages: ['*']
                new-major: hold
                install-scripts: hold
            """);
        var name = PublishHarness.Unique("staged");
        Assert.Equal(201, (await gate.PublishAsync(name, "1.0.0")).Status);

        var (status, body) = await gate.PublishAsync(name, "2.0.0");
        Assert.Equal(202, status);
        Assert.Equal(PublishCodes.Staged, (string?)body!["code"]);
        Assert.Equal("publish-new-major", (string?)body["rule"]);
        var approval = (long)body["approval"]!;

        // Held, not forwarded; a second publish of the same version is a conflict.
        await Task.Delay(600);
        Assert.Equal(["1.0.0"], await registry.VersionsAsync(name));
        var list = JsonNode.Parse(await (await SendAsync(gate, HttpMethod.Get, "-/vouch/v1/publish/staged", GateFixture.ReaderToken)).Content.ReadAsStringAsync())!;
        Assert.Contains(list["staged"]!.AsArray(), s => (string?)s!["name"] == name && (string?)s["version"] == "2.0.0" && (long)s["approvalId"]! == approval);
        Assert.Equal(409, (await gate.PublishAsync(name, "2.0.0")).Status);

        // The publisher cannot grant (not an approver); an approver can (four eyes: not the requester).
        Assert.Equal(403, (int)(await SendAsync(gate, HttpMethod.Post, $"-/vouch/v1/approvals/{approval}/grant", PublishHarness.PublisherToken)).StatusCode);
        Assert.Equal(200, (int)(await SendAsync(gate, HttpMethod.Post, $"-/vouch/v1/approvals/{approval}/grant", GateFixture.ApproverToken)).StatusCode);
        await WaitForAsync(async () => (await registry.VersionsAsync(name)).Contains("2.0.0"));
        Assert.Equal(["1.0.0", "2.0.0"], await registry.VersionsAsync(name));

        // An added install script is held too; denied, it is dropped and never reaches the registry.
        (status, body) = await gate.PublishAsync(name, "2.1.0", scripts: """{"postinstall":"node steal.js"}""");
        Assert.Equal(202, status);
        Assert.Equal("publish-install-scripts", (string?)body!["rule"]);
        var denied = (long)body["approval"]!;
        Assert.Equal(200, (int)(await SendAsync(gate, HttpMethod.Post, $"-/vouch/v1/approvals/{denied}/deny", GateFixture.ApproverToken)).StatusCode);
        await WaitForAsync(async () => (await gate.AuditAsync()).Any(e => (string?)e["action"] == "publish-dropped" && (string?)e["version"] == "2.1.0"));
        Assert.Equal(["1.0.0", "2.0.0"], await registry.VersionsAsync(name));

        // What npm installs from the organisation's registry is exactly what was accepted.
        Assert.Equal("2.0.0", await NpmInstallAsync(name, "^2"));
        var audit = await gate.AuditAsync();
        Assert.Contains(audit, e => (string?)e["action"] == "publish-staged" && (string?)e["version"] == "2.0.0");
        Assert.Contains(audit, e => (string?)e["action"] == "published" && (string?)e["version"] == "2.0.0" && (string?)e["actor"] == "alice");
    }

    [SkippableFact]
    public async Task Publish_WhenStagedPublishExpires_IsDeniedAndDropped()
    {
        SkipUnlessVerdaccio();
        await using var gate = await PublishHarness.StartAsync(registry, """
            version: 1
            publish:
              - packages: ['*']
                new-major: hold
            """, stageTtl: TimeSpan.FromMilliseconds(300));
        var name = PublishHarness.Unique("expire");
        Assert.Equal(201, (await gate.PublishAsync(name, "1.0.0")).Status);
        var (status, body) = await gate.PublishAsync(name, "2.0.0");
        Assert.Equal(202, status);
        await WaitForAsync(async () => (await gate.AuditAsync()).Any(e => (string?)e["action"] == "publish-expired"));
        var approval = (long)body!["approval"]!;
        Assert.Equal(409, (int)(await SendAsync(gate, HttpMethod.Post, $"-/vouch/v1/approvals/{approval}/grant", GateFixture.ApproverToken)).StatusCode);
        Assert.Equal(["1.0.0"], await registry.VersionsAsync(name));
    }

    internal static async Task<HttpResponseMessage> SendAsync(PublishHarness gate, HttpMethod method, string path, string token)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await gate.Http.SendAsync(request);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(200);
        }

        Assert.Fail("condition not met within 20 s");
    }

    /// <summary>Real `npm publish` of a fresh package through the gate, with a gate token in .npmrc.</summary>
    private static async Task<(int Exit, string Output)> NpmPublishAsync(PublishHarness gate, string name, string version, string token = PublishHarness.PublisherToken)
    {
        var dir = Directory.CreateTempSubdirectory("vouch-npm-publish-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "package.json"), $$"""{"name":"{{name}}","version":"{{version}}","main":"index.js"}""");
        await File.WriteAllTextAsync(Path.Combine(dir, "index.js"), "module.exports = 1;\n");
        var url = gate.Host.Url;
        await File.WriteAllTextAsync(Path.Combine(dir, ".npmrc"), $"registry={url}\n//{url.Authority}/:_authToken={token}\n");
        try
        {
            return await ClientProcess.RunAsync("npm", dir, Env(dir), "publish", "--registry", url.ToString(), "--userconfig", Path.Combine(dir, ".npmrc"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>`npm install` straight from the organisation's registry; the version installed.</summary>
    private async Task<string> NpmInstallAsync(string name, string range)
    {
        var dir = Directory.CreateTempSubdirectory("vouch-npm-install-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "package.json"), """{"name":"consumer","version":"1.0.0","private":true}""");
        try
        {
            var (exit, output) = await ClientProcess.RunAsync("npm", dir, Env(dir), "install", $"{name}@{range}", "--registry", registry.Url.ToString(), "--no-audit", "--no-fund");
            Assert.True(exit == 0, output);
            return (string)JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "node_modules", name, "package.json")))!["version"]!;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Dictionary<string, string> Env(string dir) => new()
    {
        ["npm_config_cache"] = Path.Combine(dir, ".npm-cache"),
        ["npm_config_update_notifier"] = "false",
    };
}
