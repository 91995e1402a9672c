using System.Text.Json;
using System.Text.Json.Serialization;
using Vouch.Npm;
using Vouch.Provenance;

namespace Vouch.Watch;

/// <summary>What watch knows about one version, either verified by watch or as the packument advertised it.</summary>
public sealed record VersionFacts
{
    public required string Version { get; init; }

    /// <summary>True when watch verified the version itself; false for versions seen in the baseline (the packument's word).</summary>
    public bool Verified { get; init; }

    /// <summary><see cref="EvidenceLevel"/> as a number (0 none … 3 staged publish).</summary>
    public int Level { get; init; }

    public string? SourceRepository { get; init; }

    public string? Workflow { get; init; }

    /// <summary>The trusted publisher's provider id (e.g. <c>github</c>), or null for a token publish.</summary>
    public string? TrustedPublisher { get; init; }

    public string? Publisher { get; init; }

    public IReadOnlyList<string> Maintainers { get; init; } = [];

    /// <summary>Install-time scripts present (preinstall, install, postinstall; <c>binding.gyp</c> for an implicit node-gyp build).</summary>
    public IReadOnlyList<string> InstallScripts { get; init; } = [];

    /// <summary>Names of dependencies and optional dependencies.</summary>
    public IReadOnlyList<string> Dependencies { get; init; } = [];

    public IReadOnlyList<string> Bin { get; init; } = [];

    public string? Deprecated { get; init; }

    public DateTimeOffset? Published { get; init; }

    private static readonly string[] InstallScriptNames = ["preinstall", "install", "postinstall"];

    /// <summary>The facts the packument advertises (evidence level from <c>dist.attestations</c> and <c>_npmUser</c>, unverified).</summary>
    public static VersionFacts Advertised(Packument packument, PackageVersion v) => Common(packument, v) with
    {
        Verified = false,
        Level = (int)EvidenceLevels.Rank(v.Dist.Attestations is not null, v.NpmUser?.TrustedPublisher is not null, v.NpmUser?.Approver is not null),
        SourceRepository = v.Dist.Attestations is not null ? SourceBinding.Normalize(v.Repository?.Url) : null,
    };

    /// <summary>The facts of a version watch verified: evidence and source from the verified report.</summary>
    public static VersionFacts FromReport(Packument packument, PackageVersion v, PackageReport report) => Common(packument, v) with
    {
        Verified = true,
        Level = (int)report.EvidenceLevel,
        SourceRepository = SourceBinding.Normalize(report.Provenance.Claims?.SourceRepository),
        Workflow = report.Provenance.Claims?.WorkflowPath,
        TrustedPublisher = report.TrustedPublisher,
    };

    private static VersionFacts Common(Packument packument, PackageVersion v)
    {
        var scripts = InstallScriptNames.Where(v.Scripts.ContainsKey).ToList();
        if (scripts.Count == 0 && (v.HasInstallScript == true || v.Gypfile == true))
        {
            scripts.Add(v.Gypfile == true ? "binding.gyp" : "install");
        }

        return new VersionFacts
        {
            Version = v.Version.ToString(),
            TrustedPublisher = v.NpmUser?.TrustedPublisher?.Id,
            Publisher = v.NpmUser?.Name,
            Maintainers = v.Maintainers,
            InstallScripts = scripts,
            Dependencies = [.. v.Dependencies.Keys.Concat(v.OptionalDependencies.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            Bin = v.Bin,
            Deprecated = v.Deprecated,
            Published = packument.Time.TryGetValue(v.Version.ToString(), out var t) ? t : null,
        };
    }
}

/// <summary>What watch knows about one package: the facts of every version it has seen, and the dist-tags.</summary>
public sealed record PackageState
{
    public Dictionary<string, VersionFacts> Versions { get; init; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> DistTags { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Every account that published a version of the package (from the packument when first seen, then from each new version).</summary>
    public SortedSet<string> Publishers { get; init; } = new(StringComparer.Ordinal);

    /// <summary>True once the whole package was reported unpublished (so it is reported once).</summary>
    public bool Unpublished { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        MaxDepth = 16,
    };

    public string Serialize() => JsonSerializer.Serialize(this, Json);

    public static PackageState Deserialize(string json) => JsonSerializer.Deserialize<PackageState>(json, Json) ?? new PackageState();
}
