

namespace Vouch.Gate.Upstream;

/// <summary>
/// The one place the gate builds an upstream URL, from typed values only (a validated package
/// name, an exact version, a fixed endpoint): each value is escaped as one path segment (the scope
/// slash of a name as npm writes it, <c>%2f</c>) and appended to the configured upstream.
/// </summary>
internal sealed class UpstreamUrls(Uri upstream, Func<string, bool>? owns = null)
{
    private readonly string _base = upstream.AbsoluteUri.EndsWith('/') ? upstream.AbsoluteUri : upstream.AbsoluteUri + "/";

    public Uri Base => upstream;

    public Uri Packument(string name) => Build(Segment(Owned(name)));

    public Uri Attestations(string name, string version) => Build("-/npm/v1/attestations/" + Segment(Owned(name)) + "@" + Segment(version));

    /// <summary>Whether names like this one are looked up at this upstream (issue 19: routes by name pattern).</summary>
    public bool Owns(string name) => owns is null || owns(name);

    // Routing happens before any URL is built; a name reaching the wrong upstream's URLs is a bug, never a request.
    private string Owned(string name) => Owns(name) ? name : throw new InvalidOperationException($"{name} is routed to another upstream than {upstream}");

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
