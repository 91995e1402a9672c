using System.Text;

namespace Vouch.Npm.Lockfiles;

/// <summary>
/// yarn.lock from yarn 1 ("# yarn lockfile v1"). Not YAML: a header line lists the specifiers that
/// share an entry (<c>a@^1, "a@npm:b@^2":</c>), then two-space-indented <c>field value</c> lines,
/// and <c>field:</c> opening a block indented two more. Read line by line, so memory holds one
/// entry at a time; every syntax error names its line and column.
/// </summary>
internal sealed class YarnClassicParser
{
    private readonly ParseContext _ctx;
    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);

    private YarnClassicParser(string path)
    {
        _ctx = new ParseContext(path);
    }

    public static Lockfile Parse(string content, string path) => new YarnClassicParser(path).Run(content);

    private Lockfile Run(string content)
    {
        Entry? entry = null;
        var blockIndent = 0; // deepest indent the next line may use
        var lineNo = 0;
        var start = 0;
        while (start <= content.Length)
        {
            var end = content.IndexOf('\n', start);
            if (end < 0)
            {
                end = content.Length;
            }

            lineNo++;
            var line = content.AsSpan(start, end - start).TrimEnd('\r');
            start = end + 1;
            if (line.Length > Limits.MaxLockfileLineLength)
            {
                throw _ctx.Fail(LockfileCodes.TooLarge, lineNo, 0, $"line longer than {Limits.MaxLockfileLineLength} characters");
            }

            var indent = 0;
            while (indent < line.Length && line[indent] == ' ')
            {
                indent++;
            }

            var body = line[indent..];
            if (body.IsEmpty || body[0] == '#')
            {
                continue;
            }

            if (body[0] == '\t')
            {
                throw _ctx.Malformed(lineNo, indent + 1, "tabs are not allowed for indentation");
            }

            if (indent % 2 != 0 || indent > blockIndent)
            {
                throw _ctx.Malformed(lineNo, indent + 1, $"unexpected indentation (expected at most {blockIndent} spaces, in steps of 2)");
            }

            if (indent / 2 > Limits.MaxLockfileDepth)
            {
                throw _ctx.Fail(LockfileCodes.TooLarge, lineNo, indent + 1, $"nested deeper than {Limits.MaxLockfileDepth} levels");
            }

            var tokens = Tokenize(body, lineNo, indent);
            if (indent == 0)
            {
                Finish(entry);
                entry = Header(tokens, lineNo);
                blockIndent = 2;
                continue;
            }

            // key [":"] [value] | key ":" (opens a block)
            if (tokens.Count == 0 || tokens[0].Kind != TokenKind.String)
            {
                throw _ctx.Malformed(lineNo, indent + 1, "expected a field name");
            }

            var hasColon = tokens.Count > 1 && tokens[1].Kind == TokenKind.Colon;
            var valueAt = hasColon ? 2 : 1;
            if (tokens.Count > valueAt + 1 || (tokens.Count == valueAt + 1 && tokens[valueAt].Kind != TokenKind.String))
            {
                var bad = tokens[Math.Min(valueAt + 1, tokens.Count - 1)];
                throw _ctx.Malformed(lineNo, bad.Column, "expected one value after the field name");
            }

            if (tokens.Count == valueAt)
            {
                if (!hasColon)
                {
                    throw _ctx.Malformed(lineNo, tokens[0].Column, $"field \"{tokens[0].Text}\" has no value (expected a value or ':')");
                }

                blockIndent = indent + 2;
                continue;
            }

            blockIndent = indent;
            if (indent == 2)
            {
                entry!.Set(tokens[0].Text, tokens[valueAt].Text, lineNo, this);
            }
        }

        Finish(entry);
        var version = content.Contains("# yarn lockfile v1", StringComparison.Ordinal) ? "1" : "";
        return new Lockfile { Path = _ctx.Path, Format = LockfileFormat.YarnClassic, FormatVersion = version, Packages = _ctx.Packages };
    }

    private Entry Header(List<Token> tokens, int lineNo)
    {
        var specifiers = new List<string>();
        var i = 0;
        while (true)
        {
            if (i >= tokens.Count || tokens[i].Kind != TokenKind.String)
            {
                throw _ctx.Malformed(lineNo, i < tokens.Count ? tokens[i].Column : 1, "expected a package specifier such as name@^1.0.0");
            }

            specifiers.Add(tokens[i].Text);
            i++;
            if (i < tokens.Count && tokens[i].Kind == TokenKind.Comma)
            {
                i++;
                continue;
            }

            if (i == tokens.Count - 1 && tokens[i].Kind == TokenKind.Colon)
            {
                break;
            }

            throw _ctx.Malformed(lineNo, i < tokens.Count ? tokens[i].Column : 1, "expected ',' or ':' after a specifier");
        }

        foreach (var s in specifiers)
        {
            if (!_keys.Add(s))
            {
                throw _ctx.InvalidEntry(lineNo, 1, $"specifier \"{s}\" appears in two entries");
            }
        }

        return new Entry(specifiers, lineNo);
    }

    private void Finish(Entry? e)
    {
        if (e is null)
        {
            return;
        }

        var first = e.Specifiers[0];
        if (!LockfileText.TrySplitNameAt(first, out var asked, out var range))
        {
            throw _ctx.InvalidEntry(e.Line, 1, $"\"{first}\" is not name@range");
        }

        var name = asked;
        string? alias = null;
        if (range.StartsWith("npm:", StringComparison.Ordinal))
        {
            var target = range[4..];
            if (LockfileText.TrySplitNameAt(target, out var real, out var realRange) || target.Length > 0)
            {
                name = real;
                range = realRange;
                alias = asked != real ? asked : null;
            }
        }

        if (e.Version is null)
        {
            throw _ctx.InvalidEntry(e.Line, 1, $"\"{first}\": version is missing");
        }

        LockfileSourceKind source;
        if (e.Resolved is not null)
        {
            source = LockfileText.Classify(e.Resolved);
        }
        else
        {
            source = range.StartsWith("file:", StringComparison.Ordinal) || range.StartsWith("link:", StringComparison.Ordinal)
                || range.Contains("://", StringComparison.Ordinal) || range.StartsWith("git", StringComparison.Ordinal)
                ? LockfileText.Classify(range)
                : LockfileSourceKind.Registry;
        }

        if (source == LockfileSourceKind.Registry && !LockfileText.IsVersion(e.Version))
        {
            throw _ctx.InvalidEntry(e.VersionLine, 1, $"\"{first}\": version \"{e.Version}\" is not a version");
        }

        _ctx.Add(new LockfilePackage
        {
            Name = name,
            Version = e.Version,
            Alias = alias,
            Source = source,
            Resolved = e.Resolved ?? (source == LockfileSourceKind.Registry ? null : range),
            Integrity = e.Integrity,
            Key = string.Join(", ", e.Specifiers),
            Line = e.Line,
        });
    }

    private List<Token> Tokenize(ReadOnlySpan<char> body, int lineNo, int indent)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < body.Length)
        {
            var c = body[i];
            var column = indent + i + 1;
            if (c == ' ')
            {
                i++;
            }
            else if (c == ',')
            {
                tokens.Add(new Token(TokenKind.Comma, ",", column));
                i++;
            }
            else if (c == ':')
            {
                tokens.Add(new Token(TokenKind.Colon, ":", column));
                i++;
            }
            else if (c == '"')
            {
                var sb = new StringBuilder();
                i++;
                var closed = false;
                while (i < body.Length)
                {
                    var d = body[i];
                    if (d == '\\')
                    {
                        if (i + 1 >= body.Length)
                        {
                            break;
                        }

                        sb.Append(body[i + 1] switch { 'n' => '\n', 't' => '\t', var x => x });
                        i += 2;
                        continue;
                    }

                    if (d == '"')
                    {
                        closed = true;
                        i++;
                        break;
                    }

                    sb.Append(d);
                    i++;
                }

                if (!closed)
                {
                    throw _ctx.Malformed(lineNo, column, "unterminated string (expected a closing '\"')");
                }

                tokens.Add(new Token(TokenKind.String, sb.ToString(), column));
            }
            else if (c == '#')
            {
                break;
            }
            else
            {
                var from = i;
                while (i < body.Length && body[i] is not (' ' or ',' or ':' or '"'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.String, body[from..i].ToString(), column));
            }
        }

        return tokens;
    }

    private enum TokenKind
    {
        String,
        Colon,
        Comma,
    }

    private readonly record struct Token(TokenKind Kind, string Text, int Column);

    private sealed class Entry(List<string> specifiers, int line)
    {
        public List<string> Specifiers { get; } = specifiers;

        public int Line { get; } = line;

        public string? Version { get; private set; }

        public int VersionLine { get; private set; }

        public string? Resolved { get; private set; }

        public string? Integrity { get; private set; }

        private HashSet<string> Fields { get; } = new(StringComparer.Ordinal);

        public void Set(string field, string value, int lineNo, YarnClassicParser parser)
        {
            if (!Fields.Add(field))
            {
                throw parser._ctx.InvalidEntry(lineNo, 3, $"duplicate field \"{field}\"");
            }

            switch (field)
            {
                case "version":
                    Version = value;
                    VersionLine = lineNo;
                    break;
                case "resolved":
                    Resolved = value;
                    break;
                case "integrity":
                    Integrity = value;
                    break;
            }
        }
    }
}
