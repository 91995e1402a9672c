namespace Vouch.Provenance;

/// <summary>Caps on untrusted input read by the provenance layer (attestation bundles, keys documents).</summary>
public static class Limits
{
    /// <summary>JSON nesting depth accepted from attestation and keys documents.</summary>
    public const int MaxJsonDepth = 64;

    /// <summary>Largest registry keys document read as trust material.</summary>
    public const int MaxTrustMaterialBytes = Vouch.Sigstore.Limits.MaxTrustMaterialBytes;
}
