namespace Vouch.Policy;

/// <summary>Caps on policy input.</summary>
public static class Limits
{
    /// <summary>Largest policy file (local or fetched, and each file it extends).</summary>
    public const int MaxConfigFileBytes = 1024 * 1024;

    /// <summary>A policy needs no aliases and no deep nesting: refusing both keeps a small file small.</summary>
    public static readonly Vouch.Common.Yaml.YamlLimits PolicyYaml = new(MaxDepth: 32, MaxAliases: 0);
}
