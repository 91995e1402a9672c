using System.Globalization;

namespace Vouch.Sandbox;

/// <summary>How a version reached the registry, which decides the evidence the sandbox produces for it.</summary>
public enum PublisherKind
{
    /// <summary>Published from CI through OIDC trusted publishing: `_npmUser.trustedPublisher`, SLSA provenance and a publish attestation.</summary>
    TrustedPublisher,

    /// <summary>Published from CI with a long-lived token and `--provenance`: provenance and a publish attestation, no trusted publisher.</summary>
    Provenance,

    /// <summary>Published with a token from someone's machine: a registry signature and nothing else.</summary>
    Token,
}

/// <summary>
/// Explicit breakage of one piece of a version's evidence, for negative tests of other parts of Vouch.
/// The sandbox never tampers with anything a scenario does not ask for.
/// </summary>
public enum TamperKind
{
    /// <summary>`tarball-bytes`: the served tarball differs from the one `dist.integrity` (and every signature) describes.</summary>
    TarballBytes,

    /// <summary>`signature`: `dist.signatures` signs another message with the registry key.</summary>
    Signature,

    /// <summary>`signature-missing`: no `dist.signatures` at all.</summary>
    SignatureMissing,

    /// <summary>`signature-unknown-key`: signed by a key `/-/npm/v1/keys` does not list.</summary>
    SignatureUnknownKey,

    /// <summary>`provenance-subject`: the provenance statement's subject digest is of other bytes.</summary>
    ProvenanceSubject,

    /// <summary>`provenance-identity`: the certificate is issued to another repository than the provenance predicate names.</summary>
    ProvenanceIdentity,

    /// <summary>`provenance-signature`: the provenance envelope is signed with a key the certificate does not hold.</summary>
    ProvenanceSignature,

    /// <summary>`attestation-missing`: `dist.attestations` is advertised, the attestations endpoint answers 404.</summary>
    AttestationMissing,

    /// <summary>`publish-attestation-missing`: the attestations document holds the provenance only.</summary>
    PublishAttestationMissing,

    /// <summary>`publish-attestation-key`: the publish attestation is signed by a key the registry does not list.</summary>
    PublishAttestationKey,
}

/// <summary>A point in time: absolute, or relative to when the sandbox starts ("-30d").</summary>
public readonly record struct ScenarioTime(DateTimeOffset? Absolute, TimeSpan Offset)
{
    public static ScenarioTime Now => new(null, TimeSpan.Zero);

    public DateTimeOffset Resolve(DateTimeOffset now) => Absolute ?? now + Offset;

    /// <summary>`now`, an ISO 8601 date or date-time (UTC unless it says otherwise), or `-N` + s/m/h/d/w (e.g. `-30d`, `-90m`).</summary>
    public static bool TryParse(string text, out ScenarioTime time)
    {
        time = Now;
        text = text.Trim();
        if (text == "now")
        {
            return true;
        }

        if (text.Length >= 3 && text[0] == '-' && "smhdw".Contains(text[^1], StringComparison.Ordinal)
            && long.TryParse(text.AsSpan(1, text.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= 365L * 100 * 86400)
        {
            var unit = text[^1] switch
            {
                's' => TimeSpan.FromSeconds(1),
                'm' => TimeSpan.FromMinutes(1),
                'h' => TimeSpan.FromHours(1),
                'd' => TimeSpan.FromDays(1),
                _ => TimeSpan.FromDays(7),
            };
            time = new ScenarioTime(null, -(unit * n));
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var absolute))
        {
            time = new ScenarioTime(absolute, TimeSpan.Zero);
            return true;
        }

        return false;
    }

    public override string ToString() => Absolute is { } a
        ? a.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
        : Offset == TimeSpan.Zero ? "now" : $"-{(long)(-Offset).TotalSeconds}s";
}

/// <summary>The CI run a provenance-backed version was built by (what its Fulcio certificate and SLSA predicate say).</summary>
public sealed record SourceBuild
{
    /// <summary>`owner/name` on GitHub.</summary>
    public required string Repository { get; init; }

    public required string Ref { get; init; }

    /// <summary>Commit SHA, 40 hex digits.</summary>
    public required string Commit { get; init; }

    /// <summary>Workflow path, e.g. `.github/workflows/release.yml`.</summary>
    public required string Workflow { get; init; }

    public string Trigger { get; init; } = "push";

    /// <summary>`github-hosted` or `self-hosted`.</summary>
    public string RunnerEnvironment { get; init; } = "github-hosted";
}

/// <summary>One version of a scenario package.</summary>
public sealed record ScenarioVersion
{
    public required string Version { get; init; }

    public ScenarioTime Published { get; init; } = ScenarioTime.Now;

    public PublisherKind Publisher { get; init; } = PublisherKind.Token;

    /// <summary>The npm account in `_npmUser` for token and provenance publishes (default: the first maintainer).</summary>
    public string? PublishedBy { get; init; }

    /// <summary>The CI build; set for provenance-backed publishers (defaults filled in by the parser).</summary>
    public SourceBuild? Source { get; init; }

    public IReadOnlyDictionary<string, string> Dependencies { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Scripts { get; init; } = new Dictionary<string, string>();

    /// <summary>Extra files in the tarball (path under `package/` → text).</summary>
    public IReadOnlyDictionary<string, string> Files { get; init; } = new Dictionary<string, string>();

    public IReadOnlySet<TamperKind> Tamper { get; init; } = new HashSet<TamperKind>();

    public string? Deprecated { get; init; }

    /// <summary>What this version is in the story (shown by `vouch sandbox demo`).</summary>
    public string? Note { get; init; }

    public bool HasProvenance => Publisher != PublisherKind.Token;

    /// <summary>npm runs these on install; `hasInstallScript` in abbreviated packuments.</summary>
    public bool HasInstallScript => Scripts.Keys.Any(k => k is "preinstall" or "install" or "postinstall");
}

/// <summary>One package of a scenario.</summary>
public sealed record ScenarioPackage
{
    public required string Name { get; init; }

    public string? Description { get; init; }

    /// <summary>The `repository` package.json declares: `owner/name` (GitHub) or a URL.</summary>
    public string? Repository { get; init; }

    public IReadOnlyList<string> Maintainers { get; init; } = ["sandbox-maintainer"];

    public required IReadOnlyList<ScenarioVersion> Versions { get; init; }

    /// <summary>Explicit dist-tags; `latest` defaults to the highest release version.</summary>
    public IReadOnlyDictionary<string, string> DistTags { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// An OSV record a scenario publishes in its advisory snapshot (`GET /-/vouch/osv/all.zip`), so
/// `vouch db update --from URL` gives an offline database that matches the scenario's packages.
/// An id starting `MAL-` is a malicious-package report; anything else a vulnerability advisory.
/// </summary>
public sealed record ScenarioAdvisory
{
    public required string Id { get; init; }

    /// <summary>The scenario package the record affects (must be defined by the scenario).</summary>
    public required string Package { get; init; }

    public IReadOnlyList<string> Aliases { get; init; } = [];

    public string? Summary { get; init; }

    /// <summary>One SEMVER range: `introduced` (default "0") up to `fixed` or through `last-affected` (or no end).</summary>
    public string? Introduced { get; init; }

    public string? Fixed { get; init; }

    public string? LastAffected { get; init; }

    /// <summary>Explicit affected versions (OSV `versions`); each must be a version of <see cref="Package"/>.</summary>
    public IReadOnlyList<string> Versions { get; init; } = [];

    /// <summary>A CVSS vector (`CVSS:3.x/…` → `CVSS_V3`, `CVSS:4.0/…` → `CVSS_V4`).</summary>
    public string? Cvss { get; init; }

    /// <summary>GitHub's `database_specific.severity`: LOW, MODERATE, HIGH or CRITICAL.</summary>
    public string? Severity { get; init; }

    public ScenarioTime Published { get; init; } = ScenarioTime.Now;

    public ScenarioTime Modified { get; init; } = ScenarioTime.Now;

    public bool IsMalware => Id.StartsWith("MAL-", StringComparison.Ordinal);

    /// <summary>True when the record has a range (rather than only explicit versions).</summary>
    public bool HasRange => Introduced is not null || Fixed is not null || LastAffected is not null || Versions.Count == 0;
}
