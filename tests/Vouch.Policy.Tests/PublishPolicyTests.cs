using Vouch.Npm;
using Vouch.Policy.Publish;

namespace Vouch.Policy.Tests;

/// <summary>The publish: section: its parser, and each publish rule shown to pass and to fail.</summary>
public sealed class PublishPolicyTests
{
    private static readonly PublishProvenance Acme = new()
    {
        Repository = "https://github.com/acme/widget",
        WorkflowPath = ".github/workflows/release.yml",
        Ref = "refs/tags/v2.0.0",
        BuilderId = "https://github.com/actions/runner/github-hosted",
        Issuer = "https://token.actions.githubusercontent.com",
        CertificateIdentity = "https://github.com/acme/widget/.github/workflows/release.yml@refs/tags/v2.0.0",
    };

    private static PublishPolicy Load(string entries) => PolicyLoader.Parse("version: 1\npublish:\n" + entries, "p.yml").Publish;

    private static PublishFacts Facts(string version = "2.0.0", PublishProvenance? provenance = null, string publisher = "ci", bool scripts = false, params PublishedVersion[] existing) => new()
    {
        Name = "@acme/widget",
        Version = SemVersion.Parse(version),
        Publisher = publisher,
        Provenance = provenance,
        HasInstallScript = scripts,
        InstallScripts = scripts ? ["postinstall: node x.js"] : [],
        Existing = existing,
    };

    private static PublishedVersion V(string v, PublishTrust trust = PublishTrust.None, string? repo = null, bool scripts = false) => new(SemVersion.Parse(v), trust, repo, scripts);

    [Theory]
    [InlineData("  - packages: ['*']\n", "at least one rule")]
    [InlineData("  - packages: ['*']\n    provenance: maybe\n", "error, hold or off")]
    [InlineData("  - packages: ['*']\n    provenanse: error\n", "one of the keys")]
    [InlineData("  - provenance: error\n", "packages")]
    [InlineData("  - packages: ['*']\n    source: {action: error}\n", "at least one of repositories")]
    [InlineData("  - packages: ['*']\n    trusted-publisher: {issuers: [https://token.actions.githubusercontent.com]}\n", "identities")]
    [InlineData("  - packages: ['*']\n    trusted-publisher: {identities: ['https://github.com/a/b/*']}\n", "issuers")]
    [InlineData("  packages: ['*']\n", "a list of publish entries")]
    public void Parse_WhenPublishSectionInvalid_ReportsIt(string entries, string expected)
    {
        var e = Assert.Throws<PolicyFormatException>(() => Load(entries));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenNoPublishSection_IsNone()
    {
        Assert.True(PolicyLoader.Parse("version: 1\n", "p.yml").Publish.IsEmpty);
        Assert.True(PolicyDocument.Default.Publish.IsEmpty);
    }

    [Fact]
    public void Evaluate_WhenProvenanceRequired_RefusesWithoutAndPassesWith()
    {
        var policy = Load("  - packages: ['@acme/*']\n    provenance: error\n");
        var refused = policy.Evaluate(Facts());
        Assert.True(refused.Refused);
        Assert.Equal(PolicyCodes.PublishProvenanceRequired, refused.Findings.Single().Code);
        Assert.Empty(policy.Evaluate(Facts(provenance: Acme)).Findings);

        // Not covered: another scope.
        Assert.Empty(policy.Evaluate(Facts() with { Name = "other" }).Findings);
    }

    [Fact]
    public void Evaluate_WhenSourcePinned_EachFieldIsChecked()
    {
        var policy = Load("  - packages: ['*']\n    source:\n      repositories: [github.com/acme/*]\n      workflows: [.github/workflows/release.yml]\n      refs: ['refs/tags/v*']\n      builders: [https://github.com/actions/runner/github-hosted]\n");
        Assert.Empty(policy.Evaluate(Facts(provenance: Acme)).Findings);
        foreach (var tampered in new[]
        {
            Acme with { Repository = "https://github.com/acme-evil/widget" },
            Acme with { WorkflowPath = ".github/workflows/pr.yml" },
            Acme with { Ref = "refs/heads/main" },
            Acme with { BuilderId = "https://example.com/self-hosted" },
        })
        {
            var d = policy.Evaluate(Facts(provenance: tampered));
            Assert.True(d.Refused);
            Assert.Equal(PolicyCodes.PublishSource, d.Findings.Single().Code);
        }

        Assert.True(policy.Evaluate(Facts()).Refused);
    }

    [Fact]
    public void Evaluate_WhenTrustedPublisher_IdentityIssuerAndTokenMustMatch()
    {
        var policy = Load("  - packages: ['*']\n    trusted-publisher:\n      issuers: [https://token.actions.githubusercontent.com]\n      identities: ['https://github.com/acme/widget/.github/workflows/release.yml@refs/tags/v*']\n      tokens: [ci]\n");
        var ok = policy.Evaluate(Facts(provenance: Acme));
        Assert.Empty(ok.Findings);
        Assert.Equal(PublishTrust.TrustedPublisher, ok.Trust);
        Assert.Equal(PolicyCodes.PublishTrustedPublisher, policy.Evaluate(Facts(provenance: Acme, publisher: "laptop")).Findings.Single().Code);
        Assert.True(policy.Evaluate(Facts(provenance: Acme with { Issuer = "https://gitlab.com" })).Refused);
        Assert.True(policy.Evaluate(Facts(provenance: Acme with { CertificateIdentity = "https://github.com/acme/widget/.github/workflows/release.yml@refs/heads/main" })).Refused);
        Assert.True(policy.Evaluate(Facts()).Refused);
    }

    [Fact]
    public void Evaluate_WhenTrustDowngrade_ComparesTheReleaseLineOnly()
    {
        var policy = Load("  - packages: ['*']\n    trust-downgrade: error\n");
        var history = new[] { V("1.9.0", PublishTrust.None), V("2.0.0", PublishTrust.Provenance, "https://github.com/acme/widget") };
        Assert.Equal(PolicyCodes.PublishTrustDowngrade, policy.Evaluate(Facts("2.0.1", existing: history)).Findings.Single().Code);
        Assert.Empty(policy.Evaluate(Facts("2.0.1", provenance: Acme, existing: history)).Findings);
        Assert.Empty(policy.Evaluate(Facts("1.9.1", existing: history)).Findings);
        Assert.Empty(policy.Evaluate(Facts("3.0.0", existing: history)).Findings);

        // Same trust, another repository.
        var moved = policy.Evaluate(Facts("2.0.1", provenance: Acme with { Repository = "https://github.com/evil/widget" }, existing: history));
        Assert.Contains("evil/widget", moved.Findings.Single().Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_WhenNewMajorHeld_HoldsOnlyANewHighestLine()
    {
        var policy = Load("  - packages: ['*']\n    new-major: hold\n");
        var history = new[] { V("1.0.0"), V("2.0.0") };
        var held = policy.Evaluate(Facts("3.0.0", existing: history));
        Assert.True(held.Held);
        Assert.False(held.Refused);
        Assert.Equal(PolicyCodes.PublishNewMajor, held.Findings.Single().Code);
        Assert.Empty(policy.Evaluate(Facts("2.1.0", existing: history)).Findings);
        Assert.Empty(policy.Evaluate(Facts("3.0.0")).Findings);
        Assert.True(policy.Evaluate(Facts("0.3.0", existing: [V("0.2.5")])).Held);
    }

    [Fact]
    public void Evaluate_WhenANewPublisherSendsAVersion_HoldsItUntilApproved()
    {
        var policy = Load("  - packages: ['*']\n    new-publisher: hold\n");
        var history = new[] { V("1.0.0") with { Publisher = "ci" }, V("1.1.0") with { Publisher = "ci" }, V("0.9.0") };

        var held = policy.Evaluate(Facts("1.2.0", publisher: "laptop", existing: history));
        Assert.True(held.Held);
        Assert.Equal(PolicyCodes.PublishNewPublisher, held.Findings.Single().Code);
        Assert.Contains("earlier versions came from ci", held.Findings.Single().Message, StringComparison.Ordinal);

        Assert.Empty(policy.Evaluate(Facts("1.2.0", publisher: "ci", existing: history)).Findings);
        Assert.Empty(policy.Evaluate(Facts("1.0.0", publisher: "anyone")).Findings);

        // Versions published around the gate record no one: the first publisher through the gate is new.
        Assert.True(policy.Evaluate(Facts("1.0.1", publisher: "ci", existing: [V("1.0.0")])).Held);
        Assert.True(Load("  - packages: ['*']\n    new-publisher: error\n").Evaluate(Facts("1.2.0", publisher: "laptop", existing: history)).Refused);
    }

    [Fact]
    public void Evaluate_WhenInstallScriptAdded_HoldsUnlessThePreviousHadOne()
    {
        var policy = Load("  - packages: ['*']\n    install-scripts: error\n");
        Assert.True(policy.Evaluate(Facts("1.1.0", scripts: true, existing: [V("1.0.0")])).Refused);
        Assert.Empty(policy.Evaluate(Facts("1.1.0", scripts: true, existing: [V("1.0.0", scripts: true)])).Findings);
        Assert.Empty(policy.Evaluate(Facts("1.1.0", existing: [V("1.0.0")])).Findings);
        Assert.Equal(PolicyCodes.PublishInstallScripts, policy.Evaluate(Facts("1.0.0", scripts: true)).Findings.Single().Code);
    }

    [Fact]
    public void Evaluate_WhenErrorAndHold_RefusalWins()
    {
        var policy = Load("  - packages: ['*']\n    provenance: error\n    new-major: hold\n");
        var d = policy.Evaluate(Facts("2.0.0", existing: [V("1.0.0")]));
        Assert.True(d.Refused);
        Assert.False(d.Held);
        Assert.Equal(2, d.Findings.Count);
    }

    [Fact]
    public void Load_WhenExtending_ChildPublishSectionReplacesTheBase()
    {
        var dir = Directory.CreateTempSubdirectory("vouch-publish-policy-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "base.yml"), "version: 1\npublish:\n  - packages: ['*']\n    provenance: error\n");
            File.WriteAllText(Path.Combine(dir, "inherits.yml"), "version: 1\nextends: base.yml\n");
            File.WriteAllText(Path.Combine(dir, "replaces.yml"), "version: 1\nextends: base.yml\npublish:\n  - packages: ['*']\n    new-major: hold\n");
            Assert.True(PolicyLoader.Load(Path.Combine(dir, "inherits.yml")).Publish.Evaluate(Facts()).Refused);
            Assert.False(PolicyLoader.Load(Path.Combine(dir, "replaces.yml")).Publish.Evaluate(Facts()).Refused);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
