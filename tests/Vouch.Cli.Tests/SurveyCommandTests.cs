using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Vouch.Sandbox;

namespace Vouch.Cli.Tests;

/// <summary>`vouch sandbox --scenario survey` and `vouch survey` through the CLI, as a user runs them.</summary>
public sealed class SurveyCommandTests
{
    [Fact]
    public async Task Survey_WhenRunAgainstTheSandboxSurveyScenario_PrintsExactlyTheGeneratedNumbers()
    {
        var data = Directory.CreateTempSubdirectory("vouch-survey-cli-").FullName;
        var sandboxOut = new StringWriter();
        var synchronized = TextWriter.Synchronized(sandboxOut);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        var sandbox = VouchCli.RunAsync(["sandbox", "--scenario", "survey", "--generate", "200", "--data", data], synchronized, TextWriter.Null, cts.Token);
        Match url;
        while (!(url = Regex.Match(sandboxOut.ToString(), @"registry:\s+(http://127\.0\.0\.1:\d+/)")).Success || !sandboxOut.ToString().Contains("package list:", StringComparison.Ordinal))
        {
            Assert.False(sandbox.IsCompleted, sandboxOut.ToString());
            await Task.Delay(50);
        }

        var list = Path.Combine(data, "packages.txt");
        Assert.Equal(200, File.ReadAllLines(list).Length);
        var expected = SurveyPopulation.Scaled(200);
        Assert.Contains(expected.Describe(), sandboxOut.ToString(), StringComparison.Ordinal);

        var jsonl = Path.Combine(data, "out.jsonl");
        var html = Path.Combine(data, "out.html");
        var (exit, stdout, stderr) = await Run("survey", "--registry", url.Groups[1].Value, "--trusted-root", Path.Combine(data, "trusted_root.json"), "--cache-dir", Path.Combine(data, "cache"),
            "--packages", list, "--jsonl", jsonl, "--html", html);
        Assert.True(exit == 0, stderr);
        Assert.Matches($@"(?m)^packages surveyed\s+{expected.Packages}$", stdout);
        Assert.Matches($@"(?m)^with a GitHub repository\s+{expected.GitHubRepositories} \(", stdout);
        Assert.Matches($@"(?m)^  publishing from CI\s+{expected.PublishingFromCi} \(", stdout);
        Assert.Matches($@"(?m)^    with provenance\s+{expected.WithProvenance} \(", stdout);
        Assert.Matches($@"(?m)^with a trust downgrade in history {expected.WithDowngrades} \(", stdout);
        Assert.Equal(200, File.ReadAllLines(jsonl).Length);
        Assert.Contains("<svg", await File.ReadAllTextAsync(html), StringComparison.Ordinal);

        var (jsonExit, json, _) = await Run("survey", "--registry", url.Groups[1].Value, "--trusted-root", Path.Combine(data, "trusted_root.json"), "--cache-dir", Path.Combine(data, "cache"),
            "--packages", list, "--json", "--concurrency", "3");
        Assert.Equal(0, jsonExit);
        var summary = JsonNode.Parse(json)!;
        Assert.Equal(expected.PublishingFromCi, (int)summary["publishingFromCi"]!);
        Assert.Equal(expected.WithProvenance, (int)summary["withProvenance"]!);

        var (diffExit, diff, _) = await Run("survey", "diff", jsonl, jsonl);
        Assert.Equal(0, diffExit);
        Assert.Equal("no changes", diff.Trim());

        await cts.CancelAsync();
        Assert.Equal(0, await sandbox);
    }

    [Theory]
    [InlineData("survey")]
    [InlineData("survey", "left-pad", "--packages", "x.txt")]
    [InlineData("survey", "../../etc/passwd")]
    [InlineData("survey", "left-pad", "--concurrency", "0")]
    [InlineData("survey", "left-pad", "--rate", "-1")]
    [InlineData("survey", "--packages", "/nonexistent/vouch-survey-list.txt")]
    [InlineData("survey", "diff", "/nonexistent/a.jsonl", "/nonexistent/b.jsonl")]
    [InlineData("sandbox", "--scenario", "survey", "--generate", "5")]
    public async Task Survey_WhenInputIsBad_ExitsTwoWithOneLine(params string[] args)
    {
        var (exit, _, stderr) = await Run(args);
        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: ", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = await VouchCli.RunAsync(args, stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
