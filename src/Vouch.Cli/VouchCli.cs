using System.CommandLine;
using Vouch.Cli.Commands;
using Vouch.Policy;

namespace Vouch.Cli;

/// <summary>
/// Builds the `vouch` command tree and runs it. Tests call <see cref="RunAsync"/> in-process, so they
/// exercise exactly the code path of the binary.
/// </summary>
internal static class VouchCli
{
    private const string Description = "Vouch: verify and enforce npm supply-chain trust (Sigstore provenance, registry signatures, policy).";

    // Every top-level command by name, in help order: the one table the whole tree and a single
    // command's tree are built from.
    private static readonly (string Name, Func<TextWriter, TextWriter, Command> Create)[] Commands =
    [
        ("sigstore", SigstoreCommand.Create),
        ("trust", TrustCommand.Create),
        ("verify", VerifyCommand.Create),
        ("serve", ServeCommand.Create),
        ("approve", ApproveCommand.Create),
        ("audit", AuditCommand.Create),
        ("sri", SriCommand.Create),
        ("policy", PolicyCommand.Create),
        ("sandbox", SandboxCommand.Create),
        ("maintainer", MaintainerCommand.Create),
        ("verify-vsa", VsaCommand.Create),
        ("db", DbCommand.Create),
        ("check", CheckCommand.Create),
        ("run", RunCommand.Create),
        ("add", AddCommand.Create),
        ("review", ReviewCommand.Create),
        ("survey", SurveyCommand.Create),
        ("watch", WatchCommand.Create),
        ("gate", GateCommand.Create),
    ];

    /// <summary>The whole command tree; tests walk it (help snapshots, docs).</summary>
    public static RootCommand BuildRoot(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand(Description);
        foreach (var (_, create) in Commands)
        {
            root.Subcommands.Add(create(stdout, stderr));
        }

        return root;
    }

    /// <summary>
    /// The tree a command line needs: when its first argument names a command, the root with only that
    /// command (a subcommand's parse, errors and help never mention its siblings), so a run does not
    /// pay for building every other command's options (about 30 ms of start-up); anything else (no
    /// command, a typo, a root option) gets the whole tree.
    /// </summary>
    internal static RootCommand RootFor(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length > 0 && Array.FindIndex(Commands, c => c.Name == args[0]) is var i and >= 0)
        {
            var command = Commands[i].Create(stdout, stderr);
            if (command.Name == args[0])
            {
                return new RootCommand(Description) { command };
            }
        }

        return BuildRoot(stdout, stderr);
    }

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var root = RootFor(args, stdout, stderr);

        // Scoped package names start with "@": never treat arguments as response files.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0)
        {
            await stderr.WriteLineAsync($"vouch: {parse.Errors[0].Message} (see 'vouch --help')").ConfigureAwait(false);
            return ExitCodes.BadInput;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false }, cancellationToken).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            await stderr.WriteLineAsync($"vouch: {e.Message}").ConfigureAwait(false);
            return ExitCodes.BadInput;
        }
        catch (PolicyFetchException e)
        {
            // A policy (or one it extends) behind a URL that could not be fetched: the network failed.
            await stderr.WriteLineAsync($"vouch: the policy could not be fetched: {e.Message}").ConfigureAwait(false);
            return ExitCodes.NetworkFailed;
        }
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("vouch: cancelled").ConfigureAwait(false);
            return 130;
        }
    }
}
