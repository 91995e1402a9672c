using System.Diagnostics;
using Vouch.Sandbox.Tests.Registry;
using Xunit.Abstractions;

namespace Vouch.Sandbox.Tests.Scenarios;

public sealed class GraphGeneratorTests(ITestOutputHelper output)
{
    [Fact]
    public void Generate_WhenSameSeed_SameGraph()
    {
        var a = Scenario.Generate(new GraphOptions { Packages = 300, Seed = 7 });
        var b = Scenario.Generate(new GraphOptions { Packages = 300, Seed = 7 });
        var c = Scenario.Generate(new GraphOptions { Packages = 300, Seed = 8 });

        Assert.Equal(Describe(a), Describe(b));
        Assert.NotEqual(Describe(a), Describe(c));
    }

    [Fact]
    public void Generate_When2000Packages_AcyclicReachableFromRootsWithinDepthAndFanOut()
    {
        var options = new GraphOptions { Packages = 2000, Seed = 1, MaxDepth = 6, MaxFanOut = 8 };
        var scenario = Scenario.Generate(options);
        var deps = scenario.Packages.ToDictionary(p => p.Name, p => p.Versions[0].Dependencies.Keys.ToList());

        Assert.Equal(2000, scenario.Packages.Count);
        Assert.All(scenario.Packages, p => Assert.All(p.Versions, v => Assert.Equal(p.Versions[0].Dependencies, v.Dependencies)));

        // Longest chain from each root, with cycle detection.
        var depth = new Dictionary<string, int>();
        var visiting = new HashSet<string>();
        int Depth(string name)
        {
            if (depth.TryGetValue(name, out var d))
            {
                return d;
            }

            Assert.True(visiting.Add(name), $"cycle through {name}");
            d = deps[name].Count == 0 ? 0 : 1 + deps[name].Max(Depth);
            visiting.Remove(name);
            return depth[name] = d;
        }

        var maxDepth = scenario.ProjectDependencies.Keys.Max(Depth);
        Assert.Equal(6, maxDepth);
        Assert.Equal(2000, depth.Count);
        Assert.Contains(scenario.Packages, p => p.Versions.Any(v => v.HasProvenance));
        Assert.Contains(scenario.Packages, p => p.Versions.Any(v => !v.HasProvenance));
        Assert.Contains(scenario.Packages, p => p.Name.StartsWith("@synth/", StringComparison.Ordinal));
        output.WriteLine($"roots {scenario.ProjectDependencies.Count}, versions {scenario.VersionCount}, max direct deps {deps.Values.Max(d => d.Count)}");
    }

    [Fact]
    public void Generate_WhenOptionsOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Scenario.Generate(new GraphOptions { Packages = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Scenario.Generate(new GraphOptions { ProvenanceShare = 1.5 }));
    }

    /// <summary>
    /// The acceptance run: a 2,000-package graph generated and signed, then installed by real npm
    /// (measured on the 2-core CI machine: ~3 s start-up, ~25 s install; not timed here).
    /// </summary>
    [Fact]
    public async Task NpmInstall_When2000PackageGraph_InstallsEverything()
    {
        var watch = Stopwatch.StartNew();
        var scenario = Scenario.Generate(new GraphOptions { Packages = 2000, Seed = 1 });
        await using var registry = await SandboxRegistry.StartAsync(scenario, new SandboxOptions());
        var startup = watch.Elapsed;

        using var ws = new ClientWorkspace();
        ws.WriteProject(scenario.ProjectDependencies);
        watch.Restart();
        var (exit, log) = await ws.RunAsync("npm", $"install --registry {registry.Url} --cache {ws.Cache} --no-audit --no-fund --ignore-scripts --loglevel=error", timeout: TimeSpan.FromMinutes(10));
        var install = watch.Elapsed;

        Assert.True(exit == 0, log);
        var lockfile = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(ws.Project, "package-lock.json")))!;
        var installed = lockfile["packages"]!.AsObject().Select(p => p.Key).Where(k => k.Length > 0).Select(k => k[(k.LastIndexOf("node_modules/", StringComparison.Ordinal) + 13)..]).ToHashSet();
        Assert.Equal(2000, installed.Count);
        output.WriteLine($"generate+sign+serve start: {startup.TotalSeconds:F1} s ({scenario.VersionCount} versions); npm install: {install.TotalSeconds:F1} s; requests: {registry.RequestCount}");
    }

    private static string Describe(Scenario s) => string.Join('\n', s.Packages.Select(p => $"{p.Name} {p.Versions.Count} {p.Versions[0].Publisher} {string.Join(',', p.Versions[0].Dependencies.Keys)}"));
}
