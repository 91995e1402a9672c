using System.Text.Json.Nodes;

namespace Vouch.Advisories.Check;

/// <summary>
/// SARIF 2.1.0 for `vouch check`: one rule per code, one result per finding, located at the project's
/// package.json (the file the install would change) with the package as a logical location.
/// </summary>
public static class CheckSarif
{
    public static JsonObject Build(CheckReport report, string toolVersion, string artifactUri)
    {
        ArgumentNullException.ThrowIfNull(report);
        var findings = report.AllFindings.ToList();
        var codes = findings.Select(f => f.Code).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var rules = new JsonArray();
        foreach (var code in codes)
        {
            rules.Add(new JsonObject
            {
                ["id"] = code,
                ["name"] = code,
                ["shortDescription"] = new JsonObject { ["text"] = code },
                ["help"] = new JsonObject { ["text"] = $"See docs/advisories.md and docs/codes.md ({code})." },
            });
        }

        var results = new JsonArray();
        foreach (var f in findings)
        {
            var logical = f.Package.Length == 0 ? "(check)" : f.Version is null ? f.Package : $"{f.Package}@{f.Version}";
            results.Add(new JsonObject
            {
                ["ruleId"] = f.Code,
                ["ruleIndex"] = codes.IndexOf(f.Code),
                ["level"] = f.Level switch { FindingLevel.Error => "error", FindingLevel.Warning => "warning", _ => "note" },
                ["message"] = new JsonObject { ["text"] = $"{f.Reason}. Fix: {f.Fix}" },
                ["locations"] = new JsonArray(new JsonObject
                {
                    ["physicalLocation"] = new JsonObject { ["artifactLocation"] = new JsonObject { ["uri"] = artifactUri } },
                    ["logicalLocations"] = new JsonArray(new JsonObject { ["name"] = logical, ["kind"] = "package" }),
                }),
            });
        }

        var run = new JsonObject
        {
            ["tool"] = new JsonObject { ["driver"] = new JsonObject { ["name"] = "vouch", ["version"] = toolVersion, ["rules"] = rules } },
            ["results"] = results,
        };
        if (report.Snapshot is { } s)
        {
            run["properties"] = new JsonObject { ["advisorySnapshot"] = s.Digest };
        }

        return new JsonObject
        {
            ["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json",
            ["version"] = "2.1.0",
            ["runs"] = new JsonArray(run),
        };
    }
}
