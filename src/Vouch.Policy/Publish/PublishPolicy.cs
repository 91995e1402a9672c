using Vouch.Npm;
using Vouch.Policy.Rules.Publish;

namespace Vouch.Policy.Publish;

/// <summary>What a publish rule does when it is not met: nothing, hold the publish for an approver, or refuse it.</summary>
public enum PublishAction
{
    Off = 0,

    /// <summary>Staged: the gate keeps the version until an approver grants it (four eyes).</summary>
    Hold = 1,

    Error = 2,
}

/// <summary>How much a published version is vouched for; ordered, weakest first.</summary>
public enum PublishTrust
{
    /// <summary>No verified provenance.</summary>
    None = 0,

    /// <summary>A Sigstore provenance bundle over this tarball, verified against the gate's trust material.</summary>
    Provenance = 1,

    /// <summary>Verified provenance whose signing identity is one the policy names as the package's trusted publisher.</summary>
    TrustedPublisher = 2,
}

/// <summary>The verified provenance of a publish: every value comes from the checked bundle (the certificate or the predicate it agrees with).</summary>
public sealed record PublishProvenance
{
    public string? Repository { get; init; }

    public string? WorkflowPath { get; init; }

    public string? Ref { get; init; }

    public string? BuilderId { get; init; }

    /// <summary>The certificate's OIDC issuer.</summary>
    public string? Issuer { get; init; }

    /// <summary>The certificate's subject alternative name (the workflow identity).</summary>
    public string? CertificateIdentity { get; init; }
}

/// <summary>A version already in the organisation's registry, with what the gate recorded when it accepted it.</summary>
/// <param name="Publisher">Who published it through the gate (the gate token's name in <c>_vouchPublish.publisher</c>); null when the gate did not.</param>
public sealed record PublishedVersion(SemVersion Version, PublishTrust Trust, string? Repository, bool HasInstallScript, string? Publisher = null);

/// <summary>The typed facts one publish is decided on (built by the gate from the validated request).</summary>
public sealed record PublishFacts
{
    public required string Name { get; init; }

    public required SemVersion Version { get; init; }

    /// <summary>The name of the gate token that sent the publish.</summary>
    public required string Publisher { get; init; }

    /// <summary>Verified provenance; null when the publish carries none (an invalid bundle never gets this far).</summary>
    public PublishProvenance? Provenance { get; init; }

    /// <summary>The tarball's package.json has preinstall/install/postinstall, or a binding.gyp builds at install time.</summary>
    public bool HasInstallScript { get; init; }

    /// <summary>Install scripts as found (for the evidence).</summary>
    public IReadOnlyList<string> InstallScripts { get; init; } = [];

    /// <summary>Every version already in the organisation's registry.</summary>
    public IReadOnlyList<PublishedVersion> Existing { get; init; } = [];

    public string Id => $"{Name}@{Version}";
}

/// <summary>One publish rule not met: the rule (<c>publish-...</c>), its stable code, what it does, why and how to fix it.</summary>
public sealed record PublishFinding(string Rule, string Code, PublishAction Action, string Message, string Fix);

/// <summary>The outcome of the publish policy for one publish.</summary>
public sealed record PublishDecision(PublishTrust Trust, IReadOnlyList<PublishFinding> Findings)
{
    public bool Refused => Findings.Any(f => f.Action == PublishAction.Error);

    /// <summary>Not refused, but at least one rule holds it for an approver.</summary>
    public bool Held => !Refused && Findings.Any(f => f.Action == PublishAction.Hold);
}

/// <summary>The source a publish's verified provenance must come from (globs as in the source rule).</summary>
internal sealed record PublishSourceConstraint(PublishAction Action, IReadOnlyList<string> Repositories, IReadOnlyList<string> Workflows, IReadOnlyList<string> Refs, IReadOnlyList<string> Builders);

/// <summary>Who may publish: the signing certificate's issuer and identity, and optionally which gate tokens.</summary>
internal sealed record TrustedPublisherConstraint(PublishAction Action, IReadOnlyList<string> Issuers, IReadOnlyList<string> Identities, IReadOnlyList<string> Tokens);

/// <summary>One entry of <c>publish:</c>: the packages it covers and its rules.</summary>
internal sealed record PublishEntry(
    IReadOnlyList<string> Packages,
    IReadOnlyList<string> Exclude,
    PublishAction Provenance,
    PublishSourceConstraint? Source,
    TrustedPublisherConstraint? TrustedPublisher,
    PublishAction TrustDowngrade,
    PublishAction NewMajor,
    PublishAction InstallScripts,
    string Location)
{
    /// <summary><c>new-publisher</c>: a publisher none of the package's earlier versions came from.</summary>
    public PublishAction NewPublisher { get; init; } = PublishAction.Off;

    public bool Covers(string name) => Packages.Any(p => Glob.MatchName(p, name)) && !Exclude.Any(p => Glob.MatchName(p, name));
}

/// <summary>
/// The <c>publish:</c> section of vouch.policy.yml: rules the gate applies to publishes into the
/// organisation's registry (docs/policy.md). Every entry covering a package applies; a rule not met
/// refuses (<c>error</c>) or holds (<c>hold</c>) the publish.
/// </summary>
public sealed class PublishPolicy
{
    internal PublishPolicy(IReadOnlyList<PublishEntry> entries) => Entries = entries;

    /// <summary>No publish rules: every structurally valid publish is forwarded.</summary>
    public static PublishPolicy None { get; } = new([]);

    internal IReadOnlyList<PublishEntry> Entries { get; }

    public bool IsEmpty => Entries.Count == 0;

    /// <summary>Decides one publish on its typed facts.</summary>
    public PublishDecision Evaluate(PublishFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var covering = Entries.Where(e => e.Covers(facts.Name)).ToList();
        var trust = TrustOf(facts, covering);
        var findings = new List<PublishFinding>();
        foreach (var entry in covering)
        {
            foreach (var rule in PublishRuleRegistry.All)
            {
                if (rule.Evaluate(facts, entry, trust) is { } finding && !findings.Contains(finding))
                {
                    findings.Add(finding);
                }
            }
        }

        return new PublishDecision(trust, findings);
    }

    /// <summary>The trust a publish earns: trusted publisher when its verified identity meets every trusted-publisher entry covering it (and there is one).</summary>
    public PublishTrust TrustOf(PublishFacts facts) => TrustOf(facts, Entries.Where(e => e.Covers(facts.Name)).ToList());

    private static PublishTrust TrustOf(PublishFacts facts, IReadOnlyList<PublishEntry> covering)
    {
        if (facts.Provenance is null)
        {
            return PublishTrust.None;
        }

        var constraints = covering.Where(e => e.TrustedPublisher is not null).Select(e => e.TrustedPublisher!).ToList();
        return constraints.Count > 0 && constraints.All(c => TrustedPublisherCheck.Problem(facts, c) is null) ? PublishTrust.TrustedPublisher : PublishTrust.Provenance;
    }
}
