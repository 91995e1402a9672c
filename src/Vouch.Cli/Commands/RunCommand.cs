using System.CommandLine;
using System.Diagnostics;
using Vouch.Cli.Composition;
using Vouch.Cli.Run;
using Vouch.Gate;
using Vouch.Npm;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch run -- CLIENT ARGS...`: the package manager with every fetch through the gate (docs/cli.md,
/// docs/gate.md): an in-process gate on 127.0.0.1 with temporary storage, the project's policy and
/// advisory database, in front of the project's registry; the child pointed at it from the
/// environment; what the gate kept from the child printed at the end, and a refusal never hidden.
/// </summary>
internal static class RunCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var child = new Argument<string[]>("COMMAND") { Description = "The package manager and its arguments, after '--': npm, npx, pnpm, pnpx, yarn, bun or bunx.", Arity = ArgumentArity.OneOrMore };
        var shared = new SharedOptions();
        var advisoryDb = ServeCommand.AdvisoryDbOption();
        var projectOption = new Option<string?>("--project") { Description = "The project directory the client runs in (its .npmrc, policy and lockfile); default: the current directory." };
        var command = new Command("run", "Run a package manager with every fetch through an in-process gate; print what was withheld and exit 1 when a version the client asked for was refused.")
        {
            child, shared.Registry, shared.Policy, advisoryDb, shared.TrustedRoot, shared.RegistryKeys, shared.CacheDir, projectOption,
        };
        command.SetAction(async (parse, ct) =>
        {
            var args = parse.GetValue(child)!;
            if (ChildEnvironment.Classify(args[0]) is null)
            {
                throw new UsageException($"'{args[0]}' is not a package manager vouch run knows (npm, npx, pnpm, pnpx, yarn, bun, bunx)");
            }

            var project = Path.GetFullPath(parse.GetValue(projectOption) ?? Directory.GetCurrentDirectory());
            if (!Directory.Exists(project))
            {
                throw new UsageException($"--project: '{project}' is not a directory");
            }

            var settings = shared.Bind(parse) with { WorkingDirectory = project };
            using var services = VouchServices.Create(settings);
            var upstream = settings.Registry ?? services.Config.Registry;
            var policy = PolicyPath(settings.PolicySource, project);
            var advisories = ServeCommand.AdvisoryDbPath(parse.GetValue(advisoryDb), services.AdvisoryDatabasePath);
            var data = Directory.CreateTempSubdirectory("vouch-run-").FullName;
            try
            {
                var options = new GateOptions
                {
                    Upstream = upstream,
                    Listen = "127.0.0.1:0",
                    Database = Path.Combine(data, "gate.db"),
                    DataDirectory = data,
                    PolicyPath = policy,
                    AdvisoryDatabasePath = advisories,
                };
                var problems = options.Validate();
                if (problems.Count > 0)
                {
                    throw new UsageException(string.Join("; ", problems));
                }

                GateHost host;
                try
                {
                    host = await GateHost.StartAsync(options, new GateDependencies
                    {
                        // The project's registry credentials go to the upstream from the gate, never into the child's environment.
                        UpstreamHandler = new RegistryCredentialHandler(services.Config, RegistryClient.CreateDefaultHandler()),
                        Sigstore = services.Trust.CreateSigstoreVerifier(),
                        TrustedKeys = services.Trust.Keys,
                        Log = stderr,
                    }, ct).ConfigureAwait(false);
                }
                catch (GateConfigurationException e)
                {
                    throw new UsageException(e.Message);
                }

                await using (host.ConfigureAwait(false))
                {
                    var env = ChildEnvironment.Build(CurrentEnvironment(), host.Url, upstream, services.Config, project, out var errors);
                    if (errors.Count > 0)
                    {
                        throw new UsageException(string.Join("; ", errors));
                    }

                    await stderr.WriteLineAsync($"vouch run: gate {host.Url} in front of {upstream.GetLeftPart(UriPartial.Path)} (policy {policy ?? "built-in"}, advisories {ServeCommand.AdvisoryDescription(host)})").ConfigureAwait(false);
                    await stderr.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    var exit = await RunChildAsync(args, env, project, stderr).ConfigureAwait(false);
                    var report = RunReport.From(await host.Store.AuditLogAsync(Limits.MaxRunLogEntries, CancellationToken.None).ConfigureAwait(false),
                        await host.Store.ListEvidenceAsync(Limits.MaxRunLogEntries, CancellationToken.None).ConfigureAwait(false),
                        RunReport.Installed(project));
                    await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
                    foreach (var line in report.Lines())
                    {
                        await stderr.WriteLineAsync(line).ConfigureAwait(false);
                    }

                    if (report.RequestedRefused)
                    {
                        await stderr.WriteLineAsync($"vouch run: exit 1: the client asked for a version the gate refused{(exit == 0 ? " (it settled for another; the install is not what was asked for)" : "")}").ConfigureAwait(false);
                        return ExitCodes.CheckFailed;
                    }

                    return exit;
                }
            }
            finally
            {
                try
                {
                    Directory.Delete(data, recursive: true);
                }
                catch (IOException)
                {
                    // Temporary storage only; a file still open is removed with the temp directory.
                }
            }
        });
        return command;
    }

    private static string? PolicyPath(string? source, string project)
    {
        if (source is null)
        {
            return Vouch.Policy.PolicyLoader.Find(project);
        }

        if (source.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException("--policy: vouch run takes a policy file (the gate reads a file); download the pinned policy first");
        }

        return Path.GetFullPath(source);
    }

    private static Dictionary<string, string> CurrentEnvironment()
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            env[(string)e.Key] = (string?)e.Value ?? "";
        }

        return env;
    }

    private static async Task<int> RunChildAsync(string[] args, IReadOnlyDictionary<string, string> env, string project, TextWriter stderr)
    {
        var psi = new ProcessStartInfo(args[0]) { UseShellExecute = false, WorkingDirectory = project };
        foreach (var a in args.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Clear();
        foreach (var (k, v) in env)
        {
            psi.Environment[k] = v;
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new UsageException($"cannot start {args[0]}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UsageException($"cannot start {args[0]}: {e.Message}");
        }

        using (process)
        {
            // Ctrl+C reaches the child from the terminal; vouch waits for it to finish and then reports.
            // SIGTERM is passed on, since it is sent to vouch alone.
            using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, c => c.Cancel = true);
            using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c =>
            {
                c.Cancel = true;
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                }
            });
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            await stderr.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return process.ExitCode;
        }
    }
}
