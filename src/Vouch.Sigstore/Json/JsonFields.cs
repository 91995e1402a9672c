using System.Globalization;
using System.Text.Json;
using Vouch.Common.Json;

namespace Vouch.Sigstore.Json;

/// <summary>
/// Reads fields of an untrusted JSON document into typed values, recording every problem under its
/// JSON path instead of stopping at the first, so that one exception can list everything wrong.
/// </summary>
internal sealed class JsonFields
{
    private readonly List<string> _errors = [];

    public IReadOnlyList<string> Errors => _errors;

    public bool HasErrors => _errors.Count > 0;

    public void Error(string path, string problem) => _errors.Add($"{path}: {problem}");

    /// <summary>Parses an untrusted document whose root must be an object, within a size cap.</summary>
    public static JsonDocument ParseObject(ReadOnlyMemory<byte> utf8, string what, int maxBytes)
    {
        if (utf8.Length > maxBytes)
        {
            throw new SigstoreFormatException(what, [$"$: {utf8.Length} bytes exceed the limit of {maxBytes}"]);
        }

        var doc = Parse(utf8, what);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new SigstoreFormatException(what, ["$: expected an object"]);
        }

        return doc;
    }

    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, string what)
    {
        try
        {
            return JsonInput.Parse(utf8, Limits.MaxJsonDepth);
        }
        catch (JsonException e)
        {
            throw new SigstoreFormatException(what, [$"$: not valid JSON ({e.Message})"]);
        }
    }

    public JsonElement? Object(JsonElement parent, string name, string path, bool required)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                Error($"{path}.{name}", "required object is missing");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            Error($"{path}.{name}", $"expected an object, found {value.ValueKind}");
            return null;
        }

        return value;
    }

    public IReadOnlyList<JsonElement> Array(JsonElement parent, string name, string path, bool required, int max)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                Error($"{path}.{name}", "required array is missing");
            }

            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Error($"{path}.{name}", $"expected an array, found {value.ValueKind}");
            return [];
        }

        var count = value.GetArrayLength();
        if (count > max)
        {
            Error($"{path}.{name}", $"{count} items exceed the limit of {max}");
            return [];
        }

        var list = new List<JsonElement>(count);
        foreach (var item in value.EnumerateArray())
        {
            list.Add(item);
        }

        return list;
    }

    public string? String(JsonElement parent, string name, string path, bool required)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                Error($"{path}.{name}", "required string is missing");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            Error($"{path}.{name}", $"expected a string, found {value.ValueKind}");
            return null;
        }

        return value.GetString();
    }

    public byte[]? Base64(JsonElement parent, string name, string path, bool required, int maxBytes = int.MaxValue)
    {
        var text = String(parent, name, path, required);
        if (text is null)
        {
            return null;
        }

        var bytes = DecodeBase64(text);
        if (bytes is null)
        {
            Error($"{path}.{name}", "not valid base64");
            return null;
        }

        if (required && bytes.Length == 0)
        {
            Error($"{path}.{name}", "must not be empty");
            return null;
        }

        if (bytes.Length > maxBytes)
        {
            Error($"{path}.{name}", $"{bytes.Length} bytes exceed the limit of {maxBytes}");
            return null;
        }

        return bytes;
    }

    /// <summary>Protobuf JSON writes int64 as a string; accept both a string and a number.</summary>
    public long? Int64(JsonElement parent, string name, string path, bool required)
    {
        if (parent.ValueKind != JsonValueKind.Object || !parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                Error($"{path}.{name}", "required integer is missing");
            }

            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n))
        {
            return n;
        }

        if (value.ValueKind == JsonValueKind.String
            && long.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var s))
        {
            return s;
        }

        Error($"{path}.{name}", "expected a 64-bit integer");
        return null;
    }

    public DateTimeOffset? Timestamp(JsonElement parent, string name, string path, bool required)
    {
        var text = String(parent, name, path, required);
        if (text is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            return t;
        }

        Error($"{path}.{name}", "not an RFC 3339 timestamp");
        return null;
    }

    public static byte[]? DecodeBase64(string text)
    {
        // Protobuf JSON allows both the standard and the URL-safe alphabet, with or without padding;
        // like Go's decoder (which the reference clients use) line breaks are ignored.
        var s = text.Replace('-', '+').Replace('_', '/');
        if (s.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            s = s.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);
        }

        switch (s.Length % 4)
        {
            case 2: s += "=="; break;
            case 3: s += "="; break;
            case 1: return null;
        }

        var buffer = new byte[s.Length / 4 * 3];
        return Convert.TryFromBase64String(s, buffer, out var written) ? buffer[..written] : null;
    }

    public void ThrowIfErrors(string what)
    {
        if (HasErrors)
        {
            throw new SigstoreFormatException(what, _errors);
        }
    }
}
