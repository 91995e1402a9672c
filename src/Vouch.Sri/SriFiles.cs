using System.Text;
using Vouch.Common;

namespace Vouch.Sri;

/// <summary>Which files a scan reads, and how they are read and written.</summary>
public static class SriFiles
{
    private static readonly HashSet<string> SkippedDirectories = new(StringComparer.Ordinal) { "node_modules", "bower_components", "bin", "obj" };

    /// <summary>
    /// Files named directly are read whatever their extension; directories are walked for HTML and
    /// template files, skipping hidden directories and dependency/build output. Null and an error when a path does not exist.
    /// </summary>
    public static IReadOnlyList<string>? Collect(IEnumerable<string> paths, out string? error)
    {
        var files = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                if (seen.Add(Path.GetFullPath(path)))
                {
                    files.Add(path);
                }

                continue;
            }

            if (!Directory.Exists(path))
            {
                error = $"{path}: no such file or directory";
                return null;
            }

            var stack = new Stack<string>();
            stack.Push(path);
            while (stack.Count > 0)
            {
                var dir = stack.Pop();
                foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
                {
                    if (TemplateSyntax.IsSupported(file) && seen.Add(Path.GetFullPath(file)))
                    {
                        files.Add(file);
                        if (files.Count > Limits.MaxFiles)
                        {
                            error = $"{path}: more than {Limits.MaxFiles} files; name fewer paths";
                            return null;
                        }
                    }
                }

                foreach (var sub in Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal).Reverse())
                {
                    var name = Path.GetFileName(sub);
                    if (!name.StartsWith('.') && !SkippedDirectories.Contains(name) && (File.GetAttributes(sub) & FileAttributes.ReparsePoint) == 0)
                    {
                        stack.Push(sub);
                    }
                }
            }
        }

        error = null;
        return files;
    }

    /// <summary>Reads one file, capped; null and an error when it is too large or unreadable.</summary>
    public static SourceText? Read(string path, out string? error)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Length > Limits.MaxDocumentBytes)
            {
                error = $"{path}: larger than {Limits.MaxDocumentBytes} bytes";
                return null;
            }

            error = null;
            return SourceText.Decode(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"{path}: {e.Message}";
            return null;
        }
    }

    /// <summary>A unified diff of two texts that have the same lines except for edits inside lines (what `fix` produces).</summary>
    public static string UnifiedDiff(string path, string oldText, string newText)
    {
        var oldLines = SplitLines(oldText);
        var newLines = SplitLines(newText);
        var sb = new StringBuilder();
        if (oldLines.Count != newLines.Count)
        {
            // Not expected from fix; show the whole file rather than a wrong hunk.
            sb.Append($"--- a/{path}\n+++ b/{path}\n@@ -1,{oldLines.Count} +1,{newLines.Count} @@\n");
            oldLines.ForEach(l => sb.Append('-').Append(l).Append('\n'));
            newLines.ForEach(l => sb.Append('+').Append(l).Append('\n'));
            return sb.ToString();
        }

        var i = 0;
        var header = false;
        while (i < oldLines.Count)
        {
            if (oldLines[i] == newLines[i])
            {
                i++;
                continue;
            }

            var start = i;
            while (i < oldLines.Count && oldLines[i] != newLines[i])
            {
                i++;
            }

            if (!header)
            {
                sb.Append($"--- a/{path}\n+++ b/{path}\n");
                header = true;
            }

            var n = i - start;
            sb.Append($"@@ -{start + 1},{n} +{start + 1},{n} @@\n");
            for (var k = start; k < i; k++)
            {
                sb.Append('-').Append(oldLines[k]).Append('\n');
            }

            for (var k = start; k < i; k++)
            {
                sb.Append('+').Append(newLines[k]).Append('\n');
            }
        }

        return sb.ToString();
    }

    private static List<string> SplitLines(string text) =>
        [.. text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n')];
}
