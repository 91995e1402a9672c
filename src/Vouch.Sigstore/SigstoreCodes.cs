namespace Vouch.Sigstore;

/// <summary>
/// Stable failure codes of Sigstore verification. Tests assert on them, the CLI turns them into
/// sentences, docs/codes.md lists them. Never rename one: add a new code instead.
/// </summary>
public static class SigstoreCodes
{
    public const string BundleMalformed = "SIGSTORE_BUNDLE_MALFORMED";
    public const string BundleUnsupportedVersion = "SIGSTORE_BUNDLE_UNSUPPORTED_VERSION";
    public const string TrustedRootMalformed = "SIGSTORE_TRUSTED_ROOT_MALFORMED";

    public const string CertificateMalformed = "SIGSTORE_CERT_MALFORMED";
    public const string CertificateRootInBundle = "SIGSTORE_CERT_ROOT_IN_BUNDLE";
    public const string CertificateChain = "SIGSTORE_CERT_CHAIN";
    public const string CertificateValidity = "SIGSTORE_CERT_VALIDITY";
    public const string CertificateAuthorityValidity = "SIGSTORE_CERT_CA_VALIDITY";
    public const string CertificateUsage = "SIGSTORE_CERT_USAGE";

    public const string SctMissing = "SIGSTORE_SCT_MISSING";
    public const string SctInvalid = "SIGSTORE_SCT_INVALID";

    public const string TlogMissing = "SIGSTORE_TLOG_MISSING";
    public const string TlogUnknownLog = "SIGSTORE_TLOG_UNKNOWN_LOG";
    public const string TlogKind = "SIGSTORE_TLOG_KIND";
    public const string TlogBodyMismatch = "SIGSTORE_TLOG_BODY_MISMATCH";
    public const string TlogInclusionPromise = "SIGSTORE_TLOG_INCLUSION_PROMISE";
    public const string TlogInclusionProofMissing = "SIGSTORE_TLOG_INCLUSION_PROOF_MISSING";
    public const string TlogInclusionProof = "SIGSTORE_TLOG_INCLUSION_PROOF";
    public const string TlogCheckpoint = "SIGSTORE_TLOG_CHECKPOINT";
    public const string TlogTime = "SIGSTORE_TLOG_TIME";
    public const string TlogKeyValidity = "SIGSTORE_TLOG_KEY_VALIDITY";

    public const string TimestampInvalid = "SIGSTORE_TIMESTAMP_INVALID";
    public const string TimestampUntrusted = "SIGSTORE_TIMESTAMP_UNTRUSTED";
    public const string TimestampMissing = "SIGSTORE_TIMESTAMP_MISSING";

    public const string SignatureInvalid = "SIGSTORE_SIGNATURE_INVALID";
    public const string DigestMismatch = "SIGSTORE_DIGEST_MISMATCH";
    public const string ArtifactDigestUnusable = "SIGSTORE_ARTIFACT_DIGEST_UNUSABLE";
    public const string DsseSignatureInvalid = "SIGSTORE_DSSE_SIGNATURE_INVALID";
    public const string DssePayloadMalformed = "SIGSTORE_DSSE_PAYLOAD_MALFORMED";
    public const string DsseSubjectMismatch = "SIGSTORE_DSSE_SUBJECT_MISMATCH";

    public const string IdentityMismatch = "SIGSTORE_IDENTITY_MISMATCH";
    public const string IssuerMismatch = "SIGSTORE_ISSUER_MISMATCH";
    public const string KeyRequired = "SIGSTORE_KEY_REQUIRED";
    public const string CertificateRequired = "SIGSTORE_CERT_REQUIRED";
}
