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
    /// <summary>The whole command tree; tests walk it (help snapshots, docs).</summary>
    public static RootCommand BuildRoot(TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("Vouch: verify and enforce npm supply-chain trust (Sigstore provenance, registry signatures, policy).");
        root.Subcommands.Add(SigstoreCommand.Create(stdout, stderr));
        root.Subcommands.Add(TrustCommand.Create(stdout, stderr));
        root.Subcommands.Add(VerifyCommand.Create(stdout, stderr));
        root.Subcommands.Add(ServeCommand.Create(stdout, stderr));
        root.Subcommands.Add(ApproveCommand.Create(stdout, stderr));
        root.Subcommands.Add(AuditCommand.Create(stdout, stderr));
        root.Subcommands.Add(SriCommand.Create(stdout, stderr));
        root.Subcommands.Add(PolicyCommand.Create(stdout, stderr));
        root.Subcommands.Add(SandboxCommand.Create(stdout, stderr));
        root.Subcommands.Add(MaintainerCommand.Create(stdout, stderr));
        root.Subcommands.Add(VsaCommand.Create(stdout, stderr));
        root.Subcommands.Add(DbCommand.Create(stdout, stderr));
        root.Subcommands.Add(CheckCommand.Create(stdout, stderr));
        root.Subcommands.Add(RunCommand.Create(stdout, stderr));
        root.Subcommands.Add(AddCommand.Create(stdout, stderr));
        root.Subcommands.Add(ReviewCommand.Create(stdout, stderr));
        root.Subcommands.Add(SurveyCommand.Create(stdout, stderr));
        root.Subcommands.Add(WatchCommand.Create(stdout, stderr));
        root.Subcommands.Add(GateCommand.Create(stdout, stderr));
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var root = BuildRoot(stdout, stderr);

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
