using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Vouch.Common.Json;

namespace Vouch.Survey;

/// <summary>
/// One difference between two snapshots. <see cref="Kind"/>: `gained-provenance`, `lost-provenance`,
/// `tier-up`, `tier-down`, `added`, `removed`, `now-surveyed`, `no-longer-surveyed`.
/// </summary>
public sealed record SurveyChange(string Name, string Kind, string? FromVersion, string? FromTier, string? ToVersion, string? ToTier);

/// <summary>
/// `vouch survey diff A B`: what changed between two JSON Lines snapshots, by package name (sorted,
/// so the output is stable whatever order the snapshots were written in). Only snapshot A is held
/// in memory (a few fields a package); B is streamed.
/// </summary>
public static class SurveyDiff
{
    private sealed record Entry(string Status, string? Version, EvidenceTier? Tier);

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static IReadOnlyList<SurveyChange> Compare(string pathA, string pathB)
    {
        var a = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var (name, entry) in Read(pathA))
        {
            a[name] = entry;
        }

        var changes = new List<SurveyChange>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, to) in Read(pathB))
        {
            seen.Add(name);
            if (!a.TryGetValue(name, out var from))
            {
                changes.Add(Change(name, "added", null, to));
                continue;
            }

            var fromOk = from.Status == RowStatus.Ok;
            var toOk = to.Status == RowStatus.Ok;
            if (fromOk != toOk)
            {
                changes.Add(Change(name, toOk ? "now-surveyed" : "no-longer-surveyed", from, to));
                continue;
            }

            if (!fromOk || from.Tier == to.Tier)
            {
                continue;
            }

            var hadProvenance = from.Tier >= EvidenceTier.Provenance;
            var hasProvenance = to.Tier >= EvidenceTier.Provenance;
            var kind = hadProvenance != hasProvenance
                ? (hasProvenance ? "gained-provenance" : "lost-provenance")
                : (to.Tier > from.Tier ? "tier-up" : "tier-down");
            changes.Add(Change(name, kind, from, to));
        }

        changes.AddRange(a.Where(kv => !seen.Contains(kv.Key)).Select(kv => Change(kv.Key, "removed", kv.Value, null)));
        changes.Sort((x, y) => string.CompareOrdinal(x.Name, y.Name));
        return changes;
    }

    public static string Text(SurveyChange c) =>
        $"{c.Kind,-20} {c.Name}  {Side(c.FromVersion, c.FromTier)} -> {Side(c.ToVersion, c.ToTier)}";

    public static string Json(SurveyChange c) => JsonSerializer.Serialize(
        new { name = c.Name, change = c.Kind, fromVersion = c.FromVersion, fromTier = c.FromTier, toVersion = c.ToVersion, toTier = c.ToTier }, JsonOptions);

    public static string Totals(IReadOnlyList<SurveyChange> changes)
    {
        if (changes.Count == 0)
        {
            return "no changes";
        }

        var sb = new StringBuilder();
        foreach (var g in changes.GroupBy(c => c.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            sb.Append(sb.Length == 0 ? "" : ", ").Append(g.Key).Append(' ').Append(g.Count());
        }

        return sb.ToString();
    }

    private static string Side(string? version, string? tier) => version is null && tier is null ? "-" : $"{version ?? "?"} ({tier ?? "not surveyed"})";

    private static SurveyChange Change(string name, string kind, Entry? from, Entry? to) =>
        new(name, kind, from?.Version, from?.Tier is { } ft ? EvidenceTiers.Name(ft) : null, to?.Version, to?.Tier is { } tt ? EvidenceTiers.Name(tt) : null);

    private static IEnumerable<(string Name, Entry Entry)> Read(string path)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var reader = new StreamReader(path, Encoding.UTF8);
        var line = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Length == 0)
            {
                continue;
            }

            if (text.Length > Limits.MaxLineLength * 16)
            {
                throw Invalid(path, line, "the line is too long");
            }

            (string Name, Entry Entry) parsed;
            try
            {
                using var doc = JsonInput.Parse(text, 16);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object
                    || !root.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.Number || schema.GetInt32() != SurveyFormats.SchemaVersion
                    || !root.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                    || !root.TryGetProperty("status", out var status) || status.ValueKind != JsonValueKind.String)
                {
                    throw Invalid(path, line, $"not a vouch survey row (schema {SurveyFormats.SchemaVersion}, name and status required)");
                }

                EvidenceTier? tier = null;
                if (root.TryGetProperty("tier", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    tier = EvidenceTiers.Parse(t.GetString()) ?? throw Invalid(path, line, $"unknown tier '{t.GetString()}'");
                }

                var version = root.TryGetProperty("latestVersion", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                if (status.GetString() == RowStatus.Ok && tier is null)
                {
                    throw Invalid(path, line, "a surveyed row without a tier");
                }

                parsed = (name.GetString()!, new Entry(status.GetString()!, version, tier));
            }
            catch (JsonException e)
            {
                throw Invalid(path, line, $"not JSON ({e.Message})");
            }
            catch (FormatException)
            {
                throw Invalid(path, line, "schema is not a whole number");
            }

            if (!names.Add(parsed.Name))
            {
                throw Invalid(path, line, $"{parsed.Name} appears twice");
            }

            yield return parsed;
        }
    }

    private static SurveyInputException Invalid(string path, int line, string why) => new(SurveyCodes.SnapshotInvalid, [$"{path}:{line}: {why}"]);
}
