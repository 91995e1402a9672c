namespace Vouch.Cli;

/// <summary>Caps on files the command line reads; the layer each file belongs to sets the number.</summary>
internal static class Limits
{
    /// <summary>A Sigstore bundle given with --bundle.</summary>
    public const int MaxBundleBytes = Vouch.Sigstore.Limits.MaxBundleBytes;

    /// <summary>A trusted root given with --trusted-root.</summary>
    public const int MaxTrustMaterialBytes = Vouch.Sigstore.Limits.MaxTrustMaterialBytes;

    /// <summary>A small configuration file (the gate's --tokens file).</summary>
    public const int MaxConfigFileBytes = 1024 * 1024;

    /// <summary>Refusal-log and evidence entries `vouch run` reads back from its gate (one install is far below this).</summary>
    public const int MaxRunLogEntries = 100_000;
}
