using System.Text;
using Vouch.Maintainer.Analysis;
using Vouch.Maintainer.Fix;

namespace Vouch.Maintainer.Tests;

public sealed class FixTests
{
    [Fact]
    public void Fix_WhenNpmPublishHasNoProvenance_AddsFlagAndIdTokenOnly()
    {
        var root = WorkflowFixtures.Materialize(WorkflowFixtures.Row("yargs/yargs", "release-please.yml"));
        var path = Path.Combine(root, ".github", "workflows", "release-please.yml");
        var before = File.ReadAllText(path);
        var plan = Assert.Single(MaintainerFixer.Plan(MaintainerCheck.Run(root)));
        var expected = before
            .Replace("      - run: npm publish\n", "      - run: npm publish --provenance\n", 1)
            .Replace("      contents: write # to create release commit", "      id-token: write\n      contents: write # to create release commit", 1);
        Assert.Equal(expected, plan.NewText);
        Assert.Contains("+      - run: npm publish --provenance", MaintainerFixer.UnifiedDiff(plan.Path, plan.OldText, plan.NewText), StringComparison.Ordinal);
    }

    [Fact]
    public void Fix_WhenPublishIsInsideAScript_AddsProvenanceEnvToTheStep()
    {
        // astro's snapshot job without its package.json (of another commit): `changeset publish` with a token, no provenance.
        var root = WorkflowFixtures.Materialize(WorkflowFixtures.Row("withastro/astro", "snapshot-release.yml"));
        var report = MaintainerCheck.Run(root);
        Assert.Equal(ProvenanceMode.None, report.Jobs.Single().Provenance);
        var plan = Assert.Single(MaintainerFixer.Plan(report));
        var diff = MaintainerFixer.UnifiedDiff(plan.Path, plan.OldText, plan.NewText);
        Assert.Equal(plan.OldText.Replace("          # Needs access to publish to npm\n", "          NPM_CONFIG_PROVENANCE: true\n          # Needs access to publish to npm\n", StringComparison.Ordinal), plan.NewText);
        Assert.Contains("+          NPM_CONFIG_PROVENANCE: true", diff, StringComparison.Ordinal);

        File.WriteAllBytes(Path.Combine(root, plan.Path), plan.NewBytes);
        var after = MaintainerCheck.Run(root);
        Assert.Equal(ProvenanceMode.Flag, after.Jobs.Single().Provenance);
        Assert.DoesNotContain(after.Findings, f => f.Code == MaintainerCodes.NoProvenance);
    }

    [Fact]
    public void Fix_WhenFileUsesCrlfAndBom_KeepsBoth()
    {
        var root = WorkflowFixtures.Materialize(WorkflowFixtures.Row("yargs/yargs", "release-please.yml"));
        var path = Path.Combine(root, ".github", "workflows", "release-please.yml");
        var crlf = File.ReadAllText(path).Replace("\n", "\r\n", StringComparison.Ordinal);
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(crlf)]);
        var plan = Assert.Single(MaintainerFixer.Plan(MaintainerCheck.Run(root)));
        Assert.Equal([0xEF, 0xBB, 0xBF], plan.NewBytes[..3]);
        var text = Encoding.UTF8.GetString(plan.NewBytes[3..]);
        Assert.DoesNotContain("\n", text.Replace("\r\n", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("      id-token: write\r\n", text, StringComparison.Ordinal);
        Assert.Contains("npm publish --provenance\r\n", text, StringComparison.Ordinal);

        File.WriteAllBytes(path, plan.NewBytes);
        Assert.DoesNotContain(MaintainerCheck.Run(root).Findings, f => f.Fixable);
    }

    [Fact]
    public void Fix_WhenNoPermissionsAnywhere_RefusesAndSaysWhy()
    {
        var report = MaintainerCheck.Run(WorkflowFixtures.Materialize(WorkflowFixtures.Row("node-fetch/node-fetch", "release.yml")));
        var finding = Assert.Single(report.Findings, f => f.Code == MaintainerCodes.NoProvenance);
        Assert.False(finding.Fixable);
        Assert.Contains("default token", finding.Fix, StringComparison.Ordinal);
        Assert.Empty(MaintainerFixer.Plan(report));
    }

    [Fact]
    public void Fix_WhenWorkflowUsesAliases_RefusesToEdit()
    {
        var root = RepoBuilder.Create((".github/workflows/x.yml",
            "on: push\npermissions:\n  contents: read\nx: &e\n  NODE_AUTH_TOKEN: t\njobs:\n  p:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n    steps:\n      - name: publish\n        run: npm publish\n        env: *e\n"));
        var report = MaintainerCheck.Run(root);
        Assert.Contains(report.Findings, f => f.Code == MaintainerCodes.NoProvenance);
        Assert.DoesNotContain(report.Findings, f => f.Fixable && f.Edits.Any(e => e.NewText.Contains("permissions", StringComparison.Ordinal) || e.NewText.Contains("id-token", StringComparison.Ordinal)));
    }

    [Fact]
    public void Fix_WhenJobHasNoPermissionsButWorkflowDoes_CopiesThemToTheJob()
    {
        var root = RepoBuilder.Create((".github/workflows/x.yml",
            "on: push\npermissions:\n  contents: write # tags\njobs:\n  p:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm publish\n        env:\n          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}\n"));
        var plan = Assert.Single(MaintainerFixer.Plan(MaintainerCheck.Run(root)));
        Assert.Equal(
            "on: push\npermissions:\n  contents: write # tags\njobs:\n  p:\n    permissions:\n      contents: write\n      id-token: write\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm publish --provenance\n        env:\n          NODE_AUTH_TOKEN: ${{ secrets.NPM_TOKEN }}\n",
            plan.NewText);
    }

    [Fact]
    public void Fix_WhenStepIsASingleKey_AddsEnvAfterIt()
    {
        var root = RepoBuilder.Create((".github/workflows/x.yml",
            "on: push\njobs:\n  p:\n    runs-on: ubuntu-latest\n    permissions: {}\n    steps:\n      - uses: changesets/action/publish@0123456789012345678901234567890123456789\n"));
        var report = MaintainerCheck.Run(root);
        Assert.Equal(ProvenanceMode.None, report.Jobs.Single().Provenance);
        var plan = Assert.Single(MaintainerFixer.Plan(report));
        Assert.Equal(
            "on: push\njobs:\n  p:\n    runs-on: ubuntu-latest\n    permissions: { id-token: write }\n    steps:\n      - uses: changesets/action/publish@0123456789012345678901234567890123456789\n        env:\n          NPM_CONFIG_PROVENANCE: true\n",
            plan.NewText);
        File.WriteAllBytes(Path.Combine(root, plan.Path), plan.NewBytes);
        Assert.Equal(ProvenanceMode.TrustedPublishing, MaintainerCheck.Run(root).Jobs.Single().Provenance);
    }

    [Fact]
    public void UnifiedDiff_WhenLinesInserted_ShowsHunkWithContext()
    {
        var diff = MaintainerFixer.UnifiedDiff("f.yml", "a\nb\nc\nd\n", "a\nb\nX\nc\nd\n");
        Assert.Equal("--- a/f.yml\n+++ b/f.yml\n@@ -1,5 +1,6 @@\n a\n b\n+X\n c\n d\n \n", diff);
    }

    [Fact]
    public void UnifiedDiff_WhenLineChanged_ShowsRemovalBeforeAddition()
    {
        var diff = MaintainerFixer.UnifiedDiff("f.yml", "a\nnpm publish\nb\n", "a\nnpm publish --provenance\nb\n");
        Assert.Equal("--- a/f.yml\n+++ b/f.yml\n@@ -1,4 +1,4 @@\n a\n-npm publish\n+npm publish --provenance\n b\n \n", diff);
    }
}
