using System.Globalization;

namespace Vouch.Sandbox;

/// <summary>Shape of a synthetic dependency graph (<see cref="Scenario.Generate"/>).</summary>
public sealed record GraphOptions
{
    /// <summary>Number of packages (1 to 100,000).</summary>
    public int Packages { get; init; } = 2000;

    /// <summary>Same seed, same graph, same tarballs.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Share of packages built in CI with provenance (0 to 1).</summary>
    public double ProvenanceShare { get; init; } = 0.25;

    /// <summary>Of the provenance-backed packages, the share published through trusted publishing.</summary>
    public double TrustedPublisherShare { get; init; } = 0.5;

    /// <summary>Most direct dependencies one package declares (before the pass that makes every package reachable).</summary>
    public int MaxFanOut { get; init; } = 8;

    /// <summary>Longest dependency chain below a root package.</summary>
    public int MaxDepth { get; init; } = 6;

    /// <summary>Versions per package: 1 to this.</summary>
    public int MaxVersions { get; init; } = 3;

    /// <summary>Share of packages with a (harmless) postinstall script.</summary>
    public double InstallScriptShare { get; init; } = 0.02;

    /// <summary>Share of packages under the `@synth` scope.</summary>
    public double ScopedShare { get; init; } = 0.1;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Packages, 1, nameof(Packages));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Packages, 100_000, nameof(Packages));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFanOut, 0, nameof(MaxFanOut));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDepth, 0, nameof(MaxDepth));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxDepth, 100, nameof(MaxDepth));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxVersions, 1, nameof(MaxVersions));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxVersions, 50, nameof(MaxVersions));
        foreach (var (share, name) in new[] { (ProvenanceShare, nameof(ProvenanceShare)), (TrustedPublisherShare, nameof(TrustedPublisherShare)), (InstallScriptShare, nameof(InstallScriptShare)), (ScopedShare, nameof(ScopedShare)) })
        {
            if (double.IsNaN(share) || share < 0 || share > 1)
            {
                throw new ArgumentOutOfRangeException(name, share, "a share is between 0 and 1");
            }
        }
    }
}

/// <summary>
/// Builds a layered DAG: packages sit on levels 0..MaxDepth (more of them deeper, as real trees
/// have far more leaves than roots), depend only on deeper levels (so there are no cycles), mostly
/// on the next level (so chains reach full depth) and preferably on a few popular packages (as
/// real graphs concentrate on utilities). Every non-root package gets at least one dependent, so
/// installing the roots installs everything.
/// </summary>
internal static class GraphGenerator
{
    private static readonly string[] Words =
    [
        "array", "async", "buffer", "cache", "chalk", "color", "config", "debug", "deep", "diff", "emit", "env", "fast", "fetch",
        "file", "flat", "glob", "hash", "http", "iter", "json", "kind", "lazy", "lodash", "merge", "mime", "minimist", "ms",
        "node", "object", "once", "parse", "path", "pify", "queue", "read", "regex", "retry", "safe", "semver", "signal",
        "slice", "stream", "string", "strip", "tar", "through", "tmp", "type", "util", "uuid", "which", "wrap", "yaml", "zlib",
    ];

    public static Scenario Generate(GraphOptions options)
    {
        options.Validate();
        var random = new Random(options.Seed);
        var n = options.Packages;
        var depth = Math.Min(options.MaxDepth, n - 1);

        // Level sizes grow with depth (weight level+1); every level gets at least one package.
        var levels = new List<int>[depth + 1];
        for (var l = 0; l <= depth; l++)
        {
            levels[l] = [];
        }

        var totalWeight = (depth + 1) * (depth + 2) / 2.0;
        var levelOf = new int[n];
        for (var i = 0; i < n; i++)
        {
            int level;
            if (i <= depth)
            {
                level = i;
            }
            else
            {
                var u = random.NextDouble() * totalWeight;
                level = 0;
                for (var acc = 1.0; acc < u && level < depth; acc += level + 2)
                {
                    level++;
                }
            }

            levelOf[i] = level;
            levels[level].Add(i);
        }

        var names = new string[n];
        for (var i = 0; i < n; i++)
        {
            var stem = $"{Words[random.Next(Words.Length)]}-{Words[random.Next(Words.Length)]}-{i.ToString(CultureInfo.InvariantCulture)}";
            names[i] = random.NextDouble() < options.ScopedShare ? $"@synth/{stem}" : $"synth-{stem}";
        }

        var deps = new HashSet<int>[n];
        var hasDependent = new bool[n];
        for (var i = 0; i < n; i++)
        {
            deps[i] = [];
            var level = levelOf[i];
            if (level == depth || options.MaxFanOut == 0)
            {
                continue;
            }

            // Mostly small fan-out, sometimes large (geometric with mean ~3, capped).
            var fanOut = Math.Min(options.MaxFanOut, (int)Math.Floor(-Math.Log(1 - random.NextDouble()) * 3));
            for (var k = 0; k < fanOut; k++)
            {
                var targetLevel = random.NextDouble() < 0.6 ? level + 1 : level + 1 + random.Next(depth - level);
                var pool = levels[targetLevel];
                // Squaring a uniform number favours the start of the pool: a few popular packages.
                var pick = pool[(int)(Math.Pow(random.NextDouble(), 2) * pool.Count)];
                if (deps[i].Add(pick))
                {
                    hasDependent[pick] = true;
                }
            }
        }

        for (var l = 1; l <= depth; l++)
        {
            foreach (var i in levels[l].Where(i => !hasDependent[i]))
            {
                var parents = levels[l - 1];
                deps[parents[random.Next(parents.Count)]].Add(i);
                hasDependent[i] = true;
            }
        }

        var packages = new List<ScenarioPackage>(n);
        for (var i = 0; i < n; i++)
        {
            var provenance = random.NextDouble() < options.ProvenanceShare;
            var publisher = !provenance ? PublisherKind.Token : random.NextDouble() < options.TrustedPublisherShare ? PublisherKind.TrustedPublisher : PublisherKind.Provenance;
            var script = random.NextDouble() < options.InstallScriptShare;
            var repo = $"synth-org/{names[i].Replace("@synth/", "", StringComparison.Ordinal)}";
            var dependencies = deps[i].OrderBy(d => d).ToDictionary(d => names[d], _ => "^1.0.0", StringComparer.Ordinal);
            var versionCount = 1 + random.Next(options.MaxVersions);
            var versions = new List<ScenarioVersion>(versionCount);
            for (var v = 0; v < versionCount; v++)
            {
                var version = $"1.{v / 2}.{v % 2}";
                versions.Add(new ScenarioVersion
                {
                    Version = version,
                    Published = new ScenarioTime(null, -TimeSpan.FromDays(30 * (versionCount - v)) - TimeSpan.FromMinutes(i % 1440)),
                    Publisher = publisher,
                    PublishedBy = publisher == PublisherKind.TrustedPublisher ? null : "synth-maintainer",
                    Source = publisher == PublisherKind.Token ? null : new SourceBuild
                    {
                        Repository = repo,
                        Ref = $"refs/tags/v{version}",
                        Commit = ScenarioParser.DefaultCommit(repo, version),
                        Workflow = ".github/workflows/release.yml",
                    },
                    Dependencies = dependencies,
                    Scripts = script ? new Dictionary<string, string> { ["postinstall"] = "node -e \"process.exit(0)\"" } : new Dictionary<string, string>(),
                });
            }

            packages.Add(new ScenarioPackage
            {
                Name = names[i],
                Description = $"synthetic package {i} (level {levelOf[i]})",
                Repository = repo,
                Maintainers = ["synth-maintainer"],
                Versions = versions,
            });
        }

        var roots = levels[0].ToDictionary(i => names[i], _ => "^1.0.0", StringComparer.Ordinal);
        return new Scenario(
            $"generated-{n}-seed{options.Seed}",
            $"synthetic graph: {n} packages, depth {depth}, fan-out up to {options.MaxFanOut}, {options.ProvenanceShare:P0} with provenance",
            $"generated:packages={n},seed={options.Seed}",
            packages,
            roots,
            now: null);
    }
}
