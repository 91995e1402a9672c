using Vouch.Maintainer.Analysis;
using Vouch.Maintainer.Repo;

namespace Vouch.Maintainer.Tests;

public sealed class ShellCommandsTests
{
    private static readonly IReadOnlyList<PackageManifest> NoPackages = [];

    [Theory]
    [InlineData("npm publish", "npm")]
    [InlineData("npm publish --provenance --access public", "npm")]
    [InlineData("pnpm -r publish --no-git-checks", "pnpm")]
    [InlineData("pn publish --filter=!pnpm --access=public", "pnpm")]
    [InlineData("pnpm --filter my-pkg publish", "pnpm")]
    [InlineData("yarn npm publish --tolerate-republish", "yarn")]
    [InlineData("yarn publish --non-interactive", "yarn-classic")]
    [InlineData("npx changeset publish", "changesets")]
    [InlineData("pnpm exec changeset publish --tag next", "changesets")]
    [InlineData("npx semantic-release@25.0.1", "semantic-release")]
    [InlineData("semantic-release", "semantic-release")]
    [InlineData("npx lerna publish from-package --yes", "lerna")]
    [InlineData("pnpm exec nx release publish --tag canary", "nx")]
    [InlineData("FOO=1 sudo npm publish", "npm")]
    [InlineData("./scripts/publish.sh", "script")]
    [InlineData("node scripts/publish-packages.mjs", "script")]
    [InlineData(".github/scripts/npm-staged-publication.sh stage 'x' next pnpm11/pnpm", "script")]
    [InlineData("npm run ci-publish", "script")]
    [InlineData("if true; then\n  npm publish \\\n    --access public\nfi", "npm")]
    public void Find_WhenCommandPublishes_ReturnsKind(string text, string kind)
    {
        var found = Assert.Single(ShellCommands.Find(text, NoPackages));
        Assert.Equal(kind, found.Kind);
    }

    [Theory]
    [InlineData("npm ci")]
    [InlineData("npm install -g npm@11.5.2")]
    [InlineData("echo npm publish")]
    [InlineData("# npm publish")]
    [InlineData("node ./bin/actions/notify_published.js")]
    [InlineData(".github/scripts/npm-package-publication-state.sh pnpm@1.0.0")]
    [InlineData("npx semantic-release --dry-run")]
    [InlineData("npm view chromeflow version")]
    [InlineData("pnpm run build")]
    [InlineData("release-it --no-npm")]
    public void Find_WhenCommandDoesNotPublish_ReturnsNothing(string text) =>
        Assert.Empty(ShellCommands.Find(text, NoPackages));

    [Fact]
    public void Find_WhenScriptResolvesToPublish_FollowsPackageJson()
    {
        var root = new PackageManifest { Path = "package.json", Scripts = new Dictionary<string, string> { ["release"] = "npm run build && changeset publish", ["build"] = "tsc" } };
        var found = Assert.Single(ShellCommands.Find("npm run release", [root]));
        Assert.Equal("script", found.Kind);
        Assert.Empty(ShellCommands.Find("npm run build", [root]));
    }

    [Fact]
    public void Find_WhenScriptsRecurse_StopsAtDepth()
    {
        var root = new PackageManifest { Path = "package.json", Scripts = new Dictionary<string, string> { ["a"] = "npm run a" } };
        Assert.Empty(ShellCommands.Find("npm run a", [root]));
    }

    [Fact]
    public void Find_WhenNpmPublishLiteral_GivesInsertOffsetAfterPublish()
    {
        const string text = "echo hi && npm publish --access public";
        var found = Assert.Single(ShellCommands.Find(text, NoPackages));
        Assert.Equal(text.IndexOf("publish", StringComparison.Ordinal) + "publish".Length, found.FlagInsertAt);
        Assert.Equal(text.IndexOf("npm", StringComparison.Ordinal), found.Start);
    }

    [Fact]
    public void Find_WhenRegistryOnCommandLine_ReportsIt()
    {
        var found = Assert.Single(ShellCommands.Find("npm publish --@lottiefiles:registry=https://npm.pkg.github.com/", NoPackages));
        Assert.Equal("https://npm.pkg.github.com/", found.Registry);
    }

    [Theory]
    [InlineData("npx semantic-release", true)]
    [InlineData("npx vsce publish -p x", true)]
    [InlineData("npx semantic-release@25.0.1", false)]
    [InlineData("npx semantic-release@latest", true)]
    [InlineData("npx @scope/tool@1.2.3 run", false)]
    [InlineData("pnpm dlx create-thing", true)]
    [InlineData("npx ./local-script.js", false)]
    public void UnpinnedRunners_WhenVersionMissingOrLoose_Reports(string text, bool unpinned) =>
        Assert.Equal(unpinned, ShellCommands.UnpinnedRunners(text).Any());

    [Theory]
    [InlineData("20", null, true)]
    [InlineData("22", null, true)]
    [InlineData("22", "^11.5.1", false)]
    [InlineData("22.13.0", "11.6.0", true)]
    [InlineData("24", null, false)]
    [InlineData("24.x", null, false)]
    [InlineData("24.4.0", null, true)]
    [InlineData("24.15.0", null, false)]
    [InlineData("lts/*", null, false)]
    [InlineData("24", "11.5.0", true)]
    [InlineData("24", "latest", false)]
    [InlineData(null, null, false)]
    [InlineData("${{ matrix.node }}", null, false)]
    public void Toolchain_WhenVersionsGiven_JudgesTrustedPublishingSupport(string? node, string? npm, bool problem) =>
        Assert.Equal(problem, Toolchain.Problem(node?.Contains("${{", StringComparison.Ordinal) == true ? null : node, npm) is not null);

    [Theory]
    [InlineData("${{ github.event.issue.title }}", Expressions.Trust.Untrusted)]
    [InlineData("${{ github.event.pull_request.head.ref }}", Expressions.Trust.Untrusted)]
    [InlineData("${{ github.head_ref }}", Expressions.Trust.Untrusted)]
    [InlineData("${{ github.event.pull_request.number }}", Expressions.Trust.Safe)]
    [InlineData("${{ github.event_name }}", Expressions.Trust.Safe)]
    [InlineData("${{ steps.x.outputs.tag }}", Expressions.Trust.Derived)]
    [InlineData("${{ inputs.name }}", Expressions.Trust.Derived)]
    [InlineData("${{ secrets.NPM_TOKEN }}", Expressions.Trust.Secret)]
    [InlineData("${{ github.sha }}", Expressions.Trust.Safe)]
    [InlineData("${{ github.event['comment']['body'] }}", Expressions.Trust.Untrusted)]
    public void Expressions_WhenScanned_ClassifyContext(string text, Expressions.Trust trust) =>
        Assert.Equal(trust, Assert.Single(Expressions.Scan(text)).Trust);
}
