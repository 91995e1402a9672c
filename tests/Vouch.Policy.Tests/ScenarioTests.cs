using System.Text;
using Vouch.Npm;
using Vouch.Provenance;
using Vouch.Sandbox;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;

namespace Vouch.Policy.Tests;

/// <summary>The sandbox's attack replays, verified end to end (Sigstore, registry keys) and judged by policy.</summary>
public sealed class ScenarioTests
{
    private sealed class Sandbox : IAsyncDisposable
    {
        private readonly SandboxRegistry _registry;
        private readonly RegistryClient _client;
        private readonly PackageVerifier _verifier;

        private Sandbox(SandboxRegistry registry)
        {
            _registry = registry;
            var home = Directory.CreateTempSubdirectory("vouch-policy-sandbox-home-").FullName;
            var config = NpmConfig.Load(new NpmConfigOptions { WorkingDirectory = home, HomeDirectory = home, RegistryOverride = registry.Url });
            _client = new RegistryClient(RegistryClient.CreateDefaultHandler(), config, null, TimeProvider.System, new RegistryClientOptions { MaxRetries = 0 }, disposeHandler: true);
            var keys = RegistryKeys.Parse(Encoding.UTF8.GetBytes(registry.RegistryKeysJson), "sandbox registry keys").WithV1KeysForAttestations();
            _verifier = new PackageVerifier(_client, new SigstoreVerifier(TrustedRoot.Parse(Encoding.UTF8.GetBytes(registry.TrustedRootJson))), keys);
        }

        public static async Task<Sandbox> StartAsync(string scenario) =>
            new(await SandboxRegistry.StartAsync(Scenario.Builtin(scenario), new SandboxOptions()));

        public DateTimeOffset Now => _registry.Scenario.Now ?? DateTimeOffset.UtcNow;

        public async Task<PolicySubject> SubjectAsync(string spec)
        {
            var parsed = PackageSpec.Parse(spec);
            var report = await _verifier.VerifyAsync(parsed);
            Assert.Null(report.NetworkError);
            var packument = await _client.GetPackumentAsync(parsed.Name, PackumentFormat.Full, CancellationToken.None);
            Assert.True(packument.IsOk, packument.ToString());
            return new PolicySubject { Report = report, Packument = packument.Value! };
        }

        public PolicyVerdict Evaluate(string yaml, PolicySubject subject) =>
            new PolicyEvaluator(PolicyLoader.Parse(yaml, "scenario.vouch.policy.yml"), new FixedTime(Now)).Evaluate(subject);

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await _registry.DisposeAsync();
        }
    }

    private static IReadOnlyList<string> Codes(PolicyVerdict v) => v.Findings.Select(f => f.Code).ToList();

    [Fact]
    public async Task LottiePlayer_WhenTokenReleaseVerified_TrustDowngradeProvenanceAndScriptsCatchIt()
    {
        await using var sandbox = await Sandbox.StartAsync("lottie-player");
        var attack = await sandbox.SubjectAsync("@lottiefiles/lottie-player@2.0.5");
        Assert.Equal(EvidenceLevel.None, attack.Report.EvidenceLevel);

        var downgrade = sandbox.Evaluate("version: 1\nrules:\n  trust-downgrade: error\n", attack);
        Assert.False(downgrade.Allowed);
        Assert.Equal([PolicyCodes.TrustDowngrade], Codes(downgrade));
        Assert.Contains("2.0.4", downgrade.Findings[0].Message, StringComparison.Ordinal);

        var provenance = sandbox.Evaluate("version: 1\nrules:\n  provenance:\n    severity: error\n    packages: ['@lottiefiles/*']\n", attack);
        Assert.Equal([PolicyCodes.ProvenanceRequired], Codes(provenance));

        var scripts = sandbox.Evaluate("version: 1\nrules:\n  install-scripts: error\n", attack);
        Assert.Equal([PolicyCodes.InstallScripts], Codes(scripts));
    }

    [Fact]
    public async Task LottiePlayer_WhenReleasesFromCi_PassTheSamePolicy()
    {
        await using var sandbox = await Sandbox.StartAsync("lottie-player");
        const string yaml = "version: 1\nrules:\n  trust-downgrade: error\n  install-scripts: error\n  provenance:\n    severity: error\n    packages: ['@lottiefiles/*']\n";
        foreach (var spec in new[] { "@lottiefiles/lottie-player@2.0.4", "@lottiefiles/lottie-player@2.0.8" })
        {
            var subject = await sandbox.SubjectAsync(spec);
            Assert.True(subject.Report.Passed, string.Join("; ", subject.Report.Problems.Select(p => p.Code)));
            Assert.Empty(sandbox.Evaluate(yaml, subject).Findings);
        }
    }

    [Fact]
    public async Task SourceHijack_WhenProvenanceFromOtherRepository_SourceRuleCatchesIt()
    {
        await using var sandbox = await Sandbox.StartAsync("source-hijack");
        const string yaml = """
            version: 1
            rules:
              source:
                severity: error
                allowed:
                  - packages: ['@acme/*']
                    repositories: ['https://github.com/acme/*']
            """;
        var hijack = await sandbox.SubjectAsync("@acme/logger@3.2.0");
        Assert.Equal(EvidenceStatus.Verified, hijack.Report.Provenance.Status);
        var verdict = sandbox.Evaluate(yaml, hijack);
        Assert.Equal([PolicyCodes.SourceRepository], Codes(verdict));
        Assert.Contains("acme-logger/logger", verdict.Findings[0].Message, StringComparison.Ordinal);

        Assert.Empty(sandbox.Evaluate(yaml, await sandbox.SubjectAsync("@acme/logger@3.1.1")).Findings);
    }

    [Fact]
    public async Task Typosquat_WhenPublishedAnHourAgo_ReleaseAgeCatchesIt()
    {
        await using var sandbox = await Sandbox.StartAsync("typosquat");
        const string yaml = "version: 1\nrules:\n  release-age:\n    severity: error\n    minimum: 3d\n";
        var typo = await sandbox.SubjectAsync("crossenv@7.0.3");
        var verdict = sandbox.Evaluate(yaml, typo);
        var f = Assert.Single(verdict.Findings);
        Assert.Equal(PolicyCodes.ReleaseAge, f.Code);
        Assert.Contains(typo.Report.PublishTimeSource!, f.Evidence, StringComparison.Ordinal);

        Assert.Empty(sandbox.Evaluate(yaml, await sandbox.SubjectAsync("cross-env@7.0.3")).Findings);
    }
}
