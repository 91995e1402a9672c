using Vouch.Npm;

namespace Vouch.Audit;

/// <summary>
/// What the policy reads about a locked version from the full packument, kept so that later audits
/// need no packument at all. A published version cannot change: its tarball, signatures,
/// attestations, <c>_npmUser</c>, <c>repository</c>, scripts and publish time are fixed, and so is its
/// release-line history (the lower versions published BEFORE it: anything published later is not
/// history, whatever its number). Only deprecation changes; it is kept with the time it was read
/// (<see cref="CheckedAt"/>) and revalidated from the abbreviated packument after the audit's
/// max-age. A predecessor unpublished later stays in the history: the verdict it supported
/// (usually a stricter one) cannot be erased by removing versions.
/// </summary>
public sealed record ImmutableFacts
{
    public required VersionFacts Version { get; init; }

    /// <summary>The versions the policy compares the locked one with (<see cref="AuditOptions.PolicyHistory"/>).</summary>
    public required IReadOnlyList<VersionFacts> History { get; init; }

    /// <summary>The deprecation message as the registry served it at <see cref="CheckedAt"/> (the only mutable fact).</summary>
    public string? Deprecated { get; init; }

    /// <summary>When the registry last confirmed <see cref="Deprecated"/>.</summary>
    public required DateTimeOffset CheckedAt { get; init; }

    /// <summary>
    /// The facts of <paramref name="version"/> from a FULL packument; null when they would not be
    /// immutable (an abbreviated document, or no publish time to bound the history with).
    /// </summary>
    public static ImmutableFacts? Capture(Packument packument, PackageVersion version, IReadOnlyList<PackageVersion> history, DateTimeOffset now)
    {
        if (packument.IsAbbreviated || !packument.Time.ContainsKey(version.Version.Version))
        {
            return null;
        }

        return new ImmutableFacts
        {
            Version = VersionFacts.Of(packument, version),
            History = [.. history.Select(v => VersionFacts.HistoryOf(packument, v))],
            Deprecated = version.Deprecated,
            CheckedAt = now,
        };
    }

    /// <summary>True when the entry is about <paramref name="version"/> and every field parses back into the typed model.</summary>
    public bool Matches(string version, string? integrity) =>
        Version is not null && History is not null && Version.Version == version
        && Version.IsWellFormed() && History.All(h => h is not null && h.IsWellFormed());

    /// <summary>
    /// A packument holding only the locked version (with its current deprecation) and its history:
    /// every field the policy rules read, nothing else (no dist-tags, no later versions).
    /// </summary>
    public Packument ToPackument(string name)
    {
        var versions = new Dictionary<string, PackageVersion>(StringComparer.Ordinal);
        var time = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var v in History.Append(Version))
        {
            var entry = v.ToPackageVersion(name, ReferenceEquals(v, Version) ? Deprecated : null);
            versions[entry.Version.ToString()] = entry;
            if (v.Time is { } t)
            {
                time[entry.Version.Version] = t;
            }
        }

        return new Packument
        {
            Name = name,
            IsAbbreviated = false,
            DistTags = new Dictionary<string, string>(),
            Versions = versions,
            Time = time,
            InvalidVersions = new Dictionary<string, IReadOnlyList<string>>(),
        };
    }
}

/// <summary>
/// The immutable fields of one version entry that the policy rules read. Not kept: the registry
/// signatures and shasum (an audit's policy judges the VERIFIED report's signature, never what
/// dist.signatures advertises), and, for a version of the history, everything but what trust-downgrade
/// compares (<see cref="HistoryOf"/>). Less kept is less to read, check and parse on every warm audit.
/// </summary>
public sealed record VersionFacts
{
    // The lifecycle scripts npm runs at install time; the policy reads no other script.
    private static readonly string[] InstallScripts = ["preinstall", "install", "postinstall"];

    public required string Version { get; init; }

    public DateTimeOffset? Time { get; init; }

    public required string Tarball { get; init; }

    public string? Integrity { get; init; }

    public string? AttestationsUrl { get; init; }

    public string? ProvenancePredicateType { get; init; }

    public string? TrustedPublisher { get; init; }

    public bool HasApprover { get; init; }

    public string? ApproverName { get; init; }

    public RepositoryInfo? Repository { get; init; }

    public IReadOnlyDictionary<string, string> Scripts { get; init; } = new Dictionary<string, string>();

    public bool? Gypfile { get; init; }

    public bool? HasInstallScript { get; init; }

    public static VersionFacts Of(Packument packument, PackageVersion v) => new()
    {
        Version = v.Version.ToString(),
        Time = packument.Time.TryGetValue(v.Version.Version, out var t) ? t : null,
        Tarball = v.Dist.Tarball.AbsoluteUri,
        Integrity = v.Dist.Integrity,
        AttestationsUrl = v.Dist.Attestations?.Url.AbsoluteUri,
        ProvenancePredicateType = v.Dist.Attestations?.ProvenancePredicateType,
        TrustedPublisher = v.NpmUser?.TrustedPublisher?.Id,
        HasApprover = v.NpmUser?.Approver is not null,
        ApproverName = v.NpmUser?.Approver?.Name,
        Repository = v.Repository,
        Scripts = InstallScripts.Where(v.Scripts.ContainsKey).ToDictionary(k => k, k => v.Scripts[k], StringComparer.Ordinal),
        Gypfile = v.Gypfile,
        HasInstallScript = v.HasInstallScript,
    };

    /// <summary>
    /// A version of the locked one's history as trust-downgrade reads it: its number and publish time,
    /// whether it advertised provenance, a trusted publisher or an approver, and its repository.
    /// </summary>
    public static VersionFacts HistoryOf(Packument packument, PackageVersion v) => new()
    {
        Version = v.Version.ToString(),
        Time = packument.Time.TryGetValue(v.Version.Version, out var t) ? t : null,
        Tarball = v.Dist.Tarball.AbsoluteUri,
        AttestationsUrl = v.Dist.Attestations?.Url.AbsoluteUri,
        TrustedPublisher = v.NpmUser?.TrustedPublisher?.Id,
        HasApprover = v.NpmUser?.Approver is not null,
        Repository = v.Repository,
    };

    internal bool IsWellFormed() =>
        SemVersion.TryParse(Version, out _)
        && Uri.TryCreate(Tarball, UriKind.Absolute, out _)
        && (AttestationsUrl is null || Uri.TryCreate(AttestationsUrl, UriKind.Absolute, out _))
        && Scripts is not null && (Repository is null || Repository.Url is not null);

    internal PackageVersion ToPackageVersion(string name, string? deprecated) => new()
    {
        Name = name,
        Version = SemVersion.Parse(Version),
        Dist = new Dist
        {
            Tarball = new Uri(Tarball),
            Integrity = Integrity,
            Attestations = AttestationsUrl is null ? null : new DistAttestations(new Uri(AttestationsUrl), ProvenancePredicateType),
        },
        NpmUser = TrustedPublisher is null && !HasApprover ? null : new NpmUser
        {
            TrustedPublisher = TrustedPublisher is null ? null : new TrustedPublisher { Id = TrustedPublisher },
            Approver = HasApprover ? new NpmApprover { Name = ApproverName } : null,
        },
        Repository = Repository,
        Deprecated = deprecated,
        Scripts = Scripts,
        Gypfile = Gypfile,
        HasInstallScript = HasInstallScript,
    };
}
