namespace Vouch.Gate;

/// <summary>The gate's caps on what upstream registries and clients send; the layer that parses each document sets the number.</summary>
internal static class Limits
{
    /// <summary>JSON nesting depth of packuments and evidence documents.</summary>
    public const int MaxJsonDepth = Vouch.Npm.Limits.MaxJsonDepth;

    public const long MaxPackumentBytes = Vouch.Npm.Limits.MaxPackumentBytes;

    public const long MaxTarballBytes = Vouch.Npm.Limits.MaxTarballBytes;

    /// <summary>One Sigstore bundle (attestations documents carry two).</summary>
    public const int MaxBundleBytes = Vouch.Sigstore.Limits.MaxBundleBytes;
}
