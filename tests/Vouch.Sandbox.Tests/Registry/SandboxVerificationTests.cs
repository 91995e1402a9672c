using System.Text;
using Vouch.Provenance;
using Vouch.Sigstore.Trust;

namespace Vouch.Sandbox.Tests.Registry;

/// <summary>
/// The sandbox's evidence as `vouch verify` sees it: built-in-CI versions verify fully with the
/// sandbox's trusted root, token versions have a signature and nothing else, and the very same
/// bundles fail against the public-good root.
/// </summary>
public sealed class SandboxVerificationTests(LottieFixture fixture) : IClassFixture<LottieFixture>
{
    private const string Lottie = "@lottiefiles/lottie-player";

    [Theory]
    [InlineData("2.0.2")]
    [InlineData("2.0.4")]
    [InlineData("2.0.8")]
    public async Task VerifyAsync_WhenVersionBuiltInCiWithTrustedPublisher_AllEvidenceVerified(string version)
    {
        using var verifier = new SandboxVerifier(fixture.Registry);

        var report = await verifier.VerifyAsync($"{Lottie}@{version}");

        Assert.True(report.Passed, string.Join("; ", report.Problems.Select(p => $"{p.Code}: {p.Message}")) + report.NetworkError);
        Assert.Equal("verified", report.Integrity.Status);
        Assert.Equal("verified", report.Signature.Status);
        Assert.Equal(EvidenceStatus.Verified, report.Provenance.Status);
        Assert.Equal(EvidenceStatus.Verified, report.PublishAttestation.Status);
        Assert.Equal(EvidenceLevel.TrustedPublisher, report.EvidenceLevel);
        Assert.Equal("github", report.TrustedPublisher);
        Assert.Equal("https://github.com/LottieFiles/lottie-player", report.Provenance.Claims!.SourceRepository);
        Assert.Equal($"refs/tags/v{version}", report.Provenance.Claims.SourceRef);
        Assert.Equal(".github/workflows/release.yml", report.Provenance.Claims.WorkflowPath);
        Assert.Equal("https://token.actions.githubusercontent.com", report.Provenance.Issuer);
    }

    [Fact]
    public async Task VerifyAsync_WhenVersionPublishedWithToken_SignatureOnlyAndProvenanceAbsent()
    {
        using var verifier = new SandboxVerifier(fixture.Registry);

        var report = await verifier.VerifyAsync($"{Lottie}@2.0.5");

        Assert.True(report.Passed);
        Assert.Equal("verified", report.Signature.Status);
        Assert.Equal(EvidenceStatus.Absent, report.Provenance.Status);
        Assert.Equal(EvidenceStatus.Absent, report.PublishAttestation.Status);
        Assert.Equal(EvidenceLevel.None, report.EvidenceLevel);
        Assert.Null(report.TrustedPublisher);
        Assert.Equal("packument", report.PublishTimeSource);
        Assert.Equal(DateTimeOffset.Parse("2024-10-30T19:12:00Z", System.Globalization.CultureInfo.InvariantCulture), report.PublishTime);
    }

    [Fact]
    public async Task VerifyAsync_WhenPublishAttestationVerified_LoggedTimeIsScenarioPublishTime()
    {
        using var verifier = new SandboxVerifier(fixture.Registry);

        var report = await verifier.VerifyAsync($"{Lottie}@2.0.4");

        Assert.Equal("transparency-log", report.PublishTimeSource);
        Assert.Equal(DateTimeOffset.Parse("2024-04-24T09:47:00Z", System.Globalization.CultureInfo.InvariantCulture), report.PublishTime);
        Assert.Equal(report.PublishTime, report.Provenance.IntegratedTime);
    }

    [Fact]
    public async Task VerifyAsync_WhenCheckedWithPublicGoodRoot_ProvenanceAndPublishAttestationInvalid()
    {
        using var verifier = new SandboxVerifier(fixture.Registry, TrustedRoot.PublicGood);

        var report = await verifier.VerifyAsync($"{Lottie}@2.0.4");

        Assert.False(report.Passed);
        Assert.Equal(EvidenceStatus.Invalid, report.Provenance.Status);
        Assert.Equal(EvidenceStatus.Invalid, report.PublishAttestation.Status);
        Assert.Contains(report.Problems, p => p.Code == ProvenanceCodes.ProvenanceInvalid);
        Assert.Equal(EvidenceLevel.None, report.EvidenceLevel);
    }

    [Fact]
    public async Task VerifyAsync_EveryServedBundle_VerifiesWithSandboxRootAndFailsWithPublicGood()
    {
        using var sandbox = new SandboxVerifier(fixture.Registry);
        using var publicGood = new SandboxVerifier(fixture.Registry, TrustedRoot.PublicGood);
        var checkedBundles = 0;
        foreach (var package in fixture.Registry.Scenario.Packages)
        {
            foreach (var version in package.Versions.Where(v => v.HasProvenance))
            {
                var good = await sandbox.VerifyAsync($"{package.Name}@{version.Version}");
                var bad = await publicGood.VerifyAsync($"{package.Name}@{version.Version}");
                Assert.Equal(EvidenceStatus.Verified, good.Provenance.Status);
                Assert.Equal(EvidenceStatus.Verified, good.PublishAttestation.Status);
                Assert.Equal(EvidenceStatus.Invalid, bad.Provenance.Status);
                Assert.Equal(EvidenceStatus.Invalid, bad.PublishAttestation.Status);
                checkedBundles += 2;
            }
        }

        Assert.Equal(8, checkedBundles);
    }

    [Fact]
    public async Task VerifyAsync_WhenRangeGiven_ResolvesToLatestFixedRelease()
    {
        using var verifier = new SandboxVerifier(fixture.Registry);

        var report = await verifier.VerifyAsync($"{Lottie}@^2.0.0");

        Assert.Equal("2.0.8", report.Version);
    }

    [Fact]
    public async Task Packument_WhenAbbreviated_KeepsInstallFieldsAndEvidence()
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(fixture.Registry.Url, "@lottiefiles%2flottie-player"));
        request.Headers.Accept.ParseAdd("application/vnd.npm.install-v1+json");

        using var response = await http.SendAsync(request);
        var doc = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal("application/vnd.npm.install-v1+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Null(doc["time"]);
        Assert.True(doc["versions"]!["2.0.5"]!["hasInstallScript"]!.GetValue<bool>());
        Assert.Null(doc["versions"]!["2.0.4"]!["hasInstallScript"]);
        Assert.NotNull(doc["versions"]!["2.0.4"]!["dist"]!["attestations"]);
        Assert.NotNull(doc["versions"]!["2.0.5"]!["dist"]!["signatures"]);
        Assert.Null(doc["versions"]!["2.0.5"]!["dist"]!["attestations"]);
        Assert.Equal("^5.12.2", doc["versions"]!["2.0.5"]!["dependencies"]!["lottie-web"]!.GetValue<string>());
    }

    [Fact]
    public async Task Packument_WhenFull_CarriesTimeAndNpmUser()
    {
        using var verifier = new SandboxVerifier(fixture.Registry);

        var packument = (await verifier.Client.GetPackumentAsync(Lottie)).Value!;

        Assert.Equal("2.0.8", packument.DistTags["latest"]);
        Assert.Equal(7, packument.Versions.Count);
        Assert.Equal("lottie-maintainer", packument.Versions["2.0.6"].NpmUser!.Name);
        Assert.Equal("github", packument.Versions["2.0.3"].NpmUser!.TrustedPublisher!.Id);
        Assert.Equal(DateTimeOffset.Parse("2024-10-31T02:14:00Z", System.Globalization.CultureInfo.InvariantCulture), packument.Time["2.0.8"]);
        Assert.Equal("node collect.js", packument.Versions["2.0.7"].Scripts["postinstall"]);
    }

    [Fact]
    public async Task Packument_WhenETagSentBack_AnswersNotModified()
    {
        using var http = new HttpClient();
        var url = new Uri(fixture.Registry.Url, "lottie-web");
        using var first = await http.GetAsync(url);
        var etag = first.Headers.ETag!;

        using var again = new HttpRequestMessage(HttpMethod.Get, url);
        again.Headers.IfNoneMatch.Add(etag);
        var before = fixture.Registry.RequestCount;
        using var second = await http.SendAsync(again);

        Assert.Equal(System.Net.HttpStatusCode.NotModified, second.StatusCode);
        Assert.True(fixture.Registry.RequestCount > before);
    }

    [Fact]
    public async Task Keys_WhenServed_MatchRegistryKeysJsonAndFile()
    {
        using var http = new HttpClient();

        var served = await http.GetStringAsync(new Uri(fixture.Registry.Url, "-/npm/v1/keys"));

        Assert.Equal(fixture.Registry.RegistryKeysJson, served);
        Assert.Equal(fixture.Registry.TrustedRootJson, await File.ReadAllTextAsync(fixture.Registry.TrustedRootPath, Encoding.UTF8));
    }
}

public sealed class SourceHijackTests(HijackFixture fixture) : IClassFixture<HijackFixture>
{
    [Fact]
    public async Task VerifyAsync_WhenProvenanceFromOtherRepository_ProvenanceVerifiedButSourceMismatch()
    {
        using var verifier = new SandboxVerifier(fixture.Registry);

        var report = await verifier.VerifyAsync("@acme/logger@3.2.0");

        Assert.Equal(EvidenceStatus.Verified, report.Provenance.Status);
        Assert.Equal("https://github.com/acme-logger/logger", report.Provenance.Claims!.SourceRepository);
        Assert.Equal(EvidenceLevel.Provenance, report.EvidenceLevel);
        Assert.Contains(report.Problems, p => p.Code == ProvenanceCodes.SourceMismatch);
    }

    [Fact]
    public async Task VerifyAsync_WhenBuiltFromDeclaredRepository_Passes()
    {
        using var verifier = new SandboxVerifier(fixture.Registry);

        var report = await verifier.VerifyAsync("@acme/logger@3.1.1");

        Assert.True(report.Passed, string.Join("; ", report.Problems.Select(p => p.Code)));
        Assert.Equal(EvidenceLevel.TrustedPublisher, report.EvidenceLevel);
    }
}
