namespace Vouch.Sigstore.Crypto;

/// <summary>
/// The public-key algorithms of Sigstore's protobuf-specs (`PublicKeyDetails`) that Vouch verifies.
/// </summary>
public enum KeyAlgorithm
{
    Unknown = 0,
    EcdsaP256Sha256,
    EcdsaP384Sha384,
    EcdsaP521Sha512,
    Ed25519,
    RsaPkcs1Sha256,
    RsaPkcs1Sha384,
    RsaPkcs1Sha512,
    RsaPssSha256,
    RsaPssSha384,
    RsaPssSha512,
}

public static class KeyDetails
{
    /// <summary>Maps a protobuf-specs `keyDetails` name to an algorithm; unknown names map to <see cref="KeyAlgorithm.Unknown"/>.</summary>
    public static KeyAlgorithm Parse(string? name) => name switch
    {
        "PKIX_ECDSA_P256_SHA_256" => KeyAlgorithm.EcdsaP256Sha256,
        "PKIX_ECDSA_P384_SHA_384" => KeyAlgorithm.EcdsaP384Sha384,
        "PKIX_ECDSA_P521_SHA_512" => KeyAlgorithm.EcdsaP521Sha512,
        "PKIX_ED25519" => KeyAlgorithm.Ed25519,
        "PKIX_RSA_PKCS1V15_2048_SHA256" or "PKIX_RSA_PKCS1V15_3072_SHA256" or "PKIX_RSA_PKCS1V15_4096_SHA256"
            or "PKCS1_RSA_PKCS1V5" or "PKIX_RSA_PKCS1V5" => KeyAlgorithm.RsaPkcs1Sha256,
        "PKIX_RSA_PSS_2048_SHA256" or "PKIX_RSA_PSS_3072_SHA256" or "PKIX_RSA_PSS_4096_SHA256"
            or "PKCS1_RSA_PSS" or "PKIX_RSA_PSS" => KeyAlgorithm.RsaPssSha256,
        _ => KeyAlgorithm.Unknown,
    };
}
