using Vouch.Npm;

namespace Vouch.Cli.Composition;

/// <summary>Package specs as commands take them: a spec that does not parse is a usage error.</summary>
internal static class PackageSpecs
{
    public static PackageSpec Parse(string text) =>
        PackageSpec.TryParse(text, out var spec, out var error) ? spec! : throw new UsageException($"'{text}' is not a package spec: {error}");
}
