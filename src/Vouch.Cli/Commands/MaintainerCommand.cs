using System.CommandLine;
using System.Text.Json;
using Vouch.Maintainer;
using Vouch.Maintainer.Analysis;
using Vouch.Maintainer.Fix;
using Vouch.Maintainer.Output;
using Vouch.Sri;
using Vouch.Common;

namespace Vouch.Cli.Commands;

/// <summary>`vouch maintainer check [DIR]`: how a repository publishes to npm, and what to change (docs/maintainer.md).</summary>
internal static class MaintainerCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("maintainer", "For publishers: check how a repository's CI publishes to npm (provenance, trusted publishing, tokens, risks).");
        command.Subcommands.Add(Check(stdout, stderr));
        return command;
    }

    private static Command Check(TextWriter stdout, TextWriter stderr)
    {
        var dir = new Argument<string?>("DIR") { Description = "The repository's root directory (default: the current directory).", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print the publishing jobs, findings and snippets as JSON (docs/maintainer.md)." };
        var fix = new Option<bool>("--fix") { Description = "Make the fixable changes in the workflow files (atomic writes; every other byte unchanged), then check again." };
        var dryRun = new Option<bool>("--dry-run") { Description = "With or without --fix: change nothing, print a unified diff of what --fix would change." };
        var command = new Command("check", "Find the jobs that publish to npm and report provenance, tokens, permissions, pinning and triggers with file:line:column.")
        {
            dir, json, fix, dryRun,
        };
        command.SetAction((parse, _) =>
        {
            var root = parse.GetValue(dir) ?? Directory.GetCurrentDirectory();
            if (!Directory.Exists(root))
            {
                throw new UsageException($"{root}: no such directory");
            }

            var report = MaintainerCheck.Run(root);
            var plan = parse.GetValue(fix) || parse.GetValue(dryRun) ? MaintainerFixer.Plan(report) : [];
            var diffs = plan.Select(p => (Fix: p, Diff: MaintainerFixer.UnifiedDiff(p.Path, p.OldText, p.NewText))).ToList();
            var written = new List<string>();
            if (parse.GetValue(fix) && !parse.GetValue(dryRun))
            {
                foreach (var p in plan)
                {
                    var full = Path.Combine(report.Root, p.Path);
                    var current = File.ReadAllBytes(full);
                    if (!current.AsSpan().SequenceEqual(report.Contents.Workflows.Concat(report.Contents.GitLabCi is { } g ? [g] : []).First(f => f.Path == p.Path).Encode(p.OldText)))
                    {
                        // Another process changed the file since it was read: never write over that.
                        stderr.WriteLine($"vouch: {p.Path} changed while it was being checked; not fixed");
                        continue;
                    }

                    AtomicFile.Write(full, p.NewBytes);
                    written.Add(p.Path);
                }

                report = MaintainerCheck.Run(root);
            }

            if (parse.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(Json(report, diffs, written, parse.GetValue(dryRun)), CliJson.Options));
            }
            else
            {
                Render(stdout, report, diffs, written, parse.GetValue(dryRun));
            }

            return Task.FromResult(report.Failing ? ExitCodes.CheckFailed : ExitCodes.Ok);
        });
        return command;
    }

    private static object Json(MaintainerReport report, List<(FileFix Fix, string Diff)> diffs, List<string> written, bool dryRun) => new
    {
        root = report.Root,
        repository = report.Repository?.Normalized,
        jobs = report.Jobs.Select(j => new
        {
            file = j.File,
            job = j.Job,
            line = j.At.Line,
            column = j.At.Column,
            platform = j.Platform,
            provenance = j.Provenance.Name(),
            idToken = j.IdToken,
            environment = j.Environment,
            registry = j.Registry,
            steps = j.Steps.Select(s => new
            {
                line = s.At.Line,
                column = s.At.Column,
                kind = s.Kind,
                command = s.Command,
                provenance = s.Provenance.Name(),
                token = s.UsesToken,
            }),
        }),
        packages = report.Packages.Select(p => new { name = p.Name, path = p.Path, publishConfigProvenance = p.PublishConfigProvenance }),
        findings = report.Findings.Select(f => new
        {
            code = f.Code,
            level = f.Level.Name(),
            file = f.At.File,
            line = f.At.Line,
            column = f.At.Column,
            job = f.Job,
            message = f.Message,
            fix = f.Fix,
            fixable = f.Fixable,
        }),
        trustCommands = Snippets.TrustCommands(report),
        policy = Snippets.Policy(report),
        badge = Snippets.Badge(report),
        dryRun,
        fixes = diffs.Select(d => new { file = d.Fix.Path, written = written.Contains(d.Fix.Path), fixedCodes = d.Fix.Fixed.Select(f => f.Code), diff = d.Diff }),
    };

    private static void Render(TextWriter stdout, MaintainerReport report, List<(FileFix Fix, string Diff)> diffs, List<string> written, bool dryRun)
    {
        if (report.Jobs.Count == 0)
        {
            stdout.WriteLine("No job publishing to npm was found (.github/workflows/*.yml, .gitlab-ci.yml).");
        }
        else
        {
            stdout.WriteLine("Publishing jobs:");
            foreach (var j in report.Jobs)
            {
                stdout.WriteLine($"  {j.At}  {j.Job}  provenance: {j.Provenance.Name()}{(j.Environment is null ? string.Empty : $"  environment: {j.Environment}")}");
            }
        }

        if (report.Findings.Count > 0)
        {
            stdout.WriteLine();
            foreach (var f in report.Findings)
            {
                stdout.WriteLine($"{f.At}: {f.Level.Name()} {f.Code}: {f.Message}");
                stdout.WriteLine($"    fix: {f.Fix}{(f.Fixable ? " [--fix]" : string.Empty)}");
            }
        }

        foreach (var (fixPlan, diff) in diffs)
        {
            stdout.WriteLine();
            stdout.WriteLine(dryRun ? $"Would change {fixPlan.Path}:" : written.Contains(fixPlan.Path) ? $"Changed {fixPlan.Path}:" : $"Not changed {fixPlan.Path}:");
            stdout.Write(diff);
        }

        var trust = Snippets.TrustCommands(report);
        if (trust.Count > 0)
        {
            stdout.WriteLine();
            stdout.WriteLine("Trusted publishing (run once per package, npm 11.10+, then remove the npm token from CI):");
            foreach (var t in trust)
            {
                stdout.WriteLine("  " + t);
            }
        }

        if (report.Jobs.Count > 0)
        {
            stdout.WriteLine();
            stdout.WriteLine("Policy for consumers (vouch.policy.yml):");
            stdout.Write(Snippets.Policy(report));
            stdout.WriteLine();
            stdout.WriteLine("README badge:");
            stdout.WriteLine(Snippets.Badge(report));
        }
    }
}
