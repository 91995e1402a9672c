using System.Security.Cryptography;
using Vouch.Sandbox.Sigstore;

namespace Vouch.Sandbox.Tests.Sigstore;

public sealed class InTotoStatementsTests
{
    [Theory]
    [InlineData("left-pad", "1.0.0", "pkg:npm/left-pad@1.0.0")]
    [InlineData("@sigstore/protobuf-specs", "0.2.1", "pkg:npm/%40sigstore/protobuf-specs@0.2.1")]
    [InlineData("pkg", "1.0.0-beta.1+build.5", "pkg:npm/pkg@1.0.0-beta.1%2Bbuild.5")]
    public void NpmPackageUrl_WhenNameGiven_EncodesAsNpmDoes(string name, string version, string expected)
    {
        Assert.Equal(expected, InTotoStatements.NpmPackageUrl(name, version));
    }

    [Fact]
    public void NpmProvenanceV1_WhenBuilt_HasSubjectDigestAndWorkflowFacts()
    {
        var digest = SHA512.HashData([1, 2, 3]);
        var statement = Fixtures.Parse(InTotoStatements.NpmProvenanceV1("@octo/left-pad", "1.0.0", digest, Fixtures.Identity()));

        Assert.Equal("https://in-toto.io/Statement/v1", Fixtures.Str(statement["_type"]));
        Assert.Equal("https://slsa.dev/provenance/v1", Fixtures.Str(statement["predicateType"]));
        var subject = statement["subject"]![0]!;
        Assert.Equal("pkg:npm/%40octo/left-pad@1.0.0", Fixtures.Str(subject["name"]));
        Assert.Equal(Convert.ToHexStringLower(digest), Fixtures.Str(subject["digest"]!["sha512"]));

        var build = statement["predicate"]!["buildDefinition"]!;
        Assert.Equal("https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1", Fixtures.Str(build["buildType"]));
        Assert.Equal("https://github.com/octo-org/left-pad", Fixtures.Str(build["externalParameters"]!["workflow"]!["repository"]));
        Assert.Equal(".github/workflows/release.yml", Fixtures.Str(build["externalParameters"]!["workflow"]!["path"]));
        Assert.Equal("refs/tags/v1.0.0", Fixtures.Str(build["externalParameters"]!["workflow"]!["ref"]));
        Assert.Equal("release", Fixtures.Str(build["internalParameters"]!["github"]!["event_name"]));
        Assert.Equal("git+https://github.com/octo-org/left-pad@refs/tags/v1.0.0", Fixtures.Str(build["resolvedDependencies"]![0]!["uri"]));
        Assert.Equal(Fixtures.Identity().Sha, Fixtures.Str(build["resolvedDependencies"]![0]!["digest"]!["gitCommit"]));
        var run = statement["predicate"]!["runDetails"]!;
        Assert.Equal("https://github.com/actions/runner/github-hosted", Fixtures.Str(run["builder"]!["id"]));
        Assert.Equal("https://github.com/octo-org/left-pad/actions/runs/4242/attempts/1", Fixtures.Str(run["metadata"]!["invocationId"]));
    }

    [Fact]
    public void NpmPublishAttestation_WhenBuilt_NamesPackageAndRegistry()
    {
        var statement = Fixtures.Parse(InTotoStatements.NpmPublishAttestation("left-pad", "1.0.0", SHA512.HashData([1])));

        Assert.Equal("https://github.com/npm/attestation/tree/main/specs/publish/v0.1", Fixtures.Str(statement["predicateType"]));
        Assert.Equal("left-pad", Fixtures.Str(statement["predicate"]!["name"]));
        Assert.Equal("https://registry.npmjs.org", Fixtures.Str(statement["predicate"]!["registry"]));
    }

    [Fact]
    public void NpmProvenanceV1_WhenDigestIsNotSha512_Throws()
    {
        Assert.Throws<ArgumentException>(() => InTotoStatements.NpmProvenanceV1("p", "1.0.0", new byte[32], Fixtures.Identity()));
    }
}
