using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Sandbox.Sigstore;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;
using SandboxBundleVersion = Vouch.Sandbox.Sigstore.BundleVersion;

namespace Vouch.Sigstore.Tests;

/// <summary>
/// Every check of the verifier against an in-process Sigstore instance (test CA, CT log, Rekor v1 and
/// v2 logs with real Merkle trees, TSA): a valid bundle passes, and the same bundle with exactly one
/// thing wrong fails with that check's code.
/// </summary>
public sealed class FakeSigstoreTests : IDisposable
{
    private static readonly GitHubWorkflowIdentity Workflow = new("acme/widget", "refs/tags/v1.0.0", new string('a', 40), ".github/workflows/release.yml");
    private static readonly byte[] ArtifactBytes = Encoding.UTF8.GetBytes("the artifact");

    private readonly SigstoreInstance _instance = SigstoreInstance.Create();
    private readonly TrustedRoot _root;

    public FakeSigstoreTests()
    {
        _root = TrustedRoot.Parse(Encoding.UTF8.GetBytes(_instance.TrustedRootJson()));
    }

    public void Dispose() => _instance.Dispose();

    private SigningRequest Request => new() { Identity = Workflow };

    private VerificationResult Verify(string json, Artifact? artifact = null, SignerPolicy? signer = null, TrustedRoot? root = null) =>
        new SigstoreVerifier(root ?? _root).Verify(Encoding.UTF8.GetBytes(json), artifact ?? Artifact.FromBytes(ArtifactBytes),
            signer ?? SignerPolicy.Certificate(CertificateIdentity.Exact(Workflow.SubjectUri, GitHubWorkflowIdentity.GitHubActionsIssuer)));

    private string Sign(SigningRequest request) => _instance.SignArtifact(ArtifactBytes, request).Json;

    private static void AssertCode(string expected, VerificationResult result) => Assert.True(result.Code == expected, $"expected {expected}, got {result}");

    [Theory]
    [InlineData(SandboxBundleVersion.V01, RekorVersion.V1)]
    [InlineData(SandboxBundleVersion.V02, RekorVersion.V1)]
    [InlineData(SandboxBundleVersion.V03, RekorVersion.V1)]
    [InlineData(SandboxBundleVersion.V03, RekorVersion.V2)]
    public void Verify_WhenValidMessageSignatureBundle_IsValid(SandboxBundleVersion version, RekorVersion log)
    {
        var result = Verify(Sign(Request with { BundleVersion = version, Log = log }));
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(Workflow.SubjectUri, result.SubjectAlternativeName);
        Assert.Equal("acme/widget", result.CertificateExtensions!.SourceRepositoryUri!.Split("github.com/")[1]);
        Assert.Equal(Workflow.Sha, result.CertificateExtensions.SourceRepositoryDigest);
        Assert.Equal("refs/tags/v1.0.0", result.CertificateExtensions.SourceRepositoryRef);
        Assert.Equal("push", result.CertificateExtensions.BuildTrigger);
    }

    [Theory]
    [InlineData(DsseEntryKind.Dsse, RekorVersion.V1)]
    [InlineData(DsseEntryKind.Intoto, RekorVersion.V1)]
    [InlineData(DsseEntryKind.Dsse, RekorVersion.V2)]
    public void Verify_WhenValidDsseBundle_IsValidWithStatement(DsseEntryKind kind, RekorVersion log)
    {
        var sha512 = SHA512.HashData(ArtifactBytes);
        var statement = InTotoStatements.NpmProvenanceV1("widget", "1.0.0", sha512, Workflow);
        var json = _instance.SignDsse(InTotoStatements.PayloadType, Encoding.UTF8.GetBytes(statement), Request with { DsseEntryKind = kind, Log = log }).Json;

        var result = Verify(json, Artifact.FromDigest(HashAlgorithmName.SHA512, sha512));
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(InTotoStatements.SlsaProvenanceV1, result.Statement!.PredicateType);
    }

    [Fact]
    public void Verify_WhenManagedKeyBundle_IsValidOnlyWithThatKey()
    {
        using var key = SigningKey.Generate();
        var json = _instance.SignWithKey(ArtifactBytes, key).Json;
        Assert.True(Verify(json, signer: SignerPolicy.PublicKey(key.PublicKey)).IsValid);

        using var other = SigningKey.Generate();
        AssertCode(SigstoreCodes.SignatureInvalid, Verify(json, signer: SignerPolicy.PublicKey(other.PublicKey)));
        AssertCode(SigstoreCodes.KeyRequired, Verify(json));
    }

    [Fact]
    public void Verify_WhenBundleOfAnotherInstance_FailsUnknownLog()
    {
        using var other = SigstoreInstance.Create();
        AssertCode(SigstoreCodes.TlogUnknownLog, Verify(other.SignArtifact(ArtifactBytes, Request).Json));
    }

    [Fact]
    public void Verify_WhenSandboxBundleAgainstPublicGoodRoot_Fails()
    {
        Assert.False(Verify(Sign(Request), root: TrustedRoot.PublicGood).IsValid);
    }

    [Fact]
    public void Verify_WhenCertificateExpiredBeforeLogTime_FailsCertificateValidity()
    {
        var now = DateTimeOffset.UtcNow;
        AssertCode(SigstoreCodes.CertificateValidity, Verify(Sign(Request with { CertificateNotBefore = now.AddHours(-2), CertificateNotAfter = now.AddHours(-1) })));
    }

    [Fact]
    public void Verify_WhenSignedBeforeCaWindow_FailsCaValidity()
    {
        var json = JsonNode.Parse(_instance.TrustedRootJson())!;
        json["certificateAuthorities"]![0]!["validFor"]!["start"] = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var root = TrustedRoot.Parse(Encoding.UTF8.GetBytes(json.ToJsonString()));
        AssertCode(SigstoreCodes.CertificateAuthorityValidity, Verify(Sign(Request), root: root));
    }

    [Fact]
    public void Verify_WhenIntegratedTimeBeforeLogWindow_FailsKeyValidity()
    {
        var early = _root.Tlogs[0].ValidFor.Start.AddDays(-1);
        AssertCode(SigstoreCodes.TlogKeyValidity, Verify(Sign(Request with { IntegratedTime = early, CertificateNotBefore = early.AddMinutes(-1), CertificateNotAfter = early.AddMinutes(9), SctTimestamp = early })));
    }

    [Theory]
    [InlineData(LeafExtendedKeyUsage.Omitted)]
    [InlineData(LeafExtendedKeyUsage.ServerAuth)]
    public void Verify_WhenLeafNotForCodeSigning_FailsUsage(LeafExtendedKeyUsage eku)
    {
        AssertCode(SigstoreCodes.CertificateUsage, Verify(Sign(Request with { ExtendedKeyUsage = eku })));
    }

    [Fact]
    public void Verify_WhenChainCarriesTrustedIntermediateAndRoot_IsTolerated()
    {
        var result = Verify(Sign(Request with { BundleVersion = SandboxBundleVersion.V01, Chain = CertificateChain.LeafIntermediateAndRoot }));
        Assert.True(result.IsValid, result.ToString());
    }

    [Fact]
    public void Verify_WhenV03BundleCarriesChain_FailsMalformed()
    {
        AssertCode(SigstoreCodes.BundleMalformed, Verify(Sign(Request with { Chain = CertificateChain.LeafAndIntermediate })));
    }

    [Fact]
    public void Verify_WhenSignedWithAnotherKey_FailsSignature()
    {
        AssertCode(SigstoreCodes.SignatureInvalid, Verify(Sign(Request with { SignWithOtherKey = true })));
    }

    [Fact]
    public void Verify_WhenArtifactDiffers_FailsDigest()
    {
        AssertCode(SigstoreCodes.DigestMismatch, Verify(Sign(Request), Artifact.FromBytes("another artifact"u8.ToArray())));
    }

    [Theory]
    [InlineData(SctMode.Omitted, SigstoreCodes.SctMissing)]
    [InlineData(SctMode.UnknownLog, SigstoreCodes.SctInvalid)]
    [InlineData(SctMode.BadSignature, SigstoreCodes.SctInvalid)]
    public void Verify_WhenSctBroken_FailsSct(SctMode mode, string code)
    {
        AssertCode(code, Verify(Sign(Request with { Sct = mode })));
    }

    [Fact]
    public void Verify_WhenSctBeforeCtLogWindow_FailsSct()
    {
        AssertCode(SigstoreCodes.SctInvalid, Verify(Sign(Request with { SctTimestamp = _root.Ctlogs[0].ValidFor.Start.AddDays(-30) })));
    }

    [Fact]
    public void Verify_WhenSetSignedByUntrustedKey_FailsInclusionPromise()
    {
        AssertCode(SigstoreCodes.TlogInclusionPromise, Verify(Sign(Request with { SignSetWithUntrustedKey = true })));
    }

    [Fact]
    public void Verify_WhenV01WithoutInclusionPromise_FailsInclusionPromise()
    {
        AssertCode(SigstoreCodes.TlogInclusionPromise, Verify(Sign(Request with { BundleVersion = SandboxBundleVersion.V01, OmitInclusionPromise = true })));
    }

    [Fact]
    public void Verify_WhenV03WithoutInclusionPromise_FailsMissingTimestamp()
    {
        // Without a SET the integrated time proves nothing, and nothing else says when it was signed.
        AssertCode(SigstoreCodes.TimestampMissing, Verify(Sign(Request with { OmitInclusionPromise = true })));
    }

    [Fact]
    public void Verify_WhenV03WithoutInclusionPromiseButWithTimestamp_IsValid()
    {
        Assert.True(Verify(Sign(Request with { OmitInclusionPromise = true, AddTimestamp = true })).IsValid);
    }

    [Theory]
    [InlineData(RekorVersion.V1)]
    [InlineData(RekorVersion.V2)]
    public void Verify_WhenInclusionProofOmitted_FailsProofMissing(RekorVersion log)
    {
        AssertCode(SigstoreCodes.TlogInclusionProofMissing, Verify(Sign(Request with { Log = log, OmitInclusionProof = true })));
    }

    [Theory]
    [InlineData(RekorVersion.V1)]
    [InlineData(RekorVersion.V2)]
    public void Verify_WhenCheckpointOmitted_FailsCheckpoint(RekorVersion log)
    {
        AssertCode(SigstoreCodes.TlogCheckpoint, Verify(Sign(Request with { Log = log, OmitCheckpoint = true })));
    }

    [Theory]
    [InlineData(RekorVersion.V1)]
    [InlineData(RekorVersion.V2)]
    public void Verify_WhenCheckpointSignedByUntrustedKey_FailsCheckpoint(RekorVersion log)
    {
        AssertCode(SigstoreCodes.TlogCheckpoint, Verify(Sign(Request with { Log = log, SignCheckpointWithUntrustedKey = true })));
    }

    [Fact]
    public void Verify_WhenInclusionProofPathTampered_FailsInclusionProof()
    {
        var doc = JsonNode.Parse(_instance.SignArtifact(ArtifactBytes, Request).Json)!;
        // Make the tree bigger so the proof has a path to tamper with.
        for (var i = 0; i < 3; i++)
        {
            _instance.SignArtifact(ArtifactBytes, Request);
        }

        doc = JsonNode.Parse(_instance.SignArtifact(ArtifactBytes, Request).Json)!;
        var hashes = doc["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!["hashes"]!.AsArray();
        Assert.NotEmpty(hashes);
        hashes[0] = Convert.ToBase64String(new byte[32]);
        AssertCode(SigstoreCodes.TlogInclusionProof, Verify(doc.ToJsonString()));
    }

    [Fact]
    public void Verify_WhenLoggedBodyIsAnotherEntry_FailsBodyMismatch()
    {
        var mine = JsonNode.Parse(Sign(Request))!;
        var other = JsonNode.Parse(_instance.SignArtifact("other"u8.ToArray(), Request).Json)!;
        mine["verificationMaterial"]!["tlogEntries"] = other["verificationMaterial"]!["tlogEntries"]!.DeepClone();
        AssertCode(SigstoreCodes.TlogBodyMismatch, Verify(mine.ToJsonString()));
    }

    [Fact]
    public void Verify_WhenIntegratedTimeInFuture_FailsTlogTime()
    {
        var future = DateTimeOffset.UtcNow.AddHours(2);
        AssertCode(SigstoreCodes.TlogTime, Verify(Sign(Request with { IntegratedTime = future, CertificateNotBefore = future.AddMinutes(-1), CertificateNotAfter = future.AddMinutes(9), SctTimestamp = future })));
    }

    [Fact]
    public void Verify_WhenRekorV2WithoutTimestamp_FailsTimestampMissing()
    {
        AssertCode(SigstoreCodes.TimestampMissing, Verify(Sign(Request with { Log = RekorVersion.V2, AddTimestamp = false })));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Verify_WhenTimestampWithOrWithoutEmbeddedCertificate_IsValid(bool embed)
    {
        Assert.True(Verify(Sign(Request with { Log = RekorVersion.V2, TimestampEmbedsCertificate = embed })).IsValid);
    }

    [Fact]
    public void Verify_WhenTimestampOverOtherBytes_FailsTimestampInvalid()
    {
        AssertCode(SigstoreCodes.TimestampInvalid, Verify(Sign(Request with { Log = RekorVersion.V2, TimestampedBytes = [1, 2, 3] })));
    }

    [Fact]
    public void Verify_WhenTimestampFromUntrustedAuthority_FailsTimestampUntrusted()
    {
        AssertCode(SigstoreCodes.TimestampUntrusted, Verify(Sign(Request with { Log = RekorVersion.V2, TimestampFromUntrustedAuthority = true })));
    }

    [Fact]
    public void Verify_WhenTimestampOutsideCertificate_FailsCertificateValidity()
    {
        AssertCode(SigstoreCodes.CertificateValidity, Verify(Sign(Request with { Log = RekorVersion.V2, TimestampTime = DateTimeOffset.UtcNow.AddMinutes(30) })));
    }

    [Fact]
    public void Verify_WhenTsaWindowEndsBeforeTimestamp_FailsTimestampUntrusted()
    {
        var json = JsonNode.Parse(_instance.TrustedRootJson())!;
        json["timestampAuthorities"]![0]!["validFor"]!["end"] = json["timestampAuthorities"]![0]!["validFor"]!["start"]!.DeepClone();
        var root = TrustedRoot.Parse(Encoding.UTF8.GetBytes(json.ToJsonString()));
        AssertCode(SigstoreCodes.TimestampUntrusted, Verify(Sign(Request with { Log = RekorVersion.V2 }), root: root));
    }

    [Fact]
    public void Verify_WhenRekorV2LogWindowEndsBeforeTimestamp_FailsKeyValidity()
    {
        var json = JsonNode.Parse(_instance.TrustedRootJson())!;
        foreach (var t in json["tlogs"]!.AsArray())
        {
            t!["publicKey"]!["validFor"]!["end"] = t["publicKey"]!["validFor"]!["start"]!.DeepClone();
        }

        var root = TrustedRoot.Parse(Encoding.UTF8.GetBytes(json.ToJsonString()));
        AssertCode(SigstoreCodes.TlogKeyValidity, Verify(Sign(Request with { Log = RekorVersion.V2 }), root: root));
    }

    [Fact]
    public void Verify_WhenDssePayloadNotInToto_FailsPayload()
    {
        var json = _instance.SignDsse("text/plain", ArtifactBytes, Request).Json;
        AssertCode(SigstoreCodes.DssePayloadMalformed, Verify(json));
    }

    [Fact]
    public void Verify_WhenDsseSubjectIsAnotherArtifact_FailsSubject()
    {
        var statement = InTotoStatements.NpmProvenanceV1("widget", "1.0.0", SHA512.HashData("other"u8.ToArray()), Workflow);
        var json = _instance.SignDsse(InTotoStatements.PayloadType, Encoding.UTF8.GetBytes(statement), Request).Json;
        AssertCode(SigstoreCodes.DsseSubjectMismatch, Verify(json, Artifact.FromDigest(HashAlgorithmName.SHA512, SHA512.HashData(ArtifactBytes))));
    }

    [Fact]
    public void Verify_WhenDsseSignedWithOtherKey_FailsDsseSignature()
    {
        var statement = InTotoStatements.NpmProvenanceV1("widget", "1.0.0", SHA512.HashData(ArtifactBytes), Workflow);
        var json = _instance.SignDsse(InTotoStatements.PayloadType, Encoding.UTF8.GetBytes(statement), Request with { SignWithOtherKey = true }).Json;
        AssertCode(SigstoreCodes.DsseSignatureInvalid, Verify(json, Artifact.FromDigest(HashAlgorithmName.SHA512, SHA512.HashData(ArtifactBytes))));
    }

    [Fact]
    public void Verify_WhenIdentityOrIssuerDiffer_FailsIdentityCodes()
    {
        var json = Sign(Request);
        AssertCode(SigstoreCodes.IdentityMismatch, Verify(json, signer: SignerPolicy.Certificate(CertificateIdentity.Exact("https://github.com/evil/x/.github/workflows/a.yml@refs/heads/main", GitHubWorkflowIdentity.GitHubActionsIssuer))));
        AssertCode(SigstoreCodes.IssuerMismatch, Verify(json, signer: SignerPolicy.Certificate(CertificateIdentity.Exact(Workflow.SubjectUri, "https://accounts.google.com"))));
        Assert.True(Verify(json, signer: SignerPolicy.Certificate(CertificateIdentity.Pattern("https://github\\.com/acme/.*", GitHubWorkflowIdentity.GitHubActionsIssuer))).IsValid);
    }

    [Fact]
    public void Verify_WhenOnlyDigestGivenForEd25519Key_ReportsDigestUnusable()
    {
        // Rekor v2 logs sign with Ed25519; artifacts signed by ECDSA stay checkable by digest.
        var json = Sign(Request);
        Assert.True(Verify(json, Artifact.FromDigest(HashAlgorithmName.SHA256, SHA256.HashData(ArtifactBytes))).IsValid);
        AssertCode(SigstoreCodes.ArtifactDigestUnusable, Verify(json, Artifact.FromDigest(HashAlgorithmName.SHA512, SHA512.HashData(ArtifactBytes))));
    }

    [Fact]
    public void Verify_WhenThresholdOfTwoLogEntries_FailsWithOne()
    {
        var verifier = new SigstoreVerifier(_root, new VerifierOptions { TlogThreshold = 2 });
        var result = verifier.Verify(Encoding.UTF8.GetBytes(Sign(Request)), Artifact.FromBytes(ArtifactBytes), SignerPolicy.AnyCertificateIdentityUnsafe());
        AssertCode(SigstoreCodes.TlogMissing, result);
    }
}
