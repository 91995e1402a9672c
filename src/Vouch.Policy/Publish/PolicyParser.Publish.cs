using Vouch.Policy.Publish;
using YamlDotNet.RepresentationModel;

namespace Vouch.Policy;

/// <summary>The <c>publish:</c> section (docs/policy.md): a list of entries per package pattern.</summary>
internal static partial class PolicyParser
{
    private const string PublishShape = "a list of publish entries {packages, exclude, provenance, source, trusted-publisher, trust-downgrade, new-major, new-publisher, install-scripts}";

    private static PublishPolicy ParsePublish(Reader p, YamlNode node)
    {
        var list = p.Sequence(node, PublishShape);
        if (list.Children.Count > MaxEntries)
        {
            throw p.Error(node, $"at most {MaxEntries} publish entries");
        }

        var entries = new List<PublishEntry>();
        foreach (var item in list.Children)
        {
            var map = p.Mapping(item, PublishShape);
            p.OnlyKeys(map, "packages", "exclude", "provenance", "source", "trusted-publisher", "trust-downgrade", "new-major", "new-publisher", "install-scripts");
            var packages = Patterns(p, p.Required(map, "packages", "packages: the package-name globs this entry covers"), "packages", isName: true);
            var exclude = p.Optional(map, "exclude") is { } ex ? Patterns(p, ex, "exclude", isName: true) : [];
            var provenance = p.Optional(map, "provenance") is { } pv ? Action(p, pv, "provenance") : PublishAction.Off;
            PublishSourceConstraint? source = null;
            if (p.Optional(map, "source") is { } sn)
            {
                var s = p.Mapping(sn, "source: {action, repositories, workflows, refs, builders}");
                p.OnlyKeys(s, "action", "repositories", "workflows", "refs", "builders");
                var repos = p.Optional(s, "repositories") is { } r ? Patterns(p, r, "repositories", isName: false).Select(NormalizeRepositoryPattern).ToList() : [];
                var workflows = p.Optional(s, "workflows") is { } w ? Patterns(p, w, "workflows", isName: false) : [];
                var refs = p.Optional(s, "refs") is { } rf ? Patterns(p, rf, "refs", isName: false) : [];
                var builders = p.Optional(s, "builders") is { } b ? Patterns(p, b, "builders", isName: false) : [];
                if (repos.Count + workflows.Count + refs.Count + builders.Count == 0)
                {
                    throw p.Error(sn, "at least one of repositories, workflows, refs, builders (a source that pins nothing allows everything)");
                }

                source = new PublishSourceConstraint(p.Optional(s, "action") is { } a ? Action(p, a, "source action") : PublishAction.Error, repos, workflows, refs, builders);
            }

            TrustedPublisherConstraint? trusted = null;
            if (p.Optional(map, "trusted-publisher") is { } tn)
            {
                var t = p.Mapping(tn, "trusted-publisher: {action, issuers, identities, tokens}");
                p.OnlyKeys(t, "action", "issuers", "identities", "tokens");
                var issuers = p.Optional(t, "issuers") is { } i ? Patterns(p, i, "issuers", isName: false) : [];
                var identities = p.Optional(t, "identities") is { } id ? Patterns(p, id, "identities", isName: false) : [];
                var tokens = p.Optional(t, "tokens") is { } tk ? Patterns(p, tk, "tokens", isName: false) : [];
                if (identities.Count == 0)
                {
                    throw p.Error(tn, "identities: the signing identities (certificate SAN globs, e.g. https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v*) of the trusted publisher (missing)");
                }

                if (issuers.Count == 0)
                {
                    throw p.Error(tn, "issuers: the OIDC issuers of the trusted publisher (e.g. https://token.actions.githubusercontent.com) (missing)");
                }

                trusted = new TrustedPublisherConstraint(p.Optional(t, "action") is { } a ? Action(p, a, "trusted-publisher action") : PublishAction.Error, issuers, identities, tokens);
            }

            var downgrade = p.Optional(map, "trust-downgrade") is { } td ? Action(p, td, "trust-downgrade") : PublishAction.Off;
            var major = p.Optional(map, "new-major") is { } nm ? Action(p, nm, "new-major") : PublishAction.Off;
            var newPublisher = p.Optional(map, "new-publisher") is { } np ? Action(p, np, "new-publisher") : PublishAction.Off;
            var scripts = p.Optional(map, "install-scripts") is { } isn ? Action(p, isn, "install-scripts") : PublishAction.Off;
            var entry = new PublishEntry(packages, exclude, provenance, source, trusted, downgrade, major, scripts, p.Where(item)) { NewPublisher = newPublisher };
            if (entry.Provenance == PublishAction.Off && source is null && trusted is null && downgrade == PublishAction.Off && major == PublishAction.Off && newPublisher == PublishAction.Off && scripts == PublishAction.Off)
            {
                throw p.Error(item, "a publish entry with at least one rule (provenance, source, trusted-publisher, trust-downgrade, new-major, new-publisher, install-scripts)");
            }

            entries.Add(entry);
        }

        return new PublishPolicy(entries);
    }

    private static PublishAction Action(Reader p, YamlNode node, string key) => p.Scalar(node, $"{key}: error, hold or off") switch
    {
        "error" => PublishAction.Error,
        "hold" => PublishAction.Hold,
        "off" => PublishAction.Off,
        var other => throw p.Error(node, $"{key}: error, hold or off (not '{other}')"),
    };
}
