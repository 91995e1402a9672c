using System.CommandLine;
using System.Diagnostics;
using Vouch.Advisories;
using Vouch.Advisories.Check;
using Vouch.Cli.Composition;
using Vouch.Cli.Run;
using Vouch.Npm;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch add SPEC...`: `vouch check`, then a question on the terminal (y/N), then the project's own
/// package manager adding exactly the versions the check resolved (docs/cli.md).
/// </summary>
internal static class AddCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr) => Create(stdout, stderr, TerminalPromptConsole.Instance);

    public static Command Create(TextWriter stdout, TextWriter stderr, IPromptConsole console)
    {
        var specs = new Argument<string[]>("SPEC") { Description = "Package specs to check and add: name, name@^1.2, name@1.2.3, name@tag, @scope/name@...", Arity = ArgumentArity.OneOrMore };
        var shared = new SharedOptions();
        var db = DbCommand.DbOption();
        var yes = new Option<bool>("--yes", "-y") { Description = "Install without asking when the check passes (scripts); a failed check is never installed without a person typing yes." };
        var dev = new Option<bool>("--dev", "-D") { Description = "Add as a development dependency." };
        var manager = new Option<string?>("--package-manager") { Description = "npm, pnpm, yarn or bun; default: the one the project's lockfile belongs to (npm when there is none)." };
        var project = new Option<string?>("--project") { Description = "The project directory; default: the current directory." };
        var command = new Command("add", "Check packages before adding them (vouch check), ask, then add exactly the checked versions with the project's package manager.")
        {
            specs, yes, dev, manager, shared.Registry, shared.TrustedRoot, shared.RegistryKeys, db, project, shared.Offline, shared.CacheDir,
        };
        command.SetAction(async (parse, ct) =>
        {
            var parsed = parse.GetValue(specs)!.Select(s => PackageSpec.TryParse(s, out var spec, out var error) ? spec : throw new UsageException($"'{s}' is not a package spec: {error}")).ToList();
            var projectDir = Path.GetFullPath(parse.GetValue(project) ?? Directory.GetCurrentDirectory());
            var kind = parse.GetValue(manager) is { } m
                ? ChildEnvironment.Classify(m) ?? throw new UsageException($"--package-manager: '{m}' is not npm, pnpm, yarn or bun")
                : AddPlan.Detect(projectDir) is var (detected, detectError) && detected is { } k ? k : throw new UsageException(detectError!);

            ProjectContext context;
            try
            {
                context = ProjectContext.Load(projectDir);
            }
            catch (AdvisoryException e)
            {
                throw new UsageException($"{e.Code}: {e.Message}");
            }

            var dbPath = DbCommand.DbPath(parse.GetValue(db));
            using var store = File.Exists(dbPath) ? DbCommand.OpenExisting(dbPath) : null;
            if (store is null && parse.GetValue(db) is not null)
            {
                throw new UsageException($"{AdvisoryCodes.DatabaseMissing}: {dbPath}: no advisory database (run 'vouch db update')");
            }

            var settings = shared.Bind(parse) with { WorkingDirectory = projectDir };
            // Packuments are always revalidated here (what is about to be installed must be current);
            // verified evidence of unchanged versions comes from the sealed evidence cache, as in `vouch check`.
            using var services = VouchServices.Create(settings);
            var report = await CheckCommand.RunAsync(services, store, CheckCommand.LoadPopular(null), parsed, context, new CheckOptions(), ct).ConfigureAwait(false);
            CheckCommand.Render(stdout, report);
            foreach (var e in report.NetworkErrors)
            {
                await stderr.WriteLineAsync($"vouch: the registry or network failed: {e}").ConfigureAwait(false);
            }

            if (report.NetworkErrors.Count > 0)
            {
                return ExitCodes.NetworkFailed;
            }

            if (AddPlan.ExactSpecs(parsed, report) is not { } exact)
            {
                await stderr.WriteLineAsync("vouch add: not every spec resolved to a version; nothing installed").ConfigureAwait(false);
                return ExitCodes.CheckFailed;
            }

            await stdout.WriteLineAsync($"vouch add: {string.Join(' ', AddPlan.Command(kind, exact, parse.GetValue(dev)))}").ConfigureAwait(false);
            switch (AddPlan.Decide(report.Failed, parse.GetValue(yes), console, stdout))
            {
                case AddDecision.Declined:
                    await stderr.WriteLineAsync("vouch add: not installed").ConfigureAwait(false);
                    return ExitCodes.CheckFailed;
                case AddDecision.RefusedFailedCheck:
                    await stderr.WriteLineAsync("vouch add: the check failed; nothing installed (only a person at a terminal can install anyway)").ConfigureAwait(false);
                    return ExitCodes.CheckFailed;
                case AddDecision.NoTerminal:
                    throw new UsageException("no terminal to ask on; pass --yes to install a passing check without asking");
            }

            return await InstallAsync(AddPlan.Command(kind, exact, parse.GetValue(dev)), settings.Registry, projectDir, stderr).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> InstallAsync(IReadOnlyList<string> commandLine, Uri? registry, string project, TextWriter stderr)
    {
        var psi = new ProcessStartInfo(commandLine[0]) { UseShellExecute = false, WorkingDirectory = project };
        foreach (var a in commandLine.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        if (registry is not null)
        {
            foreach (var key in psi.Environment.Keys.Where(k => k.ToLowerInvariant() is "npm_config_registry" or "yarn_registry" or "yarn_npm_registry_server" or "bun_config_registry").ToList())
            {
                psi.Environment.Remove(key);
            }

            // The registry the check used is the one the package manager installs from.
            psi.Environment["npm_config_registry"] = registry.AbsoluteUri;
            psi.Environment["YARN_REGISTRY"] = registry.AbsoluteUri;
            psi.Environment["YARN_NPM_REGISTRY_SERVER"] = registry.AbsoluteUri.TrimEnd('/');
            psi.Environment["BUN_CONFIG_REGISTRY"] = registry.AbsoluteUri;
        }

        try
        {
            using var process = Process.Start(psi) ?? throw new UsageException($"cannot start {commandLine[0]}");
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                await stderr.WriteLineAsync($"vouch add: {commandLine[0]} exited {process.ExitCode}").ConfigureAwait(false);
            }

            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new UsageException($"cannot start {commandLine[0]}: {e.Message}");
        }
    }
}
