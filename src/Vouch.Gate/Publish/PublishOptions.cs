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
