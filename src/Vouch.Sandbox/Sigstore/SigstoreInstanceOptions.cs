namespace Vouch.Sandbox.Sigstore;

/// <summary>
/// How a <see cref="SigstoreInstance"/> presents itself. URLs only go into the trusted root (and,
/// through their host names, into checkpoints); nothing here makes a network call.
/// </summary>
public sealed record SigstoreInstanceOptions
{
    /// <summary>Organization (O=) of every CA and TSA certificate.</summary>
    public string Organization { get; init; } = "vouch-sandbox";

    public string FulcioUrl { get; init; } = "https://fulcio.sandbox.vouch.test";

    /// <summary>Rekor v1 base URL; its host is the checkpoint signer name and origin prefix.</summary>
    public string RekorUrl { get; init; } = "https://rekor.sandbox.vouch.test";

    /// <summary>Rekor v2 base URL; its host is the checkpoint origin and signer name.</summary>
    public string RekorV2Url { get; init; } = "https://log2025-1.rekor.sandbox.vouch.test";

    public string CtLogUrl { get; init; } = "https://ctfe.sandbox.vouch.test/2025";

    public string TsaUrl { get; init; } = "https://timestamp.sandbox.vouch.test/api/v1/timestamp";

    /// <summary>Run a second, Rekor v2 style log (Ed25519) next to the v1 log.</summary>
    public bool EnableRekorV2 { get; init; } = true;

    /// <summary>
    /// Start of every validity window (CA certificates, trusted-root `validFor.start`). Default: one
    /// day before creation, so tests whose clock moves a little backwards still sign inside it.
    /// </summary>
    public DateTimeOffset? ValidFrom { get; init; }

    /// <summary>Optional `validFor.end` written for every trusted-root entry (certificates still last ten years).</summary>
    public DateTimeOffset? ValidUntil { get; init; }

    /// <summary>Rekor v1 tree ID (in the checkpoint origin). Default: random.</summary>
    public long? RekorTreeId { get; init; }
}
