using Vouch.Npm;
using static Vouch.Policy.Tests.Policies;

namespace Vouch.Policy.Tests;

/// <summary>
/// An audit asks the policy for verdicts only (<see cref="PolicySubject.VerdictOnly"/>): passing rules
/// then skip describing their evidence. Differential property test against the full explanation:
/// every rule's verdict, severity and findings are the same; only a pass's evidence may be empty.
/// </summary>
public sealed class VerdictOnlyTests
{
    private const string EveryRule = """
        version: 1
        rules:
          provenance: warn
          signature: error
          trust-downgrade: error
          deprecated: warn
          install-scripts: warn
          release-age:
            severity: warn
            minimum: 3d
          source:
            severity: warn
            allowed:
              - packages: ["*"]
                repositories: ["github.com/acme/*"]
        """;

    private static readonly string[] Repositories = ["git+https://github.com/acme/widget.git", "git+https://github.com/evil/widget.git", "https://github.com/acme/other"];

    [Fact]
    public void Explain_WhenVerdictOnly_SameVerdictsAndFindingsAsTheFullExplanation()
    {
        const int seed = 20261206;
        var random = new Random(seed);
        var policy = Parse(EveryRule);
        var now = Day("2025-06-01");
        var evaluator = new PolicyEvaluator(policy, new FixedTime(now));
        var passesWithoutEvidence = 0;
        for (var round = 0; round < 400; round++)
        {
            var builder = new PackumentBuilder("widget");
            var count = random.Next(1, 7);
            for (var i = 0; i < count; i++)
            {
                builder.Version(
                    $"{random.Next(0, 2)}.{i}.{random.Next(0, 3)}",
                    now.AddDays(-200 + (i * 20) + random.Next(0, 10)),
                    provenance: random.Next(3) == 0,
                    trusted: random.Next(4) == 0,
                    approver: random.Next(8) == 0,
                    signature: random.Next(5) != 0,
                    repository: random.Next(4) == 0 ? null : Repositories[random.Next(Repositories.Length)],
                    deprecated: random.Next(6) == 0 ? "use 2.x" : null,
                    scripts: random.Next(5) == 0 ? new Dictionary<string, string> { ["postinstall"] = "node x.js" } : null);
            }

            var packument = builder.Build();
            foreach (var version in packument.Versions.Keys)
            {
                var report = Reports.For(packument, version, provenance: random.Next(3) == 0 ? !packument.Versions[version].Dist.Attestations.HasValue() : null,
                    repository: Repositories[random.Next(Repositories.Length)].Replace("git+", "", StringComparison.Ordinal).Replace(".git", "", StringComparison.Ordinal));
                var subject = new PolicySubject { Report = report, Packument = packument };

                var full = evaluator.Explain(subject);
                var brief = evaluator.Explain(subject with { VerdictOnly = true });

                Assert.True(full.Count == brief.Count, $"seed {seed} round {round} {version}");
                for (var i = 0; i < full.Count; i++)
                {
                    var (a, b) = (full[i], brief[i]);
                    var where = $"seed {seed} round {round} {version} rule {a.Rule}";
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

internal static class AttestationExtensions
{
    public static bool HasValue(this DistAttestations? attestations) => attestations is not null;
}
