namespace Vouch.Npm;

/// <summary>
/// Caps on untrusted npm input: what a registry, a lockfile, a config file or a command line may make
/// us allocate or recurse. The npm layer's own; layers above refer to them by name.
/// </summary>
public static class Limits
{
    /// <summary>JSON nesting depth accepted from registry documents.</summary>
    public const int MaxJsonDepth = 64;

    /// <summary>Largest npm packument (full document) accepted from a registry.</summary>
    public const long MaxPackumentBytes = 64L * 1024 * 1024;

    /// <summary>Largest npm tarball accepted from a registry.</summary>
    public const long MaxTarballBytes = 256L * 1024 * 1024;

    /// <summary>Largest `.npmrc`.</summary>
    public const int MaxConfigFileBytes = 1024 * 1024;

    // ---- lockfiles (src/Vouch.Npm/Lockfiles) ----

    /// <summary>Largest lockfile accepted.</summary>
    public const long MaxLockfileBytes = 128L * 1024 * 1024;

    /// <summary>Package entries in one lockfile (the largest real monorepo lockfiles hold tens of thousands).</summary>
    public const int MaxLockfileEntries = 500_000;

    /// <summary>Nesting depth of a lockfile (npm v1 `dependencies` inside `dependencies`, YAML or JSON levels).</summary>
    public const int MaxLockfileDepth = 64;

    /// <summary>Longest single key, line or scalar in a lockfile (keys list every range that resolved to an entry).</summary>
    public const int MaxLockfileLineLength = 1024 * 1024;

    // ---- end of lockfiles ----

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
    public const long MaxAttestationsBytes = 2L * Vouch.Sigstore.Limits.MaxBundleBytes;

    /// <summary>Keys in one registry keys document.</summary>
    public const int MaxRegistryKeys = 64;

    /// <summary>Attestations in one attestations document.</summary>
    public const int MaxAttestations = 16;

    /// <summary>Signatures in one version's dist.signatures.</summary>
    public const int MaxDistSignatures = 16;

    /// <summary>How many directories we climb looking for the project root.</summary>
    public const int MaxProjectWalkDepth = 64;
}
