using Vouch.Policy.Publish;
using Vouch.Provenance;

namespace Vouch.Policy.Rules.Publish;

/// <summary><c>source</c>: the verified provenance names a pinned repository, workflow, ref and builder.</summary>
internal sealed class PublishSourceCheck : IPublishRule
{
    public string Name => "publish-source";

    public PublishFinding? Evaluate(PublishFacts f, PublishEntry entry, PublishTrust trust)
    {
        if (entry.Source is not { } c || c.Action == PublishAction.Off)
        {
            return null;
        }

        if (f.Provenance is not { } p)
        {
            return new PublishFinding(Name, PolicyCodes.PublishSource, c.Action,
                $"{f.Id} has no verified provenance, so its source cannot be checked against {entry.Location}",
                "publish with `npm publish --provenance` from the pinned repository and workflow");
        }

        var problems = new List<string>();
        Check(c.Repositories, SourceBinding.Normalize(p.Repository), "repository", ignoreCase: true);
        Check(c.Workflows, p.WorkflowPath, "workflow", ignoreCase: false);
        Check(c.Refs, p.Ref, "ref", ignoreCase: false);
        Check(c.Builders, p.BuilderId, "builder", ignoreCase: false);
        return problems.Count == 0
            ? null
            : new PublishFinding(Name, PolicyCodes.PublishSource, c.Action,
                $"{f.Id} was built from a source {entry.Location} does not pin: {string.Join("; ", problems)}",
                "publish from the pinned repository, workflow and ref, or change the publish source of this package in vouch.policy.yml");

        void Check(IReadOnlyList<string> patterns, string? value, string what, bool ignoreCase)
        {
            if (patterns.Count > 0 && (value is null || !patterns.Any(g => Glob.MatchSource(g, value, ignoreCase))))
            {
                problems.Add($"{what} {value ?? "(none)"} is not one of {string.Join(", ", patterns)}");
            }
        }
    }
}
