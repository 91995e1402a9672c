using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Vouch.Sigstore.Bundles;
using Vouch.Sigstore.Crypto;
using Vouch.Sigstore.Dsse;
using Vouch.Sigstore.Timestamps;
using Vouch.Sigstore.Tlog;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.X509;

namespace Vouch.Sigstore.Verification;

/// <summary>
/// Verifies Sigstore bundles against trusted material. Configured once (trusted root, thresholds,
/// clock) and safe to share across threads; each call names the artifact and the expected signer.
/// The order follows the Sigstore client specification: key material, transparency log, timestamps,
/// certificate chain at the proven times, SCTs, signature, then identity.
/// </summary>
public sealed class SigstoreVerifier
{
    private const string OidCodeSigning = "1.3.6.1.5.5.7.3.3";

    private readonly TrustedRoot _root;
    private readonly VerifierOptions _options;

    public SigstoreVerifier(TrustedRoot root, VerifierOptions? options = null)
    {
        _root = root;
        _options = options ?? new VerifierOptions();
        var problems = _options.Validate();
        if (problems.Count > 0)
        {
            // A weakened check must be asked for by name: refuse to build a verifier that silently skips one.
            throw new ArgumentException($"invalid verifier options: {string.Join("; ", problems)}", nameof(options));
        }
    }

    public TrustedRoot TrustedRoot => _root;

    /// <summary>Parses then verifies; a malformed bundle is a result with its code, not an exception.</summary>
    public VerificationResult Verify(ReadOnlyMemory<byte> bundleJson, Artifact artifact, SignerPolicy signer)
    {
        Bundle bundle;
        try
        {
            bundle = Bundle.Parse(bundleJson);
        }
        catch (SigstoreFormatException e)
        {
            return VerificationResult.Fail(e.Code, e.Message);
        }

        return Verify(bundle, artifact, signer);
    }

    public VerificationResult Verify(Bundle bundle, Artifact artifact, SignerPolicy signer)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(signer);
        try
        {
            return VerifyCore(bundle, artifact, signer);
        }
        catch (SigstoreFormatException e)
        {
            return VerificationResult.Fail(e.Code, e.Message);
        }
    }

    private VerificationResult VerifyCore(Bundle bundle, Artifact artifact, SignerPolicy signer)
    {
        var material = bundle.Material;

        // 1. Key material.
        Certificate? leaf = null;
        PublicKey signingKey;
        if (material.IsPublicKey)
        {
            if (signer.Key is null)
            {
                return VerificationResult.Fail(SigstoreCodes.KeyRequired, "the bundle is signed with a key, and no key was given to verify it with");
            }

            signingKey = signer.Key;
        }
        else
        {
            if (signer.Key is not null)
            {
                return VerificationResult.Fail(SigstoreCodes.CertificateRequired, "a key was given, but the bundle is signed with a certificate");
            }

            var chain = material.Certificates.Select(Certificate.Parse).ToList();
            // Roots must come from the trusted root. Early npm bundles (2023) carry the full public-good chain:
            // a copy of a trusted CA certificate adds nothing and is tolerated; any other root is refused.
            if (chain.Skip(1).Any(c => c.IsSelfIssued && !IsTrustedCaCertificate(c)) || chain[0].IsSelfIssued)
            {
                return VerificationResult.Fail(SigstoreCodes.CertificateRootInBundle, "the bundle ships a root certificate that is not in the trusted root; roots must come from the trusted root");
            }

            leaf = chain[0];
            try
            {
                signingKey = leaf.PublicKey;
            }
            catch (CryptographicException e)
            {
                return VerificationResult.Fail(SigstoreCodes.CertificateMalformed, $"the signing certificate's key is unusable ({e.Message})");
            }
        }

        // 2. What was signed, and the signature over it.
        byte[]? dssePae = null;
        InTotoStatement? statement = null;
        if (bundle.DsseEnvelope is { } env)
        {
            dssePae = Pae.Encode(env.PayloadType, env.Payload);
            if (!signingKey.VerifyData(dssePae, env.Signatures[0].Signature))
            {
                return VerificationResult.Fail(SigstoreCodes.DsseSignatureInvalid, "the DSSE envelope's signature does not verify with the signer's key");
            }

            if (env.PayloadType != InTotoStatement.PayloadType)
            {
                return VerificationResult.Fail(SigstoreCodes.DssePayloadMalformed, $"the DSSE payload type '{env.PayloadType}' is not an in-toto statement, so it cannot be bound to the artifact");
            }

            statement = InTotoStatement.Parse(env.Payload);
            var subjectProblem = CheckSubjects(statement, artifact);
            if (subjectProblem is not null)
            {
                return VerificationResult.Fail(SigstoreCodes.DsseSubjectMismatch, subjectProblem);
            }
        }
        else
        {
            var ms = bundle.MessageSignature!;
            if (ms.DigestAlgorithm is { } alg && ms.Digest is { } claimed)
            {
                var actual = artifact.Digest(alg);
                if (actual is not null && !actual.AsSpan().SequenceEqual(claimed))
                {
                    return VerificationResult.Fail(SigstoreCodes.DigestMismatch, "the bundle's message digest is not the artifact's digest");
                }
            }

            var sigProblem = VerifyMessageSignature(signingKey, artifact, ms.Signature);
            if (sigProblem is not null)
            {
                return sigProblem;
            }
        }

        // 3. Transparency log entries.
        var content = new LoggedContent(
            bundle.SignatureBytes,
            leaf?.Raw,
            signingKey.SubjectPublicKeyInfo,
            artifact.Digest(HashAlgorithmName.SHA256),
            bundle.DsseEnvelope?.Payload,
            dssePae is null ? null : SHA256.HashData(dssePae));
        var timestamps = new List<VerifiedTimestamp>();
        var entries = new List<VerifiedLogEntry>();
        var pendingKeyChecks = new List<TransparencyLog>();
        foreach (var entry in material.TlogEntries)
        {
            var outcome = VerifyTlogEntry(bundle, entry, content, timestamps, entries, pendingKeyChecks);
            if (outcome is not null)
            {
                return outcome;
            }
        }

        if (entries.Count < _options.TlogThreshold)
        {
            return VerificationResult.Fail(SigstoreCodes.TlogMissing, $"the bundle has {entries.Count} verified transparency log entries; {_options.TlogThreshold} required");
        }

        // 4. RFC 3161 timestamps: every one present must verify.
        foreach (var ts in material.Rfc3161Timestamps)
        {
            var check = Rfc3161Verifier.Verify(ts, bundle.SignatureBytes, _root);
            if (check.Code is not null)
            {
                return VerificationResult.Fail(check.Code, check.Problem!);
            }

            timestamps.Add(new VerifiedTimestamp(TimestampSource.TimestampAuthority, check.Time!.Value, check.Authority!.Uri ?? check.Authority.Subject ?? "timestamp authority"));
        }

        // Logs without an integrated time (Rekor v2) must have been trusted when the timestamps say the entry existed.
        foreach (var log in pendingKeyChecks)
        {
            foreach (var t in timestamps)
            {
                if (!log.ValidFor.Contains(t.Time))
                {
                    return VerificationResult.Fail(SigstoreCodes.TlogKeyValidity, $"the transparency log {log.BaseUrl} was not trusted at {t.Time:u} (trusted {log.ValidFor})");
                }
            }
        }

        // 5. The certificate, at every time the evidence proves.
        FulcioExtensions? extensions = null;
        string? san = null;
        if (leaf is not null)
        {
            if (timestamps.Count < _options.ObserverTimestampThreshold)
            {
                return VerificationResult.Fail(SigstoreCodes.TimestampMissing, "nothing proves when the bundle was signed: no signed log integration time and no trusted timestamp");
            }

            var chainProblem = VerifyCertificate(leaf, timestamps);
            if (chainProblem is not null)
            {
                return chainProblem;
            }

            extensions = FulcioExtensions.From(leaf);
            san = leaf.UriSans.FirstOrDefault() ?? leaf.EmailSans.FirstOrDefault() ?? leaf.OtherNameSans.FirstOrDefault();

            // 6. Identity.
            if (!signer.AnyIdentity)
            {
                var sans = leaf.UriSans.Concat(leaf.EmailSans).Concat(leaf.OtherNameSans).ToList();
                var sanOk = signer.Identities.Where(i => i.SanMatches(sans)).ToList();
                if (sanOk.Count == 0)
                {
                    return VerificationResult.Fail(SigstoreCodes.IdentityMismatch, $"the certificate was issued to '{san ?? "(no identity)"}', not to the expected identity");
                }

                if (!sanOk.Any(i => i.IssuerMatches(extensions.Issuer)))
                {
                    return VerificationResult.Fail(SigstoreCodes.IssuerMismatch, $"the certificate's OIDC issuer is '{extensions.Issuer ?? "(none)"}', not the expected issuer");
                }
            }
        }

        return new VerificationResult
        {
            SigningCertificate = leaf,
            CertificateExtensions = extensions,
            SubjectAlternativeName = san,
            Timestamps = timestamps,
            LogEntries = entries,
            Statement = statement,
        };
    }

    private bool IsTrustedCaCertificate(Certificate certificate) =>
        _root.CertificateAuthorities.Any(ca => ca.Chain.Any(c => c.Raw.AsSpan().SequenceEqual(certificate.Raw)));

    private static VerificationResult? VerifyMessageSignature(PublicKey key, Artifact artifact, byte[] signature)
    {
        bool ok;
        if (key.Algorithm == KeyAlgorithm.Ed25519)
        {
            if (!artifact.HasBytes)
            {
                return VerificationResult.Fail(SigstoreCodes.ArtifactDigestUnusable, "an Ed25519 signature covers the whole artifact; a digest is not enough to check it");
            }

            ok = key.VerifyData(artifact.Bytes.Span, signature);
        }
        else
        {
            var digest = artifact.Digest(key.HashAlgorithm);
            if (digest is null)
            {
                return VerificationResult.Fail(SigstoreCodes.ArtifactDigestUnusable, $"the signature needs the artifact's {key.HashAlgorithm.Name} digest, which the given digest is not");
            }

            ok = key.VerifyDigest(key.HashAlgorithm, digest, signature);
        }

        return ok ? null : VerificationResult.Fail(SigstoreCodes.SignatureInvalid, "the signature does not verify over the artifact with the signer's key");
    }

    private static string? CheckSubjects(InTotoStatement statement, Artifact artifact)
    {
        var comparable = false;
        foreach (var subject in statement.Subjects)
        {
            foreach (var (alg, hex) in subject.Digest)
            {
                HashAlgorithmName? name = alg switch
                {
                    "sha256" => HashAlgorithmName.SHA256,
                    "sha384" => HashAlgorithmName.SHA384,
                    "sha512" => HashAlgorithmName.SHA512,
                    _ => null,
                };
                if (name is null || artifact.Digest(name.Value) is not { } actual)
                {
                    continue;
                }

                comparable = true;
                if (hex.Equals(Convert.ToHexString(actual), StringComparison.OrdinalIgnoreCase))
                {
                    return null;
                }
            }
        }

        return comparable
            ? "no subject of the in-toto statement has the artifact's digest"
            : "no subject of the in-toto statement has a digest the artifact can be compared with";
    }

    private VerificationResult? VerifyTlogEntry(
        Bundle bundle,
        TlogEntry entry,
        LoggedContent content,
        List<VerifiedTimestamp> timestamps,
        List<VerifiedLogEntry> entries,
        List<TransparencyLog> pendingKeyChecks)
    {
        var log = _root.FindTlog(entry.LogId);
        if (log is null)
        {
            return VerificationResult.Fail(SigstoreCodes.TlogUnknownLog, $"the log entry is from a transparency log the trusted root does not list ({Convert.ToBase64String(entry.LogId)})");
        }

        if (log.Key is null)
        {
            return VerificationResult.Fail(SigstoreCodes.TlogUnknownLog, $"the transparency log {log.BaseUrl} uses a key type Vouch cannot verify ({log.KeyDetails})");
        }

        var now = _options.TimeProvider.GetUtcNow();
        if (entry.LogIndex < 0 || entry.IntegratedTime < 0)
        {
            return VerificationResult.Fail(SigstoreCodes.TlogTime, "the log entry has a negative index or integrated time");
        }

        DateTimeOffset? integrated = entry.IntegratedTime > 0 ? DateTimeOffset.FromUnixTimeSeconds(entry.IntegratedTime) : null;
        if (integrated > now + _options.AllowedClockSkew)
        {
            return VerificationResult.Fail(SigstoreCodes.TlogTime, $"the log entry's integrated time {integrated:u} is in the future");
        }

        var mismatch = RekorBody.Mismatch(entry.Kind, entry.KindVersion, entry.CanonicalizedBody, content);
        if (mismatch is not null)
        {
            return VerificationResult.Fail(
                mismatch.StartsWith("unsupported", StringComparison.Ordinal) ? SigstoreCodes.TlogKind : SigstoreCodes.TlogBodyMismatch,
                mismatch);
        }

        var setVerified = false;
        if (entry.SignedEntryTimestamp is { } set)
        {
            var payload = string.Create(
                CultureInfo.InvariantCulture,
                $"{{\"body\":\"{Convert.ToBase64String(entry.CanonicalizedBody)}\",\"integratedTime\":{entry.IntegratedTime},\"logID\":\"{Convert.ToHexString(entry.LogId).ToLowerInvariant()}\",\"logIndex\":{entry.LogIndex}}}");
            if (!log.Key.VerifyData(Encoding.UTF8.GetBytes(payload), set))
            {
                return VerificationResult.Fail(SigstoreCodes.TlogInclusionPromise, $"the log's signed entry timestamp does not verify with the key of {log.BaseUrl}");
            }

            setVerified = true;
        }
        else if (bundle.Version == BundleVersion.V01)
        {
            return VerificationResult.Fail(SigstoreCodes.TlogInclusionPromise, "a v0.1 bundle's log entry must carry an inclusion promise");
        }

        if (entry.InclusionProof is { } proof)
        {
            var problem = VerifyInclusionProof(entry, proof, log);
            if (problem is not null)
            {
                return problem;
            }
        }
        else if (bundle.Version != BundleVersion.V01)
        {
            return VerificationResult.Fail(SigstoreCodes.TlogInclusionProofMissing, "the log entry carries no inclusion proof (required from bundle v0.2 on)");
        }

        if (integrated is { } t && setVerified)
        {
            if (!log.ValidFor.Contains(t))
            {
                return VerificationResult.Fail(SigstoreCodes.TlogKeyValidity, $"the transparency log {log.BaseUrl} was not trusted at {t:u} (trusted {log.ValidFor})");
            }

            timestamps.Add(new VerifiedTimestamp(TimestampSource.TransparencyLog, t, log.BaseUrl));
        }
        else
        {
            pendingKeyChecks.Add(log);
        }

        entries.Add(new VerifiedLogEntry(entry.LogIndex, log.BaseUrl, setVerified ? integrated : null, entry.Kind, entry.KindVersion));
        return null;
    }

    private static VerificationResult? VerifyInclusionProof(TlogEntry entry, InclusionProof proof, TransparencyLog log)
    {
        var leafHash = MerkleProof.LeafHash(entry.CanonicalizedBody);
        var root = MerkleProof.RootFromInclusionProof(proof.LogIndex, proof.TreeSize, leafHash, proof.Hashes);
        if (root is null || !root.AsSpan().SequenceEqual(proof.RootHash))
        {
            return VerificationResult.Fail(SigstoreCodes.TlogInclusionProof, "the inclusion proof does not lead from the entry to the tree's root hash");
        }

        if (proof.Checkpoint is null)
        {
            return VerificationResult.Fail(SigstoreCodes.TlogCheckpoint, "the inclusion proof carries no signed checkpoint");
        }

        var checkpoint = Checkpoint.Parse(proof.Checkpoint);
        if (checkpoint.TreeSize != proof.TreeSize || !checkpoint.RootHash.AsSpan().SequenceEqual(proof.RootHash))
        {
            return VerificationResult.Fail(SigstoreCodes.TlogCheckpoint, "the checkpoint's tree size or root hash differs from the inclusion proof's");
        }

        var hint = (uint)(log.LogId[0] << 24 | log.LogId[1] << 16 | log.LogId[2] << 8 | log.LogId[3]);
        var originHost = checkpoint.Origin.Split(' ')[0];
        foreach (var sig in checkpoint.Signatures)
        {
            if (sig.KeyHint != hint || sig.Name != originHost)
            {
                continue;
            }

            if (log.Key!.VerifyData(checkpoint.SignedText, sig.Signature))
            {
                return null;
            }

            return VerificationResult.Fail(SigstoreCodes.TlogCheckpoint, $"the checkpoint's signature does not verify with the key of {log.BaseUrl}");
        }

        return VerificationResult.Fail(SigstoreCodes.TlogCheckpoint, $"the checkpoint carries no signature by {log.BaseUrl}");
    }

    private VerificationResult? VerifyCertificate(Certificate leaf, IReadOnlyList<VerifiedTimestamp> times)
    {
        if (leaf.IsCertificateAuthority)
        {
            return VerificationResult.Fail(SigstoreCodes.CertificateUsage, "the signing certificate is a CA certificate");
        }

        if (!leaf.ExtendedKeyUsages.Contains(OidCodeSigning))
        {
            return VerificationResult.Fail(SigstoreCodes.CertificateUsage, "the signing certificate is not for code signing");
        }

        if (leaf.KeyUsage is { } ku && (ku & 1) == 0)
        {
            return VerificationResult.Fail(SigstoreCodes.CertificateUsage, "the signing certificate's key usage excludes digital signatures");
        }

        if (leaf.Extensions.FirstOrDefault(e => e.Critical && !Certificate.IsUnderstood(e.Oid)) is { } unknown)
        {
            return VerificationResult.Fail(SigstoreCodes.CertificateUsage, $"the signing certificate has a critical extension Vouch does not understand ({unknown.Oid})");
        }

        CertificateAuthority? issuerCa = null;
        foreach (var ca in _root.CertificateAuthorities)
        {
            if (leaf.IsSignedBy(ca.Issuer))
            {
                issuerCa = ca;
                break;
            }
        }

        if (issuerCa is null)
        {
            return VerificationResult.Fail(SigstoreCodes.CertificateChain, "the signing certificate was not issued by a certificate authority of the trusted root");
        }

        if (!issuerCa.ChainIsConsistent)
        {
            return VerificationResult.Fail(SigstoreCodes.CertificateChain, "the issuing CA's chain in the trusted root does not verify");
        }

        foreach (var t in times)
        {
            if (!leaf.IsValidAt(t.Time))
            {
                return VerificationResult.Fail(SigstoreCodes.CertificateValidity, $"the signing certificate (valid {leaf.NotBefore:u} to {leaf.NotAfter:u}) was not valid at {t.Time:u}, when {Describe(t)} says it signed");
            }

            if (!issuerCa.ValidFor.Contains(t.Time))
            {
                return VerificationResult.Fail(SigstoreCodes.CertificateAuthorityValidity, $"the certificate authority was not trusted at {t.Time:u} (trusted {issuerCa.ValidFor})");
            }

            if (issuerCa.Chain.Any(c => !c.IsValidAt(t.Time)))
            {
                return VerificationResult.Fail(SigstoreCodes.CertificateAuthorityValidity, $"a certificate of the issuing CA's chain was not valid at {t.Time:u}");
            }
        }

        if (_options.SctThreshold > 0)
        {
            int verified;
            string? problem;
            try
            {
                verified = SignedCertificateTimestamps.CountVerified(leaf, issuerCa.Issuer, _root, out problem);
            }
            catch (SigstoreFormatException e)
            {
                return VerificationResult.Fail(SigstoreCodes.SctInvalid, e.Message);
            }

            if (verified < _options.SctThreshold)
            {
                return VerificationResult.Fail(verified == 0 && problem?.Contains("no signed", StringComparison.Ordinal) == true ? SigstoreCodes.SctMissing : SigstoreCodes.SctInvalid, problem ?? "not enough verified SCTs");
            }
        }

        return null;
    }

    private static string Describe(VerifiedTimestamp t) => t.Source == TimestampSource.TransparencyLog ? $"the log {t.Authority}" : $"the timestamp authority {t.Authority}";
}
