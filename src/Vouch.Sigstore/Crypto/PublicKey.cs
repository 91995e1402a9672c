using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Vouch.Sigstore.Crypto;

/// <summary>
/// A public key that can check signatures. The one seam through which every signature in Vouch is
/// verified: ECDSA and RSA use the platform's implementation, Ed25519 (absent from .NET 10) goes
/// through <see cref="Ed25519Verifier"/>.
/// </summary>
public sealed class PublicKey
{
    private const string OidEcPublicKey = "1.2.840.10045.2.1";
    private const string OidRsaEncryption = "1.2.840.113549.1.1.1";
    private const string OidRsaPss = "1.2.840.113549.1.1.10";
    private const string OidEd25519 = "1.3.101.112";
    private const string OidP256 = "1.2.840.10045.3.1.7";
    private const string OidP384 = "1.3.132.0.34";
    private const string OidP521 = "1.3.132.0.35";

    private readonly ECDsa? _ecdsa;
    private readonly RSA? _rsa;
    private readonly byte[]? _ed25519;

    private PublicKey(KeyAlgorithm algorithm, byte[] spki, ECDsa? ecdsa, RSA? rsa, byte[]? ed25519)
    {
        Algorithm = algorithm;
        SubjectPublicKeyInfo = spki;
        _ecdsa = ecdsa;
        _rsa = rsa;
        _ed25519 = ed25519;
        KeyId = SHA256.HashData(spki);
    }

    /// <summary>The signature scheme this key is used with.</summary>
    public KeyAlgorithm Algorithm { get; }

    /// <summary>The DER SubjectPublicKeyInfo (what transparency logs hash into their log IDs).</summary>
    public byte[] SubjectPublicKeyInfo { get; }

    /// <summary>SHA-256 of the SubjectPublicKeyInfo: the RFC 6962 log ID / Rekor key ID convention.</summary>
    public byte[] KeyId { get; }

    /// <summary>The hash the scheme signs with (Ed25519 signs the message itself and reports SHA-512).</summary>
    public HashAlgorithmName HashAlgorithm => Algorithm switch
    {
        KeyAlgorithm.EcdsaP384Sha384 or KeyAlgorithm.RsaPkcs1Sha384 or KeyAlgorithm.RsaPssSha384 => HashAlgorithmName.SHA384,
        KeyAlgorithm.EcdsaP521Sha512 or KeyAlgorithm.RsaPkcs1Sha512 or KeyAlgorithm.RsaPssSha512 or KeyAlgorithm.Ed25519 => HashAlgorithmName.SHA512,
        _ => HashAlgorithmName.SHA256,
    };

    /// <summary>
    /// Parses a DER SubjectPublicKeyInfo. <paramref name="hint"/> (from a trusted root's `keyDetails`)
    /// selects the RSA padding and hash; without it ECDSA keys use the hash that matches their curve.
    /// </summary>
    public static PublicKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> der, KeyAlgorithm hint = KeyAlgorithm.Unknown)
    {
        if (der.Length == 0 || der.Length > Limits.MaxCertificateBytes)
        {
            throw new CryptographicException("public key is empty or too large");
        }

        var spki = der.ToArray();
        string algOid;
        string? paramOid = null;
        byte[] keyBits;
        try
        {
            var reader = new AsnReader(spki, AsnEncodingRules.DER);
            var seq = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var algId = seq.ReadSequence();
            algOid = algId.ReadObjectIdentifier();
            if (algId.HasData && algId.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier))
            {
                paramOid = algId.ReadObjectIdentifier();
            }

            keyBits = seq.ReadBitString(out _);
            seq.ThrowIfNotEmpty();
        }
        catch (AsnContentException e)
        {
            throw new CryptographicException("public key is not a valid SubjectPublicKeyInfo", e);
        }

        switch (algOid)
        {
            case OidEcPublicKey:
            {
                var alg = paramOid switch
                {
                    OidP256 => KeyAlgorithm.EcdsaP256Sha256,
                    OidP384 => KeyAlgorithm.EcdsaP384Sha384,
                    OidP521 => KeyAlgorithm.EcdsaP521Sha512,
                    _ => throw new CryptographicException($"unsupported elliptic curve {paramOid ?? "(none)"}"),
                };
                var ecdsa = ECDsa.Create();
                ecdsa.ImportSubjectPublicKeyInfo(spki, out _);
                return new PublicKey(alg, spki, ecdsa, null, null);
            }

            case OidRsaEncryption:
            case OidRsaPss:
            {
                var rsa = RSA.Create();
                rsa.ImportSubjectPublicKeyInfo(spki, out _);
                var alg = hint is KeyAlgorithm.RsaPkcs1Sha256 or KeyAlgorithm.RsaPkcs1Sha384 or KeyAlgorithm.RsaPkcs1Sha512
                    or KeyAlgorithm.RsaPssSha256 or KeyAlgorithm.RsaPssSha384 or KeyAlgorithm.RsaPssSha512
                    ? hint
                    : algOid == OidRsaPss ? KeyAlgorithm.RsaPssSha256 : KeyAlgorithm.RsaPkcs1Sha256;
                return new PublicKey(alg, spki, null, rsa, null);
            }

            case OidEd25519:
                if (keyBits.Length != 32)
                {
                    throw new CryptographicException("Ed25519 public key must be 32 bytes");
                }

                return new PublicKey(KeyAlgorithm.Ed25519, spki, null, null, keyBits);

            default:
                throw new CryptographicException($"unsupported public key algorithm {algOid}");
        }
    }

    /// <summary>Parses a PKCS#1 RSAPublicKey (the `PKCS1_RSA_PKCS1V5` encoding of some trusted roots).</summary>
    public static PublicKey FromPkcs1Rsa(ReadOnlySpan<byte> der, KeyAlgorithm hint = KeyAlgorithm.RsaPkcs1Sha256)
    {
        var rsa = RSA.Create();
        rsa.ImportRSAPublicKey(der, out var read);
        if (read != der.Length)
        {
            throw new CryptographicException("trailing data after RSA public key");
        }

        var spki = rsa.ExportSubjectPublicKeyInfo();
        return new PublicKey(hint == KeyAlgorithm.Unknown ? KeyAlgorithm.RsaPkcs1Sha256 : hint, spki, null, rsa, null);
    }

    /// <summary>Parses a key from trust material: SPKI first, PKCS#1 RSA when the details say so.</summary>
    public static PublicKey FromTrustMaterial(ReadOnlySpan<byte> raw, string? keyDetails)
    {
        var hint = KeyDetails.Parse(keyDetails);
        if (keyDetails is "PKCS1_RSA_PKCS1V5" or "PKCS1_RSA_PSS")
        {
            return FromPkcs1Rsa(raw, hint);
        }

        return FromSubjectPublicKeyInfo(raw, hint);
    }

    /// <summary>Wraps a raw 32-byte Ed25519 public key (the encoding TUF metadata uses).</summary>
    public static PublicKey FromEd25519Raw(ReadOnlySpan<byte> raw)
    {
        if (raw.Length != 32)
        {
            throw new CryptographicException("Ed25519 public key must be 32 bytes");
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(OidEd25519);
            }

            writer.WriteBitString(raw);
        }

        return new PublicKey(KeyAlgorithm.Ed25519, writer.Encode(), null, null, raw.ToArray());
    }

    /// <summary>Parses a PEM "PUBLIC KEY" block.</summary>
    public static PublicKey FromPem(string pem)
    {
        var fields = PemEncoding.Find(pem);
        var label = pem[fields.Label];
        if (label != "PUBLIC KEY")
        {
            throw new CryptographicException($"expected a PEM PUBLIC KEY, found {label}");
        }

        var der = Convert.FromBase64String(pem[fields.Base64Data]);
        return FromSubjectPublicKeyInfo(der);
    }

    /// <summary>Verifies a signature over <paramref name="data"/> with the key's own scheme.</summary>
    public bool VerifyData(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        if (Algorithm == KeyAlgorithm.Ed25519)
        {
            return Ed25519Verifier.Verify(_ed25519!, data, signature);
        }

        Span<byte> digest = stackalloc byte[64];
        var written = Hash(HashAlgorithm, data, digest);
        return VerifyDigest(HashAlgorithm, digest[..written], signature);
    }

    /// <summary>
    /// Verifies a signature over a precomputed digest. Ed25519 cannot (pure EdDSA signs the message),
    /// so it answers false; callers holding only a digest must say so rather than skip the check.
    /// </summary>
    public bool VerifyDigest(HashAlgorithmName hashAlgorithm, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature)
    {
        try
        {
            if (_ecdsa is not null)
            {
                return _ecdsa.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence);
            }

            if (_rsa is not null)
            {
                var padding = Algorithm is KeyAlgorithm.RsaPssSha256 or KeyAlgorithm.RsaPssSha384 or KeyAlgorithm.RsaPssSha512
                    ? RSASignaturePadding.Pss
                    : RSASignaturePadding.Pkcs1;
                return _rsa.VerifyHash(digest, signature, hashAlgorithm, padding);
            }
        }
        catch (CryptographicException)
        {
            return false;
        }

        return false;
    }

    /// <summary>Whether two keys are the same key (same SubjectPublicKeyInfo).</summary>
    public bool SameKeyAs(PublicKey other) => SubjectPublicKeyInfo.AsSpan().SequenceEqual(other.SubjectPublicKeyInfo);

    internal static int Hash(HashAlgorithmName name, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (name == HashAlgorithmName.SHA384)
        {
            return SHA384.HashData(data, destination);
        }

        if (name == HashAlgorithmName.SHA512)
        {
            return SHA512.HashData(data, destination);
        }

        return SHA256.HashData(data, destination);
    }
}
