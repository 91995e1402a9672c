namespace Vouch.Sandbox.Sigstore;

/// <summary>
/// The GitHub Actions run a sandbox certificate claims to come from: what Fulcio would read from the
/// run's OIDC token. Everything the certificate and the SLSA provenance say derives from here, so a
/// test changes one property (say, <see cref="Ref"/>) and gets a consistent, valid identity.
/// </summary>
/// <param name="Repository">`owner/name`.</param>
/// <param name="Ref">Git ref the workflow ran for, e.g. `refs/tags/v1.0.0`.</param>
/// <param name="Sha">Commit SHA (hex).</param>
/// <param name="WorkflowPath">Workflow file path in the repository, e.g. `.github/workflows/release.yml`.</param>
public sealed record GitHubWorkflowIdentity(string Repository, string Ref, string Sha, string WorkflowPath)
{
    /// <summary>The GitHub Actions OIDC issuer.</summary>
    public const string GitHubActionsIssuer = "https://token.actions.githubusercontent.com";

    /// <summary>OIDC issuer written into the certificate (extensions .1.1 and .1.8).</summary>
    public string Issuer { get; init; } = GitHubActionsIssuer;

    public string ServerUrl { get; init; } = "https://github.com";

    /// <summary>The event that started the run (`event_name`): push, release, workflow_dispatch...</summary>
    public string Trigger { get; init; } = "push";

    /// <summary>`github-hosted` or `self-hosted`.</summary>
    public string RunnerEnvironment { get; init; } = "github-hosted";

    /// <summary>The workflow's `name:` (legacy extension .1.4).</summary>
    public string WorkflowName { get; init; } = "Release";

    public string RunId { get; init; } = "1000000001";

    public string RunAttempt { get; init; } = "1";

    public string RepositoryId { get; init; } = "100000001";

    public string OwnerId { get; init; } = "200000001";

    /// <summary>`public`, `private` or `internal` (extension .1.22).</summary>
    public string Visibility { get; init; } = "public";

    /// <summary>
    /// `job_workflow_ref` when a reusable workflow did the signing (`owner/repo/path@ref`); null when
    /// the calling workflow signed. Fulcio puts this, not the caller, in the SAN and build signer.
    /// </summary>
    public string? BuildSignerWorkflowRef { get; init; }

    /// <summary>`job_workflow_sha` to go with <see cref="BuildSignerWorkflowRef"/>; defaults to <see cref="Sha"/>.</summary>
    public string? BuildSignerSha { get; init; }

    public string Owner => Repository.Split('/')[0];

    /// <summary>`workflow_ref` claim: `owner/repo/path@ref`.</summary>
    public string WorkflowRef => $"{Repository}/{WorkflowPath}@{Ref}";

    /// <summary>The certificate SAN (URI): Sigstore's "certificate identity".</summary>
    public string SubjectUri => BuildSignerUri;

    public string BuildSignerUri => $"{ServerUrl}/{BuildSignerWorkflowRef ?? WorkflowRef}";

    public string BuildSignerDigest => BuildSignerSha ?? Sha;

    public string BuildConfigUri => $"{ServerUrl}/{WorkflowRef}";

    public string SourceRepositoryUri => $"{ServerUrl}/{Repository}";

    public string OwnerUri => $"{ServerUrl}/{Owner}";

    public string RunInvocationUri => $"{ServerUrl}/{Repository}/actions/runs/{RunId}/attempts/{RunAttempt}";

    internal void Validate()
    {
        var slash = Repository.IndexOf('/');
        if (slash <= 0 || slash == Repository.Length - 1 || Repository.IndexOf('/', slash + 1) >= 0)
        {
            throw new ArgumentException($"repository must be owner/name, got '{Repository}'");
        }

        if (string.IsNullOrEmpty(Ref) || string.IsNullOrEmpty(Sha) || string.IsNullOrEmpty(WorkflowPath))
        {
            throw new ArgumentException("ref, sha and workflow path are required");
        }
    }
}
