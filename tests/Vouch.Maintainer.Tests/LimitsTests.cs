using System.Text;
using Vouch.Maintainer.Analysis;

namespace Vouch.Maintainer.Tests;

/// <summary>The repository is untrusted: caps and refusals on what it may make the check read.</summary>
public sealed class LimitsTests
{
    private const string Publish = "on: push\npermissions:\n  contents: read\njobs:\n  p:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm publish\n        env:\n          NODE_AUTH_TOKEN: x\n";

    [Fact]
    public void Check_WhenWorkflowTooLarge_ReportsUnreadable()
    {
        var root = RepoBuilder.Create((".github/workflows/big.yml", Publish + "# " + new string('x', (int)MaintainerLimits.MaxFileBytes) + "\n"));
        var report = MaintainerCheck.Run(root);
        Assert.Contains(report.Findings, f => f.Code == MaintainerCodes.FileUnreadable && f.At.File == ".github/workflows/big.yml");
        Assert.Empty(report.Jobs);
    }

    [Fact]
    public void Check_WhenYamlNestedTooDeep_ReportsUnreadable()
    {
        var deep = "on: push\njobs: " + new string('[', MaintainerLimits.MaxYamlDepth + 2) + new string(']', MaintainerLimits.MaxYamlDepth + 2) + "\n";
        var report = MaintainerCheck.Run(RepoBuilder.Create((".github/workflows/deep.yml", deep)));
        Assert.Contains(report.Findings, f => f.Code == MaintainerCodes.FileUnreadable && f.Message.Contains("deeper", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_WhenTooManyAliases_ReportsUnreadable()
    {
        var sb = new StringBuilder("x0: &a0 [\"v\"]\n");
        for (var i = 1; i <= 40; i++)
        {
            sb.Append($"x{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n");
        }

        var report = MaintainerCheck.Run(RepoBuilder.Create((".github/workflows/x.yml", sb.ToString())));
        Assert.Contains(report.Findings, f => f.Code == MaintainerCodes.FileUnreadable && f.Message.Contains("aliases", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_WhenAliasesDescribeAnExponentialTree_FinishesWithoutExpandingIt()
    {
        // 2^30 steps if expanded; the analyzers only look one level into steps.
        var sb = new StringBuilder("x0: &a0 [{run: \"npm publish ${{ github.event.issue.title }}\"}]\n");
        for (var i = 1; i <= 30; i++)
        {
            sb.Append($"x{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n");
        }

        sb.Append("on: push\njobs:\n  p:\n    runs-on: ubuntu-latest\n    steps: *a30\n");
        var report = MaintainerCheck.Run(RepoBuilder.Create((".github/workflows/x.yml", sb.ToString())));
        Assert.Empty(report.Jobs);
    }

    [Fact]
    public void Check_WhenFileIsNotUtf8_ReportsUnreadable()
    {
        var root = RepoBuilder.Create();
        Directory.CreateDirectory(Path.Combine(root, ".github", "workflows"));
        File.WriteAllBytes(Path.Combine(root, ".github", "workflows", "x.yml"), [0x6f, 0x6e, 0x3a, 0x20, 0xff, 0xfe, 0x0a]);
        Assert.Contains(MaintainerCheck.Run(root).Findings, f => f.Code == MaintainerCodes.FileUnreadable && f.Message.Contains("UTF-8", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_WhenYamlInvalid_ReportsUnreadableWithLine()
    {
        var root = RepoBuilder.Create((".github/workflows/x.yml", "on: push\njobs:\n  a: [\n"));
        var f = Assert.Single(MaintainerCheck.Run(root).Findings);
        Assert.Equal(MaintainerCodes.FileUnreadable, f.Code);
        Assert.Contains("invalid YAML", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_WhenTwoDocuments_ReportsUnreadable()
    {
        var root = RepoBuilder.Create((".github/workflows/x.yml", Publish + "---\n" + Publish));
        Assert.Contains(MaintainerCheck.Run(root).Findings, f => f.Code == MaintainerCodes.FileUnreadable && f.Message.Contains("more than one", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_WhenWorkflowIsSymbolicLink_DoesNotFollowIt()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var outside = RepoBuilder.Create(("secret.yml", Publish));
        var root = RepoBuilder.Create();
        Directory.CreateDirectory(Path.Combine(root, ".github", "workflows"));
        File.CreateSymbolicLink(Path.Combine(root, ".github", "workflows", "x.yml"), Path.Combine(outside, "secret.yml"));
        var report = MaintainerCheck.Run(root);
        Assert.Empty(report.Jobs);
        Assert.Contains(report.Findings, f => f.Code == MaintainerCodes.FileUnreadable && f.Message.Contains("symbolic link", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_WhenWorkflowsDirectoryIsSymbolicLink_DoesNotFollowIt()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var outside = RepoBuilder.Create(("workflows/x.yml", Publish));
        var root = RepoBuilder.Create();
        Directory.CreateDirectory(Path.Combine(root, ".github"));
        Directory.CreateSymbolicLink(Path.Combine(root, ".github", "workflows"), Path.Combine(outside, "workflows"));
        Assert.Empty(MaintainerCheck.Run(root).Jobs);
    }

    [Fact]
    public void Check_WhenPackageJsonMalformed_ReportsItAndGoesOn()
    {
        var root = RepoBuilder.Create((".github/workflows/x.yml", Publish), ("package.json", "{ \"name\": "), ("packages/a/package.json", "{\"name\":\"a\",\"publishConfig\":{\"provenance\":true}}"));
        var report = MaintainerCheck.Run(root);
        Assert.Contains(report.Findings, f => f.Code == MaintainerCodes.FileUnreadable && f.At.File == "package.json");
        Assert.Equal(ProvenanceMode.PublishConfig, report.Jobs.Single().Provenance);
    }

    [Fact]
    public void Check_WhenPackageJsonNestedTooDeep_ReportsUnreadable()
    {
        var deep = "{\"name\":\"a\",\"x\":" + new string('[', 200) + new string(']', 200) + "}";
        var root = RepoBuilder.Create(("package.json", deep));
        Assert.Contains(MaintainerCheck.Run(root).Findings, f => f.Code == MaintainerCodes.FileUnreadable);
    }

    [Fact]
    public void Check_WhenPackageInNodeModules_IgnoresIt()
    {
        var root = RepoBuilder.Create((".github/workflows/x.yml", Publish), ("node_modules/evil/package.json", "{\"name\":\"evil\",\"publishConfig\":{\"provenance\":true}}"));
        var report = MaintainerCheck.Run(root);
        Assert.Empty(report.Packages);
        Assert.Equal(ProvenanceMode.None, report.Jobs.Single().Provenance);
    }
}
