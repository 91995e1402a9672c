using System.Text;
using Vouch.Cli.Composition;
using Vouch.Gate.Upstream;
using Vouch.Npm;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch serve`'s upstreams (issue 19): one default `--upstream URL`, routes `--upstream PATTERN=URL`,
/// and routes from `--upstreams FILE` with a token read from an environment variable and their own
/// trust material. Every problem is a usage error naming the option; tokens are never printed.
/// </summary>
internal static class UpstreamArguments
{
    public static (Uri Default, IReadOnlyList<UpstreamRoute> Routes, IReadOnlyDictionary<string, UpstreamTrust> Trust) Bind(string[] arguments, string? file, Func<string, string, string> readSmallFile)
    {
        Uri? defaultUri = null;
        var routes = new List<UpstreamRoute>();
        var trust = new Dictionary<string, UpstreamTrust>(StringComparer.Ordinal);
        foreach (var a in arguments)
        {
            var route = UpstreamRoute.TryParseArgument(a, out var error);
            if (error is not null)
            {
                throw new UsageException($"--upstream {a}: {error}");
            }

            if (route is not null)
            {
                routes.Add(route with { Url = RegistryUrl(route.Url.AbsoluteUri, "--upstream") });
                continue;
            }

            if (defaultUri is not null)
            {
                throw new UsageException("--upstream: one default upstream (URL); every other one is PATTERN=URL");
            }

            defaultUri = RegistryUrl(a, "--upstream");
        }

        if (file is not null)
        {
            var text = readSmallFile(file, "--upstreams");
            var entries = UpstreamConfigFile.Parse(Encoding.UTF8.GetBytes(text), out var errors);
            var problems = errors.ToList();
            var baseDir = Path.GetDirectoryName(Path.GetFullPath(file))!;
            foreach (var e in entries)
            {
                var patterns = new List<UpstreamPattern>();
                foreach (var p in e.Packages)
                {
                    if (UpstreamPattern.TryParse(p, out var pe) is { } parsed)
                    {
                        patterns.Add(parsed);
                    }
                    else
                    {
                        problems.Add($"{e.Name}: {pe}");
                    }
                }

                if (!NpmConfig.TryParseRegistryUrl(e.Url, out var url, out var urlError))
                {
                    problems.Add($"{e.Name}: url: {urlError}");
                    continue;
                }

                string? token = null;
                if (e.TokenEnv is { } env)
                {
                    token = Environment.GetEnvironmentVariable(env);
                    if (string.IsNullOrEmpty(token))
                    {
                        problems.Add($"{e.Name}: tokenEnv: the environment variable {env} is not set");
                    }
                }

                if (e.TrustedRoot is { } root && e.RegistryKeys is { } keys)
                {
                    var material = new TrustMaterial(TrustMaterialLoader.FromFile(Path.Combine(baseDir, root)), root, TrustMaterialLoader.KeysFromFile(Path.Combine(baseDir, keys), "--upstreams (registryKeys)"));
                    trust[e.Name] = new UpstreamTrust(material.CreateSigstoreVerifier(), material.Keys);
                }

                routes.Add(new UpstreamRoute { Name = e.Name, Url = url!, Patterns = patterns, AuthToken = token });
            }

            if (problems.Count > 0)
            {
                throw new UsageException($"--upstreams {file}: {string.Join("; ", problems)}");
            }
        }

        return (defaultUri ?? NpmConfig.PublicRegistry, routes, trust);
    }

    private static Uri RegistryUrl(string text, string option) =>
        NpmConfig.TryParseRegistryUrl(text, out var uri, out var error) ? uri! : throw new UsageException($"{option}: {error}");
}
