using System.Text;

namespace Vouch.Audit.Formats;

/// <summary>Markdown for a pull-request comment: the summary, then a table of problems (and of changes in a diff audit).</summary>
public static class AuditMarkdown
{
    private const int MaxRows = 200;

    public static string Render(AuditReport report, string? relativeTo)
    {
        var sb = new StringBuilder();
        var path = AuditText.DisplayPath(report.LockfilePath, relativeTo);
        var verdict = report.HasErrors ? "❌ failed" : report.HasNetworkErrors ? "⚠️ incomplete" : "✅ passed";
        sb.Append("### Vouch audit of `").Append(path).Append("`: ").AppendLine(verdict);
        if (report.DiffBase is { } diffBase)
        {
            sb.Append("Changes since `").Append(Cell(diffBase)).AppendLine("`.");
        }

        sb.AppendLine();
        foreach (var line in AuditText.Summary(report with { LockfilePath = path }))
        {
            sb.Append("- ").AppendLine(Cell(line));
        }

        var changes = report.Entries.Where(e => e.Diff is not null).ToList();
        if (changes.Count > 0)
        {
            sb.AppendLine().AppendLine("| change | package | before | after |").AppendLine("|---|---|---|---|");
            foreach (var e in changes.Take(MaxRows))
            {
                var d = e.Diff!;
                var pkg = d.Change switch
                {
                    DiffChange.Upgraded or DiffChange.Downgraded => $"{e.Package.Name} {d.BaseVersion} → {e.Package.Version}",
                    _ => e.Id,
                };
                var before = d.Change is DiffChange.Added ? "—" : d.BaseReport is not null ? AuditText.Trust(d.BaseReport) : d.BaseVersion ?? "—";
                var after = d.Change is DiffChange.Removed ? "—" : AuditText.Trust(e.Report);
                sb.Append("| ").Append(AuditText.Change(d.Change)).Append(" | `").Append(Cell(pkg)).Append("` | ").Append(Cell(before)).Append(" | ").Append(Cell(after)).AppendLine(" |");
            }
        }

        var problems = report.LockfileFindings.Select(f => (Package: "(lockfile)", Line: 0, Finding: f))
            .Concat(report.Entries.SelectMany(e => e.Findings.Where(f => f.Severity != AuditSeverity.Note).Select(f => (Package: e.Id, e.Package.Line, Finding: f))))
            .ToList();
        if (problems.Count > 0)
        {
            sb.AppendLine().AppendLine("| | package | line | code | problem |").AppendLine("|---|---|---|---|---|");
            foreach (var (pkg, line, f) in problems.Take(MaxRows))
            {
                var icon = f.Severity == AuditSeverity.Error ? "❌" : "⚠️";
                sb.Append("| ").Append(icon).Append(" | `").Append(Cell(pkg)).Append("` | ").Append(line > 0 ? line.ToString(System.Globalization.CultureInfo.InvariantCulture) : "").Append(" | `")
                    .Append(f.Code).Append("` | ").Append(Cell(f.Fix is null ? f.Message : $"{f.Message} Fix: {f.Fix}")).AppendLine(" |");
            }

            if (problems.Count > MaxRows)
            {
                sb.AppendLine().Append("… and ").Append(problems.Count - MaxRows).AppendLine(" more (see the JSON or SARIF output).");
            }
        }

        return sb.ToString();
    }

    // A table cell must not break the row: escape pipes, flatten newlines.
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
