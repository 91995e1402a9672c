using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Vouch.Npm;

/// <summary>What the part after <c>@</c> asks the registry for.</summary>
public enum PackageSpecKind
{
    /// <summary>One exact version (<c>name@1.2.3</c>).</summary>
    Version,

    /// <summary>A semver range (<c>name@^1.2</c>, and a bare <c>name</c>, which means <c>*</c>).</summary>
    Range,

    /// <summary>A dist-tag (<c>name@latest</c>, <c>name@next</c>).</summary>
    Tag,
}

/// <summary>
/// A registry package argument as npm reads it (npm-package-arg): <c>name</c>, <c>name@1.2.3</c>,
/// <c>name@^1.2</c>, <c>name@tag</c>, <c>@scope/name@…</c>, and aliases
/// <c>alias@npm:real@^1</c>. Git, file, directory and URL specs are refused: they do not come from
/// a registry, so there is nothing for us to verify against. Versions and ranges are parsed
/// strictly (npm itself parses them loosely).
/// </summary>
public sealed partial class PackageSpec
{
    private PackageSpec(string raw, string name, string? alias, PackageSpecKind kind, string fetchSpec, SemVersion? version, SemVerRange? range, PackageNameValidation validation)
    {
        Raw = raw;
        Name = name;
        Alias = alias;
        Kind = kind;
        FetchSpec = fetchSpec;
        Version = version;
        Range = range;
        NameValidation = validation;
    }

    /// <summary>The argument as given.</summary>
    public string Raw { get; }

    /// <summary>The registry package to fetch (for an alias, the real package).</summary>
    public string Name { get; }

    /// <summary>The local alias name of <c>alias@npm:real@…</c>, or null.</summary>
    public string? Alias { get; }

    public PackageSpecKind Kind { get; }

    /// <summary>The version, range or tag text (trimmed; <c>*</c> when none was given).</summary>
    public string FetchSpec { get; }

    /// <summary>Set when <see cref="Kind"/> is <see cref="PackageSpecKind.Version"/>.</summary>
    public SemVersion? Version { get; }

    /// <summary>Set when <see cref="Kind"/> is <see cref="PackageSpecKind.Range"/>.</summary>
    public SemVerRange? Range { get; }

    /// <summary>Set when <see cref="Kind"/> is <see cref="PackageSpecKind.Tag"/>.</summary>
    public string? Tag => Kind == PackageSpecKind.Tag ? FetchSpec : null;

    /// <summary>The scope (<c>@scope</c>) of <see cref="Name"/>, or null.</summary>
    public string? Scope => PackageName.ScopeOf(Name);

    /// <summary><see cref="Name"/> as it appears in registry URLs.</summary>
    public string EscapedName => PackageName.Escape(Name);

    /// <summary>Warnings about <see cref="Name"/> that only matter for new packages (capitals, length…).</summary>
    public PackageNameValidation NameValidation { get; }

    public override string ToString() => Alias is null ? $"{Name}@{FetchSpec}" : $"{Alias}@npm:{Name}@{FetchSpec}";

    public static PackageSpec Parse(string argument) =>
        TryParse(argument, out var spec, out var error) ? spec : throw new FormatException(error);

    public static PackageSpec? ParseOrNull(string? argument) => TryParse(argument, out var spec, out _) ? spec : null;

    /// <summary>Parses a package argument; on failure <paramref name="error"/> says why in one line.</summary>
    public static bool TryParse([NotNullWhen(true)] string? argument, [NotNullWhen(true)] out PackageSpec? spec, [NotNullWhen(false)] out string? error)
    {
        spec = null;
        if (string.IsNullOrEmpty(argument))
        {
            error = "empty package spec: expected name, name@version, name@range or name@tag";
            return false;
        }

        if (argument.Length > Limits.MaxPackageSpecLength)
        {
            error = $"package spec is longer than {Limits.MaxPackageSpecLength} characters";
            return false;
        }

        return TryParseCore(argument, argument, allowAlias: true, out spec, out error);
    }

    private static bool TryParseCore(string raw, string argument, bool allowAlias, [NotNullWhen(true)] out PackageSpec? spec, [NotNullWhen(false)] out string? error)
    {
        spec = null;
        // The name ends at the first '@' after position 0 (a leading '@' starts a scope).
        var at = argument.IndexOf('@', 1);
        var namePart = at > 0 ? argument[..at] : argument;

        if (UrlLike().IsMatch(argument) || ScpGitLike().IsMatch(argument))
        {
            error = $"'{raw}' is a URL or git spec, not a registry package: expected name@version";
            return false;
        }

        if (!namePart.StartsWith('@') && (namePart.Contains('/', StringComparison.Ordinal) || TarballFile().IsMatch(namePart)))
        {
            error = $"'{raw}' looks like a path, tarball or GitHub shorthand, not a registry package: expected name@version";
            return false;
        }

        var name = namePart;
        var rawSpec = at > 0 ? argument[(at + 1)..] : "";

        var validation = PackageName.Validate(name);
        if (!validation.ValidForOldPackages)
        {
            error = $"invalid package name \"{name}\" in '{raw}': {string.Join("; ", validation.Errors)}";
            return false;
        }

        if (rawSpec.StartsWith("npm:", StringComparison.OrdinalIgnoreCase))
        {
            if (!allowAlias)
            {
                error = $"nested npm: aliases are not supported in '{raw}'";
                return false;
            }

            var target = rawSpec[4..];
            if (target.Length == 0)
            {
                error = $"the npm: alias in '{raw}' names no package: expected alias@npm:name@range";
                return false;
            }

            if (!TryParseCore(raw, target, allowAlias: false, out var inner, out error))
            {
                return false;
            }

            spec = new PackageSpec(raw, inner.Name, name, inner.Kind, inner.FetchSpec, inner.Version, inner.Range, inner.NameValidation);
            return true;
        }

        var unsupported = DescribeUnsupported(rawSpec);
        if (unsupported is not null)
        {
            error = $"'{raw}' asks for {unsupported}, not a registry version: only versions, ranges, tags and npm: aliases can be verified";
            return false;
        }

        var fetchSpec = JsWhitespace.Trim(rawSpec);
        if (fetchSpec.Length == 0)
        {
            fetchSpec = "*";
        }

        if (SemVersion.TryParse(fetchSpec, out var version))
        {
            spec = new PackageSpec(raw, name, null, PackageSpecKind.Version, version.Version, version, null, validation);
            error = null;
            return true;
        }

        if (SemVerRange.TryParse(fetchSpec, out var range))
        {
            spec = new PackageSpec(raw, name, null, PackageSpecKind.Range, fetchSpec, null, range, validation);
            error = null;
            return true;
        }

        if (!PackageName.IsUrlSafe(fetchSpec))
        {
            error = $"invalid tag name \"{fetchSpec}\" in '{raw}': a tag may only contain URL-safe characters, and this is not a valid version or range either";
            return false;
        }

        spec = new PackageSpec(raw, name, null, PackageSpecKind.Tag, fetchSpec, null, null, validation);
        error = null;
        return true;
    }

    private static string? DescribeUnsupported(string rawSpec)
    {
        if (rawSpec.StartsWith("file:", StringComparison.OrdinalIgnoreCase) || rawSpec.StartsWith('.') || rawSpec.StartsWith('/') || rawSpec.StartsWith("~/", StringComparison.Ordinal))
        {
            return "a local file or directory";
        }

        if (rawSpec.StartsWith("jsr:", StringComparison.OrdinalIgnoreCase))
        {
            return "a JSR package";
        }

        if (UrlLike().IsMatch(rawSpec) || ScpGitLike().IsMatch(rawSpec))
        {
            return "a URL or git repository";
        }

        if (rawSpec.Contains('/', StringComparison.Ordinal))
        {
            return "a GitHub shorthand or path";
        }

        if (TarballFile().IsMatch(rawSpec))
        {
            return "a tarball file";
        }

        return null;
    }

    // npm-package-arg's tests for specs that are not registry specs.
    [GeneratedRegex("^(?:git[+])?[a-z]+:", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UrlLike();

    [GeneratedRegex(@"^[^@]+@[^:.]+\.[^:]+:.+$", RegexOptions.CultureInvariant)]
    private static partial Regex ScpGitLike();

    [GeneratedRegex(@"[.](?:tgz|tar\.gz|tar)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TarballFile();
}
