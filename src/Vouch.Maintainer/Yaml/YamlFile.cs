using System.Text;
using Vouch.Common.Yaml;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Vouch.Maintainer.Yaml;

/// <summary>
/// One YAML file of the repository: its exact text (for byte-exact edits), its parsed tree with
/// positions (YamlDotNet's representation model) and whether it uses aliases (edits are refused then,
/// since one change would land in every place the anchor is used).
/// </summary>
public sealed class YamlFile
{
    private YamlFile(string path, string text, bool bom, YamlNode? root, bool hasAliases, string crlf)
    {
        Path = path;
        Text = text;
        HasBom = bom;
        Root = root;
        HasAliases = hasAliases;
        NewLine = crlf;
    }

    /// <summary>Path relative to the repository root, with '/' separators.</summary>
    public string Path { get; }

    /// <summary>The decoded text without a byte-order mark.</summary>
    public string Text { get; }

    public bool HasBom { get; }

    public YamlNode? Root { get; }

    public bool HasAliases { get; }

    /// <summary>The line ending the file uses ("\r\n" when its first line ends so).</summary>
    public string NewLine { get; }

    /// <summary>Reads and parses a file under the caps; null and a one-line reason when it is unreadable.</summary>
    public static YamlFile? Load(string fullPath, string relativePath, out string? error)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(fullPath);
            if (info.Length > MaintainerLimits.MaxFileBytes)
            {
                error = $"larger than {MaintainerLimits.MaxFileBytes} bytes";
                return null;
            }

            bytes = File.ReadAllBytes(fullPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = e.Message;
            return null;
        }

        return Parse(bytes, relativePath, out error);
    }

    /// <summary>Parses bytes (UTF-8, optional BOM) under the caps.</summary>
    public static YamlFile? Parse(byte[] bytes, string relativePath, out string? error)
    {
        if (bytes.Length > MaintainerLimits.MaxFileBytes)
        {
            error = $"larger than {MaintainerLimits.MaxFileBytes} bytes";
            return null;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            error = "not valid UTF-8";
            return null;
        }

        var bom = text.StartsWith('\uFEFF');
        if (bom)
        {
            text = text[1..];
        }

        var firstNewLine = text.IndexOf('\n', StringComparison.Ordinal);
        var newLine = firstNewLine > 0 && text[firstNewLine - 1] == '\r' ? "\r\n" : "\n";
        var loaded = YamlLoader.Load(text, new YamlLimits(MaintainerLimits.MaxYamlDepth, MaintainerLimits.MaxYamlAliases));
        if (loaded.Error is { } e)
        {
            if (e.Problem == YamlProblem.Empty)
            {
                error = null;
                return new YamlFile(relativePath, text, bom, null, false, newLine);
            }

            error = e.Problem == YamlProblem.Syntax
                ? $"line {e.Line}, column {e.Column}: invalid YAML ({e.Reason})"
                : $"line {e.Line}: {e.Reason}";
            return null;
        }

        error = null;
        return new YamlFile(relativePath, text, bom, loaded.Root, loaded.Aliases > 0, newLine);
    }

    /// <summary>1-based line and column (UTF-16 code units) of an offset into <see cref="Text"/>.</summary>
    public (int Line, int Column) Position(int offset)
    {
        _lineStarts ??= LineStarts(Text);
        var line = Array.BinarySearch(_lineStarts, offset);
        if (line < 0)
        {
            line = ~line - 1;
        }

        return (line + 1, offset - _lineStarts[line] + 1);
    }

    /// <summary>Offset of the first character of the line holding <paramref name="offset"/>.</summary>
    public int LineStart(int offset)
    {
        var i = Math.Min(offset, Text.Length);
        while (i > 0 && Text[i - 1] != '\n')
        {
            i--;
        }

        return i;
    }

    /// <summary>
    /// The text a scalar occupies in the file and its offset: the whole node for plain and block
    /// scalars, inside the quotes for quoted ones. Offsets into it are file offsets minus the start.
    /// </summary>
    public (int Offset, string Raw) RawSpan(YamlScalarNode node)
    {
        var start = (int)node.Start.Index;
        var end = Math.Min((int)node.End.Index, Text.Length);
        if (node.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted && end - start >= 2)
        {
            start++;
            end--;
        }

        return start > end ? (start, string.Empty) : (start, Text[start..end]);
    }

    private int[]? _lineStarts;

    private static int[] LineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                starts.Add(i + 1);
            }
        }

        return [.. starts];
    }

    /// <summary>The bytes of a new text, with the original's byte-order mark.</summary>
    public byte[] Encode(string newText) => Encoding.UTF8.GetBytes(HasBom ? "\uFEFF" + newText : newText);
}

/// <summary>Small, null-tolerant accessors over YamlDotNet nodes.</summary>
public static class YamlAccess
{
    public static YamlNode? Get(this YamlNode? node, string key)
    {
        if (node is not YamlMappingNode map)
        {
            return null;
        }

        foreach (var (k, v) in map.Children)
        {
            if (k is YamlScalarNode s && s.Value == key)
            {
                return v;
            }
        }

        return null;
    }

    public static YamlScalarNode? KeyNode(this YamlNode? node, string key)
    {
        if (node is not YamlMappingNode map)
        {
            return null;
        }

        foreach (var (k, _) in map.Children)
        {
            if (k is YamlScalarNode s && s.Value == key)
            {
                return s;
            }
        }

        return null;
    }

    public static string? Scalar(this YamlNode? node) => node is YamlScalarNode s ? s.Value : null;

    public static string? ScalarAt(this YamlNode? node, string key) => node.Get(key).Scalar();

    public static IEnumerable<(string Key, YamlScalarNode KeyNode, YamlNode Value)> Pairs(this YamlNode? node)
    {
        if (node is not YamlMappingNode map)
        {
            yield break;
        }

        foreach (var (k, v) in map.Children)
        {
            if (k is YamlScalarNode s && s.Value is not null)
            {
                yield return (s.Value, s, v);
            }
        }
    }

    public static IEnumerable<YamlNode> Items(this YamlNode? node) =>
        node is YamlSequenceNode seq ? seq.Children : [];
}
