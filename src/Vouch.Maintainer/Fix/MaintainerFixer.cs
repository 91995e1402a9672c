using System.Text;
using Vouch.Maintainer.Analysis;

namespace Vouch.Maintainer.Fix;

/// <summary>One file `--fix` changes: its old and new text and the bytes to write.</summary>
public sealed record FileFix(string Path, string OldText, string NewText, byte[] NewBytes, IReadOnlyList<Finding> Fixed);

/// <summary>
/// Applies the edits of fixable findings: insertions only, each placed by the analyzers next to the
/// node it concerns, so every other byte (comments, quoting, line endings, BOM) is unchanged. Identical
/// edits from several findings (one id-token line for two publish steps) are applied once.
/// </summary>
public static class MaintainerFixer
{
    public static IReadOnlyList<FileFix> Plan(MaintainerReport report)
    {
        var fixes = new List<FileFix>();
        var files = report.Contents.Workflows.Concat(report.Contents.GitLabCi is { } g ? [g] : []).ToDictionary(f => f.Path, StringComparer.Ordinal);
        foreach (var group in report.Findings.Where(f => f.Fixable).GroupBy(f => f.Edits[0].File, StringComparer.Ordinal))
        {
            if (!files.TryGetValue(group.Key, out var file))
            {
                continue;
            }

            var edits = group.SelectMany(f => f.Edits).Distinct().OrderByDescending(e => e.Offset).ThenByDescending(e => e.NewText, StringComparer.Ordinal).ToList();
            var text = new StringBuilder(file.Text);
            var previous = int.MaxValue;
            foreach (var edit in edits)
            {
                // Edits never overlap by construction; an overlap would mean a bug, so stop rather than corrupt the file.
                if (edit.Offset + edit.Length > previous || edit.Offset < 0 || edit.Offset + edit.Length > file.Text.Length)
                {
                    throw new InvalidOperationException($"{file.Path}: overlapping edits at offset {edit.Offset}");
                }

                text.Remove(edit.Offset, edit.Length).Insert(edit.Offset, edit.NewText);
                previous = edit.Offset;
            }

            var newText = text.ToString();
            fixes.Add(new FileFix(file.Path, file.Text, newText, file.Encode(newText), group.ToList()));
        }

        return fixes;
    }

    /// <summary>A unified diff (three lines of context) between two texts, by longest common subsequence of lines.</summary>
    public static string UnifiedDiff(string path, string oldText, string newText)
    {
        var a = oldText.Split('\n');
        var b = newText.Split('\n');
        var n = a.Length;
        var m = b.Length;
        if ((long)n * m > 25_000_000)
        {
            return $"--- a/{path}\n+++ b/{path}\n(file too large to diff)\n";
        }

        var lcs = new int[n + 1, m + 1];
        for (var i = n - 1; i >= 0; i--)
        {
            for (var j = m - 1; j >= 0; j--)
            {
                lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);
            }
        }

        var ops = new List<(char Op, string Line, int OldLine, int NewLine)>();
        int x = 0, y = 0;
        while (x < n || y < m)
        {
            if (x < n && y < m && a[x] == b[y])
            {
                ops.Add((' ', a[x], x, y));
                x++;
                y++;
            }
            else if (x < n && (y == m || lcs[x + 1, y] >= lcs[x, y + 1]))
            {
                ops.Add(('-', a[x], x, y));
                x++;
            }
            else
            {
                ops.Add(('+', b[y], x, y));
                y++;
            }
        }

        var sb = new StringBuilder();
        sb.Append($"--- a/{path}\n+++ b/{path}\n");
        var k = 0;
        while (k < ops.Count)
        {
            if (ops[k].Op == ' ')
            {
                k++;
                continue;
            }

            var start = Math.Max(0, k - 3);
            var end = k;
            var lastChange = k;
            while (end < ops.Count && (ops[end].Op != ' ' || end - lastChange <= 6))
            {
                if (ops[end].Op != ' ')
                {
                    lastChange = end;
                }

                end++;
            }

            end = Math.Min(ops.Count, lastChange + 4);
            var oldCount = ops.Skip(start).Take(end - start).Count(o => o.Op != '+');
            var newCount = ops.Skip(start).Take(end - start).Count(o => o.Op != '-');
            sb.Append($"@@ -{ops[start].OldLine + 1},{oldCount} +{ops[start].NewLine + 1},{newCount} @@\n");
            for (var i = start; i < end; i++)
            {
                sb.Append(ops[i].Op).Append(ops[i].Line.TrimEnd('\r')).Append('\n');
            }

            k = end;
        }

        return sb.ToString();
    }
}
