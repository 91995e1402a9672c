using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace Vouch.Sandbox.Sigstore;

/// <summary>
/// Fulcio's and Rekor's halves of keyless signing for a key the client holds, so a real client (one
/// that talks HTTP to /api/v2/signingCert and /api/v1/log/entries) can be tested against this instance.
/// The HTTP front (token checks, JSON parsing) is the caller's; these only issue and log.
/// </summary>
public sealed partial class SigstoreInstance
{
    /// <summary>A 10-minute code-signing leaf for <paramref name="identity"/> over the client's key, with an embedded SCT (DER).</summary>
    public byte[] IssueCertificate(byte[] subjectPublicKeyInfo, GitHubWorkflowIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(subjectPublicKeyInfo);
        ArgumentNullException.ThrowIfNull(identity);
        lock (_signing)
        {
            var now = TruncateToSeconds(_time.GetUtcNow());
            var request = new SigningRequest { Identity = identity };
            var profile = new LeafProfile(now, now + LeafLifetime, LeafExtendedKeyUsage.CodeSigning);
            return _fulcio.IssueLeaf(subjectPublicKeyInfo, identity, profile, tbs => SctExtension(tbs, request, now));
        }
    }

    /// <summary>The chain above the leaves <see cref="IssueCertificate"/> issues: intermediate, then root (DER).</summary>
    public IReadOnlyList<byte[]> IssuerCertificates => [_fulcio.Intermediate.RawData, _fulcio.Root.RawData];

    /// <summary>
    /// Logs a DSSE envelope signed by the key of <paramref name="certificate"/> as a Rekor v1 `dsse`
    /// 0.0.1 entry and answers as Rekor's POST /api/v1/log/entries does: { uuid: { body, integratedTime,
    /// logID, logIndex, verification: { inclusionProof, signedEntryTimestamp } } }. A signature the
    /// certificate's key did not make is refused (ArgumentException), as Rekor refuses it.
    /// </summary>
    public JsonObject LogDsseEnvelope(string payloadType, byte[] payload, byte[] signature, byte[] certificate)
    {
        ArgumentNullException.ThrowIfNull(payloadType);
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(certificate);
        using var x509 = X509CertificateLoader.LoadCertificate(certificate);
        using var key = x509.GetECDsaPublicKey() ?? throw new ArgumentException("the certificate's key is not ECDSA", nameof(certificate));
        if (!key.VerifyData(DsseEnvelope.PreAuthenticationEncoding(payloadType, payload), signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
        {
            throw new ArgumentException("the envelope's signature does not verify with the certificate's key", nameof(signature));
        }

        var keyDetails = key.KeySize == 256 ? "PKIX_ECDSA_P256_SHA_256" : "PKIX_ECDSA_P384_SHA_384";
        var body = RekorBodies.DsseV001(new DsseEnvelope(payloadType, payload, signature, null), new EntryVerifier(certificate, null, keyDetails));
        lock (_signing)
        {
            var integratedTime = TruncateToSeconds(_time.GetUtcNow()).ToUnixTimeSeconds();
            var entry = _rekor.Append(body, integratedTime);
            var hashes = new JsonArray();
            foreach (var hash in entry.AuditPath)
            {
                hashes.Add(Convert.ToHexStringLower(hash));
            }

            var uuid = Convert.ToHexStringLower(SHA256.HashData([0, .. body]));
            return new JsonObject
            {
                [uuid] = new JsonObject
                {
                    ["body"] = Convert.ToBase64String(body),
                    ["integratedTime"] = integratedTime,
                    ["logID"] = Convert.ToHexStringLower(_rekor.LogId),
                    ["logIndex"] = entry.Index,
                    ["verification"] = new JsonObject
                    {
                        ["inclusionProof"] = new JsonObject
                        {
                            ["checkpoint"] = _rekor.Checkpoint(entry),
                            ["hashes"] = hashes,
                            ["logIndex"] = entry.Index,
                            ["rootHash"] = Convert.ToHexStringLower(entry.RootHash),
                            ["treeSize"] = entry.TreeSize,
                        },
                        ["signedEntryTimestamp"] = Convert.ToBase64String(_rekor.SignedEntryTimestamp(body, entry)),
                    },
                },
            };
        }
    }
}
