namespace Vouch.Sandbox.Sigstore;

/// <summary>Bundle media type (and with it, how the certificate is carried).</summary>
public enum BundleVersion
{
    /// <summary>`application/vnd.dev.sigstore.bundle+json;version=0.1`: x509CertificateChain; the SET is what counts.</summary>
    V01,

    /// <summary>`application/vnd.dev.sigstore.bundle+json;version=0.2`: x509CertificateChain; inclusion proof required.</summary>
    V02,

    /// <summary>`application/vnd.dev.sigstore.bundle.v0.3+json`: a single `certificate`.</summary>
    V03,
}

/// <summary>The Rekor entry type used for a DSSE envelope on a v1 log.</summary>
public enum DsseEntryKind
{
    /// <summary>`dsse` 0.0.1 on Rekor v1, `dsse` 0.0.2 on Rekor v2.</summary>
    Dsse,

    /// <summary>`intoto` 0.0.2 (what npm's provenance bundles use). Rekor v1 only.</summary>
    Intoto,
}

/// <summary>The leaf certificate's extended key usage.</summary>
public enum LeafExtendedKeyUsage
{
    /// <summary>codeSigning, as Fulcio issues.</summary>
    CodeSigning,

    /// <summary>No EKU extension at all.</summary>
    Omitted,

    /// <summary>serverAuth instead of codeSigning.</summary>
    ServerAuth,
}

/// <summary>Which certificates go into an x509CertificateChain.</summary>
public enum CertificateChain
{
    /// <summary>The leaf only (what Sigstore clients emit).</summary>
    LeafOnly,

    /// <summary>Leaf and intermediate.</summary>
    LeafAndIntermediate,

    /// <summary>Leaf, intermediate and the root (as early npm bundles did). Vouch tolerates a byte-identical copy of a trusted CA certificate and refuses any other root.</summary>
    LeafIntermediateAndRoot,
}

/// <summary>The embedded SCT of the leaf certificate.</summary>
public enum SctMode
{
    /// <summary>A valid SCT from the instance's CT log.</summary>
    Valid,

    /// <summary>No SCT extension.</summary>
    Omitted,

    /// <summary>A well-formed SCT from a CT log the trusted root does not list (its own key and log ID).</summary>
    UnknownLog,

    /// <summary>An SCT naming the trusted CT log but signed by another key.</summary>
    BadSignature,
}

/// <summary>
/// How to sign and log one bundle. The defaults give a fully valid bundle; every other property is
/// an explicit knob that breaks exactly one thing, for negative tests. A knob that cannot apply
/// (say, an integrated time on a Rekor v2 log) makes signing throw rather than be ignored.
/// </summary>
public sealed record SigningRequest
{
    /// <summary>The workflow the Fulcio certificate is issued to. Required for certificate signing, ignored by key signing.</summary>
    public GitHubWorkflowIdentity? Identity { get; init; }

    public BundleVersion BundleVersion { get; init; } = BundleVersion.V03;

    /// <summary>Which log records the entry.</summary>
    public RekorVersion Log { get; init; } = RekorVersion.V1;

    public DsseEntryKind DsseEntryKind { get; init; } = DsseEntryKind.Dsse;

    /// <summary>
    /// When the signing happens; default: the instance's clock. Not a tampering knob: the leaf's
    /// validity, the SCT, the integrated time and any timestamp all follow it, so the bundle stays
    /// consistent. The sandbox registry uses it to log a publish at a scenario's past publish time.
    /// </summary>
    public DateTimeOffset? SigningTime { get; init; }

    /// <summary>
    /// Add an RFC 3161 timestamp over the signature. Null means "when the log gives no integrated time
    /// (Rekor v2) or a timestamp knob below is set", so that a default request always yields a
    /// verifiable bundle; false with a timestamp knob set is rejected.
    /// </summary>
    public bool? AddTimestamp { get; init; }

    // ---- certificate knobs ----

    /// <summary>Leaf notBefore; default: signing time.</summary>
    public DateTimeOffset? CertificateNotBefore { get; init; }

    /// <summary>Leaf notAfter; default: notBefore + 10 minutes.</summary>
    public DateTimeOffset? CertificateNotAfter { get; init; }

    public LeafExtendedKeyUsage ExtendedKeyUsage { get; init; } = LeafExtendedKeyUsage.CodeSigning;

    /// <summary>
    /// Certificates in the bundle. Anything but <see cref="CertificateChain.LeafOnly"/> writes an
    /// x509CertificateChain even in a v0.3 bundle (which the v0.3 spec forbids: itself a negative case).
    /// </summary>
    public CertificateChain Chain { get; init; } = CertificateChain.LeafOnly;

    /// <summary>Sign the content with a fresh key other than the one the certificate (or managed key) certifies.</summary>
    public bool SignWithOtherKey { get; init; }

    public SctMode Sct { get; init; } = SctMode.Valid;

    /// <summary>SCT timestamp; default: signing time.</summary>
    public DateTimeOffset? SctTimestamp { get; init; }

    // ---- transparency log knobs ----

    /// <summary>Integrated time recorded (and signed into the SET) by a v1 log; default: signing time.</summary>
    public DateTimeOffset? IntegratedTime { get; init; }

    /// <summary>Sign the SET with a key other than the log's (v1 only).</summary>
    public bool SignSetWithUntrustedKey { get; init; }

    /// <summary>Leave out inclusionPromise (v1 only; v2 entries never have one).</summary>
    public bool OmitInclusionPromise { get; init; }

    public bool OmitInclusionProof { get; init; }

    /// <summary>Inclusion proof without its checkpoint.</summary>
    public bool OmitCheckpoint { get; init; }

    /// <summary>Checkpoint with the log's name and key hint but a signature by another key.</summary>
    public bool SignCheckpointWithUntrustedKey { get; init; }

    // ---- timestamp knobs (imply a timestamp unless AddTimestamp is false) ----

    /// <summary>Timestamp these bytes instead of the signature (a message-imprint mismatch).</summary>
    public byte[]? TimestampedBytes { get; init; }

    /// <summary>genTime of the timestamp; default: signing time.</summary>
    public DateTimeOffset? TimestampTime { get; init; }

    /// <summary>Embed the TSA's certificate in the token (real Sigstore TSAs do; both must verify).</summary>
    public bool TimestampEmbedsCertificate { get; init; } = true;

    /// <summary>Timestamp from a TSA the trusted root does not list.</summary>
    public bool TimestampFromUntrustedAuthority { get; init; }

    internal bool WantsTimestamp(bool logHasIntegratedTime) =>
        AddTimestamp ?? (!logHasIntegratedTime || TimestampedBytes is not null || TimestampTime is not null || TimestampFromUntrustedAuthority);
}
