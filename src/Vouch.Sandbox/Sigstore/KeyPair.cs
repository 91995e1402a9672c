using System.Formats.Asn1;
using System.Security.Cryptography;

namespace Vouch.Sandbox.Sigstore;

/// <summary>
/// A private key held by one of the instance's authorities (CA, log, TSA). One type for ECDSA and
/// Ed25519 so that logs and checkpoints do not care which scheme signs them.
/// </summary>
internal abstract class KeyPair : IDisposable
{
    private const string OidEd25519 = "1.3.101.112";
    private const string OidEcPublicKey = "1.2.840.10045.2.1";

    private byte[]? _sha256KeyId;

    /// <summary>DER SubjectPublicKeyInfo.</summary>
    public abstract byte[] SubjectPublicKeyInfo { get; }

    /// <summary>The protobuf-specs `PublicKeyDetails` name trusted roots use for this key.</summary>
    public abstract string KeyDetails { get; }

    /// <summary>SHA-256 of the SubjectPublicKeyInfo: RFC 6962 log ID and Rekor v1 log ID.</summary>
    public byte[] Sha256KeyId => _sha256KeyId ??= SHA256.HashData(SubjectPublicKeyInfo);

    /// <summary>Signs with the key's own scheme (ECDSA: DER signature over the curve's hash; Ed25519: pure).</summary>
    public abstract byte[] Sign(ReadOnlySpan<byte> data);

    public abstract string ExportPkcs8Pem();

    public Vouch.Sigstore.Crypto.PublicKey PublicKey => Vouch.Sigstore.Crypto.PublicKey.FromSubjectPublicKeyInfo(SubjectPublicKeyInfo);

    public static EcdsaKeyPair CreateP256() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    public static EcdsaKeyPair CreateP384() => new(ECDsa.Create(ECCurve.NamedCurves.nistP384));

    public static Ed25519KeyPair CreateEd25519() => new(RandomNumberGenerator.GetBytes(32));

    /// <summary>Reads a PEM "PRIVATE KEY" (PKCS#8) of either scheme.</summary>
    public static KeyPair FromPkcs8Pem(string pem)
    {
        var fields = PemEncoding.Find(pem);
        if (pem[fields.Label] != "PRIVATE KEY")
        {
            throw new CryptographicException($"expected a PEM PRIVATE KEY, found {pem[fields.Label]}");
        }

        var der = Convert.FromBase64String(pem[fields.Base64Data]);
        var reader = new AsnReader(der, AsnEncodingRules.DER);
        var info = reader.ReadSequence();
        info.ReadInteger();
        var algorithm = info.ReadSequence().ReadObjectIdentifier();
        switch (algorithm)
        {
            case OidEd25519:
            {
                var inner = new AsnReader(info.ReadOctetString(), AsnEncodingRules.DER);
                return new Ed25519KeyPair(inner.ReadOctetString());
            }

            case OidEcPublicKey:
            {
                var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(der, out _);
                return new EcdsaKeyPair(ecdsa);
            }

            default:
                throw new CryptographicException($"unsupported private key algorithm {algorithm}");
        }
    }

    public abstract void Dispose();
}

internal sealed class EcdsaKeyPair : KeyPair
{
    private readonly byte[] _spki;

    public EcdsaKeyPair(ECDsa key)
    {
        Key = key;
        _spki = key.ExportSubjectPublicKeyInfo();
        Hash = key.KeySize switch
        {
            256 => HashAlgorithmName.SHA256,
            384 => HashAlgorithmName.SHA384,
            521 => HashAlgorithmName.SHA512,
            _ => throw new CryptographicException($"unsupported ECDSA key size {key.KeySize}"),
        };
    }

    public ECDsa Key { get; }

    /// <summary>The hash that goes with the curve, as Sigstore's key details pair them.</summary>
    public HashAlgorithmName Hash { get; }

    public override byte[] SubjectPublicKeyInfo => _spki;

    public override string KeyDetails => Key.KeySize switch
    {
        256 => "PKIX_ECDSA_P256_SHA_256",
        384 => "PKIX_ECDSA_P384_SHA_384",
        _ => "PKIX_ECDSA_P521_SHA_512",
    };

    public override byte[] Sign(ReadOnlySpan<byte> data) => Key.SignData(data, Hash, DSASignatureFormat.Rfc3279DerSequence);

    public override string ExportPkcs8Pem() => Key.ExportPkcs8PrivateKeyPem() + "\n";

    public override void Dispose() => Key.Dispose();
}

internal sealed class Ed25519KeyPair : KeyPair
{
    private readonly byte[] _seed;
    private readonly byte[] _spki;

    public Ed25519KeyPair(byte[] seed)
    {
        if (seed.Length != 32)
        {
            throw new CryptographicException("Ed25519 private key must be 32 bytes");
        }

        _seed = seed;
        RawPublicKey = new byte[32];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.GeneratePublicKey(_seed, 0, RawPublicKey, 0);
        _spki = Vouch.Sigstore.Crypto.PublicKey.FromEd25519Raw(RawPublicKey).SubjectPublicKeyInfo;
    }

    /// <summary>The 32-byte public key (what signed-note key IDs hash).</summary>
    public byte[] RawPublicKey { get; }

    public override byte[] SubjectPublicKeyInfo => _spki;

    public override string KeyDetails => "PKIX_ED25519";

    public override byte[] Sign(ReadOnlySpan<byte> data)
    {
        var message = data.ToArray();
        var signature = new byte[64];
        Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Sign(_seed, 0, message, 0, message.Length, signature, 0);
        return signature;
    }

    public override string ExportPkcs8Pem()
    {
        // RFC 8410: the PKCS#8 privateKey is itself an OCTET STRING holding the 32-byte seed.
        var inner = new AsnWriter(AsnEncodingRules.DER);
        inner.WriteOctetString(_seed);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(0);
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier("1.3.101.112");
            }

            writer.WriteOctetString(inner.Encode());
        }

        return PemEncoding.WriteString("PRIVATE KEY", writer.Encode()) + "\n";
    }

    public override void Dispose() => CryptographicOperations.ZeroMemory(_seed);
}
