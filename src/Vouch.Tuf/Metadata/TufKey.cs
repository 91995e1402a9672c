using System.Security.Cryptography;
using System.Text.Json;
using Vouch.Sigstore.Crypto;
using Vouch.Tuf.Json;

namespace Vouch.Tuf.Metadata;

/// <summary>
/// A key as TUF metadata lists it. The key id is the label roles and signatures use; like python-tuf
/// we do not recompute it from the key (repositories differ in what they hash), and threshold
/// counting goes by key material instead so a key cannot count twice under two ids.
/// </summary>
internal sealed class TufKey
{
    private PublicKey? _publicKey;
    private bool _parsed;

    private TufKey(string keyId, string keyType, string scheme, string publicValue)
    {
        KeyId = keyId;
        KeyType = keyType;
        Scheme = scheme;
        PublicValue = publicValue;
    }

    public string KeyId { get; }

    public string KeyType { get; }

    public string Scheme { get; }

    public string PublicValue { get; }

    /// <summary>
    /// The verifying key, or null when the key type or scheme is not one we verify or the key does not
    /// parse. An unusable key simply contributes no signature: the threshold then decides.
    /// </summary>
    public PublicKey? PublicKey
    {
        get
        {
            if (!_parsed)
            {
                _publicKey = TryCreatePublicKey();
                _parsed = true;
            }

            return _publicKey;
        }
    }

    public static Dictionary<string, TufKey> ReadKeys(JsonElement keys, string what)
    {
        JsonRead.RequireObject(keys, what);
        var result = new Dictionary<string, TufKey>(StringComparer.Ordinal);
        foreach (var property in keys.EnumerateObject())
        {
            var context = $"{what}[{property.Name}]";
            var key = JsonRead.RequireObject(property.Value, context);
            var keyVal = JsonRead.Object(key, "keyval", context);
            result[property.Name] = new TufKey(
                property.Name,
                JsonRead.String(key, "keytype", context),
                JsonRead.String(key, "scheme", context),
                JsonRead.String(keyVal, "public", $"{context}.keyval"));
        }

        return result;
    }

    /// <summary>Whether two keys are the same key, for noticing that a role's keys were rotated.</summary>
    public bool SameAs(TufKey other) =>
        KeyType == other.KeyType && Scheme == other.Scheme && PublicValue == other.PublicValue;

    private PublicKey? TryCreatePublicKey()
    {
        try
        {
            return (KeyType, Scheme) switch
            {
                ("ed25519", "ed25519") => PublicKey.FromEd25519Raw(Convert.FromHexString(PublicValue)),

                // "ecdsa-sha2-nistp256" as a key type is the pre-1.0 spelling that older Sigstore roots still use.
                ("ecdsa" or "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => Expect(PublicKey.FromPem(PublicValue), KeyAlgorithm.EcdsaP256Sha256),
                ("ecdsa" or "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384") => Expect(PublicKey.FromPem(PublicValue), KeyAlgorithm.EcdsaP384Sha384),
                ("rsa", "rsassa-pss-sha256") => Expect(PublicKey.FromSubjectPublicKeyInfo(PemBody(PublicValue), KeyAlgorithm.RsaPssSha256), KeyAlgorithm.RsaPssSha256),
                ("rsa", "rsa-pkcs1v15-sha256") => Expect(PublicKey.FromSubjectPublicKeyInfo(PemBody(PublicValue), KeyAlgorithm.RsaPkcs1Sha256), KeyAlgorithm.RsaPkcs1Sha256),
                _ => null,
            };
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>A key whose PEM holds another algorithm than its scheme names is not usable for that scheme.</summary>
    private static PublicKey? Expect(PublicKey key, KeyAlgorithm algorithm) => key.Algorithm == algorithm ? key : null;

    private static byte[] PemBody(string pem)
    {
        var fields = PemEncoding.Find(pem);
        if (pem[fields.Label] != "PUBLIC KEY")
        {
            throw new CryptographicException("expected a PEM PUBLIC KEY");
        }

        return Convert.FromBase64String(pem[fields.Base64Data]);
    }
}
