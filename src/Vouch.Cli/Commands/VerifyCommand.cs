using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Vouch.Npm;
using Vouch.Policy;
using Vouch.Provenance;
using Vouch.Sigstore.Verification;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch verify <spec>...`: is this exact package version what its source repository built?
/// Integrity, registry signature, publish attestation, provenance and source binding, per version.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var specs = new Argument<string[]>("SPEC") { Description = "Package specs: name, name@1.2.3, name@^1.2, name@tag, @scope/name@..., alias@npm:name@...", Arity = ArgumentArity.OneOrMore };
        var registry = new Option<string?>("--registry") { Description = "Registry URL; overrides .npmrc (project, user) and NPM_CONFIG_REGISTRY." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per package (an array), fields in docs/verify.md." };
        var offline = new Option<bool>("--offline") { Description = "Answer from the cache only; a cache miss is a network failure (exit 3)." };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Cache directory (default: $VOUCH_CACHE_DIR, $XDG_CACHE_HOME/vouch or ~/.cache/vouch)." };
        var trustedRoot = new Option<string?>("--trusted-root") { Description = "Sigstore trusted root JSON to verify provenance with instead of the public-good one (a private Sigstore, the sandbox)." };
        var policy = PolicyCommand.PolicyOption();

        var command = new Command("verify", "Verify npm package versions: integrity, registry signature, publish attestation, provenance, source binding.")
        {
            specs, registry, json, offline, cacheDir, trustedRoot, policy,
        };
        command.SetAction(async (parse, ct) =>
        {
            var parsed = new List<PackageSpec>();
            foreach (var s in parse.GetValue(specs)!)
            {
                if (!PackageSpec.TryParse(s, out var spec, out var error))
                {
                    throw new UsageException($"'{s}' is not a package spec: {error}");
                }

                parsed.Add(spec!);
            }

            Uri? registryUri = null;
            if (parse.GetValue(registry) is { } r && !NpmConfig.TryParseRegistryUrl(r, out registryUri, out var registryError))
            {
                throw new UsageException($"--registry: {registryError}");
            }

            PolicyDocument policyDocument;
            try
            {
                policyDocument = await PolicyCommand.ResolveAsync(parse.GetValue(policy), ct).ConfigureAwait(false);
            }
            catch (PolicyFetchException e)
            {
                stderr.WriteLine($"vouch: the policy could not be fetched: {e.Message}");
                return ExitCodes.NetworkFailed;
            }

            var config = NpmConfig.Load(NpmConfigOptions.FromCurrentProcess(registryUri));
            var cache = Path.Combine(VouchPaths.CacheDirectory(parse.GetValue(cacheDir)), "registry");
            var options = new RegistryClientOptions { Offline = parse.GetValue(offline) };
            using var client = new RegistryClient(RegistryClient.CreateDefaultHandler(), config, cache, TimeProvider.System, options, disposeHandler: true);
            var (root, rootSource, keys) = TrustMaterialLoader.All(parse.GetValue(trustedRoot));
            var verifier = new PackageVerifier(client, new SigstoreVerifier(root), keys);

            var reports = new List<PackageReport>();
            foreach (var spec in parsed)
            {
                reports.Add(await verifier.VerifyAsync(spec, ct).ConfigureAwait(false));
            }

            // The policy decides on the verified report plus the package's history (the packument is cached by now).
            var evaluator = new PolicyEvaluator(policyDocument, TimeProvider.System);
            var verdicts = new List<PolicyVerdict?>();
            for (var i = 0; i < reports.Count; i++)
            {
                var report = reports[i];
                if (report.NetworkError is not null || report.Problems.Any(p => p.Code is "VOUCH_PACKAGE_NOT_FOUND" or "VOUCH_VERSION_NOT_FOUND"))
                {
                    verdicts.Add(null);
                    continue;
                }

                var packument = await client.GetPackumentAsync(parsed[i].Name, PackumentFormat.Full, ct).ConfigureAwait(false);
                if (!packument.IsOk)
                {
                    reports[i] = report with { NetworkError = packument.Error ?? $"the packument could not be fetched again ({packument.Status})" };
                    verdicts.Add(null);
                    continue;
                }

                verdicts.Add(evaluator.Evaluate(new PolicySubject { Report = report, Packument = packument.Value! }));
            }

            if (parse.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(reports.Select((r, i) => VerifyJson.ToJson(r, policyDocument, verdicts[i])).ToList(), CliJson.Options));
            }
            else
            {
                Render(stdout, reports, verdicts, rootSource, policyDocument.Source);
            }

            foreach (var failed in reports.Where(x => x.NetworkError is not null))
            {
                stderr.WriteLine($"vouch: {failed.Name}@{failed.Version}: the registry or network failed: {failed.NetworkError}");
            }

            if (reports.Any(x => x.NetworkError is not null))
            {
                return ExitCodes.NetworkFailed;
            }

            return reports.All(x => x.Passed) && verdicts.All(v => v is null || v.Allowed) ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }

    private static void Render(TextWriter stdout, IReadOnlyList<PackageReport> reports, IReadOnlyList<PolicyVerdict?> verdicts, string trustSource, string policySource)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = stdout == Console.Out && !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ColorSystemSupport.Detect,
        });
        if (stdout != Console.Out || Console.IsOutputRedirected)
        {
            // Not a terminal: don't wrap cells at an assumed 80 columns.
            console.Profile.Width = 200;
        }

        var table = new Table().AddColumns("package", "integrity", "signature", "provenance", "publish attestation", "evidence", "source", "policy");
        for (var i = 0; i < reports.Count; i++)
        {
            var r = reports[i];
            var source = r.Provenance.Claims is { } c
                ? $"{c.SourceRepository}@{c.SourceCommit?[..Math.Min(12, c.SourceCommit.Length)]}\n{c.WorkflowPath} ({c.SourceRef})"
                : "-";
            table.AddRow(
                Markup.Escape($"{r.Name}@{r.Version}"),
                Badge(r.Integrity.Status),
                Badge(r.Signature.Status),
                Badge(PackageVerifier.Status(r.Provenance.Status)),
                Badge(PackageVerifier.Status(r.PublishAttestation.Status)),
                Markup.Escape(EvidenceLevels.Name(r.EvidenceLevel)),
                Markup.Escape(source),
                verdicts[i] switch
                {
                    null => "[grey]-[/]",
                    { Allowed: false } => "[red]refused[/]",
                    { Findings.Count: > 0 } => "[yellow]allowed (warnings)[/]",
                    _ => "[green]allowed[/]",
                });
        }

        console.Write(table);
        foreach (var r in reports)
        {
            foreach (var p in r.Problems)
            {
                console.MarkupLine($"[red]✗[/] {Markup.Escape($"{r.Name}@{r.Version}")}: {Markup.Escape(p.Code)}: {Markup.Escape(p.Message)}");
            }

            foreach (var n in r.Notes)
            {
                console.MarkupLine($"[yellow]![/] {Markup.Escape($"{r.Name}@{r.Version}")}: {Markup.Escape(n)}");
            }
        }

        for (var i = 0; i < reports.Count; i++)
        {
            foreach (var f in verdicts[i]?.Findings ?? [])
            {
                var mark = f.Severity == PolicySeverity.Error ? "[red]✗[/]" : "[yellow]![/]";
                console.MarkupLine($"{mark} {Markup.Escape($"{reports[i].Name}@{reports[i].Version}")}: {Markup.Escape(f.Code)} ({Markup.Escape(f.Rule)}, {PolicySeverities.Name(f.Severity)}): {Markup.Escape(f.Message)}");
                console.MarkupLine($"    evidence: {Markup.Escape(f.Evidence)}");
                console.MarkupLine($"    fix: {Markup.Escape(f.Fix)}");
            }
        }

        var passed = reports.Where((r, i) => r.Passed && (verdicts[i] is null || verdicts[i]!.Allowed)).Count();
        console.MarkupLine(Markup.Escape($"{passed} of {reports.Count} passed; trusted root: {trustSource}; policy: {policySource}"));
    }

    private static string Badge(string status) => status switch
    {
        "verified" => "[green]verified[/]",
        "invalid" => "[red]invalid[/]",
        _ => "[grey]absent[/]",
    };
}

/// <summary>The `--json` shape of a package report (docs/verify.md). Field names are a contract.</summary>
internal static class VerifyJson
{
    public static object ToJson(PackageReport r) => ToJson(r, null, null);

    /// <summary>The report plus `policy: {source, allowed, findings[]}` (null when no policy decision was made).</summary>
    public static object ToJson(PackageReport r, PolicyDocument? policy, PolicyVerdict? verdict)
    {
        var o = PackageReportJson.ToJsonObject(r);
        o["policy"] = policy is null || verdict is null ? null : JsonSerializer.SerializeToNode(PolicyJson.Verdict(policy, verdict), CliJson.Options);
        return o;
    }
}
