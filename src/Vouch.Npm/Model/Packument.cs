namespace Vouch.Npm;

/// <summary>
/// A package document from the registry (full, or abbreviated <c>application/vnd.npm.install-v1+json</c>),
/// reduced to what Vouch relies on. Versions whose entries are unusable (no tarball, a key that is
/// not a version, another package's name) are kept out of <see cref="Versions"/> and listed in
/// <see cref="InvalidVersions"/> so that one broken ancient version does not make the whole
/// package unverifiable, while asking for that version still explains what is wrong with it.
/// </summary>
public sealed record Packument
{
    public required string Name { get; init; }

    /// <summary>True for the abbreviated (install) form, which has no time map, _npmUser or repository.</summary>
    public required bool IsAbbreviated { get; init; }

    public required IReadOnlyDictionary<string, string> DistTags { get; init; }

    /// <summary>Usable versions, keyed by their normalised version string.</summary>
    public required IReadOnlyDictionary<string, PackageVersion> Versions { get; init; }

    /// <summary>Version → publish time (full documents only; mirrors record their copy time instead).</summary>
    public required IReadOnlyDictionary<string, DateTimeOffset> Time { get; init; }

    public DateTimeOffset? Created { get; init; }

    /// <summary><c>time.modified</c>, or <c>modified</c> of an abbreviated document.</summary>
    public DateTimeOffset? Modified { get; init; }

    /// <summary>True when every version was unpublished (<c>time.unpublished</c>).</summary>
    public bool IsUnpublished { get; init; }

    /// <summary>Version key → what is wrong with that entry.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> InvalidVersions { get; init; }

    /// <summary>Parses and validates a packument; throws <see cref="NpmDocumentException"/> listing every problem.</summary>
    public static Packument Parse(ReadOnlyMemory<byte> json, string? expectedName = null, bool abbreviated = false) =>
        PackumentParser.Parse(json, expectedName, abbreviated);

    /// <summary>The version a spec selects, the way npm picks one (see <see cref="VersionPicker"/>).</summary>
    public VersionPick Pick(PackageSpec spec) => VersionPicker.Pick(this, spec);
}

/// <summary>One entry of <c>versions</c>.</summary>
public sealed record PackageVersion
{
    public required string Name { get; init; }

    public required SemVersion Version { get; init; }

    public required Dist Dist { get; init; }

    /// <summary>Who published it (full documents only).</summary>
    public NpmUser? NpmUser { get; init; }

    public RepositoryInfo? Repository { get; init; }

    public string? GitHead { get; init; }

    /// <summary>The deprecation message, when the version is deprecated.</summary>
    public string? Deprecated { get; init; }

    public IReadOnlyDictionary<string, string> Scripts { get; init; } = Empty;

    public IReadOnlyDictionary<string, string> Dependencies { get; init; } = Empty;

    public IReadOnlyDictionary<string, string> OptionalDependencies { get; init; } = Empty;

    public IReadOnlyDictionary<string, string> PeerDependencies { get; init; } = Empty;

    /// <summary><c>hasInstallScript</c> of abbreviated documents (full ones carry <see cref="Scripts"/>).</summary>
    public bool? HasInstallScript { get; init; }

    /// <summary><c>gypfile</c>: the package ships a binding.gyp, so npm runs <c>node-gyp rebuild</c> when it has no install script.</summary>
    public bool? Gypfile { get; init; }

    /// <summary>Commands the version installs (<c>bin</c>), sorted; empty when none.</summary>
    public IReadOnlyList<string> Bin { get; init; } = [];

    /// <summary>The version document's <c>maintainers</c> names, sorted (absent from abbreviated packuments and the mirror).</summary>
    public IReadOnlyList<string> Maintainers { get; init; } = [];

    internal static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();
}

/// <summary><c>dist</c>: where the tarball is and what it must hash to, plus the registry's evidence.</summary>
public sealed record Dist
{
    public required Uri Tarball { get; init; }

    /// <summary>The SRI string (<c>sha512-…</c>); absent on versions published before 2017.</summary>
    public string? Integrity { get; init; }

    /// <summary>Legacy hex SHA-1.</summary>
    public string? Shasum { get; init; }

    public IReadOnlyList<DistSignature> Signatures { get; init; } = [];

    public DistAttestations? Attestations { get; init; }

    public int? FileCount { get; init; }

    public long? UnpackedSize { get; init; }
}

/// <summary>A registry signature over <c>${name}@${version}:${integrity}</c>.</summary>
public sealed record DistSignature(string KeyId, string Sig);

/// <summary><c>dist.attestations</c>: where the attestations are and what provenance type they claim.</summary>
public sealed record DistAttestations(Uri Url, string? ProvenancePredicateType);

/// <summary><c>_npmUser</c>: the account (or trusted publisher) that published the version.</summary>
public sealed record NpmUser
{
    public string? Name { get; init; }

    public string? Email { get; init; }

    public TrustedPublisher? TrustedPublisher { get; init; }

    /// <summary>Who approved a staged publish, when the version went through one.</summary>
    public NpmApprover? Approver { get; init; }
}

/// <summary><c>_npmUser.trustedPublisher</c>: the OIDC identity provider the version was published through.</summary>
public sealed record TrustedPublisher
{
    /// <summary>The provider, e.g. <c>github</c> or <c>gitlab</c>.</summary>
    public required string Id { get; init; }

    /// <summary>The other string-valued fields (e.g. <c>oidcConfigId</c>), kept as given.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = PackageVersion.Empty;
}

/// <summary><c>_npmUser.approver</c> of a staged publish.</summary>
public sealed record NpmApprover
{
    public string? Name { get; init; }

    public string? Email { get; init; }

    /// <summary>The other string-valued fields, kept as given.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = PackageVersion.Empty;
}

/// <summary><c>repository</c> of package.json: a string shorthand/URL, or <c>{type, url, directory}</c>.</summary>
public sealed record RepositoryInfo(string Url, string? Type, string? Directory);
