using System.Globalization;
using System.Text.Json;
using Vouch.Common.Json;

namespace Vouch.Npm;

/// <summary>Small, tolerant accessors over <see cref="JsonElement"/> for registry documents.</summary>
internal static class JsonRead
{
    public static JsonDocumentOptions Options => JsonInput.Options(Limits.MaxJsonDepth);

    /// <summary>Parses JSON or throws <see cref="NpmDocumentException"/> naming the document.</summary>
    public static JsonDocument ParseDocument(ReadOnlyMemory<byte> json, string what)
    {
        try
        {
            return JsonInput.Parse(json, Limits.MaxJsonDepth);
        }
        catch (JsonException e)
        {
            throw new NpmDocumentException(what, [$"not valid JSON ({e.Message})"]);
        }
    }

    public static JsonElement? Property(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public static string? String(JsonElement obj, string name) =>
        Property(obj, name) is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    public static bool? Bool(JsonElement obj, string name) =>
        Property(obj, name) is { } v && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;

    public static long? Int64(JsonElement obj, string name) =>
        Property(obj, name) is { ValueKind: JsonValueKind.Number } v && v.TryGetInt64(out var n) ? n : null;

    /// <summary>The string-valued members of an object; other members are skipped.</summary>
    public static IReadOnlyDictionary<string, string> StringMap(JsonElement obj, string name)
    {
        if (Property(obj, name) is not { ValueKind: JsonValueKind.Object } map)
        {
            return PackageVersion.Empty;
        }

        return StringMembers(map);
    }

    public static Dictionary<string, string> StringMembers(JsonElement map, params string[] except)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in map.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.String && !except.Contains(p.Name, StringComparer.Ordinal))
            {
                result[p.Name] = p.Value.GetString()!;
            }
        }

        return result;
    }

    public static DateTimeOffset? Date(JsonElement value) =>
        value.ValueKind == JsonValueKind.String
        && DateTimeOffset.TryParse(value.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var d)
            ? d
            : null;

    /// <summary>An absolute http(s) URL, or null.</summary>
    public static Uri? HttpUrl(string? text) =>
        text is not null && Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" ? uri : null;
}
