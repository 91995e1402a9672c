using Vouch.Maintainer.Analysis;
using Vouch.Maintainer.Yaml;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Vouch.Maintainer.Fix;

/// <summary>
/// Builds the smallest text insertions into a YAML file: new lines placed before an existing key of a
/// block mapping, indented like it, so every other byte of the file stays as it was (comments, quoting,
/// line endings). Anything it cannot do that way (flow mappings, aliases, keys that do not start their
/// line) it refuses with a reason rather than re-serialising the document.
/// </summary>
internal static class YamlEdits
{
    public static TextEdit? InsertIntoMapping(YamlFile file, YamlNode? node, IReadOnlyList<string> lines, out string? refusal)
    {
        if (file.HasAliases)
        {
            refusal = "the file uses YAML aliases, so one edit could change several places";
            return null;
        }

        if (node is not YamlMappingNode map || map.Style == MappingStyle.Flow || map.Children.Count == 0)
        {
            refusal = "the mapping to extend is not a block mapping with entries";
            return null;
        }

        // A key that starts its line (only spaces before it): insert whole lines above it.
        foreach (var key in map.Children.Keys)
        {
            var offset = (int)key.Start.Index;
            var lineStart = file.LineStart(offset);
            if (offset <= file.Text.Length && file.Text.AsSpan(lineStart, offset - lineStart).IndexOfAnyExcept(' ') < 0)
            {
                var indent = new string(' ', offset - lineStart);

                // Comment lines right above the key belong to it: insert above them.
                while (lineStart > 0)
                {
                    var previous = file.LineStart(lineStart - 1);
                    var text = file.Text.AsSpan(previous, lineStart - previous).TrimEnd("\r\n");
                    if (!text.StartsWith(indent + "#", StringComparison.Ordinal))
                    {
                        break;
                    }

                    lineStart = previous;
                }

                refusal = null;
                return new TextEdit(file.Path, lineStart, 0, string.Concat(lines.Select(l => indent + l + file.NewLine)));
            }
        }

        // `- key: value` with no other key on its own line: add lines after the entry's single line.
        var (firstKey, firstValue) = map.Children.First();
        if (map.Children.Count == 1 && firstValue is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted } v
            && v.Start.Line == v.End.Line && firstKey.Start.Line == v.Start.Line)
        {
            var keyOffset = (int)firstKey.Start.Index;
            var indent = new string(' ', keyOffset - file.LineStart(keyOffset));
            var end = file.Text.IndexOf('\n', (int)v.End.Index);
            var text = string.Concat(lines.Select(l => indent + l + file.NewLine));
            refusal = null;
            return end < 0
                ? new TextEdit(file.Path, file.Text.Length, 0, file.NewLine + text.TrimEnd('\r', '\n'))
                : new TextEdit(file.Path, end + 1, 0, text);
        }

        refusal = "no key of the mapping starts its own line";
        return null;
    }

    /// <summary>Adds <c>NAME: value</c> to a step's or job's <c>env</c>/<c>variables</c>, creating the mapping when absent.</summary>
    public static TextEdit? AddVariable(YamlFile file, YamlNode owner, string mappingKey, string name, string value, out string? refusal)
    {
        var env = owner.Get(mappingKey);
        if (env is null)
        {
            return InsertIntoMapping(file, owner, [$"{mappingKey}:", $"  {name}: {value}"], out refusal);
        }

        return InsertIntoMapping(file, env, [$"{name}: {value}"], out refusal);
    }

    /// <summary>Inserts <paramref name="insert"/> right after offset <paramref name="at"/>.</summary>
    public static TextEdit Insert(YamlFile file, int at, string insert) => new(file.Path, at, 0, insert);
}
