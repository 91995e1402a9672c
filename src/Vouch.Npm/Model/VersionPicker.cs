namespace Vouch.Npm;

/// <summary>The version a spec selected, or why none was.</summary>
public sealed record VersionPick(PackageVersion? Version, string? Problem)
{
    public bool IsFound => Version is not null;
}

/// <summary>
/// Chooses a version the way npm-pick-manifest does for registry specs: a tag is looked up in
/// dist-tags; an exact version must exist; for a range the <c>latest</c> tag wins when it
/// satisfies the range (or the range is <c>*</c>), otherwise the highest satisfying version,
/// preferring ones that are not deprecated.
/// </summary>
internal static class VersionPicker
{
    public const string DefaultTag = "latest";

    public static VersionPick Pick(Packument packument, PackageSpec spec)
    {
        ArgumentNullException.ThrowIfNull(packument);
        ArgumentNullException.ThrowIfNull(spec);
        switch (spec.Kind)
        {
            case PackageSpecKind.Tag:
                if (!packument.DistTags.TryGetValue(spec.FetchSpec, out var tagged))
                {
                    return new VersionPick(null, $"{packument.Name} has no dist-tag '{spec.FetchSpec}'");
                }

                return Exact(packument, tagged, $"dist-tag '{spec.FetchSpec}' points to");
            case PackageSpecKind.Version:
                return Exact(packument, spec.Version!.Version, "version");
            default:
                return FromRange(packument, spec.Range!);
        }
    }

    private static VersionPick Exact(Packument packument, string versionText, string what)
    {
        if (SemVersion.TryParse(versionText, out var v) && packument.Versions.TryGetValue(v.Version, out var found))
        {
            return new VersionPick(found, null);
        }

        if (packument.InvalidVersions.TryGetValue(versionText, out var problems)
            || (v is not null && packument.InvalidVersions.TryGetValue(v.Version, out problems)))
        {
            return new VersionPick(null, $"{packument.Name}: {what} {versionText}, whose registry entry is unusable: {string.Join("; ", problems)}");
        }

        return new VersionPick(null, $"{packument.Name}: {what} {versionText}, which the registry does not list");
    }

    private static VersionPick FromRange(Packument packument, SemVerRange range)
    {
        if (packument.DistTags.TryGetValue(DefaultTag, out var latestText)
            && SemVersion.TryParse(latestText, out var latest)
            && packument.Versions.TryGetValue(latest.Version, out var latestVersion)
            && (range.Raw.Trim() is "*" or "" || range.IsSatisfiedBy(latest)))
        {
            return new VersionPick(latestVersion, null);
        }

        PackageVersion? best = null;
        foreach (var candidate in packument.Versions.Values)
        {
            if (!range.IsSatisfiedBy(candidate.Version))
            {
                continue;
            }

            if (best is null || IsBetter(candidate, best))
            {
                best = candidate;
            }
        }

        return best is not null
            ? new VersionPick(best, null)
            : new VersionPick(null, $"{packument.Name} has no version matching '{range.Raw}'");
    }

    private static bool IsBetter(PackageVersion candidate, PackageVersion best)
    {
        var candidateDeprecated = candidate.Deprecated is not null;
        var bestDeprecated = best.Deprecated is not null;
        if (candidateDeprecated != bestDeprecated)
        {
            return !candidateDeprecated;
        }

        return candidate.Version > best.Version;
    }
}
