using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Vouch.Sandbox.Sigstore;

namespace Vouch.Sandbox.Tests.Sigstore;

public sealed class SigstoreInstanceBundleTests
{
    private static readonly byte[] Artifact = Encoding.UTF8.GetBytes("hello, sandbox\n");

    [Theory]
    [InlineData(BundleVersion.V01, "application/vnd.dev.sigstore.bundle+json;version=0.1", "x509CertificateChain")]
    [InlineData(BundleVersion.V02, "application/vnd.dev.sigstore.bundle+json;version=0.2", "x509CertificateChain")]
    [InlineData(BundleVersion.V03, "application/vnd.dev.sigstore.bundle.v0.3+json", "certificate")]
    public void SignArtifact_WhenDefaults_BundleIsWellFormedAndPassesEveryCheck(BundleVersion version, string mediaType, string certificateField)
    {
        var instance = Fixtures.Shared;
        var bundle = instance.SignArtifact(Artifact, Fixtures.Request() with { BundleVersion = version });

        var json = Fixtures.Parse(bundle.Json);
        Assert.Equal(mediaType, Fixtures.Str(json["mediaType"]));
        Assert.Equal(mediaType, bundle.MediaType);
        var material = json["verificationMaterial"]!.AsObject();
        Assert.NotNull(material[certificateField]);
        Assert.Null(material["timestampVerificationData"]);
        Assert.Equal("SHA2_256", Fixtures.Str(json["messageSignature"]!["messageDigest"]!["algorithm"]));
        Assert.Equal(SHA256.HashData(Artifact), Fixtures.B64(json["messageSignature"]!["messageDigest"]!["digest"]));

        var entry = material["tlogEntries"]![0]!;
        Assert.Equal("hashedrekord", Fixtures.Str(entry["kindVersion"]!["kind"]));
        Assert.Equal("0.0.1", Fixtures.Str(entry["kindVersion"]!["version"]));
        Assert.Equal(bundle.LogIndex.ToString(System.Globalization.CultureInfo.InvariantCulture), Fixtures.Str(entry["logIndex"]));
        Assert.Equal(Fixtures.Str(entry["logIndex"]), Fixtures.Str(entry["inclusionProof"]!["logIndex"]));
        Assert.NotNull(entry["inclusionPromise"]!["signedEntryTimestamp"]);
        Assert.NotNull(entry["inclusionProof"]!["checkpoint"]!["envelope"]);

        Assert.Empty(BundleChecker.Check(bundle.Json, instance.TrustedRootJson(), Artifact));
    }

    [Fact]
    public void SignArtifact_WhenDefaults_CertificateCarriesFulcioProfile()
    {
        var identity = Fixtures.Identity();
        var bundle = Fixtures.Shared.SignArtifact(Artifact, Fixtures.Request());
        using var leaf = X509CertificateLoader.LoadCertificate(bundle.Certificate!);

        Assert.Equal([0x30, 0x00], leaf.SubjectName.RawData);
        Assert.Equal(TimeSpan.FromMinutes(10), leaf.NotAfter - leaf.NotBefore);
        var keyUsage = leaf.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.True(keyUsage.Critical);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, keyUsage.KeyUsages);
        Assert.Equal("1.3.6.1.5.5.7.3.3", leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages[0].Value);
        Assert.NotNull(leaf.Extensions.OfType<X509SubjectKeyIdentifierExtension>().SingleOrDefault());
        Assert.NotNull(leaf.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().SingleOrDefault());

        var san = leaf.Extensions["2.5.29.17"]!;
        Assert.True(san.Critical);
        Assert.Equal(
            "https://github.com/octo-org/left-pad/.github/workflows/release.yml@refs/tags/v1.0.0",
            new System.Formats.Asn1.AsnReader(san.RawData, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence()
                .ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 6)));

        // Deprecated extensions hold the raw string; the newer ones a DER UTF8String.
        Assert.Equal(identity.Issuer, Encoding.UTF8.GetString(leaf.Extensions["1.3.6.1.4.1.57264.1.1"]!.RawData));
        Assert.Equal("release", Encoding.UTF8.GetString(leaf.Extensions["1.3.6.1.4.1.57264.1.2"]!.RawData));
        Assert.Equal(identity.Sha, Encoding.UTF8.GetString(leaf.Extensions["1.3.6.1.4.1.57264.1.3"]!.RawData));
        Assert.Equal("octo-org/left-pad", Encoding.UTF8.GetString(leaf.Extensions["1.3.6.1.4.1.57264.1.5"]!.RawData));
        Assert.Equal("refs/tags/v1.0.0", Encoding.UTF8.GetString(leaf.Extensions["1.3.6.1.4.1.57264.1.6"]!.RawData));
        Assert.Equal(identity.Issuer, Utf8Extension(leaf, 8));
        Assert.Equal(identity.SubjectUri, Utf8Extension(leaf, 9));
        Assert.Equal("github-hosted", Utf8Extension(leaf, 11));
        Assert.Equal("https://github.com/octo-org/left-pad", Utf8Extension(leaf, 12));
        Assert.Equal("777", Utf8Extension(leaf, 15));
        Assert.Equal("https://github.com/octo-org", Utf8Extension(leaf, 16));
        Assert.Equal("888", Utf8Extension(leaf, 17));
        Assert.Equal("https://github.com/octo-org/left-pad/actions/runs/4242/attempts/1", Utf8Extension(leaf, 21));
        Assert.Equal("public", Utf8Extension(leaf, 22));
        Assert.Equal("1.3.6.1.4.1.11129.2.4.2", leaf.Extensions[^1].Oid!.Value);
    }

    [Theory]
    [InlineData(DsseEntryKind.Dsse, "dsse", "0.0.1")]
    [InlineData(DsseEntryKind.Intoto, "intoto", "0.0.2")]
    public void SignDsse_WhenEntryKindChosen_EntryHasThatKindAndPassesEveryCheck(DsseEntryKind entryKind, string kind, string version)
    {
        var statement = Encoding.UTF8.GetBytes(InTotoStatements.NpmProvenanceV1("left-pad", "1.0.0", SHA512.HashData(Artifact), Fixtures.Identity()));
        var bundle = Fixtures.Shared.SignDsse(InTotoStatements.PayloadType, statement, Fixtures.Request() with { DsseEntryKind = entryKind });

        var json = Fixtures.Parse(bundle.Json);
        Assert.Equal(statement, Fixtures.B64(json["dsseEnvelope"]!["payload"]));
        Assert.Equal(InTotoStatements.PayloadType, Fixtures.Str(json["dsseEnvelope"]!["payloadType"]));
        Assert.Null(json["dsseEnvelope"]!["signatures"]![0]!["keyid"]);
        var entry = json["verificationMaterial"]!["tlogEntries"]![0]!;
        Assert.Equal(kind, Fixtures.Str(entry["kindVersion"]!["kind"]));
        Assert.Equal(version, Fixtures.Str(entry["kindVersion"]!["version"]));
        Assert.Empty(BundleChecker.Check(bundle.Json, Fixtures.Shared.TrustedRootJson()));
    }

    [Fact]
    public void SignArtifact_WhenRekorV2_EntryHasNoIntegratedTimeAndCarriesTimestamp()
    {
        var bundle = Fixtures.Shared.SignArtifact(Artifact, Fixtures.Request() with { Log = RekorVersion.V2 });

        var json = Fixtures.Parse(bundle.Json);
        var entry = json["verificationMaterial"]!["tlogEntries"]![0]!;
        Assert.Equal("0.0.2", Fixtures.Str(entry["kindVersion"]!["version"]));
        Assert.Null(entry["integratedTime"]);
        Assert.Null(entry["inclusionPromise"]);
        var checkpoint = Fixtures.Str(entry["inclusionProof"]!["checkpoint"]!["envelope"]);
        Assert.StartsWith("log2025-1.rekor.sandbox.vouch.test\n", checkpoint, StringComparison.Ordinal);
        Assert.Single(json["verificationMaterial"]!["timestampVerificationData"]!["rfc3161Timestamps"]!.AsArray());
        Assert.Null(bundle.IntegratedTime);
        Assert.Empty(BundleChecker.Check(bundle.Json, Fixtures.Shared.TrustedRootJson(), Artifact));
    }

    [Fact]
    public void SignDsse_WhenRekorV2_EntryIsDsseV002()
    {
        var bundle = Fixtures.Shared.SignDsse("text/plain", Artifact, Fixtures.Request() with { Log = RekorVersion.V2 });

        var body = Fixtures.Parse(Encoding.UTF8.GetString(bundle.CanonicalizedBody));
        Assert.Equal("dsse", Fixtures.Str(body["kind"]));
        Assert.NotNull(body["spec"]!["dsseV002"]!["signatures"]![0]!["verifier"]!["x509Certificate"]);
        Assert.Equal("PKIX_ECDSA_P256_SHA_256", Fixtures.Str(body["spec"]!["dsseV002"]!["signatures"]![0]!["verifier"]!["keyDetails"]));
        Assert.Empty(BundleChecker.Check(bundle.Json, Fixtures.Shared.TrustedRootJson()));
    }

    [Fact]
    public void SignWithKey_WhenManagedKey_BundleHasHintAndNoCertificate()
    {
        using var key = SigningKey.Generate();
        var bundle = Fixtures.Shared.SignWithKey(Artifact, key);

        var material = Fixtures.Parse(bundle.Json)["verificationMaterial"]!;
        Assert.Equal(key.KeyId, Fixtures.Str(material["publicKey"]!["hint"]));
        Assert.Null(material["certificate"]);
        Assert.Null(bundle.Certificate);
        Assert.Empty(BundleChecker.Check(bundle.Json, Fixtures.Shared.TrustedRootJson(), Artifact, key.PublicKey));
    }

    [Fact]
    public void SignDsseWithKey_WhenNpmStyleKeyId_EnvelopeAndIntotoEntryCarryIt()
    {
        using var generated = SigningKey.Generate();
        using var key = generated.WithKeyId(generated.NpmKeyId);
        var statement = Encoding.UTF8.GetBytes(InTotoStatements.NpmPublishAttestation("left-pad", "1.0.0", SHA512.HashData(Artifact)));
        var bundle = Fixtures.Shared.SignDsseWithKey(
            InTotoStatements.PayloadType, statement, key, new SigningRequest { BundleVersion = BundleVersion.V01, DsseEntryKind = DsseEntryKind.Intoto });

        var json = Fixtures.Parse(bundle.Json);
        Assert.StartsWith("SHA256:", key.KeyId, StringComparison.Ordinal);
        Assert.Equal(key.KeyId, Fixtures.Str(json["dsseEnvelope"]!["signatures"]![0]!["keyid"]));
        Assert.Equal(key.KeyId, Fixtures.Str(json["verificationMaterial"]!["publicKey"]!["hint"]));
        var body = Fixtures.Parse(Encoding.UTF8.GetString(bundle.CanonicalizedBody));
        Assert.Equal(key.KeyId, Fixtures.Str(body["spec"]!["content"]!["envelope"]!["signatures"]![0]!["keyid"]));
        Assert.Empty(BundleChecker.Check(bundle.Json, Fixtures.Shared.TrustedRootJson(), managedKey: key.PublicKey));
    }

    [Fact]
    public void SignArtifact_WhenCalledTwice_LogIndexesAreConsecutive()
    {
        using var instance = SigstoreInstance.Create(timeProvider: new ManualTimeProvider(Fixtures.Epoch));
        var first = instance.SignArtifact(Artifact, Fixtures.Request());
        var second = instance.SignArtifact(Artifact, Fixtures.Request());

        Assert.Equal(0, first.LogIndex);
        Assert.Equal(1, second.LogIndex);
        Assert.Equal("2", Fixtures.Str(Fixtures.Parse(second.Json)["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!["treeSize"]));
    }

    [Fact]
    public void SignArtifact_WhenClockIsSet_TimesComeFromTheTimeProvider()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2024, 3, 1, 10, 0, 0, 500, TimeSpan.Zero));
        using var instance = SigstoreInstance.Create(timeProvider: time);
        var bundle = instance.SignArtifact(Artifact, Fixtures.Request() with { AddTimestamp = true });
        using var leaf = X509CertificateLoader.LoadCertificate(bundle.Certificate!);

        var expected = new DateTimeOffset(2024, 3, 1, 10, 0, 0, TimeSpan.Zero);
        Assert.Equal(expected, bundle.IntegratedTime);
        Assert.Equal(expected.UtcDateTime, leaf.NotBefore.ToUniversalTime());
        Assert.Empty(BundleChecker.Check(bundle.Json, instance.TrustedRootJson(), Artifact));
    }

    [Fact]
    public void SignArtifact_WhenNoIdentity_Throws()
    {
        Assert.Throws<ArgumentException>(() => Fixtures.Shared.SignArtifact(Artifact, new SigningRequest()));
    }

    [Fact]
    public void SignArtifact_WhenRekorV2Disabled_Throws()
    {
        using var instance = SigstoreInstance.Create(new SigstoreInstanceOptions { EnableRekorV2 = false });
        Assert.Throws<InvalidOperationException>(() => instance.SignArtifact(Artifact, Fixtures.Request() with { Log = RekorVersion.V2 }));
    }

    private static string Utf8Extension(X509Certificate2 certificate, int arc)
    {
        var raw = certificate.Extensions[$"1.3.6.1.4.1.57264.1.{arc}"]!.RawData;
        return new System.Formats.Asn1.AsnReader(raw, System.Formats.Asn1.AsnEncodingRules.DER)
            .ReadCharacterString(System.Formats.Asn1.UniversalTagNumber.UTF8String);
    }
}
