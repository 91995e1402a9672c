using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vouch.Sandbox.Sigstore;

/// <summary>
/// JSON as Rekor canonicalizes it (RFC 8785 for the values we emit: strings, integers, booleans):
/// keys sorted by UTF-16 code units, no whitespace, only the escapes JSON requires. Entry bodies,
/// and the DSSE envelope hashes inside them, are hashed over these exact bytes.
/// </summary>
internal static class Rfc8785Json
{
    /// <summary>Options for the non-canonical documents (bundles, trusted roots): compact, no HTML escaping of '+' in base64.</summary>
    public static readonly JsonSerializerOptions DocumentOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    public static byte[] Serialize(JsonNode node)
    {
        var builder = new StringBuilder();
        Write(builder, node);
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private static void Write(StringBuilder builder, JsonNode? node)
    {
        switch (node)
        {
            case null:
                builder.Append("null");
                break;

            case JsonObject obj:
            {
                builder.Append('{');
                var first = true;
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first)
                    {
                        builder.Append(',');
                    }

                    first = false;
                    WriteString(builder, key);
                    builder.Append(':');
                    Write(builder, value);
                }

                builder.Append('}');
                break;
            }

            case JsonArray array:
            {
                builder.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(',');
                    }

                    Write(builder, array[i]);
                }

                builder.Append(']');
                break;
            }

            case JsonValue value when value.TryGetValue<string>(out var text):
                WriteString(builder, text);
                break;

            case JsonValue value when value.TryGetValue<long>(out var integer):
                builder.Append(integer.ToString(CultureInfo.InvariantCulture));
                break;

            case JsonValue value when value.TryGetValue<int>(out var small):
                builder.Append(small.ToString(CultureInfo.InvariantCulture));
                break;

            case JsonValue value when value.TryGetValue<bool>(out var flag):
                builder.Append(flag ? "true" : "false");
                break;

            default:
                throw new NotSupportedException($"canonical JSON of {node.GetValueKind()} is not needed here");
        }
    }

    private static void WriteString(StringBuilder builder, string text)
    {
        builder.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append('"');
    }
}
