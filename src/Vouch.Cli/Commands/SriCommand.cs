using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Vouch.Cli.Composition;
using Vouch.Npm;
using Vouch.Policy;
using Vouch.Provenance;
using Vouch.Sri;
using Vouch.Common;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch sri scan|fix|hash`: Subresource Integrity for the scripts and stylesheets pages load from
/// CDNs (docs/sri.md).
/// </summary>
internal static class SriCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("sri", "Subresource Integrity: find, fix and compute integrity for CDN script and link tags.");
        command.Subcommands.Add(Scan(stdout, stderr));
        command.Subcommands.Add(Fix(stdout, stderr));
        command.Subcommands.Add(Hash(stdout, stderr));
        return command;
    }

    private static Command Scan(TextWriter stdout, TextWriter stderr)
    {
        var paths = new Argument<string[]>("PATH") { Description = "HTML or template files, or directories to walk.", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print the findings as JSON (docs/sri.md)." };
        var format = new Option<string?>("--format") { Description = "Output format: table (default), json or sarif (SARIF 2.1.0)." };
        var selfOrigin = new Option<string[]>("--self-origin") { Description = "The site's own origin (https://example.com): absolute URLs there are same-origin. Repeatable.", AllowMultipleArgumentsPerToken = false };
        var command = new Command("scan", "Find cross-origin script/link tags without (valid) integrity, without crossorigin, with unpinned npm CDN URLs or per-browser services.")
        {
            paths, json, format, selfOrigin,
        };
        command.SetAction((parse, _) =>
        {
            var outputFormat = OutputFormat(parse.GetValue(json), parse.GetValue(format), allowSarif: true);
            var options = new SriScanOptions { SelfOrigins = Origins(parse.GetValue(selfOrigin)) };
            var scans = ScanAll(parse.GetValue(paths)!, options, stderr);
            var findings = scans.SelectMany(s => s.Findings).ToList();
            switch (outputFormat)
            {
                case "json":
                    stdout.WriteLine(JsonSerializer.Serialize(new { files = scans.Count, findings = findings.Select(FindingJson) }, CliJson.Options));
                    break;
                case "sarif":
                    stdout.WriteLine(SarifReport.Build(findings, ToolVersion.Current, Directory.GetCurrentDirectory()).ToJsonString(CliJson.Options));
                    break;
                default:
                    RenderFindings(stdout, findings, scans.Count);
                    break;
            }

            return Task.FromResult(Failing(findings) ? ExitCodes.CheckFailed : ExitCodes.Ok);
        });
        return command;
    }

    private static Command Fix(TextWriter stdout, TextWriter stderr)
    {
        var paths = new Argument<string[]>("PATH") { Description = "HTML or template files, or directories to walk.", Arity = ArgumentArity.OneOrMore };
        var dryRun = new Option<bool>("--dry-run") { Description = "Change nothing; print a unified diff of what would change." };
        var json = new Option<bool>("--json") { Description = "Print what was done per tag as JSON (docs/sri.md)." };
        var selfOrigin = new Option<string[]>("--self-origin") { Description = "The site's own origin: absolute URLs there are same-origin. Repeatable." };
        var common = new SharedOptions();
        var command = new Command("fix", "Pin npm CDN URLs to a verified exact version and add integrity (from the npm tarball) and crossorigin; nothing else in the file changes.")
        {
            paths, dryRun, json, selfOrigin, common.Registry, common.TrustedRoot, common.Policy, common.Offline, common.CacheDir,
        };
        command.SetAction(async (parse, ct) =>
        {
            var options = new SriScanOptions { SelfOrigins = Origins(parse.GetValue(selfOrigin)) };
            var scans = ScanAll(parse.GetValue(paths)!, options, stderr);
            using var session = await RegistrySession.OpenAsync(common.Bind(parse), ct).ConfigureAwait(false);
            var fixes = new List<DocumentFix>();
            foreach (var scan in scans)
            {
                fixes.Add(await SriFixer.FixAsync(scan, session.Resolver, ct).ConfigureAwait(false));
            }

            var isDryRun = parse.GetValue(dryRun);
            var remaining = new List<SriFinding>();
            var diffs = new Dictionary<DocumentFix, string>();
            foreach (var fix in fixes)
            {
                var after = fix.Changed ? SriScanner.Scan(fix.Scan.Path, SourceText.FromString(fix.NewText), options).Findings : fix.Scan.Findings;
                remaining.AddRange(after.Where(f => f.Level != SriLevel.Note));
                if (!fix.Changed)
                {
                    continue;
                }

                diffs[fix] = SriFiles.UnifiedDiff(fix.Scan.Path, fix.Scan.Source.Text, fix.NewText);
                if (!isDryRun)
                {
                    AtomicFile.Write(fix.Scan.Path, fix.Scan.Source.Encode(fix.NewText));
                }
            }

            if (parse.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(new
                {
                    dryRun = isDryRun,
                    files = fixes.Select(f => new
                    {
                        file = f.Scan.Path,
                        changed = f.Changed,
                        diff = diffs.GetValueOrDefault(f),
                        tags = f.Tags.Select(TagFixJson),
                    }),
                    remaining = remaining.Select(FindingJson),
                }, CliJson.Options));
            }
            else
            {
                RenderFixes(stdout, fixes, diffs, remaining, isDryRun);
            }

            if (fixes.SelectMany(f => f.Tags).Any(t => t.Outcome == FixOutcome.NetworkError))
            {
                foreach (var t in fixes.SelectMany(f => f.Tags).Where(t => t.Outcome == FixOutcome.NetworkError))
                {
                    stderr.WriteLine($"vouch: {t.Tag.Url}: the registry or network failed: {t.Message}");
                }

                return ExitCodes.NetworkFailed;
            }

            return remaining.Count > 0 || fixes.SelectMany(f => f.Tags).Any(t => t.Outcome != FixOutcome.Fixed) ? ExitCodes.CheckFailed : ExitCodes.Ok;
        });
        return command;
    }

    private static Command Hash(TextWriter stdout, TextWriter stderr)
    {
        var inputs = new Argument<string[]>("FILE|npm:PKG@VERSION/PATH") { Description = "A local file, or a file inside a verified npm package (npm:react@18.3.1/umd/react.production.min.js).", Arity = ArgumentArity.OneOrMore };
        var algorithms = new Option<string[]>("--algorithm") { Description = "sha256, sha384 (default) or sha512; repeat for several (one integrity value with several tokens)." };
        var json = new Option<bool>("--json") { Description = "Print [{input, integrity, package, version, file}] as JSON." };
        var common = new SharedOptions();
        var command = new Command("hash", "Print the SRI integrity string of a file or of a file inside a verified npm package.")
        {
            inputs, algorithms, json, common.Registry, common.TrustedRoot, common.Policy, common.Offline, common.CacheDir,
        };
        command.SetAction(async (parse, ct) =>
        {
            var algs = new List<SriAlgorithm>();
            foreach (var name in parse.GetValue(algorithms) ?? [])
            {
                if (!SriIntegrity.TryParseAlgorithm(name.ToLowerInvariant(), out var a))
                {
                    throw new UsageException($"--algorithm: '{name}' is not sha256, sha384 or sha512");
                }

                algs.Add(a);
            }

            if (algs.Count == 0)
            {
                algs.Add(SriAlgorithm.Sha384);
            }

            RegistrySession? session = null;
            try
            {
                var results = new List<(string Input, string Integrity, NpmFileResolution? Npm)>();
                foreach (var input in parse.GetValue(inputs)!)
                {
                    byte[] content;
                    NpmFileResolution? npm = null;
                    if (input.StartsWith("npm:", StringComparison.Ordinal))
                    {
                        var cdn = ParseNpmInput(input);
                        session ??= await RegistrySession.OpenAsync(common.Bind(parse), ct).ConfigureAwait(false);
                        npm = await session.Resolver.ResolveAsync(cdn, ct).ConfigureAwait(false);
                        if (npm.Status == ResolutionStatus.NetworkError)
                        {
                            stderr.WriteLine($"vouch: {input}: the registry or network failed: {npm.Message}");
                            return ExitCodes.NetworkFailed;
                        }

                        if (npm.Status != ResolutionStatus.Resolved)
                        {
                            stderr.WriteLine($"vouch: {npm.Code}: {input}: {npm.Message}");
                            return ExitCodes.CheckFailed;
                        }

                        content = npm.Content!;
                    }
                    else
                    {
                        try
                        {
                            content = File.ReadAllBytes(input);
                        }
                        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                        {
                            throw new UsageException($"{input}: {e.Message}");
                        }
                    }

                    results.Add((input, string.Join(' ', algs.Select(a => SriIntegrity.Compute(content, a))), npm));
                }

                if (parse.GetValue(json))
                {
                    stdout.WriteLine(JsonSerializer.Serialize(results.Select(r => new
                    {
                        input = r.Input,
                        integrity = r.Integrity,
                        package = r.Npm?.Package,
                        version = r.Npm?.Version,
                        file = r.Npm?.FilePath,
                    }), CliJson.Options));
                }
                else
                {
                    foreach (var r in results)
                    {
                        stdout.WriteLine(r.Integrity);
                        if (r.Npm?.PathNote is { } note)
                        {
                            stderr.WriteLine($"vouch: {r.Input}: {note}");
                        }
                    }
                }

                return ExitCodes.Ok;
            }
            finally
            {
                session?.Dispose();
            }
        });
        return command;
    }

    /// <summary>`npm:&lt;pkg&gt;@&lt;version&gt;/&lt;path&gt;` read as the unpkg URL of the same file.</summary>
    private static CdnReference ParseNpmInput(string input)
    {
        var reference = CdnUrl.Classify("https://unpkg.com/" + input["npm:".Length..]);
        if (reference.Kind != CdnKind.Unpkg || reference.Package is null)
        {
            throw new UsageException($"'{input}' is not npm:<package>@<version>/<path>");
        }

        if (reference.FilePath is null)
        {
            throw new UsageException($"'{input}' names no file: expected npm:<package>@<version>/<path>");
        }

        return reference;
    }

    private static List<DocumentScan> ScanAll(string[] paths, SriScanOptions options, TextWriter stderr)
    {
        var files = SriFiles.Collect(paths, out var error) ?? throw new UsageException(error!);
        var scans = new List<DocumentScan>();
        foreach (var file in files)
        {
            var source = SriFiles.Read(file, out var readError) ?? throw new UsageException(readError!);
            scans.Add(SriScanner.Scan(file, source, options));
        }

        return scans;
    }

    private static IReadOnlyList<string> Origins(string[]? values)
    {
        var origins = new List<string>();
        foreach (var v in values ?? [])
        {
            if (!Uri.TryCreate(v, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https"))
            {
                throw new UsageException($"--self-origin: '{v}' is not an http(s) origin");
            }

            origins.Add(u.GetLeftPart(UriPartial.Authority));
        }

        return origins;
    }

    private static string OutputFormat(bool json, string? format, bool allowSarif)
    {
        var f = (format ?? (json ? "json" : "table")).ToLowerInvariant();
        if (f is not ("table" or "json") && !(allowSarif && f == "sarif"))
        {
            throw new UsageException($"--format: '{format}' is not table, json{(allowSarif ? " or sarif" : "")}");
        }

        if (json && f != "json")
        {
            throw new UsageException("--json and --format disagree; give one");
        }

        return f;
    }

    private static bool Failing(IEnumerable<SriFinding> findings) => findings.Any(f => f.Level != SriLevel.Note);

    private static object FindingJson(SriFinding f) => new
    {
        code = f.Code,
        level = SarifReport.Level(f.Level),
        file = f.File,
        line = f.Line,
        column = f.Column,
        element = f.Element,
        url = f.Url,
        message = f.Message,
    };

    private static object TagFixJson(TagFix t) => new
    {
        line = t.Tag.Line,
        column = t.Tag.Column,
        element = t.Tag.Element,
        url = t.Tag.Url,
        outcome = t.Outcome switch { FixOutcome.Fixed => "fixed", FixOutcome.NetworkError => "network-error", _ => "refused" },
        code = t.Code,
        message = t.Message,
        newUrl = t.NewUrl,
        integrity = t.Integrity,
        version = t.Version,
        notes = t.Notes,
    };

    private static void RenderFindings(TextWriter stdout, IReadOnlyList<SriFinding> findings, int files)
    {
        var console = ConsoleFactory.Create(stdout);
        if (findings.Count > 0)
        {
            var table = new Table().AddColumns("location", "level", "code", "url", "problem");
            foreach (var f in findings)
            {
                table.AddRow(
                    Markup.Escape($"{f.File}:{f.Line}:{f.Column}"),
                    f.Level switch { SriLevel.Error => "[red]error[/]", SriLevel.Warning => "[yellow]warning[/]", _ => "[grey]note[/]" },
                    Markup.Escape(f.Code),
                    Markup.Escape(f.Url ?? ""),
                    Markup.Escape(f.Message));
            }

            console.Write(table);
        }

        var failing = findings.Count(f => f.Level != SriLevel.Note);
        console.MarkupLine(Markup.Escape($"{files} file(s) scanned; {failing} problem(s), {findings.Count - failing} note(s)"));
    }

    private static void RenderFixes(TextWriter stdout, IReadOnlyList<DocumentFix> fixes, Dictionary<DocumentFix, string> diffs, IReadOnlyList<SriFinding> remaining, bool dryRun)
    {
        if (dryRun)
        {
            foreach (var diff in diffs.Values)
            {
                stdout.Write(diff);
            }
        }

        var console = ConsoleFactory.Create(stdout);
        foreach (var fix in fixes)
        {
            foreach (var t in fix.Tags)
            {
                var where = $"{fix.Scan.Path}:{t.Tag.Line}:{t.Tag.Column}";
                if (t.Outcome == FixOutcome.Fixed)
                {
                    console.MarkupLine($"[green]✓[/] {Markup.Escape($"{where}: {t.Message}")}");
                }
                else
                {
                    console.MarkupLine($"[red]✗[/] {Markup.Escape($"{where}: {t.Code}: {t.Message}")}");
                }

                foreach (var note in t.Notes)
                {
                    console.MarkupLine($"[yellow]![/] {Markup.Escape($"{where}: {note}")}");
                }
            }
        }

        foreach (var f in remaining)
        {
            console.MarkupLine($"[red]✗[/] {Markup.Escape($"{f.File}:{f.Line}:{f.Column}: {f.Code}: {f.Message}")}");
        }

        var changed = fixes.Count(f => f.Changed);
        var fixedTags = fixes.SelectMany(f => f.Tags).Count(t => t.Outcome == FixOutcome.Fixed);
        console.MarkupLine(Markup.Escape($"{fixedTags} tag(s) fixed in {changed} file(s){(dryRun ? " (dry run: nothing written)" : "")}; {remaining.Count} problem(s) remain"));
    }

    /// <summary>The services `fix` and `hash` resolve npm CDN URLs with: verified versions, judged by the policy when there is one.</summary>
    private sealed class RegistrySession(VouchServices services, NpmCdnResolver resolver) : IDisposable
    {
        public NpmCdnResolver Resolver { get; } = resolver;

        public static async Task<RegistrySession> OpenAsync(ServiceSettings settings, CancellationToken ct)
        {
            // As verify and audit: no policy file found means the built-in default, never "no rules".
            var policy = await PolicyResolver.ResolveAsync(settings.PolicySource, Directory.GetCurrentDirectory(), ct).ConfigureAwait(false);
            var services = VouchServices.Create(settings);
            var judge = services.Judge(policy);
            return new RegistrySession(services, new NpmCdnResolver(services.Registry, services.Verifier, (report, packument) => Decide(judge, report, packument)));
        }

        public void Dispose() => services.Dispose();

        private static SriPolicyDecision Decide(PackageJudge judge, PackageReport report, Packument packument)
        {
            var verdict = judge.Judge(report, packument, JudgementContext.None).Verdict!;
            return new SriPolicyDecision(verdict.Allowed, verdict.Findings
                .Where(f => f.Severity == PolicySeverity.Error)
                .Select(f => $"{f.Rule} ({f.Code}): {f.Message}{(string.IsNullOrEmpty(f.Fix) ? "" : $"; {f.Fix}")}")
                .ToList());
        }
    }
}
