using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Policy;
using Vouch.Provenance;
using Vouch.Sigstore.Verification;

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

    /// <summary>`--policy FILE|URL` as every policy-aware command declares it.</summary>
    public static Option<string?> PolicyOption() =>
        new("--policy") { Description = "Policy file, or an http(s) URL pinned with #sha256=<hex>; default: vouch.policy.yml found upward from the working directory, else the built-in default." };

    /// <summary>The policy a command applies: --policy, else the nearest vouch.policy.yml, else the default.</summary>
    public static async Task<PolicyDocument> ResolveAsync(string? policy, CancellationToken ct)
    {
        var path = policy ?? PolicyLoader.Find(Directory.GetCurrentDirectory());
        if (path is null)
        {
            return PolicyDocument.Default;
        }

        try
        {
            return await PolicyLoader.LoadAsync(path, null, ct).ConfigureAwait(false);
        }
        catch (PolicyFormatException e)
        {
            throw new UsageException($"bad policy: {e.Message}");
        }
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
            catch (PolicyFetchException e)
            {
                stderr.WriteLine($"vouch: the policy could not be fetched: {e.Message}");
                return ExitCodes.NetworkFailed;
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
        var policy = PolicyOption();
        var baseVersion = new Option<string?>("--base") { Description = "The version the project has now (for major-bump)." };
        var isNew = new Option<bool>("--new") { Description = "Treat the package as new to the project (for new-dependency)." };
        var registry = new Option<string?>("--registry") { Description = "Registry URL; overrides .npmrc (project, user) and NPM_CONFIG_REGISTRY." };
        var json = new Option<bool>("--json") { Description = "Print the explanation as JSON." };
        var offline = new Option<bool>("--offline") { Description = "Answer from the cache only; a cache miss is a network failure (exit 3)." };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Cache directory (default: $VOUCH_CACHE_DIR, $XDG_CACHE_HOME/vouch or ~/.cache/vouch)." };
        var trustedRoot = new Option<string?>("--trusted-root") { Description = "Sigstore trusted root JSON instead of the public-good one (a private Sigstore, the sandbox)." };
        var command = new Command("explain", "Verify one package version and show every policy rule: the evidence, the verdict and how to satisfy it.")
        {
            spec, policy, baseVersion, isNew, registry, json, offline, cacheDir, trustedRoot,
        };
        command.SetAction(async (parse, ct) =>
        {
            var text = parse.GetValue(spec)!;
            if (!PackageSpec.TryParse(text, out var parsed, out var error))
            {
                throw new UsageException($"'{text}' is not a package spec: {error}");
            }

            if (parse.GetValue(baseVersion) is { } b && SemVersion.ParseOrNull(b) is null)
            {
                throw new UsageException($"--base: '{b}' is not a version");
            }

            PolicyDocument doc;
            try
            {
                doc = await ResolveAsync(parse.GetValue(policy), ct).ConfigureAwait(false);
            }
            catch (PolicyFetchException e)
            {
                stderr.WriteLine($"vouch: the policy could not be fetched: {e.Message}");
                return ExitCodes.NetworkFailed;
            }

            using var client = CreateClient(parse.GetValue(registry), parse.GetValue(cacheDir), parse.GetValue(offline));
            var (root, _, keys) = TrustMaterialLoader.All(parse.GetValue(trustedRoot));
            var verifier = new PackageVerifier(client, new SigstoreVerifier(root), keys);
            var report = await verifier.VerifyAsync(parsed, ct).ConfigureAwait(false);
            if (report.NetworkError is not null)
            {
                stderr.WriteLine($"vouch: {report.Name}@{report.Version}: the registry or network failed: {report.NetworkError}");
                return ExitCodes.NetworkFailed;
            }

            var packument = await client.GetPackumentAsync(parsed.Name, PackumentFormat.Full, ct).ConfigureAwait(false);
            if (!packument.IsOk)
            {
                if (packument.Status == RegistryStatus.NotFound || report.Problems.Count > 0)
                {
                    stderr.WriteLine($"vouch: {string.Join("; ", report.Problems.Select(p => $"{p.Code}: {p.Message}").DefaultIfEmpty($"{parsed.Name} is not in the registry"))}");
                    return ExitCodes.CheckFailed;
                }

                stderr.WriteLine($"vouch: {parsed.Name}: the registry or network failed: {packument.Error}");
                return ExitCodes.NetworkFailed;
            }

            var evaluator = new PolicyEvaluator(doc, TimeProvider.System);
            var subject = new PolicySubject
            {
                Report = report,
                Packument = packument.Value!,
                BaseVersion = parse.GetValue(baseVersion),
                IsNewDependency = parse.GetValue(isNew),
            };
            var outcomes = evaluator.Explain(subject);
            var verdict = new PolicyVerdict(outcomes.SelectMany(o => o.Findings).Where(f => f.Severity != PolicySeverity.Off).ToList());
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
                stdout.WriteLine($"{report.Name}@{report.Version} under {doc.Source}: {(verdict.Allowed ? "allowed" : "REFUSED")}");
                foreach (var p in report.Problems)
                {
                    stdout.WriteLine($"  verification problem: {p.Code}: {p.Message}");
                }

                foreach (var o in outcomes)
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

            return verdict.Allowed && report.Passed ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }

    private static Command Init(TextWriter stdout, TextWriter stderr)
    {
        var lockfile = new Option<string?>("--lockfile") { Description = "Lockfile or project directory (default: the working directory)." };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write the policy (default: vouch.policy.yml beside the lockfile; '-' for stdout)." };
        var force = new Option<bool>("--force") { Description = "Overwrite an existing policy file." };
        var registry = new Option<string?>("--registry") { Description = "Registry URL; overrides .npmrc (project, user) and NPM_CONFIG_REGISTRY." };
        var offline = new Option<bool>("--offline") { Description = "Answer from the cache only; a cache miss is a network failure (exit 3)." };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Cache directory (default: $VOUCH_CACHE_DIR, $XDG_CACHE_HOME/vouch or ~/.cache/vouch)." };
        var command = new Command("init", "Write a starter policy from the lockfile: which dependencies already publish provenance, and from which repositories, ready to pin.")
        {
            lockfile, output, force, registry, offline, cacheDir,
        };
        command.SetAction(async (parse, ct) =>
        {
            Lockfile lf;
            try
            {
                lf = LockfileReader.Read(parse.GetValue(lockfile) ?? Directory.GetCurrentDirectory());
            }
            catch (LockfileFormatException e)
            {
                throw new UsageException(e.Message);
            }

            var target = parse.GetValue(output) ?? Path.Combine(Path.GetDirectoryName(lf.Path) ?? ".", PolicyLoader.FileName);
            if (target != "-" && File.Exists(target) && !parse.GetValue(force))
            {
                throw new UsageException($"{target} exists (use --force to overwrite)");
            }

            using var client = CreateClient(parse.GetValue(registry), parse.GetValue(cacheDir), parse.GetValue(offline));
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
                var temp = $"{target}.{Environment.ProcessId}.tmp";
                await File.WriteAllTextAsync(temp, yaml, new UTF8Encoding(false), ct).ConfigureAwait(false);
                File.Move(temp, target, overwrite: true);
                var withProvenance = seen.Count(s => s.Provenance);
                stdout.WriteLine($"wrote {target}: {seen.Count} packages from {Path.GetFileName(lf.Path)}, {withProvenance} publish provenance; review it, then run 'vouch policy check'");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    internal static RegistryClient CreateClient(string? registry, string? cacheDir, bool offline)
    {
        Uri? registryUri = null;
        if (registry is not null && !NpmConfig.TryParseRegistryUrl(registry, out registryUri, out var registryError))
        {
            throw new UsageException($"--registry: {registryError}");
        }

        var config = NpmConfig.Load(NpmConfigOptions.FromCurrentProcess(registryUri));
        var cache = Path.Combine(VouchPaths.CacheDirectory(cacheDir), "registry");
        return new RegistryClient(RegistryClient.CreateDefaultHandler(), config, cache, TimeProvider.System, new RegistryClientOptions { Offline = offline }, disposeHandler: true);
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
