using System.Net;
using System.Text;

namespace Vouch.Gate.SignIn;

/// <summary>
/// Issue 19: OpenID Connect sign-in for the dashboard (<c>vouch serve --oidc-issuer ...</c>). People sign
/// in at the organisation's identity provider; one claim's values (groups, roles) map to the gate's
/// reader, approver and admin roles. API tokens (<see cref="GateToken"/>) stay for machines.
/// </summary>
public sealed record GateOidcOptions
{
    /// <summary>The issuer; its discovery document is <c>{issuer}/.well-known/openid-configuration</c> and every id token's <c>iss</c> must equal it.</summary>
    public required Uri Issuer { get; init; }

    public required string ClientId { get; init; }

    /// <summary>Read from a file or an environment variable, never an option value; never printed (see <see cref="PrintMembers"/>).</summary>
    public required string ClientSecret { get; init; }

    /// <summary>The id token claim whose values are mapped (a string or an array of strings), e.g. <c>groups</c>.</summary>
    public string RoleClaim { get; init; } = "groups";

    public IReadOnlyList<string> Readers { get; init; } = [];

    public IReadOnlyList<string> Approvers { get; init; } = [];

    public IReadOnlyList<string> Admins { get; init; } = [];

    /// <summary>Allows an http issuer, and only on a loopback address (a test provider): weakens transport security, hence the name.</summary>
    public bool AllowHttpIssuerUnsafe { get; init; }

    /// <summary>How long a dashboard session lasts; not extended by use, so a role removed at the provider takes effect by then.</summary>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The highest role any of the claim's values maps to; null when none does (the sign-in is refused).</summary>
    public GateRole? MapRole(IEnumerable<string> values)
    {
        GateRole? best = null;
        foreach (var v in values)
        {
            GateRole? role = Admins.Contains(v, StringComparer.Ordinal) ? GateRole.Admin
                : Approvers.Contains(v, StringComparer.Ordinal) ? GateRole.Approver
                : Readers.Contains(v, StringComparer.Ordinal) ? GateRole.Reader
                : null;
            if (role is { } r && (best is null || r > best))
            {
                best = r;
            }
        }

        return best;
    }

    /// <summary>Every problem, one line each; <paramref name="publicUrl"/> and <paramref name="listen"/> decide where the browser comes back to.</summary>
    public IReadOnlyList<string> Validate(Uri? publicUrl, string listen)
    {
        var errors = new List<string>();
        if (!Issuer.IsAbsoluteUri || Issuer.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(Issuer.UserInfo) || !string.IsNullOrEmpty(Issuer.Query) || !string.IsNullOrEmpty(Issuer.Fragment))
        {
            errors.Add($"oidc-issuer: '{Issuer}' is not an https URL without credentials, query or fragment");
        }
        else if (Issuer.Scheme == "http" && !AllowHttpIssuerUnsafe)
        {
            errors.Add($"oidc-issuer: '{Issuer}' is not https (an http issuer is allowed only on a loopback address with --oidc-allow-http-issuer-unsafe)");
        }
        else if (Issuer.Scheme == "http" && !IsLoopback(Issuer.Host))
        {
            errors.Add($"oidc-issuer: '{Issuer}' is http and not a loopback address: --oidc-allow-http-issuer-unsafe allows loopback only");
        }
        else if (Issuer.Scheme == "https" && AllowHttpIssuerUnsafe)
        {
            errors.Add("oidc-allow-http-issuer-unsafe: the issuer is https, so there is nothing to allow");
        }

        if (string.IsNullOrWhiteSpace(ClientId) || ClientId.Length > 256 || ClientId.Any(c => c is < '!' or > '~'))
        {
            errors.Add("oidc-client-id: empty, longer than 256 characters, or not printable ASCII");
        }

        if (string.IsNullOrEmpty(ClientSecret) || ClientSecret.Length > 4096 || ClientSecret.Any(c => c is < '!' or > '~'))
        {
            // Never the value: it is a secret.
            errors.Add("oidc-client-secret: empty, longer than 4096 characters, or not printable ASCII");
        }

        if (string.IsNullOrWhiteSpace(RoleClaim) || RoleClaim.Length > 128 || RoleClaim.Any(c => c is < '!' or > '~'))
        {
            errors.Add("oidc-role-claim: empty, longer than 128 characters, or not printable ASCII");
        }

        var all = Readers.Select(v => (v, "reader")).Concat(Approvers.Select(v => (v, "approver"))).Concat(Admins.Select(v => (v, "admin"))).ToList();
        if (all.Count == 0)
        {
            errors.Add("oidc: no claim value maps to a role (--oidc-reader, --oidc-approver, --oidc-admin): nobody could sign in");
        }

        foreach (var (value, role) in all)
        {
            if (string.IsNullOrWhiteSpace(value) || value.Length > 256)
            {
                errors.Add($"oidc-{role}: a value is empty or longer than 256 characters");
            }
        }

        foreach (var twice in all.GroupBy(a => a.v, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"oidc: '{twice.Key}' is mapped more than once ({string.Join(", ", twice.Select(t => t.Item2))})");
        }

        if (SessionLifetime < TimeSpan.FromMinutes(1) || SessionLifetime > TimeSpan.FromHours(12))
        {
            errors.Add("oidc-session-minutes: between 1 and 720");
        }

        // The session cookie is Secure: a browser keeps it only from https or a loopback address.
        var back = publicUrl ?? (GateOptions.TryParseListen(listen, out var ep, out _) && ep is not null ? new Uri($"http://{(ep.Address.Equals(IPAddress.Any) ? "0.0.0.0" : ep.Address.ToString())}/") : null);
        if (back is not null && back.Scheme != "https" && !IsLoopback(back.Host))
        {
            errors.Add($"oidc: the gate is reached over http at '{back.Host}': set --public-url to its https URL (the session cookie is Secure)");
        }

        return errors;
    }

    internal static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host.Trim('[', ']'), out var a) && IPAddress.IsLoopback(a));

    // Records print every property; the client secret must never reach a log.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Issuer = ").Append(Issuer).Append(", ClientId = ").Append(ClientId).Append(", RoleClaim = ").Append(RoleClaim);
        return true;
    }
}
