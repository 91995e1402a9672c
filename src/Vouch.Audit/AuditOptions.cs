using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Provenance;

namespace Vouch.Audit;

/// <summary>Which form of packument the pipeline asks for.</summary>
public enum PackumentMode
{
    /// <summary>
    /// Abbreviated documents (a fraction of the size) when they carry what the checks need, full ones
    /// otherwise: full when any trusted key has a validity window (checking it needs the publish time,
    /// which only full documents carry), and for versions that advertise attestations (the source
    /// binding needs <c>repository</c>, the evidence level needs <c>_npmUser</c>).
    /// </summary>
    Auto,

    Full,
}

/// <summary>What a policy step sees about one package.</summary>
public sealed record PolicyInput(LockfilePackage Package, PackageReport Report, Packument? Packument)
{
    /// <summary>The version in the base lockfile, for an upgrade or downgrade in a diff audit.</summary>
    public string? BaseVersion { get; init; }

    /// <summary>True when a diff audit finds the package absent from the base lockfile.</summary>
    public bool IsNewDependency { get; init; }
}

/// <summary>What a policy step decided about one package.</summary>
public sealed record PolicyOutcome(IReadOnlyList<AuditFinding> Findings, bool Allowed);

/// <summary>
/// Evaluates organisation policy for one package. It runs on every audit (never cached): its answer
/// depends on the policy file and on time, the evidence it reads does not.
/// </summary>
public delegate PolicyOutcome AuditPolicyStep(PolicyInput input);

/// <summary>Lint findings tied to a package (null: about the lockfile as a whole).</summary>
public sealed record PackageLint(LockfilePackage? Package, AuditFinding Finding);

public sealed record AuditOptions
{
    /// <summary>Packages verified at once (packument fetches, attestation fetches and verification).</summary>
    public int Concurrency { get; init; } = 32;

    public PackumentMode Packuments { get; init; } = PackumentMode.Auto;

    /// <summary>Where verified evidence is kept between runs; null disables the result cache.</summary>
    public string? EvidenceCacheDirectory { get; init; }

    /// <summary>
    /// Keep one lockfile's entries in one sealed pack (<see cref="Vouch.Audit.EvidencePack"/>) instead of
    /// a file per version: one read and one write per audit. Per-entry files are still read as a
    /// fallback. Off: a file per version (what a cache shared by many lockfiles of one tree may prefer).
    /// </summary>
    public bool EvidencePack { get; init; }

    public AuditPolicyStep? Policy { get; init; }

    /// <summary>How verified evidence maps to a SLSA Build level (docs/slsa.md): the policy's mapping, so the level shown is the one its <c>slsa</c> rule enforces.</summary>
    public Vouch.Provenance.Slsa.SlsaMappingOptions SlsaMapping { get; init; } = Vouch.Provenance.Slsa.SlsaMappingOptions.Default;

    /// <summary>Fetch the packument for the policy step even when the evidence is cached (rules about history and publishers need it).</summary>
    public bool PolicyNeedsPackument { get; init; }

    /// <summary>
    /// The versions the policy compares a locked version with (its release-line history). When set
    /// with a <see cref="Policy"/> and a cache directory, the history is kept with the evidence as
    /// <see cref="ImmutableFacts"/>, and later audits judge from it without fetching the packument.
    /// Null: the full packument is fetched for the policy on every run.
    /// </summary>
    public Func<Packument, PackageVersion, IReadOnlyList<PackageVersion>>? PolicyHistory { get; init; }

    /// <summary>
    /// How long cached facts stand before their only mutable part (deprecation) is revalidated from
    /// the abbreviated packument (<c>--max-age</c>); <see cref="TimeSpan.Zero"/>: on every run
    /// (<c>--prefer-online</c>); <see cref="TimeSpan.MaxValue"/>: never (<c>--prefer-offline</c>).
    /// </summary>
    public TimeSpan MaxAge { get; init; } = DefaultMaxAge;

    /// <summary>Five minutes, the registry's own <c>Cache-Control: max-age=300</c> for packuments.</summary>
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromMinutes(5);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where the time goes by stage (<c>--profile</c>); null: not measured.</summary>
    public AuditProfile? Profile { get; init; }

    /// <summary>
    /// Flag entries whose <c>resolved</c> URL is on another host than their registry. Off when the
    /// caller runs lockfile lint, which reports the same fact as <c>VOUCH_LOCK_HOST_NOT_ALLOWED</c>.
    /// </summary>
    public bool CheckResolvedHost { get; init; } = true;

    /// <summary>Hosts besides the configured registries that a lockfile's <c>resolved</c> may name.</summary>
    public IReadOnlyCollection<string> AllowedHosts { get; init; } = [];

    /// <summary>
    /// Keys configured for registries other than the default one (scoped registries), by registry
    /// URL; a registry without an entry here is judged by the keys it serves at <c>/-/npm/v1/keys</c>.
    /// </summary>
    public IReadOnlyDictionary<Uri, RegistryKeys> ScopedRegistryKeys { get; init; } = new Dictionary<Uri, RegistryKeys>();

    /// <summary>
    /// The public registry's keys (TUF or the embedded copy) for a scope mapped to registry.npmjs.org
    /// while the default registry is another; null: the embedded copy. Never fetched from the wire.
    /// </summary>
    public RegistryKeys? PublicRegistryKeys { get; init; }

    /// <summary>
    /// The default registry's trusted keys, the ones the verifier was built with (TUF, the embedded
    /// copy or <c>--registry-keys</c>). Given, the pipeline extends them with the keys the registry
    /// serves itself and keeps that list in the lockfile's pack for <see cref="MaxAge"/>, so a warm
    /// audit makes no request; null: the verifier asks the registry on every run.
    /// </summary>
    public RegistryKeys? TrustedRegistryKeys { get; init; }

    /// <summary>
    /// Whether the keys the default registry serves may extend <see cref="TrustedRegistryKeys"/> (as
    /// <see cref="PackageVerifier.TrustsServedKeys"/>); false when the operator pinned the keys with a
    /// file: the pinned set is then the whole trust, never read from or kept in the pack.
    /// </summary>
    public bool TrustServedRegistryKeys { get; init; } = true;

    /// <summary>
    /// The lockfile's pack, already being read (<see cref="EvidencePack.Preload"/>); used when it is the
    /// pack of the lockfile audited under <see cref="EvidenceCacheDirectory"/>, ignored otherwise.
    /// </summary>
    public PackPreload? PackPreload { get; init; }
}

/// <summary>How far the audit got: packages finished of the total.</summary>
public readonly record struct AuditProgress(int Done, int Total);
