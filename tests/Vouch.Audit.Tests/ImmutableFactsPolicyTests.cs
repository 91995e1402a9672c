using Vouch.Npm;
using Vouch.Policy;
using Vouch.Tests;

namespace Vouch.Audit.Tests;

/// <summary>
/// A warm audit judges the policy on the packument rebuilt from cached facts (<see cref="ImmutableFacts.ToPackument"/>),
/// which keeps less than the registry's document (no signatures, a trimmed history). Differential
/// property test: the real rules, the built-in policy and one with every rule on, decide and explain
/// exactly alike on both documents. Fixed seed, printed on failure.
/// </summary>
public sealed class ImmutableFactsPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ToPackument_WhenJudgedByEveryRule_DecidesAndExplainsAsTheRegistrysDocument()
    {
        const int seed = 61206;
        var random = new Random(seed);
        var time = new FixedTime(Now);
        var evaluators = new[] { new PolicyEvaluator(PolicyDocument.Default, time), new PolicyEvaluator(PolicyLoader.Parse(RandomReleaseLines.EveryRulePolicy, "every.yml"), time) };
        var compared = 0;
        var downgrades = 0;
        for (var round = 0; round < 300; round++)
        {
            var packument = RandomReleaseLines.Packument(random, Now);
            foreach (var version in packument.Versions.Values)
            {
                var facts = ImmutableFacts.Capture(packument, version, ReleaseLine.Predecessors(packument, version.Version), Now);
                Assert.True(facts is not null, $"seed {seed} round {round}");
                var rebuilt = facts!.ToPackument(packument.Name);
                var report = RandomReleaseLines.Report(packument, version, random);
                foreach (var evaluator in evaluators)
                {
                    var where = $"seed {seed} round {round} {version.Version}";
                    var expected = evaluator.Explain(new PolicySubject { Report = report, Packument = packument });
                    var actual = evaluator.Explain(new PolicySubject { Report = report, Packument = rebuilt });
                    Assert.True(Describe(expected) == Describe(actual), $"{where}\nregistry: {Describe(expected)}\nfacts:    {Describe(actual)}");
                    downgrades += expected.Count(o => o.Rule == "trust-downgrade" && o.Verdict == "fail");
                    compared++;
                }
            }
        }

        // Both outcomes must occur, or the comparison proves little.
        Assert.True(compared > 1000 && downgrades > 50, $"seed {seed}: {compared} compared, {downgrades} downgrades");
    }

    [Fact]
    public void Capture_WhenVersionsPrecedeTheLockedOne_KeepsOfThemOnlyWhatTrustDowngradeReads()
    {
        var repositories = RandomReleaseLines.Repositories;
        var packument = RandomReleaseLines.Parse("widget", [new("1.0.0", 10, Provenance: true, Trusted: true, Repository: repositories[0], Script: true), new("1.1.0", 20, Repository: repositories[1], Deprecated: "old")], Now);
        var locked = packument.Versions["1.1.0"];

        var facts = ImmutableFacts.Capture(packument, locked, ReleaseLine.Predecessors(packument, locked.Version), Now)!;

        var h = Assert.Single(facts.History);
        Assert.Equal(("1.0.0", true, "github", repositories[0]), (h.Version, h.AttestationsUrl is not null, h.TrustedPublisher, h.Repository?.Url));
        Assert.Equal((null, null, null, null, null), (h.Integrity, h.ProvenancePredicateType, h.ApproverName, h.Gypfile, h.HasInstallScript));
        Assert.Empty(h.Scripts);
        Assert.Equal("old", facts.Deprecated);
        Assert.NotNull(facts.Version.Integrity);
    }

    private static string Describe(IReadOnlyList<RuleOutcome> outcomes) => string.Join(" | ", outcomes.Select(o =>
        $"{o.Rule} {o.Severity} {o.Verdict} [{o.Evidence}] {string.Join(", ", o.Findings.Select(f => $"{f.Code} {f.Severity} {f.Message} / {f.Evidence} / {f.Fix}"))}"));

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
