namespace Vouch.Gate.Publish;

/// <summary>Stable codes of the publish path (docs/codes.md).</summary>
public static class PublishCodes
{
    /// <summary>The publish document is not what npm sends: listed fields are missing, of the wrong type or inconsistent.</summary>
    public const string BadDocument = "VOUCH_GATE_PUBLISH_BAD_DOCUMENT";

    /// <summary>The publish is larger than the gate's caps (tarball, document, bundle).</summary>
    public const string TooLarge = "VOUCH_GATE_PUBLISH_TOO_LARGE";

    /// <summary>A tarball attachment is not strict base64, its length field differs from its bytes, or it is not a complete gzip tar.</summary>
    public const string BadTarball = "VOUCH_GATE_PUBLISH_BAD_TARBALL";

    /// <summary>dist.integrity or dist.shasum sent by the client is not the digest of the attached tarball.</summary>
    public const string IntegrityMismatch = "VOUCH_GATE_PUBLISH_INTEGRITY_MISMATCH";

    /// <summary>The tarball's package.json names another package or version than the document.</summary>
    public const string ManifestMismatch = "VOUCH_GATE_PUBLISH_MANIFEST_MISMATCH";

    /// <summary>The version is already in the organisation's registry, or already staged.</summary>
    public const string VersionExists = "VOUCH_GATE_PUBLISH_VERSION_EXISTS";

    /// <summary>The attached provenance bundle does not verify against the gate's trust material, or is about another tarball.</summary>
    public const string ProvenanceInvalid = "VOUCH_GATE_PUBLISH_PROVENANCE_INVALID";

    /// <summary>A publish rule holds the version: staged at the gate until an approver grants it.</summary>
    public const string Staged = "VOUCH_GATE_PUBLISH_STAGED";

    /// <summary>The organisation's registry could not be reached or refused the gate's forward.</summary>
    public const string TargetFailed = "VOUCH_GATE_PUBLISH_TARGET_FAILED";
}
