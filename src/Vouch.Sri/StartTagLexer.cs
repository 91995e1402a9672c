namespace Vouch.Sri;

/// <summary>One attribute of a start tag as it is written in the source.</summary>
/// <param name="Name">The name, lowercased (HTML attribute names are ASCII case-insensitive).</param>
/// <param name="NameStart">Index of the name's first character.</param>
/// <param name="End">Index just after the attribute (after its closing quote, value or name).</param>
/// <param name="ValueStart">Index of the value's first character (inside quotes), or -1 when there is no value.</param>
/// <param name="ValueEnd">Index just after the value's last character (before the closing quote).</param>
/// <param name="Quote">The quote character, or '\0' for an unquoted or missing value.</param>
public sealed record SourceAttribute(string Name, int NameStart, int End, int ValueStart, int ValueEnd, char Quote)
{
    public bool HasValue => ValueStart >= 0;
}

/// <summary>A start tag's extent and attributes in the original text.</summary>
public sealed record SourceStartTag(int Start, int End, IReadOnlyList<SourceAttribute> Attributes, int InsertAt)
{
    /// <summary>The first attribute of that name: the one the HTML parser keeps when a name repeats.</summary>
    public SourceAttribute? Find(string name) => Attributes.FirstOrDefault(a => a.Name == name);
}

/// <summary>
/// Reads a start tag's attributes from the original text with the HTML tokenizer's rules, so that
/// `fix` can edit exactly the bytes of one attribute value or append attributes after the last one,
/// without ever re-serialising the document.
/// </summary>
public static class StartTagLexer
{
    public static SourceStartTag? Read(string text, int start)
    {
        if (start < 0 || start >= text.Length || text[start] != '<')
        {
            return null;
        }

        var limit = (int)Math.Min(text.Length, (long)start + Limits.MaxStartTagChars);
        var i = start + 1;
        while (i < limit && !IsSpace(text[i]) && text[i] != '/' && text[i] != '>')
        {
            i++;
        }

        var insertAt = i;
        var attributes = new List<SourceAttribute>();
        while (i < limit)
        {
            // Before attribute name.
            while (i < limit && (IsSpace(text[i]) || text[i] == '/'))
            {
                i++;
            }

            if (i >= limit)
            {
                return null;
            }

            if (text[i] == '>')
            {
                return new SourceStartTag(start, i + 1, attributes, insertAt);
            }

            // Attribute name: a leading '=' is part of the name.
            var nameStart = i;
            i++;
            while (i < limit && !IsSpace(text[i]) && text[i] is not '/' and not '>' and not '=')
            {
                i++;
            }

            var name = text[nameStart..i].ToLowerInvariant();
            var nameEnd = i;

            // After attribute name.
            var j = i;
            while (j < limit && IsSpace(text[j]))
            {
                j++;
            }

            if (j >= limit || text[j] != '=')
            {
                attributes.Add(new SourceAttribute(name, nameStart, nameEnd, -1, -1, '\0'));
                insertAt = nameEnd;
                i = j;
                continue;
            }

            // Before attribute value.
            i = j + 1;
            while (i < limit && IsSpace(text[i]))
            {
                i++;
            }

            if (i >= limit)
            {
                return null;
            }

            if (text[i] == '>')
            {
                // `name=>`: an empty value.
                attributes.Add(new SourceAttribute(name, nameStart, nameEnd, -1, -1, '\0'));
                insertAt = nameEnd;
                continue;
            }

            if (text[i] is '"' or '\'')
            {
                var quote = text[i];
                var close = text.IndexOf(quote, i + 1, limit - i - 1);
                if (close < 0)
                {
                    return null;
                }

                attributes.Add(new SourceAttribute(name, nameStart, close + 1, i + 1, close, quote));
                insertAt = close + 1;
                i = close + 1;
                continue;
            }

            var valueStart = i;
            while (i < limit && !IsSpace(text[i]) && text[i] != '>')
            {
                i++;
            }

            attributes.Add(new SourceAttribute(name, nameStart, i, valueStart, i, '\0'));
            insertAt = i;
        }

        return null;
    }

    private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\f' or '\r';
}
