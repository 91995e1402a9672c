using System.CommandLine;
using Vouch.Gate.SignIn;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch serve`'s OpenID Connect sign-in options (issue 19), declared once and bound to
/// <see cref="GateOidcOptions"/>. The client secret comes from a file or $VOUCH_OIDC_CLIENT_SECRET,
/// never an option value (it would show in `ps`), and is never printed.
/// </summary>
internal sealed class OidcArguments
{
    public const string SecretVariable = "VOUCH_OIDC_CLIENT_SECRET";

    public Option<string?> Issuer { get; } = new("--oidc-issuer") { Description = "OpenID Connect issuer URL for dashboard sign-in (https; its discovery document is read at sign-in). API tokens keep working." };

    public Option<string?> ClientId { get; } = new("--oidc-client-id") { Description = "The gate's client id at the issuer (redirect URI: <public-url>/-/vouch/oidc/callback)." };

    public Option<string?> ClientSecretFile { get; } = new("--oidc-client-secret-file") { Description = $"File holding the client secret (default: ${SecretVariable}). Never on the command line." };

    public Option<string?> RoleClaim { get; } = new("--oidc-role-claim") { Description = "The id token claim whose values map to roles (default: groups)." };

    public Option<string[]> Readers { get; } = new("--oidc-reader") { Description = "A claim value that makes its holder a reader (repeatable)." };

    public Option<string[]> Approvers { get; } = new("--oidc-approver") { Description = "A claim value that makes its holder an approver (repeatable)." };

    public Option<string[]> Admins { get; } = new("--oidc-admin") { Description = "A claim value that makes its holder an admin (repeatable)." };

    public Option<int?> SessionMinutes { get; } = new("--oidc-session-minutes") { Description = "Dashboard session lifetime in minutes, not extended by use (default 60, at most 720)." };

    public Option<bool> AllowHttpIssuerUnsafe { get; } = new("--oidc-allow-http-issuer-unsafe") { Description = "Allow an http issuer on a loopback address (a local test provider). Refused for any other host." };

    public IEnumerable<Option> All => [Issuer, ClientId, ClientSecretFile, RoleClaim, Readers, Approvers, Admins, SessionMinutes, AllowHttpIssuerUnsafe];

    /// <summary>The sign-in configuration, or null without <c>--oidc-issuer</c>; the rest is validated with the gate's options.</summary>
    public GateOidcOptions? Bind(ParseResult parse, Func<string, string, string> readSmallFile)
    {
        if (parse.GetValue(Issuer) is not { } issuerText)
        {
            var stray = All.Skip(1).FirstOrDefault(o => parse.GetResult(o) is { Implicit: false });
            return stray is null ? null : throw new UsageException($"{stray.Name}: only with --oidc-issuer");
        }

        if (!Uri.TryCreate(issuerText, UriKind.Absolute, out var issuer))
        {
            throw new UsageException($"--oidc-issuer: '{issuerText}' is not a URL");
        }

        var clientId = parse.GetValue(ClientId) ?? throw new UsageException("--oidc-issuer: --oidc-client-id is required");
        var secret = parse.GetValue(ClientSecretFile) is { } file
            ? readSmallFile(file, "--oidc-client-secret-file").Trim()
            : Environment.GetEnvironmentVariable(SecretVariable)?.Trim();
        if (string.IsNullOrEmpty(secret))
        {
            throw new UsageException($"--oidc-issuer: the client secret is missing: --oidc-client-secret-file FILE or ${SecretVariable}");
        }

        return new GateOidcOptions
        {
            Issuer = issuer,
            ClientId = clientId,
            ClientSecret = secret,
            RoleClaim = parse.GetValue(RoleClaim) ?? "groups",
            Readers = parse.GetValue(Readers) ?? [],
            Approvers = parse.GetValue(Approvers) ?? [],
            Admins = parse.GetValue(Admins) ?? [],
            SessionLifetime = TimeSpan.FromMinutes(parse.GetValue(SessionMinutes) ?? 60),
            AllowHttpIssuerUnsafe = parse.GetValue(AllowHttpIssuerUnsafe),
        };
    }
}
