using System.Text.RegularExpressions;
using Vouch.Tests;

namespace Vouch.Maintainer.Tests;

/// <summary>One row of the table in shared/fixtures/workflows/README.md.</summary>
public sealed record WorkflowRow(string Repo, string Folder, string File, string Commit, string Category, string Provenance, string Risks)
{
    public override string ToString() => $"{Repo} {File}";

    /// <summary>The first category letter (a-f).</summary>
    public char Main => Category.TrimStart()[0];

    /// <summary>Letters after the main one: "a + b" and "a (+c)" both give {b}/{c}.</summary>
    public IReadOnlyList<char> Extra => [.. Regex.Matches(Category[1..], "[a-f]").Select(m => m.Value[0])];
}

/// <summary>
/// Reads the fixture table and lays each row out as a repository (the workflow under
/// .github/workflows, or .gitlab-ci.yml at the root; `a__b__package.json` as a/b/package.json). The
/// table is the specification: tests iterate over it, so a held-out set in the same layout
/// (VOUCH_WORKFLOW_FIXTURES=dir) runs through the same assertions.
/// </summary>
internal static partial class WorkflowFixtures
{
    public static string Root =>
        Environment.GetEnvironmentVariable("VOUCH_WORKFLOW_FIXTURES") is { Length: > 0 } dir ? dir : SharedFixtures.Path("workflows");

    public static IReadOnlyList<WorkflowRow> Rows()
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var rows = new List<WorkflowRow>();
        var inFiles = false;
        foreach (var line in readme.Split('\n'))
        {
            if (line.StartsWith("| repo | file |", StringComparison.Ordinal))
            {
                inFiles = true;
                continue;
            }

            if (!inFiles || !line.StartsWith('|'))
            {
                if (inFiles && rows.Count > 0 && !line.StartsWith('|'))
                {
                    break;
                }

                continue;
            }

            var cells = SplitRow(line);
            if (cells.Count < 6 || cells[0].StartsWith("---", StringComparison.Ordinal))
            {
                continue;
            }

            var repo = cells[0];
            var file = cells[1].Trim('`');
            var commit = Sha().Match(cells[2]).Value;
            rows.Add(new WorkflowRow(repo, repo.Replace("/", "__", StringComparison.Ordinal), file, commit, cells[3], cells[4], cells[5]));
        }

        return rows;
    }

    public static IEnumerable<object[]> Data() => Rows().Select(r => new object[] { r.Repo, r.File });

    public static WorkflowRow Row(string repo, string file) => Rows().Single(r => r.Repo == repo && r.File == file);

    /// <summary>
    /// Lays out a temporary repository for a row. package.json files come from one commit per folder:
    /// the README names it where it differs from a workflow's ("both from 99d3d3db"); a package.json of
    /// another commit says nothing about this workflow, so it is left out.
    /// </summary>
    public static string Materialize(WorkflowRow row)
    {
        var source = Path.Combine(Root, row.Folder);
        var target = Path.Combine(Path.GetTempPath(), "vouch-maint-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(target);
        if (row.File == ".gitlab-ci.yml")
        {
            File.Copy(Path.Combine(source, row.File), Path.Combine(target, ".gitlab-ci.yml"));
        }
        else
        {
            Directory.CreateDirectory(Path.Combine(target, ".github", "workflows"));
            File.Copy(Path.Combine(source, row.File), Path.Combine(target, ".github", "workflows", row.File));
        }

        if (PackageCommit(row.Folder) is not { } pinned || row.Commit.StartsWith(pinned, StringComparison.Ordinal))
        {
            foreach (var manifest in Directory.EnumerateFiles(source, "*package.json"))
            {
                var rel = Path.GetFileName(manifest).Replace("__", "/", StringComparison.Ordinal);
                var dest = Path.Combine(target, rel);
                Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                File.Copy(manifest, dest);
            }
        }

        return target;
    }

    private static string? PackageCommit(string folder)
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var m = Regex.Match(readme, "`" + Regex.Escape(folder) + @"` \(both from ([0-9a-f]{7,40})");
        return m.Success ? m.Groups[1].Value : null;
    }

    private static List<string> SplitRow(string line)
    {
        // Cells are separated by '|' outside backticks (a cell may quote `a | b`).
        var cells = new List<string>();
        var current = new System.Text.StringBuilder();
        var code = false;
        foreach (var c in line.Trim().Trim('|'))
        {
            if (c == '`')
            {
                code = !code;
            }

            if (c == '|' && !code)
            {
                cells.Add(current.ToString().Trim());
                current.Clear();
                continue;
            }

            current.Append(c);
        }

        cells.Add(current.ToString().Trim());
        return cells;
    }

    [GeneratedRegex("[0-9a-f]{40}")]
    private static partial Regex Sha();
}
