namespace Vouch.Sigstore;

/// <summary>
/// Caps on untrusted Sigstore input (bundles, trusted roots, certificates, logs). Each layer owns its
/// caps in a `Limits` of its own (Vouch.Npm.Limits, Vouch.Policy.Limits, ...); this one knows nothing of npm.
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
}
