using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Vouch.Sandbox.Sigstore;

namespace Vouch.Sandbox.Tests.Sigstore;

public sealed class SctTests
{
    [Fact]
    public void DecodeExtensionValue_WhenEncoded_RoundTrips()
    {
        var scts = new[]
        {
            new SignedCertificateTimestamp(RandomNumberGenerator.GetBytes(32), 1_700_000_000_123, [], 4, 3, RandomNumberGenerator.GetBytes(71)),
            new SignedCertificateTimestamp(RandomNumberGenerator.GetBytes(32), ulong.MaxValue, [9, 8, 7], 4, 3, RandomNumberGenerator.GetBytes(72)),
        };

        var encoded = CertificateTransparencyLog.EncodeExtensionValue(scts.Select(CertificateTransparencyLog.Serialize));
        var decoded = CertificateTransparencyLog.DecodeExtensionValue(encoded);

        Assert.Equal(2, decoded.Count);
        for (var i = 0; i < scts.Length; i++)
        {
            Assert.Equal(scts[i].LogId, decoded[i].LogId);
            Assert.Equal(scts[i].TimestampMilliseconds, decoded[i].TimestampMilliseconds);
            Assert.Equal(scts[i].Extensions, decoded[i].Extensions);
            Assert.Equal(scts[i].HashAlgorithm, decoded[i].HashAlgorithm);
            Assert.Equal(scts[i].SignatureAlgorithm, decoded[i].SignatureAlgorithm);
            Assert.Equal(scts[i].Signature, decoded[i].Signature);
        }
    }

    [Fact]
    public void EncodeExtensionValue_WhenOneSct_HasOctetStringThenTlsLengths()
    {
        var sct = CertificateTransparencyLog.Serialize(new SignedCertificateTimestamp(new byte[32], 1, [], 4, 3, [0xAA]));
        var encoded = CertificateTransparencyLog.EncodeExtensionValue([sct]);

        // OCTET STRING, length; list length (sct + 2); sct length; version 0.
        Assert.Equal(0x04, encoded[0]);
        Assert.Equal(sct.Length + 4, encoded[1]);
        Assert.Equal(new byte[] { 0x00, (byte)(sct.Length + 2), 0x00, (byte)sct.Length, 0x00 }, encoded[2..7]);
        Assert.Equal(1 + 32 + 8 + 2 + 1 + 1 + 2 + 1, sct.Length);
    }

    [Fact]
    public void DecodeExtensionValue_WhenTruncated_ThrowsFormatException()
    {
        var sct = CertificateTransparencyLog.Serialize(new SignedCertificateTimestamp(new byte[32], 1, [], 4, 3, [0xAA, 0xBB]));
        var list = CertificateTransparencyLog.EncodeList([sct]);
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        writer.WriteOctetString(list[..^1]);

        Assert.Throws<FormatException>(() => CertificateTransparencyLog.DecodeExtensionValue(writer.Encode()));
    }

    [Fact]
    public void EmbeddedSct_WhenTbsRebuiltWithoutSctExtension_SignatureVerifiesWithCtLogKey()
    {
        var instance = Fixtures.Shared;
        var bundle = instance.SignArtifact([1, 2, 3], Fixtures.Request());
        using var leaf = X509CertificateLoader.LoadCertificate(bundle.Certificate!);
        var root = Fixtures.Parse(instance.TrustedRootJson());
        var ctKey = Vouch.Sigstore.Crypto.PublicKey.FromSubjectPublicKeyInfo(Fixtures.B64(root["ctlogs"]![0]!["publicKey"]!["rawBytes"]));
        using var intermediate = X509CertificateLoader.LoadCertificate(Fixtures.B64(root["certificateAuthorities"]![0]!["certChain"]!["certificates"]![0]!["rawBytes"]));

        var sct = CertificateTransparencyLog.DecodeExtensionValue(leaf.Extensions[CertificateTransparencyLog.SctListOid]!.RawData).Single();
        var tbs = BundleChecker.TbsWithoutExtension(leaf.RawData, CertificateTransparencyLog.SctListOid);
        var signed = CertificateTransparencyLog.PrecertificateSignedData(
            sct.TimestampMilliseconds, SHA256.HashData(intermediate.PublicKey.ExportSubjectPublicKeyInfo()), tbs, sct.Extensions);

        Assert.Equal(ctKey.KeyId, sct.LogId);
        Assert.Equal(Fixtures.B64(root["ctlogs"]![0]!["logId"]!["keyId"]), sct.LogId);
        Assert.Equal(4, sct.HashAlgorithm);
        Assert.Equal(3, sct.SignatureAlgorithm);
        Assert.True(ctKey.VerifyData(signed, sct.Signature));
    }
}
