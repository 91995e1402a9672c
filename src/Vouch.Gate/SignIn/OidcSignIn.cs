using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Vouch.Gate.Api;

namespace Vouch.Gate.SignIn;

/// <summary>
/// Issue 19: dashboard sign-in through ASP.NET Core's OpenIdConnect handler (authorization code flow
/// with PKCE, the id token checked for signature, issuer, audience, lifetime and nonce) into a short,
/// Secure, HttpOnly cookie session. Only dashboard pages and the dashboard's grant/deny calls accept a
/// session, and those calls also need the page's anti-forgery token; every other API route keeps
/// taking bearer tokens only.
/// </summary>
internal static class OidcSignIn
{
    public const string CookieScheme = "vouch-session";
    public const string OidcScheme = "vouch-oidc";
    public const string CallbackPath = "/-/vouch/oidc/callback";
    public const string SignInPath = "/-/vouch/signin";
    public const string SignOutPath = "/-/vouch/signout";
    public const string CsrfHeader = "X-Vouch-Csrf";
    public const string CsrfField = "csrf";

    private const string IdentityType = "vouch-oidc";
    private const string NameClaim = "vouch_name";
    private const string RoleClaim = "vouch_role";

    // Asymmetric algorithms only: an HMAC "signed" with the provider's public key, or "none", is refused.
    private static readonly string[] Algorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    /// <summary>Registers cookie and OpenID Connect authentication and anti-forgery with the web host's services.</summary>
    public static void AddServices(IServiceCollection services, GateOidcOptions oidc, string dataDirectory, bool httpsPublicUrl, Func<Uri?> publicUrl, TimeProvider time, TextWriter? log)
    {
        // Session cookies and anti-forgery tokens are protected with keys kept beside the gate's data,
        // so a restart does not sign everyone out.
        services.AddDataProtection().SetApplicationName("vouch-gate").PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(dataDirectory, "keys")));
        services.AddAntiforgery(o =>
        {
            o.HeaderName = CsrfHeader;
            o.FormFieldName = CsrfField;
            o.Cookie.Name = "vouch_csrf";
            o.Cookie.Path = "/-/vouch";
            // Antiforgery refuses to run over plain http with Always; plain http is allowed only on a
            // loopback address (GateOidcOptions.Validate), where the token cookie follows the request.
            o.Cookie.SecurePolicy = httpsPublicUrl ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
        });
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = CookieScheme;
                o.DefaultChallengeScheme = OidcScheme;
            })
            .AddCookie(CookieScheme, c =>
            {
                c.Cookie.Name = "vouch_session";
                c.Cookie.Path = "/-/vouch";
                c.Cookie.HttpOnly = true;
                c.Cookie.SecurePolicy = CookieSecurePolicy.Always;
                // Lax, not Strict: the cookie is set at the end of a redirect chain that began at the
                // provider, and Strict would withhold it from the dashboard page that chain lands on.
                // State changes are guarded by the anti-forgery token instead.
                c.Cookie.SameSite = SameSiteMode.Lax;
                c.ExpireTimeSpan = oidc.SessionLifetime;
                c.TimeProvider = time;
                c.SlidingExpiration = false;
                c.Events.OnRedirectToLogin = ctx => GateJson.ErrorAsync(ctx.HttpContext, 401, GateCodes.Unauthorized, "sign in at " + SignInPath);
                c.Events.OnRedirectToAccessDenied = ctx => GateJson.ErrorAsync(ctx.HttpContext, 403, GateCodes.Forbidden, "not allowed");
            })
            .AddOpenIdConnect(OidcScheme, o =>
            {
                var issuer = oidc.Issuer.OriginalString;
                o.Authority = issuer;
                o.ClientId = oidc.ClientId;
                o.ClientSecret = oidc.ClientSecret;
                o.ResponseType = OpenIdConnectResponseType.Code;
                o.ResponseMode = OpenIdConnectResponseMode.Query;
                o.UsePkce = true;
                o.RequireHttpsMetadata = !oidc.AllowHttpIssuerUnsafe;
                o.CallbackPath = CallbackPath;
                o.SignedOutCallbackPath = "/-/vouch/oidc/signed-out";
                o.RemoteSignOutPath = "/-/vouch/oidc/remote-signout";
                o.SignInScheme = CookieScheme;
                o.SaveTokens = false;
                o.GetClaimsFromUserInfoEndpoint = false;
                o.MapInboundClaims = false;
                o.Scope.Clear();
                o.Scope.Add("openid");
                o.Scope.Add("profile");
                o.ProtocolValidator.RequireNonce = true;
                o.CorrelationCookie.SecurePolicy = CookieSecurePolicy.Always;
                o.CorrelationCookie.SameSite = SameSiteMode.Lax;
                o.NonceCookie.SecurePolicy = CookieSecurePolicy.Always;
                o.NonceCookie.SameSite = SameSiteMode.Lax;
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    // The configured issuer, not whatever the discovery document claims to be.
                    ValidIssuer = issuer,
                    ValidAudience = oidc.ClientId,
                    ValidAlgorithms = Algorithms,
                    RequireExpirationTime = true,
                    RequireSignedTokens = true,
                    ClockSkew = TimeSpan.FromMinutes(1),
                    NameClaimType = "sub",
                };
                o.Events.OnRedirectToIdentityProvider = ctx =>
                {
                    // Built from the configured public URL (behind a reverse proxy the request's own Host may not be it).
                    if (publicUrl() is { } url)
                    {
                        ctx.ProtocolMessage.RedirectUri = new Uri(url, CallbackPath[1..]).AbsoluteUri;
                    }

                    return Task.CompletedTask;
                };
                o.Events.OnTokenResponseReceived = ctx =>
                {
                    // The handler does not require a signature on an id token from the token endpoint (the
                    // spec lets TLS stand in for it), so an unsigned "alg":"none" token would be accepted.
                    // The gate requires one of the asymmetric algorithms on every id token.
                    if (!SignedWithAllowedAlgorithm(ctx.TokenEndpointResponse.IdToken))
                    {
                        ctx.Fail(new OidcRefusalException("algorithm", "the id token is not signed with an allowed asymmetric algorithm"));
                    }

                    return Task.CompletedTask;
                };
                o.Events.OnTokenValidated = ctx =>
                {
                    var principal = ctx.Principal!;
                    var sub = principal.FindFirst("sub")?.Value;
                    if (sub is null || sub.Length is 0 or > 255 || sub.Any(c => c is < '!' or > '~'))
                    {
                        ctx.Fail(new OidcRefusalException("subject", "the id token has no usable 'sub' claim"));
                        return Task.CompletedTask;
                    }

                    if (oidc.MapRole(principal.FindAll(oidc.RoleClaim).Select(c => c.Value)) is not { } role)
                    {
                        ctx.Fail(new OidcRefusalException("no-role", $"no value of claim '{oidc.RoleClaim}' maps to a role"));
                        return Task.CompletedTask;
                    }

                    // Names compare for four eyes: the provider's stable subject, marked so no API token name can equal it.
                    var identity = new ClaimsIdentity(
                        [new Claim("sub", sub), new Claim(NameClaim, "oidc:" + sub), new Claim(RoleClaim, role.ToString().ToLowerInvariant())],
                        IdentityType, NameClaim, RoleClaim);
                    ctx.Principal = new ClaimsPrincipal(identity);
                    return Task.CompletedTask;
                };
                o.Events.OnRemoteFailure = async ctx =>
                {
                    ctx.HandleResponse();
                    var (status, code, reason) = Classify(ctx.Failure);
                    log?.WriteLine($"vouch gate: oidc sign-in refused ({reason}): {ctx.Failure?.GetType().Name}: {ctx.Failure?.Message}");
                    ctx.Response.Headers.CacheControl = "no-store";
                    await GateJson.WriteAsync(ctx.HttpContext, status, new { error = $"sign-in refused: {reason}", code, reason }).ConfigureAwait(false);
                };
            });
    }

    /// <summary>Whether a compact JWS names an allowed algorithm in its header and carries a signature.</summary>
    internal static bool SignedWithAllowedAlgorithm(string? jwt)
    {
        if (string.IsNullOrEmpty(jwt) || jwt.Length > 64 * 1024)
        {
            return false;
        }

        var parts = jwt.Split('.');
        if (parts.Length != 3 || parts[2].Length == 0)
        {
            return false;
        }

        try
        {
            return Algorithms.Contains(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(jwt).Alg, StringComparer.Ordinal);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenException or FormatException or System.Text.Json.JsonException)
        {
            return false;
        }
    }

    /// <summary>Authentication for <c>/-/vouch</c> requests, and the sign-in and sign-out endpoints.</summary>
    public static void Use(WebApplication app, Func<Uri?> publicUrl, TextWriter? log)
    {
        app.Use((ctx, next) =>
        {
            // TLS ends at the reverse proxy in front: an https public URL is what the browser sees.
            if (publicUrl() is { Scheme: "https" })
            {
                ctx.Request.Scheme = "https";
            }

            return next(ctx);
        });
        app.UseAuthentication();

        string Dashboard() => publicUrl() is { } url ? new Uri(url, "-/vouch/dashboard").AbsoluteUri : "/-/vouch/dashboard";

        app.MapGet(SignInPath, async ctx =>
        {
            if (Session(ctx) is not null)
            {
                ctx.Response.Redirect(Dashboard());
                return;
            }

            try
            {
                await ctx.ChallengeAsync(OidcScheme, new AuthenticationProperties { RedirectUri = Dashboard() }).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException or OperationCanceledException && !ctx.RequestAborted.IsCancellationRequested)
            {
                // The discovery document or keys could not be read (IDX20803).
                log?.WriteLine($"vouch gate: oidc provider unavailable: {e.GetType().Name}: {e.Message}");
                await GateJson.ErrorAsync(ctx, 502, GateCodes.OidcUnavailable, "the identity provider could not be reached").ConfigureAwait(false);
            }
        });
        app.MapPost(SignOutPath, async ctx =>
        {
            if (!await ValidCsrfAsync(ctx).ConfigureAwait(false))
            {
                await GateJson.ErrorAsync(ctx, 403, GateCodes.Csrf, "the anti-forgery token is missing or wrong: sign out from the dashboard page").ConfigureAwait(false);
                return;
            }

            await ctx.SignOutAsync(CookieScheme).ConfigureAwait(false);
            ctx.Response.StatusCode = 303;
            ctx.Response.Headers.Location = Dashboard();
        });
    }

    /// <summary>The signed-in dashboard user of this request, or null (no session, or OIDC not configured).</summary>
    public static GateToken? Session(HttpContext ctx)
    {
        if (ctx.User.Identity is ClaimsIdentity { IsAuthenticated: true, AuthenticationType: IdentityType } id
            && id.FindFirst(NameClaim)?.Value is { } name
            && GateToken.TryParseRole(id.FindFirst(RoleClaim)?.Value ?? "", out var role)
            && role >= GateRole.Reader)
        {
            return GateToken.ForSession(name, role);
        }

        return null;
    }

    /// <summary>The anti-forgery token for the page a session user is shown (sets its cookie); null without OIDC.</summary>
    public static string? CsrfToken(HttpContext ctx) => ctx.RequestServices.GetService<IAntiforgery>()?.GetAndStoreTokens(ctx).RequestToken;

    /// <summary>Whether the request carries the page's anti-forgery token (header or form field) matching its cookie and user.</summary>
    public static async Task<bool> ValidCsrfAsync(HttpContext ctx)
    {
        if (ctx.RequestServices.GetService<IAntiforgery>() is not { } antiforgery)
        {
            return false;
        }

        try
        {
            return await antiforgery.IsRequestValidAsync(ctx).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AntiforgeryValidationException or InvalidOperationException or BadHttpRequestException or IOException)
        {
            return false;
        }
    }

    /// <summary>Why a sign-in failed, as a fixed word (logged and returned; never the provider's text).</summary>
    internal static (int Status, string Code, string Reason) Classify(Exception? failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case OidcRefusalException { Reason: "no-role" }:
                    return (403, GateCodes.OidcNoRole, "no-role");
                case OidcRefusalException r:
                    return (403, GateCodes.OidcRefused, r.Reason);
                case SecurityTokenInvalidAudienceException:
                    return (403, GateCodes.OidcRefused, "audience");
                case SecurityTokenInvalidIssuerException:
                    return (403, GateCodes.OidcRefused, "issuer");
                case SecurityTokenExpiredException or SecurityTokenNoExpirationException:
                    return (403, GateCodes.OidcRefused, "expired");
                case SecurityTokenNotYetValidException:
                    return (403, GateCodes.OidcRefused, "not-yet-valid");
                case SecurityTokenInvalidAlgorithmException:
                    return (403, GateCodes.OidcRefused, "algorithm");
                case SecurityTokenInvalidSignatureException:
                    return (403, GateCodes.OidcRefused, "signature");
                case OpenIdConnectProtocolInvalidNonceException:
                    return (403, GateCodes.OidcRefused, "nonce");
                case HttpRequestException or IOException:
                    return (502, GateCodes.OidcUnavailable, "unavailable");
            }
        }

        return (403, GateCodes.OidcRefused, "protocol");
    }
}

/// <summary>A sign-in the gate itself refuses after the provider's token checked out (no subject, no mapped role).</summary>
internal sealed class OidcRefusalException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}
