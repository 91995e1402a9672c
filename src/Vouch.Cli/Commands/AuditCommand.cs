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
        var maxAge = new Option<string?>("--max-age") { Description = "How long cached policy facts stand before deprecation is revalidated from the abbreviated packument: 0, or a duration such as 90s, 30m, 12h, 7d (default: 5m)." };
        var preferOnline = new Option<bool>("--prefer-online") { Description = "Revalidate cached policy facts on every run (--max-age 0)." };
        var preferOffline = new Option<bool>("--prefer-offline") { Description = "Use cached policy facts however old; fetch only what is not cached." };
        var registryKeysFor = new Option<string[]>("--registry-keys-for") { Description = "@scope=FILE or URL=FILE (repeatable): the keys a scoped registry's packages are verified with, instead of the ones it serves at /-/npm/v1/keys.", Arity = ArgumentArity.OneOrMore, AllowMultipleArgumentsPerToken = false };
        var profile = new Option<bool>("--profile") { Description = "Print the time spent per stage (lockfile, setup, cache, fetch, verify, policy, render) to stderr; also VOUCH_PROFILE=1." };

        var command = new Command("audit", "Verify every package a lockfile pins: integrity against the registry, signatures, provenance, lint and policy.")
        {
            path, shared.Registry, format, json, output, diff, baseRef, shared.Policy, noPolicy, shared.TrustedRoot, shared.RegistryKeys, registryKeysFor, shared.Offline, shared.CacheDir, concurrency, recursive,
            maxAge, preferOnline, preferOffline, profile,
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

            var freshness = new[] { parse.GetValue(maxAge) is not null, parse.GetValue(preferOnline), parse.GetValue(preferOffline) }.Count(x => x);
            if (freshness > 1)
            {
                throw new UsageException("--max-age, --prefer-online and --prefer-offline exclude each other");
            }

            var age = parse.GetValue(preferOnline) ? TimeSpan.Zero
                : parse.GetValue(preferOffline) ? TimeSpan.MaxValue
                : parse.GetValue(maxAge) is { } text ? ParseMaxAge(text)
                : AuditOptions.DefaultMaxAge;
            var profiling = parse.GetValue(profile) || Environment.GetEnvironmentVariable("VOUCH_PROFILE") == "1" ? new AuditProfile() : null;
            var request = new AuditRequest
            {
                Path = parse.GetValue(path) ?? ".",
                DiffLockfile = parse.GetValue(diff),
                BaseRef = parse.GetValue(baseRef),
                NoPolicy = parse.GetValue(noPolicy),
                Concurrency = n,
                MaxAge = age,
                RegistryKeysFor = parse.GetValue(registryKeysFor) ?? [],
                Profile = profiling,
            };
            if (parse.GetValue(recursive))
            {
                if (fmt is not ("text" or "json") || request.DiffLockfile is not null || request.BaseRef is not null)
                {
                    throw new UsageException("--recursive: only --format text or json, without --diff/--base");
                }

                var all = await AuditService.RunRecursiveAsync(request with { Recursive = true }, settings, ct).ConfigureAwait(false);
                var cwd = Environment.CurrentDirectory;
                using (profiling.Measure(AuditStage.Render))
                {
                    WriteDocument(stdout, fmt == "json" ? RecursiveAuditFormats.Json(all, cwd) + "\n" : RecursiveAuditFormats.Text(all, cwd), parse.GetValue(output));
                }

                if (profiling is not null)
                {
                    stderr.Write(profiling.Format());
                }

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

            using (profiling.Measure(AuditStage.Render))
            {
                Write(stdout, stderr, report, fmt, parse.GetValue(output));
            }

            if (profiling is not null)
            {
                stderr.Write(profiling.Format());
            }
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

    /// <summary><c>--max-age</c>: 0, or digits and a unit (s, m, h, d); at most ten years.</summary>
    internal static TimeSpan ParseMaxAge(string text)
    {
        if (text == "0")
        {
            return TimeSpan.Zero;
        }

        if (text.Length >= 2 && text[^1] is 's' or 'm' or 'h' or 'd'
            && text[..^1].All(char.IsAsciiDigit) && text.Length <= 10
            && long.TryParse(text[..^1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n))
        {
            var span = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                _ => TimeSpan.FromDays(n),
            };
            if (span <= TimeSpan.FromDays(3650))
            {
                return span;
            }
        }

        throw new UsageException($"--max-age: '{text}' is not 0 or a duration such as 90s, 30m, 12h or 7d (at most 3650d)");
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
