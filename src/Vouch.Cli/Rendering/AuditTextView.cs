using Spectre.Console;
using Vouch.Audit;
using Vouch.Audit.Formats;
using Vouch.Cli.Composition;

namespace Vouch.Cli.Rendering;

/// <summary>`vouch audit`'s text output (a summary, the changes of a diff, a table of problems) and its progress line.</summary>
internal static class AuditTextView
{
    public static void Render(TextWriter writer, AuditReport report, string cwd)
    {
        // Plain lines go straight to the writer; the console (Spectre, which probes the terminal) is
        // made only when there is a table to draw: a clean warm audit is mostly process start, and
        // loading it cost about a tenth of that run.
        IAnsiConsole? console = null;
        IAnsiConsole Tables() => console ??= ConsoleFactory.Create(writer);

        foreach (var line in AuditText.Summary(report with { LockfilePath = AuditText.DisplayPath(report.LockfilePath, cwd) }))
        {
            writer.WriteLine(line);
        }

        var changes = report.Entries.Where(e => e.Diff is not null).ToList();
        if (changes.Count > 0)
        {
            var table = new Table().AddColumns("change", "package", "before", "after", "slsa");
            foreach (var e in changes)
            {
                var d = e.Diff!;
                table.AddRow(
                    Markup.Escape(AuditText.Change(d.Change)),
                    Markup.Escape(d.Change is DiffChange.Upgraded or DiffChange.Downgraded ? $"{e.Package.Name} {d.BaseVersion} → {e.Package.Version}" : e.Id),
                    Markup.Escape(d.Change is DiffChange.Added ? "-" : AuditText.Trust(d.BaseReport)),
                    Markup.Escape(d.Change is DiffChange.Removed ? "-" : AuditText.Trust(e.Report)),
                    Markup.Escape(d.Change is DiffChange.Removed ? "-" : Slsa(e)));
            }

            Tables().Write(table);
        }

        var problems = report.LockfileFindings.Select(f => (Package: "(lockfile)", Line: 0, Finding: f, Slsa: ""))
            .Concat(report.Entries.SelectMany(e => e.Findings.Where(f => f.Severity != AuditSeverity.Note).Select(f => (Package: e.Id, e.Package.Line, Finding: f, Slsa: Slsa(e)))))
            .ToList();
        if (problems.Count > 0)
        {
            var table = new Table().AddColumns("", "package", "line", "slsa", "code", "problem");
            foreach (var (pkg, line, f, slsa) in problems)
            {
                table.AddRow(
                    f.Severity == AuditSeverity.Error ? "[red]✗[/]" : "[yellow]![/]",
                    Markup.Escape(pkg),
                    line > 0 ? line.ToString(System.Globalization.CultureInfo.InvariantCulture) : "",
                    Markup.Escape(slsa),
                    Markup.Escape(f.Code),
                    Markup.Escape(f.Fix is null ? f.Message : $"{f.Message} (fix: {f.Fix})"));
            }

            Tables().Write(table);
        }

        writer.WriteLine(report.TrustSource ?? "");
    }

    // "L2", or "-" for a package without evidence (skipped, or the registry failed).
    private static string Slsa(AuditEntry e) => AuditText.SlsaLevel(e.Slsa) is { } level ? "L" + level : "-";

    /// <summary>A one-line progress bar on stderr, only when stderr is a terminal (quiet otherwise).</summary>
    internal sealed class ProgressLine : IProgress<AuditProgress>, IDisposable
    {
        private readonly TextWriter _err;
        private readonly Lock _lock = new();
        private long _lastTicks;
        private bool _drawn;

        private ProgressLine(TextWriter err) => _err = err;

        public static ProgressLine? Create(TextWriter stderr, bool wanted) =>
            wanted && stderr == Console.Error && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null ? new ProgressLine(stderr) : null;

        public void Report(AuditProgress value)
        {
            lock (_lock)
            {
                var now = Environment.TickCount64;
                if (value.Done != value.Total && now - _lastTicks < 100)
                {
                    return;
                }

                _lastTicks = now;
                const int width = 30;
                var filled = value.Total == 0 ? width : value.Done * width / value.Total;
                _err.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {value.Done}/{value.Total} packages");
                _drawn = true;
            }
        }

        public void Dispose()
        {
            lock (_lock)
            {
                if (_drawn)
                {
                    _err.Write("\r" + new string(' ', 60) + "\r");
                    _drawn = false;
                }
            }
        }
    }
}
