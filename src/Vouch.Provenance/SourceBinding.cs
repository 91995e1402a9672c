namespace Vouch.Provenance;

/// <summary>
/// Compares the `repository` a package.json declares with the repository its provenance was built from.
/// A package may claim any repository in package.json; only provenance proves one. A mismatch means
/// the package says it comes from somewhere it was not built.
/// </summary>
public static class SourceBinding
{
    /// <summary>
    /// Normalises npm repository notations to `host/owner/repo` in lower case: `git+https://…`,
    /// `git://…`, `git@host:owner/repo.git`, `github:owner/repo`, `owner/repo`, trailing `.git` or `/`.
    /// Returns null for what is not a repository location.
    /// </summary>
    public static string? Normalize(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        var u = url.Trim();
        foreach (var (prefix, host) in new[] { ("github:", "github.com"), ("gitlab:", "gitlab.com"), ("bitbucket:", "bitbucket.org") })
        {
            if (u.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                u = $"https://{host}/{u[prefix.Length..]}";
            }
        }

        if (u.StartsWith("git+", StringComparison.OrdinalIgnoreCase))
        {
            u = u[4..];
        }

        if (u.StartsWith("git@", StringComparison.OrdinalIgnoreCase) && u.Contains(':', StringComparison.Ordinal))
        {
            var colon = u.IndexOf(':', StringComparison.Ordinal);
            u = $"https://{u[4..colon]}/{u[(colon + 1)..]}";
        }

        if (!u.Contains("://", StringComparison.Ordinal))
        {
            // npm's shorthand "owner/repo" means GitHub.
            u = u.Count(c => c == '/') == 1 ? $"https://github.com/{u}" : $"https://{u}";
        }

        if (!Uri.TryCreate(u, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            return null;
        }

        var path = uri.AbsolutePath.Trim('/');
        var hash = path.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0)
        {
            path = path[..hash];
        }

        if (path.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^4];
        }

        return path.Length == 0 ? null : $"{uri.Host}/{path}".ToLowerInvariant();
    }

    /// <summary>Null when they agree (or package.json names none); otherwise the reason.</summary>
    public static Problem? Check(string? packageJsonRepository, string? provenanceRepository)
    {
        var declared = Normalize(packageJsonRepository);
        var built = Normalize(provenanceRepository);
        if (declared is null || built is null || declared == built)
        {
            return null;
        }

        return new Problem(ProvenanceCodes.SourceMismatch, $"package.json says the source is {packageJsonRepository}, but the provenance shows it was built from {provenanceRepository}");
    }
}

/// <summary>The registry's evidence levels about who published, strongest last.</summary>
public enum EvidenceLevel
{
    None = 0,
    Provenance = 1,
    TrustedPublisher = 2,
    StagedPublish = 3,
}

public static class EvidenceLevels
{
    /// <summary>
    /// staged publish (a human approved, `_npmUser.approver`) &gt; trusted publisher with provenance &gt;
    /// provenance &gt; none. Provenance counts only when verified; `_npmUser` claims are the registry's word.
    /// </summary>
    public static EvidenceLevel Rank(bool provenanceVerified, bool trustedPublisher, bool stagedApproval)
    {
        if (stagedApproval)
        {
            return EvidenceLevel.StagedPublish;
        }

        if (trustedPublisher && provenanceVerified)
        {
            return EvidenceLevel.TrustedPublisher;
        }

        return provenanceVerified ? EvidenceLevel.Provenance : EvidenceLevel.None;
    }

    public static string Name(EvidenceLevel level) => level switch
    {
        EvidenceLevel.StagedPublish => "staged-publish",
        EvidenceLevel.TrustedPublisher => "trusted-publisher",
        EvidenceLevel.Provenance => "provenance",
        _ => "none",
    };
}
