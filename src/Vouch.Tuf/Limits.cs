namespace Vouch.Tuf;

/// <summary>Fixed caps of the TUF layer (the per-client ones are <see cref="TufLimits"/>).</summary>
internal static class Limits
{
    /// <summary>JSON nesting depth accepted from TUF metadata.</summary>
    public const int MaxJsonDepth = 64;

    /// <summary>Largest metadata document or trust target.</summary>
    public const int MaxTrustMaterialBytes = Vouch.Sigstore.Limits.MaxTrustMaterialBytes;
}
