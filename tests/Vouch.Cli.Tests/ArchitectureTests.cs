using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Vouch.Cli.Tests;

/// <summary>
/// The layering (docs/architecture.md), read from the real csproj graph: a project may reference only
/// projects of a lower layer, and every reference it declares is one its code uses. A new project is
/// one line in <see cref="Layers"/>.
/// </summary>
public sealed partial class ArchitectureTests
{
    /// <summary>Layer per project under src/: Sigstore → (Tuf, Npm) → Provenance → Policy → Audit → Gate → Cli.</summary>
    private static readonly Dictionary<string, int> Layers = new()
    {
        ["Vouch.Common"] = -1, // one atomic writer and the like; references nothing of ours
        ["Vouch.Sigstore"] = 0,
        ["Vouch.Tuf"] = 1,
        ["Vouch.Npm"] = 1,
        ["Vouch.Provenance"] = 2,
        ["Vouch.Advisories"] = 2, // beside Provenance; uses Npm
        ["Vouch.Maintainer"] = 2, // uses Npm (and YAML) only
        ["Vouch.Sandbox"] = 2, // uses Sigstore and Npm; used by the CLI and the tests
        ["Vouch.Reviews"] = 2, // uses Sigstore and Npm; beside Provenance
        ["Vouch.Policy"] = 3,
        ["Vouch.Audit"] = 4,
        ["Vouch.Sri"] = 4, // uses Provenance (the CLI adapts the policy to it)
        ["Vouch.Survey"] = 4, // bulk verification: uses Provenance and Policy (trust-downgrade), beside Audit
        ["Vouch.Watch"] = 4, // uses Policy (release lines, severities) and Provenance (the verifier)
        ["Vouch.Gate"] = 5,
        ["Vouch.Cli"] = 6,
    };

    /// <summary>
    /// References declared but not (yet) used, each with why it is tolerated. Remove a line when the
    /// owner of the project drops the reference (or starts using it).
    /// </summary>
    private static readonly HashSet<(string From, string To)> UnusedTolerated =
    [
        ("Vouch.Audit", "Vouch.Policy"), // owned by the audit's maintainers
    ];

    [Fact]
    public void ProjectReferences_WhenReadFromTheCsprojGraph_PointOnlyToLowerLayers()
    {
        var graph = Graph();
        Assert.True(graph.Count >= 10, $"only {graph.Count} projects found under src/");
        var problems = new List<string>();
        foreach (var (project, references) in graph)
        {
            if (!Layers.TryGetValue(project, out var layer))
            {
                problems.Add($"{project} has no layer: add it to ArchitectureTests.Layers and docs/architecture.md");
                continue;
            }

            problems.AddRange(references
                .Where(r => !Layers.TryGetValue(r, out var l) || l >= layer)
                .Select(r => $"{project} (layer {layer}) references {r} (layer {(Layers.TryGetValue(r, out var l) ? l : -1)})"));
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void ProjectReferences_WhenComparedWithTheCode_AreAllUsed()
    {
        var problems = new List<string>();
        foreach (var (project, references) in Graph())
        {
            var code = string.Join("\n", SourceFiles(project).Select(File.ReadAllText));
            foreach (var reference in references.Where(r => !UnusedTolerated.Contains((project, r))))
            {
                // A using directive or a qualified name of the referenced project's namespace.
                if (!Regex.IsMatch(code, $@"\b{Regex.Escape(reference)}[.;]", RegexOptions.None, TimeSpan.FromSeconds(5)))
                {
                    problems.Add($"{project} references {reference} but no code of it uses {reference}");
                }
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>
    /// One atomic writer (issue 13): renaming a file over another is how a write is made atomic, and
    /// only Vouch.Common's AtomicFile does it, so every durable write has the same temp-file, flush
    /// and clean-up rules.
    /// </summary>
    [Fact]
    public void AtomicWrites_WhenSourcesAreScanned_GoThroughVouchCommonOnly()
    {
        var offenders = Graph().Keys.Where(p => p != "Vouch.Common")
            .SelectMany(SourceFiles)
            .Where(f => Regex.IsMatch(File.ReadAllText(f), @"(?<!\w)File\.(Move|Replace)\(|\.Flush\(\s*(flushToDisk:\s*)?true", RegexOptions.None, TimeSpan.FromSeconds(5)))
            .Select(f => Path.GetRelativePath(CliSnapshotTests.RepositoryRoot(), f))
            .ToList();

        Assert.True(offenders.Count == 0, "write through Vouch.Common.AtomicFile instead: " + string.Join(", ", offenders));
    }

    /// <summary>One SARIF writer (issue 13): only Vouch.Common.Sarif builds the document's runs.</summary>
    [Fact]
    public void Sarif_WhenSourcesAreScanned_IsBuiltByVouchCommonOnly()
    {
        var offenders = Graph().Keys.Where(p => p != "Vouch.Common")
            .SelectMany(SourceFiles)
            .Where(f => Regex.IsMatch(File.ReadAllText(f), @"\[""runs""\]|""sarif-2\.1\.0", RegexOptions.None, TimeSpan.FromSeconds(5)))
            .Select(f => Path.GetRelativePath(CliSnapshotTests.RepositoryRoot(), f))
            .ToList();

        Assert.True(offenders.Count == 0, "build SARIF with Vouch.Common.Sarif.SarifLog instead: " + string.Join(", ", offenders));
    }

    /// <summary>One YAML loader (issue 13): only Vouch.Common.Yaml.YamlLoader builds YamlDotNet trees, after its caps.</summary>
    [Fact]
    public void Yaml_WhenSourcesAreScanned_IsLoadedByVouchCommonOnly()
    {
        var offenders = Graph().Keys.Where(p => p != "Vouch.Common")
            .SelectMany(SourceFiles)
            .Where(f => Regex.IsMatch(File.ReadAllText(f), @"new\s+YamlStream\b|\bDeserializerBuilder\b", RegexOptions.None, TimeSpan.FromSeconds(5)))
            .Select(f => Path.GetRelativePath(CliSnapshotTests.RepositoryRoot(), f))
            .ToList();

        Assert.True(offenders.Count == 0, "load YAML with Vouch.Common.Yaml.YamlLoader instead: " + string.Join(", ", offenders));
    }

    /// <summary>One JSON reader (issue 13): documents are parsed through Vouch.Common.Json.JsonInput only (duplicates refused everywhere).</summary>
    [Fact]
    public void Json_WhenSourcesAreScanned_IsParsedByVouchCommonOnly()
    {
        var offenders = Graph().Keys.Where(p => p != "Vouch.Common")
            .SelectMany(SourceFiles)
            .Where(f => Regex.IsMatch(File.ReadAllText(f), @"\b(JsonDocument|JsonNode)\.Parse\(|new\s+JsonDocumentOptions\b", RegexOptions.None, TimeSpan.FromSeconds(5)))
            .Select(f => Path.GetRelativePath(CliSnapshotTests.RepositoryRoot(), f))
            .ToList();

        Assert.True(offenders.Count == 0, "parse JSON with Vouch.Common.Json.JsonInput instead: " + string.Join(", ", offenders));
    }

    [Fact]
    public void Layers_WhenAnEdgeGoesUpwards_TheCheckReportsIt()
    {
        // The check itself can fail: an upward edge (Sigstore → Npm) is reported.
        var graph = Graph();
        graph["Vouch.Sigstore"] = [.. graph["Vouch.Sigstore"], "Vouch.Npm"];
        Assert.Contains(graph, p => p.Value.Any(r => Layers[r] >= Layers[p.Key]));
    }

    private static Dictionary<string, List<string>> Graph()
    {
        var src = Path.Combine(CliSnapshotTests.RepositoryRoot(), "src");
        return Directory.EnumerateFiles(src, "*.csproj", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetFileNameWithoutExtension(f),
            f => XDocument.Load(f).Descendants("ProjectReference")
                .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')))
                .ToList());
    }

    private static IEnumerable<string> SourceFiles(string project)
    {
        var sep = Path.DirectorySeparatorChar;
        return Directory.EnumerateFiles(Path.Combine(CliSnapshotTests.RepositoryRoot(), "src", project), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{sep}obj{sep}", StringComparison.Ordinal) && !f.Contains($"{sep}bin{sep}", StringComparison.Ordinal));
    }
}
