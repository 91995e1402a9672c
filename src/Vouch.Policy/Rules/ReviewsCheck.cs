using Vouch.Reviews;
using Vouch.Reviews.Coverage;
using Vouch.Reviews.Signed;
using static Vouch.Policy.Rules.RuleOutcomes;

namespace Vouch.Policy.Rules;

/// <summary>
/// Community reviews (`reviews`): the version meets the criteria required for its name, through the
/// organisation's audits, delta chains, accepted imports, trusted publishers, unexpired exemptions or
/// signed reviews of these exact bytes by accepted reviewers (docs/reviews.md). The coverage itself is
/// computed by Vouch.Reviews (<see cref="IReviewEvidence"/>, supplied by the composition root).
/// </summary>
internal sealed class ReviewsCheck : IPolicyRule
{
    public string Name => PolicyRules.ReviewsName;

    public RuleOutcome Evaluate(PolicyFacts f, PolicyRules rules, DateTimeOffset now)
    {
        const string name = PolicyRules.ReviewsName;
        var rule = rules.Reviews;
        var required = rule?.Rule.RequiredOf(f.Name);
        var requirement = required is null ? "the criteria the rule requires of the package's name" : $"reviewed for {string.Join(", ", required)}";
        if (Skip(f, name, rule?.Severity, required is { Count: > 0 }, requirement) is { } skip)
        {
            return skip;
        }

        var severity = rule!.Severity;
        if (f.Report is null)
        {
            // Signed reviews bind to verified bytes; the full evaluation runs on verified evidence before a tarball is served.
            return NotApplicable(name, severity, $"{f.Id}: reviews are decided on verified evidence", requirement);
        }

        if (f.Reviews is not { } reviews)
        {
            // A policy that asks for reviews must never pass because the records were not loaded.
            const string missing = "no review records were loaded";
            return Fail(name, severity, missing, requirement, new PolicyFinding(PolicyCodes.ReviewsUnavailable, name, severity,
                $"{f.Id} could not be checked for reviews: the policy requires them, but no review records were loaded from {rule.Store}",
                missing, $"create {rule.Store} (vouch review certify), or point the rule's store: at the organisation's supply-chain directory"));
        }

        // Signed reviews count only for the bytes that verified against the registry's integrity.
        var sha512 = f.Report.Integrity.Status == "verified" ? ReviewStatement.Sha512Of(f.Entry?.Dist.Integrity) : null;
        var decision = reviews.Decide(rule.Rule, f.Name, f.VersionText, sha512, Evidence(f));
        var signed = decision.SignedReviews.Count == 0 ? "" : $"; signed reviews: {string.Join(", ", decision.SignedReviews.Select(r => r.IsValid ? $"{r.Review!.ReviewerId} (valid)" : r.Code))}";
        var evidence = $"{decision.Message}{signed} (records {rule.Store}{(sha512 is null ? "; tarball not verified, signed reviews not bound" : "")})";
        if (decision.Covered)
        {
            return Pass(name, severity, evidence, requirement);
        }

        return Fail(name, severity, evidence, requirement, new PolicyFinding(decision.Code ?? ReviewCodes.NotCovered, name, severity,
            $"{f.Id} is not reviewed for {string.Join(", ", required!)}: {decision.Message}", evidence,
            decision.Code switch
            {
                ReviewCodes.SignatureInvalid or ReviewCodes.SubjectMismatch or ReviewCodes.PredicateMalformed => "remove or replace the signed review: it is tampered with or reviews other bytes",
                ReviewCodes.Violation => $"use a version outside the recorded violation of {f.Name}",
                ReviewCodes.ExemptionExpired => $"review {f.Id} (vouch review certify), or renew the exemption with a new expiry",
                ReviewCodes.UnknownCriterion => $"define the criterion in {rule.Store}/audits.toml, or require one it defines",
                _ => $"review {f.Id} (vouch review diff, then vouch review certify), or import an organisation that has; 'vouch review suggest' lists the smallest diffs",
            }));
    }

    /// <summary>Trusted-publisher evidence from verified provenance only (docs/reviews.md).</summary>
    private static Func<string, string, PublisherEvidence?> Evidence(PolicyFacts f)
    {
        var verified = f.ProvenanceOk ? new PublisherEvidence(f.Report!.Provenance.CertificateIdentity, f.Claims?.SourceRepository, f.PublishTime) : null;
        return (n, v) => n == f.Name && v == f.VersionText ? verified : null;
    }
}
