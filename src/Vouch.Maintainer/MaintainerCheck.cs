using Vouch.Maintainer.Analysis;
using Vouch.Maintainer.Output;
using Vouch.Maintainer.Repo;

namespace Vouch.Maintainer;

/// <summary>The result of checking one repository.</summary>
public sealed record MaintainerReport
{
    public required string Root { get; init; }

    public required RepositoryContents Contents { get; init; }

    public required IReadOnlyList<PublishingJob> Jobs { get; init; }

    public required IReadOnlyList<Finding> Findings { get; init; }

    /// <summary>The GitHub/GitLab project (<c>owner/repo</c>) from package.json <c>repository</c>, when known.</summary>
    public RepositoryIdentity? Repository { get; init; }

    /// <summary>Packages npm would publish from this repository.</summary>
    public IReadOnlyList<PackageManifest> Packages => Contents.Packages.Where(p => p.Publishable).ToList();

    /// <summary>Exit 1 when an error or warning is found.</summary>
    public bool Failing => Findings.Any(f => f.Level >= FindingLevel.Warning);
}

/// <summary>`vouch maintainer check`: reads a repository and reports how it publishes to npm (docs/maintainer.md).</summary>
public static class MaintainerCheck
{
    public static MaintainerReport Run(string root)
    {
        var contents = RepositoryContents.Read(root);
        return Analyze(contents);
    }

    public static MaintainerReport Analyze(RepositoryContents contents)
    {
        var findings = new List<Finding>();
        var jobs = new List<PublishingJob>();
        foreach (var (path, reason) in contents.Unreadable)
        {
            findings.Add(new Finding
            {
                Code = MaintainerCodes.FileUnreadable,
                Level = FindingLevel.Error,
                At = new SourceLocation(path, 1, 1),
                Message = $"not read: {reason}",
                Fix = "make the file valid (and within the size and nesting limits) so it can be checked",
            });
        }

        foreach (var workflow in contents.Workflows)
        {
            GitHubWorkflowAnalyzer.Analyze(workflow, contents, findings, jobs);
        }

        if (contents.GitLabCi is { } gitlab)
        {
            GitLabCiAnalyzer.Analyze(gitlab, contents, findings, jobs);
        }

        var ordered = findings
            .OrderBy(f => f.At.File, StringComparer.Ordinal).ThenBy(f => f.At.Line).ThenBy(f => f.At.Column).ThenBy(f => f.Code, StringComparer.Ordinal)
            .ToList();
        return new MaintainerReport
        {
            Root = contents.Root,
            Contents = contents,
            Jobs = jobs,
            Findings = ordered,
            Repository = RepositoryIdentity.From(contents),
        };
    }
}
