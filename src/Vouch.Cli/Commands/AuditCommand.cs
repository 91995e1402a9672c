using System.CommandLine;
using System.Diagnostics;
using System.Reflection;
using Spectre.Console;
using Vouch.Audit;
using Vouch.Audit.Formats;
using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Policy;
using Vouch.Provenance;
using Vouch.Sigstore.Verification;
using SigstoreTrustedRoot = Vouch.Sigstore.Trust.TrustedRoot;

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
        var registry = new Option<string?>("--registry") { Description = "Registry URL; overrides .npmrc (project, user) and NPM_CONFIG_REGISTRY." };
        var format = new Option<string>("--format") { Description = "Output: text (default), json, sarif, cyclonedx, markdown.", DefaultValueFactory = _ => "text" };
        var json = new Option<bool>("--json") { Description = "Same as --format json." };
        var output = new Option<string?>("--output", "-o") { Description = "Write the report to FILE (atomically) instead of stdout." };
        var diff = new Option<string?>("--diff") { Description = "Report only what changed since BASE_LOCKFILE, with the evidence before and after upgrades." };
        var baseRef = new Option<string?>("--base") { Description = "Like --diff, with the lockfile as it is at a git ref (e.g. origin/main)." };
        var policy = new Option<string?>("--policy") { Description = "Policy file or https URL (default: vouch.policy.yml found upward from the lockfile, else the built-in default policy)." };
        var noPolicy = new Option<bool>("--no-policy") { Description = "Verify evidence only (what `npm audit signatures` does, plus provenance); apply no policy rule." };
        var trustedRoot = new Option<string?>("--trusted-root") { Description = "Sigstore trusted root JSON (default: TUF-cached, else embedded public-good)." };
        var registryKeys = new Option<string?>("--registry-keys") { Description = "npm registry keys JSON (TUF keys.json or /-/npm/v1/keys shape) to trust instead of the default." };
        var offline = new Option<bool>("--offline") { Description = "Answer from the caches only; a miss is a network failure (exit 3)." };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Cache directory (default: $VOUCH_CACHE_DIR, $XDG_CACHE_HOME/vouch or ~/.cache/vouch)." };
        var concurrency = new Option<int>("--concurrency") { Description = "Packages verified at once (1-256).", DefaultValueFactory = _ => 32 };
        var recursive = new Option<bool>("--recursive", "-r") { Description = "Audit every lockfile under the directory PATH (not in node_modules): one report, a section per lockfile." };

        var command = new Command("audit", "Verify every package a lockfile pins: integrity against the registry, signatures, provenance, lint and policy.")
        {
            path, registry, format, json, output, diff, baseRef, policy, noPolicy, trustedRoot, registryKeys, offline, cacheDir, concurrency, recursive,
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

            Uri? registryUri = null;
            if (parse.GetValue(registry) is { } r && !NpmConfig.TryParseRegistryUrl(r, out registryUri, out var registryError))
            {
                throw new UsageException($"--registry: {registryError}");
            }

            var recursiveLockfiles = parse.GetValue(recursive) ? ReadRecursive(parse.GetValue(path) ?? ".", fmt, parse.GetValue(diff) ?? parse.GetValue(baseRef)) : null;
            var lockfile = recursiveLockfiles?[0] ?? ReadLockfile(parse.GetValue(path) ?? ".");
            Lockfile? baseLockfile = null;
            string? baseLabel = null;
            if (parse.GetValue(diff) is { } diffPath)
            {
                baseLockfile = ReadLockfile(diffPath);
                baseLabel = diffPath;
            }
            else if (parse.GetValue(baseRef) is { } gitRef)
            {
                baseLockfile = ReadAtGitRef(lockfile.Path, gitRef);
                baseLabel = gitRef;
            }

            var (root, keys, trustSource) = LoadTrust(parse.GetValue(trustedRoot), parse.GetValue(registryKeys));
            var config = NpmConfig.Load(NpmConfigOptions.FromCurrentProcess(registryUri) with { WorkingDirectory = Path.GetDirectoryName(lockfile.Path)! });
            var cacheRoot = VouchPaths.CacheDirectory(parse.GetValue(cacheDir));
            if (parse.GetValue(noPolicy) && parse.GetValue(policy) is not null)
            {
                throw new UsageException("--policy and --no-policy exclude each other");
            }

            PolicyEvaluator? evaluator;
            try
            {
                evaluator = parse.GetValue(noPolicy) ? null : await LoadPolicyAsync(parse.GetValue(policy), lockfile.Path, ct).ConfigureAwait(false);
            }
            catch (PolicyFetchException e)
            {
                stderr.WriteLine($"vouch: the policy could not be fetched: {e.Message}");
                return ExitCodes.NetworkFailed;
            }

            // The evidence cache is what makes a second audit fast; the registry's HTTP cache would only
            // add a disk write per packument. It is kept where documents are needed again: offline
            // audits, and policies (which read packuments on every run, revalidated with ETags).
            var clientOptions = new RegistryClientOptions { Offline = parse.GetValue(offline), MaxConcurrency = n };
            var httpCache = parse.GetValue(offline) || evaluator is not null ? Path.Combine(cacheRoot, "registry") : null;
            using var client = new RegistryClient(RegistryClient.CreateDefaultHandler(), config, httpCache, TimeProvider.System, clientOptions, disposeHandler: true);
            var registries = new[] { config.Registry }.Concat(config.ScopeRegistries.Values).Distinct().ToList();
            var lint = AuditLint.Check(lockfile, registries);
            var options = new AuditOptions
            {
                Concurrency = n,
                EvidenceCacheDirectory = Path.Combine(cacheRoot, "audit-evidence"),
                Policy = evaluator is null ? null : input => Evaluate(evaluator, input),
                PolicyNeedsPackument = evaluator is not null,
                CheckResolvedHost = false,
            };
            var pipeline = new AuditPipeline(client, new PackageVerifier(client, new SigstoreVerifier(root), keys), options);

            if (recursiveLockfiles is not null)
            {
                var all = await RecursiveAudit.RunAsync(pipeline, parse.GetValue(path) ?? ".", recursiveLockfiles, l => AuditLint.Check(l, registries), null, ct).ConfigureAwait(false);
                all = all with { Sections = [.. all.Sections.Select(s => s with { TrustSource = trustSource, Registry = config.Registry.ToString() })] };
                var doc = fmt == "json" ? RecursiveAuditFormats.Json(all, Environment.CurrentDirectory) + "\n" : RecursiveAuditFormats.Text(all, Environment.CurrentDirectory);
                WriteReport(parse.GetValue(output), doc, stdout);
                foreach (var failed in all.Sections.SelectMany(x => x.Entries).Where(e => e.NetworkError is not null).Take(5))
                {
                    stderr.WriteLine($"vouch: {failed.Id}: the registry or network failed: {failed.NetworkError}");
                }

                return all.HasNetworkErrors ? ExitCodes.NetworkFailed : all.HasErrors ? ExitCodes.CheckFailed : ExitCodes.Ok;
            }

            using var progress = ProgressLine.Create(stderr, fmt == "text" && parse.GetValue(output) is null);
            var report = baseLockfile is null
                ? await pipeline.RunAsync(lockfile, lint, progress, ct).ConfigureAwait(false)
                : await pipeline.RunDiffAsync(lockfile, baseLockfile, baseLabel!, lint, progress, ct).ConfigureAwait(false);
            progress?.Dispose();
            report = report with { TrustSource = trustSource, Registry = config.Registry.ToString() };

            var cwd = Environment.CurrentDirectory;
            var version = typeof(AuditCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";
            var rendered = fmt switch
            {
                "json" => AuditJson.Render(report, cwd) + "\n",
                "sarif" => AuditSarif.Render(report, cwd, version) + "\n",
                "cyclonedx" => AuditCycloneDx.Render(report, cwd, version, DateTimeOffset.UtcNow, Guid.NewGuid()) + "\n",
                "markdown" => AuditMarkdown.Render(report, cwd),
                _ => null,
            };
            var target = parse.GetValue(output);
            if (rendered is null)
            {
                var text = new StringWriter();
                RenderText(target is null ? stdout : text, report, cwd);
                rendered = target is null ? null : text.ToString();
            }

            if (target is not null)
            {
                try
                {
                    AtomicFile.WriteAllText(target, rendered!);
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

    private static List<Lockfile> ReadRecursive(string directory, string format, string? diffBase)
    {
        if (format is not ("text" or "json") || diffBase is not null)
        {
            throw new UsageException("--recursive: only --format text or json, without --diff/--base");
        }

        try
        {
            return [.. RecursiveAudit.ReadAll(RecursiveAudit.FindLockfileDirectories(directory))];
        }
        catch (LockfileFormatException e)
        {
            throw new UsageException($"{e.Code}: {e.Message}");
        }
    }

    private static void WriteReport(string? target, string document, TextWriter stdout)
    {
        if (target is null)
        {
            stdout.Write(document);
            return;
        }

        try
        {
            AtomicFile.WriteAllText(target, document);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--output: cannot write {target}: {e.Message}");
        }
    }

    private static Lockfile ReadLockfile(string pathOrDirectory)
    {
        try
        {
            return LockfileReader.Read(pathOrDirectory);
        }
        catch (LockfileFormatException e)
        {
            throw new UsageException($"{e.Code}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {pathOrDirectory}: {e.Message}");
        }
    }

    /// <summary>The lockfile's content at a git ref, read with `git show` from the lockfile's own repository.</summary>
    private static Lockfile ReadAtGitRef(string lockfilePath, string gitRef)
    {
        if (gitRef.StartsWith('-'))
        {
            throw new UsageException($"--base: '{gitRef}' is not a git ref");
        }

        var dir = Path.GetDirectoryName(lockfilePath)!;
        var start = new ProcessStartInfo("git") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "show", $"{gitRef}:./{Path.GetFileName(lockfilePath)}" })
        {
            start.ArgumentList.Add(a);
        }

        string content;
        try
        {
            using var git = Process.Start(start)!;
            var stdoutTask = git.StandardOutput.ReadToEndAsync();
            var err = git.StandardError.ReadToEnd();
            content = stdoutTask.GetAwaiter().GetResult();
            git.WaitForExit();
            if (git.ExitCode != 0)
            {
                throw new UsageException($"--base: git cannot show {Path.GetFileName(lockfilePath)} at {gitRef}: {err.Trim().Split('\n')[0]}");
            }
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UsageException($"--base: cannot run git: {e.Message}");
        }

        try
        {
            return LockfileReader.Parse(content, lockfilePath);
        }
        catch (LockfileFormatException e)
        {
            throw new UsageException($"{e.Code}: {gitRef}: {e.Message}");
        }
    }

    private static (SigstoreTrustedRoot Root, RegistryKeys Keys, string Source) LoadTrust(string? trustedRootPath, string? registryKeysPath)
    {
        var (root, rootSource, keys) = TrustMaterialLoader.All(trustedRootPath, registryKeysPath);
        return (root, keys, $"trusted root: {rootSource}; registry keys: {keys.Source}");
    }

    private static async Task<PolicyEvaluator> LoadPolicyAsync(string? fileOrUrl, string lockfilePath, CancellationToken ct)
    {
        // As `vouch verify`: no file found means the documented built-in default, never "no rules"
        // (a trust downgrade such as lottie-player's fails an audit out of the box).
        var source = fileOrUrl ?? PolicyLoader.Find(Path.GetDirectoryName(lockfilePath)!);
        if (source is null)
        {
            return new PolicyEvaluator(PolicyDocument.Default, TimeProvider.System);
        }

        try
        {
            return new PolicyEvaluator(await PolicyLoader.LoadAsync(source, null, ct).ConfigureAwait(false), TimeProvider.System);
        }
        catch (PolicyFormatException e)
        {
            throw new UsageException(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read policy {source}: {e.Message}");
        }
    }

    private static PolicyOutcome Evaluate(PolicyEvaluator evaluator, PolicyInput input)
    {
        var verdict = evaluator.Evaluate(new PolicySubject
        {
            Report = input.Report,
            Packument = input.Packument!,
            BaseVersion = input.BaseVersion,
            IsNewDependency = input.IsNewDependency,
        });
        var findings = verdict.Findings
            .Where(f => f.Severity != PolicySeverity.Off)
            .Select(f => new AuditFinding(f.Code, f.Severity == PolicySeverity.Error ? AuditSeverity.Error : AuditSeverity.Warning, FindingSource.Policy, $"{f.Message} ({f.Evidence})") { Rule = f.Rule, Fix = f.Fix })
            .ToList();
        return new PolicyOutcome(findings, verdict.Allowed);
    }

    private static void RenderText(TextWriter writer, AuditReport report, string cwd)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = writer == Console.Out && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ColorSystemSupport.Detect,
        });
        if (writer != Console.Out || Console.IsOutputRedirected)
        {
            console.Profile.Width = 200;
        }

        foreach (var line in AuditText.Summary(report with { LockfilePath = AuditText.DisplayPath(report.LockfilePath, cwd) }))
        {
            console.WriteLine(line);
        }

        var changes = report.Entries.Where(e => e.Diff is not null).ToList();
        if (changes.Count > 0)
        {
            var table = new Table().AddColumns("change", "package", "before", "after");
            foreach (var e in changes)
            {
                var d = e.Diff!;
                table.AddRow(
                    Markup.Escape(AuditText.Change(d.Change)),
                    Markup.Escape(d.Change is DiffChange.Upgraded or DiffChange.Downgraded ? $"{e.Package.Name} {d.BaseVersion} → {e.Package.Version}" : e.Id),
                    Markup.Escape(d.Change is DiffChange.Added ? "-" : AuditText.Trust(d.BaseReport)),
                    Markup.Escape(d.Change is DiffChange.Removed ? "-" : AuditText.Trust(e.Report)));
            }

            console.Write(table);
        }

        var problems = report.LockfileFindings.Select(f => (Package: "(lockfile)", Line: 0, Finding: f))
            .Concat(report.Entries.SelectMany(e => e.Findings.Where(f => f.Severity != AuditSeverity.Note).Select(f => (Package: e.Id, e.Package.Line, Finding: f))))
            .ToList();
        if (problems.Count > 0)
        {
            var table = new Table().AddColumns("", "package", "line", "code", "problem");
            foreach (var (pkg, line, f) in problems)
            {
                table.AddRow(
                    f.Severity == AuditSeverity.Error ? "[red]✗[/]" : "[yellow]![/]",
                    Markup.Escape(pkg),
                    line > 0 ? line.ToString(System.Globalization.CultureInfo.InvariantCulture) : "",
                    Markup.Escape(f.Code),
                    Markup.Escape(f.Fix is null ? f.Message : $"{f.Message} (fix: {f.Fix})"));
            }

            console.Write(table);
        }

        console.WriteLine(report.TrustSource ?? "");
    }

    /// <summary>A one-line progress bar on stderr, only when stderr is a terminal (quiet otherwise).</summary>
    private sealed class ProgressLine : IProgress<AuditProgress>, IDisposable
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
