using System.Text.Json.Nodes;
using Vouch.Common.Sarif;

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
        var rules = findings.Select(f => f.Code).Distinct(StringComparer.Ordinal)
            .Select(code => new SarifRule(code, code, Help: $"See docs/advisories.md and docs/codes.md ({code})."));
        var results = findings.Select(f => new SarifResult(
            f.Code,
            f.Level switch { FindingLevel.Error => SarifLevel.Error, FindingLevel.Warning => SarifLevel.Warning, _ => SarifLevel.Note },
            $"{f.Reason}. Fix: {f.Fix}",
            new SarifLocation(artifactUri, LogicalName: f.Package.Length == 0 ? "(check)" : f.Version is null ? f.Package : $"{f.Package}@{f.Version}", LogicalKind: "package")));
        return SarifLog.Build(toolVersion, rules, results,
            runProperties: report.Snapshot is { } s ? new Dictionary<string, string> { ["advisorySnapshot"] = s.Digest } : null);
    }
}
