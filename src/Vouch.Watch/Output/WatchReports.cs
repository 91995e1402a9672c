using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Common.Sarif;

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
        var rules = events.Select(e => e.Code).Distinct(StringComparer.Ordinal).Select(code =>
        {
            var kind = EventKinds.All.First(k => k.Code == code);
            return new SarifRule(code, kind.Title, Help: $"See docs/watch.md ({kind.Name}) and docs/codes.md ({code}).", Name: kind.Name);
        });
        var results = events.Select(e => new SarifResult(
            e.Code,
            e.Severity switch { EventKinds.Error => SarifLevel.Error, EventKinds.Warn => SarifLevel.Warning, _ => SarifLevel.Note },
            e.Detail,
            new SarifLocation(null, LogicalName: $"{e.Package}@{e.Version}", LogicalKind: "package"),
            Fingerprint: e.Id,
            FingerprintKey: "vouchWatchEventId/v1"));
        return SarifLog.Build(toolVersion, rules, results, toolName: "vouch watch");
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
