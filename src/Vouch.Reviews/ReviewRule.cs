using Vouch.Reviews.Coverage;
using Vouch.Reviews.Records;
using Vouch.Reviews.Signed;
using Vouch.Sigstore.Verification;

namespace Vouch.Reviews;

/// <summary>
/// The policy rule `reviews` as data: criteria required per name pattern, the reviewers whose signed
/// reviews are accepted (null: anyone the web of trust accepts), and how far trust may reach.
/// </summary>
public sealed record ReviewRule
{
    /// <summary>(pattern, criteria) pairs; the most specific matching pattern applies; no match: nothing is required.</summary>
    public required IReadOnlyList<(string Pattern, IReadOnlyList<string> Criteria)> Required { get; init; }

    public IReadOnlyList<string>? AcceptedReviewers { get; init; }

    public ReviewTrustPolicy Trust { get; init; } = new();
}

/// <summary>The rule's answer for one version: covered or not, with a code and the coverage behind it.</summary>
public sealed record ReviewDecision(bool Covered, string? Code, string Message, PackageCoverage? Coverage, IReadOnlyList<SignedReviewResult> SignedReviews);

/// <summary>
/// Evaluates <see cref="ReviewRule"/> for single versions, for the policy engine and the gate: the
/// organisation's records, plus signed reviews of exactly these bytes (sha512) from accepted reviewers.
/// Configured once (records, web of trust, Sigstore verifier, clock); thread-safe for reads.
/// </summary>
public sealed class ReviewRuleEvaluator(SupplyChain chain, TrustGraph trust, SigstoreVerifier sigstore, TimeProvider time)
{
    public ReviewDecision Evaluate(ReviewRule rule, string name, string version, byte[] tarballSha512, IEnumerable<ReadOnlyMemory<byte>> signedReviewBundles, Func<string, string, PublisherEvidence?>? evidence = null)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var required = rule.Required
            .Where(r => NamePattern.Matches(r.Pattern, name))
            .OrderByDescending(r => NamePattern.Specificity(r.Pattern))
            .Select(r => r.Criteria)
            .FirstOrDefault();
        if (required is null || required.Count == 0)
        {
            return new ReviewDecision(true, null, $"no review is required of {name}", null, []);
        }

        var verifier = new SignedReviewVerifier(sigstore, trust, rule.Trust, time);
        var results = signedReviewBundles.Select(b => verifier.Verify(b, name, version, tarballSha512)).ToList();
        var accepted = results
            .Where(r => r.IsValid && (rule.AcceptedReviewers is null || rule.AcceptedReviewers.Contains(r.Review!.ReviewerId, StringComparer.Ordinal)))
            .Select(r => r.Review!)
            .ToList();

        // A fresh engine per decision: signed reviews are specific to these bytes and must not leak into other checks.
        var engine = new CoverageEngine(chain, time);
        engine.AddSignedReviews(accepted);
        var coverage = engine.Check(new PackageRef(name, version), required, evidence);
        if (coverage.Covered)
        {
            var by = string.Join(", ", coverage.Criteria.Select(c => $"{c.Criterion} by {c.Kind}"));
            return new ReviewDecision(true, null, $"{name}@{version}: {by}", coverage, results);
        }

        var tampered = results.FirstOrDefault(r => r.Code is ReviewCodes.SignatureInvalid or ReviewCodes.SubjectMismatch);
        var failing = coverage.Criteria.First(c => !c.Covered);
        return tampered is not null
            ? new ReviewDecision(false, tampered.Code, tampered.Message!, coverage, results)
            : new ReviewDecision(false, failing.Code, failing.Message!, coverage, results);
    }
}
