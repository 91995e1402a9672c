using System.Text;
using System.Text.Json.Nodes;
using Vouch.Npm.Tests.Infrastructure;

namespace Vouch.Npm.Tests.Model;

public sealed class PackumentTests
{
    private static byte[] Fixture(string file) => File.ReadAllBytes(Path.Combine(TestPaths.NpmFixtures, "packuments", file));

    private static JsonObject FixtureNode(string file) => JsonNode.Parse(Fixture(file))!.AsObject();

    private static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    [Fact]
    public void Parse_WhenScopedFixture_ReadsVersionsAndPublisher()
    {
        var p = Packument.Parse(Fixture("@ljharb%2fhas-package-exports-patterns.json"), "@ljharb/has-package-exports-patterns");
        Assert.Equal(3, p.Versions.Count);
        var latest = p.Versions[p.DistTags["latest"]];
        Assert.Equal("ljharb", latest.NpmUser?.Name);
        Assert.Equal("ljharb@gmail.com", latest.NpmUser?.Email);
        Assert.Null(latest.NpmUser?.TrustedPublisher);
        Assert.NotEmpty(latest.Dist.Signatures);
        Assert.Equal(new Uri("https://registry.npmjs.org/@ljharb/has-package-exports-patterns/-/has-package-exports-patterns-0.0.2.tgz"), latest.Dist.Tarball);
        Assert.NotNull(p.Created);
        Assert.NotNull(p.Modified);
    }

    [Fact]
    public void Parse_WhenBinAndMaintainers_ReadsTheirNames()
    {
        var doc = FixtureNode("@ljharb%2fhas-package-exports-patterns.json");
        var versions = doc["versions"]!.AsObject();
        var first = versions.First().Value!.AsObject();
        var last = versions.Last().Value!.AsObject();
        first["bin"] = "cli.js";
        last["bin"] = JsonNode.Parse("""{"zeta":"z.js","alpha":"a.js","bad":1}""");
        last["maintainers"] = JsonNode.Parse("""[{"name":"ljharb","email":"x"},{"name":"newcomer"},"legacy-string",{"email":"nameless"}]""");
        var p = Packument.Parse(Bytes(doc), "@ljharb/has-package-exports-patterns");
        Assert.Equal(["has-package-exports-patterns"], p.Versions[versions.First().Key].Bin);
        Assert.Equal(["alpha", "zeta"], p.Versions[versions.Last().Key].Bin);
        Assert.Equal(["legacy-string", "ljharb", "newcomer"], p.Versions[versions.Last().Key].Maintainers);
    }

    [Fact]
    public void Parse_WhenTrustedPublisherAndAttestationsPresent_ReadsThem()
    {
        var doc = FixtureNode("has-package-exports.json");
        var v = doc["versions"]!["1.3.0"]!.AsObject();
        v["_npmUser"] = JsonNode.Parse("""{"name":"GitHub Actions","email":"npm-oidc-no-reply@github.com","trustedPublisher":{"id":"github","oidcConfigId":"oidc:abc"},"approver":{"name":"ljharb","email":"l@example.com","at":"2025"}}""");
        v["dist"]!["attestations"] = JsonNode.Parse("""{"url":"https://registry.npmjs.org/-/npm/v1/attestations/has-package-exports@1.3.0","provenance":{"predicateType":"https://slsa.dev/provenance/v1"}}""");
        v["repository"] = "github:inspect-js/has-package-exports";
        v["deprecated"] = "use something else";
        v["someFutureField"] = JsonNode.Parse("""{"nested":[1,2,3]}""");

        var parsed = Packument.Parse(Bytes(doc), "has-package-exports").Versions["1.3.0"];

        Assert.Equal("github", parsed.NpmUser?.TrustedPublisher?.Id);
        Assert.Equal("oidc:abc", parsed.NpmUser?.TrustedPublisher?.Properties["oidcConfigId"]);
        Assert.Equal("ljharb", parsed.NpmUser?.Approver?.Name);
        Assert.Equal("2025", parsed.NpmUser?.Approver?.Properties["at"]);
        Assert.Equal("https://slsa.dev/provenance/v1", parsed.Dist.Attestations?.ProvenancePredicateType);
        Assert.Equal(new RepositoryInfo("github:inspect-js/has-package-exports", null, null), parsed.Repository);
        Assert.Equal("use something else", parsed.Deprecated);
    }

    [Fact]
    public void Parse_WhenRepositoryHasDirectory_KeepsIt()
    {
        var doc = FixtureNode("has-package-exports.json");
        doc["versions"]!["1.3.0"]!["repository"] = JsonNode.Parse("""{"type":"git","url":"git+https://github.com/sigstore/sigstore-js.git","directory":"packages/client"}""");
        var parsed = Packument.Parse(Bytes(doc)).Versions["1.3.0"];
        Assert.Equal(new RepositoryInfo("git+https://github.com/sigstore/sigstore-js.git", "git", "packages/client"), parsed.Repository);
    }

    [Fact]
    public void Parse_WhenOneVersionBroken_DisqualifiesOnlyThatVersion()
    {
        var doc = FixtureNode("has-package-exports.json");
        doc["versions"]!["1.0.0"]!["dist"]!.AsObject().Remove("tarball");
        doc["versions"]!["1.1.0"]!["dist"]!["shasum"] = "nothex";
        doc["versions"]!["1.2.0"]!["name"] = "someone-else";

        var p = Packument.Parse(Bytes(doc), "has-package-exports");

        Assert.Equal(8, p.Versions.Count);
        Assert.Contains(p.InvalidVersions["1.0.0"], s => s.Contains("dist.tarball", StringComparison.Ordinal));
        Assert.Contains(p.InvalidVersions["1.1.0"], s => s.Contains("shasum", StringComparison.Ordinal));
        Assert.Contains(p.InvalidVersions["1.2.0"], s => s.Contains("someone-else", StringComparison.Ordinal));
        var pick = p.Pick(PackageSpec.Parse("has-package-exports@1.0.0"));
        Assert.False(pick.IsFound);
        Assert.Contains("dist.tarball", pick.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenDocumentMalformed_ThrowsOnceListingEveryProblem()
    {
        var doc = new JsonObject { ["name"] = 5, ["dist-tags"] = "latest", ["time"] = 3, ["versions"] = new JsonArray() };

        var e = Assert.Throws<NpmDocumentException>(() => Packument.Parse(Bytes(doc)));

        Assert.Equal(4, e.Problems.Count);
        Assert.Contains("name", e.Message, StringComparison.Ordinal);
        Assert.Contains("dist-tags", e.Message, StringComparison.Ordinal);
        Assert.Contains("time", e.Message, StringComparison.Ordinal);
        Assert.Contains("versions", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("""{"name":"a","name":"b","versions":{}}""")]
    public void Parse_WhenNotAPackumentObject_Throws(string json) =>
        Assert.Throws<NpmDocumentException>(() => Packument.Parse(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Parse_WhenNestedTooDeep_Throws()
    {
        var json = """{"name":"a","versions":{},"x":""" + new string('[', 200) + new string(']', 200) + "}";
        Assert.Throws<NpmDocumentException>(() => Packument.Parse(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void Parse_WhenUnpublished_HasNoVersionsButIsValid()
    {
        var json = """{"name":"gone","time":{"created":"2020-01-01T00:00:00.000Z","modified":"2021-01-01T00:00:00.000Z","unpublished":{"time":"2021-01-01T00:00:00.000Z","versions":["1.0.0"]}}}""";
        var p = Packument.Parse(Encoding.UTF8.GetBytes(json), "gone");
        Assert.True(p.IsUnpublished);
        Assert.Empty(p.Versions);
    }

    [Fact]
    public void Pick_WhenTagOrVersionOrRange_SelectsLikeNpm()
    {
        var p = Packument.Parse(Fixture("has-package-exports.json"));
        Assert.Equal("1.3.0", p.Pick(PackageSpec.Parse("has-package-exports")).Version?.Version.Version);
        Assert.Equal("1.3.0", p.Pick(PackageSpec.Parse("has-package-exports@latest")).Version?.Version.Version);
        Assert.Equal("1.1.0", p.Pick(PackageSpec.Parse("has-package-exports@1.1.0")).Version?.Version.Version);
        Assert.Equal("1.2.3", p.Pick(PackageSpec.Parse("has-package-exports@~1.2")).Version?.Version.Version);
        Assert.Equal("1.2.1-alpha.3", p.Pick(PackageSpec.Parse("has-package-exports@1.2.1-alpha.0 - 1.2.1-alpha.9")).Version?.Version.Version);
        Assert.Contains("no dist-tag 'next'", p.Pick(PackageSpec.Parse("has-package-exports@next")).Problem, StringComparison.Ordinal);
        Assert.Contains("does not list", p.Pick(PackageSpec.Parse("has-package-exports@9.9.9")).Problem, StringComparison.Ordinal);
        Assert.Contains("no version matching", p.Pick(PackageSpec.Parse("has-package-exports@^5")).Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Pick_WhenHighestMatchIsDeprecated_PrefersNonDeprecated()
    {
        var doc = FixtureNode("has-package-exports.json");
        doc["versions"]!["1.2.3"]!["deprecated"] = "broken";
        var p = Packument.Parse(Bytes(doc));
        Assert.Equal("1.2.2", p.Pick(PackageSpec.Parse("has-package-exports@~1.2")).Version?.Version.Version);
    }

    [Fact]
    public void RegistryKeySet_WhenKeysMalformed_ListsEveryProblem()
    {
        var json = """{"keys":[{"keyid":"","keytype":"ecdsa-sha2-nistp256","scheme":"ecdsa-sha2-nistp256","key":"%%%"},{"keyid":"k2","scheme":"s","key":"AAAA","expires":"soon"}]}""";
        var e = Assert.Throws<NpmDocumentException>(() => RegistryKeySet.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(4, e.Problems.Count);
    }

    [Fact]
    public void NpmAttestationSet_WhenBundleMissing_Throws()
    {
        var json = """{"attestations":[{"predicateType":"https://slsa.dev/provenance/v1"}]}""";
        var e = Assert.Throws<NpmDocumentException>(() => NpmAttestationSet.Parse(Encoding.UTF8.GetBytes(json)));
        Assert.Contains("bundle", Assert.Single(e.Problems), StringComparison.Ordinal);
    }
}
