using Vouch.Gate.Api;
using Vouch.Gate.Upstream;

namespace Vouch.Gate.Tests;

public class GatePathTests
{
    [Theory]
    [InlineData("/", "Root", null, null, null)]
    [InlineData("/plain", "Packument", "plain", null, null)]
    [InlineData("/@scope%2fname", "Packument", "@scope/name", null, null)]
    [InlineData("/@scope%2Fname", "Packument", "@scope/name", null, null)]
    [InlineData("/@scope/name", "Packument", "@scope/name", null, null)]
    [InlineData("/@scope/name?write=true", "Packument", "@scope/name", null, null)]
    [InlineData("/plain/1.0.0", "Version", "plain", "1.0.0", null)]
    [InlineData("/plain/latest", "Version", "plain", "latest", null)]
    [InlineData("/@scope/name/-/name-1.0.0.tgz", "Tarball", "@scope/name", null, "name-1.0.0.tgz")]
    [InlineData("/-/npm/v1/attestations/@scope%2fname@1.2.3", "Attestations", "@scope/name", "1.2.3", null)]
    [InlineData("/-/npm/v1/attestations/plain@1.2.3-rc.1", "Attestations", "plain", "1.2.3-rc.1", null)]
    [InlineData("/-/vouch/v1/verify/@scope/name/1.0.0", "Vouch", "@scope/name", "1.0.0", null)]
    [InlineData("/-/ping", "Ping", null, null, null)]
    [InlineData("/-/npm/v1/keys", "Keys", null, null, null)]
    [InlineData("/-/whatever", "Unknown", null, null, null)]
    public void TryParse_WhenPathIsWellFormed_GivesTypedValues(string target, string kind, string? name, string? version, string? file)
    {
        Assert.True(GatePath.TryParse(target, out var route, out var error), error);
        Assert.Equal(Enum.Parse<RouteKind>(kind), route.Kind);
        Assert.Equal(name, route.Name);
        Assert.Equal(version, route.Version);
        Assert.Equal(file, route.File);
    }

    [Theory]
    [InlineData("/-/npm/v1/attestations/..%2f..%2f..%2f..%2f@lottiefiles%2flottie-player%2f-%2flottie-player-2.0.5.tgz")]
    [InlineData("/-/npm/v1/attestations/..%252f..%252f@lottiefiles%252flottie-player")]
    [InlineData("/-/npm/v1/attestations/%2e%2e/x@1.0.0")]
    [InlineData("/-/npm/v1/attestations/plain@latest")]
    [InlineData("/-/npm/v1/attestations/plain@1.0.0%2f..%2f..%2fx")]
    [InlineData("/plain/../secret")]
    [InlineData("/plain/./1.0.0")]
    [InlineData("/plain//1.0.0")]
    [InlineData("/plain%5c..%5cx")]
    [InlineData("/plain\\x")]
    [InlineData("/plain%00")]
    [InlineData("/plain%0a")]
    [InlineData("/plain%ff")]
    [InlineData("/plain%c0%ae%c0%ae")]
    [InlineData("/plain%2")]
    [InlineData("/plain%zz")]
    [InlineData("/plain/-/.hidden.tgz")]
    [InlineData("/plain/-/x.tgz/more")]
    [InlineData("/plain/-/x.tar")]
    [InlineData("/Plain%20Name")]
    [InlineData("/%252e%252e/etc/passwd")]
    [InlineData("http://evil.example/plain")]
    [InlineData("*")]
    [InlineData("/@scope")]
    public void TryParse_WhenPathIsHostile_Refuses(string target)
    {
        Assert.False(GatePath.TryParse(target, out var route, out var error), $"{target} parsed as {route}");
        Assert.NotEmpty(error);
    }

    [Theory]
    [InlineData("@scope/name", "https://r.example/npm/@scope%2fname")]
    [InlineData("plain", "https://r.example/npm/plain")]
    public void Packument_WhenNameIsTyped_IsOneSegmentUnderTheUpstream(string name, string expected)
    {
        Assert.Equal(expected, new UpstreamUrls(new Uri("https://r.example/npm/")).Packument(name).AbsoluteUri);
    }

    [Fact]
    public void Allows_WhenUrlLeavesTheUpstream_IsFalse()
    {
        var policy = new OutboundPolicy(new Uri("https://r.example/npm/"));
        Assert.True(policy.Allows(new Uri("https://r.example/npm/x/-/x-1.0.0.tgz")));
        Assert.False(policy.Allows(new Uri("https://evil.example/npm/x")));
        Assert.False(policy.Allows(new Uri("http://r.example/npm/x")));
        Assert.False(policy.Allows(new Uri("https://r.example:8443/npm/x")));
        Assert.False(policy.Allows(new Uri("https://r.example/other/x")));
        Assert.False(policy.Allows(new Uri("https://user:pw@r.example/npm/x")));
    }

    [Fact]
    public async Task Handler_WhenUpstreamRedirectsElsewhere_RefusesWithoutFollowing()
    {
        var policy = new OutboundPolicy(new Uri("https://r.example/"));
        var inner = new RedirectingHandler("https://attacker.example/steal");
        using var client = new HttpClient(OutboundPolicyHandler.Wrap(policy, inner));

        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync("https://r.example/-/npm/v1/attestations/x@1.0.0"));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => client.GetAsync("https://attacker.example/"));
        Assert.Equal(["https://r.example/-/npm/v1/attestations/x@1.0.0"], inner.Seen);
        Assert.Equal(2, policy.Refused);
    }

    private sealed class RedirectingHandler(string location) : HttpMessageHandler
    {
        public List<string> Seen { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Seen.Add(request.RequestUri!.AbsoluteUri);
            var response = new HttpResponseMessage(System.Net.HttpStatusCode.Found);
            response.Headers.Location = new Uri(location);
            return Task.FromResult(response);
        }
    }
}
