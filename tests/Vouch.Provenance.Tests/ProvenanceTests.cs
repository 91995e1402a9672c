using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;
using Vouch.Tests;

namespace Vouch.Provenance.Tests;

/// <summary>Registry signatures and npm attestations of real packages, and tampered copies.</summary>
public sealed class ProvenanceTests
{
    private static readonly TrustedRoot Root = TrustedRoot.Parse(File.ReadAllBytes(SharedFixtures.Path("npm", "trusted_root.json")));
    private static readonly RegistryKeys Keys = RegistryKeys.Parse(File.ReadAllBytes(SharedFixtures.Path("npm", "registry-keys.tuf.json")), "test keys");
    private static readonly DateTimeOffset Published2023 = new(2023, 2, 9, 18, 0, 0, TimeSpan.Zero);

    private static JsonArray SignatureRecords() => JsonNode.Parse(File.ReadAllText(SharedFixtures.Path("npm", "signatures.json")))!.AsArray();

    private static byte[] Sha512(string tarball) => SHA512.HashData(File.ReadAllBytes(SharedFixtures.Path("npm", "tarballs", tarball)));

    private static byte[] Attestations(string package) => File.ReadAllBytes(SharedFixtures.Path("npm", "attestations", package + ".json"));

    private static NpmAttestationVerifier Verifier() => new(new SigstoreVerifier(Root), Keys);

    public static TheoryData<string> SignedPackages()
    {
        var data = new TheoryData<string>();
        foreach (var r in SignatureRecords())
        {
            data.Add($"{r!["name"]}@{r["version"]}");
        }

        return data;
    }

    private static (string Name, string Version, string Integrity, List<RegistrySignature> Sigs) Record(string spec)
    {
        var r = SignatureRecords().First(x => $"{x!["name"]}@{x["version"]}" == spec)!;
        var sigs = r["signatures"]!.AsArray().Select(s => new RegistrySignature((string)s!["keyid"]!, (string)s["sig"]!)).ToList();
        return ((string)r["name"]!, (string)r["version"]!, (string)r["integrity"]!, sigs);
    }

    [Theory]
    [MemberData(nameof(SignedPackages))]
    public void RegistrySignature_WhenRealRecord_Verifies(string spec)
    {
        var (name, version, integrity, sigs) = Record(spec);
        var result = RegistrySignatureVerifier.Verify(name, version, integrity, sigs, Keys, Published2023);
        Assert.Equal(EvidenceStatus.Verified, result.Status);
        Assert.StartsWith("SHA256:jl3b", result.KeyId, StringComparison.Ordinal);
    }

    [Fact]
    public void RegistrySignature_WhenSignatureOfAnotherVersion_FailsInvalid()
    {
        var (name, _, integrity, sigs) = Record("sigstore@1.0.0");
        var result = RegistrySignatureVerifier.Verify(name, "1.0.1", integrity, sigs, Keys, Published2023);
        Assert.Equal(EvidenceStatus.Invalid, result.Status);
        Assert.Equal(ProvenanceCodes.SignatureInvalid, result.Problem!.Code);
    }

    [Fact]
    public void RegistrySignature_WhenIntegrityEdited_FailsInvalid()
    {
        var (name, version, _, sigs) = Record("sigstore@1.0.0");
        var (_, _, other, _) = Record("tuf-js@1.0.0");
        Assert.Equal(ProvenanceCodes.SignatureInvalid, RegistrySignatureVerifier.Verify(name, version, other, sigs, Keys, Published2023).Problem!.Code);
    }

    [Fact]
    public void RegistrySignature_WhenPublishedAfterKeyExpired_FailsKeyNotValid()
    {
        var (name, version, integrity, sigs) = Record("sigstore@1.0.0");
        var result = RegistrySignatureVerifier.Verify(name, version, integrity, sigs, Keys, new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(ProvenanceCodes.SignatureKeyNotValid, result.Problem!.Code);
    }

    [Fact]
    public void RegistrySignature_WhenKeyUnknown_FailsKeyUnknown()
    {
        var (name, version, integrity, sigs) = Record("sigstore@1.0.0");
        var result = RegistrySignatureVerifier.Verify(name, version, integrity, sigs, RegistryKeys.Empty("no keys"), Published2023);
        Assert.Equal(ProvenanceCodes.SignatureKeyUnknown, result.Problem!.Code);
    }

    [Fact]
    public void RegistrySignature_WhenNoSignatures_IsAbsentNotInvalid()
    {
        var result = RegistrySignatureVerifier.Verify("x", "1.0.0", "sha512-AAAA", [], Keys, Published2023);
        Assert.Equal(EvidenceStatus.Absent, result.Status);
        Assert.Null(result.Problem);
    }

    [Fact]
    public void RegistryKeys_WhenV1EndpointShape_ParsesKeyWithoutWindow()
    {
        var keys = RegistryKeys.Parse(File.ReadAllBytes(SharedFixtures.Path("npm", "registry-keys.v1.json")), "registry");
        var (name, version, integrity, sigs) = Record("kms-demo@1.0.0");
        Assert.Equal(EvidenceStatus.Verified, RegistrySignatureVerifier.Verify(name, version, integrity, sigs, keys, null).Status);
    }

    [Fact]
    public void RegistryKeys_WhenEmbedded_HasBothUsages()
    {
        Assert.Contains(RegistryKeys.Embedded.Keys, k => k.Usage == RegistryKeys.SignaturesUsage);
        Assert.Contains(RegistryKeys.Embedded.Keys, k => k.Usage == RegistryKeys.AttestationsUsage);
    }

    [Theory]
    [InlineData("sigstore", "1.0.0", "sigstore@1.0.0", "sigstore-1.0.0.tgz", "https://github.com/sigstore/sigstore-js", "06528997c3c8ab9f864fad9a3658446aca7fd86d", ".github/workflows/publish.yml", "refs/tags/v1.0.0")]
    [InlineData("tuf-js", "1.0.0", "tuf-js@1.0.0", "tuf-js-1.0.0.tgz", "https://github.com/theupdateframework/tuf-js", null, null, null)]
    [InlineData("@sigstore/protobuf-specs", "0.2.1", "@sigstore%2fprotobuf-specs@0.2.1", "sigstore-protobuf-specs-0.2.1.tgz", "https://github.com/sigstore/protobuf-specs", "90ce2af553f37d3a76006f6c1f4a2cfbf9e1974e", ".github/workflows/typescript-publish.yml", "refs/tags/release/typescript/v0.2.1")]
    public void Attestations_WhenRealPackage_VerifyProvenanceAndPublish(string name, string version, string file, string tarball, string repo, string? commit, string? workflow, string? reference)
    {
        var evidence = Verifier().Verify(name, version, Sha512(tarball), Attestations(file));

        Assert.True(evidence.Provenance.Status == EvidenceStatus.Verified, evidence.Provenance.Problem?.ToString());
        Assert.Equal(repo, evidence.Provenance.Claims!.SourceRepository);
        if (commit is not null)
        {
            Assert.Equal(commit, evidence.Provenance.Claims.SourceCommit);
            Assert.Equal(workflow, evidence.Provenance.Claims.WorkflowPath);
            Assert.Equal(reference, evidence.Provenance.Claims.SourceRef);
        }

        Assert.Equal("https://token.actions.githubusercontent.com", evidence.Provenance.Issuer);
        Assert.NotNull(evidence.Provenance.LogIndex);
        Assert.True(evidence.Publish.Status == EvidenceStatus.Verified, evidence.Publish.Problem?.ToString());
        Assert.NotNull(evidence.Publish.IntegratedTime);
    }

    [Fact]
    public void Attestations_WhenTarballByteFlipped_FailSubject()
    {
        var bytes = File.ReadAllBytes(SharedFixtures.Path("npm", "tarballs", "sigstore-1.0.0.tgz"));
        bytes[100] ^= 1;
        var evidence = Verifier().Verify("sigstore", "1.0.0", SHA512.HashData(bytes), Attestations("sigstore@1.0.0"));
        Assert.Equal(ProvenanceCodes.ProvenanceSubjectMismatch, evidence.Provenance.Problem!.Code);
        Assert.Equal(EvidenceStatus.Invalid, evidence.Publish.Status);
    }

    [Fact]
    public void Attestations_WhenServedForAnotherPackage_FailSubjectName()
    {
        // tuf-js's attestations served as if they were sigstore@1.0.0's, with tuf-js's own tarball digest.
        var evidence = Verifier().Verify("sigstore", "1.0.0", Sha512("tuf-js-1.0.0.tgz"), Attestations("tuf-js@1.0.0"));
        Assert.Equal(ProvenanceCodes.ProvenanceSubjectMismatch, evidence.Provenance.Problem!.Code);
        Assert.Equal(ProvenanceCodes.PublishAttestationMismatch, evidence.Publish.Problem!.Code);
    }

    [Fact]
    public void Attestations_WhenPredicateRepositoryEdited_FailDsseSignature()
    {
        var doc = JsonNode.Parse(Attestations("sigstore@1.0.0"))!;
        var bundle = doc["attestations"]![0]!["bundle"]!;
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String((string)bundle["dsseEnvelope"]!["payload"]!));
        bundle["dsseEnvelope"]!["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload.Replace("sigstore/sigstore-js", "attacker/sigstore-js", StringComparison.Ordinal)));
        var evidence = Verifier().Verify("sigstore", "1.0.0", Sha512("sigstore-1.0.0.tgz"), Encoding.UTF8.GetBytes(doc.ToJsonString()));
        Assert.Equal(ProvenanceCodes.ProvenanceInvalid, evidence.Provenance.Problem!.Code);
        Assert.Contains("SIGSTORE_DSSE_SIGNATURE_INVALID", evidence.Provenance.Problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Attestations_WhenAttestationKeyExpiredAtLogTime_FailKey()
    {
        var json = JsonNode.Parse(File.ReadAllText(SharedFixtures.Path("npm", "registry-keys.tuf.json")))!;
        foreach (var k in json["keys"]!.AsArray())
        {
            k!["publicKey"]!["validFor"]!["start"] = "2024-01-01T00:00:00.000Z";
        }

        var keys = RegistryKeys.Parse(Encoding.UTF8.GetBytes(json.ToJsonString()), "edited keys");
        var evidence = new NpmAttestationVerifier(new SigstoreVerifier(Root), keys).Verify("sigstore", "1.0.0", Sha512("sigstore-1.0.0.tgz"), Attestations("sigstore@1.0.0"));
        Assert.Equal(ProvenanceCodes.PublishAttestationKeyUnknown, evidence.Publish.Problem!.Code);
        Assert.Equal(EvidenceStatus.Verified, evidence.Provenance.Status);
    }

    [Fact]
    public void Attestations_WhenMalformedDocument_ReportMalformed()
    {
        var evidence = Verifier().Verify("sigstore", "1.0.0", Sha512("sigstore-1.0.0.tgz"), "{\"nope\":1}"u8.ToArray());
        Assert.Equal(ProvenanceCodes.AttestationsMalformed, evidence.Provenance.Problem!.Code);
    }

    [Fact]
    public void CertificateAgreesWithPredicate_WhenPredicateNamesAnotherRepository_ReportsMismatch()
    {
        var evidence = Verifier().Verify("sigstore", "1.0.0", Sha512("sigstore-1.0.0.tgz"), Attestations("sigstore@1.0.0"));
        var claims = evidence.Provenance.Claims! with { SourceRepository = "https://github.com/attacker/sigstore-js" };
        var bundle = JsonNode.Parse(Attestations("sigstore@1.0.0"))!["attestations"]![0]!["bundle"]!.ToJsonString();
        var result = new SigstoreVerifier(Root).Verify(Encoding.UTF8.GetBytes(bundle), Artifact.FromDigest(HashAlgorithmName.SHA512, Sha512("sigstore-1.0.0.tgz")), SignerPolicy.AnyCertificateIdentityUnsafe());

        Assert.Null(NpmAttestationVerifier.CertificateAgreesWithPredicate(result, evidence.Provenance.Claims!));
        Assert.Contains("attacker/sigstore-js", NpmAttestationVerifier.CertificateAgreesWithPredicate(result, claims), StringComparison.Ordinal);
        Assert.Contains("commit", NpmAttestationVerifier.CertificateAgreesWithPredicate(result, evidence.Provenance.Claims! with { SourceCommit = new string('0', 40) }), StringComparison.Ordinal);
        Assert.Contains("workflow", NpmAttestationVerifier.CertificateAgreesWithPredicate(result, evidence.Provenance.Claims! with { WorkflowPath = ".github/workflows/other.yml" }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("git+https://github.com/sigstore/sigstore-js.git", "https://github.com/sigstore/sigstore-js", true)]
    [InlineData("github:sigstore/sigstore-js", "https://github.com/sigstore/sigstore-js", true)]
    [InlineData("sigstore/sigstore-js", "https://github.com/Sigstore/Sigstore-JS", true)]
    [InlineData("git@github.com:sigstore/sigstore-js.git", "https://github.com/sigstore/sigstore-js", true)]
    [InlineData("git://github.com/sigstore/sigstore-js.git", "https://github.com/sigstore/sigstore-js/", true)]
    [InlineData("https://github.com/evil/sigstore-js", "https://github.com/sigstore/sigstore-js", false)]
    [InlineData(null, "https://github.com/sigstore/sigstore-js", true)]
    public void SourceBinding_WhenComparingNotations_NormalisesThem(string? declared, string built, bool agree)
    {
        var problem = SourceBinding.Check(declared, built);
        Assert.Equal(agree, problem is null);
        if (!agree)
        {
            Assert.Equal(ProvenanceCodes.SourceMismatch, problem!.Code);
        }
    }

    [Theory]
    [InlineData(false, false, false, EvidenceLevel.None)]
    [InlineData(true, false, false, EvidenceLevel.Provenance)]
    [InlineData(true, true, false, EvidenceLevel.TrustedPublisher)]
    [InlineData(false, true, false, EvidenceLevel.None)]
    [InlineData(true, true, true, EvidenceLevel.StagedPublish)]
    public void EvidenceLevels_WhenRanked_FollowRegistryOrder(bool provenance, bool trusted, bool staged, EvidenceLevel expected)
    {
        Assert.Equal(expected, EvidenceLevels.Rank(provenance, trusted, staged));
    }
}
