using Vouch.Policy.Publish;

namespace Vouch.Policy.Rules.Publish;

/// <summary>
/// <c>new-publisher</c>: the publisher (the gate token that sent the publish) is not one any earlier
/// version of the package came from, as the gate recorded them. A stolen or newly issued publisher
/// token publishing a package it never published before is the lottie-player pattern on the
/// publishing side. Versions published before the gate (no recorded publisher) do not count as
/// anyone: a package whose history the gate never saw makes every first publisher new.
/// </summary>
internal sealed class NewPublisherCheck : IPublishRule
{
    public string Name => "publish-new-publisher";

    public PublishFinding? Evaluate(PublishFacts f, PublishEntry entry, PublishTrust trust)
    {
        if (entry.NewPublisher == PublishAction.Off || f.Existing.Count == 0)
        {
            return null;
        }

        var earlier = f.Existing.Select(e => e.Publisher).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (earlier.Contains(f.Publisher, StringComparer.Ordinal))
        {
            return null;
        }

        var who = earlier.Count == 0 ? "no earlier version was published through the gate" : $"earlier versions came from {string.Join(", ", earlier)}";
        return new PublishFinding(Name, PolicyCodes.PublishNewPublisher, entry.NewPublisher,
            $"{f.Id} is published by '{f.Publisher}', a new publisher for {f.Name}; {who}",
            entry.NewPublisher == PublishAction.Hold ? "an approver confirms the new publisher and grants the staged publish" : "publish with a token that published this package before, or change new-publisher under publish: in vouch.policy.yml");
    }
}
