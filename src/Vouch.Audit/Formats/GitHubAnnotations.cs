namespace Vouch.Audit.Formats;

/// <summary>GitHub Actions workflow commands (`::error file=…,line=…::…`), one per error or warning, shown inline on the lockfile.</summary>
public static class GitHubAnnotations
{
    public static IEnumerable<string> Render(AuditReport report, string? relativeTo)
    {
        var path = AuditText.DisplayPath(report.LockfilePath, relativeTo);
        foreach (var f in report.LockfileFindings.Where(f => f.Severity != AuditSeverity.Note))
        {
            yield return Line(f, path, 0, null);
        }

        foreach (var e in report.Entries)
        {
            foreach (var f in e.Findings.Where(f => f.Severity != AuditSeverity.Note))
            {
                yield return Line(f, path, e.Package.Line, e.Id);
            }
        }
    }

    private static string Line(AuditFinding f, string path, int line, string? package)
    {
        var kind = f.Severity == AuditSeverity.Error ? "error" : "warning";
        var props = $"file={Property(path)}" + (line > 0 ? $",line={line}" : "") + $",title={Property(package is null ? f.Code : $"{f.Code} {package}")}";
        return $"::{kind} {props}::{Data(f.Fix is null ? f.Message : $"{f.Message} (fix: {f.Fix})")}";
    }

    // The escapes the Actions runner decodes; anything else would end the command early.
    private static string Data(string s) => s.Replace("%", "%25", StringComparison.Ordinal).Replace("\r", "%0D", StringComparison.Ordinal).Replace("\n", "%0A", StringComparison.Ordinal);

    private static string Property(string s) => Data(s).Replace(":", "%3A", StringComparison.Ordinal).Replace(",", "%2C", StringComparison.Ordinal);
}
