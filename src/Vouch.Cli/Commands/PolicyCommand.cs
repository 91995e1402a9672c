using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Vouch.Audit;
using Vouch.Cli.Composition;
using Vouch.Cli.Services;
using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Policy;
using Vouch.Provenance;
using Vouch.Common;

namespace Vouch.Cli.Commands;

/// <summary>`vouch policy init|check|explain`: write, validate and apply vouch.policy.yml (docs/policy.md).</summary>
internal static class PolicyCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("policy", "Organisation policy (vouch.policy.yml): init, check, explain.");
        command.Subcommands.Add(Init(stdout, stderr));
        command.Subcommands.Add(Check(stdout, stderr));
        command.Subcommands.Add(Explain(stdout, stderr));
        return command;
    }

    private static Command Check(TextWriter stdout, TextWriter stderr)
    {
        var file = new Argument<string?>("FILE") { Description = "Policy file or pinned URL (default: vouch.policy.yml found upward).", Arity = ArgumentArity.ZeroOrOne };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var command = new Command("check", "Validate a policy file (and what it extends); list its rules and exceptions; exit 1 when an exception has expired.") { file, json };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file) ?? PolicyLoader.Find(Directory.GetCurrentDirectory())
                ?? throw new UsageException($"no {PolicyLoader.FileName} here or in a parent directory (give FILE)");
            PolicyDocument doc;
            try
            {
                doc = await PolicyLoader.LoadAsync(path, null, ct).ConfigureAwait(false);
            }
            catch (PolicyFormatException e)
            {
                throw new UsageException(e.Message);
            }

            var now = TimeProvider.System.GetUtcNow();
            var expired = doc.Exceptions.Where(e => e.Expires <= now).ToList();
            if (parse.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(new
                {
                    source = doc.Source,
                    chain = doc.Chain,
                    valid = true,
                    rules = doc.RuleSeverities.Select(r => new { rule = r.Rule, severity = PolicySeverities.Name(r.Severity) }),
                    exceptions = doc.Exceptions.Select(e => new
                    {
                        kind = e.Kind,
                        package = e.Package,
                        versions = e.Versions,
                        rules = e.Rules,
                        reason = e.Reason,
                        expires = e.Expires,
                        expired = e.Expires <= now,
                        location = e.Location,
                    }),
                }, CliJson.Options));
            }
            else
            {
                stdout.WriteLine($"OK: {doc.Source} is a valid policy{(doc.Chain.Count > 1 ? $" (extends {string.Join(" -> ", doc.Chain.Skip(1))})" : "")}");
                foreach (var (rule, severity) in doc.RuleSeverities)
                {
                    stdout.WriteLine($"  {rule,-16} {PolicySeverities.Name(severity)}");
                }

                foreach (var e in doc.Exceptions)
                {
                    var state = e.Expires <= now ? "EXPIRED" : e.Expires <= now.AddDays(30) ? "expires soon" : "active";
                    stdout.WriteLine($"  {e.Kind} {e.Package}{(e.Versions is null ? "" : $"@{e.Versions}")}{(e.Rules.Count > 0 ? $" [{string.Join(", ", e.Rules)}]" : "")}: {e.Reason} (until {e.Expires.UtcDateTime:yyyy-MM-dd HH:mm}Z, {state}; {e.Location})");
                }
            }

            return expired.Count == 0 ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }

    private static Command Explain(TextWriter stdout, TextWriter stderr)
    {
        var spec = new Argument<string>("SPEC") { Description = "A package spec: name, name@1.2.3, name@^1, @scope/name@tag." };
        var shared = new SharedOptions();
        var baseVersion = new Option<string?>("--base") { Description = "The version the project has now (for major-bump)." };
        var isNew = new Option<bool>("--new") { Description = "Treat the package as new to the project (for new-dependency)." };
        var json = new Option<bool>("--json") { Description = "Print the explanation as JSON." };
        var command = new Command("explain", "Verify one package version and show every policy rule: the evidence, the verdict and how to satisfy it.")
        {
            spec, shared.Policy, baseVersion, isNew, shared.Registry, json, shared.Offline, shared.CacheDir, shared.TrustedRoot,
        };
        command.SetAction(async (parse, ct) =>
        {
            var parsed = PackageSpecs.Parse(parse.GetValue(spec)!);
            if (parse.GetValue(baseVersion) is { } b && SemVersion.ParseOrNull(b) is null)
            {
                throw new UsageException($"--base: '{b}' is not a version");
            }

            var settings = shared.Bind(parse);
            var doc = await PolicyResolver.ResolveAsync(settings.PolicySource, Directory.GetCurrentDirectory(), ct).ConfigureAwait(false);
            using var services = VouchServices.Create(settings);
            var context = new JudgementContext { BaseVersion = parse.GetValue(baseVersion), IsNewDependency = parse.GetValue(isNew) };
            var judged = await services.Judge(doc).JudgeAsync(parsed, context, ct).ConfigureAwait(false);
            var report = judged.Report;
            switch (judged.Status)
            {
                case JudgementStatus.NetworkFailed:
                    stderr.WriteLine($"vouch: {report.Name}@{report.Version}: the registry or network failed: {report.NetworkError}");
                    return ExitCodes.NetworkFailed;
                case JudgementStatus.NotFound:
                    stderr.WriteLine($"vouch: {string.Join("; ", report.Problems.Select(p => $"{p.Code}: {p.Message}").DefaultIfEmpty($"{parsed.Name} is not in the registry"))}");
                    return ExitCodes.CheckFailed;
            }

            var outcomes = judged.Outcomes;
            var verdict = judged.Verdict!;
            if (parse.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(new
                {
                    name = report.Name,
                    version = report.Version,
                    policy = doc.Source,
                    allowed = verdict.Allowed,
                    verificationPassed = report.Passed,
                    problems = report.Problems.Select(p => new { code = p.Code, message = p.Message }),
                    rules = outcomes.Select(o => new
                    {
                        rule = o.Rule,
                        severity = PolicySeverities.Name(o.Severity),
                        verdict = o.Verdict,
                        evidence = o.Evidence,
                        requirement = o.Requirement,
                        findings = o.Findings.Select(PolicyJson.Finding),
                    }),
                }, CliJson.Options));
            }
            else
            {
                RenderExplanation(stdout, judged, doc);
            }

            return judged.Passed ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }

    private static void RenderExplanation(TextWriter stdout, PackageJudgement judged, PolicyDocument doc)
    {
        var report = judged.Report;
        stdout.WriteLine($"{report.Name}@{report.Version} under {doc.Source}: {(judged.Verdict!.Allowed ? "allowed" : "REFUSED")}");
        foreach (var p in report.Problems)
        {
            stdout.WriteLine($"  verification problem: {p.Code}: {p.Message}");
        }

        foreach (var o in judged.Outcomes)
        {
            stdout.WriteLine($"- {o.Rule} ({PolicySeverities.Name(o.Severity)}): {o.Verdict}");
            stdout.WriteLine($"    evidence: {o.Evidence}");
            if (o.Requirement.Length > 0)
            {
                stdout.WriteLine($"    requires: {o.Requirement}");
            }

            foreach (var f in o.Findings)
            {
                stdout.WriteLine($"    {PolicySeverities.Name(f.Severity)} {f.Code}: {f.Message}");
                stdout.WriteLine($"      fix: {f.Fix}");
            }
        }
    }

    private static Command Init(TextWriter stdout, TextWriter stderr)
    {
        var lockfile = new Option<string?>("--lockfile") { Description = "Lockfile or project directory (default: the working directory)." };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the policy (default: vouch.policy.yml beside the lockfile; '-' for stdout)." };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing policy file." };
        var shared = new SharedOptions();
        var command = new Command("init", "Write a starter policy from the lockfile: which dependencies already publish provenance, and from which repositories, ready to pin.")
        {
            lockfile, output, force, shared.Registry, shared.Offline, shared.CacheDir,
        };
        command.SetAction(async (parse, ct) =>
        {
            var lf = LockfileInput.Read(parse.GetValue(lockfile) ?? Directory.GetCurrentDirectory());

            var target = parse.GetValue(output) ?? Path.Combine(Path.GetDirectoryName(lf.Path) ?? ".", PolicyLoader.FileName);
            if (target != "-" && File.Exists(target) && !parse.GetValue(force))
            {
                throw new UsageException($"{target} exists (use --force to overwrite)");
            }

            using var services = VouchServices.Create(shared.Bind(parse));
            var client = services.Registry;
            var packages = lf.Distinct().Where(p => p.Source == LockfileSourceKind.Registry && !p.Bundled).ToList();
            var seen = new List<StarterEntry>();
            foreach (var group in packages.GroupBy(p => p.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var result = await client.GetPackumentAsync(group.Key, PackumentFormat.Full, ct).ConfigureAwait(false);
                if (!result.IsOk && result.Status != RegistryStatus.NotFound)
                {
                    stderr.WriteLine($"vouch: {group.Key}: the registry or network failed: {result.Error ?? result.Status.ToString()}");
                    return ExitCodes.NetworkFailed;
                }

                var versions = group.Select(p => result.Value?.Versions.GetValueOrDefault(SemVersion.ParseOrNull(p.Version)?.Version ?? p.Version)).ToList();
                seen.Add(new StarterEntry(
                    group.Key,
                    group.Select(p => p.Version).Distinct().ToList(),
                    Found: result.IsOk && versions.All(v => v is not null),
                    Provenance: versions.Count > 0 && versions.All(v => v?.Dist.Attestations is not null),
                    Repository: versions.Select(v => v?.Dist.Attestations is not null ? SourceBinding.Normalize(v.Repository?.Url) : null).FirstOrDefault(r => r is not null),
                    InstallScripts: group.Any(p => p.HasInstallScript == true) || versions.Any(v => v is not null && PolicyStarter.HasInstallScripts(v))));
            }

            var yaml = PolicyStarter.Write(lf.Path, seen, TimeProvider.System.GetUtcNow());

            // What init writes must load: a starter that does not parse would be worse than none.
            PolicyLoader.Parse(yaml, target);
            if (target == "-")
            {
                stdout.Write(yaml);
            }
            else
            {
                AtomicFile.WriteText(target, yaml);
                var withProvenance = seen.Count(s => s.Provenance);
                stdout.WriteLine($"wrote {target}: {seen.Count} packages from {Path.GetFileName(lf.Path)}, {withProvenance} publish provenance; review it, then run 'vouch policy check'");
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}

/// <summary>The `policy` object of `--json` outputs (docs/policy.md). Field names are a contract.</summary>
internal static class PolicyJson
{
    public static object Finding(PolicyFinding f) => new
    {
        code = f.Code,
        rule = f.Rule,
        severity = PolicySeverities.Name(f.Severity),
        message = f.Message,
        evidence = f.Evidence,
        fix = f.Fix,
    };

    public static object Verdict(PolicyDocument policy, PolicyVerdict verdict) => new
    {
        source = policy.Source,
        allowed = verdict.Allowed,
        findings = verdict.Findings.Select(Finding),
    };
}

internal sealed record StarterEntry(string Name, IReadOnlyList<string> Versions, bool Found, bool Provenance, string? Repository, bool InstallScripts);

/// <summary>Writes the starter policy `vouch policy init` proposes.</summary>
internal static class PolicyStarter
{
    public static bool HasInstallScripts(PackageVersion v) =>
        v.Scripts.ContainsKey("preinstall") || v.Scripts.ContainsKey("install") || v.Scripts.ContainsKey("postinstall") || v.Gypfile == true || v.HasInstallScript == true;

    public static string Write(string lockfilePath, IReadOnlyList<StarterEntry> entries, DateTimeOffset now)
    {
        var sb = new StringBuilder();
        var provenance = entries.Where(e => e.Provenance).ToList();
        var scripts = entries.Where(e => e.InstallScripts).ToList();
        sb.AppendLine(CultureInfo.InvariantCulture, $"# Starter policy written by 'vouch policy init' from {Path.GetFileName(lockfilePath)} on {now.UtcDateTime:yyyy-MM-dd}.");
        sb.AppendLine(CultureInfo.InvariantCulture, $"# {provenance.Count} of {entries.Count} packages advertise provenance in the registry (dist.attestations);");
        sb.AppendLine("# their repositories come from package.json of those versions, which npm binds to the provenance.");
        sb.AppendLine("# Review every line, then run 'vouch policy check' and 'vouch policy explain <pkg>'. Reference: docs/policy.md.");
        sb.AppendLine("version: 1");
        sb.AppendLine("rules:");
        sb.AppendLine("  signature: warn");
        sb.AppendLine("  trust-downgrade: error");
        sb.AppendLine("  deprecated: warn");
        if (provenance.Count > 0)
        {
            sb.AppendLine("  # These already publish provenance: require it, so a version without it is refused.");
            sb.AppendLine("  provenance:");
            sb.AppendLine("    severity: error");
            sb.AppendLine("    packages:");
            foreach (var e in provenance)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"      - {Quote(e.Name)}  # {string.Join(", ", e.Versions)}");
            }

            var pinned = provenance.Where(e => e.Repository is not null).ToList();
            if (pinned.Count > 0)
            {
                sb.AppendLine("  # ...and built from the repository they are built from today.");
                sb.AppendLine("  source:");
                sb.AppendLine("    severity: error");
                sb.AppendLine("    allowed:");
                foreach (var e in pinned)
                {
                    sb.AppendLine(CultureInfo.InvariantCulture, $"      - packages: [{Quote(e.Name)}]");
                    sb.AppendLine(CultureInfo.InvariantCulture, $"        repositories: [{Quote(e.Repository!)}]");
                }
            }
        }

        sb.AppendLine("  # Install-time code: the packages listed run it today; review them, then tighten to error.");
        sb.AppendLine("  install-scripts:");
        sb.AppendLine("    severity: warn");
        if (scripts.Count > 0)
        {
            sb.AppendLine("    allow:");
            foreach (var e in scripts)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"      - {Quote(e.Name)}");
            }
        }

        sb.AppendLine("  release-age:");
        sb.AppendLine("    severity: warn");
        sb.AppendLine("    minimum: 3d");
        var missing = entries.Where(e => !e.Found).ToList();
        if (missing.Count > 0)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"# Not found in the registry (private, unpublished or mistyped): {string.Join(", ", missing.Select(m => m.Name))}");
        }

        return sb.ToString();
    }

    private static string Quote(string s) => $"'{s.Replace("'", "''", StringComparison.Ordinal)}'";
}
