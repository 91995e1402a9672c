using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Vouch.Audit.Formats;

/// <summary>
/// `vouch audit --recursive DIR` output: JSON (one object with a section per lockfile, each the
/// single-lockfile contract of docs/audit.md) and plain text (the single-lockfile summary per section).
/// </summary>
public static class RecursiveAuditFormats
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Json(RecursiveAuditReport report, string? relativeTo)
    {
        ArgumentNullException.ThrowIfNull(report);
        var s = report.Sections;
        return JsonSerializer.Serialize(
            new
            {
                root = AuditText.DisplayPath(report.Root, relativeTo),
                passed = !report.HasErrors && !report.HasNetworkErrors,
                totals = new
                {
                    lockfiles = s.Count,
                    failedLockfiles = s.Count(x => x.HasErrors || x.HasNetworkErrors),
                    packages = s.Sum(x => x.Totals.Packages),
                    audited = s.Sum(x => x.Totals.Audited),
                    passed = s.Sum(x => x.Totals.Passed),
                    failed = s.Sum(x => x.Totals.Failed),
                    skipped = s.Sum(x => x.Totals.Skipped),
                    networkErrors = s.Sum(x => x.Totals.NetworkErrors),
                    fromCache = s.Sum(x => x.Totals.FromCache),
                    errors = s.Sum(x => x.Totals.Errors),
                    warnings = s.Sum(x => x.Totals.Warnings),
                },
                lockfiles = s.Select(x => AuditJson.ToJson(x, relativeTo)),
            },
            Options);
    }

    public static string Text(RecursiveAuditReport report, string? relativeTo)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        foreach (var section in report.Sections)
        {
            var path = AuditText.DisplayPath(section.LockfilePath, relativeTo);
            text.Append("== ").AppendLine(path);
            foreach (var line in AuditText.Summary(section with { LockfilePath = path }))
            {
                text.Append("  ").AppendLine(line);
            }

            foreach (var f in section.LockfileFindings.Where(f => f.Severity != AuditSeverity.Note))
            {
                text.Append("  ").AppendLine(CultureInfo.InvariantCulture, $"{Mark(f)} (lockfile) {f.Code}: {f.Message}");
            }

            foreach (var e in section.Entries)
            {
                foreach (var f in e.Findings.Where(f => f.Severity != AuditSeverity.Note))
                {
                    var line = e.Package.Line > 0 ? $":{e.Package.Line}" : "";
                    text.Append("  ").AppendLine(CultureInfo.InvariantCulture, $"{Mark(f)} {e.Id} ({path}{line}) {f.Code}: {f.Message}{(f.Fix is null ? "" : $" (fix: {f.Fix})")}");
                }
            }
        }

        var failed = report.Sections.Count(x => x.HasErrors || x.HasNetworkErrors);
        text.AppendLine(CultureInfo.InvariantCulture, $"{report.Sections.Count} lockfile{(report.Sections.Count == 1 ? "" : "s")} under {AuditText.DisplayPath(report.Root, relativeTo)}: {(failed == 0 ? "all passed" : $"{failed} failed")}");
        if (report.Sections.FirstOrDefault()?.TrustSource is { } trust)
        {
            text.AppendLine(trust);
        }

        return text.ToString();
    }

    private static string Mark(AuditFinding f) => f.Severity == AuditSeverity.Error ? "✗" : "!";
}
