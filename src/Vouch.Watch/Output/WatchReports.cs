using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Vouch.Watch;

/// <summary>SARIF 2.1.0 and the Markdown digest of watch events (docs/watch.md).</summary>
public static class WatchReports
{
    /// <summary>
    /// One run, one rule per kind code. Events have no file: the location is the package spec as a
    /// logical location; <c>partialFingerprints</c> carries the event id so code-scanning services
    /// deduplicate across runs as receivers do.
    /// </summary>
    public static JsonObject Sarif(IReadOnlyList<WatchEvent> events, string toolVersion)
    {
        var codes = events.Select(e => e.Code).Distinct().Order(StringComparer.Ordinal).ToList();
        var rules = new JsonArray();
        foreach (var code in codes)
        {
            var kind = EventKinds.All.First(k => k.Code == code);
            rules.Add(new JsonObject
            {
                ["id"] = code,
                ["name"] = kind.Name,
                ["shortDescription"] = new JsonObject { ["text"] = kind.Title },
                ["help"] = new JsonObject { ["text"] = $"See docs/watch.md ({kind.Name}) and docs/codes.md ({code})." },
            });
        }

        var results = new JsonArray();
        foreach (var e in events)
        {
            results.Add(new JsonObject
            {
                ["ruleId"] = e.Code,
                ["ruleIndex"] = codes.IndexOf(e.Code),
                ["level"] = e.Severity switch { EventKinds.Error => "error", EventKinds.Warn => "warning", _ => "note" },
                ["message"] = new JsonObject { ["text"] = e.Detail },
                ["locations"] = new JsonArray(new JsonObject
                {
                    ["logicalLocations"] = new JsonArray(new JsonObject { ["fullyQualifiedName"] = $"{e.Package}@{e.Version}", ["kind"] = "package" }),
                }),
                ["partialFingerprints"] = new JsonObject { ["vouchWatchEventId/v1"] = e.Id },
            });
        }

        return new JsonObject
        {
            ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
            ["version"] = "2.1.0",
            ["runs"] = new JsonArray(new JsonObject
            {
                ["tool"] = new JsonObject { ["driver"] = new JsonObject { ["name"] = "vouch watch", ["version"] = toolVersion, ["rules"] = rules } },
                ["results"] = results,
            }),
        };
    }

    /// <summary>Markdown: a count per severity, then one section per package, events in store order.</summary>
    public static string Digest(IReadOnlyList<WatchEvent> events, int packagesWatched, DateTimeOffset generatedAt)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# vouch watch digest").AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"Generated {generatedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC; {packagesWatched} package(s) watched; {events.Count} event(s): " +
            $"{events.Count(e => e.Severity == EventKinds.Error)} error, {events.Count(e => e.Severity == EventKinds.Warn)} warn, {events.Count(e => e.Severity == EventKinds.Info)} info.");
        if (events.Count == 0)
        {
            sb.AppendLine().AppendLine("Nothing changed.");
            return sb.ToString();
        }

        foreach (var group in events.GroupBy(e => e.Package).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            sb.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"## {Escape(group.Key)}").AppendLine();
            sb.AppendLine("| severity | version | kind | previous | detail |").AppendLine("|---|---|---|---|---|");
            foreach (var e in group)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {e.Severity} | {Escape(e.Version)} | `{e.Kind}` | {Escape(e.PreviousVersion ?? "-")} | {Escape(e.Detail)} |");
            }
        }

        return sb.ToString();
    }

    // Detail text comes from publishers: no table breaks, no HTML, no links the digest did not write.
    private static string Escape(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (c is '|' or '\\' or '`' or '*' or '_' or '[' or ']' or '<' or '>' or '#' or '!')
            {
                sb.Append('\\');
            }

            sb.Append(char.IsControl(c) ? ' ' : c);
        }

        return sb.ToString();
    }
}
