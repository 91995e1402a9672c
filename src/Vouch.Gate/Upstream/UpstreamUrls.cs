

namespace Vouch.Gate.Upstream;

/// <summary>
/// The one place the gate builds an upstream URL, from typed values only (a validated package
/// name, an exact version, a fixed endpoint): each value is escaped as one path segment (the scope
/// slash of a name as npm writes it, <c>%2f</c>) and appended to the configured upstream.
/// </summary>
internal sealed class UpstreamUrls(Uri upstream)
{
    private readonly string _base = upstream.AbsoluteUri.EndsWith('/') ? upstream.AbsoluteUri : upstream.AbsoluteUri + "/";

    public Uri Base => upstream;

    public Uri Packument(string name) => Build(Segment(name));

    public Uri Attestations(string name, string version) => Build("-/npm/v1/attestations/" + Segment(name) + "@" + Segment(version));

    public Uri Keys() => Build("-/npm/v1/keys");

    public Uri Audit(Api.AuditEndpoint endpoint) => Build(endpoint switch
    {
        Api.AuditEndpoint.AdvisoriesBulk => "-/npm/v1/security/advisories/bulk",
        Api.AuditEndpoint.AuditsQuick => "-/npm/v1/security/audits/quick",
        Api.AuditEndpoint.Audits => "-/npm/v1/security/audits",
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint)),
    });

    /// <summary>One value as one path segment: every reserved character escaped, '/' included.</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value).Replace("%40", "@", StringComparison.Ordinal).Replace("%2F", "%2f", StringComparison.Ordinal);

    private Uri Build(string escapedPath) => new(_base + escapedPath, UriKind.Absolute);

    /// <summary>The gate's own URL for a package's tarball or attestations, as written into packuments.</summary>
    public static Uri GateTarball(Uri gate, string name, string file) => new(gate.AbsoluteUri + name + "/-/" + Segment(file), UriKind.Absolute);

    public static Uri GateAttestations(Uri gate, string name, string version) => new(gate.AbsoluteUri + "-/npm/v1/attestations/" + name + "@" + Segment(version), UriKind.Absolute);
}
