using System.CommandLine;
using Vouch.Audit;
using Vouch.Audit.Formats;
using Vouch.Cli.Composition;
using Vouch.Cli.Rendering;
using Vouch.Cli.Services;
using Vouch.Common;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch audit [PATH]`: finds the lockfile, verifies every package it pins against the registry's
/// evidence (signatures, provenance, publish attestations, source binding), applies lockfile lint and
/// policy, and reports as text, JSON, SARIF, CycloneDX or Markdown (docs/audit.md).
/// </summary>
internal static class AuditCommand
{
    private static readonly string[] Formats = ["text", "json", "sarif", "cyclonedx", "markdown"];

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var path = new Argument<string?>("PATH") { Description = "A lockfile, or a directory to find one in (default: the current directory).", Arity = ArgumentArity.ZeroOrOne };
        var shared = new SharedOptions();
        var format = new Option<string>("--format") { Description = "Output: text (default), json, sarif, cyclonedx, markdown.", DefaultValueFactory = _ => "text" };
        var json = new Option<bool>("--json") { Description = "Same as --format json." };
        var output = new Option<string?>("--output", "-o") { Description = "Write the report to FILE (atomically) instead of stdout." };
        var diff = new Option<string?>("--diff") { Description = "Report only what changed since BASE_LOCKFILE, with the evidence before and after upgrades." };
        var baseRef = new Option<string?>("--base") { Description = "Like --diff, with the lockfile as it is at a git ref (e.g. origin/main)." };
        var noPolicy = new Option<bool>("--no-policy") { Description = "Verify evidence only (what `npm audit signatures` does, plus provenance); apply no policy rule." };
        var concurrency = new Option<int>("--concurrency") { Description = "Packages verified at once (1-256).", DefaultValueFactory = _ => 32 };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Audit every lockfile under the directory PATH (not in node_modules): one report, a section per lockfile." };

        var command = new Command("audit", "Verify every package a lockfile pins: integrity against the registry, signatures, provenance, lint and policy.")
        {
            path, shared.Registry, format, json, output, diff, baseRef, shared.Policy, noPolicy, shared.TrustedRoot, shared.RegistryKeys, shared.Offline, shared.CacheDir, concurrency, recursive,
        };
        command.SetAction(async (parse, ct) =>
        {
            var fmt = parse.GetValue(json) ? "json" : parse.GetValue(format)!.ToLowerInvariant();
            if (!Formats.Contains(fmt))
            {
                throw new UsageException($"--format: '{fmt}' is not one of {string.Join(", ", Formats)}");
            }

            var n = parse.GetValue(concurrency);
            if (n is < 1 or > 256)
            {
                throw new UsageException($"--concurrency: {n} is not between 1 and 256");
            }

            if (parse.GetValue(diff) is not null && parse.GetValue(baseRef) is not null)
            {
                throw new UsageException("--diff and --base exclude each other");
            }

            var settings = shared.Bind(parse);
            if (parse.GetValue(noPolicy) && settings.PolicySource is not null)
            {
                throw new UsageException("--policy and --no-policy exclude each other");
            }

            var request = new AuditRequest
            {
                Path = parse.GetValue(path) ?? ".",
                DiffLockfile = parse.GetValue(diff),
                BaseRef = parse.GetValue(baseRef),
                NoPolicy = parse.GetValue(noPolicy),
                Concurrency = n,
            };
            if (parse.GetValue(recursive))
            {
                if (fmt is not ("text" or "json") || request.DiffLockfile is not null || request.BaseRef is not null)
                {
                    throw new UsageException("--recursive: only --format text or json, without --diff/--base");
                }

                var all = await AuditService.RunRecursiveAsync(request with { Recursive = true }, settings, ct).ConfigureAwait(false);
                var cwd = Environment.CurrentDirectory;
                WriteDocument(stdout, fmt == "json" ? RecursiveAuditFormats.Json(all, cwd) + "\n" : RecursiveAuditFormats.Text(all, cwd), parse.GetValue(output));
                foreach (var failed in all.Sections.SelectMany(x => x.Entries).Where(e => e.NetworkError is not null).Take(5))
                {
                    stderr.WriteLine($"vouch: {failed.Id}: the registry or network failed: {failed.NetworkError}");
                }

                return all.HasNetworkErrors ? ExitCodes.NetworkFailed : all.HasErrors ? ExitCodes.CheckFailed : ExitCodes.Ok;
            }

            AuditReport report;
            using (var progress = AuditTextView.ProgressLine.Create(stderr, fmt == "text" && parse.GetValue(output) is null))
            {
                report = await AuditService.RunAsync(request, settings, progress, ct).ConfigureAwait(false);
            }

            Write(stdout, stderr, report, fmt, parse.GetValue(output));
            foreach (var failed in report.Entries.Where(e => e.NetworkError is not null).Take(5))
            {
                stderr.WriteLine($"vouch: {failed.Id}: the registry or network failed: {failed.NetworkError}");
            }

            if (report.HasNetworkErrors)
            {
                return ExitCodes.NetworkFailed;
            }

            return report.HasErrors ? ExitCodes.CheckFailed : ExitCodes.Ok;
        });
        return command;
    }

    private static void WriteDocument(TextWriter stdout, string document, string? target)
    {
        if (target is null)
        {
            stdout.Write(document);
            return;
        }

        try
        {
            AtomicFile.WriteText(target, document);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--output: cannot write {target}: {e.Message}");
        }
    }

    /// <summary>The report in the chosen format, to stdout or atomically to --output; GitHub annotations when in Actions.</summary>
    private static void Write(TextWriter stdout, TextWriter stderr, AuditReport report, string fmt, string? target)
    {
        var cwd = Environment.CurrentDirectory;
        var rendered = fmt switch
        {
            "json" => AuditJson.Render(report, cwd) + "\n",
            "sarif" => AuditSarif.Render(report, cwd, ToolVersion.Current) + "\n",
            "cyclonedx" => AuditCycloneDx.Render(report, cwd, ToolVersion.Current, DateTimeOffset.UtcNow, Guid.NewGuid()) + "\n",
            "markdown" => AuditMarkdown.Render(report, cwd),
            _ => null,
        };
        if (rendered is null)
        {
            var text = new StringWriter();
            AuditTextView.Render(target is null ? stdout : text, report, cwd);
            rendered = target is null ? null : text.ToString();
        }

        if (target is not null)
        {
            try
            {
                AtomicFile.WriteText(target, rendered!);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"--output: cannot write {target}: {e.Message}");
            }
        }
        else if (fmt != "text")
        {
            stdout.Write(rendered);
        }

        if (Environment.GetEnvironmentVariable("GITHUB_ACTIONS") == "true")
        {
            // Workflow commands are read from stdout; keep them off it when stdout carries a document.
            var annotations = fmt == "text" || target is not null ? stdout : stderr;
            foreach (var line in GitHubAnnotations.Render(report, cwd))
            {
                annotations.WriteLine(line);
            }
        }
    }
}
