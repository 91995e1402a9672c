using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Vouch.Npm.Lockfiles;

/// <summary>A small YAML node with its 1-based position: enough for one lockfile entry.</summary>
internal abstract class YNode(int line, int column)
{
    public int Line { get; } = line;

    public int Column { get; } = column;
}

internal sealed class YScalar(string value, int line, int column) : YNode(line, column)
{
    public string Value { get; } = value;
}

internal sealed class YMap(int line, int column) : YNode(line, column)
{
    public List<(YScalar Key, YNode Value)> Items { get; } = [];

    public YNode? this[string key]
    {
        get
        {
            foreach (var (k, v) in Items)
            {
                if (k.Value == key)
                {
                    return v;
                }
            }

            return null;
        }
    }

    public string? String(string key) => this[key] is YScalar s ? s.Value : null;

    public bool Bool(string key) => this[key] is YScalar { Value: "true" };
}

internal sealed class YSeq(int line, int column) : YNode(line, column)
{
    public List<YNode> Items { get; } = [];
}

/// <summary>
/// Streams a YAML lockfile whose top level is a mapping: sections the caller cares about are handed
/// over one entry at a time (key plus a small tree), everything else is skipped, so memory stays
/// one entry deep however long the file is. YamlDotNet does the syntax; aliases are refused (no
/// lockfile writes them, and expanding them is how YAML documents blow up).
/// </summary>
internal sealed class YamlLockfileReader
{
    private readonly IParser _parser;
    private readonly ParseContext _ctx;

    public YamlLockfileReader(string content, ParseContext ctx)
    {
        _parser = new Parser(new StringReader(content));
        _ctx = ctx;
    }

    /// <summary>
    /// Reads the top-level mapping. For each key, <paramref name="section"/> says how to read it:
    /// <c>Entries</c> calls <paramref name="onEntry"/> per member, <c>Tree</c> hands the whole value to
    /// <paramref name="onValue"/>, <c>Skip</c> skips it. Returns false for an empty document.
    /// With <paramref name="maxDocuments"/> above one, a stream of up to that many documents is read,
    /// each a mapping; <paramref name="onDocument"/> is told the index of each before its keys.
    /// </summary>
    public bool Read(
        Func<string, SectionMode> section,
        Action<string, YScalar, YNode> onEntry,
        Action<string, YScalar, YNode> onValue,
        int maxDocuments = 1,
        Action<int>? onDocument = null)
    {
        try
        {
            _parser.Consume<StreamStart>();
            if (_parser.Accept<StreamEnd>(out _))
            {
                return false;
            }

            for (var index = 0; ; index++)
            {
                if (index == maxDocuments)
                {
                    var at = _parser.Current;
                    throw _ctx.Malformed(
                        LineOf(at?.Start),
                        ColumnOf(at?.Start),
                        maxDocuments == 1 ? "expected one YAML document, found several" : $"expected at most {maxDocuments} YAML documents, found more");
                }

                onDocument?.Invoke(index);
                ReadDocument(section, onEntry, onValue);
                if (_parser.Accept<StreamEnd>(out _))
                {
                    return true;
                }
            }
        }
        catch (YamlException e)
        {
            throw _ctx.Malformed(LineOf(e.Start), ColumnOf(e.Start), $"not valid YAML: {Clean(e.Message)}", e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's parser reports running out of events (a truncated document) this way.
            throw _ctx.Malformed(LineOf(_parser.Current?.Start), ColumnOf(_parser.Current?.Start), "unexpected end of the YAML document", e);
        }
    }

    private void ReadDocument(Func<string, SectionMode> section, Action<string, YScalar, YNode> onEntry, Action<string, YScalar, YNode> onValue)
    {
        _parser.Consume<DocumentStart>();
        if (!_parser.Accept<MappingStart>(out _))
        {
            var at = _parser.Current;
            throw _ctx.Malformed(LineOf(at?.Start), ColumnOf(at?.Start), "expected a mapping at the top level");
        }

        _parser.MoveNext();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (!_parser.TryConsume<MappingEnd>(out _))
        {
            var key = ReadKey();
            if (!seen.Add(key.Value))
            {
                throw _ctx.InvalidEntry(key.Line, key.Column, $"duplicate top-level key \"{key.Value}\"");
            }

            switch (section(key.Value))
            {
                case SectionMode.Entries:
                    ReadEntries(key, onEntry);
                    break;
                case SectionMode.Tree:
                    onValue(key.Value, key, ReadNode(1));
                    break;
                default:
                    SkipNode();
                    break;
            }
        }

        _parser.Consume<DocumentEnd>();
    }

    private void ReadEntries(YScalar section, Action<string, YScalar, YNode> onEntry)
    {
        if (_parser.Accept<Scalar>(out var empty) && empty.Value.Length == 0 && empty.Style == ScalarStyle.Plain)
        {
            // `packages:` with nothing after it.
            _parser.MoveNext();
            return;
        }

        if (!_parser.TryConsume<MappingStart>(out _))
        {
            var at = _parser.Current;
            throw _ctx.InvalidEntry(LineOf(at?.Start), ColumnOf(at?.Start), $"{section.Value}: expected a mapping");
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (!_parser.TryConsume<MappingEnd>(out _))
        {
            var key = ReadKey();
            if (!keys.Add(key.Value))
            {
                throw _ctx.InvalidEntry(key.Line, key.Column, $"{section.Value}: duplicate key \"{key.Value}\"");
            }

            onEntry(section.Value, key, ReadNode(2));
        }
    }

    private YScalar ReadKey()
    {
        if (_parser.TryConsume<Scalar>(out var s))
        {
            return Scalar(s);
        }

        var at = _parser.Current;
        throw _ctx.InvalidEntry(LineOf(at?.Start), ColumnOf(at?.Start), "expected a plain key");
    }

    private YNode ReadNode(int depth)
    {
        if (depth > Limits.MaxLockfileDepth)
        {
            var at = _parser.Current;
            throw _ctx.Fail(LockfileCodes.TooLarge, LineOf(at?.Start), ColumnOf(at?.Start), $"nested deeper than {Limits.MaxLockfileDepth} levels");
        }

        if (_parser.TryConsume<Scalar>(out var scalar))
        {
            return Scalar(scalar);
        }

        if (_parser.TryConsume<MappingStart>(out var ms))
        {
            var map = new YMap(LineOf(ms.Start), ColumnOf(ms.Start));
            while (!_parser.TryConsume<MappingEnd>(out _))
            {
                var key = ReadKey();
                map.Items.Add((key, ReadNode(depth + 1)));
            }

            return map;
        }

        if (_parser.TryConsume<SequenceStart>(out var ss))
        {
            var seq = new YSeq(LineOf(ss.Start), ColumnOf(ss.Start));
            while (!_parser.TryConsume<SequenceEnd>(out _))
            {
                seq.Items.Add(ReadNode(depth + 1));
            }

            return seq;
        }

        var bad = _parser.Current;
        throw bad is AnchorAlias
            ? _ctx.Fail(LockfileCodes.Unsupported, LineOf(bad.Start), ColumnOf(bad.Start), "YAML aliases (*name) are not accepted in lockfiles")
            : _ctx.Malformed(LineOf(bad?.Start), ColumnOf(bad?.Start), "expected a scalar, mapping or sequence");
    }

    private void SkipNode()
    {
        // Counts depth itself so a skipped section cannot nest without bound either.
        var depth = 0;
        do
        {
            var e = _parser.Current ?? throw _ctx.Malformed(0, 0, "unexpected end of YAML");
            switch (e)
            {
                case MappingStart or SequenceStart:
                    if (++depth > Limits.MaxLockfileDepth)
                    {
                        throw _ctx.Fail(LockfileCodes.TooLarge, LineOf(e.Start), ColumnOf(e.Start), $"nested deeper than {Limits.MaxLockfileDepth} levels");
                    }

                    break;
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
                case AnchorAlias:
                    throw _ctx.Fail(LockfileCodes.Unsupported, LineOf(e.Start), ColumnOf(e.Start), "YAML aliases (*name) are not accepted in lockfiles");
            }

            _parser.MoveNext();
        }
        while (depth > 0);
    }

    private YScalar Scalar(Scalar s)
    {
        if (s.Value.Length > Limits.MaxLockfileLineLength)
        {
            throw _ctx.Fail(LockfileCodes.TooLarge, LineOf(s.Start), ColumnOf(s.Start), $"a value is longer than {Limits.MaxLockfileLineLength} characters");
        }

        return new YScalar(s.Value, LineOf(s.Start), ColumnOf(s.Start));
    }

    private static int LineOf(Mark? m) => m is { } v ? (int)Math.Min(v.Line, int.MaxValue) : 0;

    private static int ColumnOf(Mark? m) => m is { } v ? (int)Math.Min(v.Column, int.MaxValue) : 0;

    private static string Clean(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 40) - (…): "; the location is reported separately.
        var cut = message.LastIndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 ? message[(cut + 3)..] : message;
    }
}

internal enum SectionMode
{
    Skip,
    Entries,
    Tree,
}
