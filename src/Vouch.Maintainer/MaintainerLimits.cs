namespace Vouch.Maintainer;

/// <summary>
/// Caps on what a repository may make `maintainer check` read. The repository is untrusted input
/// (a contributor controls it), so every file, count and YAML shape is bounded.
/// </summary>
public static class MaintainerLimits
{
    /// <summary>Largest workflow, .gitlab-ci.yml, package.json or .npmrc read (the largest real workflow in the fixtures is 70 KB).</summary>
    public const long MaxFileBytes = 1024 * 1024;

    /// <summary>Workflow files read from .github/workflows.</summary>
    public const int MaxWorkflowFiles = 256;

    /// <summary>package.json files read (root, workspaces and the tree walk together).</summary>
    public const int MaxPackageJsons = 2000;

    /// <summary>Directory levels below the root searched for package.json files.</summary>
    public const int MaxPackageDepth = 6;

    /// <summary>Nesting of YAML mappings and sequences (real workflows stay under 12).</summary>
    public const int MaxYamlDepth = 64;

    /// <summary>
    /// YAML aliases per document. GitHub accepts anchors; YamlDotNet shares aliased nodes instead of
    /// copying them, and the analyzers walk a fixed shape (jobs, steps, keys), never a whole subtree, so
    /// aliases cannot make the work explode; the cap bounds the rest.
    /// </summary>
    public const int MaxYamlAliases = 64;

    /// <summary>Nesting of JSON in package.json.</summary>
    public const int MaxJsonDepth = 64;
}
