using System.Text.Json;

namespace Vouch.Sigstore.Json;

/// <summary>
/// Tolerant reads of nested JSON for documents whose absent fields are answers, not errors (log entry
/// bodies, predicates): a missing step yields <c>default</c>/null, and the caller decides what that means.
/// </summary>
public static class JsonNavigation
{
    public static JsonElement Get(JsonElement e, params string[] names)
    {
        foreach (var n in names)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(n, out e))
            {
                return default;
            }
        }

        return e;
    }

    public static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
