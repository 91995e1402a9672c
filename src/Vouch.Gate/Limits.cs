namespace Vouch.Gate;

/// <summary>The gate's caps on what upstream registries and clients send; the layer that parses each document sets the number.</summary>
internal static class Limits
{
    /// <summary>JSON nesting depth of packuments and evidence documents.</summary>
    public const int MaxJsonDepth = Vouch.Npm.Limits.MaxJsonDepth;

    public const long MaxPackumentBytes = Vouch.Npm.Limits.MaxPackumentBytes;

    public const long MaxTarballBytes = Vouch.Npm.Limits.MaxTarballBytes;

    /// <summary>One Sigstore bundle (attestations documents carry two).</summary>
    public const int MaxBundleBytes = Vouch.Sigstore.Limits.MaxBundleBytes;

    /// <summary>Largest tarball a publish may carry (decoded); <c>GatePublishOptions.MaxTarballBytes</c> may lower or raise it.</summary>
    public const long MaxPublishTarballBytes = 64L * 1024 * 1024;

    /// <summary>A publish request's body beyond its base64 tarball: the document and a provenance bundle.</summary>
    public const long MaxPublishDocumentBytes = 4L * 1024 * 1024;

    /// <summary>Uncompressed bytes read from a published tarball (a gzip bomb stops here).</summary>
    public const long MaxPublishUnpackedBytes = 1024L * 1024 * 1024;

    /// <summary>Entries in a published tarball.</summary>
    public const int MaxPublishTarEntries = 100_000;

    /// <summary>Issue 17: one posted review (a Sigstore bundle); the reviews layer's own cap.</summary>
    public const long MaxReviewBodyBytes = Vouch.Reviews.ReviewLimits.MaxBundleBytes;

    /// <summary>Issue 17: stored reviews loaded into memory at start-up (and answered per list request).</summary>
    public const int MaxStoredReviews = 100_000;

    /// <summary>The tarball's package.json.</summary>
    public const int MaxPublishManifestBytes = 1024 * 1024;
}
