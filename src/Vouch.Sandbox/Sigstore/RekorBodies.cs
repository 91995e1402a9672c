using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Vouch.Sandbox.Sigstore;

/// <summary>What verifies a signature in a log entry: a certificate or a bare public key.</summary>
internal sealed record EntryVerifier(byte[]? Certificate, byte[]? SubjectPublicKeyInfo, string KeyDetails)
{
    /// <summary>PEM of the certificate or key, the form Rekor v1 entries embed (base64 of the PEM text).</summary>
    public string Pem => Certificate is not null
        ? PemEncoding.WriteString("CERTIFICATE", Certificate) + "\n"
        : PemEncoding.WriteString("PUBLIC KEY", SubjectPublicKeyInfo!) + "\n";

    public string PemBase64 => Convert.ToBase64String(Encoding.UTF8.GetBytes(Pem));

    /// <summary>The Rekor v2 `Verifier` message.</summary>
    public JsonObject ToV2Json()
    {
        var verifier = new JsonObject { ["keyDetails"] = KeyDetails };
        if (Certificate is not null)
        {
            verifier["x509Certificate"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(Certificate) };
        }
        else
        {
            verifier["publicKey"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(SubjectPublicKeyInfo!) };
        }

        return verifier;
    }
}

/// <summary>A single-signature DSSE envelope.</summary>
internal sealed record DsseEnvelope(string PayloadType, byte[] Payload, byte[] Signature, string? KeyId)
{
    /// <summary>DSSE v1 pre-authentication encoding: what the signature covers.</summary>
    public static byte[] PreAuthenticationEncoding(string payloadType, byte[] payload)
    {
        var type = Encoding.UTF8.GetBytes(payloadType);
        var header = Encoding.UTF8.GetBytes($"DSSEv1 {type.Length} {payloadType} {payload.Length} ");
        return [.. header, .. payload];
    }

    /// <summary>The envelope as the bundle carries it (protobuf JSON: empty keyid omitted).</summary>
    public JsonObject ToJson()
    {
        var signature = new JsonObject { ["sig"] = Convert.ToBase64String(Signature) };
        if (!string.IsNullOrEmpty(KeyId))
        {
            signature["keyid"] = KeyId;
        }

        return new JsonObject
        {
            ["payload"] = Convert.ToBase64String(Payload),
            ["payloadType"] = PayloadType,
            ["signatures"] = new JsonArray(signature),
        };
    }

    /// <summary>SHA-256 of the canonical envelope JSON: the `envelopeHash` / intoto `hash` Rekor records.</summary>
    public byte[] CanonicalHash() => SHA256.HashData(Rfc8785Json.Serialize(ToJson()));
}

/// <summary>
/// Canonicalized entry bodies for the Rekor kinds a Sigstore bundle can reference. The verifier
/// re-derives the same facts from the bundle and compares, so each field follows Rekor's schema.
/// </summary>
internal static class RekorBodies
{
    public static byte[] HashedRekordV001(byte[] sha256Digest, byte[] signature, EntryVerifier verifier) =>
        Rfc8785Json.Serialize(new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "hashedrekord",
            ["spec"] = new JsonObject
            {
                ["data"] = new JsonObject
                {
                    ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(sha256Digest) },
                },
                ["signature"] = new JsonObject
                {
                    ["content"] = Convert.ToBase64String(signature),
                    ["publicKey"] = new JsonObject { ["content"] = verifier.PemBase64 },
                },
            },
        });

    public static byte[] HashedRekordV002(byte[] sha256Digest, byte[] signature, EntryVerifier verifier) =>
        Rfc8785Json.Serialize(new JsonObject
        {
            ["apiVersion"] = "0.0.2",
            ["kind"] = "hashedrekord",
            ["spec"] = new JsonObject
            {
                ["hashedRekordV002"] = new JsonObject
                {
                    ["data"] = new JsonObject { ["algorithm"] = "SHA2_256", ["digest"] = Convert.ToBase64String(sha256Digest) },
                    ["signature"] = new JsonObject
                    {
                        ["content"] = Convert.ToBase64String(signature),
                        ["verifier"] = verifier.ToV2Json(),
                    },
                },
            },
        });

    public static byte[] DsseV001(DsseEnvelope envelope, EntryVerifier verifier) =>
        Rfc8785Json.Serialize(new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "dsse",
            ["spec"] = new JsonObject
            {
                ["envelopeHash"] = Sha256Hex(envelope.CanonicalHash()),
                ["payloadHash"] = Sha256Hex(SHA256.HashData(envelope.Payload)),
                ["signatures"] = new JsonArray(new JsonObject
                {
                    ["signature"] = Convert.ToBase64String(envelope.Signature),
                    ["verifier"] = verifier.PemBase64,
                }),
            },
        });

    public static byte[] DsseV002(DsseEnvelope envelope, EntryVerifier verifier) =>
        Rfc8785Json.Serialize(new JsonObject
        {
            ["apiVersion"] = "0.0.2",
            ["kind"] = "dsse",
            ["spec"] = new JsonObject
            {
                ["dsseV002"] = new JsonObject
                {
                    ["payloadHash"] = new JsonObject
                    {
                        ["algorithm"] = "SHA2_256",
                        ["digest"] = Convert.ToBase64String(SHA256.HashData(envelope.Payload)),
                    },
                    ["signatures"] = new JsonArray(new JsonObject
                    {
                        ["content"] = Convert.ToBase64String(envelope.Signature),
                        ["verifier"] = verifier.ToV2Json(),
                    }),
                },
            },
        });

    /// <summary>
    /// intoto 0.0.2: the envelope without its payload, each signature base64-encoded a second time
    /// (Rekor stores the envelope's `sig` string as bytes), the verifier as base64 PEM.
    /// </summary>
    public static byte[] IntotoV002(DsseEnvelope envelope, EntryVerifier verifier)
    {
        var signature = new JsonObject
        {
            ["publicKey"] = verifier.PemBase64,
            ["sig"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(Convert.ToBase64String(envelope.Signature))),
        };
        if (!string.IsNullOrEmpty(envelope.KeyId))
        {
            signature["keyid"] = envelope.KeyId;
        }

        return Rfc8785Json.Serialize(new JsonObject
        {
            ["apiVersion"] = "0.0.2",
            ["kind"] = "intoto",
            ["spec"] = new JsonObject
            {
                ["content"] = new JsonObject
                {
                    ["envelope"] = new JsonObject
                    {
                        ["payloadType"] = envelope.PayloadType,
                        ["signatures"] = new JsonArray(signature),
                    },
                    ["hash"] = Sha256Hex(envelope.CanonicalHash()),
                    ["payloadHash"] = Sha256Hex(SHA256.HashData(envelope.Payload)),
                },
            },
        });
    }

    private static JsonObject Sha256Hex(byte[] digest) =>
        new() { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(digest) };
}
