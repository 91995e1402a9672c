using Vouch.Provenance.Slsa;
using Vouch.Sandbox.Sigstore;

namespace Vouch.Provenance.Tests.Slsa;

/// <summary>One test per row of the SLSA mapping (docs/slsa.md), each on provenance the sandbox signed and Vouch verified.</summary>
public sealed class SlsaLevelsTests : IDisposable
{
    private readonly SandboxEvidence _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private static GitHubWorkflowIdentity Release => SandboxEvidence.Release;

    [Fact]
    public void Assess_WhenNoProvenance_IsLevel0()
    {
        var a = SlsaLevels.Assess(new PackageReport { Name = "widget", Version = "1.0.0", Integrity = new IntegrityReport("verified", "sha512") });
        Assert.Equal((SlsaBuildLevel.L0, SlsaRows.NoProvenance), (a.Level, a.Row));
    }

    [Fact]
    public void Assess_WhenGitHubHostedRunner_IsLevel2()
    {
        var report = _sandbox.Report(Release);
        Assert.Equal(EvidenceStatus.Verified, report.Provenance.Status);
        var a = SlsaLevels.Assess(report);
        Assert.Equal((SlsaBuildLevel.L2, SlsaRows.GitHubHosted, "github-actions"), (a.Level, a.Row, a.Platform));
        Assert.Equal("SLSA_BUILD_LEVEL_2", a.VsaLevel);
    }

    [Fact]
    public void Assess_WhenSelfHostedRunner_IsLevel1()
    {
        var selfHosted = Release with { RunnerEnvironment = "self-hosted" };
        var report = _sandbox.Report(selfHosted);
        Assert.Equal(EvidenceStatus.Verified, report.Provenance.Status);
        var a = SlsaLevels.Assess(report);
        Assert.Equal((SlsaBuildLevel.L1, SlsaRows.SelfHosted), (a.Level, a.Row));
    }

    [Fact]
    public void Assess_WhenCertificateFromAnotherRepository_IsLevel0()
    {
        // Every signature is valid, but the certificate's workflow is not the one the predicate names.
        var report = _sandbox.Report(Release, Release with { Repository = "attacker/widget" });
        Assert.Equal(EvidenceStatus.Invalid, report.Provenance.Status);
        var a = SlsaLevels.Assess(report);
        Assert.Equal((SlsaBuildLevel.L0, SlsaRows.ProvenanceNotVerified), (a.Level, a.Row));
    }

    [Fact]
    public void Assess_WhenProvenanceIsForAnotherTarball_IsLevel0()
    {
        var report = _sandbox.Report(Release, subjectSha512: System.Security.Cryptography.SHA512.HashData("other"u8.ToArray()));
        Assert.NotEqual(EvidenceStatus.Verified, report.Provenance.Status);
        Assert.Equal(SlsaBuildLevel.L0, SlsaLevels.Assess(report).Level);
    }

    [Fact]
    public void Assess_WhenTarballIntegrityFailed_IsLevel0()
    {
        var report = _sandbox.Report(Release) with { Integrity = new IntegrityReport("invalid", "sha512") };
        Assert.Equal((SlsaBuildLevel.L0, SlsaRows.ProvenanceNotVerified), (SlsaLevels.Assess(report).Level, SlsaLevels.Assess(report).Row));
    }

    [Fact]
    public void Assess_WhenIssuerUnknown_IsLevel1()
    {
        var report = _sandbox.Report(Release with { Issuer = "https://ci.example.test/oidc" });
        Assert.Equal(EvidenceStatus.Verified, report.Provenance.Status);
        var a = SlsaLevels.Assess(report);
        Assert.Equal((SlsaBuildLevel.L1, SlsaRows.UnknownPlatform), (a.Level, a.Row));
    }

    [Fact]
    public void Assess_WhenIssuerConfiguredAsHosted_IsLevel2()
    {
        var report = _sandbox.Report(Release with { Issuer = "https://ci.example.test/oidc", RunnerEnvironment = "example-hosted" });
        var options = new SlsaMappingOptions
        {
            HostedIssuers = new Dictionary<string, string> { ["https://ci.example.test/oidc"] = "example-ci" },
            HostedRunnerEnvironments = new HashSet<string> { "example-hosted" },
        };
        Assert.Equal(SlsaBuildLevel.L2, SlsaLevels.Assess(report, options).Level);
        Assert.Equal(SlsaBuildLevel.L1, SlsaLevels.Assess(report).Level);
    }

    [Fact]
    public void Assess_WhenGitLabHostedRunner_IsLevel2()
    {
        var gitlab = Release with { Issuer = SlsaMappingOptions.GitLabIssuer, RunnerEnvironment = "gitlab-hosted" };
        var report = _sandbox.Report(gitlab);
        Assert.True(report.Provenance.Status == EvidenceStatus.Verified, report.Provenance.Problem?.ToString());
        var a = SlsaLevels.Assess(report);
        Assert.Equal((SlsaBuildLevel.L2, SlsaRows.GitLabHosted, "gitlab-ci"), (a.Level, a.Row, a.Platform));
    }

    [Fact]
    public void Assess_WhenGitLabSelfHostedRunner_IsLevel1()
    {
        var report = _sandbox.Report(Release with { Issuer = SlsaMappingOptions.GitLabIssuer, RunnerEnvironment = "self-hosted" });
        Assert.Equal(SlsaBuildLevel.L1, SlsaLevels.Assess(report).Level);
    }

    [Fact]
    public void Assess_WhenSignedByIsolatedReusableBuilder_IsLevel3()
    {
        var isolated = Release with { BuildSignerWorkflowRef = "slsa-framework/slsa-github-generator/.github/workflows/builder_nodejs_slsa3.yml@refs/tags/v2.1.0", BuildSignerSha = new string('c', 40) };
        var report = _sandbox.Report(isolated);
        Assert.True(report.Provenance.Status == EvidenceStatus.Verified, report.Provenance.Problem?.ToString());
        var a = SlsaLevels.Assess(report);
        Assert.Equal((SlsaBuildLevel.L3, SlsaRows.IsolatedBuilder), (a.Level, a.Row));
    }

    [Fact]
    public void Assess_WhenBuilderLooksLikeGeneratorButFromAFork_IsLevel2()
    {
        var fork = Release with { BuildSignerWorkflowRef = "slsa-framework-evil/slsa-github-generator/.github/workflows/builder_nodejs_slsa3.yml@refs/tags/v2.1.0", BuildSignerSha = new string('c', 40) };
        var report = _sandbox.Report(fork);
        Assert.Equal(SlsaBuildLevel.L2, SlsaLevels.Assess(report).Level);
    }

    [Fact]
    public void Assess_WhenGeneratorUsedFromABranch_IsLevel2()
    {
        var branch = Release with { BuildSignerWorkflowRef = "slsa-framework/slsa-github-generator/.github/workflows/builder_nodejs_slsa3.yml@refs/heads/main", BuildSignerSha = new string('c', 40) };
        Assert.Equal(SlsaBuildLevel.L2, SlsaLevels.Assess(_sandbox.Report(branch)).Level);
    }

    [Fact]
    public void Evaluate_WhenPatternRequiresMoreThanEarned_Fails()
    {
        var a = SlsaLevels.Assess(_sandbox.Report(Release with { RunnerEnvironment = "self-hosted" }));
        SlsaMinimum[] rules = [new(["@acme/*", "widget"], [], SlsaBuildLevel.L2), new(["*"], [], SlsaBuildLevel.L1)];
        var verdict = SlsaRequirement.Evaluate("widget", a, rules, Vouch.Policy.Glob.MatchName);
        Assert.False(verdict.Satisfied);
        Assert.Equal(SlsaBuildLevel.L2, verdict.Required);
        Assert.Contains("below the minimum SLSA_BUILD_LEVEL_2", verdict.Message, StringComparison.Ordinal);

        Assert.True(SlsaRequirement.Evaluate("other", a, rules, Vouch.Policy.Glob.MatchName).Satisfied);
        Assert.True(SlsaRequirement.Evaluate("widget", a, [new(["widget"], ["widget"], SlsaBuildLevel.L3)], Vouch.Policy.Glob.MatchName).Required is null);
    }
}
