using Vouch.Npm;
using Vouch.Provenance;

namespace Vouch.Policy;

/// <summary>How a <see cref="PackageJudge"/> run ended.</summary>
public enum JudgementStatus
{
    /// <summary>The version verified (or failed a check) and the policy decided on it.</summary>
    Judged,

    /// <summary>The package or the version is not in the registry: there is nothing to judge.</summary>
    NotFound,

    /// <summary>The registry or the network failed; <see cref="PackageReport.NetworkError"/> says how.</summary>
    NetworkFailed,
}

/// <summary>The evidence of one version and, when it could be judged, every rule's outcome and the verdict.</summary>
public sealed record PackageJudgement(PackageReport Report, JudgementStatus Status, IReadOnlyList<RuleOutcome> Outcomes, PolicyVerdict? Verdict)
{
    /// <summary>The version verified and the policy allows it (a version that was not judged is not allowed).</summary>
    public bool Passed => Status == JudgementStatus.Judged && Report.Passed && Verdict!.Allowed;
}

/// <summary>What the caller knows about the version's place in a project (major-bump, new-dependency).</summary>
public sealed record JudgementContext
{
    public static readonly JudgementContext None = new();

    public string? BaseVersion { get; init; }

    public bool IsNewDependency { get; init; }

    /// <summary>Only the verdict and findings are wanted (<see cref="PolicySubject.VerdictOnly"/>).</summary>
    public bool VerdictOnly { get; init; }
}

/// <summary>
/// The one "verify, then judge" flow: verify a version's evidence, read its package's history (the
/// packument, cached by the verification), and let the policy decide on both. `vouch verify`,
/// `vouch policy explain` run it whole; callers that verify by other means (the audit pipeline, the
/// SRI resolver) call <see cref="Judge"/> with what they verified.
/// </summary>
public sealed class PackageJudge
{
    private readonly RegistryClient _registry;
    private readonly PackageVerifier _verifier;
    private readonly PolicyEvaluator _evaluator;

    public PackageJudge(RegistryClient registry, PackageVerifier verifier, PolicyEvaluator evaluator)
    {
        _registry = registry;
        _verifier = verifier;
        _evaluator = evaluator;
    }

    public PolicyDocument Policy => _evaluator.Policy;

    public async Task<PackageJudgement> JudgeAsync(PackageSpec spec, JudgementContext context, CancellationToken cancellationToken)
    {
        var report = await _verifier.VerifyAsync(spec, cancellationToken).ConfigureAwait(false);
        if (report.NetworkError is not null)
        {
            return new PackageJudgement(report, JudgementStatus.NetworkFailed, [], null);
        }

        if (report.Problems.Any(p => p.Code is ProvenanceCodes.PackageNotFound or ProvenanceCodes.VersionNotFound))
        {
            return new PackageJudgement(report, JudgementStatus.NotFound, [], null);
        }

        var packument = await _registry.GetPackumentAsync(spec.Name, PackumentFormat.Full, cancellationToken).ConfigureAwait(false);
        if (!packument.IsOk)
        {
            return packument.Status == RegistryStatus.NotFound
                ? new PackageJudgement(report, JudgementStatus.NotFound, [], null)
                : new PackageJudgement(report with { NetworkError = packument.Error ?? $"the packument could not be fetched again ({packument.Status})" }, JudgementStatus.NetworkFailed, [], null);
        }

        return Judge(report, packument.Value!, context);
    }

    /// <summary>The policy's decision on evidence the caller verified.</summary>
    public PackageJudgement Judge(PackageReport report, Packument packument, JudgementContext context)
    {
        var outcomes = _evaluator.Explain(new PolicySubject
        {
            Report = report,
            Packument = packument,
            BaseVersion = context.BaseVersion,
            IsNewDependency = context.IsNewDependency,
            VerdictOnly = context.VerdictOnly,
        });
        return new PackageJudgement(report, JudgementStatus.Judged, outcomes, PolicyVerdict.FromOutcomes(outcomes));
    }
}
