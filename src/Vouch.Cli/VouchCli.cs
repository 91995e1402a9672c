using System.CommandLine;
using Vouch.Cli.Commands;

namespace Vouch.Cli;

/// <summary>
/// Builds the `vouch` command tree and runs it. Tests call <see cref="RunAsync"/> in-process, so they
/// exercise exactly the code path of the binary.
/// </summary>
internal static class VouchCli
{
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
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
        root.Subcommands.Add(ReviewCommand.Create(stdout, stderr));

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
        catch (OperationCanceledException)
        {
            await stderr.WriteLineAsync("vouch: cancelled").ConfigureAwait(false);
            return 130;
        }
    }
}
