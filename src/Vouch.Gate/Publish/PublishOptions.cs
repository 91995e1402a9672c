namespace Vouch.Gate.Publish;

/// <summary>
/// The publish path (<c>vouch serve --publish-to</c>): the organisation's registry accepted
/// publishes are forwarded to, and the gate's own credential for it. Clients never hold it.
/// </summary>
public sealed record GatePublishOptions
{
    /// <summary>The organisation's registry (ends with '/').</summary>
    public required Uri Target { get; init; }

    /// <summary>The gate's token for <see cref="Target"/> (sent as <c>Authorization: Bearer</c>); never logged, never on the command line.</summary>
    public required string Credential { get; init; }

    /// <summary>Largest tarball a publish may carry (decoded).</summary>
    public long MaxTarballBytes { get; init; } = Limits.MaxPublishTarballBytes;

    /// <summary>How long a held publish waits for an approver before it is dropped.</summary>
    public TimeSpan StageTtl { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The publish rules; null: the publish: section of the gate's policy file (none without one).</summary>
    public Vouch.Policy.Publish.PublishPolicy? Policy { get; init; }

    /// <summary>Largest request body: the base64 tarball plus the document and a provenance bundle.</summary>
    public long MaxBodyBytes => (MaxTarballBytes + 2) / 3 * 4 + Limits.MaxPublishDocumentBytes;

    public IEnumerable<string> Validate()
    {
        if (!Target.IsAbsoluteUri || Target.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(Target.Query) || !string.IsNullOrEmpty(Target.UserInfo) || !Target.AbsolutePath.EndsWith('/'))
        {
            yield return $"publish-to: '{Target}' is not an http(s) URL ending with '/' without query or credentials";
        }

        if (string.IsNullOrWhiteSpace(Credential) || Credential.Length > 4096 || Credential.Any(c => c < 0x21 || c > 0x7e))
        {
            yield return "publish-credential: empty, longer than 4096 characters, or not printable ASCII";
        }

        if (MaxTarballBytes <= 0 || StageTtl <= TimeSpan.Zero)
        {
            yield return "publish: the tarball cap and the staging time must be positive";
        }
    }
}

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
