using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Vouch.Gate.Api;

/// <summary>Bearer tokens with roles. Presented tokens are hashed and compared with every known hash in constant time.</summary>
internal sealed class GateAuth(IReadOnlyList<GateToken> tokens)
{
    public const string CookieName = "vouch_token";

    /// <summary>The token of the request: <c>Authorization: Bearer</c>, or (only when <paramref name="allowCookie"/>, for dashboard pages) the dashboard cookie.</summary>
    public GateToken? Authenticate(HttpContext ctx, bool allowCookie)
    {
        string? secret = null;
        var header = ctx.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            secret = header[7..].Trim();
        }
        else if (allowCookie && ctx.Request.Cookies.TryGetValue(CookieName, out var cookie))
        {
            secret = Uri.UnescapeDataString(cookie);
        }

        var found = secret is null || secret.Length > 4096 ? null : Find(secret);

        // Issue 19: a dashboard page also takes an OpenID Connect session (never when a bearer token was sent).
        return found ?? (allowCookie && header.Length == 0 ? SignIn.OidcSignIn.Session(ctx) : null);
    }

    public GateToken? Find(string secret)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
        GateToken? match = null;
        foreach (var t in tokens)
        {
            // No early exit: the time taken does not depend on which token (if any) matched.
            if (CryptographicOperations.FixedTimeEquals(hash, t.Hash))
            {
                match = t;
            }
        }

        return match;
    }
}
