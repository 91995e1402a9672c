namespace Vouch.Reviews;

/// <summary>Caps on untrusted review input: audit files come from other organisations, tarballs from the registry.</summary>
public static class ReviewLimits
{
    /// <summary>One audit or config file (Mozilla's aggregated feed is 0.5 MB).</summary>
    public const long MaxFileBytes = 16 * 1024 * 1024;

    /// <summary>Entries of every kind (audits, exemptions, trusted, violations) in one file.</summary>
    public const int MaxEntries = 200_000;

    /// <summary>Custom criteria one file may define (criteria sets are 64-bit masks).</summary>
    public const int MaxCriteria = 62;

    /// <summary>Imports one configuration may name.</summary>
    public const int MaxImports = 64;

    /// <summary>Length of any string value (notes included).</summary>
    public const int MaxStringLength = 64 * 1024;

    /// <summary>Signed review bundles read at once.</summary>
    public const long MaxBundleBytes = 1024 * 1024;

    /// <summary>Files in one tarball read for a diff.</summary>
    public const int MaxTarballFiles = 20_000;

    /// <summary>Unpacked bytes of one tarball read for a diff (a decompression bomb stops here).</summary>
    public const long MaxUnpackedBytes = 512L * 1024 * 1024;

    /// <summary>Reviewers and trust edges in a trust file.</summary>
    public const int MaxTrustEntries = 10_000;

    /// <summary>Longest trust path followed, whatever a configuration asks.</summary>
    public const int MaxTrustDepth = 8;
}
