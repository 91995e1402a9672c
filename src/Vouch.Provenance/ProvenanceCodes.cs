namespace Vouch.Provenance;

/// <summary>Stable codes of package-level checks (docs/codes.md). Never renamed.</summary>
public static class ProvenanceCodes
{
    public const string PackageNotFound = "VOUCH_PACKAGE_NOT_FOUND";
    public const string VersionNotFound = "VOUCH_VERSION_NOT_FOUND";
    public const string TarballNotFound = "VOUCH_TARBALL_NOT_FOUND";

    public const string IntegrityMissing = "VOUCH_INTEGRITY_MISSING";
    public const string IntegrityMismatch = "VOUCH_INTEGRITY_MISMATCH";

    public const string SignatureInvalid = "VOUCH_SIG_INVALID";
    public const string SignatureKeyUnknown = "VOUCH_SIG_KEY_UNKNOWN";
    public const string SignatureKeyNotValid = "VOUCH_SIG_KEY_NOT_VALID";

    public const string AttestationsMalformed = "VOUCH_ATTESTATIONS_MALFORMED";
    public const string ProvenanceInvalid = "VOUCH_PROVENANCE_INVALID";
    public const string ProvenanceSubjectMismatch = "VOUCH_PROVENANCE_SUBJECT_MISMATCH";
    public const string ProvenancePredicateMalformed = "VOUCH_PROVENANCE_PREDICATE_MALFORMED";
    public const string ProvenanceIdentityMismatch = "VOUCH_PROVENANCE_IDENTITY_MISMATCH";

    public const string PublishAttestationInvalid = "VOUCH_PUBLISH_ATTESTATION_INVALID";
    public const string PublishAttestationMismatch = "VOUCH_PUBLISH_ATTESTATION_MISMATCH";
    public const string PublishAttestationKeyUnknown = "VOUCH_PUBLISH_ATTESTATION_KEY_UNKNOWN";

    public const string SourceMismatch = "VOUCH_SOURCE_MISMATCH";
}

/// <summary>One failed or noteworthy check: a stable code and a sentence.</summary>
public sealed record Problem(string Code, string Message);
