using System.Text.RegularExpressions;
using Vouch.Maintainer.Analysis;
using Vouch.Maintainer.Fix;
using Vouch.Maintainer.Output;
using Vouch.Policy;

namespace Vouch.Maintainer.Tests;

/// <summary>Every row of shared/fixtures/workflows/README.md holds: provenance per category, and the risks the row names.</summary>
public sealed partial class FixtureTableTests
{
    [Fact]
    public void Rows_WhenReadmeParsed_AreAllThere()
    {
        var rows = WorkflowFixtures.Rows();
        Assert.True(rows.Count >= 19 || Environment.GetEnvironmentVariable("VOUCH_WORKFLOW_FIXTURES") is not null, $"only {rows.Count} rows parsed");
        Assert.All(rows, r => Assert.Matches("^[0-9a-f]{40}$", r.Commit));
        Assert.All(rows, r => Assert.True(File.Exists(Path.Combine(WorkflowFixtures.Root, r.Folder, r.File)), r.ToString()));
    }

    [Theory]
    [MemberData(nameof(WorkflowFixtures.Data), MemberType = typeof(WorkflowFixtures))]
    public void Check_WhenRunOnFixtureRow_MatchesCategory(string repo, string file)
    {
        var row = WorkflowFixtures.Row(repo, file);
        var report = Check(row);
        var jobs = report.Jobs;
        Assert.NotEmpty(jobs);
        var steps = jobs.SelectMany(j => j.Steps).ToList();
        var modes = jobs.Select(j => j.Provenance).ToHashSet();
        var stepModes = steps.Select(s => s.Provenance).ToHashSet();
        var combined = row.Category.Contains(" + ", StringComparison.Ordinal);

        switch (row.Main)
        {
            case 'a' when combined:
                Assert.Contains(ProvenanceMode.TrustedPublishing, stepModes);
                break;
            case 'a':
                Assert.All(jobs, j => Assert.Equal(ProvenanceMode.TrustedPublishing, j.Provenance));
                Assert.DoesNotContain(report.Findings, f => f.Code is MaintainerCodes.NoProvenance or MaintainerCodes.IdTokenMissing);
                break;
            case 'b':
                Assert.Contains(ProvenanceMode.Flag, modes);
                if (!combined)
                {
                    Assert.All(jobs, j => Assert.Equal(ProvenanceMode.Flag, j.Provenance));
                }

                Assert.Contains(steps, s => s.UsesToken);
                Assert.Contains(report.Findings, f => f.Code == MaintainerCodes.LongLivedToken);
                break;
            case 'c':
                Assert.All(jobs, j => Assert.Equal(ProvenanceMode.PublishConfig, j.Provenance));
                Assert.Contains(report.Packages, p => p.PublishConfigProvenance == true);
                Assert.Contains(report.Findings, f => f.Code == MaintainerCodes.LongLivedToken);
                break;
            case 'd':
                Assert.All(jobs, j => Assert.Equal(ProvenanceMode.None, j.Provenance));
                Assert.Contains(report.Findings, f => f.Code == MaintainerCodes.NoProvenance && f.Level == FindingLevel.Error);
                break;
            case 'e':
                Assert.True(
                    report.Findings.Any(f => f.Code == MaintainerCodes.RiskyTrigger && f.Level == FindingLevel.Error)
                    || report.Findings.Any(f => f.Code == MaintainerCodes.UnpinnedAction && f.Level == FindingLevel.Warning),
                    "category e: a risky trigger or an unpinned third-party action");
                break;
            case 'f':
                Assert.Equal(".gitlab-ci.yml", row.File);
                Assert.All(jobs, j => Assert.Equal("gitlab", j.Platform));
                break;
            default:
                Assert.Fail($"unknown category {row.Category}");
                break;
        }

        foreach (var extra in row.Extra)
        {
            switch (extra)
            {
                case 'a':
                    Assert.Contains(ProvenanceMode.TrustedPublishing, stepModes);
                    break;
                case 'b':
                    Assert.Contains(ProvenanceMode.Flag, stepModes);
                    Assert.Contains(steps, s => s.UsesToken);
                    break;
                case 'c':
                    Assert.Contains(report.Packages, p => p.PublishConfigProvenance == true);
                    break;
                case 'd':
                    Assert.All(jobs, j => Assert.Equal(ProvenanceMode.None, j.Provenance));
                    break;
                case 'e':
                    Assert.Contains(report.Findings, f => f.Code is MaintainerCodes.RiskyTrigger or MaintainerCodes.UnpinnedAction && f.Level >= FindingLevel.Warning);
                    break;
            }
        }
    }

    [Theory]
    [MemberData(nameof(WorkflowFixtures.Data), MemberType = typeof(WorkflowFixtures))]
    public void Check_WhenRunOnFixtureRow_ReportsTheRisksTheRowNames(string repo, string file)
    {
        var row = WorkflowFixtures.Row(repo, file);
        var report = Check(row);
        var codes = report.Findings.Select(f => f.Code).ToHashSet();
        var text = row.Provenance + " " + row.Risks;

        if (row.Risks.Contains("all actions pinned", StringComparison.Ordinal))
        {
            Assert.DoesNotContain(MaintainerCodes.UnpinnedAction, codes);
        }
        else if (Regex.IsMatch(row.Risks, @"(actions?|`[\w.-]+[@/][^` ]*`)[^;]*unpinned|unpinned[^;]*(actions?|`[\w.-]+@[^` ]*`)", RegexOptions.IgnoreCase))
        {
            Assert.Contains(MaintainerCodes.UnpinnedAction, codes);
        }

        if (Regex.IsMatch(row.Risks, "`npx [^`]*` ?[^;]*unpinned|`npx [^`]*` with no version pin"))
        {
            Assert.Contains(MaintainerCodes.UnpinnedTool, codes);
        }

        foreach (Match m in Trigger().Matches(row.Risks))
        {
            var trigger = m.Groups[1].Value;
            Assert.Contains(report.Findings, f => f.Code == MaintainerCodes.RiskyTrigger && f.Message.Contains($"'{trigger}'", StringComparison.Ordinal)
                && (trigger is "pull_request" or "merge_group" || f.Level == FindingLevel.Error));
        }

        if (Regex.IsMatch(row.Risks, @"interpolated into (a )?`run:`"))
        {
            Assert.Contains(MaintainerCodes.UntrustedInput, codes);
        }

        if (Regex.IsMatch(row.Risks, @"`secrets\.[A-Z_]+`.*(command line|expression in `run:`)"))
        {
            Assert.Contains(MaintainerCodes.SecretInRun, codes);
        }

        if (row.Risks.Contains("workflow level", StringComparison.Ordinal) && row.Risks.Contains("id-token", StringComparison.Ordinal))
        {
            Assert.Contains(MaintainerCodes.IdTokenWorkflowLevel, codes);
        }

        if (row.Provenance.Contains("no `id-token`", StringComparison.Ordinal) || row.Risks.Contains("no `id-token`", StringComparison.Ordinal))
        {
            Assert.All(report.Jobs, j => Assert.False(j.IdToken));
        }
        else if (text.Contains("id-token: write", StringComparison.Ordinal) || text.Contains("id_tokens", StringComparison.Ordinal))
        {
            Assert.Contains(report.Jobs, j => j.IdToken);
        }

        foreach (Match m in EnvironmentName().Matches(text))
        {
            Assert.Contains(report.Jobs, j => j.Environment == m.Groups[1].Value);
        }

        if (Regex.IsMatch(text, "token (also )?given to|also exported to the step"))
        {
            Assert.Contains(MaintainerCodes.TokenExposed, codes);
        }

        // A named npm that is new enough never draws an error about the toolchain.
        if (Regex.IsMatch(text, @"npm (pinned to )?11\.\d+|npm@\^11"))
        {
            Assert.DoesNotContain(report.Findings, f => f.Code == MaintainerCodes.ToolchainTooOld && f.Level == FindingLevel.Error);
        }

        // Every finding points into a file of the repository, at a real line.
        foreach (var f in report.Findings)
        {
            var lines = File.ReadAllLines(Path.Combine(report.Root, f.At.File));
            Assert.InRange(f.At.Line, 1, lines.Length);
            Assert.InRange(f.At.Column, 1, lines[f.At.Line - 1].Length + 1);
        }
    }

    [Theory]
    [MemberData(nameof(WorkflowFixtures.Data), MemberType = typeof(WorkflowFixtures))]
    public void Fix_WhenAppliedToFixtureRow_LeavesOnlyUnfixableFindingsAndOtherBytesAlone(string repo, string file)
    {
        var row = WorkflowFixtures.Row(repo, file);
        var report = Check(row);
        var plans = MaintainerFixer.Plan(report);
        foreach (var plan in plans)
        {
            var path = Path.Combine(report.Root, plan.Path);
            var before = File.ReadAllBytes(path);
            File.WriteAllBytes(path, plan.NewBytes);

            // Insertions only: removing the inserted text gives the original bytes back.
            var inserted = plan.Fixed.SelectMany(f => f.Edits).Distinct().ToList();
            Assert.All(inserted, e => Assert.Equal(0, e.Length));
            Assert.Equal(before.Length + inserted.Sum(e => System.Text.Encoding.UTF8.GetByteCount(e.NewText)), plan.NewBytes.Length);
        }

        var after = MaintainerCheck.Run(report.Root);
        Assert.DoesNotContain(after.Findings, f => f.Fixable);
        Assert.DoesNotContain(after.Findings, f => f.Code == MaintainerCodes.FileUnreadable);
        foreach (var plan in plans)
        {
            foreach (var fixedFinding in plan.Fixed.Where(f => f.Code is MaintainerCodes.NoProvenance or MaintainerCodes.IdTokenMissing))
            {
                Assert.DoesNotContain(after.Findings, f => f.Code == fixedFinding.Code && f.Job == fixedFinding.Job && f.At.File == fixedFinding.At.File);
            }
        }

        // The same jobs still publish, none with less provenance than before.
        Assert.Equal(report.Jobs.Select(j => j.Job), after.Jobs.Select(j => j.Job));
        foreach (var (b, a) in report.Jobs.Zip(after.Jobs))
        {
            Assert.True(a.Provenance >= b.Provenance, $"{b.Job}: {b.Provenance} -> {a.Provenance}");
        }
    }

    [Theory]
    [MemberData(nameof(WorkflowFixtures.Data), MemberType = typeof(WorkflowFixtures))]
    public void Snippets_WhenBuiltForFixtureRow_AreUsable(string repo, string file)
    {
        var report = Check(WorkflowFixtures.Row(repo, file));
        var policy = Snippets.Policy(report);
        var parsed = PolicyLoader.Parse(policy, "snippet");
        Assert.NotNull(parsed);
        Assert.StartsWith("[![npm provenance: ", Snippets.Badge(report), StringComparison.Ordinal);
        var trust = Snippets.TrustCommands(report);
        Assert.Equal(report.Packages.Select(p => p.Name).Distinct().Count() * report.Jobs.Select(j => j.File).Distinct().Count(), trust.Count);
        Assert.All(trust, t => Assert.Matches(@"^npm trust (github|gitlab) \S+ --file ", t));
    }

    private static MaintainerReport Check(WorkflowRow row) => MaintainerCheck.Run(WorkflowFixtures.Materialize(row));

    [GeneratedRegex(@"`(issue_comment|workflow_run|pull_request_target|pull_request|merge_group)`")]
    private static partial Regex Trigger();

    [GeneratedRegex(@"`environment: ([A-Za-z0-9_-]+)`")]
    private static partial Regex EnvironmentName();
}
