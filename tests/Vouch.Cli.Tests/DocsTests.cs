using System.Text.RegularExpressions;

namespace Vouch.Cli.Tests;

/// <summary>Every stable code the sources can emit is documented: docs/codes.md is part of the contract.</summary>
public sealed partial class DocsTests
{
    // Environment variables share the prefix but are not failure codes (documented in docs/cli.md).
    private static readonly HashSet<string> EnvironmentVariables = ["VOUCH_CACHE_DIR", "VOUCH_GATE_TOKEN", "VOUCH_GATE_URL", "VOUCH_PROFILE", "VOUCH_PUBLISH_TOKEN", "VOUCH_WEBHOOK_SECRET", "VOUCH_OIDC_CLIENT_SECRET"];

    [Fact]
    public void CodesDoc_WhenComparedWithSources_ListsEveryCode()
    {
        var root = RepositoryRoot();
        var doc = File.ReadAllText(Path.Combine(root, "docs", "codes.md"));
        var codes = Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => CodeLiteral().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .Where(c => !EnvironmentVariables.Contains(c))
            .ToHashSet();

        Assert.True(codes.Count > 100, $"only {codes.Count} codes found: is the source scan broken?");
        var missing = codes.Where(c => !doc.Contains($"`{c}`", StringComparison.Ordinal)).Order().ToList();
        Assert.True(missing.Count == 0, "not in docs/codes.md: " + string.Join(", ", missing));
    }

    [Fact]
    public void CodesDoc_WhenComparedWithSources_ListsOnlyCodesTheSourcesDeclareAndUse()
    {
        var root = RepositoryRoot();
        var doc = File.ReadAllText(Path.Combine(root, "docs", "codes.md"));
        var sources = SourceFiles(root).ToDictionary(f => f, File.ReadAllText);
        var all = string.Join("\n", sources.Values);
        var declared = sources.Values.SelectMany(t => CodeLiteral().Matches(t).Select(m => m.Groups[1].Value)).ToHashSet();
        var documented = DocumentedCode().Matches(doc).Select(m => m.Groups[1].Value).Where(c => !EnvironmentVariables.Contains(c)).ToHashSet();
        Assert.True(documented.Count > 100, $"only {documented.Count} codes found in docs/codes.md: is the scan broken?");
        var stale = documented.Where(c => !declared.Contains(c)).Order().ToList();
        Assert.True(stale.Count == 0, "documented but in no source: " + string.Join(", ", stale));

        // Declared is not emitted: each constant of a codes class is used somewhere besides its declaration.
        var unused = new List<string>();
        foreach (var text in sources.Values)
        {
            foreach (Match c in CodesClass().Matches(text))
            {
                foreach (Match constant in CodeConstant().Matches(text))
                {
                    if (!Regex.IsMatch(all, $@"\b{c.Groups[1].Value}\.{constant.Groups[1].Value}\b") && Regex.Matches(text, $@"\b{constant.Groups[1].Value}\b").Count < 2)
                    {
                        unused.Add($"{c.Groups[1].Value}.{constant.Groups[1].Value} ({constant.Groups[2].Value})");
                    }
                }
            }
        }

        Assert.True(unused.Count == 0, "declared but never emitted: " + string.Join(", ", unused.Distinct()));
    }

    [Fact]
    public void Sources_WhenTheyEmitACode_NameItThroughACodesClass()
    {
        var literals = SourceFiles(RepositoryRoot())
            .Select(f => (File: f, Text: File.ReadAllText(f)))
            .Where(f => !CodesClass().IsMatch(f.Text))
            .SelectMany(f => CodeLiteral().Matches(f.Text).Select(m => $"{Path.GetFileName(f.File)}: {m.Groups[1].Value}"))
            .Where(c => !EnvironmentVariables.Any(v => c.EndsWith(v, StringComparison.Ordinal)))
            .ToList();
        Assert.True(literals.Count == 0, "codes written as string literals outside a *Codes class: " + string.Join(", ", literals));
    }

    [Fact]
    public void CliDoc_WhenComparedWithTheRealCommandTree_NamesEveryCommand()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "cli.md"));
        var missing = new List<string>();
        foreach (var command in VouchCli.BuildRoot(TextWriter.Null, TextWriter.Null).Subcommands)
        {
            if (!doc.Contains($"vouch {command.Name}", StringComparison.Ordinal))
            {
                missing.Add($"vouch {command.Name}");
            }

            // Subcommands appear after their parent, alone or in a list: `vouch sri scan|fix|hash`.
            missing.AddRange(command.Subcommands
                .Where(sub => !Regex.IsMatch(doc, $@"vouch {Regex.Escape(command.Name)}[ a-z|-]*\b{Regex.Escape(sub.Name)}\b"))
                .Select(sub => $"vouch {command.Name} {sub.Name}"));
        }

        Assert.True(missing.Count == 0, "not in docs/cli.md: " + string.Join(", ", missing));
    }

    private static IEnumerable<string> SourceFiles(string root) =>
        Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Vouch.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Vouch.slnx not found above the test binaries");
    }

    [GeneratedRegex("\"((?:VOUCH|SIGSTORE|TUF)_[A-Z0-9_]*[A-Z0-9])\"")]
    private static partial Regex CodeLiteral();

    [GeneratedRegex("`((?:VOUCH|SIGSTORE|TUF)_[A-Z0-9_]*[A-Z0-9])`")]
    private static partial Regex DocumentedCode();

    [GeneratedRegex(@"static class (\w*Codes)\b")]
    private static partial Regex CodesClass();

    [GeneratedRegex("public const string (\\w+) = \"((?:VOUCH|SIGSTORE|TUF)_[A-Z0-9_]+)\"")]
    private static partial Regex CodeConstant();
}
