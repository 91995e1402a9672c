using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
using Vouch.Tuf.Json;

namespace Vouch.Tuf.Tests.Infrastructure;

/// <summary>A signing key as a test repository uses it: its TUF key object, its key id, and a signer.</summary>
internal abstract class TestKey
{
    private string? _keyId;

    public abstract string KeyType { get; }

    public abstract string Scheme { get; }

    public abstract string PublicValue { get; }

    /// <summary>The spec's key id: SHA-256 of the canonical JSON of the key object.</summary>
    public string KeyId => _keyId ??= Convert.ToHexStringLower(SHA256.HashData(Canonical(ToJson())));

    public JsonObject ToJson() => new()
    {
        ["keytype"] = KeyType,
        ["scheme"] = Scheme,
        ["keyval"] = new JsonObject { ["public"] = PublicValue },
    };

    public abstract byte[] Sign(byte[] data);

    public static TestKey Ecdsa() => new EcdsaTestKey();

    public static TestKey Ed25519() => new Ed25519TestKey();

    public static TestKey RsaPss() => new RsaPssTestKey();

    public static byte[] Canonical(JsonNode node)
    {
        using var document = JsonDocument.Parse(node.ToJsonString());
        return OlpcCanonicalJson.Encode(document.RootElement);
    }

    private sealed class EcdsaTestKey : TestKey
    {
        private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public override string KeyType => "ecdsa";

        public override string Scheme => "ecdsa-sha2-nistp256";

        public override string PublicValue => _key.ExportSubjectPublicKeyInfoPem() + "\n";

        public override byte[] Sign(byte[] data) => _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
    }

    private sealed class Ed25519TestKey : TestKey
    {
        private readonly Ed25519PrivateKeyParameters _private;
        private readonly Ed25519PublicKeyParameters _public;

        public Ed25519TestKey()
        {
            var generator = new Ed25519KeyPairGenerator();
            generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
            var pair = generator.GenerateKeyPair();
            _private = (Ed25519PrivateKeyParameters)pair.Private;
            _public = (Ed25519PublicKeyParameters)pair.Public;
        }

        public override string KeyType => "ed25519";

        public override string Scheme => "ed25519";

        public override string PublicValue => Convert.ToHexStringLower(_public.GetEncoded());

        public override byte[] Sign(byte[] data)
        {
            var signer = new Ed25519Signer();
            signer.Init(true, _private);
            signer.BlockUpdate(data, 0, data.Length);
            return signer.GenerateSignature();
        }
    }

    private sealed class RsaPssTestKey : TestKey
    {
        private readonly RSA _key = RSA.Create(2048);

        public override string KeyType => "rsa";

        public override string Scheme => "rsassa-pss-sha256";

        public override string PublicValue => _key.ExportSubjectPublicKeyInfoPem();

        public override byte[] Sign(byte[] data) => _key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
    }
}
