using System.Text.RegularExpressions;
using Vouch.Maintainer.Repo;

namespace Vouch.Maintainer.Output;

/// <summary>Where the repository lives (github.com or gitlab.com), from package.json <c>repository</c>.</summary>
public sealed partial record RepositoryIdentity(string Host, string Path)
{
    public string Normalized => $"{Host}/{Path}".ToLowerInvariant();

    /// <summary>The root package's repository, else the first published package's; null when none names a GitHub/GitLab project.</summary>
    public static RepositoryIdentity? From(RepositoryContents contents)
    {
        var candidates = contents.RootPackage is { } r ? [r, .. contents.Packages] : contents.Packages;
        foreach (var p in candidates)
        {
            if (p.Repository is { } url && Parse(url) is { } id)
            {
                return id;
            }
        }

        return null;
    }

    public static RepositoryIdentity? Parse(string url)
    {
        var shorthand = Shorthand().Match(url);
        if (shorthand.Success)
        {
            var host = shorthand.Groups[1].Value is "gitlab" ? "gitlab.com" : "github.com";
            return new RepositoryIdentity(host, shorthand.Groups[2].Value);
        }

        var m = Url().Match(url);
        return m.Success ? new RepositoryIdentity(m.Groups[1].Value.ToLowerInvariant(), m.Groups[2].Value) : null;
    }

    [GeneratedRegex(@"^(?:(github|gitlab):)?([A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+)$", RegexOptions.None, 1000)]
    private static partial Regex Shorthand();

    [GeneratedRegex(@"^(?:git\+)?(?:https?|ssh|git)://(?:git@)?(github\.com|gitlab\.com)[/:]((?:[A-Za-z0-9_.\-]+/)+?[A-Za-z0-9_\-.]+?)(?:\.git)?/?$", RegexOptions.IgnoreCase, 1000)]
    private static partial Regex Url();
}
