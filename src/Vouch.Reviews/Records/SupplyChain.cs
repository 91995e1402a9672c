using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Vouch.Reviews.Records;

/// <summary>An import that could not be used, with its code (the coverage report lists it; `check` fails).</summary>
public sealed record ImportProblem(string Import, string Code, string Message);

/// <summary>An import that loaded: its pinned file, parsed.</summary>
public sealed record LoadedImport(ImportSpec Spec, SupplyChainDocument Document);

/// <summary>
/// An organisation's review records as loaded from `supply-chain/`: `config.toml`, `audits.toml`, and the
/// pinned copies of imported files under `imports/NAME.toml`, each checked against its `sha256` pin.
/// </summary>
public sealed partial class SupplyChain
{
    public const string ConfigFileName = "config.toml";
    public const string AuditsFileName = "audits.toml";
    public const string ImportsDirectoryName = "imports";

    private SupplyChain(string directory, SupplyChainDocument config, SupplyChainDocument audits, CriteriaRegistry criteria, IReadOnlyList<LoadedImport> imports, IReadOnlyList<ImportProblem> importProblems)
    {
        Directory = directory;
        Config = config;
        Audits = audits;
        Criteria = criteria;
        Imports = imports;
        ImportProblems = importProblems;
    }

    public string Directory { get; }

    public SupplyChainDocument Config { get; }

    public SupplyChainDocument Audits { get; }

    public CriteriaRegistry Criteria { get; }

    public IReadOnlyList<LoadedImport> Imports { get; }

    public IReadOnlyList<ImportProblem> ImportProblems { get; }

    /// <summary>Import names become file names: only this shape, so a name can never climb out of `imports/`.</summary>
    public static bool IsValidImportName(string name) => ImportName().IsMatch(name);

    public static string ImportPath(string directory, string name) =>
        IsValidImportName(name) ? Path.Combine(directory, ImportsDirectoryName, name + ".toml") : throw new ArgumentException($"invalid import name '{name}'", nameof(name));

    /// <summary>Lower-case hex SHA-256 of bytes (the import pin).</summary>
    public static string Sha256Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Loads a directory; a missing file is an empty one. Malformed files throw <see cref="ReviewFormatException"/>.</summary>
    public static SupplyChain Load(string directory)
    {
        var configPath = Path.Combine(directory, ConfigFileName);
        var auditsPath = Path.Combine(directory, AuditsFileName);
        var config = File.Exists(configPath) ? SupplyChainParser.ParseFile(configPath) : new SupplyChainDocument { Path = configPath };
        var audits = File.Exists(auditsPath) ? SupplyChainParser.ParseFile(auditsPath) : new SupplyChainDocument { Path = auditsPath };
        return FromDocuments(directory, config, audits, spec => ReadImportFile(directory, spec));
    }

    /// <summary>Builds from parsed documents; <paramref name="readImport"/> returns an import's pinned bytes or null when absent.</summary>
    public static SupplyChain FromDocuments(string directory, SupplyChainDocument config, SupplyChainDocument audits, Func<ImportSpec, byte[]?> readImport)
    {
        var problems = new List<ReviewProblem>();
        var criteria = CriteriaRegistry.Build(config.Criteria.Concat(audits.Criteria), problems);
        CheckCriteriaNames(criteria, config, problems);
        CheckCriteriaNames(criteria, audits, problems);
        if (problems.Count > 0)
        {
            throw new ReviewFormatException(ReviewCodes.UnknownCriterion, problems[0].File, problems);
        }

        var imports = new List<LoadedImport>();
        var importProblems = new List<ImportProblem>();
        foreach (var spec in config.Imports.Concat(audits.Imports))
        {
            if (!IsValidImportName(spec.Name))
            {
                importProblems.Add(new ImportProblem(spec.Name, ReviewCodes.ImportMissing, $"import name '{spec.Name}' must match [a-z0-9][a-z0-9_.-]* (it names a file)"));
                continue;
            }

            if (spec.Sha256 is null)
            {
                importProblems.Add(new ImportProblem(spec.Name, ReviewCodes.ImportUnpinned, $"import '{spec.Name}' has no sha256 pin; pin it with 'vouch review import add {spec.Name} {spec.Url}'"));
                continue;
            }

            var bytes = readImport(spec);
            if (bytes is null)
            {
                importProblems.Add(new ImportProblem(spec.Name, ReviewCodes.ImportMissing, $"import '{spec.Name}' has no pinned copy at {ImportsDirectoryName}/{spec.Name}.toml; run 'vouch review import fetch'"));
                continue;
            }

            var actual = Sha256Hex(bytes);
            if (actual != spec.Sha256)
            {
                importProblems.Add(new ImportProblem(spec.Name, ReviewCodes.ImportDigestMismatch, $"import '{spec.Name}' has sha256 {actual}, pinned {spec.Sha256}: its audits are not used"));
                continue;
            }

            var doc = SupplyChainParser.Parse(DecodeUtf8(bytes, spec.Name), $"{ImportsDirectoryName}/{spec.Name}.toml");
            imports.Add(new LoadedImport(spec, doc));
        }

        return new SupplyChain(directory, config, audits, criteria, imports, importProblems);
    }

    private static byte[]? ReadImportFile(string directory, ImportSpec spec)
    {
        if (!IsValidImportName(spec.Name))
        {
            return null;
        }

        var path = ImportPath(directory, spec.Name);
        if (!File.Exists(path))
        {
            return null;
        }

        if (new FileInfo(path).Length > ReviewLimits.MaxFileBytes)
        {
            throw new ReviewFormatException(ReviewCodes.FileTooLarge, path, [new ReviewProblem(path, 0, 0, $"larger than {ReviewLimits.MaxFileBytes} bytes")]);
        }

        return File.ReadAllBytes(path);
    }

    private static string DecodeUtf8(byte[] bytes, string name)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ReviewFormatException(ReviewCodes.FileMalformed, name, [new ReviewProblem(name, 0, 0, "not UTF-8")]);
        }
    }

    private static void CheckCriteriaNames(CriteriaRegistry registry, SupplyChainDocument doc, List<ReviewProblem> problems)
    {
        void Check(IEnumerable<string>? names, SourceLocation at)
        {
            foreach (var n in names ?? [])
            {
                if (!registry.Contains(n))
                {
                    problems.Add(new ReviewProblem(at.File, at.Line, at.Column, $"unknown criterion '{n}' (define it under [criteria.{n}])"));
                }
            }
        }

        foreach (var a in doc.Audits)
        {
            Check(a.Criteria, a.Location);
        }

        foreach (var e in doc.Exemptions)
        {
            Check(e.Criteria, e.Location);
        }

        foreach (var t in doc.Trusted)
        {
            Check(t.Criteria, t.Location);
        }

        foreach (var p in doc.Policies)
        {
            Check(p.Criteria, p.Location);
            Check(p.DevCriteria, p.Location);
        }

        foreach (var i in doc.Imports)
        {
            Check(i.CriteriaMap.Values.SelectMany(v => v), i.Location);
        }

        Check(doc.DefaultCriteria, new SourceLocation(doc.Path, 0, 0));
        Check(doc.DefaultDevCriteria, new SourceLocation(doc.Path, 0, 0));
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_.-]{0,63}$")]
    private static partial Regex ImportName();
}
