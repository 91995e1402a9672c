namespace Vouch.Npm;

/// <summary>
/// Caps specific to the npm layer that <see cref="Limits"/> does not (yet) carry. They bound what a
/// registry, a config file or a command line may make us allocate; move them to Limits if another
/// layer needs them.
/// </summary>
internal static class NpmLimits
{
    /// <summary>
    /// Longest range string we parse. node-semver has no cap on ranges (only 256 for versions), but
    /// real ranges are short and our parser uses backtracking regexes, so bound the input.
    /// </summary>
    public const int MaxRangeLength = 8 * 1024;

    /// <summary>Longest `name@spec` argument we parse.</summary>
    public const int MaxPackageSpecLength = 8 * 1024;

    /// <summary>Largest `GET /-/npm/v1/keys` document.</summary>
    public const long MaxKeysBytes = 1024 * 1024;

    /// <summary>Largest attestations document (it carries two Sigstore bundles, each capped by Limits.MaxBundleBytes).</summary>
    public const long MaxAttestationsBytes = 2L * Limits.MaxBundleBytes;

    /// <summary>Keys in one registry keys document.</summary>
    public const int MaxRegistryKeys = 64;

    /// <summary>Attestations in one attestations document.</summary>
    public const int MaxAttestations = 16;

    /// <summary>Signatures in one version's dist.signatures.</summary>
    public const int MaxDistSignatures = 16;

    /// <summary>How many directories we climb looking for the project root.</summary>
    public const int MaxProjectWalkDepth = 64;
}
