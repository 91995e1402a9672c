namespace Vouch.Audit;

/// <summary>Stable codes of checks the audit adds to the per-version evidence (docs/codes.md). Never renamed.</summary>
public static class AuditCodes
{
    /// <summary>The lockfile pins an integrity that differs from the registry's signed <c>dist.integrity</c>.</summary>
    public const string IntegrityMismatch = "VOUCH_AUDIT_INTEGRITY_MISMATCH";

    /// <summary>The lockfile records no integrity usable to tie the installed bytes to the registry's.</summary>
    public const string IntegrityUnpinned = "VOUCH_AUDIT_INTEGRITY_UNPINNED";

    /// <summary>The lockfile's <c>resolved</c> URL is on a host other than the registry that serves the package.</summary>
    public const string ResolvedElsewhere = "VOUCH_AUDIT_RESOLVED_ELSEWHERE";

    /// <summary>The registry publishes signing keys, but this version carries no signature.</summary>
    public const string SignatureMissing = "VOUCH_AUDIT_SIGNATURE_MISSING";

    /// <summary>The registry does not know the package.</summary>
    public const string PackageNotFound = "VOUCH_AUDIT_PACKAGE_NOT_FOUND";

    /// <summary>The registry knows the package but not the pinned version (unpublished, or never published there).</summary>
    public const string VersionNotFound = "VOUCH_AUDIT_VERSION_NOT_FOUND";

    /// <summary>The registry answered with a document that cannot be used.</summary>
    public const string RegistryResponseInvalid = "VOUCH_AUDIT_REGISTRY_RESPONSE_INVALID";

    /// <summary>Not from a registry (git, remote tarball, local path, workspace) or bundled inside another package: no registry evidence can exist.</summary>
    public const string NotFromRegistry = "VOUCH_AUDIT_NOT_FROM_REGISTRY";

    /// <summary>The registry or the network failed for this package: the answer is unknown.</summary>
    public const string NetworkError = "VOUCH_AUDIT_NETWORK";
}
