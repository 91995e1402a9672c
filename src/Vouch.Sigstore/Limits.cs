namespace Vouch;

/// <summary>
/// Caps on untrusted input. Every parser in Vouch reads its bounds from here so that one place
/// says how much an attacker-controlled document may make us allocate or recurse.
/// </summary>
public static class Limits
{
    /// <summary>Largest Sigstore bundle (JSON) we parse.</summary>
    public const int MaxBundleBytes = 8 * 1024 * 1024;

    /// <summary>Largest trusted root / TUF metadata document.</summary>
    public const int MaxTrustMaterialBytes = 4 * 1024 * 1024;

    /// <summary>Largest DSSE payload (decoded).</summary>
    public const int MaxDssePayloadBytes = 4 * 1024 * 1024;

    /// <summary>Largest X.509 certificate (DER).</summary>
    public const int MaxCertificateBytes = 64 * 1024;

    /// <summary>Certificates in one chain (bundle or trusted root).</summary>
    public const int MaxCertificateChainLength = 10;

    /// <summary>Transparency log entries in one bundle.</summary>
    public const int MaxTlogEntries = 32;

    /// <summary>RFC 3161 timestamps in one bundle.</summary>
    public const int MaxTimestamps = 32;

    /// <summary>Hashes in one Merkle inclusion proof (a tree of 2^64 leaves needs 64).</summary>
    public const int MaxInclusionProofHashes = 64;

    /// <summary>Signatures in one DSSE envelope.</summary>
    public const int MaxDsseSignatures = 16;

    /// <summary>Signature lines in one checkpoint (signed note).</summary>
    public const int MaxCheckpointSignatures = 32;

    /// <summary>Largest checkpoint text.</summary>
    public const int MaxCheckpointBytes = 64 * 1024;

    /// <summary>Embedded SCTs in one certificate.</summary>
    public const int MaxEmbeddedScts = 32;

    /// <summary>Entries of each kind (CAs, logs, TSAs) in one trusted root.</summary>
    public const int MaxTrustedRootEntries = 256;

    /// <summary>Subjects in one in-toto statement.</summary>
    public const int MaxStatementSubjects = 1024;

    /// <summary>JSON nesting depth accepted from untrusted documents.</summary>
    public const int MaxJsonDepth = 64;

    /// <summary>Largest npm packument (full document) accepted from a registry.</summary>
    public const long MaxPackumentBytes = 64L * 1024 * 1024;

    /// <summary>Largest npm tarball accepted from a registry.</summary>
    public const long MaxTarballBytes = 256L * 1024 * 1024;

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

    /// <summary>Largest `.npmrc` or policy file.</summary>
    public const int MaxConfigFileBytes = 1024 * 1024;
}
