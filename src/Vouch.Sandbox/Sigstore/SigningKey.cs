using System.Security.Cryptography;

namespace Vouch.Sandbox.Sigstore;

/// <summary>
/// A long-lived ECDSA P-256 key for "managed key" bundles (no certificate; the bundle names the key
/// by a hint), such as the npm registry's publish attestations.
/// </summary>
public sealed class SigningKey : IDisposable
{
    private SigningKey(EcdsaKeyPair pair, string? keyId)
    {
        Pair = pair;
        KeyId = keyId ?? Convert.ToBase64String(SHA256.HashData(pair.SubjectPublicKeyInfo));
    }

    /// <summary>
    /// The bundle's `publicKey.hint`, and the DSSE signature `keyid`. Defaults to base64 SHA-256 of
    /// the SubjectPublicKeyInfo; npm uses <see cref="NpmKeyId"/>.
    /// </summary>
    public string KeyId { get; }

    /// <summary>npm's key ID form: `SHA256:` + unpadded base64 SHA-256 of the SubjectPublicKeyInfo.</summary>
    public string NpmKeyId => "SHA256:" + Convert.ToBase64String(SHA256.HashData(Pair.SubjectPublicKeyInfo)).TrimEnd('=');

    public byte[] SubjectPublicKeyInfo => Pair.SubjectPublicKeyInfo;

    public string PublicKeyPem => PemEncoding.WriteString("PUBLIC KEY", Pair.SubjectPublicKeyInfo) + "\n";

    /// <summary>The verifying half, through the seam Vouch verifies every signature with.</summary>
    public Vouch.Sigstore.Crypto.PublicKey PublicKey => Pair.PublicKey;

    internal EcdsaKeyPair Pair { get; }

    /// <param name="keyId">Hint to publish instead of the default (see <see cref="KeyId"/>).</param>
    public static SigningKey Generate(string? keyId = null) => new(KeyPair.CreateP256(), keyId);

    /// <summary>Loads a PEM PKCS#8 ECDSA P-256 private key.</summary>
    public static SigningKey FromPkcs8Pem(string pem, string? keyId = null)
    {
        var pair = KeyPair.FromPkcs8Pem(pem);
        if (pair is not EcdsaKeyPair { Key.KeySize: 256 } ecdsa)
        {
            pair.Dispose();
            throw new CryptographicException("a managed signing key must be ECDSA P-256");
        }

        return new SigningKey(ecdsa, keyId);
    }

    /// <summary>Returns a copy whose bundles and envelopes carry <paramref name="keyId"/>.</summary>
    public SigningKey WithKeyId(string keyId) => FromPkcs8Pem(ExportPkcs8Pem(), keyId);

    public string ExportPkcs8Pem() => Pair.ExportPkcs8Pem();

    public void Dispose() => Pair.Dispose();
}
