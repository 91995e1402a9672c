using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Spectre.Console;
using Vouch.Cli.Composition;
using Vouch.Npm;
using Vouch.Policy;
using Vouch.Provenance;
using Vouch.Sandbox;
using Vouch.Sigstore.Verification;
using SigstoreTrustedRoot = Vouch.Sigstore.Trust.TrustedRoot;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch sandbox`: a loopback npm registry with its own Sigstore instance serving a scenario
/// (docs/sandbox.md), and `vouch sandbox demo`, the lottie-player replay end to end, offline.
/// </summary>
internal static class SandboxCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var scenario = new Option<string?>("--scenario") { Description = $"Scenario YAML file, or a built-in scenario: {string.Join(", ", Scenario.BuiltinNames)}, {SurveyScenario}." };
        var generate = new Option<int?>("--generate") { Description = "Serve a synthetic graph of N packages instead of a scenario (benchmarks, scale tests); with --scenario survey, the survey population scaled to N packages." };
        var seed = new Option<int>("--seed") { Description = "Seed of --generate (same seed, same graph).", DefaultValueFactory = _ => 1 };
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0: any free port).", DefaultValueFactory = _ => 0 };
        var data = new Option<string?>("--data") { Description = "Directory for trusted_root.json and registry-keys.json (default: a temporary directory, removed on exit)." };

        var command = new Command("sandbox", "Run a loopback npm registry with its own Sigstore instance, serving a scenario (attack replays, policy trials, benchmarks).")
        {
            scenario, generate, seed, port, data,
        };
        command.Subcommands.Add(CreateDemo(stdout));
        command.Subcommands.Add(CreateList(stdout));
        command.SetAction(async (parse, ct) =>
        {
            var selected = LoadScenario(parse.GetValue(scenario), parse.GetValue(generate), parse.GetValue(seed));
            var options = Options(parse.GetValue(port), parse.GetValue(data));
            await using var registry = await Start(selected, options, ct).ConfigureAwait(false);
            PrintServing(stdout, registry);
            WriteSurveyList(stdout, registry);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }

            try
            {
                await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C is how a sandbox is meant to stop.
            }

            stdout.WriteLine("vouch sandbox: stopped");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateList(TextWriter stdout)
    {
        var command = new Command("list", "List the built-in scenarios.");
        command.SetAction(_ =>
        {
            foreach (var name in Scenario.BuiltinNames)
            {
                stdout.WriteLine($"{name,-15} {Scenario.Builtin(name).Description}");
            }

            stdout.WriteLine($"{SurveyScenario,-15} {new SurveyPopulation().Describe()} (generated; writes DIR/packages.txt)");

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command CreateDemo(TextWriter stdout)
    {
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0: any free port).", DefaultValueFactory = _ => 0 };
        var policyFile = new Option<string?>("--policy") { Description = "Policy file to try on the replay instead of the demo policy (docs/sandbox.md)." };
        var command = new Command("demo", "Replay the @lottiefiles/lottie-player incident offline and show what Vouch and a policy make of each version.") { port, policyFile };
        command.SetAction(async (parse, ct) =>
        {
            PolicyDocument policy;
            try
            {
                policy = parse.GetValue(policyFile) is { } file ? PolicyLoader.Load(file) : PolicyLoader.Parse(DemoPolicy, "demo policy (vouch sandbox demo)");
            }
            catch (PolicyFormatException e)
            {
                throw new UsageException($"--policy: {e.Message}");
            }

            var scenario = Scenario.Builtin("lottie-player");
            await using var registry = await Start(scenario, Options(parse.GetValue(port), null), ct).ConfigureAwait(false);
            await Demo.RunAsync(stdout, registry, policy, ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Scenario LoadScenario(string? fileOrName, int? generate, int seed)
    {
        if (fileOrName == SurveyScenario)
        {
            try
            {
                return (generate is { } size ? SurveyPopulation.Scaled(size) : new SurveyPopulation()).Generate();
            }
            catch (ArgumentOutOfRangeException)
            {
                throw new UsageException("--generate: a survey population has between 20 and 100000 packages");
            }
        }

        if ((fileOrName is null) == (generate is null))
        {
            throw new UsageException("give exactly one of --scenario FILE|NAME and --generate N (built-in scenarios: " + string.Join(", ", Scenario.BuiltinNames) + ")");
        }

        try
        {
            return generate is { } n ? Scenario.Generate(new GraphOptions { Packages = n, Seed = seed }) : Scenario.LoadFileOrBuiltin(fileOrName!);
        }
        catch (ScenarioException e)
        {
            throw new UsageException($"--scenario: {e.Message}");
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new UsageException("--generate: the number of packages must be between 1 and 100000");
        }
    }

    /// <summary>`--scenario survey`: the provenance-adoption population (docs/survey.md), generated rather than shipped as YAML.</summary>
    internal const string SurveyScenario = "survey";

    // The survey population's names, ranked, in DIR/packages.txt for `vouch survey --packages`.
    private static void WriteSurveyList(TextWriter stdout, SandboxRegistry registry)
    {
        if (!registry.Scenario.SourceName.StartsWith("generated:survey", StringComparison.Ordinal))
        {
            return;
        }

        var list = Path.Combine(registry.DataDirectory, "packages.txt");
        Vouch.Common.AtomicFile.WriteText(list, string.Join('\n', SurveyPopulation.PackageList(registry.Scenario)) + "\n");
        stdout.WriteLine(registry.Scenario.Description);
        stdout.WriteLine($"package list:  {list}");
        stdout.WriteLine($"  vouch survey --registry {registry.Url.AbsoluteUri} --trusted-root {registry.TrustedRootPath} --packages {list}");
        stdout.Flush();
    }

    private static SandboxOptions Options(int port, string? data)
    {
        if (port is < 0 or > 65535)
        {
            throw new UsageException($"--port: {port} is not a TCP port (0-65535)");
        }

        return new SandboxOptions { Port = port, DataDirectory = data is null ? null : Path.GetFullPath(data) };
    }

    private static async Task<SandboxRegistry> Start(Scenario scenario, SandboxOptions options, CancellationToken ct)
    {
        try
        {
            return await SandboxRegistry.StartAsync(scenario, options, ct).ConfigureAwait(false);
        }
        catch (ScenarioException e)
        {
            throw new UsageException($"--scenario: {e.Message}");
        }
        catch (IOException e)
        {
            // Kestrel reports a taken port as an IOException.
            throw new UsageException($"cannot serve on 127.0.0.1:{options.Port}: {e.Message}");
        }
    }

    private static void PrintServing(TextWriter stdout, SandboxRegistry registry)
    {
        var s = registry.Scenario;
        var url = registry.Url.AbsoluteUri;
        var example = s.ProjectDependencies.Keys.FirstOrDefault() ?? s.Packages[0].Name;
        stdout.WriteLine($"vouch sandbox: serving '{s.Name}' ({s.Packages.Count} packages, {s.VersionCount} versions)");
        stdout.WriteLine($"registry:      {url}");
        stdout.WriteLine($"trusted root:  {registry.TrustedRootPath}");
        stdout.WriteLine($"registry keys: {registry.RegistryKeysPath}");
        if (registry.AdvisorySnapshotUrl is { } advisories)
        {
            stdout.WriteLine($"advisories:    {advisories.AbsoluteUri} ({s.Advisories.Count} OSV records)");
        }

        stdout.WriteLine();
        stdout.WriteLine("try:");
        stdout.WriteLine($"  npm install --registry {url} {example}");
        stdout.WriteLine($"  vouch verify --registry {url} --trusted-root {registry.TrustedRootPath} {example}");
        if (registry.AdvisorySnapshotUrl is { } snapshot)
        {
            stdout.WriteLine($"  vouch db update --from {snapshot.AbsoluteUri}");
            stdout.WriteLine($"  vouch check --registry {url} --trusted-root {registry.TrustedRootPath} {string.Join(' ', s.ProjectDependencies.Keys)}");
        }

        stdout.WriteLine($"  npm publish --registry {url}    (any token: //{registry.Url.Authority}/:_authToken=anything in .npmrc)");
        stdout.WriteLine();
        stdout.WriteLine("Ctrl+C stops the sandbox.");
        stdout.Flush();
    }

    /// <summary>
    /// The policy `vouch sandbox demo` applies when none is given: signatures required, no trust
    /// downgrade on a release line, install scripts only for allowlisted packages (none here).
    /// </summary>
    internal const string DemoPolicy = """
        # The policy `vouch sandbox demo` applies unless --policy names another (docs/sandbox.md).
        version: 1
        rules:
          signature: error
          trust-downgrade:
            severity: error
            source-repository: true
          install-scripts: error
        """;

    /// <summary>The replay: every version of the project's package as `vouch verify` sees it, then what the policy decides and why.</summary>
    private static class Demo
    {
        public static async Task RunAsync(TextWriter stdout, SandboxRegistry registry, PolicyDocument policy, CancellationToken ct)
        {
            var home = registry.DataDirectory;
            var config = NpmConfig.Load(new NpmConfigOptions { WorkingDirectory = home, HomeDirectory = home, RegistryOverride = registry.Url });
            var root = SigstoreTrustedRoot.Parse(System.Text.Encoding.UTF8.GetBytes(registry.TrustedRootJson));
            // Exactly what `vouch verify --registry URL --trusted-root PATH` trusts: the trusted root
            // given, and the keys this (non-public) registry serves.
            using var services = VouchServices.Create(config, new TrustMaterial(root, registry.TrustedRootPath, RegistryKeys.Empty("no npm keys: the sandbox registry serves its own")));
            var client = services.Registry;
            var verifier = services.Verifier;
            var evaluator = services.Evaluator(policy);

            var console = ConsoleFactory.Create(stdout, width: 1000);
            var scenario = registry.Scenario;
            console.MarkupLine($"[bold]{Markup.Escape(scenario.Name)}[/]: {Markup.Escape(scenario.Description ?? "")}");
            console.MarkupLine(Markup.Escape($"sandbox registry {registry.Url.AbsoluteUri}, trusted root {registry.TrustedRootPath} (offline: nothing leaves 127.0.0.1)"));
            console.MarkupLine(Markup.Escape($"policy: {policy.Source}"));
            console.WriteLine();

            foreach (var name in scenario.ProjectDependencies.Keys)
            {
                var packument = await client.GetPackumentAsync(name, PackumentFormat.Full, ct).ConfigureAwait(false);
                if (!packument.IsOk)
                {
                    throw new InvalidOperationException($"the sandbox does not serve {name}: {packument.Status}");
                }

                var package = scenario.Find(name)!;
                var rows = new List<Row>();
                foreach (var version in package.Versions.OrderBy(v => SemVersion.Parse(v.Version)))
                {
                    var report = await verifier.VerifyAsync(PackageSpec.Parse($"{name}@{version.Version}"), ct).ConfigureAwait(false);
                    var verdict = evaluator.Evaluate(new PolicySubject { Report = report, Packument = packument.Value! });
                    rows.Add(new Row(version, report, verdict));
                }

                Render(console, name, rows);
                Conclude(console, name, rows);
            }
        }

        internal sealed record Row(ScenarioVersion Version, PackageReport Report, PolicyVerdict Verdict)
        {
            public IEnumerable<string> Reasons =>
                Report.Problems.Select(p => $"{p.Code}: {p.Message}")
                    .Concat(Verdict.Findings.Where(f => f.Severity == PolicySeverity.Error).Select(f => $"{f.Rule} ({f.Code}): {f.Message}"));

            public bool Refused => Report.Problems.Count > 0 || !Verdict.Allowed;
        }

        private static void Render(IAnsiConsole console, string name, IReadOnlyList<Row> rows)
        {
            var table = new Table().Title(Markup.Escape(name)).AddColumns("version", "published", "publisher", "signature", "provenance", "publish attestation", "evidence", "install script", "policy");
            foreach (var (version, report, verdict) in rows)
            {
                var failed = verdict.Findings.Where(f => f.Severity == PolicySeverity.Error).Select(f => f.Rule).Distinct().ToList();
                table.AddRow(
                    Markup.Escape(version.Version),
                    Markup.Escape(report.PublishTime?.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "-"),
                    Markup.Escape(report.TrustedPublisher is { } tp ? $"trusted publisher ({tp})" : $"token ({version.PublishedBy})"),
                    Badge(report.Signature.Status),
                    Badge(PackageVerifier.Status(report.Provenance.Status)),
                    Badge(PackageVerifier.Status(report.PublishAttestation.Status)),
                    Markup.Escape(EvidenceLevels.Name(report.EvidenceLevel)),
                    version.HasInstallScript ? "[yellow]yes[/]" : "no",
                    report.Problems.Count == 0 && failed.Count == 0 ? "[green]allowed[/]" : $"[red]refused[/] {Markup.Escape(string.Join(", ", failed.Concat(report.Problems.Select(p => p.Code))))}");
            }

            console.Write(table);
        }

        private static void Conclude(IAnsiConsole console, string name, IReadOnlyList<Row> rows)
        {
            var refused = rows.Where(r => r.Refused).ToList();
            console.WriteLine();
            if (refused.Count == 0)
            {
                console.MarkupLine(Markup.Escape($"{name}: the policy allows every version."));
                return;
            }

            foreach (var row in refused)
            {
                console.MarkupLine($"[red]✗[/] {Markup.Escape($"{name}@{row.Version.Version}")}: {Markup.Escape(string.Join("; ", row.Reasons))}");
            }

            var downgraded = refused.Where(r => r.Verdict.Findings.Any(f => f.Code == PolicyCodes.TrustDowngrade)).ToList();
            if (downgraded.Count == 0)
            {
                return;
            }

            var attack = string.Join(", ", downgraded.Select(f => f.Version.Version));
            var first = downgraded[0];
            var restored = rows.SkipWhile(r => r != first).FirstOrDefault(r => !r.Refused && r.Report.EvidenceLevel > first.Report.EvidenceLevel);
            console.WriteLine();
            console.MarkupLine($"[bold]The attack:[/] {Markup.Escape($"{name} {attack}.")} "
                + Markup.Escape($"Earlier releases were built by their source repository's CI and carried provenance; {attack} came from someone's machine with a token "
                + "(signature only: the registry vouches that it received them, nobody vouches for how they were built), and added an install script that runs on every `npm install`. "
                + "The policy refuses them; `vouch serve` would withhold them from every npm, pnpm and yarn client, and `vouch audit` fails a lockfile that pins them."));
            if (restored is not null)
            {
                console.MarkupLine(Markup.Escape($"{name}@{restored.Version.Version} restores the evidence ({EvidenceLevels.Name(restored.Report.EvidenceLevel)})."));
            }

            console.MarkupLine(Markup.Escape("Explore: vouch sandbox --scenario lottie-player (then npm install / vouch verify / vouch policy explain against it, as it prints)."));
        }

        private static string Badge(string status) => status switch
        {
            "verified" => "[green]verified[/]",
            "invalid" => "[red]invalid[/]",
            _ => "[grey]absent[/]",
        };
    }
}
