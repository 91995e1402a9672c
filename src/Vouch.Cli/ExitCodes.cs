namespace Vouch.Cli;

/// <summary>The exit codes every `vouch` command uses (docs/cli.md).</summary>
internal static class ExitCodes
{
    /// <summary>Every check passed.</summary>
    public const int Ok = 0;

    /// <summary>A check or a policy rule failed.</summary>
    public const int CheckFailed = 1;

    /// <summary>Bad input or usage; one line on stderr says why.</summary>
    public const int BadInput = 2;

    /// <summary>The registry or the network failed.</summary>
    public const int NetworkFailed = 3;
}
