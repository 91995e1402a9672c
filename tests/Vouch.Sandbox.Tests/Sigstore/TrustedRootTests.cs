using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Vouch.Sandbox.Sigstore;

namespace Vouch.Sandbox.Tests.Sigstore;

public sealed class TrustedRootTests
{
    [Fact]
    public void TrustedRootJson_WhenDefaults_ListsEveryAuthorityOfTheInstance()
    {
        var root = Fixtures.Parse(Fixtures.Shared.TrustedRootJson());

        Assert.Equal("application/vnd.dev.sigstore.trustedroot+json;version=0.1", Fixtures.Str(root["mediaType"]));

        var tlogs = root["tlogs"]!.AsArray();
        Assert.Equal(2, tlogs.Count);
        Assert.Equal("https://rekor.sandbox.vouch.test", Fixtures.Str(tlogs[0]!["baseUrl"]));
        Assert.Equal("SHA2_256", Fixtures.Str(tlogs[0]!["hashAlgorithm"]));
        Assert.Equal("PKIX_ECDSA_P256_SHA_256", Fixtures.Str(tlogs[0]!["publicKey"]!["keyDetails"]));
        Assert.Equal(SHA256.HashData(Fixtures.B64(tlogs[0]!["publicKey"]!["rawBytes"])), Fixtures.B64(tlogs[0]!["logId"]!["keyId"]));
        Assert.Equal("PKIX_ED25519", Fixtures.Str(tlogs[1]!["publicKey"]!["keyDetails"]));
        Assert.Equal(Vouch.Sigstore.Crypto.KeyAlgorithm.Ed25519, Vouch.Sigstore.Crypto.PublicKey.FromSubjectPublicKeyInfo(Fixtures.B64(tlogs[1]!["publicKey"]!["rawBytes"])).Algorithm);

        var ctlog = root["ctlogs"]!.AsArray().Single()!;
        Assert.Equal(SHA256.HashData(Fixtures.B64(ctlog["publicKey"]!["rawBytes"])), Fixtures.B64(ctlog["logId"]!["keyId"]));

        var ca = root["certificateAuthorities"]!.AsArray().Single()!;
        Assert.Equal("vouch-sandbox", Fixtures.Str(ca["subject"]!["organization"]));
        Assert.Equal("sandbox-fulcio-root", Fixtures.Str(ca["subject"]!["commonName"]));
        AssertChain(ca, expectedLeafEku: "1.3.6.1.5.5.7.3.3");

        var tsa = root["timestampAuthorities"]!.AsArray().Single()!;
        AssertChain(tsa, expectedLeafEku: "1.3.6.1.5.5.7.3.8");
    }

    [Fact]
    public void TrustedRootJson_WhenValidityConfigured_EveryEntryHasThatWindow()
    {
        var options = new SigstoreInstanceOptions
        {
            ValidFrom = new DateTimeOffset(2024, 1, 2, 3, 4, 5, 678, TimeSpan.Zero),
            ValidUntil = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero),
            EnableRekorV2 = false,
        };
        using var instance = SigstoreInstance.Create(options);
        var root = Fixtures.Parse(instance.TrustedRootJson());

        Assert.Single(root["tlogs"]!.AsArray());
        var windows = new[]
        {
            root["tlogs"]![0]!["publicKey"]!["validFor"]!,
            root["ctlogs"]![0]!["publicKey"]!["validFor"]!,
            root["certificateAuthorities"]![0]!["validFor"]!,
            root["timestampAuthorities"]![0]!["validFor"]!,
        };
        foreach (var window in windows)
        {
            Assert.Equal("2024-01-02T03:04:05Z", Fixtures.Str(window["start"]));
            Assert.Equal("2030-01-01T00:00:00Z", Fixtures.Str(window["end"]));
        }
    }

    [Fact]
    public void TrustedRootJson_WhenDefaultValidity_StartsOneDayBeforeCreation()
    {
        using var instance = SigstoreInstance.Create(timeProvider: new ManualTimeProvider(Fixtures.Epoch));
        var root = Fixtures.Parse(instance.TrustedRootJson());

        Assert.Equal("2025-05-31T12:00:00Z", Fixtures.Str(root["tlogs"]![0]!["publicKey"]!["validFor"]!["start"]));
        Assert.Null(root["tlogs"]![0]!["publicKey"]!["validFor"]!["end"]);
    }

    private static void AssertChain(System.Text.Json.Nodes.JsonNode authority, string expectedLeafEku)
    {
        var certificates = authority["certChain"]!["certificates"]!.AsArray();
        Assert.Equal(2, certificates.Count);
        using var issuing = X509CertificateLoader.LoadCertificate(Fixtures.B64(certificates[0]!["rawBytes"]));
        using var root = X509CertificateLoader.LoadCertificate(Fixtures.B64(certificates[1]!["rawBytes"]));

        Assert.Equal(root.SubjectName.Name, root.IssuerName.Name);
        Assert.Equal(root.SubjectName.Name, issuing.IssuerName.Name);
        Assert.True(root.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(expectedLeafEku, issuing.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages[0].Value);
    }
}
