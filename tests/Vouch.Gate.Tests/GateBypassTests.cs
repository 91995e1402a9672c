namespace Vouch.Gate.Tests;

/// <summary>
/// Issue 12's critical finding, replayed: routes that proxied client text to the upstream handed out
/// withheld tarballs and unfiltered documents. Each form below answered 200 with withheld bytes on
/// fdd6b1c.
/// </summary>
public sealed class GateBypassTests(SandboxGate gate) : IClassFixture<SandboxGate>
{
    public static TheoryData<string> BypassForms => new()
    {
        "/-/npm/v1/attestations/..%2f..%2f..%2f..%2f@lottiefiles%2flottie-player%2f-%2flottie-player-2.0.5.tgz",
        "/-/npm/v1/attestations/..%2F..%2F..%2F..%2F@lottiefiles%2Flottie-player%2F-%2Flottie-player-2.0.5.tgz",
        "/-/npm/v1/attestations/..%252f..%252f..%252f..%252f@lottiefiles%252flottie-player%252f-%252flottie-player-2.0.5.tgz",
        "/-/npm/v1/attestations/%252e%252e%252f%252e%252e%252f%252e%252e%252f%252e%252e%252f@lottiefiles%252flottie-player%252f-%252flottie-player-2.0.5.tgz",
        "/-/npm/v1/attestations/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f@lottiefiles%2flottie-player%2f-%2flottie-player-2.0.5.tgz",
        "/-/npm/v1/attestations/..%2f..%2f..%2f..%2f@lottiefiles%2flottie-player",
        "/-/npm/v1/attestations/..%2f..%2f..%2f..%2f@lottiefiles%2flottie-player%2f2.0.5",
        "/-/npm/v1/attestations/..%5c..%5c..%5c..%5c@lottiefiles%2flottie-player%2f-%2flottie-player-2.0.5.tgz",
        "/@lottiefiles/lottie-player/-/..%2flottie-player-2.0.5.tgz",
        "/@lottiefiles%2flottie-player/-/lottie-player-2.0.5.tgz",
        "/@lottiefiles/lottie-player/2.0.5",
    };

    [Theory]
    [MemberData(nameof(BypassForms))]
    public async Task Get_WhenPathSmugglesAWithheldVersion_NeverAnswersItsBytes(string target)
    {
        var answer = await RawHttp.SendAsync(gate.Url, "GET", target);
        var leak = gate.Leak(answer.Body);
        Assert.True(leak is null, $"GET {target} answered {answer.Status} with {leak}");
        Assert.NotEqual(200, answer.Status);
        Assert.True(answer.Status < 500, $"GET {target} answered {answer.Status}: {answer.Text}");
    }

    [Fact]
    public async Task Get_WhenAttestationsAskedForAWithheldVersion_IsRefused()
    {
        var answer = await RawHttp.SendAsync(gate.Url, "GET", "/-/npm/v1/attestations/@lottiefiles%2flottie-player@2.0.5");
        Assert.Equal(403, answer.Status);
    }

    [Fact]
    public async Task Get_WhenAttestationsAskedForAnAllowedVersion_AreProxied()
    {
        var answer = await RawHttp.SendAsync(gate.Url, "GET", "/-/npm/v1/attestations/@lottiefiles%2flottie-player@2.0.8");
        Assert.Equal(200, answer.Status);
        Assert.Contains("\"attestations\"", answer.Text, StringComparison.Ordinal);
    }
}
