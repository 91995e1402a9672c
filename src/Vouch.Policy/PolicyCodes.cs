namespace Vouch.Policy;

/// <summary>Stable codes of policy findings (docs/codes.md, docs/policy.md). Never renamed.</summary>
public static class PolicyCodes
{
    public const string SignatureRequired = "VOUCH_POLICY_SIGNATURE_REQUIRED";
    public const string ProvenanceRequired = "VOUCH_POLICY_PROVENANCE_REQUIRED";
    public const string SourceUnverified = "VOUCH_POLICY_SOURCE_UNVERIFIED";
    public const string SourceRepository = "VOUCH_POLICY_SOURCE_REPOSITORY";
    public const string SourceWorkflow = "VOUCH_POLICY_SOURCE_WORKFLOW";
    public const string SourceRef = "VOUCH_POLICY_SOURCE_REF";
    public const string SourceBuilder = "VOUCH_POLICY_SOURCE_BUILDER";
    public const string SourceIssuer = "VOUCH_POLICY_SOURCE_ISSUER";
    public const string SourceRunner = "VOUCH_POLICY_SOURCE_RUNNER";
    public const string TrustDowngrade = "VOUCH_POLICY_TRUST_DOWNGRADE";
    public const string TrustDowngradeSource = "VOUCH_POLICY_TRUST_DOWNGRADE_SOURCE";
    public const string MajorBump = "VOUCH_POLICY_MAJOR_BUMP";
    public const string NewDependency = "VOUCH_POLICY_NEW_DEPENDENCY";
    public const string ReleaseAge = "VOUCH_POLICY_RELEASE_AGE";
    public const string ReleaseTimeUnknown = "VOUCH_POLICY_RELEASE_TIME_UNKNOWN";
    public const string InstallScripts = "VOUCH_POLICY_INSTALL_SCRIPTS";
    public const string Deprecated = "VOUCH_POLICY_DEPRECATED";
    public const string Denied = "VOUCH_POLICY_DENIED";
    public const string ExceptionExpired = "VOUCH_POLICY_EXCEPTION_EXPIRED";
    public const string ApprovalExpired = "VOUCH_POLICY_APPROVAL_EXPIRED";
    public const string SlsaLevel = "VOUCH_POLICY_SLSA_LEVEL";
    public const string AdvisoryDatabaseMissing = "VOUCH_POLICY_ADVISORY_DB_MISSING";
    public const string VersionUnknown = "VOUCH_POLICY_VERSION_UNKNOWN";
    public const string ReviewsUnavailable = "VOUCH_POLICY_REVIEWS_UNAVAILABLE";

    // Publish rules (publish: in vouch.policy.yml; enforced by the gate in front of an organisation's registry).
    public const string PublishProvenanceRequired = "VOUCH_POLICY_PUBLISH_PROVENANCE_REQUIRED";
    public const string PublishSource = "VOUCH_POLICY_PUBLISH_SOURCE";
    public const string PublishTrustedPublisher = "VOUCH_POLICY_PUBLISH_TRUSTED_PUBLISHER";
    public const string PublishTrustDowngrade = "VOUCH_POLICY_PUBLISH_TRUST_DOWNGRADE";
    public const string PublishNewMajor = "VOUCH_POLICY_PUBLISH_NEW_MAJOR";
    public const string PublishInstallScripts = "VOUCH_POLICY_PUBLISH_INSTALL_SCRIPTS";
    public const string PublishNewPublisher = "VOUCH_POLICY_PUBLISH_NEW_PUBLISHER";
}
