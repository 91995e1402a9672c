using Vouch.Policy.Publish;

namespace Vouch.Policy.Rules.Publish;

/// <summary><c>new-major</c>: the first version of a release line above every line already in the organisation's registry (not the package's first version).</summary>
internal sealed class NewMajorCheck : IPublishRule
{
    public string Name => "publish-new-major";

    public PublishFinding? Evaluate(PublishFacts f, PublishEntry entry, PublishTrust trust)
    {
        if (entry.NewMajor == PublishAction.Off || f.Existing.Count == 0)
        {
            return null;
        }

        var line = ReleaseLine.Of(f.Version);
        var highest = f.Existing.Select(e => ReleaseLine.Of(e.Version)).Max();
        return line.CompareTo(highest) <= 0
            ? null
            : new PublishFinding(Name, PolicyCodes.PublishNewMajor, entry.NewMajor,
                $"{f.Id} opens release line {line} above {highest}; {entry.Location} wants a second look at a new major",
                entry.NewMajor == PublishAction.Hold ? $"an approver grants it: vouch approve list --status pending, then vouch approve grant ID" : "publish the major through an approval workflow, or change new-major in vouch.policy.yml");
    }
}
