using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vouch.Common.Sarif;

public enum SarifLevel
{
    Error,
    Warning,
    Note,
}

/// <summary>A rule (one per finding code): its description and, when known, its default level.</summary>
public sealed record SarifRule(string Id, string Description, string? Help = null, SarifLevel? DefaultLevel = null, string? Name = null);

/// <summary>Where a result points: a file (relative URI or file: URI; null when there is none), optionally a line/column, optionally a package.</summary>
public sealed record SarifLocation(string? ArtifactUri, int? StartLine = null, int? StartColumn = null, string? LogicalName = null, string? LogicalKind = null);

/// <summary>One finding. <paramref name="Fingerprint"/> (under <paramref name="FingerprintKey"/>) keeps a result stable across runs for code scanning.</summary>
public sealed record SarifResult(string RuleId, SarifLevel Level, string Message, SarifLocation Location, string? Fingerprint = null, IReadOnlyDictionary<string, string?>? Properties = null, string FingerprintKey = "vouchFinding/v1");

/// <summary>
/// The one SARIF 2.1.0 writer (issue 13): every command that reports findings as SARIF (audit, sri,
/// check, watch, …) maps them to rules and results and lets this build the log, so the document
/// shape, rule indexes, levels and escaping are decided once.
/// </summary>
public static class SarifLog
{
    public const string SchemaUri = "https://json.schemastore.org/sarif-2.1.0.json";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <param name="rules">Rules for the results' codes; a result whose rule is missing gets one with its code as description.</param>
    /// <param name="utf16Columns">Say that columns count UTF-16 code units (what the SRI scanner reports).</param>
    /// <param name="runProperties">Extra facts about the run (for example the advisory snapshot used).</param>
    public static JsonObject Build(string toolVersion, IEnumerable<SarifRule> rules, IEnumerable<SarifResult> results, bool utf16Columns = false, IReadOnlyDictionary<string, string>? runProperties = null, string toolName = "vouch")
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(results);
        var resultList = results.ToList();
        var known = rules.GroupBy(r => r.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var ids = resultList.Select(r => r.RuleId).Concat(known.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var index = ids.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => x.i, StringComparer.Ordinal);

        var ruleArray = new JsonArray();
        foreach (var id in ids)
        {
            var rule = known.GetValueOrDefault(id) ?? new SarifRule(id, id);
            var node = new JsonObject
            {
                ["id"] = id,
                ["name"] = rule.Name ?? id,
                ["shortDescription"] = new JsonObject { ["text"] = rule.Description },
            };
            if (rule.Help is { } help)
            {
                node["help"] = new JsonObject { ["text"] = help };
            }

            if (rule.DefaultLevel is { } level)
            {
                node["defaultConfiguration"] = new JsonObject { ["level"] = Level(level) };
            }

            ruleArray.Add(node);
        }

        var resultArray = new JsonArray();
        foreach (var r in resultList)
        {
            var location = new JsonObject();
            if (r.Location.ArtifactUri is { } uri)
            {
                var physical = new JsonObject { ["artifactLocation"] = new JsonObject { ["uri"] = uri } };
                if (r.Location.StartLine is > 0)
                {
                    var region = new JsonObject { ["startLine"] = r.Location.StartLine };
                    if (r.Location.StartColumn is > 0)
                    {
                        region["startColumn"] = r.Location.StartColumn;
                    }

                    physical["region"] = region;
                }

                location["physicalLocation"] = physical;
            }

            if (r.Location.LogicalName is { } logical)
            {
                location["logicalLocations"] = new JsonArray(new JsonObject { ["name"] = logical, ["fullyQualifiedName"] = logical, ["kind"] = r.Location.LogicalKind ?? "package" });
            }

            var node = new JsonObject
            {
                ["ruleId"] = r.RuleId,
                ["ruleIndex"] = index[r.RuleId],
                ["level"] = Level(r.Level),
                ["message"] = new JsonObject { ["text"] = r.Message },
                ["locations"] = new JsonArray(location),
            };
            if (r.Fingerprint is { } fingerprint)
            {
                node["partialFingerprints"] = new JsonObject { [r.FingerprintKey] = fingerprint };
            }

            if (r.Properties is { Count: > 0 } properties)
            {
                var bag = new JsonObject();
                foreach (var (key, value) in properties)
                {
                    bag[key] = value;
                }

                node["properties"] = bag;
            }

            resultArray.Add(node);
        }

        var driver = new JsonObject { ["name"] = toolName, ["version"] = toolVersion };
        if (IsSemanticVersion(toolVersion))
        {
            driver["semanticVersion"] = toolVersion;
        }

        driver["rules"] = ruleArray;
        var run = new JsonObject { ["tool"] = new JsonObject { ["driver"] = driver } };
        if (utf16Columns)
        {
            run["columnKind"] = "utf16CodeUnits";
        }

        run["results"] = resultArray;
        if (runProperties is { Count: > 0 })
        {
            var bag = new JsonObject();
            foreach (var (key, value) in runProperties)
            {
                bag[key] = value;
            }

            run["properties"] = bag;
        }

        return new JsonObject
        {
            ["$schema"] = SchemaUri,
            ["version"] = "2.1.0",
            ["runs"] = new JsonArray(run),
        };
    }

    /// <summary>The log as indented JSON, non-ASCII kept readable.</summary>
    public static string Render(JsonObject log) => log.ToJsonString(Indented);

    public static string Level(SarifLevel level) => level switch
    {
        SarifLevel.Error => "error",
        SarifLevel.Warning => "warning",
        _ => "note",
    };

    /// <summary>
    /// A relative URI (forward slashes, each segment percent-encoded) when the file is under
    /// <paramref name="baseDirectory"/>, else an absolute file: URI.
    /// </summary>
    public static string ArtifactUri(string file, string? baseDirectory)
    {
        var full = Path.GetFullPath(file);
        if (baseDirectory is not null)
        {
            var relative = Path.GetRelativePath(baseDirectory, full);
            if (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative))
            {
                return string.Join('/', relative.Split(Path.DirectorySeparatorChar).Select(Uri.EscapeDataString));
            }
        }

        return new Uri(full).AbsoluteUri;
    }

    // SARIF's semanticVersion is SemVer 2.0; a build such as "dev" or "1.2" must not claim it.
    private static bool IsSemanticVersion(string v) =>
        System.Text.RegularExpressions.Regex.IsMatch(v, @"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?\z", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
}
