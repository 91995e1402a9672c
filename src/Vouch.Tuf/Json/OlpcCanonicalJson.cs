using System.Text;
using System.Text.Json;

namespace Vouch.Tuf.Json;

/// <summary>
/// The OLPC canonical JSON that TUF signs (securesystemslib's <c>encode_canonical</c>): object keys
/// sorted by code point, no insignificant whitespace, strings escaped only for <c>"</c> and <c>\</c>
/// with every other character written as raw UTF-8, integers only (floats have no canonical form).
/// A signature is over these bytes, not over what the server sent, so this has to agree byte for
/// byte with the signer's encoder.
/// </summary>
internal static class OlpcCanonicalJson
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] Encode(JsonElement element)
    {
        using var stream = new MemoryStream();
        Write(stream, element, depth: 0);
        return stream.ToArray();
    }

    private static void Write(MemoryStream output, JsonElement element, int depth)
    {
        if (depth > Limits.MaxJsonDepth)
        {
            throw new TufException(TufErrorCodes.Malformed, "metadata nests deeper than allowed");
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
            {
                var properties = new List<JsonProperty>();
                foreach (var property in element.EnumerateObject())
                {
                    properties.Add(property);
                }

                properties.Sort(static (a, b) => CompareCodePoints(a.Name, b.Name));
                output.WriteByte((byte)'{');
                for (var i = 0; i < properties.Count; i++)
                {
                    // Duplicate names would make "the" signed value ambiguous between parsers; the strict
                    // reader already refuses them, this keeps the encoder honest on its own.
                    if (i > 0 && properties[i].Name == properties[i - 1].Name)
                    {
                        throw new TufException(TufErrorCodes.Malformed, $"duplicate JSON property '{properties[i].Name}'");
                    }

                    if (i > 0)
                    {
                        output.WriteByte((byte)',');
                    }

                    WriteString(output, properties[i].Name);
                    output.WriteByte((byte)':');
                    Write(output, properties[i].Value, depth + 1);
                }

                output.WriteByte((byte)'}');
                break;
            }

            case JsonValueKind.Array:
            {
                output.WriteByte((byte)'[');
                var first = true;
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                    {
                        output.WriteByte((byte)',');
                    }

                    first = false;
                    Write(output, item, depth + 1);
                }

                output.WriteByte((byte)']');
                break;
            }

            case JsonValueKind.String:
                WriteString(output, element.GetString()!);
                break;

            case JsonValueKind.Number:
                WriteAscii(output, CanonicalInteger(element.GetRawText()));
                break;

            case JsonValueKind.True:
                WriteAscii(output, "true");
                break;

            case JsonValueKind.False:
                WriteAscii(output, "false");
                break;

            case JsonValueKind.Null:
                WriteAscii(output, "null");
                break;

            default:
                throw new TufException(TufErrorCodes.Malformed, $"unexpected JSON value kind {element.ValueKind}");
        }
    }

    /// <summary>
    /// Python sorts str keys by code point; UTF-16 ordinal order differs once surrogate pairs meet
    /// characters in U+E000..U+FFFF, so compare scalar values rather than chars.
    /// </summary>
    internal static int CompareCodePoints(string a, string b)
    {
        var ea = a.EnumerateRunes();
        var eb = b.EnumerateRunes();
        while (true)
        {
            var hasA = ea.MoveNext();
            var hasB = eb.MoveNext();
            if (!hasA || !hasB)
            {
                return hasA.CompareTo(hasB);
            }

            var c = ea.Current.Value.CompareTo(eb.Current.Value);
            if (c != 0)
            {
                return c;
            }
        }
    }

    private static void WriteString(MemoryStream output, string value)
    {
        output.WriteByte((byte)'"');
        byte[] bytes;
        try
        {
            bytes = StrictUtf8.GetBytes(value);
        }
        catch (EncoderFallbackException e)
        {
            throw new TufException(TufErrorCodes.Malformed, "metadata string is not valid Unicode", e);
        }

        foreach (var b in bytes)
        {
            if (b is (byte)'"' or (byte)'\\')
            {
                output.WriteByte((byte)'\\');
            }

            output.WriteByte(b);
        }

        output.WriteByte((byte)'"');
    }

    /// <summary>
    /// Accepts only JSON integers (the canonical form has no floats) and writes them the way Python's
    /// <c>repr(int)</c> does, which for valid JSON integer syntax is the literal itself except "-0".
    /// </summary>
    private static string CanonicalInteger(string raw)
    {
        if (!IsIntegerLiteral(raw))
        {
            throw new TufException(TufErrorCodes.Malformed, $"number '{raw}' has no canonical JSON form (integers only)");
        }

        return raw == "-0" ? "0" : raw;
    }

    internal static bool IsIntegerLiteral(string raw)
    {
        var span = raw.AsSpan();
        if (span.Length > 0 && span[0] == '-')
        {
            span = span[1..];
        }

        if (span.Length == 0 || (span.Length > 1 && span[0] == '0'))
        {
            return false;
        }

        foreach (var c in span)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    private static void WriteAscii(MemoryStream output, string text)
    {
        foreach (var c in text)
        {
            output.WriteByte((byte)c);
        }
    }
}
