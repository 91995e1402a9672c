using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Vouch.Gate.Publish;

namespace Vouch.Gate.Tests.Publish;

/// <summary>
/// What a holder of a publisher token controls completely: the publish document. Each malformed
/// form gets a clear 4xx naming the problem, nothing reaches the organisation's registry, and the
/// refusal is an audit row.
/// </summary>
[Collection(VerdaccioCollection.Name)]
public sealed class PublishBadInputTests(VerdaccioRegistry registry) : IAsyncLifetime
{
    private PublishHarness? _gate;

    private PublishHarness Gate => _gate!;

    public async Task InitializeAsync()
    {
        if (registry.Unavailable is null)
        {
            _gate = await PublishHarness.StartAsync(registry, null);
        }
    }

    public async Task DisposeAsync()
    {
        if (_gate is not null)
        {
            await _gate.DisposeAsync();
        }
    }

    private async Task AssertRefusedAsync(string name, string body, int status, string code, string? contains = null, string token = PublishHarness.PublisherToken)
    {
        var (actual, json) = await Gate.PutAsync(name, body, token);
        Assert.True(actual == status, $"{actual}: {json?.ToJsonString()}");
        Assert.Equal(code, (string?)json?["code"]);
        if (contains is not null)
        {
            Assert.Contains(contains, (string?)json!["error"], StringComparison.Ordinal);
        }

        Assert.Empty(await registry.VersionsAsync(name));
    }

    private static (string Name, byte[] Tarball, JsonObject Doc) Fresh(string prefix)
    {
        var name = PublishHarness.Unique(prefix);
        var tarball = PublishHarness.Tarball(name, "1.0.0");
        return (name, tarball, PublishHarness.Document(name, "1.0.0", tarball));
    }

    private static JsonObject Attachment(JsonObject doc, string name) => (JsonObject)doc["_attachments"]![$"{name}-1.0.0.tgz"]!;

    [SkippableFact]
    public async Task Publish_WhenAttachmentTruncated_Is400AndNothingForwarded()
    {
        Skip.If(registry.Unavailable is not null, registry.Unavailable);
        var (name, tarball, doc) = Fresh("trunc");
        var half = tarball[..(tarball.Length / 2)];
        Attachment(doc, name)["data"] = Convert.ToBase64String(half);
        await AssertRefusedAsync(name, doc.ToJsonString(), 400, PublishCodes.BadTarball, "truncated");

        // Consistent length and digests over the cut bytes: the archive itself is incomplete.
        var cut = PublishHarness.Document(name, "1.0.0", half);
        await AssertRefusedAsync(name, cut.ToJsonString(), 400, PublishCodes.BadTarball, "complete gzip");
        Assert.Contains(await Gate.AuditAsync(), e => (string?)e["action"] == "publish-rejected" && (string?)e["name"] == name);
    }

    [SkippableFact]
    public async Task Publish_WhenAPropertyNameIsRepeated_Is400AndNothingForwarded()
    {
        // Two "name" members: a last-wins reader (Verdaccio, JavaScript) and a first-wins reader would
        // see two packages in one request; the gate reads no document that has two.
        Skip.If(registry.Unavailable is not null, registry.Unavailable);
        var (name, _, doc) = Fresh("dupe");
        var body = "{\"name\":\"someone-else\"," + doc.ToJsonString()[1..];
        await AssertRefusedAsync(name, body, 400, PublishCodes.BadDocument);
    }

    [SkippableFact]
    public async Task Publish_WhenAttachmentOversized_Is413()
    {
        Skip.If(registry.Unavailable is not null, registry.Unavailable);
        var name = PublishHarness.Unique("big");
        var noise = Convert.ToBase64String(RandomNumberGenerator.GetBytes(1200 * 1024));
        var tarball = PublishHarness.Tarball(name, "1.0.0", content: noise);
        await AssertRefusedAsync(name, PublishHarness.Document(name, "1.0.0", tarball).ToJsonString(), 413, PublishCodes.TooLarge);

        // Beyond the whole body cap the gate answers before reading (the client waits with Expect: 100-continue).
        using var request = new HttpRequestMessage(HttpMethod.Put, name) { Content = new StringContent(new string(' ', 8 * 1024 * 1024) + "{}") };
        request.Headers.ExpectContinue = true;
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", PublishHarness.PublisherToken);
        using var response = await Gate.Http.SendAsync(request);
        Assert.Equal(413, (int)response.StatusCode);
        Assert.Empty(await registry.VersionsAsync(name));
    }

    [SkippableFact]
    public async Task Publish_WhenDocumentNamesAnotherPackage_Is400()
    {
        Skip.If(registry.Unavailable is not null, registry.Unavailable);
        var (name, _, doc) = Fresh("namemis");
        var other = PublishHarness.Unique("other");
        await AssertRefusedAsync(other, doc.ToJsonString(), 400, PublishCodes.BadDocument, "differs from the package in the URL");
        Assert.Empty(await registry.VersionsAsync(name));

        // The document is consistent, but the tarball inside is another package.
        var inner = PublishHarness.Tarball(other, "1.0.0");
        await AssertRefusedAsync(name, PublishHarness.Document(name, "1.0.0", inner).ToJsonString(), 400, PublishCodes.ManifestMismatch, other);
        var wrongVersion = PublishHarness.Tarball(name, "9.9.9");
        await AssertRefusedAsync(name, PublishHarness.Document(name, "1.0.0", wrongVersion).ToJsonString(), 400, PublishCodes.ManifestMismatch, "9.9.9");
    }

    [SkippableFact]
    public async Task Publish_WhenTwoTarballsOrTwoVersions_Is400()
    {
        Skip.If(registry.Unavailable is not null, registry.Unavailable);
        var (name, tarball, doc) = Fresh("two");
        ((JsonObject)doc["_attachments"]!)[$"{name}-1.0.1.tgz"] = Attachment(doc, name).DeepClone();
        await AssertRefusedAsync(name, doc.ToJsonString(), 400, PublishCodes.BadDocument, "exactly one tarball");

        var (name2, _, doc2) = Fresh("twov");
        ((JsonObject)doc2["versions"]!)["1.0.1"] = doc2["versions"]!["1.0.0"]!.DeepClone();
        await AssertRefusedAsync(name2, doc2.ToJsonString(), 400, PublishCodes.BadDocument, "exactly one new version");
        _ = tarball;
    }

    [SkippableFact]
    public async Task Publish_WhenVersionExists_Is409()
    {
        Skip.If(registry.Unavailable is not null, registry.Unavailable);
        var (name, _, doc) = Fresh("exists");
        var first = (string?)doc["versions"]!["1.0.0"]!["dist"]!["integrity"];
        Assert.Equal(201, (await Gate.PutAsync(name, doc.ToJsonString())).Status);

        // Same version, different bytes: the registry's copy never changes.
        var changed = PublishHarness.Tarball(name, "1.0.0", content: "module.exports = 'evil';\n");
        var (status, json) = await Gate.PutAsync(name, PublishHarness.Document(name, "1.0.0", changed).ToJsonString());
        Assert.Equal(409, status);
        Assert.Equal(PublishCodes.VersionExists, (string?)json!["code"]);
        var stored = await registry.VersionDocumentAsync(name, "1.0.0");
        Assert.Equal(first, (string?)stored!["dist"]!["integrity"]);
    }

    [SkippableFact]
    public async Task Publish_WhenClientIntegrityIsNotTheAttachments_Is400()
    {
        Skip.If(registry.Unavailable is not null, registry.Unavailable);
        var (name, _, doc) = Fresh("integrity");
        doc["versions"]!["1.0.0"]!["dist"]!["integrity"] = "sha512-" + Convert.ToBase64String(SHA512.HashData(new byte[] { 1 }));
        await AssertRefusedAsync(name, doc.ToJsonString(), 400, PublishCodes.IntegrityMismatch);

        (name, _, doc) = Fresh("shasum");
        doc["versions"]!["1.0.0"]!["dist"]!["shasum"] = new string('0', 40);
        await AssertRefusedAsync(name, doc.ToJsonString(), 400, PublishCodes.IntegrityMismatch);
    }

    [SkippableFact]
    public async Task Publish_WhenBase64OrJsonMalformed_Is400()
    {
        Skip.If(registry.Unavailable is not null, registry.Unavailable);
        var (name, tarball, doc) = Fresh("b64");
        var data = Convert.ToBase64String(tarball);
        Attachment(doc, name)["data"] = data[..8] + "\n" + data[8..];
        await AssertRefusedAsync(name, doc.ToJsonString(), 400, PublishCodes.BadTarball, "strict base64");
        Attachment(doc, name)["data"] = data.Replace('A', '*');
        await AssertRefusedAsync(name, doc.ToJsonString(), 400, PublishCodes.BadTarball, "strict base64");

        await AssertRefusedAsync(name, "{\"name\":", 400, PublishCodes.BadDocument, "not a JSON object");
        await AssertRefusedAsync(name, "[1,2]", 400, PublishCodes.BadDocument);
        await AssertRefusedAsync(name, "{\"name\":\"\\ud800\",\"versions\":{}}", 400, PublishCodes.BadDocument);
        var (name5, _, doc5) = Fresh("surrogate");
        var text = doc5.ToJsonString().Replace("\"description\":\"test package\"", "\"description\":\"\\udc00\"", StringComparison.Ordinal);
        Assert.Contains("udc00", text, StringComparison.Ordinal);
        await AssertRefusedAsync(name5, text, 400, PublishCodes.BadDocument, "lone surrogate");
        var (name2, _, doc2) = Fresh("rev");
        doc2["_rev"] = "3-abc";
        await AssertRefusedAsync(name2, doc2.ToJsonString(), 400, PublishCodes.BadDocument, "_rev");
        var (name3, _, doc3) = Fresh("tag");
        doc3["dist-tags"]!["latest"] = "0.0.1";
        await AssertRefusedAsync(name3, doc3.ToJsonString(), 400, PublishCodes.BadDocument, "dist-tags");
        var (name4, _, doc4) = Fresh("extra");
        ((JsonObject)doc4["_attachments"]!)["../../etc/passwd"] = new JsonObject { ["data"] = "AAAA", ["length"] = 3 };
        await AssertRefusedAsync(name4, doc4.ToJsonString(), 400, PublishCodes.BadDocument, "neither");
    }

    [SkippableFact]
    public async Task Publish_WhenNoTokenOrNotPublisher_Is401Or403()
    {
        Skip.If(registry.Unavailable is not null, registry.Unavailable);
        var (name, _, doc) = Fresh("auth");
        await AssertRefusedAsync(name, doc.ToJsonString(), 401, GateCodes.Unauthorized, token: "not-a-token-at-all-000");
        await AssertRefusedAsync(name, doc.ToJsonString(), 403, GateCodes.Forbidden, "publisher", token: GateFixture.AdminToken);
        await AssertRefusedAsync(name, doc.ToJsonString(), 403, GateCodes.Forbidden, token: GateFixture.ApproverToken);
    }

    [SkippableFact]
    public async Task Publish_WhenForwardedDocumentCarriesClientEvidence_GateReplacesIt()
    {
        Skip.If(registry.Unavailable is not null, registry.Unavailable);
        var (name, _, doc) = Fresh("forged");
        doc["versions"]!["1.0.0"]![PublishRequest.EvidenceField] = new JsonObject { ["trust"] = "trusted-publisher", ["repository"] = "https://github.com/acme/widget" };
        ((JsonObject)doc["_attachments"]!).Remove($"{name}-1.0.0.sigstore");
        Assert.Equal(201, (await Gate.PutAsync(name, doc.ToJsonString())).Status);
        var evidence = (await registry.VersionDocumentAsync(name, "1.0.0"))![PublishRequest.EvidenceField]!;
        Assert.Equal("none", (string?)evidence["trust"]);
        Assert.Null(evidence["repository"]);
    }
}
