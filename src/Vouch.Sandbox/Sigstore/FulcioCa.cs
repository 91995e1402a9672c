using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Vouch.Sandbox.Sigstore;

/// <summary>What the CA needs to know about one leaf beyond the identity.</summary>
internal sealed record LeafProfile(
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    LeafExtendedKeyUsage ExtendedKeyUsage);

/// <summary>
/// A Fulcio-like CA: self-signed root and one intermediate (both ECDSA P-384) issuing short-lived
/// code-signing certificates whose only subject is a SAN URI plus Fulcio's OID 1.3.6.1.4.1.57264.1.*
/// extensions.
/// </summary>
internal sealed class FulcioCa : IDisposable
{
    public const string CodeSigningOid = "1.3.6.1.5.5.7.3.3";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string FulcioArc = "1.3.6.1.4.1.57264.1.";

    public FulcioCa(EcdsaKeyPair rootKey, X509Certificate2 root, EcdsaKeyPair intermediateKey, X509Certificate2 intermediate)
    {
        RootKey = rootKey;
        Root = root;
        IntermediateKey = intermediateKey;
        Intermediate = intermediate;
        IssuerKeyHash = SHA256.HashData(intermediateKey.SubjectPublicKeyInfo);
    }

    public EcdsaKeyPair RootKey { get; }

    public X509Certificate2 Root { get; }

    public EcdsaKeyPair IntermediateKey { get; }

    public X509Certificate2 Intermediate { get; }

    /// <summary>SHA-256 of the issuing certificate's SPKI: the SCT `issuer_key_hash`.</summary>
    public byte[] IssuerKeyHash { get; }

    public static FulcioCa Create(string organization, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var rootKey = KeyPair.CreateP384();
        var intermediateKey = KeyPair.CreateP384();
        var root = CertificateFactory.CreateCaRoot(rootKey, DistinguishedName(organization, "sandbox-fulcio-root"), notBefore, notAfter);
        var intermediate = CertificateFactory.CreateIntermediate(
            intermediateKey,
            DistinguishedName(organization, "sandbox-fulcio-intermediate"),
            root,
            rootKey,
            notBefore,
            notAfter,
            extendedKeyUsage: CodeSigningOid,
            criticalExtendedKeyUsage: false);
        return new FulcioCa(rootKey, root, intermediateKey, intermediate);
    }

    /// <summary>
    /// Issues a leaf for <paramref name="subjectPublicKeyInfo"/>. <paramref name="scts"/> receives
    /// the TBSCertificate without any SCT extension and returns the SCT list extension value to
    /// append as the last extension, or null for a certificate without SCTs.
    /// </summary>
    public byte[] IssueLeaf(
        byte[] subjectPublicKeyInfo,
        GitHubWorkflowIdentity identity,
        LeafProfile profile,
        Func<byte[], byte[]?> scts)
    {
        identity.Validate();
        var publicKey = System.Security.Cryptography.X509Certificates.PublicKey.CreateFromSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
        var serial = CertificateFactory.NewSerialNumber();
        var capture = new CapturingSignatureGenerator(IntermediateKey.Key);

        // The SCT signs the TBSCertificate as the final certificate will have it minus the SCT
        // extension, so both passes must build from the same extensions in the same order: the
        // first pass captures that TBS, the second appends the SCT list at the end.
        var withoutSct = BuildLeafRequest(publicKey, identity, profile);
        using var precertificate = withoutSct.Create(Intermediate.SubjectName, capture, profile.NotBefore, profile.NotAfter, serial);
        var tbs = capture.LastSignedData ?? throw new InvalidOperationException("TBSCertificate was not captured");

        var sctExtension = scts(tbs);
        if (sctExtension is null)
        {
            return precertificate.RawData;
        }

        var withSct = BuildLeafRequest(publicKey, identity, profile);
        withSct.CertificateExtensions.Add(new X509Extension(CertificateTransparencyLog.SctListOid, sctExtension, critical: false));
        using var certificate = withSct.Create(Intermediate.SubjectName, capture, profile.NotBefore, profile.NotAfter, serial);
        return certificate.RawData;
    }

    private CertificateRequest BuildLeafRequest(
        System.Security.Cryptography.X509Certificates.PublicKey publicKey,
        GitHubWorkflowIdentity identity,
        LeafProfile profile)
    {
        // Empty subject: Fulcio certificates identify only through the SAN.
        var request = new CertificateRequest(new X500DistinguishedName([0x30, 0x00]), publicKey, HashAlgorithmName.SHA384);
        var extensions = request.CertificateExtensions;
        extensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        if (profile.ExtendedKeyUsage != LeafExtendedKeyUsage.Omitted)
        {
            var oid = profile.ExtendedKeyUsage == LeafExtendedKeyUsage.CodeSigning ? CodeSigningOid : ServerAuthOid;
            extensions.Add(new X509EnhancedKeyUsageExtension([new Oid(oid)], critical: false));
        }

        extensions.Add(new X509SubjectKeyIdentifierExtension(publicKey, X509SubjectKeyIdentifierHashAlgorithm.Sha1, critical: false));
        extensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Intermediate, includeKeyIdentifier: true, includeIssuerAndSerial: false));

        // RFC 5280 §4.2.1.6: the SAN is critical when the subject is empty.
        extensions.Add(new X509Extension("2.5.29.17", UriSubjectAlternativeName(identity.SubjectUri), critical: true));

        foreach (var (oid, value) in FulcioExtensions(identity))
        {
            extensions.Add(new X509Extension(oid, value, critical: false));
        }

        return request;
    }

    /// <summary>
    /// Fulcio's GitHub Actions extensions in Fulcio's order. .1.1–.1.6 are the deprecated ones whose
    /// value is the raw string; .1.8 onwards wrap the value in a DER UTF8String.
    /// </summary>
    internal static List<(string Oid, byte[] Value)> FulcioExtensions(GitHubWorkflowIdentity identity) =>
    [
        (FulcioArc + "1", Raw(identity.Issuer)),
        (FulcioArc + "2", Raw(identity.Trigger)),
        (FulcioArc + "3", Raw(identity.Sha)),
        (FulcioArc + "4", Raw(identity.WorkflowName)),
        (FulcioArc + "5", Raw(identity.Repository)),
        (FulcioArc + "6", Raw(identity.Ref)),
        (FulcioArc + "8", Utf8(identity.Issuer)),
        (FulcioArc + "9", Utf8(identity.BuildSignerUri)),
        (FulcioArc + "10", Utf8(identity.BuildSignerDigest)),
        (FulcioArc + "11", Utf8(identity.RunnerEnvironment)),
        (FulcioArc + "12", Utf8(identity.SourceRepositoryUri)),
        (FulcioArc + "13", Utf8(identity.Sha)),
        (FulcioArc + "14", Utf8(identity.Ref)),
        (FulcioArc + "15", Utf8(identity.RepositoryId)),
        (FulcioArc + "16", Utf8(identity.OwnerUri)),
        (FulcioArc + "17", Utf8(identity.OwnerId)),
        (FulcioArc + "18", Utf8(identity.BuildConfigUri)),
        (FulcioArc + "19", Utf8(identity.Sha)),
        (FulcioArc + "20", Utf8(identity.Trigger)),
        (FulcioArc + "21", Utf8(identity.RunInvocationUri)),
        (FulcioArc + "22", Utf8(identity.Visibility)),
    ];

    private static byte[] Raw(string value) => Encoding.UTF8.GetBytes(value);

    private static byte[] Utf8(string value)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
        return writer.Encode();
    }

    private static byte[] UriSubjectAlternativeName(string uri)
    {
        // Written by hand so the URI goes in byte for byte (System.Uri would re-escape it).
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteCharacterString(UniversalTagNumber.IA5String, uri, new Asn1Tag(TagClass.ContextSpecific, 6));
        }

        return writer.Encode();
    }

    internal static X500DistinguishedName DistinguishedName(string organization, string commonName)
    {
        // The builder encodes the last-added RDN first; Sigstore's CAs encode O= before CN=.
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(commonName);
        builder.AddOrganizationName(organization);
        return builder.Build();
    }

    public void Dispose()
    {
        RootKey.Dispose();
        IntermediateKey.Dispose();
        Root.Dispose();
        Intermediate.Dispose();
    }

    /// <summary>Signs like the platform's ECDSA generator but remembers what it signed: the TBSCertificate.</summary>
    private sealed class CapturingSignatureGenerator(ECDsa key) : X509SignatureGenerator
    {
        private readonly X509SignatureGenerator _inner = CreateForECDsa(key);

        public byte[]? LastSignedData { get; private set; }

        public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm) =>
            _inner.GetSignatureAlgorithmIdentifier(hashAlgorithm);

        public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm)
        {
            LastSignedData = data;
            return _inner.SignData(data, hashAlgorithm);
        }

        protected override System.Security.Cryptography.X509Certificates.PublicKey BuildPublicKey() => new(key);
    }
}

/// <summary>CA and TSA certificates shared by the Fulcio-like CA and the timestamp authority.</summary>
internal static class CertificateFactory
{
    public static X509Certificate2 CreateCaRoot(EcdsaKeyPair key, X500DistinguishedName subject, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var request = new CertificateRequest(subject, key.Key, key.Hash);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, critical: true));
        var ski = new X509SubjectKeyIdentifierExtension(request.PublicKey, X509SubjectKeyIdentifierHashAlgorithm.Sha1, critical: false);
        request.CertificateExtensions.Add(ski);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(ski));
        using var withKey = request.Create(subject, X509SignatureGenerator.CreateForECDsa(key.Key), notBefore, notAfter, NewSerialNumber());
        return X509CertificateLoader.LoadCertificate(withKey.RawData);
    }

    public static X509Certificate2 CreateIntermediate(
        EcdsaKeyPair key,
        X500DistinguishedName subject,
        X509Certificate2 issuer,
        EcdsaKeyPair issuerKey,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter,
        string extendedKeyUsage,
        bool criticalExtendedKeyUsage)
    {
        var request = new CertificateRequest(subject, key.Key, issuerKey.Hash);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(extendedKeyUsage)], criticalExtendedKeyUsage));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, X509SubjectKeyIdentifierHashAlgorithm.Sha1, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var created = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey.Key), notBefore, notAfter, NewSerialNumber());
        return X509CertificateLoader.LoadCertificate(created.RawData);
    }

    /// <summary>A leaf for an end entity with one critical EKU (the TSA's timeStamping).</summary>
    public static X509Certificate2 CreateEndEntity(
        EcdsaKeyPair key,
        X500DistinguishedName subject,
        X509Certificate2 issuer,
        EcdsaKeyPair issuerKey,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter,
        string extendedKeyUsage)
    {
        var request = new CertificateRequest(subject, key.Key, issuerKey.Hash);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, X509SubjectKeyIdentifierHashAlgorithm.Sha1, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(extendedKeyUsage)], critical: true));
        using var created = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey.Key), notBefore, notAfter, NewSerialNumber());
        return X509CertificateLoader.LoadCertificate(created.RawData);
    }

    /// <summary>20 random bytes, positive and minimally encoded (RFC 5280 allows up to 20 octets).</summary>
    public static byte[] NewSerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(20);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        return serial;
    }
}
