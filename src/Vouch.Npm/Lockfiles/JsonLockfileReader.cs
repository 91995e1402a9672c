using System.Text.Json;

namespace Vouch.Npm.Lockfiles;

/// <summary>
/// The forward-only <see cref="Utf8JsonReader"/> walk the JSON lockfile parsers (npm, bun) share:
/// every step that runs out of input, meets a repeated key or a value of the wrong kind fails with
/// the line it is on, so both formats report bad input the same way. The reader itself is a ref
/// struct, so it is passed in by reference rather than held.
/// </summary>
internal sealed class JsonLockfileReader(ReadOnlyMemory<byte> utf8, ParseContext ctx)
{
    private readonly LineCounter _lines = new(utf8);

    /// <summary>Reads the next token; running out of input inside the document is malformed.</summary>
    public bool Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw ctx.Malformed(_lines.LineAt(utf8.Length), 0, "unexpected end of file");
        }

        return true;
    }

    public int Line(ref Utf8JsonReader reader) => _lines.LineAt(reader.TokenStartIndex);

    /// <summary>
    /// Moves to the next property of the current object and then onto its value; false at the
    /// object's end (or any other token, which the caller's <see cref="EndOfObject"/> reports).
    /// A repeated name fails: two entries for one key would let two readers take different ones.
    /// </summary>
    public bool NextProperty(ref Utf8JsonReader reader, HashSet<string> seen, string what, out string name, out int line, string? owner = null)
    {
        name = "";
        line = 0;
        if (!Next(ref reader) || reader.TokenType != JsonTokenType.PropertyName)
        {
            return false;
        }

        name = reader.GetString()!;
        line = Line(ref reader);
        if (!seen.Add(name))
        {
            throw ctx.InvalidEntry(line, 0, owner is null ? $"duplicate {what} \"{name}\"" : $"\"{owner}\": duplicate {what} \"{name}\"");
        }

        Next(ref reader);
        return true;
    }

    /// <summary>Reads the document's first token, which must be <paramref name="type"/>.</summary>
    public void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        if (!reader.Read())
        {
            throw ctx.Malformed(1, 1, $"expected {what}, found an empty file");
        }

        if (reader.TokenType != type)
        {
            throw ctx.Malformed(Line(ref reader), 0, $"expected {what}, found {Describe(reader.TokenType)}");
        }
    }

    public void RequireObject(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var line = Line(ref reader);
            throw ctx.InvalidEntry(line, 0, $"{what}: expected an object, found {Describe(reader.TokenType)}");
        }
    }

    public void EndOfObject(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw ctx.Malformed(Line(ref reader), 0, "expected a property name or '}'");
        }
    }

    /// <summary>The integer value of <c>lockfileVersion</c> (no range check: each format has its own).</summary>
    public long ReadLockfileVersion(ref Utf8JsonReader reader, int line)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var version))
        {
            throw ctx.InvalidEntry(line, 0, "lockfileVersion: expected a number");
        }

        return version;
    }

    public string ReadString(ref Utf8JsonReader reader, string key, string field, int line)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw ctx.InvalidEntry(line, 0, $"\"{key}\": {field}: expected a string, found {Describe(reader.TokenType)}");
        }

        if (reader.ValueSpan.Length > Limits.MaxLockfileLineLength)
        {
            throw ctx.Fail(LockfileCodes.TooLarge, line, 0, $"\"{key}\": {field} is longer than {Limits.MaxLockfileLineLength} bytes");
        }

        return reader.GetString()!;
    }

    public bool ReadBool(ref Utf8JsonReader reader, string key, string field, int line) =>
        reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => throw ctx.InvalidEntry(line, 0, $"\"{key}\": {field}: expected true or false, found {Describe(reader.TokenType)}"),
        };

    /// <summary>What the parser throws when the reader rejects the bytes as JSON (positions made 1-based).</summary>
    public LockfileFormatException NotJson(JsonException e) =>
        ctx.Malformed((int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1, $"not valid JSON: {FirstSentence(e.Message)}", e);

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => type.ToString(),
    };

    // System.Text.Json appends its own position; the error already carries ours.
    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }
}
