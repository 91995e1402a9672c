using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Sigstore.Crypto;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;
using Vouch.Tests;

namespace Vouch.Sigstore.Tests;

/// <summary>
/// Real npm attestation bundles (recorded from the registry) verified against the real public-good
/// trusted root, and the same bundles tampered one field at a time, each failing with its own code.
/// </summary>
public sealed class NpmProvenanceBundleTests
{
    private const string SlsaV02 = "https://slsa.dev/provenance/v0.2";
    private const string SlsaV1 = "https://slsa.dev/provenance/v1";
    private const string Publish = "https://github.com/npm/attestation/tree/main/specs/publish/v0.1";

    private static readonly TrustedRoot Root = TrustedRoot.Parse(File.ReadAllBytes(SharedFixtures.Path("npm", "trusted_root.json")));

    private static JsonObject Bundle(string package, string predicateType)
    {
        var doc = JsonNode.Parse(File.ReadAllText(SharedFixtures.Path("npm", "attestations", package + ".json")))!;
        foreach (var a in doc["attestations"]!.AsArray())
        {
            if ((string?)a!["predicateType"] == predicateType)
            {
                return a["bundle"]!.AsObject();
            }
        }

        throw new InvalidOperationException($"{package} has no {predicateType} attestation");
    }

    private static Artifact Tarball(string file) => Artifact.FromDigest(HashAlgorithmName.SHA512, SHA512.HashData(File.ReadAllBytes(SharedFixtures.Path("npm", "tarballs", file))));

    private static VerificationResult Verify(JsonObject bundle, Artifact artifact, SignerPolicy? signer = null) =>
        new SigstoreVerifier(Root).Verify(Encoding.UTF8.GetBytes(bundle.ToJsonString()), artifact, signer ?? SignerPolicy.AnyCertificateIdentityUnsafe());

    private static PublicKey NpmKey()
    {
        var keys = JsonNode.Parse(File.ReadAllText(SharedFixtures.Path("npm", "registry-keys.tuf.json")))!["keys"]!.AsArray();
        var raw = (string)keys.First(k => ((string)k!["keyId"]!).StartsWith("SHA256:jl3b", StringComparison.Ordinal))!["publicKey"]!["rawBytes"]!;
        return PublicKey.FromSubjectPublicKeyInfo(Convert.FromBase64String(raw));
    }

    [Theory]
    [InlineData("sigstore@1.0.0", "sigstore-1.0.0.tgz", SlsaV02, "https://github.com/sigstore/sigstore-js")]
    [InlineData("tuf-js@1.0.0", "tuf-js-1.0.0.tgz", SlsaV02, "https://github.com/theupdateframework/tuf-js")]
    [InlineData("@sigstore%2fprotobuf-specs@0.2.1", "sigstore-protobuf-specs-0.2.1.tgz", SlsaV1, "https://github.com/sigstore/protobuf-specs")]
    public void Verify_WhenRealProvenanceBundle_IsValidWithGitHubIdentity(string package, string tarball, string predicateType, string repository)
    {
        var result = Verify(Bundle(package, predicateType), Tarball(tarball));

        Assert.True(result.IsValid, result.ToString());
        Assert.Equal("https://token.actions.githubusercontent.com", result.CertificateExtensions!.Issuer);
        Assert.StartsWith(repository + "/.github/workflows/", result.SubjectAlternativeName, StringComparison.Ordinal);
        Assert.Equal(predicateType, result.Statement!.PredicateType);
        Assert.Single(result.LogEntries);
        Assert.Contains(result.Timestamps, t => t.Source == TimestampSource.TransparencyLog);
    }

    [Fact]
    public void Verify_WhenProvenanceWithExpectedIdentity_IsValid()
    {
        var bundle = Bundle("sigstore@1.0.0", SlsaV02);
        var any = Verify(bundle, Tarball("sigstore-1.0.0.tgz"));
        var signer = SignerPolicy.Certificate(CertificateIdentity.Exact(any.SubjectAlternativeName!, "https://token.actions.githubusercontent.com"));

        Assert.True(Verify(bundle, Tarball("sigstore-1.0.0.tgz"), signer).IsValid);
    }

    [Fact]
    public void Verify_WhenProvenanceOfAnotherTarball_FailsSubjectMismatch()
    {
        var result = Verify(Bundle("sigstore@1.0.0", SlsaV02), Tarball("tuf-js-1.0.0.tgz"));
        Assert.Equal(SigstoreCodes.DsseSubjectMismatch, result.Code);
    }

    [Fact]
    public void Verify_WhenPublishAttestationWithRegistryKey_IsValid()
    {
        var result = Verify(Bundle("sigstore@1.0.0", Publish), Tarball("sigstore-1.0.0.tgz"), SignerPolicy.PublicKey(NpmKey()));
        Assert.True(result.IsValid, result.ToString());
        Assert.Equal(Publish, result.Statement!.PredicateType);
    }

    [Fact]
    public void Verify_WhenPublishAttestationWithoutKey_FailsKeyRequired()
    {
        var result = Verify(Bundle("sigstore@1.0.0", Publish), Tarball("sigstore-1.0.0.tgz"), SignerPolicy.Certificate(CertificateIdentity.Exact("x", "y")));
        Assert.Equal(SigstoreCodes.KeyRequired, result.Code);
    }

    [Fact]
    public void Verify_WhenPublishAttestationWithAnotherKey_FailsSignature()
    {
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var key = PublicKey.FromSubjectPublicKeyInfo(other.ExportSubjectPublicKeyInfo());
        var result = Verify(Bundle("sigstore@1.0.0", Publish), Tarball("sigstore-1.0.0.tgz"), SignerPolicy.PublicKey(key));
        Assert.Equal(SigstoreCodes.DsseSignatureInvalid, result.Code);
    }

    [Fact]
    public void Verify_WhenPayloadEdited_FailsDsseSignature()
    {
        var bundle = Bundle("sigstore@1.0.0", SlsaV02);
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String((string)bundle["dsseEnvelope"]!["payload"]!));
        bundle["dsseEnvelope"]!["payload"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload.Replace("sigstore/sigstore-js", "evil/sigstore-js", StringComparison.Ordinal)));

        Assert.Equal(SigstoreCodes.DsseSignatureInvalid, Verify(bundle, Tarball("sigstore-1.0.0.tgz")).Code);
    }

    [Fact]
    public void Verify_WhenSignedEntryTimestampEdited_FailsInclusionPromise()
    {
        var bundle = Bundle("sigstore@1.0.0", SlsaV02);
        var entry = bundle["verificationMaterial"]!["tlogEntries"]![0]!;
        entry["integratedTime"] = ((long)double.Parse((string)entry["integratedTime"]!, System.Globalization.CultureInfo.InvariantCulture) - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(SigstoreCodes.TlogInclusionPromise, Verify(bundle, Tarball("sigstore-1.0.0.tgz")).Code);
    }

    [Fact]
    public void Verify_WhenLogIdUnknown_FailsUnknownLog()
    {
        var bundle = Bundle("sigstore@1.0.0", SlsaV02);
        bundle["verificationMaterial"]!["tlogEntries"]![0]!["logId"]!["keyId"] = Convert.ToBase64String(new byte[32]);

        Assert.Equal(SigstoreCodes.TlogUnknownLog, Verify(bundle, Tarball("sigstore-1.0.0.tgz")).Code);
    }

    [Fact]
    public void Verify_WhenNoLogEntries_FailsTlogMissing()
    {
        var bundle = Bundle("sigstore@1.0.0", SlsaV02);
        bundle["verificationMaterial"]!["tlogEntries"] = new JsonArray();

        Assert.Equal(SigstoreCodes.TlogMissing, Verify(bundle, Tarball("sigstore-1.0.0.tgz")).Code);
    }

    [Fact]
    public void Verify_WhenInclusionProofHashEdited_FailsInclusionProof()
    {
        var bundle = Bundle("@sigstore%2fprotobuf-specs@0.2.1", SlsaV1);
        var hashes = bundle["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!["hashes"]!.AsArray();
        hashes[0] = Convert.ToBase64String(new byte[32]);

        Assert.Equal(SigstoreCodes.TlogInclusionProof, Verify(bundle, Tarball("sigstore-protobuf-specs-0.2.1.tgz")).Code);
    }

    [Fact]
    public void Verify_WhenCheckpointRootHashEdited_FailsCheckpoint()
    {
        var bundle = Bundle("@sigstore%2fprotobuf-specs@0.2.1", SlsaV1);
        var proof = bundle["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!;
        var envelope = (string)proof["checkpoint"]!["envelope"]!;
        var lines = envelope.Split('\n');
        lines[1] = (long.Parse(lines[1], System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        proof["checkpoint"]!["envelope"] = string.Join('\n', lines);

        Assert.Equal(SigstoreCodes.TlogCheckpoint, Verify(bundle, Tarball("sigstore-protobuf-specs-0.2.1.tgz")).Code);
    }

    [Fact]
    public void Verify_WhenCertificateReplacedByAnotherPackages_FailsTlogBody()
    {
        var bundle = Bundle("sigstore@1.0.0", SlsaV02);
        var other = Bundle("tuf-js@1.0.0", SlsaV02);
        bundle["verificationMaterial"]!["x509CertificateChain"] = other["verificationMaterial"]!["x509CertificateChain"]!.DeepClone();

        // The DSSE signature no longer matches the new certificate's key: the first check to fail.
        Assert.Equal(SigstoreCodes.DsseSignatureInvalid, Verify(bundle, Tarball("sigstore-1.0.0.tgz")).Code);
    }

    [Fact]
    public void Verify_WhenTrustedRootHasNoFulcio_FailsChain()
    {
        var json = JsonNode.Parse(File.ReadAllText(SharedFixtures.Path("npm", "trusted_root.json")))!;
        json["certificateAuthorities"] = new JsonArray();
        var root = TrustedRoot.Parse(Encoding.UTF8.GetBytes(json.ToJsonString()));
        var bundle = Bundle("sigstore@1.0.0", SlsaV02);
        var certs = bundle["verificationMaterial"]!["x509CertificateChain"]!["certificates"]!.AsArray();
        while (certs.Count > 1)
        {
            certs.RemoveAt(1);
        }

        var result = new SigstoreVerifier(root).Verify(Encoding.UTF8.GetBytes(bundle.ToJsonString()), Tarball("sigstore-1.0.0.tgz"), SignerPolicy.AnyCertificateIdentityUnsafe());

        Assert.Equal(SigstoreCodes.CertificateChain, result.Code);
    }

    [Fact]
    public void Verify_WhenBundleChainCarriesUntrustedRoot_FailsRootInBundle()
    {
        var bundle = Bundle("sigstore@1.0.0", SlsaV02);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=sigstore, O=sigstore.dev", key, HashAlgorithmName.SHA256);
        using var fakeRoot = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddYears(-5), DateTimeOffset.UtcNow.AddYears(5));
        var certs = bundle["verificationMaterial"]!["x509CertificateChain"]!["certificates"]!.AsArray();
        certs[2] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(fakeRoot.RawData) };

        Assert.Equal(SigstoreCodes.CertificateRootInBundle, Verify(bundle, Tarball("sigstore-1.0.0.tgz")).Code);
    }

    [Fact]
    public void Verify_WhenTrustedRootHasNoCtLog_FailsSct()
    {
        var json = JsonNode.Parse(File.ReadAllText(SharedFixtures.Path("npm", "trusted_root.json")))!;
        json["ctlogs"] = new JsonArray();
        var root = TrustedRoot.Parse(Encoding.UTF8.GetBytes(json.ToJsonString()));
        var result = new SigstoreVerifier(root).Verify(Encoding.UTF8.GetBytes(Bundle("sigstore@1.0.0", SlsaV02).ToJsonString()), Tarball("sigstore-1.0.0.tgz"), SignerPolicy.AnyCertificateIdentityUnsafe());

        Assert.Equal(SigstoreCodes.SctInvalid, result.Code);
    }

    [Fact]
    public void Verify_WhenFulcioValidityEndsBeforeSigning_FailsCaValidity()
    {
        var json = JsonNode.Parse(File.ReadAllText(SharedFixtures.Path("npm", "trusted_root.json")))!;
        foreach (var ca in json["certificateAuthorities"]!.AsArray())
        {
            ca!["validFor"]!["end"] = (string)ca["validFor"]!["start"]!;
        }

        var root = TrustedRoot.Parse(Encoding.UTF8.GetBytes(json.ToJsonString()));
        var result = new SigstoreVerifier(root).Verify(Encoding.UTF8.GetBytes(Bundle("sigstore@1.0.0", SlsaV02).ToJsonString()), Tarball("sigstore-1.0.0.tgz"), SignerPolicy.AnyCertificateIdentityUnsafe());

        Assert.Equal(SigstoreCodes.CertificateAuthorityValidity, result.Code);
    }

    [Fact]
    public void Verify_WhenClockBeforeIntegratedTime_FailsTlogTime()
    {
        var past = new FixedTime(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var result = new SigstoreVerifier(Root, new VerifierOptions { TimeProvider = past })
            .Verify(Encoding.UTF8.GetBytes(Bundle("sigstore@1.0.0", SlsaV02).ToJsonString()), Tarball("sigstore-1.0.0.tgz"), SignerPolicy.AnyCertificateIdentityUnsafe());

        Assert.Equal(SigstoreCodes.TlogTime, result.Code);
    }

    [Fact]
    public void TrustedRoot_WhenEmbedded_ParsesPublicGoodInstance()
    {
        var root = TrustedRoot.PublicGood;
        Assert.NotEmpty(root.CertificateAuthorities);
        Assert.Contains(root.Tlogs, t => t.BaseUrl == "https://rekor.sigstore.dev");
        Assert.All(root.CertificateAuthorities, ca => Assert.True(ca.ChainIsConsistent));
    }

    [Fact]
    public void TrustedRoot_WhenValidForStartMissing_ThrowsListingField()
    {
        var json = JsonNode.Parse(File.ReadAllText(SharedFixtures.Path("npm", "trusted_root.json")))!;
        json["tlogs"]![0]!["publicKey"]!["validFor"]!.AsObject().Remove("start");
        json["ctlogs"]![0]!["logId"] = null;

        var e = Assert.Throws<SigstoreFormatException>(() => TrustedRoot.Parse(Encoding.UTF8.GetBytes(json.ToJsonString())));
        Assert.Equal(SigstoreCodes.TrustedRootMalformed, e.Code);
        Assert.Contains(e.Problems, p => p.Contains("tlogs[0].publicKey.validFor.start", StringComparison.Ordinal));
        Assert.Contains(e.Problems, p => p.Contains("ctlogs[0].logId", StringComparison.Ordinal));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
