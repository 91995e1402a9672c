namespace Vouch.Policy;

/// <summary>Caps on policy input.</summary>
public static class Limits
{
    /// <summary>Largest policy file (local or fetched, and each file it extends).</summary>
    public const int MaxConfigFileBytes = 1024 * 1024;
}
