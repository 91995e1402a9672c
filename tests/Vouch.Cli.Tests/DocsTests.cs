using System.Text.RegularExpressions;

namespace Vouch.Cli.Tests;

/// <summary>Every stable code the sources can emit is documented: docs/codes.md is part of the contract.</summary>
public sealed partial class DocsTests
{
    // Environment variables share the prefix but are not failure codes (documented in docs/cli.md).
    private static readonly HashSet<string> EnvironmentVariables = ["VOUCH_CACHE_DIR", "VOUCH_GATE_TOKEN", "VOUCH_GATE_URL"];

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
    public void CliDoc_WhenComparedWithCommandTree_NamesEveryTopLevelCommand()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "cli.md"));
        foreach (var command in new[] { "sigstore verify-bundle", "trust", "verify", "audit", "policy", "serve", "approve", "sandbox", "sri", "maintainer check", "verify-vsa", "db update", "db status", "db query", "db export", "db popular", "check" })
        {
            Assert.Contains($"vouch {command}", doc, StringComparison.Ordinal);
        }
    }

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
}
