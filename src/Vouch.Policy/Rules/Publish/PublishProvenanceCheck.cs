using Vouch.Policy.Publish;

namespace Vouch.Policy.Rules.Publish;

/// <summary><c>provenance</c>: the publish carries a Sigstore provenance bundle over this tarball that verifies.</summary>
internal sealed class PublishProvenanceCheck : IPublishRule
{
    public string Name => "publish-provenance";

    public PublishFinding? Evaluate(PublishFacts f, PublishEntry entry, PublishTrust trust) =>
        entry.Provenance == PublishAction.Off || f.Provenance is not null
            ? null
            : new PublishFinding(Name, PolicyCodes.PublishProvenanceRequired, entry.Provenance,
                $"{f.Id} is published without provenance; {entry.Location} requires a verified Sigstore provenance bundle for {f.Name}",
                "publish from CI with `npm publish --provenance` (GitHub Actions with id-token: write, or GitLab CI with SIGSTORE_ID_TOKEN)");
}
