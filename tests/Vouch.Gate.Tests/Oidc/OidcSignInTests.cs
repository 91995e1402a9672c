using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vouch.Gate.SignIn;

namespace Vouch.Gate.Tests.Oidc;

/// <summary>Issue 19: dashboard sign-in through OpenID Connect against <see cref="LoopbackOidcProvider"/>.</summary>
public partial class OidcSignInTests
{
    internal static GateOidcOptions Options(LoopbackOidcProvider provider) => new()
    {
        Issuer = new Uri(provider.Issuer),
        ClientId = LoopbackOidcProvider.ClientId,
        ClientSecret = LoopbackOidcProvider.ClientSecret,
        RoleClaim = "groups",
        Readers = ["vouch-readers"],
        Approvers = ["vouch-approvers"],
        Admins = ["vouch-admins"],
        AllowHttpIssuerUnsafe = true,
    };

    internal static readonly TextWriter Log = TextWriter.Synchronized(new StreamWriter(Console.OpenStandardError()) { AutoFlush = true });

    internal static async Task<(GateFixture Gate, LoopbackOidcProvider Provider)> StartAsync(bool ecdsa = false, TimeProvider? time = null)
    {
        var provider = await LoopbackOidcProvider.StartAsync(ecdsa);
        var gate = await GateFixture.StartAsync(u => u.AddVersion("sigstore", "1.0.1", "2023-03-01T00:00:00.000Z"), o => o with { Oidc = Options(provider) }, time: time, dependencies: GateFixture.Dependencies() with { Log = Log });
        provider.RedirectUri = new Uri(gate.Host.Url, "-/vouch/oidc/callback").AbsoluteUri;
        return (gate, provider);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SignIn_WhenGroupMapsToApprover_SessionIsApproverWithSecureCookie(bool ecdsa)
    {
        var (gate, provider) = await StartAsync(ecdsa);
        await using var _ = gate;
        await using var __ = provider;

        var browser = new CookieBrowser(gate);
        var final = await browser.SignInAsync(provider);

        Assert.Equal(HttpStatusCode.Redirect, final.Status);
        Assert.Equal(new Uri(gate.Host.Url, "-/vouch/dashboard").AbsoluteUri, final.Location);
        Assert.Equal("S256", provider.LastAuthorize!["code_challenge_method"]);
        Assert.False(string.IsNullOrEmpty(provider.LastAuthorize!["nonce"]));
        Assert.Equal(1, provider.TokensIssued);
        var session = Assert.Single(browser.SetCookies, c => c.StartsWith("vouch_session=", StringComparison.Ordinal));
        Assert.Contains("; secure", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; httponly", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; samesite=lax", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("; path=/-/vouch", session, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("expires=", session, StringComparison.OrdinalIgnoreCase);

        var html = await browser.GetStringAsync("-/vouch/dashboard");
        Assert.Contains("<b id=\"who\">oidc:alice</b> (approver)", html, StringComparison.Ordinal);
        Assert.Contains("name=\"vouch-csrf\"", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "vouch-readers" }, "reader")]
    [InlineData(new[] { "vouch-approvers" }, "approver")]
    [InlineData(new[] { "vouch-readers", "vouch-admins", "unrelated" }, "admin")]
    public async Task SignIn_WhenGroupsGiven_MapsToHighestRole(string[] groups, string role)
    {
        var (gate, provider) = await StartAsync();
        await using var _ = gate;
        await using var __ = provider;
        provider.Groups = groups;

        var browser = new CookieBrowser(gate);
        var final = await browser.SignInAsync(provider);

        Assert.Equal(HttpStatusCode.Redirect, final.Status);
        Assert.Contains($"<b id=\"who\">oidc:alice</b> ({role})", await browser.GetStringAsync("-/vouch/dashboard"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignIn_WhenNoGroupMaps_IsRefusedWithNoRole()
    {
        var (gate, provider) = await StartAsync();
        await using var _ = gate;
        await using var __ = provider;
        provider.Groups = ["vouch-approvers-not", "VOUCH-ADMINS"];

        var browser = new CookieBrowser(gate);
        var final = await browser.SignInAsync(provider);

        Assert.Equal(HttpStatusCode.Forbidden, final.Status);
        Assert.Equal(GateCodes.OidcNoRole, (string)JsonNode.Parse(final.Body)!["code"]!);
        Assert.DoesNotContain(browser.SetCookies, c => c.StartsWith("vouch_session=", StringComparison.Ordinal));
        Assert.Contains("id=\"oidc-signin\"", await browser.GetStringAsync("-/vouch/dashboard"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(LoopbackOidcProvider.Tamper.WrongAudience), "audience")]
    [InlineData(nameof(LoopbackOidcProvider.Tamper.WrongIssuer), "issuer")]
    [InlineData(nameof(LoopbackOidcProvider.Tamper.Expired), "expired")]
    [InlineData(nameof(LoopbackOidcProvider.Tamper.BadSignature), "signature")]
    [InlineData(nameof(LoopbackOidcProvider.Tamper.NoNonce), "nonce")]
    [InlineData(nameof(LoopbackOidcProvider.Tamper.WrongNonce), "nonce")]
    [InlineData(nameof(LoopbackOidcProvider.Tamper.AlgNone), "algorithm")]
    public async Task SignIn_WhenIdTokenTampered_IsRefusedForThatReason(string tamper, string reason)
    {
        var (gate, provider) = await StartAsync();
        await using var _ = gate;
        await using var __ = provider;
        provider.Mode = Enum.Parse<LoopbackOidcProvider.Tamper>(tamper);

        var browser = new CookieBrowser(gate);
        var final = await browser.SignInAsync(provider);

        // The provider issued a token; the gate refused it, for the reason this tampering causes.
        Assert.Equal(1, provider.TokensIssued);
        Assert.True(final.Status == HttpStatusCode.Forbidden, $"{(int)final.Status}: {final.Body}");
        var body = JsonNode.Parse(final.Body)!;
        Assert.Equal(GateCodes.OidcRefused, (string)body["code"]!);
        Assert.Equal(reason, (string)body["reason"]!);
        Assert.DoesNotContain(browser.SetCookies, c => c.StartsWith("vouch_session=", StringComparison.Ordinal));
        var html = await browser.GetStringAsync("-/vouch/dashboard");
        Assert.DoesNotContain("id=\"who\"", html, StringComparison.Ordinal);

        // Control: the same gate, provider and client sign in once the token is honest again.
        provider.Mode = LoopbackOidcProvider.Tamper.None;
        var again = await new CookieBrowser(gate).SignInAsync(provider);
        Assert.Equal(HttpStatusCode.Redirect, again.Status);
    }

    [Fact]
    public async Task Grant_WhenSessionApproverSendsCsrfToken_DecidesAsOidcIdentity()
    {
        var (gate, provider) = await StartAsync();
        await using var _ = gate;
        await using var __ = provider;
        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade" }, 201);
        var id = (long)request["id"]!;
        var browser = new CookieBrowser(gate);
        await browser.SignInAsync(provider);
        var csrf = Csrf(await browser.GetStringAsync("-/vouch/dashboard"));

        // Without the token (what a cross-site form or fetch riding on the cookie would send): refused.
        var noToken = await browser.PostJsonAsync($"-/vouch/v1/approvals/{id}/grant", new { reason = "ok" }, csrf: null);
        Assert.Equal(HttpStatusCode.Forbidden, noToken.Status);
        Assert.Equal(GateCodes.Csrf, (string)JsonNode.Parse(noToken.Body)!["code"]!);
        var wrongToken = await browser.PostJsonAsync($"-/vouch/v1/approvals/{id}/grant", new { reason = "ok" }, csrf: csrf[..^2] + (csrf[^2] == 'A' ? "B" : "A") + csrf[^1]);
        Assert.Equal(GateCodes.Csrf, (string)JsonNode.Parse(wrongToken.Body)!["code"]!);

        var granted = await browser.PostJsonAsync($"-/vouch/v1/approvals/{id}/grant", new { reason = "ok" }, csrf);
        Assert.True(granted.Status == HttpStatusCode.OK, granted.Body);
        var decided = JsonNode.Parse(granted.Body)!;
        Assert.Equal("granted", (string)decided["status"]!);
        Assert.Equal("oidc:alice", (string)decided["decidedBy"]!);
    }

    [Fact]
    public async Task Grant_WhenSessionIsReader_IsForbidden()
    {
        var (gate, provider) = await StartAsync();
        await using var _ = gate;
        await using var __ = provider;
        provider.Groups = ["vouch-readers"];
        var request = await gate.JsonAsync(HttpMethod.Post, "-/vouch/v1/approvals", GateFixture.ReaderToken, new { name = "sigstore", version = "1.0.1", rule = "trust-downgrade" }, 201);
        var browser = new CookieBrowser(gate);
        await browser.SignInAsync(provider);
        var html = await browser.GetStringAsync("-/vouch/dashboard");
        Assert.DoesNotContain("class=\"grant\"", html, StringComparison.Ordinal);

        var denied = await browser.PostJsonAsync($"-/vouch/v1/approvals/{(long)request["id"]!}/grant", new { reason = "me" }, Csrf(html));

        Assert.Equal(HttpStatusCode.Forbidden, denied.Status);
        Assert.Equal(GateCodes.Forbidden, (string)JsonNode.Parse(denied.Body)!["code"]!);
        var pending = (await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/approvals?status=pending", GateFixture.ReaderToken))["approvals"]!.AsArray();
        Assert.Single(pending);
    }

    [Fact]
    public async Task Api_WhenOnlySessionCookie_StillNeedsBearerToken()
    {
        var (gate, provider) = await StartAsync();
        await using var _ = gate;
        await using var __ = provider;
        provider.Groups = ["vouch-admins"];
        var browser = new CookieBrowser(gate);
        await browser.SignInAsync(provider);

        var list = await browser.SendAsync(HttpMethod.Get, "-/vouch/v1/approvals");
        Assert.Equal(HttpStatusCode.Unauthorized, list.Status);

        // Machines keep their tokens with OIDC on.
        await gate.JsonAsync(HttpMethod.Get, "-/vouch/v1/approvals", GateFixture.ReaderToken);
        Assert.Contains("<b id=\"who\">rita</b>", await (await gate.SendAsync(HttpMethod.Get, "-/vouch/dashboard", GateFixture.ReaderToken)).Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SignOut_WhenCsrfTokenPosted_EndsSessionAndWithoutItIsRefused()
    {
        var (gate, provider) = await StartAsync();
        await using var _ = gate;
        await using var __ = provider;
        var browser = new CookieBrowser(gate);
        await browser.SignInAsync(provider);
        var csrf = Csrf(await browser.GetStringAsync("-/vouch/dashboard"));

        var forged = await browser.PostFormAsync("-/vouch/signout", "csrf=nope");
        Assert.Equal(HttpStatusCode.Forbidden, forged.Status);
        Assert.Contains("id=\"who\"", await browser.GetStringAsync("-/vouch/dashboard"), StringComparison.Ordinal);

        var signedOut = await browser.PostFormAsync("-/vouch/signout", "csrf=" + Uri.EscapeDataString(csrf));
        Assert.Equal(HttpStatusCode.SeeOther, signedOut.Status);
        Assert.DoesNotContain("id=\"who\"", await browser.GetStringAsync("-/vouch/dashboard"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Session_WhenLifetimePassed_IsSignedOutAndUseDoesNotExtendIt()
    {
        var time = new ShiftedTime();
        var (gate, provider) = await StartAsync(time: time);
        await using var _ = gate;
        await using var __ = provider;
        var browser = new CookieBrowser(gate);
        await browser.SignInAsync(provider);

        time.Shift = TimeSpan.FromMinutes(59);
        Assert.Contains("id=\"who\"", await browser.GetStringAsync("-/vouch/dashboard"), StringComparison.Ordinal);
        time.Shift = TimeSpan.FromMinutes(61);
        Assert.DoesNotContain("id=\"who\"", await browser.GetStringAsync("-/vouch/dashboard"), StringComparison.Ordinal);
    }

    /// <summary>The system clock, moved forward on demand.</summary>
    private sealed class ShiftedTime : TimeProvider
    {
        public TimeSpan Shift { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Shift;
    }

    [Fact]
    public async Task SignIn_WhenProviderDown_Is502NotA500()
    {
        var (gate, provider) = await StartAsync();
        await using var _ = gate;
        await provider.DisposeAsync();

        var r = await new CookieBrowser(gate).SendAsync(HttpMethod.Get, "-/vouch/signin");

        Assert.Equal(HttpStatusCode.BadGateway, r.Status);
        Assert.Equal(GateCodes.OidcUnavailable, (string)JsonNode.Parse(r.Body)!["code"]!);
    }

    [Fact]
    public async Task Callback_WhenForgedWithoutSignInStarted_IsRefused()
    {
        var (gate, provider) = await StartAsync();
        await using var _ = gate;
        await using var __ = provider;

        var r = await new CookieBrowser(gate).SendAsync(HttpMethod.Get, "-/vouch/oidc/callback?code=abc&state=xyz");

        Assert.Equal(HttpStatusCode.Forbidden, r.Status);
        Assert.Equal(GateCodes.OidcRefused, (string)JsonNode.Parse(r.Body)!["code"]!);
        Assert.Equal(0, provider.TokensIssued);
    }

    internal static string Csrf(string html) => WebUtility.HtmlDecode(CsrfMeta().Match(html) is { Success: true } m ? m.Groups[1].Value : throw new InvalidOperationException("no csrf meta in the page"));

    [GeneratedRegex("<meta name=\"vouch-csrf\" content=\"([^\"]+)\">")]
    private static partial Regex CsrfMeta();
}

/// <summary>
/// Follows the sign-in redirects as a browser would, keeping cookies by hand: .NET's CookieContainer
/// (rightly) does not send Secure cookies over http, and the test gate is plain http on loopback.
/// </summary>
internal sealed class CookieBrowser(GateFixture gate)
{
    private readonly Dictionary<string, string> _cookies = new(StringComparer.Ordinal);
    private readonly HttpClient _http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false });

    public List<string> SetCookies { get; } = [];

    public sealed record Answer(HttpStatusCode Status, string? Location, string Body);

    /// <summary>Gate sign-in → provider authorize → gate callback; the answer of the callback.</summary>
    public async Task<Answer> SignInAsync(LoopbackOidcProvider provider)
    {
        var start = await SendAsync(HttpMethod.Get, "-/vouch/signin");
        Assert.True(start.Status == HttpStatusCode.Redirect, $"sign-in start: {(int)start.Status} {start.Body}");
        Assert.StartsWith(provider.Issuer + "/authorize?", start.Location, StringComparison.Ordinal);
        using var authorize = await _http.GetAsync(start.Location);
        Assert.Equal(HttpStatusCode.Redirect, authorize.StatusCode);
        var callback = authorize.Headers.Location!.AbsoluteUri;
        Assert.StartsWith(gate.Host.Url.AbsoluteUri, callback, StringComparison.Ordinal);
        return await SendAsync(HttpMethod.Get, callback[gate.Host.Url.AbsoluteUri.Length..]);
    }

    public async Task<string> GetStringAsync(string path)
    {
        var r = await SendAsync(HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.OK, r.Status);
        return r.Body;
    }

    public Task<Answer> PostJsonAsync(string path, object body, string? csrf) =>
        SendAsync(HttpMethod.Post, path, new StringContent(System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"), csrf);

    public Task<Answer> PostFormAsync(string path, string form) =>
        SendAsync(HttpMethod.Post, path, new StringContent(form, Encoding.UTF8, "application/x-www-form-urlencoded"));

    public async Task<Answer> SendAsync(HttpMethod method, string path, HttpContent? content = null, string? csrf = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(gate.Host.Url, path)) { Content = content };
        if (_cookies.Count > 0)
        {
            request.Headers.TryAddWithoutValidation("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
        }

        if (csrf is not null)
        {
            request.Headers.TryAddWithoutValidation(OidcSignIn.CsrfHeader, csrf);
        }

        using var response = await _http.SendAsync(request);
        if (response.Headers.TryGetValues("Set-Cookie", out var set))
        {
            foreach (var c in set)
            {
                SetCookies.Add(c);
                var pair = c.Split(';')[0].Split('=', 2);
                if (c.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase))
                {
                    _cookies.Remove(pair[0]);
                }
                else
                {
                    _cookies[pair[0]] = pair[1];
                }
            }
        }

        return new Answer(response.StatusCode, response.Headers.Location?.ToString(), await response.Content.ReadAsStringAsync());
    }
}
