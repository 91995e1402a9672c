using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;

namespace Vouch.Sandbox.Sigstore;

/// <summary>
/// An RFC 3161 timestamp authority: a self-signed root and a signing certificate with the critical
/// timeStamping EKU that RFC 3161 §2.3 requires. Answers with a full DER TimeStampResp, which is what
/// a bundle's `signedTimestamp` holds.
/// </summary>
internal sealed class TimestampAuthority : IDisposable
{
    public const string TimeStampingOid = "1.3.6.1.5.5.7.3.8";
    private const string Sha256Oid = "2.16.840.1.101.3.4.2.1";
    private const string TstInfoContentType = "1.2.840.113549.1.9.16.1.4";
    private const string SigningCertificateV2Oid = "1.2.840.113549.1.9.16.2.47";

    // Sigstore's TSA policy arc; verifiers do not check the policy, but a real-looking one costs nothing.
    private const string PolicyOid = "1.3.6.1.4.1.57264.2";

    public TimestampAuthority(EcdsaKeyPair rootKey, X509Certificate2 root, EcdsaKeyPair signingKey, X509Certificate2 signingCertificate)
    {
        RootKey = rootKey;
        Root = root;
        SigningKey = signingKey;
        SigningCertificate = signingCertificate;
    }

    public EcdsaKeyPair RootKey { get; }

    public X509Certificate2 Root { get; }

    public EcdsaKeyPair SigningKey { get; }

    public X509Certificate2 SigningCertificate { get; }

    public static TimestampAuthority Create(string organization, string namePrefix, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var rootKey = KeyPair.CreateP384();
        var signingKey = KeyPair.CreateP256();
        var root = CertificateFactory.CreateCaRoot(rootKey, FulcioCa.DistinguishedName(organization, namePrefix + "-root"), notBefore, notAfter);
        var signing = CertificateFactory.CreateEndEntity(
            signingKey, FulcioCa.DistinguishedName(organization, namePrefix), root, rootKey, notBefore, notAfter, TimeStampingOid);
        return new TimestampAuthority(rootKey, root, signingKey, signing);
    }

    /// <summary>A granted TimeStampResp whose token timestamps SHA-256(<paramref name="message"/>) at <paramref name="genTime"/>.</summary>
    public byte[] CreateResponse(ReadOnlySpan<byte> message, DateTimeOffset genTime, bool embedCertificate)
    {
        var info = new Rfc3161TimestampTokenInfo(
            new Oid(PolicyOid),
            new Oid(Sha256Oid),
            SHA256.HashData(message),
            CertificateFactory.NewSerialNumber(),
            TruncateToSeconds(genTime),
            accuracyInMicroseconds: 1_000_000,
            timestampAuthorityName: DirectoryName(SigningCertificate.SubjectName));

        var signed = new SignedCms(new ContentInfo(new Oid(TstInfoContentType), info.Encode()), detached: false);
        using var certificateWithKey = SigningCertificate.CopyWithPrivateKey(SigningKey.Key);
        var signer = new CmsSigner(SubjectIdentifierType.IssuerAndSerialNumber, certificateWithKey)
        {
            DigestAlgorithm = new Oid(Sha256Oid),
            IncludeOption = embedCertificate ? X509IncludeOption.EndCertOnly : X509IncludeOption.None,
        };

        // RFC 3161 §2.4.1 / RFC 5816: the token names its signing certificate in a signed attribute.
        signer.SignedAttributes.Add(new AsnEncodedData(SigningCertificateV2Oid, SigningCertificateV2()));
        signed.ComputeSignature(signer, silent: true);

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteInteger(0); // PKIStatus granted
            }

            writer.WriteEncodedValue(signed.Encode());
        }

        return writer.Encode();
    }

    private byte[] SigningCertificateV2()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                using (writer.PushSequence())
                {
                    // hashAlgorithm is DEFAULT id-sha256, so DER leaves it out.
                    writer.WriteOctetString(SHA256.HashData(SigningCertificate.RawData));
                    using (writer.PushSequence())
                    {
                        using (writer.PushSequence())
                        {
                            WriteDirectoryName(writer, SigningCertificate.IssuerName);
                        }

                        writer.WriteInteger(SigningCertificate.SerialNumberBytes.Span);
                    }
                }
            }
        }

        return writer.Encode();
    }

    private static byte[] DirectoryName(X500DistinguishedName name)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        WriteDirectoryName(writer, name);
        return writer.Encode();
    }

    /// <summary>GeneralName directoryName: [4] EXPLICIT Name.</summary>
    private static void WriteDirectoryName(AsnWriter writer, X500DistinguishedName name)
    {
        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 4, isConstructed: true)))
        {
            writer.WriteEncodedValue(name.RawData);
        }
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset time) =>
        DateTimeOffset.FromUnixTimeSeconds(time.ToUnixTimeSeconds());

    public void Dispose()
    {
        RootKey.Dispose();
        SigningKey.Dispose();
        Root.Dispose();
        SigningCertificate.Dispose();
    }
}
