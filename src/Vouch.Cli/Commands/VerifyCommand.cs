using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Vouch.Cli.Composition;
using Vouch.Cli.Services;
using Vouch.Npm;
using Vouch.Policy;
using Vouch.Provenance;

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
        var json = new Option<bool>("--json") { Description = "Print one JSON object per package (an array), fields in docs/verify.md." };
        var vsa = new Option<string?>("--vsa") { Description = "Write a signed SLSA verification summary (DSSE envelope, docs/slsa.md) to FILE; '-' for stdout; with several SPECs, a directory (one NAME@VERSION.vsa.json each)." };
        var vsaKey = new Option<string?>("--vsa-key") { Description = "ECDSA P-256 private key (PEM) that signs the --vsa envelope." };
        var vsaVerifier = new Option<string?>("--vsa-verifier") { Description = $"The verifier id the VSA names (default {VsaTarget.DefaultVerifier})." };
        var shared = new SharedOptions();

        var command = new Command("verify", "Verify npm package versions: integrity, registry signature, publish attestation, provenance, source binding.")
        {
            specs, shared.Registry, json, shared.Offline, shared.CacheDir, shared.TrustedRoot, shared.Policy, vsa, vsaKey, vsaVerifier,
        };
        command.SetAction(async (parse, ct) =>
        {
            var parsed = parse.GetValue(specs)!.Select(PackageSpecs.Parse).ToList();
            var settings = shared.Bind(parse);
            using var vsaTarget = VsaTarget.Bind(parse.GetValue(vsa), parse.GetValue(vsaKey), parse.GetValue(vsaVerifier), parsed.Count, parse.GetValue(json));
            var policy = await PolicyResolver.ResolveAsync(settings.PolicySource, Directory.GetCurrentDirectory(), ct).ConfigureAwait(false);
            using var services = VouchServices.Create(settings);
            var judge = services.Judge(policy);
            var results = new List<PackageJudgement>();
            foreach (var spec in parsed)
            {
                results.Add(await judge.JudgeAsync(spec, JudgementContext.None, ct).ConfigureAwait(false));
            }

            var vsaFailed = vsaTarget is not null && !await VsaService.EmitAsync(results, services, policy, vsaTarget, stdout, stderr, ct).ConfigureAwait(false);

            // With `--vsa -`, stdout carries the envelope alone.
            if (vsaTarget is not { ToStdout: true })
            {
                if (parse.GetValue(json))
                {
                    stdout.WriteLine(JsonSerializer.Serialize(results.Select(r => VerifyJson.ToJson(r.Report, policy, r.Verdict)).ToList(), CliJson.Options));
                }
                else
                {
                    Render(stdout, results, services.Trust.RootSource, policy.Source, policy.SlsaMapping);
                }
            }

            foreach (var failed in results.Where(x => x.Status == JudgementStatus.NetworkFailed))
            {
                stderr.WriteLine($"vouch: {failed.Report.Name}@{failed.Report.Version}: the registry or network failed: {failed.Report.NetworkError}");
            }

            if (results.Any(x => x.Status == JudgementStatus.NetworkFailed))
            {
                return ExitCodes.NetworkFailed;
            }

            return !vsaFailed && results.All(x => x.Report.Passed && (x.Verdict is null || x.Verdict.Allowed)) ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }

    private static void Render(TextWriter stdout, IReadOnlyList<PackageJudgement> results, string trustSource, string policySource, Vouch.Provenance.Slsa.SlsaMappingOptions mapping)
    {
        var reports = results.Select(r => r.Report).ToList();
        var verdicts = results.Select(r => r.Verdict).ToList();
        var console = ConsoleFactory.Create(stdout);

        var table = new Table().AddColumns("package", "integrity", "signature", "provenance", "publish attestation", "evidence", "slsa", "source", "policy");
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
                "L" + (int)Vouch.Provenance.Slsa.SlsaLevels.Assess(r, mapping).Level,
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
        var slsa = Vouch.Provenance.Slsa.SlsaLevels.Assess(r, policy?.SlsaMapping);
        o["slsa"] = JsonSerializer.SerializeToNode(new { level = (int)slsa.Level, name = slsa.VsaLevel, row = slsa.Row }, CliJson.Options);
        o["policy"] = policy is null || verdict is null ? null : JsonSerializer.SerializeToNode(PolicyJson.Verdict(policy, verdict), CliJson.Options);
        return o;
    }
}
