using Vouch.Policy.Publish;

namespace Vouch.Policy.Rules.Publish;

/// <summary>
/// <c>trusted-publisher</c>: the signing certificate was issued to an allowed identity by an allowed
/// OIDC issuer (the CI workflow the organisation trusts to publish the package), and the gate token
/// that sent it is one of the allowed publisher tokens when the entry names them.
/// </summary>
internal sealed class TrustedPublisherCheck : IPublishRule
{
    public string Name => "publish-trusted-publisher";

    public PublishFinding? Evaluate(PublishFacts f, PublishEntry entry, PublishTrust trust)
    {
        if (entry.TrustedPublisher is not { } c || c.Action == PublishAction.Off || Problem(f, c) is not { } problem)
        {
            return null;
        }

        return new PublishFinding(Name, PolicyCodes.PublishTrustedPublisher, c.Action,
            $"{f.Id} does not come from the trusted publisher {entry.Location} names: {problem}",
            "publish with `npm publish --provenance` from the trusted workflow, with its own publisher token");
    }

    /// <summary>What does not match, or null when the publish comes from the trusted publisher.</summary>
    internal static string? Problem(PublishFacts f, TrustedPublisherConstraint c)
    {
        if (c.Tokens.Count > 0 && !c.Tokens.Contains(f.Publisher, StringComparer.Ordinal))
        {
            return $"gate token '{f.Publisher}' is not one of {string.Join(", ", c.Tokens)}";
        }

        if (f.Provenance is not { } p)
        {
            return "no verified provenance (the signing identity is unknown)";
        }

        if (c.Issuers.Count > 0 && (p.Issuer is null || !c.Issuers.Contains(p.Issuer, StringComparer.Ordinal)))
        {
            return $"OIDC issuer {p.Issuer ?? "(none)"} is not one of {string.Join(", ", c.Issuers)}";
        }

        if (c.Identities.Count > 0 && (p.CertificateIdentity is null || !c.Identities.Any(g => Glob.MatchSource(g, p.CertificateIdentity))))
        {
            return $"signing identity {p.CertificateIdentity ?? "(none)"} is not one of {string.Join(", ", c.Identities)}";
        }

        return null;
    }
}
