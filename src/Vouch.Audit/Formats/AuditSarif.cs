using Vouch.Common.Sarif;

namespace Vouch.Audit.Formats;

/// <summary>
/// SARIF 2.1.0 for GitHub code scanning: one rule per finding code, one result per finding, located
/// at the lockfile line of the package (lockfile-wide findings at the file). Written by
/// <see cref="SarifLog"/>, the one SARIF writer.
/// </summary>
public static class AuditSarif
{
    public const string SchemaUri = SarifLog.SchemaUri;

    public static string Render(AuditReport report, string? relativeTo, string toolVersion)
    {
        var uri = SarifLog.ArtifactUri(report.LockfilePath, relativeTo);
        var findings = report.LockfileFindings.Select(f => (Entry: (AuditEntry?)null, Finding: f))
            .Concat(report.Entries.SelectMany(e => e.Findings.Select(f => (Entry: (AuditEntry?)e, Finding: f))))
            .ToList();
        var rules = findings.GroupBy(x => x.Finding.Code, StringComparer.Ordinal)
            .Select(g => new SarifRule(g.Key, AuditText.Describe(g.Key), DefaultLevel: Level(g.Min(x => x.Finding.Severity))));
        var results = findings.Select(x => new SarifResult(
            x.Finding.Code,
            Level(x.Finding.Severity),
            x.Finding.Fix is null ? x.Finding.Message : $"{x.Finding.Message} (fix: {x.Finding.Fix})",
            new SarifLocation(uri, x.Entry is { Package.Line: > 0 } e ? e.Package.Line : null),
            Fingerprint: $"{x.Finding.Code}:{x.Entry?.Id ?? uri}",
            Properties: x.Entry is { } entry
                ? new Dictionary<string, string?> { ["package"] = entry.Package.Name, ["version"] = entry.Package.Version, ["source"] = AuditText.Source(x.Finding.Source), ["slsaBuildLevel"] = AuditText.SlsaLevel(entry.Slsa) }
                : null));
        return SarifLog.Render(SarifLog.Build(toolVersion, rules, results));
    }

    private static SarifLevel Level(AuditSeverity severity) => severity switch
    {
        AuditSeverity.Error => SarifLevel.Error,
        AuditSeverity.Warning => SarifLevel.Warning,
        _ => SarifLevel.Note,
    };
}
