using System.Security.Cryptography;
using System.Text;
using Vouch.Policy;

namespace Vouch.Watch;

/// <summary>
/// One thing watch noticed about an upstream package. <see cref="Id"/> is derived from what was
/// seen (package, version, kind, discriminator), never from when: the same observation made twice,
/// by a restarted or a second process, has the same id, so the store refuses it and receivers can
/// deduplicate on it.
/// </summary>
public sealed record WatchEvent
{
    /// <summary>`sha256:` + hex of the observation (see <see cref="MakeId"/>).</summary>
    public required string Id { get; init; }

    /// <summary>Position in the store (assigned on commit; 0 before).</summary>
    public long Sequence { get; init; }

    /// <summary>Kebab-case kind, e.g. <c>provenance-lost</c> (<see cref="EventKinds"/>).</summary>
    public required string Kind { get; init; }

    /// <summary>The stable code of the kind, e.g. <c>VOUCH_WATCH_PROVENANCE_LOST</c>.</summary>
    public required string Code { get; init; }

    public required string Package { get; init; }

    public required string Version { get; init; }

    /// <summary>The version it was compared with (null when there was none, e.g. an unpublish of a whole package).</summary>
    public string? PreviousVersion { get; init; }

    /// <summary><c>error</c>, <c>warn</c> or <c>info</c>.</summary>
    public required string Severity { get; init; }

    /// <summary>The policy rule the severity came from, when the policy has one for this kind.</summary>
    public string? Rule { get; init; }

    /// <summary>What was seen and where that evidence came from (one line).</summary>
    public required string Detail { get; init; }

    /// <summary>When watch recorded it (its clock, not the registry's).</summary>
    public required DateTimeOffset ObservedAt { get; init; }

    public static string MakeId(string package, string version, string kind, string discriminator)
    {
        // Length-prefixed parts: no two different tuples serialize the same.
        var text = string.Join('\n', new[] { package, version, kind, discriminator }.Select(p => $"{p.Length}:{p}"));
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }
}

/// <summary>An event kind: its name, code, the policy rule that sets its severity, and the severity when the policy has none.</summary>
public sealed record EventKind(string Name, string Code, string? Rule, string DefaultSeverity, string Title);

public static class EventKinds
{
    public const string Error = "error";
    public const string Warn = "warn";
    public const string Info = "info";

    // Rule names of vouch.policy.yml (docs/policy.md).
    private const string TrustDowngradeRule = "trust-downgrade";

    public static readonly EventKind ProvenanceLost = new("provenance-lost", WatchCodes.ProvenanceLost, TrustDowngradeRule, Error, "Provenance lost");
    public static readonly EventKind TrustedPublisherReplaced = new("trusted-publisher-replaced", WatchCodes.TrustedPublisherReplaced, TrustDowngradeRule, Error, "Trusted publisher replaced by a token");
    public static readonly EventKind SourceChanged = new("source-changed", WatchCodes.SourceChanged, TrustDowngradeRule, Error, "Source repository changed");
    public static readonly EventKind WorkflowChanged = new("workflow-changed", WatchCodes.WorkflowChanged, null, Warn, "Build workflow changed");
    public static readonly EventKind NewPublisher = new("new-publisher", WatchCodes.NewPublisher, null, Warn, "New publisher or maintainer");
    public static readonly EventKind InstallScriptAdded = new("install-script-added", WatchCodes.InstallScriptAdded, "install-scripts", Warn, "Install script added");
    public static readonly EventKind NewDependency = new("new-dependency", WatchCodes.NewDependency, "new-dependency", Info, "New dependency");
    public static readonly EventKind NewBin = new("new-bin", WatchCodes.NewBin, null, Warn, "New command (bin)");
    public static readonly EventKind DistTagBackwards = new("dist-tag-backwards", WatchCodes.DistTagBackwards, null, Warn, "Dist-tag moved backwards");
    public static readonly EventKind Deprecated = new("deprecated", WatchCodes.Deprecated, "deprecated", Info, "Deprecated");
    public static readonly EventKind Unpublished = new("unpublished", WatchCodes.Unpublished, null, Warn, "Unpublished");
    public static readonly EventKind VerificationFailed = new("verification-failed", WatchCodes.VerificationFailed, "signature", Error, "Verification failed");

    public static readonly IReadOnlyList<EventKind> All =
    [
        ProvenanceLost, TrustedPublisherReplaced, SourceChanged, WorkflowChanged, NewPublisher, InstallScriptAdded,
        NewDependency, NewBin, DistTagBackwards, Deprecated, Unpublished, VerificationFailed,
    ];

    public static EventKind? ByName(string name) => All.FirstOrDefault(k => k.Name == name);

    /// <summary>
    /// The policy's severity for the kind's rule when the policy sets one (not off); otherwise the
    /// kind's own default. A failed verification is always an error: a policy cannot make a broken
    /// signature a warning.
    /// </summary>
    public static (string Severity, string? Rule) SeverityOf(EventKind kind, PolicyDocument policy)
    {
        if (kind == VerificationFailed || kind.Rule is null)
        {
            return (kind.DefaultSeverity, null);
        }

        var severity = policy.RuleSeverities.FirstOrDefault(r => r.Rule == kind.Rule).Severity;
        return severity == PolicySeverity.Off ? (kind.DefaultSeverity, null) : (PolicySeverities.Name(severity), kind.Rule);
    }
}
