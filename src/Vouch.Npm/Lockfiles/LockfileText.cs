namespace Vouch.Npm.Lockfiles;

/// <summary>
/// Reading what lockfiles write in their keys and specs: <c>name@spec</c> pairs (scoped names
/// start with '@'), where a resolved location points (registry, git, tarball, file, link), and
/// nested install paths. Shared by every format so they classify sources the same way.
/// </summary>
internal static class LockfileText
{
    private const string NodeModules = "node_modules/";

    /// <summary>Splits <c>name@rest</c> at the '@' that ends the name (a scope's leading '@' is not it).</summary>
    public static bool TrySplitNameAt(string text, out string name, out string rest)
    {
        var at = text.IndexOf('@', text.StartsWith('@') ? 1 : 0);
        if (at <= 0)
        {
            name = text;
            rest = "";
            return false;
        }

        name = text[..at];
        rest = text[(at + 1)..];
        return true;
    }

    /// <summary>The package name a nested npm path ends with (<c>node_modules/a/node_modules/@s/b</c> → <c>@s/b</c>).</summary>
    public static string NameFromInstallPath(string key)
    {
        var i = key.LastIndexOf(NodeModules, StringComparison.Ordinal);
        return i < 0 ? key : key[(i + NodeModules.Length)..];
    }

    /// <summary>True when the path is inside a dependency's own node_modules (not the root's or a workspace's).</summary>
    public static bool IsNestedInDependency(string key)
    {
        var i = key.LastIndexOf(NodeModules, StringComparison.Ordinal);
        return i > 0 && key.AsSpan(0, i).Contains(NodeModules, StringComparison.Ordinal);
    }

    /// <summary>Whether the text is a plain semver version (what a registry entry pins).</summary>
    public static bool IsVersion(string text) => SemVersion.TryParse(text, out _);

    /// <summary>
    /// Where a resolved location or spec points. Registry-shaped http(s) URLs
    /// (<c>…/name/-/file.tgz</c>) count as the registry so that the lint checks their host and name;
    /// other URLs are remote tarballs.
    /// </summary>
    public static LockfileSourceKind Classify(string? location)
    {
        if (string.IsNullOrEmpty(location))
        {
            return LockfileSourceKind.Registry;
        }

        if (location.StartsWith("git+", StringComparison.OrdinalIgnoreCase)
            || location.StartsWith("git:", StringComparison.OrdinalIgnoreCase)
            || location.StartsWith("git@", StringComparison.OrdinalIgnoreCase)
            || location.StartsWith("github:", StringComparison.OrdinalIgnoreCase)
            || location.StartsWith("gitlab:", StringComparison.OrdinalIgnoreCase)
            || location.StartsWith("bitbucket:", StringComparison.OrdinalIgnoreCase)
            || location.StartsWith("gist:", StringComparison.OrdinalIgnoreCase)
            || location.StartsWith("ssh://", StringComparison.OrdinalIgnoreCase)
            || location.Contains("#commit=", StringComparison.Ordinal)
            || (IsHttp(location) && location.Split('#')[0].EndsWith(".git", StringComparison.OrdinalIgnoreCase)))
        {
            return LockfileSourceKind.Git;
        }

        if (location.StartsWith("workspace:", StringComparison.Ordinal))
        {
            return LockfileSourceKind.Workspace;
        }

        if (location.StartsWith("link:", StringComparison.Ordinal) || location.StartsWith("portal:", StringComparison.Ordinal))
        {
            return LockfileSourceKind.Link;
        }

        if (IsHttp(location))
        {
            return IsRegistryShaped(location) ? LockfileSourceKind.Registry : LockfileSourceKind.RemoteTarball;
        }

        if (location.Contains("://", StringComparison.Ordinal))
        {
            // Another scheme (ftp:, s3:…): nothing a registry serves.
            return LockfileSourceKind.RemoteTarball;
        }

        // file:, exec:, relative or absolute paths.
        return LockfileSourceKind.LocalFile;
    }

    public static bool IsHttp(string text) =>
        text.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("http://", StringComparison.OrdinalIgnoreCase);

    /// <summary>A registry tarball URL: <c>…/&lt;name&gt;/-/&lt;basename&gt;-&lt;version&gt;.tgz</c>.</summary>
    public static bool IsRegistryShaped(string url)
    {
        var path = url.Split('#', '?')[0];
        return path.Contains("/-/", StringComparison.Ordinal) && path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The version a registry tarball URL of <paramref name="name"/> carries in its file name
    /// (<c>…/acorn/-/acorn-4.0.4.tgz</c> → <c>4.0.4</c>); null when the URL is not registry-shaped
    /// for that name or the rest is not a version.
    /// </summary>
    public static string? VersionFromRegistryTarball(string name, string url)
    {
        if (!IsRegistryShaped(url) || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || RegistryUrlParts(uri) is not { } parts)
        {
            return null;
        }

        var slash = name.LastIndexOf('/');
        var prefix = (slash < 0 ? name : name[(slash + 1)..]) + "-";
        var file = parts.FileName;
        if (!file.StartsWith(prefix, StringComparison.Ordinal) || !file.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var version = file[prefix.Length..^4];
        return IsVersion(version) ? version : null;
    }

    /// <summary>
    /// The package name a registry tarball URL names (<c>/@s/n/-/n-1.0.0.tgz</c> or <c>/@s%2fn/-/…</c>)
    /// and the version its file name carries; null when the URL is not registry-shaped.
    /// </summary>
    public static (string Name, string FileName)? RegistryUrlParts(Uri url)
    {
        var path = Uri.UnescapeDataString(url.AbsolutePath);
        var dash = path.LastIndexOf("/-/", StringComparison.Ordinal);
        if (dash < 0)
        {
            return null;
        }

        var fileName = path[(dash + 3)..];
        var before = path[..dash];
        // The name is the last segment, or the last two when the second-to-last is a scope.
        var last = before.LastIndexOf('/');
        if (last < 0)
        {
            return null;
        }

        var name = before[(last + 1)..];
        if (!name.StartsWith('@') && last > 0)
        {
            var prev = before.LastIndexOf('/', last - 1);
            var scope = before[(prev + 1)..last];
            if (scope.StartsWith('@'))
            {
                name = scope + "/" + name;
            }
        }

        return name.Length == 0 ? null : (name, fileName);
    }
}
