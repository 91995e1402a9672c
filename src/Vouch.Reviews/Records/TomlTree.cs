using Tomlyn.Model;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace Vouch.Reviews.Records;

/// <summary>
/// Turns Tomlyn's syntax tree into the TOML data model, remembering where every key was written.
/// Tomlyn's own object model loses entries when an array of tables is reopened after another table
/// (Google's audit file does this), and it does not reject duplicate keys; the syntax tree has
/// neither problem and carries exact positions, so the model is built from it here.
/// </summary>
internal sealed class TomlTree
{
    public const string HeaderKey = "\0header";

    private readonly string _file;
    private readonly Dictionary<TomlTable, Dictionary<string, SourceLocation>> _positions = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<TomlTable> _explicitTables = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<TomlTable> _inline = new(ReferenceEqualityComparer.Instance);

    private TomlTree(string file) => _file = file;

    public TomlTable Root { get; } = new();

    public List<ReviewProblem> Problems { get; } = [];

    public static TomlTree Parse(string text, string file)
    {
        var tree = new TomlTree(file);
        var doc = SyntaxParser.Parse(text, file, validate: true);
        if (doc.HasErrors)
        {
            foreach (var d in doc.Diagnostics.Where(d => d.Kind == DiagnosticMessageKind.Error))
            {
                tree.Problems.Add(new ReviewProblem(file, d.Span.Start.Line + 1, d.Span.Start.Column + 1, d.Message));
            }

            return tree;
        }

        tree.Fill(tree.Root, doc.KeyValues);
        foreach (var table in doc.Tables)
        {
            tree.AddTable(table);
        }

        return tree;
    }

    public SourceLocation Location(TomlTable table, string key) =>
        _positions.TryGetValue(table, out var keys) && keys.TryGetValue(key, out var at) ? at : new SourceLocation(_file, 0, 0);

    private SourceLocation At(SyntaxNode node) => new(_file, node.Span.Start.Line + 1, node.Span.Start.Column + 1);

    private void Remember(TomlTable table, string key, SourceLocation at)
    {
        if (!_positions.TryGetValue(table, out var keys))
        {
            _positions[table] = keys = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        }

        keys.TryAdd(key, at);
    }

    private void AddTable(TableSyntaxBase syntax)
    {
        if (syntax.Name is null)
        {
            return;
        }

        var at = At(syntax.Name);
        var parts = KeyParts(syntax.Name);
        var table = Root;
        for (var i = 0; i < parts.Count - 1; i++)
        {
            if (Descend(table, parts[i], at) is not { } next)
            {
                return;
            }

            table = next;
        }

        var last = parts[^1];
        if (syntax is TableArraySyntax)
        {
            if (!table.TryGetValue(last, out var existing))
            {
                existing = new TomlTableArray();
                table[last] = existing;
                Remember(table, last, at);
            }

            if (existing is not TomlTableArray array)
            {
                Problems.Add(new ReviewProblem(_file, at.Line, at.Column, $"'{last}' is already defined and is not an array of tables"));
                return;
            }

            var element = new TomlTable();
            array.Add(element);
            Remember(element, HeaderKey, at);
            Fill(element, syntax.Items);
            return;
        }

        if (table.TryGetValue(last, out var current))
        {
            if (current is not TomlTable t || _explicitTables.Contains(t) || _inline.Contains(t))
            {
                Problems.Add(new ReviewProblem(_file, at.Line, at.Column, $"table '{string.Join('.', parts)}' is defined twice"));
                return;
            }

            _explicitTables.Add(t);
            Fill(t, syntax.Items);
            return;
        }

        var fresh = new TomlTable();
        table[last] = fresh;
        _explicitTables.Add(fresh);
        Remember(table, last, at);
        Remember(fresh, HeaderKey, at);
        Fill(fresh, syntax.Items);
    }

    /// <summary>Steps into a sub-table (creating it), or into the last element of an array of tables.</summary>
    private TomlTable? Descend(TomlTable table, string key, SourceLocation at)
    {
        if (!table.TryGetValue(key, out var value))
        {
            var created = new TomlTable();
            table[key] = created;
            Remember(table, key, at);
            return created;
        }

        switch (value)
        {
            case TomlTable t when !_inline.Contains(t):
                return t;
            case TomlTableArray { Count: > 0 } a:
                return a[^1];
            default:
                Problems.Add(new ReviewProblem(_file, at.Line, at.Column, $"'{key}' is already a value and cannot hold a table"));
                return null;
        }
    }

    private void Fill(TomlTable table, IEnumerable<KeyValueSyntax> items)
    {
        foreach (var kv in items)
        {
            if (kv.Key is null || kv.Value is null)
            {
                continue;
            }

            var at = At(kv.Key);
            var parts = KeyParts(kv.Key);
            var target = table;
            for (var i = 0; i < parts.Count - 1 && target is not null; i++)
            {
                target = Descend(target, parts[i], at);
            }

            if (target is null)
            {
                continue;
            }

            var last = parts[^1];
            if (target.ContainsKey(last))
            {
                Problems.Add(new ReviewProblem(_file, at.Line, at.Column, $"duplicate key '{string.Join('.', parts)}'"));
                continue;
            }

            target[last] = Value(kv.Value);
            Remember(target, last, at);
        }
    }

    private object Value(ValueSyntax value)
    {
        switch (value)
        {
            case StringValueSyntax s:
                return s.Value ?? "";
            case IntegerValueSyntax i:
                return i.Value;
            case BooleanValueSyntax b:
                return b.Value;
            case FloatValueSyntax f:
                return f.Value;
            case DateTimeValueSyntax d:
                return d.Value;
            case ArraySyntax a:
                var array = new TomlArray();
                foreach (var item in a.Items)
                {
                    if (item.Value is { } v)
                    {
                        array.Add(Value(v));
                    }
                }

                return array;
            case InlineTableSyntax t:
                var table = new TomlTable();
                _inline.Add(table);
                Fill(table, t.Items.Select(item => item.KeyValue).OfType<KeyValueSyntax>());

                return table;
            default:
                Problems.Add(new ReviewProblem(_file, value.Span.Start.Line + 1, value.Span.Start.Column + 1, "unsupported TOML value"));
                return "";
        }
    }

    private static List<string> KeyParts(KeySyntax key)
    {
        var parts = new List<string> { KeyText(key.Key) };
        foreach (var dotted in key.DotKeys)
        {
            parts.Add(KeyText(dotted.Key));
        }

        return parts;
    }

    private static string KeyText(BareKeyOrStringValueSyntax? key) => key switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? "",
        StringValueSyntax s => s.Value ?? "",
        _ => "",
    };
}
