using System.Globalization;
using System.Text.Json.Nodes;

namespace Vouch.Watch;

/// <summary>The JSON shape of an event: one line of `vouch watch` output and an element of a webhook body (docs/watch.md).</summary>
public static class WatchJson
{
    public static JsonObject ToJson(WatchEvent e) => new()
    {
        ["id"] = e.Id,
        ["seq"] = e.Sequence,
        ["kind"] = e.Kind,
        ["code"] = e.Code,
        ["package"] = e.Package,
        ["version"] = e.Version,
        ["previousVersion"] = e.PreviousVersion,
        ["severity"] = e.Severity,
        ["rule"] = e.Rule,
        ["detail"] = e.Detail,
        ["observedAt"] = e.ObservedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
    };
}
