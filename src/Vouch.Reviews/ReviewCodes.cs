namespace Vouch.Reviews;

/// <summary>Stable codes of `vouch review` (docs/codes.md, section "Reviews").</summary>
public static class ReviewCodes
{
    // Records (exit 2: the input is bad).
    public const string FileMalformed = "VOUCH_REVIEW_FILE_MALFORMED";
    public const string FileTooLarge = "VOUCH_REVIEW_FILE_TOO_LARGE";
    public const string UnknownCriterion = "VOUCH_REVIEW_UNKNOWN_CRITERION";

    // Coverage (exit 1).
    public const string NotCovered = "VOUCH_REVIEW_NOT_COVERED";
    public const string Violation = "VOUCH_REVIEW_VIOLATION";
    public const string ExemptionExpired = "VOUCH_REVIEW_EXEMPTION_EXPIRED";
    public const string ImportDigestMismatch = "VOUCH_REVIEW_IMPORT_DIGEST_MISMATCH";
    public const string ImportUnpinned = "VOUCH_REVIEW_IMPORT_UNPINNED";
    public const string ImportMissing = "VOUCH_REVIEW_IMPORT_MISSING";

    // Signed reviews (exit 1).
    public const string SignatureInvalid = "VOUCH_REVIEW_SIGNATURE_INVALID";
    public const string SubjectMismatch = "VOUCH_REVIEW_SUBJECT_MISMATCH";
    public const string PredicateMalformed = "VOUCH_REVIEW_PREDICATE_MALFORMED";
    public const string ReviewerUnknown = "VOUCH_REVIEW_REVIEWER_UNKNOWN";
    public const string ReviewerDistrusted = "VOUCH_REVIEW_REVIEWER_DISTRUSTED";
    public const string ReviewerTooFar = "VOUCH_REVIEW_REVIEWER_TRUST_TOO_LOW";

    // Keyless signing (certify --sign --identity-token-env): refused = exit 2, unavailable = exit 3, unverified = exit 1.
    public const string SigningRefused = "VOUCH_REVIEW_SIGNING_REFUSED";
    public const string SigningUnavailable = "VOUCH_REVIEW_SIGNING_UNAVAILABLE";
    public const string SigningUnverified = "VOUCH_REVIEW_SIGNING_UNVERIFIED";

    // Tarballs and the registry.
    public const string TarballMalformed = "VOUCH_REVIEW_TARBALL_MALFORMED";
    public const string TarballIntegrity = "VOUCH_REVIEW_TARBALL_INTEGRITY";
    public const string RegistryFailed = "VOUCH_REVIEW_REGISTRY_FAILED";
}
