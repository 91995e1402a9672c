using System.Text.RegularExpressions;
using Vouch.Npm;

namespace Vouch.Cli.Run;

/// <summary>The package managers `vouch run` knows how to point at the gate.</summary>
internal enum ClientKind
{
    Npm,
    Pnpm,
    Yarn,
    Bun,
}

/// <summary>
/// The environment of the child `vouch run` starts: the parent's, with every registry setting a
/// client reads from the environment replaced by the gate's URL. Nothing else changes (tokens the
/// child uses for other purposes pass through untouched, and are never printed). What cannot be
/// redirected from the environment (a scope on another registry, a yarn 1 lockfile naming tarball
/// URLs) refuses the run rather than letting the child fetch around the gate.
/// </summary>
internal static partial class ChildEnvironment
{
    /// <summary>Settings removed from the parent's environment (compared without case) before the gate's are added.</summary>
    private static readonly string[] Replaced =
    [
        "npm_config_registry", "npm_config_replace_registry_host", "npm_config_replace-registry-host",
        "yarn_registry", "yarn_npm_registry_server", "yarn_unsafe_http_whitelist", "bun_config_registry",
    ];

    public static ClientKind? Classify(string command) => Path.GetFileName(command) switch
    {
        "npm" or "npx" => ClientKind.Npm,
        "pnpm" or "pnpx" => ClientKind.Pnpm,
        "yarn" or "yarnpkg" => ClientKind.Yarn,
        "bun" or "bunx" => ClientKind.Bun,
        _ => null,
    };

    /// <summary>The child's environment, or the reasons the run would let the child reach a registry around the gate.</summary>
    public static IReadOnlyDictionary<string, string> Build(
        IReadOnlyDictionary<string, string> parent, Uri gate, Uri upstream, NpmConfig config, string projectDirectory, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in parent)
        {
            var lower = key.ToLowerInvariant();
            if (Replaced.Contains(lower) || (lower.StartsWith("npm_config_@", StringComparison.Ordinal) && lower.EndsWith(":registry", StringComparison.Ordinal)))
            {
                continue;
            }

            env[key] = value;
        }

        var url = gate.AbsoluteUri;
        env["npm_config_registry"] = url;

        // npm otherwise fetches a lockfile's resolved URLs from their own host unless it is registry.npmjs.org.
        env["npm_config_replace_registry_host"] = "always";
        env["YARN_REGISTRY"] = url;
        env["YARN_NPM_REGISTRY_SERVER"] = url.TrimEnd('/');
        env["YARN_UNSAFE_HTTP_WHITELIST"] = gate.Host;
        env["BUN_CONFIG_REGISTRY"] = url;

        foreach (var (scope, registry) in config.ScopeRegistries.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            if (!SameRegistry(registry, upstream))
            {
                problems.Add($"{scope} packages come from {registry.GetLeftPart(UriPartial.Path)}, not {upstream.GetLeftPart(UriPartial.Path)}: vouch run gates one registry, and the child would fetch {scope} around the gate (use --upstream {registry.GetLeftPart(UriPartial.Path)}, or remove the scope's registry)");
            }
            else if (scope.Contains('_', StringComparison.Ordinal))
            {
                // npm turns '_' in environment keys into '-', so this scope cannot be redirected from the environment.
                problems.Add($"{scope}: a scope with '_' cannot be pointed at the gate through the environment; remove its ':registry' line (it names the default registry anyway)");
            }
            else
            {
                env[$"npm_config_{scope}:registry"] = url;
            }
        }

        problems.AddRange(ProjectFiles(projectDirectory));
        errors = problems;
        return env;
    }

    private static bool SameRegistry(Uri a, Uri b) =>
        string.Equals(a.GetLeftPart(UriPartial.Path).TrimEnd('/'), b.GetLeftPart(UriPartial.Path).TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    /// <summary>Configuration the environment cannot override: scoped registries of yarn berry and bun, a yarn 1 lockfile's tarball URLs.</summary>
    private static IEnumerable<string> ProjectFiles(string dir)
    {
        var yarnrc = Path.Combine(dir, ".yarnrc.yml");
        if (File.Exists(yarnrc) && ReadHead(yarnrc) is { } y && (y.Contains("npmScopes", StringComparison.Ordinal) || y.Contains("npmRegistries", StringComparison.Ordinal)))
        {
            yield return ".yarnrc.yml sets npmScopes or npmRegistries: yarn would fetch those scopes around the gate; remove them to run under vouch";
        }

        var bunfig = Path.Combine(dir, "bunfig.toml");
        if (File.Exists(bunfig) && ReadHead(bunfig) is { } b && b.Contains("scopes", StringComparison.Ordinal))
        {
            yield return "bunfig.toml sets install.scopes: bun would fetch those scopes around the gate; remove them to run under vouch";
        }

        var yarnLock = Path.Combine(dir, "yarn.lock");
        if (File.Exists(yarnLock) && ReadHead(yarnLock) is { } lockText && lockText.Contains("# yarn lockfile v1", StringComparison.Ordinal)
            && ResolvedUrl().Match(lockText) is { Success: true } m)
        {
            yield return $"yarn.lock (yarn 1) pins tarball URLs ({m.Groups[1].Value}...) and yarn 1 fetches them from there, around the gate; check the lockfile with 'vouch audit', or remove the 'resolved' URLs to resolve through the gate";
        }
    }

    private static string? ReadHead(string path)
    {
        try
        {
            using var reader = new StreamReader(path);
            var buffer = new char[Limits.MaxConfigFileBytes];
            var n = reader.ReadBlock(buffer, 0, buffer.Length);
            return new string(buffer, 0, n);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [GeneratedRegex("""resolved "(https?://[^/"]+/)""")]
    private static partial Regex ResolvedUrl();
}
