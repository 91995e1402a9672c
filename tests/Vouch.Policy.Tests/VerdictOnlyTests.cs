using Vouch.Tests;
using static Vouch.Policy.Tests.Policies;

namespace Vouch.Policy.Tests;

/// <summary>
/// An audit asks the policy for verdicts only (<see cref="PolicySubject.VerdictOnly"/>): passing rules
/// then skip describing their evidence. Differential property test against the full explanation:
/// every rule's verdict, severity and findings are the same; only a pass's evidence may be empty.
/// </summary>
public sealed class VerdictOnlyTests
{
    [Fact]
    public void Explain_WhenVerdictOnly_SameVerdictsAndFindingsAsTheFullExplanation()
    {
        const int seed = 20261206;
        var random = new Random(seed);
        var now = Day("2025-06-01");
        var evaluator = new PolicyEvaluator(Parse(RandomReleaseLines.EveryRulePolicy), new FixedTime(now));
        var passesWithoutEvidence = 0;
        for (var round = 0; round < 400; round++)
        {
            var packument = RandomReleaseLines.Packument(random, now);
            foreach (var version in packument.Versions.Values)
            {
                var subject = new PolicySubject { Report = RandomReleaseLines.Report(packument, version, random), Packument = packument };

                var full = evaluator.Explain(subject);
                var brief = evaluator.Explain(subject with { VerdictOnly = true });

                Assert.True(full.Count == brief.Count, $"seed {seed} round {round} {version.Version}");
                for (var i = 0; i < full.Count; i++)
                {
                    var (a, b) = (full[i], brief[i]);
                    var where = $"seed {seed} round {round} {version.Version} rule {a.Rule}";
                    Assert.True((a.Rule, a.Severity, a.Verdict, a.Requirement) == (b.Rule, b.Severity, b.Verdict, b.Requirement), where);
                    Assert.True(a.Findings.SequenceEqual(b.Findings, FindingComparer.Instance), where);
                    if (b.Evidence.Length == 0 && a.Evidence.Length > 0)
                    {
                        Assert.True(a.Verdict == "pass", where);
                        passesWithoutEvidence++;
                    }
                    else
                    {
                        Assert.True(a.Evidence == b.Evidence, where);
                    }
                }

                Assert.Equal(PolicyVerdict.FromOutcomes(full).Allowed, PolicyVerdict.FromOutcomes(brief).Allowed);
            }
        }

        // The mode must actually leave something out, or this test compares nothing.
        Assert.True(passesWithoutEvidence > 100, $"seed {seed}: only {passesWithoutEvidence} passes without evidence");
    }

    private sealed class FindingComparer : IEqualityComparer<PolicyFinding>
    {
        public static readonly FindingComparer Instance = new();

        public bool Equals(PolicyFinding? x, PolicyFinding? y) =>
            x is not null && y is not null && x with { AdvisoryIds = [] } == y with { AdvisoryIds = [] } && x.AdvisoryIds.SequenceEqual(y.AdvisoryIds);

        public int GetHashCode(PolicyFinding obj) => obj.Code.GetHashCode(StringComparison.Ordinal);
    }
}
