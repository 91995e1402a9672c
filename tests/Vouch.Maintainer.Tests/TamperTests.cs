using Vouch.Maintainer.Analysis;

namespace Vouch.Maintainer.Tests;

/// <summary>Each check, shown to change its verdict when a real workflow is changed in the one way it looks for.</summary>
public sealed class TamperTests
{
    private static MaintainerReport Run(string root) => MaintainerCheck.Run(root);

    [Fact]
    public void Check_WhenTrustedJobLosesIdToken_ReportsNoProvenance()
    {
        var clean = Run(WorkflowFixtures.Materialize(WorkflowFixtures.Row("vitejs/vite", "publish.yml")));
        Assert.Equal(ProvenanceMode.TrustedPublishing, clean.Jobs.Single().Provenance);

        var root = RepoBuilder.Tampered("vitejs/vite", "publish.yml", t => t.Replace("      id-token: write\n", string.Empty, 1));
        var report = Run(root);
        Assert.Equal(ProvenanceMode.None, report.Jobs.Single().Provenance);
        Assert.Contains(report.Findings, f => f.Code == MaintainerCodes.NoProvenance && f.Level == FindingLevel.Error);
    }

    [Fact]
    public void Check_WhenTokenAddedToTrustedChangesetsJob_ReportsLongLivedTokenAndNotTrusted()
    {
        var root = RepoBuilder.Tampered("sigstore/sigstore-js", "release.yml",
            t => t.Replace("          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}", "          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n          NPM_TOKEN: ${{ secrets.NPM_TOKEN }}", 1));
        var report = Run(root);
        var job = report.Jobs.Single();
        Assert.NotEqual(ProvenanceMode.TrustedPublishing, job.Provenance);
        Assert.Equal(ProvenanceMode.PublishConfig, job.Provenance);
        var finding = Assert.Single(report.Findings, f => f.Code == MaintainerCodes.LongLivedToken);
        Assert.Equal(41, finding.At.Line);
        Assert.Equal(11, finding.At.Column);
    }

    [Fact]
    public void Check_WhenEmptyNpmTokenGetsAValue_IsNoLongerTrusted()
    {
        var root = RepoBuilder.Tampered("webpack/webpack", "release.yml", t => t.Replace("NPM_TOKEN: \"\"", "NPM_TOKEN: ${{ secrets.NPM_TOKEN }}", 1));
        Assert.Equal(ProvenanceMode.None, Run(root).Jobs.Single().Provenance);
    }

    [Fact]
    public void Check_WhenProvenanceFlagAdded_ReportsFlag()
    {
        var root = RepoBuilder.Tampered("NeoDrew/chromeflow", "publish.yml", t => t.Replace("run: npm publish\n", "run: npm publish --provenance\n", 1));
        var report = Run(root);
        Assert.Equal(ProvenanceMode.Flag, report.Jobs.Single().Provenance);
        Assert.Contains(report.Findings, f => f.Code == MaintainerCodes.IdTokenMissing);
    }

    [Fact]
    public void Check_WhenProvenanceEnvIsFalse_IsNotFlag()
    {
        var root = RepoBuilder.Tampered("Shopify/web-configs", "release.yml", t => t.Replace("NPM_CONFIG_PROVENANCE: true", "NPM_CONFIG_PROVENANCE: false", 1));
        Assert.Equal(ProvenanceMode.None, Run(root).Jobs.Single().Provenance);
    }

    [Fact]
    public void Check_WhenPinnedActionMovedToTag_ReportsUnpinned()
    {
        var clean = Run(WorkflowFixtures.Materialize(WorkflowFixtures.Row("sigstore/sigstore-js", "release.yml")));
        Assert.DoesNotContain(clean.Findings, f => f.Code == MaintainerCodes.UnpinnedAction);
        var root = RepoBuilder.Tampered("sigstore/sigstore-js", "release.yml",
            t => t.Replace("changesets/action@a45c4d594aa4e2c509dc14a9f2b3b67ba3780d0d", "changesets/action@v1.9.0", 1));
        var finding = Assert.Single(Run(root).Findings, f => f.Code == MaintainerCodes.UnpinnedAction);
        Assert.Equal(FindingLevel.Warning, finding.Level);
        Assert.Equal((36, 15), (finding.At.Line, finding.At.Column));
    }

    [Fact]
    public void Check_WhenShaIsOneCharacterShort_ReportsUnpinned()
    {
        var root = RepoBuilder.Tampered("sigstore/sigstore-js", "release.yml",
            t => t.Replace("changesets/action@a45c4d594aa4e2c509dc14a9f2b3b67ba3780d0d", "changesets/action@a45c4d594aa4e2c509dc14a9f2b3b67ba3780d0", 1));
        Assert.Contains(Run(root).Findings, f => f.Code == MaintainerCodes.UnpinnedAction);
    }

    [Fact]
    public void Check_WhenTriggerBecomesPullRequestTarget_ReportsRiskyTriggerError()
    {
        var root = RepoBuilder.Tampered("sigstore/sigstore-js", "release.yml", t => t.Replace("on:\n  push:", "on:\n  pull_request_target:", 1));
        var finding = Assert.Single(Run(root).Findings, f => f.Code == MaintainerCodes.RiskyTrigger);
        Assert.Equal(FindingLevel.Error, finding.Level);
    }

    [Fact]
    public void Check_WhenIssueTitleInterpolatedIntoRun_ReportsUntrustedInput()
    {
        var root = RepoBuilder.Tampered("sigstore/sigstore-js", "release.yml", t => t.Replace("run: npm ci", "run: npm ci && echo \"${{ github.event.issue.title }}\"", 1));
        var finding = Assert.Single(Run(root).Findings, f => f.Code == MaintainerCodes.UntrustedInput);
        Assert.Equal(FindingLevel.Error, finding.Level);
        Assert.Equal(33, finding.At.Line);
        Assert.Equal(30, finding.At.Column);
    }

    [Fact]
    public void Check_WhenPullRequestNumberInterpolated_DoesNotReport()
    {
        var root = RepoBuilder.Tampered("sigstore/sigstore-js", "release.yml", t => t.Replace("run: npm ci", "run: npm ci && echo \"${{ github.event.pull_request.number }}\"", 1));
        Assert.DoesNotContain(Run(root).Findings, f => f.Code == MaintainerCodes.UntrustedInput);
    }

    [Fact]
    public void Check_WhenTrustedJobRunsNode20_ReportsToolchainError()
    {
        var root = RepoBuilder.Tampered("sigstore/sigstore-js", "release.yml", t => t.Replace("node-version: 24.x", "node-version: 20", 1));
        var finding = Assert.Single(Run(root).Findings, f => f.Code == MaintainerCodes.ToolchainTooOld);
        Assert.Equal(FindingLevel.Error, finding.Level);
    }

    [Fact]
    public void Check_WhenNode22UpgradesNpm_IsFine()
    {
        var root = RepoBuilder.Tampered("sigstore/sigstore-js", "release.yml",
            t => t.Replace("node-version: 24.x", "node-version: 22.14.0", 1).Replace("run: npm ci", "run: npm install -g npm@11.5.1 && npm ci", 1));
        Assert.DoesNotContain(Run(root).Findings, f => f.Code == MaintainerCodes.ToolchainTooOld);
    }

    [Fact]
    public void Check_WhenEnvironmentRemoved_ReportsNoEnvironment()
    {
        var clean = Run(WorkflowFixtures.Materialize(WorkflowFixtures.Row("vitejs/vite", "publish.yml")));
        Assert.DoesNotContain(clean.Findings, f => f.Code == MaintainerCodes.NoEnvironment);
        var root = RepoBuilder.Tampered("vitejs/vite", "publish.yml", t => t.Replace("    environment: Release\n", string.Empty, 1));
        Assert.Contains(Run(root).Findings, f => f.Code == MaintainerCodes.NoEnvironment && f.Job == "publish-release");
    }

    [Fact]
    public void Check_WhenPublishGoesToGitHubPackages_IsNotAnNpmPublishingJob()
    {
        var root = RepoBuilder.Tampered("NeoDrew/chromeflow", "publish.yml",
            t => t.Replace("registry-url: 'https://registry.npmjs.org'", "registry-url: 'https://npm.pkg.github.com'", 1));
        Assert.Empty(Run(root).Jobs);
    }

    [Fact]
    public void Check_WhenGitLabJobLosesSigstoreToken_ReportsIdTokenMissing()
    {
        var root = RepoBuilder.Tampered("NeoDrew/chromeflow", ".gitlab-ci.yml", t => t.Replace("  id_tokens:\n    SIGSTORE_ID_TOKEN:\n      aud: sigstore\n", string.Empty, 1));
        var report = Run(root);
        Assert.Equal(ProvenanceMode.Flag, report.Jobs.Single().Provenance);
        Assert.Contains(report.Findings, f => f.Code == MaintainerCodes.IdTokenMissing && f.Fixable);
    }

    [Fact]
    public void Check_WhenGitLabUsesNpmIdTokenWithoutToken_IsTrustedPublishing()
    {
        var root = RepoBuilder.Tampered("NeoDrew/chromeflow", ".gitlab-ci.yml", t => t
            .Replace("aud: sigstore", "aud: \"npm:registry.npmjs.org\"", 1)
            .Replace("echo \"//registry.npmjs.org/:_authToken=${NPM_TOKEN}\" > ~/.npmrc", "true", 1));
        Assert.Equal(ProvenanceMode.TrustedPublishing, Run(root).Jobs.Single().Provenance);
    }

    [Fact]
    public void Check_WhenPublishConfigProvenanceRemoved_SemanticReleaseHasNone()
    {
        var root = WorkflowFixtures.Materialize(WorkflowFixtures.Row("semantic-release/semantic-release", "release.yml"));
        Assert.Equal(ProvenanceMode.PublishConfig, Run(root).Jobs.Single().Provenance);
        var pkg = Path.Combine(root, "package.json");
        File.WriteAllText(pkg, File.ReadAllText(pkg).Replace("\"provenance\": true", "\"provenance\": false", 1));
        Assert.Equal(ProvenanceMode.None, Run(root).Jobs.Single().Provenance);
    }

    [Fact]
    public void Check_WhenJobCallsReusablePublishWorkflow_JudgesWhatTheCallerPasses()
    {
        const string Caller = "on:\n  push:\n    tags: ['v*']\njobs:\n  release:\n    permissions:\n      contents: read\n      id-token: write\n    uses: acme/workflows/.github/workflows/npm-publish.yml@0123456789012345678901234567890123456789\n";
        var trusted = MaintainerCheck.Run(RepoBuilder.Create((".github/workflows/release.yml", Caller)));
        Assert.Equal(ProvenanceMode.TrustedPublishing, trusted.Jobs.Single().Provenance);

        var withToken = MaintainerCheck.Run(RepoBuilder.Create((".github/workflows/release.yml", Caller + "    secrets:\n      NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n")));
        Assert.Equal(ProvenanceMode.None, withToken.Jobs.Single().Provenance);
        Assert.Contains(withToken.Findings, f => f.Code == MaintainerCodes.LongLivedToken);

        var announce = MaintainerCheck.Run(RepoBuilder.Create((".github/workflows/release.yml", Caller.Replace("npm-publish.yml", "announce.yml", 1))));
        Assert.Empty(announce.Jobs);
    }
}
