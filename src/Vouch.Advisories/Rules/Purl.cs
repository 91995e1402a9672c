using Vouch.Npm;

namespace Vouch.Advisories;

/// <summary>An npm package URL (<c>pkg:npm/%40scope/name@1.2.3</c>) reduced to name and optional version.</summary>
public sealed record NpmPurl(string Name, SemVersion? Version)
{
    /// <summary>Parses <c>pkg:npm/…</c>; other types, a bad encoding or a non-semver version give null.</summary>
    public static NpmPurl? Parse(string? text)
    {
        if (text is null || text.Length > 1024 || !text.StartsWith("pkg:npm/", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var rest = text["pkg:npm/".Length..];
        var cut = rest.IndexOfAny(['?', '#']);
        if (cut >= 0)
        {
            rest = rest[..cut];
        }

        string? versionText = null;
        var at = rest.LastIndexOf('@');
        if (at > 0)
        {
            versionText = rest[(at + 1)..];
            rest = rest[..at];
        }

        string name;
        try
        {
            var segments = rest.Split('/').Select(Uri.UnescapeDataString).ToArray();
            name = segments.Length switch
            {
                1 => segments[0],
                2 when segments[0].StartsWith('@') => $"{segments[0]}/{segments[1]}",
                _ => "",
            };
        }
        catch (UriFormatException)
        {
            return null;
        }

        if (name.Length == 0 || name.Contains('%', StringComparison.Ordinal))
        {
            return null;
        }

        SemVersion? version = null;
        if (versionText is not null && !SemVersion.TryParse(Uri.UnescapeDataString(versionText), out version))
        {
            return null;
        }

        // purl normalises npm names to lower case; npm names of new packages are lower case too.
        return new NpmPurl(name.ToLowerInvariant(), version);
    }

    public bool Covers(string package, SemVersion version) =>
        string.Equals(Name, package, StringComparison.OrdinalIgnoreCase) && (Version is null || Version.CompareTo(version) == 0);
}
