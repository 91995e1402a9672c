using System.Text.RegularExpressions;

namespace Vouch.Maintainer.Analysis;

/// <summary>
/// Whether the Node and npm a job runs are new enough for npm trusted publishing (npm 11.5.1 or later
/// and Node 22.14.0 or later, per npm's documentation). Versions come from <c>actions/setup-node</c>'s
/// <c>node-version</c> and from <c>npm install -g npm@X</c>; anything else (expressions, version files,
/// other setup actions) is unknown and never reported.
/// </summary>
public static partial class Toolchain
{
    private static readonly (int, int, int) MinNode = (22, 14, 0);
    private static readonly (int, int, int) MinNpm = (11, 5, 1);

    /// <summary>
    /// First Node release line whose bundled npm is new enough: Node 24.5.0 ships npm 11.5.1. Node 22
    /// ships npm 10, so it needs an npm upgrade.
    /// </summary>
    private static readonly (int, int, int) NodeBundlingNpm = (24, 5, 0);

    /// <summary>Null when fine or unknown; else a sentence saying what is too old.</summary>
    public static string? Problem(string? nodeVersion, string? npmInstalled)
    {
        var node = Parse(nodeVersion);
        var problems = new List<string>();
        if (node is { } n && Less(n, MinNode))
        {
            problems.Add($"Node {nodeVersion} is older than 22.14.0");
        }

        if (npmInstalled is not null)
        {
            if (Parse(npmInstalled) is { } npm && Less(npm, MinNpm))
            {
                problems.Add($"npm {npmInstalled} is older than 11.5.1");
            }
        }
        else if (node is { } bundled && Less(bundled, NodeBundlingNpm))
        {
            problems.Add($"Node {nodeVersion} bundles an npm older than 11.5.1 and the job does not install a newer one");
        }

        return problems.Count == 0 ? null : string.Join("; ", problems);
    }

    /// <summary>
    /// The lowest version a spec can resolve to that matters here: an exact version is itself, a bare
    /// major or range resolves to the newest of its line (so <c>24</c>, <c>24.x</c>, <c>^11.5.2</c> are the
    /// newest 24 and 11), aliases like <c>lts/*</c> and <c>latest</c> are new enough. Null when unknown.
    /// </summary>
    internal static (int, int, int)? Parse(string? spec)
    {
        if (spec is null)
        {
            return null;
        }

        var s = spec.Trim().Trim('"', '\'');
        if (s is "latest" or "lts/*" or "node" or "current" or "next" or "lts")
        {
            return (int.MaxValue, 0, 0);
        }

        var m = Version().Match(s);
        if (!m.Success)
        {
            return null;
        }

        var major = int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
        var range = m.Groups[1].Value is "^" or ">=" or ">";
        if (!m.Groups[3].Success || m.Groups[3].Value is "x" or "*")
        {
            return (major, int.MaxValue, 0);
        }

        var minor = int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture);
        if (range || !m.Groups[4].Success || m.Groups[4].Value is "x" or "*")
        {
            return range ? (major, int.MaxValue, 0) : (major, minor, int.MaxValue);
        }

        return (major, minor, int.Parse(m.Groups[4].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static bool Less((int, int, int) a, (int, int, int) b) => a.CompareTo(b) < 0;

    [GeneratedRegex(@"^(\^|~|>=|>|v|=)?(\d{1,4})(?:\.(\d{1,6}|x|\*))?(?:\.(\d{1,6}|x|\*))?", RegexOptions.None, 1000)]
    private static partial Regex Version();

    /// <summary>The version in <c>npm install -g npm@X</c> (also <c>i</c>, <c>--global</c>), or null.</summary>
    public static string? NpmInstall(string run)
    {
        var m = NpmUpgrade().Match(run);
        return m.Success ? m.Groups[1].Value.Trim('"', '\'') : null;
    }

    [GeneratedRegex(@"\bnpm\s+(?:i|install|add)\s+(?:(?:-g|--global)\s+)?(?:--[\w-]+\s+)*npm@(\S+)", RegexOptions.None, 1000)]
    private static partial Regex NpmUpgrade();
}
