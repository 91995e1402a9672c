namespace Vouch.Provenance.Slsa;

/// <summary>
/// What the SLSA mapping trusts, beyond the built-in rows. The defaults are the public-good platforms;
/// a policy can name more (a GitLab self-managed instance it runs as a hosted platform, its own
/// isolated reusable builder).
/// </summary>
public sealed record SlsaMappingOptions
{
    public const string GitHubActionsIssuer = "https://token.actions.githubusercontent.com";
    public const string GitLabIssuer = "https://gitlab.com";

    /// <summary>OIDC issuers of hosted build platforms, with the platform name each stands for.</summary>
    public IReadOnlyDictionary<string, string> HostedIssuers { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [GitHubActionsIssuer] = "github-actions",
        [GitLabIssuer] = "gitlab-ci",
    };

    /// <summary>
    /// Runner environments (certificate extension 1.3.6.1.4.1.57264.1.11) that are the platform's own
    /// machines. Anything else (self-hosted) is the tenant's machine.
    /// </summary>
    public IReadOnlySet<string> HostedRunnerEnvironments { get; init; } = new HashSet<string>(StringComparer.Ordinal) { "github-hosted", "gitlab-hosted" };

    /// <summary>
    /// Signer identities (certificate SAN, prefix match up to <c>@</c>) of builders that generate and
    /// sign provenance in a job the calling workflow's steps cannot reach: SLSA Build L3. Default: the
    /// SLSA GitHub generator's Node.js and generic builders, on release tags.
    /// </summary>
    public IReadOnlyList<string> IsolatedBuilders { get; init; } =
    [
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_nodejs_slsa3.yml@refs/tags/v",
        "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v",
    ];

    public static SlsaMappingOptions Default { get; } = new();
}
