using System.Formats.Asn1;
using System.Security.Cryptography;
using Vouch.Sigstore.Crypto;

namespace Vouch.Sigstore.X509;

/// <summary>
/// An X.509 certificate parsed with our own DER reader, so that trust decisions work on exactly the
/// bytes that were signed (the TBSCertificate) and on typed fields, and so that the SCT check can
/// rebuild the precertificate.
/// </summary>
public sealed class Certificate
{
    internal const string OidSct = "1.3.6.1.4.1.11129.2.4.2";
    private const string OidKeyUsage = "2.5.29.15";
    private const string OidExtKeyUsage = "2.5.29.37";
    private const string OidSan = "2.5.29.17";
    private const string OidBasicConstraints = "2.5.29.19";
    private const string OidSubjectKeyId = "2.5.29.14";
    private const string OidAuthorityKeyId = "2.5.29.35";
    private const string OidCertPolicies = "2.5.29.32";

    private PublicKey? _publicKey;

    private Certificate(byte[] raw)
    {
        Raw = raw;
    }

    /// <summary>The whole DER certificate.</summary>
    public byte[] Raw { get; }

    /// <summary>The DER TBSCertificate: what the issuer signed.</summary>
    public ReadOnlyMemory<byte> TbsCertificate { get; private set; }

    public string SignatureAlgorithmOid { get; private set; } = "";

    public byte[] SignatureValue { get; private set; } = [];

    public ReadOnlyMemory<byte> SerialNumber { get; private set; }

    /// <summary>The DER issuer Name, compared byte-for-byte with the issuer's subject.</summary>
    public ReadOnlyMemory<byte> IssuerName { get; private set; }

    public ReadOnlyMemory<byte> SubjectName { get; private set; }

    public DateTimeOffset NotBefore { get; private set; }

    public DateTimeOffset NotAfter { get; private set; }

    public ReadOnlyMemory<byte> SubjectPublicKeyInfo { get; private set; }

    public IReadOnlyList<CertificateExtension> Extensions { get; private set; } = [];

    public bool IsCertificateAuthority { get; private set; }

    public int? PathLengthConstraint { get; private set; }

    /// <summary>KeyUsage bits as a number (bit 0 = digitalSignature … bit 5 = keyCertSign), null when absent.</summary>
    public int? KeyUsage { get; private set; }

    public IReadOnlyList<string> ExtendedKeyUsages { get; private set; } = [];

    public IReadOnlyList<string> UriSans { get; private set; } = [];

    public IReadOnlyList<string> EmailSans { get; private set; } = [];

    public IReadOnlyList<string> OtherNameSans { get; private set; } = [];

    public byte[]? SubjectKeyIdentifier { get; private set; }

    public byte[]? AuthorityKeyIdentifier { get; private set; }

    public bool IsSelfIssued => IssuerName.Span.SequenceEqual(SubjectName.Span);

    public PublicKey PublicKey => _publicKey ??= Crypto.PublicKey.FromSubjectPublicKeyInfo(SubjectPublicKeyInfo.Span);

    public CertificateExtension? FindExtension(string oid)
    {
        foreach (var e in Extensions)
        {
            if (e.Oid == oid)
            {
                return e;
            }
        }

        return null;
    }

    public bool IsValidAt(DateTimeOffset time) => NotBefore <= time && time <= NotAfter;

    /// <summary>Whether <paramref name="issuer"/>'s key signed this certificate.</summary>
    public bool IsSignedBy(Certificate issuer)
    {
        if (!IssuerName.Span.SequenceEqual(issuer.SubjectName.Span))
        {
            return false;
        }

        var hash = SignatureAlgorithmOid switch
        {
            "1.2.840.10045.4.3.2" or "1.2.840.113549.1.1.11" => HashAlgorithmName.SHA256,
            "1.2.840.10045.4.3.3" or "1.2.840.113549.1.1.12" => HashAlgorithmName.SHA384,
            "1.2.840.10045.4.3.4" or "1.2.840.113549.1.1.13" => HashAlgorithmName.SHA512,
            "1.3.101.112" => HashAlgorithmName.SHA512,
            _ => default(HashAlgorithmName?),
        };
        if (hash is null)
        {
            return false;
        }

        PublicKey key;
        try
        {
            key = issuer.PublicKey;
        }
        catch (CryptographicException)
        {
            return false;
        }

        if (key.Algorithm == KeyAlgorithm.Ed25519)
        {
            return SignatureAlgorithmOid == "1.3.101.112" && key.VerifyData(TbsCertificate.Span, SignatureValue);
        }

        Span<byte> digest = stackalloc byte[64];
        var n = Crypto.PublicKey.Hash(hash.Value, TbsCertificate.Span, digest);
        return key.VerifyDigest(hash.Value, digest[..n], SignatureValue);
    }

    public static Certificate Parse(byte[] der)
    {
        if (der.Length == 0 || der.Length > Limits.MaxCertificateBytes)
        {
            throw new SigstoreFormatException("certificate", ["certificate is empty or too large"], SigstoreCodes.CertificateMalformed);
        }

        var cert = new Certificate(der);
        try
        {
            cert.Read();
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or FormatException or ArgumentException)
        {
            throw new SigstoreFormatException("certificate", [e.Message], SigstoreCodes.CertificateMalformed);
        }

        return cert;
    }

    public static Certificate FromPem(string pem)
    {
        var fields = PemEncoding.Find(pem);
        return Parse(Convert.FromBase64String(pem[fields.Base64Data]));
    }

    private void Read()
    {
        var mem = Raw.AsMemory();
        var outer = new AsnReader(mem, AsnEncodingRules.DER);
        var certSeq = outer.ReadSequence();
        outer.ThrowIfNotEmpty();

        var tbsEncoded = certSeq.ReadEncodedValue();
        TbsCertificate = tbsEncoded;
        var sigAlg = certSeq.ReadSequence();
        SignatureAlgorithmOid = sigAlg.ReadObjectIdentifier();
        SignatureValue = certSeq.ReadBitString(out _);
        certSeq.ThrowIfNotEmpty();

        var tbs = new AsnReader(tbsEncoded, AsnEncodingRules.DER).ReadSequence();
        var v0 = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        if (tbs.PeekTag().HasSameClassAndValue(v0))
        {
            var versionSeq = tbs.ReadSequence(v0);
            var version = versionSeq.ReadInteger();
            if (version != 2)
            {
                throw new FormatException("only X.509 v3 certificates are supported");
            }
        }
        else
        {
            throw new FormatException("only X.509 v3 certificates are supported");
        }

        SerialNumber = tbs.ReadIntegerBytes();
        var innerSigAlg = tbs.ReadSequence();
        if (innerSigAlg.ReadObjectIdentifier() != SignatureAlgorithmOid)
        {
            throw new FormatException("signature algorithm inside and outside the TBSCertificate differ");
        }

        IssuerName = tbs.ReadEncodedValue();
        var validity = tbs.ReadSequence();
        NotBefore = ReadTime(validity);
        NotAfter = ReadTime(validity);
        validity.ThrowIfNotEmpty();
        SubjectName = tbs.ReadEncodedValue();
        SubjectPublicKeyInfo = tbs.ReadEncodedValue();

        var extensions = new List<CertificateExtension>();
        while (tbs.HasData)
        {
            var tag = tbs.PeekTag();
            if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 3)
            {
                var extWrapper = tbs.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true));
                var extSeq = extWrapper.ReadSequence();
                extWrapper.ThrowIfNotEmpty();
                while (extSeq.HasData)
                {
                    var ext = extSeq.ReadSequence();
                    var oid = ext.ReadObjectIdentifier();
                    var critical = false;
                    if (ext.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
                    {
                        critical = ext.ReadBoolean();
                    }

                    var value = ext.ReadOctetString();
                    ext.ThrowIfNotEmpty();
                    if (extensions.Exists(x => x.Oid == oid))
                    {
                        throw new FormatException($"duplicate extension {oid}");
                    }

                    extensions.Add(new CertificateExtension(oid, critical, value));
                }
            }
            else
            {
                // issuerUniqueID / subjectUniqueID: skipped, never used by Sigstore.
                tbs.ReadEncodedValue();
            }
        }

        Extensions = extensions;
        foreach (var e in extensions)
        {
            ReadKnownExtension(e);
        }
    }

    private void ReadKnownExtension(CertificateExtension e)
    {
        var r = new AsnReader(e.Value, AsnEncodingRules.DER);
        switch (e.Oid)
        {
            case OidBasicConstraints:
            {
                var seq = r.ReadSequence();
                if (seq.HasData && seq.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
                {
                    IsCertificateAuthority = seq.ReadBoolean();
                }

                if (seq.HasData)
                {
                    PathLengthConstraint = (int)seq.ReadInteger();
                }

                break;
            }

            case OidKeyUsage:
            {
                var bits = r.ReadBitString(out var unused);
                var value = 0;
                for (var i = 0; i < bits.Length * 8 - unused && i < 16; i++)
                {
                    if ((bits[i / 8] & (0x80 >> (i % 8))) != 0)
                    {
                        value |= 1 << i;
                    }
                }

                KeyUsage = value;
                break;
            }

            case OidExtKeyUsage:
            {
                var seq = r.ReadSequence();
                var list = new List<string>();
                while (seq.HasData)
                {
                    list.Add(seq.ReadObjectIdentifier());
                }

                ExtendedKeyUsages = list;
                break;
            }

            case OidSan:
            {
                var seq = r.ReadSequence();
                var uris = new List<string>();
                var emails = new List<string>();
                var others = new List<string>();
                while (seq.HasData)
                {
                    var tag = seq.PeekTag();
                    if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 6)
                    {
                        uris.Add(seq.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 6)));
                    }
                    else if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 1)
                    {
                        emails.Add(seq.ReadCharacterString(UniversalTagNumber.IA5String, new Asn1Tag(TagClass.ContextSpecific, 1)));
                    }
                    else if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 0)
                    {
                        // otherName { type-id OID, [0] EXPLICIT value }: Fulcio puts usernames here as UTF8String.
                        var other = seq.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
                        other.ReadObjectIdentifier();
                        var explicitValue = other.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true));
                        others.Add(explicitValue.ReadCharacterString(UniversalTagNumber.UTF8String));
                    }
                    else
                    {
                        seq.ReadEncodedValue();
                    }
                }

                UriSans = uris;
                EmailSans = emails;
                OtherNameSans = others;
                break;
            }

            case OidSubjectKeyId:
                SubjectKeyIdentifier = r.ReadOctetString();
                break;

            case OidAuthorityKeyId:
            {
                var seq = r.ReadSequence();
                if (seq.HasData && seq.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
                {
                    AuthorityKeyIdentifier = seq.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 0));
                }

                break;
            }
        }
    }

    /// <summary>Extensions this verifier understands; an unknown critical extension makes a certificate unusable (RFC 5280 §4.2).</summary>
    internal static bool IsUnderstood(string oid) =>
        oid is OidKeyUsage or OidExtKeyUsage or OidSan or OidBasicConstraints or OidSubjectKeyId or OidAuthorityKeyId or OidCertPolicies
        || oid == OidSct || oid.StartsWith("1.3.6.1.4.1.57264.1.", StringComparison.Ordinal);

    private static DateTimeOffset ReadTime(AsnReader reader)
    {
        var tag = reader.PeekTag();
        return tag.HasSameClassAndValue(Asn1Tag.UtcTime) ? reader.ReadUtcTime(2049) : reader.ReadGeneralizedTime();
    }

    /// <summary>
    /// The TBSCertificate with the embedded SCT list extension removed: the precertificate an RFC 6962
    /// log signed. The rest is copied verbatim so that the bytes match what the CA submitted.
    /// </summary>
    internal byte[] PrecertificateTbs()
    {
        var tbs = new AsnReader(TbsCertificate, AsnEncodingRules.DER).ReadSequence();
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            while (tbs.HasData)
            {
                var tag = tbs.PeekTag();
                if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue == 3)
                {
                    var wrapperTag = new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true);
                    var extSeq = tbs.ReadSequence(wrapperTag).ReadSequence();
                    using (writer.PushSequence(wrapperTag))
                    using (writer.PushSequence())
                    {
                        while (extSeq.HasData)
                        {
                            var encoded = extSeq.ReadEncodedValue();
                            var oid = new AsnReader(encoded, AsnEncodingRules.DER).ReadSequence().ReadObjectIdentifier();
                            if (oid != OidSct)
                            {
                                writer.WriteEncodedValue(encoded.Span);
                            }
                        }
                    }
                }
                else
                {
                    writer.WriteEncodedValue(tbs.ReadEncodedValue().Span);
                }
            }
        }

        return writer.Encode();
    }

    /// <summary>A readable one-line name (the subject's CN/O, or the first SAN) for messages.</summary>
    public string Describe()
    {
        if (UriSans.Count > 0)
        {
            return UriSans[0];
        }

        if (EmailSans.Count > 0)
        {
            return EmailSans[0];
        }

        try
        {
            return new System.Security.Cryptography.X509Certificates.X500DistinguishedName(SubjectName.Span).Name;
        }
        catch (CryptographicException)
        {
            return "serial " + Convert.ToHexString(SerialNumber.Span);
        }
    }
}

public sealed record CertificateExtension(string Oid, bool Critical, byte[] Value);
