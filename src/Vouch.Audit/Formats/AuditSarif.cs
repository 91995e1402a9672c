using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vouch.Audit.Formats;

/// <summary>
/// SARIF 2.1.0 for GitHub code scanning: one rule per finding code, one result per finding, located
/// at the lockfile line of the package (lockfile-wide findings at the file).
/// </summary>
public static class AuditSarif
{
    public const string SchemaUri = "https://json.schemastore.org/sarif-2.1.0.json";

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Render(AuditReport report, string? relativeTo, string toolVersion)
    {
        var path = AuditText.DisplayPath(report.LockfilePath, relativeTo);
        var findings = report.LockfileFindings.Select(f => (Entry: (AuditEntry?)null, Finding: f))
            .Concat(report.Entries.SelectMany(e => e.Findings.Select(f => (Entry: (AuditEntry?)e, Finding: f))))
            .ToList();
        var codes = findings.Select(x => x.Finding.Code).Distinct(StringComparer.Ordinal).OrderBy(c => c, StringComparer.Ordinal).ToList();
        var ruleIndex = codes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i, StringComparer.Ordinal);
        var rules = new JsonArray();
        foreach (var code in codes)
        {
            var severity = findings.Where(x => x.Finding.Code == code).Select(x => x.Finding.Severity).Min();
            rules.Add(new JsonObject
            {
                ["id"] = code,
                ["name"] = code,
                ["shortDescription"] = new JsonObject { ["text"] = AuditText.Describe(code) },
                ["defaultConfiguration"] = new JsonObject { ["level"] = Level(severity) },
            });
        }

        var results = new JsonArray();
        foreach (var (entry, f) in findings)
        {
            var physical = new JsonObject { ["artifactLocation"] = new JsonObject { ["uri"] = path } };
            if (entry is { Package.Line: > 0 })
            {
                physical["region"] = new JsonObject { ["startLine"] = entry.Package.Line };
            }

            var result = new JsonObject
            {
                ["ruleId"] = f.Code,
                ["ruleIndex"] = ruleIndex[f.Code],
                ["level"] = Level(f.Severity),
                ["message"] = new JsonObject { ["text"] = f.Fix is null ? f.Message : $"{f.Message} (fix: {f.Fix})" },
                ["locations"] = new JsonArray(new JsonObject { ["physicalLocation"] = physical }),
                ["partialFingerprints"] = new JsonObject { ["vouchFinding/v1"] = $"{f.Code}:{entry?.Id ?? path}" },
            };
            if (entry is not null)
            {
                result["properties"] = new JsonObject
                {
                    ["package"] = entry.Package.Name,
                    ["version"] = entry.Package.Version,
                    ["source"] = AuditText.Source(f.Source),
                };
            }

            results.Add(result);
        }

        var sarif = new JsonObject
        {
            ["$schema"] = SchemaUri,
            ["version"] = "2.1.0",
            ["runs"] = new JsonArray(new JsonObject
            {
                ["tool"] = new JsonObject
                {
                    ["driver"] = new JsonObject
                    {
                        ["name"] = "vouch",
                        ["semanticVersion"] = toolVersion,
                        ["rules"] = rules,
                    },
                },
                ["results"] = results,
            }),
        };
        return sarif.ToJsonString(Options);
    }

    private static string Level(AuditSeverity severity) => severity switch
    {
        AuditSeverity.Error => "error",
        AuditSeverity.Warning => "warning",
        _ => "note",
    };
}
