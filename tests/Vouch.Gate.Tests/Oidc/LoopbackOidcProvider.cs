using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vouch.Tests;

namespace Vouch.Gate.Tests.Oidc;

/// <summary>
/// A minimal OpenID Connect provider on 127.0.0.1 for the gate's sign-in tests: discovery document,
/// JWKS, an authorize endpoint that consents at once as the configured user (code flow, S256 PKCE
/// required), and a token endpoint issuing id tokens signed RS256 or ES256. The JWTs are written
/// here by hand (not with the IdentityModel library the gate validates with), so the gate is checked
/// against an independent encoder. <see cref="Mode"/> tampers with the next id tokens.
/// </summary>
internal sealed class LoopbackOidcProvider : IAsyncDisposable
{
    public const string ClientId = "vouch-dashboard";
    public const string ClientSecret = "client-secret-0123456789abcdef";

    private readonly ConcurrentDictionary<string, Grant> _codes = new(StringComparer.Ordinal);
    private readonly RSA? _rsa;
    private readonly ECDsa? _ec;
    private readonly string _kid = "k" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    private WebApplication? _app;

    private LoopbackOidcProvider(bool ecdsa)
    {
        if (ecdsa)
        {
            _ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        }
        else
        {
            _rsa = RSA.Create(2048);
        }
    }

    public enum Tamper
    {
        None,
        WrongAudience,
        WrongIssuer,
        Expired,
        BadSignature,
        NoNonce,
        WrongNonce,
        AlgNone,
    }

    /// <summary>The issuer (no trailing slash), as the gate is configured with it.</summary>
    public string Issuer { get; private set; } = "";

    public string Algorithm => _ec is null ? "RS256" : "ES256";

    /// <summary>The callback the gate registered; the authorize and token endpoints refuse any other.</summary>
    public string? RedirectUri { get; set; }

    public string Subject { get; set; } = "alice";

    public string[] Groups { get; set; } = ["vouch-approvers"];

    public Tamper Mode { get; set; }

    /// <summary>Id tokens issued (a refused sign-in still got one: the gate, not the provider, refused it).</summary>
    public int TokensIssued;

    /// <summary>The query of the last authorize request (PKCE and nonce are asserted on it).</summary>
    public IQueryCollection? LastAuthorize { get; private set; }

    public static async Task<LoopbackOidcProvider> StartAsync(bool ecdsa = false)
    {
        var provider = new LoopbackOidcProvider(ecdsa);
        var (app, url) = await LoopbackHost.StartAsync(provider.HandleAsync);
        provider._app = app;
        provider.Issuer = url.AbsoluteUri.TrimEnd('/');
        return provider;
    }

    private sealed record Grant(string RedirectUri, string? Nonce, string Challenge, string Subject, string[] Groups);

    private Task HandleAsync(HttpContext ctx) => ctx.Request.Path.Value switch
    {
        "/.well-known/openid-configuration" => JsonAsync(ctx, 200, new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = Issuer + "/authorize",
            ["token_endpoint"] = Issuer + "/token",
            ["jwks_uri"] = Issuer + "/jwks",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { Algorithm },
            ["code_challenge_methods_supported"] = new[] { "S256" },
            ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_post", "client_secret_basic" },
        }),
        "/jwks" => JsonAsync(ctx, 200, new { keys = new[] { Jwk() } }),
        "/authorize" => AuthorizeAsync(ctx),
        "/token" when HttpMethods.IsPost(ctx.Request.Method) => TokenAsync(ctx),
        _ => JsonAsync(ctx, 404, new { error = "not_found" }),
    };

    private Task AuthorizeAsync(HttpContext ctx)
    {
        var q = ctx.Request.Query;
        LastAuthorize = q;
        var redirect = q["redirect_uri"].ToString();
        if (q["client_id"] != ClientId || redirect != RedirectUri)
        {
            return JsonAsync(ctx, 400, new { error = "invalid_request", error_description = "unknown client or redirect_uri" });
        }

        if (q["response_type"] != "code" || !q["scope"].ToString().Split(' ').Contains("openid")
            || q["code_challenge_method"] != "S256" || q["code_challenge"].ToString().Length < 43)
        {
            return JsonAsync(ctx, 400, new { error = "invalid_request", error_description = "code flow with openid scope and S256 PKCE required" });
        }

        var code = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _codes[code] = new Grant(redirect, q["nonce"].Count > 0 ? q["nonce"].ToString() : null, q["code_challenge"].ToString(), Subject, Groups);
        ctx.Response.StatusCode = 302;
        ctx.Response.Headers.Location = $"{redirect}?code={code}&state={Uri.EscapeDataString(q["state"].ToString())}";
        return Task.CompletedTask;
    }

    private async Task TokenAsync(HttpContext ctx)
    {
        var form = await ctx.Request.ReadFormAsync();
        var (id, secret) = ClientCredentials(ctx, form);
        if (id != ClientId || secret != ClientSecret)
        {
            await JsonAsync(ctx, 401, new { error = "invalid_client" });
            return;
        }

        if (form["grant_type"] != "authorization_code" || !_codes.TryRemove(form["code"].ToString(), out var grant) || form["redirect_uri"] != grant.RedirectUri)
        {
            await JsonAsync(ctx, 400, new { error = "invalid_grant" });
            return;
        }

        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString())));
        if (challenge != grant.Challenge)
        {
            await JsonAsync(ctx, 400, new { error = "invalid_grant", error_description = "PKCE verifier does not match" });
            return;
        }

        Interlocked.Increment(ref TokensIssued);
        await JsonAsync(ctx, 200, new
        {
            access_token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            token_type = "Bearer",
            expires_in = 300,
            id_token = IdToken(grant),
        });
    }

    private static (string? Id, string? Secret) ClientCredentials(HttpContext ctx, IFormCollection form)
    {
        var header = ctx.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.Ordinal))
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..])).Split(':', 2);
            return (Uri.UnescapeDataString(pair[0]), pair.Length == 2 ? Uri.UnescapeDataString(pair[1]) : null);
        }

        return (form["client_id"], form["client_secret"]);
    }

    /// <summary>An id token for <paramref name="grant"/>, tampered per <see cref="Mode"/>.</summary>
    private string IdToken(Grant grant)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new Dictionary<string, object>
        {
            ["iss"] = Mode == Tamper.WrongIssuer ? "http://127.0.0.1:1/other-issuer" : Issuer,
            ["sub"] = grant.Subject,
            ["aud"] = Mode == Tamper.WrongAudience ? "another-client" : ClientId,
            ["iat"] = Mode == Tamper.Expired ? now - 7200 : now,
            ["exp"] = Mode == Tamper.Expired ? now - 3600 : now + 300,
            ["groups"] = grant.Groups,
        };
        if (grant.Nonce is { } nonce && Mode != Tamper.NoNonce)
        {
            claims["nonce"] = Mode == Tamper.WrongNonce ? nonce + "x" : nonce;
        }

        var alg = Mode == Tamper.AlgNone ? "none" : Algorithm;
        var header = Base64Url(JsonSerializer.SerializeToUtf8Bytes(new { alg, kid = _kid, typ = "JWT" }));
        var input = header + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(claims));
        if (Mode == Tamper.AlgNone)
        {
            return input + ".";
        }

        return input + "." + Base64Url(Sign(Encoding.ASCII.GetBytes(input), forged: Mode == Tamper.BadSignature));
    }

    private byte[] Sign(byte[] input, bool forged)
    {
        if (_ec is not null)
        {
            // A valid signature by another key under the same kid: only the key check can catch it.
            using var other = forged ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : null;
            return (other ?? _ec).SignData(input, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        }

        using var otherRsa = forged ? RSA.Create(2048) : null;
        return (otherRsa ?? _rsa!).SignData(input, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }

    private object Jwk()
    {
        if (_ec is not null)
        {
            var p = _ec.ExportParameters(false);
            return new { kty = "EC", use = "sig", alg = "ES256", kid = _kid, crv = "P-256", x = Base64Url(p.Q.X!), y = Base64Url(p.Q.Y!) };
        }

        var r = _rsa!.ExportParameters(false);
        return new { kty = "RSA", use = "sig", alg = "RS256", kid = _kid, n = Base64Url(r.Modulus!), e = Base64Url(r.Exponent!) };
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static async Task JsonAsync(HttpContext ctx, int status, object body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.Headers.CacheControl = "no-store";
        await ctx.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(body));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _rsa?.Dispose();
        _ec?.Dispose();
    }
}
