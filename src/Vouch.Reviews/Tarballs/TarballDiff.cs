using System.Net;
using System.Text;
using System.Text.Json;
using Vouch.Common.Json;

namespace Vouch.Reviews.Tarballs;

/// <summary>What a reviewer should look at first, most important first.</summary>
public enum DiffFindingKind
{
    InstallScript,
    NativeBinary,
    NewDependency,
    Obfuscated,
    Minified,
    EntryPoint,
}

public sealed record DiffFinding(DiffFindingKind Kind, string Path, string Message);

public enum FileChange
{
    Added,
    Removed,
    Changed,
}

/// <summary>One file that differs; line counts are for text files (a line multiset difference).</summary>
public sealed record FileDiff(string Path, FileChange Change, long OldBytes, long NewBytes, bool Binary, int LinesAdded, int LinesRemoved);

/// <summary>The file-level diff of two versions of a package (`vouch review diff`).</summary>
public sealed record TarballDiffResult(string Name, string From, string To, IReadOnlyList<DiffFinding> Findings, IReadOnlyList<FileDiff> Files)
{
    /// <summary>Bytes a reviewer has to read: added files and the larger side of changed ones (`suggest` ranks by this).</summary>
    public long ReviewBytes => Files.Where(f => f.Change != FileChange.Removed).Sum(f => f.NewBytes);

    public int LinesChanged => Files.Sum(f => f.LinesAdded + f.LinesRemoved);
}

/// <summary>Compares two package file sets and ranks what matters for a security review.</summary>
public static class TarballDiff
{
    private static readonly string[] InstallScripts = ["preinstall", "install", "postinstall", "preuninstall", "uninstall", "postuninstall"];
    private static readonly string[] EntryFields = ["main", "module", "exports", "bin", "browser", "types", "imports"];
    private static readonly string[] DependencyFields = ["dependencies", "optionalDependencies", "peerDependencies", "bundleDependencies", "bundledDependencies"];

    /// <summary>Diff from <paramref name="from"/> (null: a full review, everything is added) to <paramref name="to"/>.</summary>
    public static TarballDiffResult Compare(string name, string? fromVersion, PackageFiles? from, string toVersion, PackageFiles to)
    {
        var old = from?.Files ?? new Dictionary<string, byte[]>();
        var files = new List<FileDiff>();
        var findings = new List<DiffFinding>();
        foreach (var (path, content) in to.Files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var binary = IsBinary(content);
            if (!old.TryGetValue(path, out var before))
            {
                var (a, _) = binary ? (0, 0) : LineDelta([], Lines(content));
                files.Add(new FileDiff(path, FileChange.Added, 0, content.Length, binary, a, 0));
                if (binary && from is not null || IsNative(path, content))
                {
                    findings.Add(new DiffFinding(DiffFindingKind.NativeBinary, path, IsNative(path, content) ? "new native executable or addon" : "new binary file"));
                }

                Inspect(path, content, findings);
            }
            else if (!before.AsSpan().SequenceEqual(content))
            {
                var (a, r) = binary || IsBinary(before) ? (0, 0) : LineDelta(Lines(before), Lines(content));
                files.Add(new FileDiff(path, FileChange.Changed, before.Length, content.Length, binary, a, r));
                if (IsNative(path, content))
                {
                    findings.Add(new DiffFinding(DiffFindingKind.NativeBinary, path, "changed native executable or addon"));
                }

                Inspect(path, content, findings);
            }
        }

        foreach (var (path, content) in old.Where(o => !to.Files.ContainsKey(o.Key)).OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            files.Add(new FileDiff(path, FileChange.Removed, content.Length, 0, IsBinary(content), 0, IsBinary(content) ? 0 : Lines(content).Count));
        }

        ComparePackageJson(old.GetValueOrDefault("package.json"), to.Files.GetValueOrDefault("package.json"), findings);
        return new TarballDiffResult(name, fromVersion ?? "(none)", toVersion, findings.OrderBy(f => f.Kind).ThenBy(f => f.Path, StringComparer.Ordinal).ToList(), files);
    }

    private static void ComparePackageJson(byte[]? before, byte[]? after, List<DiffFinding> findings)
    {
        var a = ParseJson(before);
        var b = ParseJson(after);
        if (b is null)
        {
            return;
        }

        foreach (var script in InstallScripts)
        {
            var was = Prop(a, "scripts", script);
            var now = Prop(b, "scripts", script);
            if (now is not null && now != was)
            {
                findings.Add(new DiffFinding(DiffFindingKind.InstallScript, "package.json", was is null ? $"new {script} script: {now}" : $"{script} script changed: {was} → {now}"));
            }
        }

        foreach (var field in DependencyFields)
        {
            var olds = Map(a, field);
            foreach (var (dep, range) in Map(b, field))
            {
                if (!olds.TryGetValue(dep, out var oldRange))
                {
                    findings.Add(new DiffFinding(DiffFindingKind.NewDependency, "package.json", $"new {field} entry {dep}@{range}"));
                }
                else if (oldRange != range)
                {
                    findings.Add(new DiffFinding(DiffFindingKind.NewDependency, "package.json", $"{field} {dep} changed {oldRange} → {range}"));
                }
            }
        }

        foreach (var field in EntryFields)
        {
            var was = Raw(a, field);
            var now = Raw(b, field);
            if (was != now && a is not null)
            {
                findings.Add(new DiffFinding(DiffFindingKind.EntryPoint, "package.json", $"{field} changed: {was ?? "(none)"} → {now ?? "(none)"}"));
            }
        }
    }

    private static void Inspect(string path, byte[] content, List<DiffFinding> findings)
    {
        if (!(path.EndsWith(".js", StringComparison.Ordinal) || path.EndsWith(".cjs", StringComparison.Ordinal) || path.EndsWith(".mjs", StringComparison.Ordinal)) || IsBinary(content))
        {
            return;
        }

        var text = Encoding.UTF8.GetString(content);
        var lines = text.Split('\n');
        var longest = lines.Max(l => l.Length);
        var hexNames = CountOf(text, "_0x");
        var escapes = CountOf(text, "\\x") + CountOf(text, "\\u00");
        if (hexNames >= 20 || (text.Length > 0 && escapes * 20 > text.Length / 10) || text.Contains("eval(", StringComparison.Ordinal) && longest > 1000)
        {
            findings.Add(new DiffFinding(DiffFindingKind.Obfuscated, path, $"looks obfuscated ({hexNames} _0x names, {escapes} escapes, longest line {longest})"));
        }
        else if (longest > 1000 || (lines.Length > 0 && text.Length / lines.Length > 300))
        {
            findings.Add(new DiffFinding(DiffFindingKind.Minified, path, $"minified (longest line {longest} characters)"));
        }
    }

    private static int CountOf(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    public static bool IsBinary(byte[] content) => content.AsSpan(0, Math.Min(content.Length, 8000)).Contains((byte)0);

    private static bool IsNative(string path, byte[] c) =>
        path.EndsWith(".node", StringComparison.Ordinal) || path.EndsWith(".exe", StringComparison.Ordinal) || path.EndsWith(".dll", StringComparison.Ordinal) || path.EndsWith(".so", StringComparison.Ordinal) || path.EndsWith(".dylib", StringComparison.Ordinal)
        || (c.Length >= 4 && ((c[0] == 0x7f && c[1] == (byte)'E' && c[2] == (byte)'L' && c[3] == (byte)'F') || (c[0] == (byte)'M' && c[1] == (byte)'Z') || (c[0] == 0xcf && c[1] == 0xfa && c[2] == 0xed && c[3] == 0xfe) || (c[0] == 0xca && c[1] == 0xfe && c[2] == 0xba && c[3] == 0xbe)));

    private static List<string> Lines(byte[] content) => Encoding.UTF8.GetString(content).Split('\n').ToList();

    /// <summary>Lines added and removed as a multiset difference: cheap, order-insensitive, enough to size a review.</summary>
    private static (int Added, int Removed) LineDelta(List<string> before, List<string> after)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var l in before)
        {
            counts[l] = counts.GetValueOrDefault(l) + 1;
        }

        var added = 0;
        foreach (var l in after)
        {
            if (counts.TryGetValue(l, out var n) && n > 0)
            {
                counts[l] = n - 1;
            }
            else
            {
                added++;
            }
        }

        return (added, counts.Values.Sum());
    }

    private static JsonElement? ParseJson(byte[]? bytes)
    {
        if (bytes is null)
        {
            return null;
        }

        try
        {
            using var doc = JsonInput.Parse(bytes, 64);
            return doc.RootElement.ValueKind == JsonValueKind.Object ? doc.RootElement.Clone() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Prop(JsonElement? e, string obj, string key) =>
        e is { } j && j.TryGetProperty(obj, out var o) && o.ValueKind == JsonValueKind.Object && o.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string? Raw(JsonElement? e, string key) => e is { } j && j.TryGetProperty(key, out var v) ? v.GetRawText() : null;

    private static Dictionary<string, string> Map(JsonElement? e, string key)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (e is { } j && j.TryGetProperty(key, out var o))
        {
            if (o.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in o.EnumerateObject())
                {
                    map[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText();
                }
            }
            else if (o.ValueKind == JsonValueKind.Array)
            {
                foreach (var p in o.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String))
                {
                    map[p.GetString()!] = "(bundled)";
                }
            }
        }

        return map;
    }

    /// <summary>A standalone HTML page: findings first, then the files. Every text is HTML-encoded.</summary>
    public static string ToHtml(TarballDiffResult diff)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var sb = new StringBuilder();
        sb.Append("<!doctype html><html><head><meta charset=\"utf-8\"><title>").Append(E($"{diff.Name} {diff.From} → {diff.To}")).Append("</title>");
        sb.Append("<style>body{font-family:sans-serif}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}.InstallScript,.NativeBinary,.Obfuscated{background:#fdd}.NewDependency,.EntryPoint,.Minified{background:#ffd}</style></head><body>");
        sb.Append("<h1>").Append(E($"{diff.Name} {diff.From} → {diff.To}")).Append("</h1>");
        sb.Append("<p>").Append(E($"{diff.Files.Count} files differ, {diff.ReviewBytes} bytes to review, {diff.LinesChanged} lines changed")).Append("</p>");
        sb.Append("<h2>What matters first</h2><table><tr><th>kind</th><th>file</th><th>finding</th></tr>");
        foreach (var f in diff.Findings)
        {
            sb.Append("<tr class=\"").Append(f.Kind).Append("\"><td>").Append(E(f.Kind.ToString())).Append("</td><td>").Append(E(f.Path)).Append("</td><td>").Append(E(f.Message)).Append("</td></tr>");
        }

        sb.Append("</table><h2>Files</h2><table><tr><th>change</th><th>file</th><th>bytes</th><th>+lines</th><th>-lines</th></tr>");
        foreach (var f in diff.Files)
        {
            sb.Append("<tr><td>").Append(f.Change).Append("</td><td>").Append(E(f.Path)).Append("</td><td>").Append(f.OldBytes).Append(" → ").Append(f.NewBytes).Append("</td><td>").Append(f.LinesAdded).Append("</td><td>").Append(f.LinesRemoved).Append("</td></tr>");
        }

        return sb.Append("</table></body></html>\n").ToString();
    }
}
