using Vouch.Policy.Publish;
using Vouch.Provenance;

namespace Vouch.Policy.Rules.Publish;

/// <summary>
/// <c>trust-downgrade</c>: a publish must not carry less trust than the versions already in the
/// organisation's registry on its release line (lower versions; a stable version ignores
/// prereleases), nor come from another repository than the latest of them that names one.
/// </summary>
internal sealed class PublishTrustDowngradeCheck : IPublishRule
{
    public string Name => "publish-trust-downgrade";

    public PublishFinding? Evaluate(PublishFacts f, PublishEntry entry, PublishTrust trust)
    {
        if (entry.TrustDowngrade == PublishAction.Off)
        {
            return null;
        }

        var line = ReleaseLine.Of(f.Version);
        var before = f.Existing
            .Where(e => ReleaseLine.Of(e.Version) == line && e.Version.CompareTo(f.Version) < 0 && (f.Version.IsPrerelease || !e.Version.IsPrerelease))
            .OrderBy(e => e.Version)
            .ToList();
        if (before.Count == 0)
        {
            return null;
        }

        var strongest = before.MaxBy(e => e.Trust)!;
        if (strongest.Trust > trust)
        {
            return new PublishFinding(Name, PolicyCodes.PublishTrustDowngrade, entry.TrustDowngrade,
                $"{f.Id} is published with {Describe(trust)}, but {f.Name}@{strongest.Version} on release line {line} was published with {Describe(strongest.Trust)}",
                "publish from the same CI workflow with `npm publish --provenance`, as the earlier versions were");
        }

        if (before.LastOrDefault(e => e.Repository is not null) is { } last && f.Provenance?.Repository is { } repo
            && !string.Equals(SourceBinding.Normalize(repo), SourceBinding.Normalize(last.Repository), StringComparison.OrdinalIgnoreCase))
        {
            return new PublishFinding(Name, PolicyCodes.PublishTrustDowngrade, entry.TrustDowngrade,
                $"{f.Id} was built from {repo}, but {f.Name}@{last.Version} on release line {line} was built from {last.Repository}",
                "publish from the package's repository; a move needs an approval");
        }

        return null;
    }

    internal static string Describe(PublishTrust t) => t switch
    {
        PublishTrust.TrustedPublisher => "provenance from its trusted publisher",
        PublishTrust.Provenance => "verified provenance",
        _ => "no provenance",
    };
}
