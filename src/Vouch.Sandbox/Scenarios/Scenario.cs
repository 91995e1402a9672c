namespace Vouch.Sandbox;

/// <summary>
/// A parsed and validated sandbox scenario: packages, their versions and how each was published
/// (docs/sandbox.md describes the YAML). Build one from a file, a shipped scenario, or the synthetic
/// graph generator; <see cref="SandboxRegistry.StartAsync"/> serves it.
/// </summary>
public sealed class Scenario
{
    /// <summary>The scenarios shipped in `scenarios/*.yml` (embedded in the assembly).</summary>
    public static readonly IReadOnlyList<string> BuiltinNames = ["lottie-player", "source-hijack", "typosquat", "diligence"];

    internal Scenario(string name, string? description, string sourceName, IReadOnlyList<ScenarioPackage> packages, IReadOnlyDictionary<string, string> projectDependencies, DateTimeOffset? now, IReadOnlyList<ScenarioAdvisory>? advisories = null)
    {
        Advisories = advisories ?? [];
        Name = name;
        Description = description;
        SourceName = sourceName;
        Packages = packages;
        ProjectDependencies = projectDependencies;
        Now = now;
    }

    public string Name { get; }

    public string? Description { get; }

    /// <summary>Where it came from (file path, `builtin:NAME`, `generated:...`), as used in error locations.</summary>
    public string SourceName { get; }

    public IReadOnlyList<ScenarioPackage> Packages { get; }

    /// <summary>
    /// `project.dependencies`: what a project trying the scenario depends on (the install tests and the
    /// demo use it). For generated graphs: every package nothing else depends on.
    /// </summary>
    public IReadOnlyDictionary<string, string> ProjectDependencies { get; }

    /// <summary>`now:` pins the sandbox clock, so relative times and logged times are reproducible.</summary>
    public DateTimeOffset? Now { get; }

    /// <summary>`advisories:`: the OSV records the sandbox serves as its advisory snapshot (empty: no snapshot).</summary>
    public IReadOnlyList<ScenarioAdvisory> Advisories { get; }

    public int VersionCount => Packages.Sum(p => p.Versions.Count);

    /// <summary>Reads and validates a scenario file. Throws <see cref="ScenarioException"/> (every problem, with file:line:column).</summary>
    public static Scenario Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScenarioException([$"{path}: cannot read the scenario: {e.Message}"]);
        }

        return Parse(text, path);
    }

    /// <summary>Parses and validates scenario YAML; <paramref name="sourceName"/> prefixes error locations.</summary>
    public static Scenario Parse(string yaml, string sourceName) => ScenarioParser.Parse(yaml, sourceName);

    /// <summary>One of <see cref="BuiltinNames"/>.</summary>
    public static Scenario Builtin(string name)
    {
        var text = BuiltinText(name) ?? throw new ScenarioException([$"no built-in scenario named '{name}' (built-in: {string.Join(", ", BuiltinNames)})"]);
        return Parse(text, $"builtin:{name}");
    }

    /// <summary>The YAML text of a shipped scenario, or null.</summary>
    public static string? BuiltinText(string name)
    {
        using var stream = typeof(Scenario).Assembly.GetManifestResourceStream($"scenarios/{name}.yml");
        if (stream is null)
        {
            return null;
        }

        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>A synthetic dependency graph for benchmarks and scale tests; deterministic for a seed.</summary>
    public static Scenario Generate(GraphOptions options) => GraphGenerator.Generate(options);

    /// <summary>A file path if one exists, otherwise a built-in name: what `--scenario` accepts.</summary>
    public static Scenario LoadFileOrBuiltin(string fileOrName) =>
        File.Exists(fileOrName) || fileOrName.Contains('/', StringComparison.Ordinal) || fileOrName.EndsWith(".yml", StringComparison.Ordinal) || fileOrName.EndsWith(".yaml", StringComparison.Ordinal)
            ? Load(fileOrName)
            : Builtin(fileOrName);

    public ScenarioPackage? Find(string packageName) => Packages.FirstOrDefault(p => p.Name == packageName);
}

/// <summary>A scenario that does not parse or validate; <see cref="Errors"/> lists every problem, each starting with its location.</summary>
public sealed class ScenarioException(IReadOnlyList<string> errors)
    : Exception(errors.Count == 1 ? errors[0] : $"{errors[0]} (and {errors.Count - 1} more problem{(errors.Count == 2 ? "" : "s")})")
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
