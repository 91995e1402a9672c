using System.Globalization;
using System.Text.Json;
using Vouch.Common.Json;

namespace Vouch.Tuf.Json;

/// <summary>
/// Strict accessors over untrusted metadata. Every shape error becomes <see cref="TufErrorCodes.Malformed"/>
/// with the field's name, so a bad repository is reported instead of crashing the client.
/// </summary>
internal static class JsonRead
{
    public static JsonDocument Parse(ReadOnlyMemory<byte> data, string what)
    {
        try
        {
            // JsonInput refuses duplicated names: two parsers that resolve them differently would see
            // different "signed" content under one signature.
            return JsonInput.Parse(data, Limits.MaxJsonDepth);
        }
        catch (JsonException e)
        {
            throw new TufException(TufErrorCodes.Malformed, $"{what} is not valid JSON: {e.Message}", e);
        }
    }

    public static JsonElement RequireObject(JsonElement element, string what)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw Malformed(what, "must be a JSON object");
        }

        return element;
    }

    public static JsonElement Object(JsonElement parent, string name, string what)
    {
        var value = Property(parent, name, what);
        return RequireObject(value, $"{what}.{name}");
    }

    public static JsonElement? OptionalObject(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return RequireObject(value, $"{what}.{name}");
    }

    public static JsonElement Array(JsonElement parent, string name, string what)
    {
        var value = Property(parent, name, what);
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Malformed($"{what}.{name}", "must be an array");
        }

        return value;
    }

    public static JsonElement? OptionalArray(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Malformed($"{what}.{name}", "must be an array");
        }

        return value;
    }

    public static string String(JsonElement parent, string name, string what)
    {
        var value = Property(parent, name, what);
        return AsString(value, $"{what}.{name}");
    }

    public static string? OptionalString(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return AsString(value, $"{what}.{name}");
    }

    public static string AsString(JsonElement value, string what)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw Malformed(what, "must be a string");
        }

        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            // Lone surrogate escapes: not a string any signer could have produced canonically.
            throw new TufException(TufErrorCodes.Malformed, $"{what} is not a valid Unicode string", e);
        }
    }

    public static long Integer(JsonElement parent, string name, string what)
    {
        var value = Property(parent, name, what);
        return AsInteger(value, $"{what}.{name}");
    }

    public static long? OptionalInteger(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value))
        {
            return null;
        }

        return AsInteger(value, $"{what}.{name}");
    }

    public static long AsInteger(JsonElement value, string what)
    {
        // "1.0" and "1e0" parse as numbers but are not integers in the canonical form that was signed.
        if (value.ValueKind != JsonValueKind.Number || !OlpcCanonicalJson.IsIntegerLiteral(value.GetRawText()) || !value.TryGetInt64(out var result))
        {
            throw Malformed(what, "must be an integer");
        }

        return result;
    }

    public static bool Boolean(JsonElement parent, string name, string what)
    {
        var value = Property(parent, name, what);
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Malformed($"{what}.{name}", "must be a boolean"),
        };
    }

    public static bool? OptionalBoolean(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out _))
        {
            return null;
        }

        return Boolean(parent, name, what);
    }

    /// <summary>
    /// TUF's <c>expires</c> is ISO 8601 in UTC with a literal "Z"; fractional seconds are accepted
    /// because some repository tools write them, any other offset is refused.
    /// </summary>
    public static DateTimeOffset UtcTimestamp(JsonElement parent, string name, string what)
    {
        var text = String(parent, name, what);
        string[] formats = ["yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'"];
        if (!DateTimeOffset.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var result))
        {
            throw Malformed($"{what}.{name}", $"'{text}' is not a UTC timestamp like 2030-01-01T00:00:00Z");
        }

        return result;
    }

    public static byte[] Hex(string text, string what)
    {
        if (text.Length == 0 || text.Length % 2 != 0)
        {
            throw Malformed(what, "must be a non-empty hex string");
        }

        try
        {
            return Convert.FromHexString(text);
        }
        catch (FormatException e)
        {
            throw new TufException(TufErrorCodes.Malformed, $"{what} must be a hex string", e);
        }
    }

    public static TufException Malformed(string what, string problem) => new(TufErrorCodes.Malformed, $"{what} {problem}");

    private static JsonElement Property(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value))
        {
            throw Malformed(what, $"lacks required field '{name}'");
        }

        return value;
    }
}
