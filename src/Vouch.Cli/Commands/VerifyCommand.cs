using System.CommandLine;
using System.Text.Json;
using Spectre.Console;
using Vouch.Npm;
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

        var command = new Command("verify", "Verify npm package versions: integrity, registry signature, publish attestation, provenance, source binding.")
        {
            specs, registry, json, offline, cacheDir, trustedRoot,
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

            if (parse.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(reports.Select(VerifyJson.ToJson).ToList(), CliJson.Options));
            }
            else
            {
                Render(stdout, reports, rootSource);
            }

            foreach (var failed in reports.Where(x => x.NetworkError is not null))
            {
                stderr.WriteLine($"vouch: {failed.Name}@{failed.Version}: the registry or network failed: {failed.NetworkError}");
            }

            if (reports.Any(x => x.NetworkError is not null))
            {
                return ExitCodes.NetworkFailed;
            }

            return reports.All(x => x.Passed) ? ExitCodes.Ok : ExitCodes.CheckFailed;
        });
        return command;
    }

    private static void Render(TextWriter stdout, IReadOnlyList<PackageReport> reports, string trustSource)
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

        var table = new Table().AddColumns("package", "integrity", "signature", "provenance", "publish attestation", "evidence", "source");
        foreach (var r in reports)
        {
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
                Markup.Escape(source));
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

        console.MarkupLine(Markup.Escape($"{reports.Count(r => r.Passed)} of {reports.Count} passed; trusted root: {trustSource}"));
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
    public static object ToJson(PackageReport r) => new
    {
        name = r.Name,
        version = r.Version,
        passed = r.Passed,
        integrity = new { status = r.Integrity.Status, algorithm = r.Integrity.Algorithm },
        signature = new { status = r.Signature.Status, keyId = r.Signature.KeyId },
        provenance = new
        {
            status = PackageVerifier.Status(r.Provenance.Status),
            predicateType = r.Provenance.Claims?.PredicateType,
            sourceRepository = r.Provenance.Claims?.SourceRepository,
            sourceRef = r.Provenance.Claims?.SourceRef,
            sourceCommit = r.Provenance.Claims?.SourceCommit,
            workflowPath = r.Provenance.Claims?.WorkflowPath,
            builderId = r.Provenance.Claims?.BuilderId,
            buildTrigger = r.Provenance.Claims?.BuildTrigger,
            invocationUrl = r.Provenance.Claims?.InvocationUrl,
            issuer = r.Provenance.Issuer,
            certificateIdentity = r.Provenance.CertificateIdentity,
            runnerEnvironment = r.Provenance.RunnerEnvironment,
            logIndex = r.Provenance.LogIndex,
        },
        publishAttestation = new
        {
            status = PackageVerifier.Status(r.PublishAttestation.Status),
            keyId = r.PublishAttestation.KeyId,
            logIndex = r.PublishAttestation.LogIndex,
            integratedTime = r.PublishAttestation.IntegratedTime,
        },
        publisher = new
        {
            evidenceLevel = EvidenceLevels.Name(r.EvidenceLevel),
            trustedPublisher = r.TrustedPublisher,
            approver = r.Approver,
        },
        publishTime = r.PublishTime,
        publishTimeSource = r.PublishTimeSource,
        repository = r.RepositoryUrl,
        problems = r.Problems.Select(p => new { code = p.Code, message = p.Message }),
        notes = r.Notes,
        networkError = r.NetworkError,
    };
}
