using System.Collections.Concurrent;
using Vouch.Reviews.Coverage;
using Vouch.Reviews.Records;
using Vouch.Reviews.Signed;
using Vouch.Sigstore.Verification;

namespace Vouch.Reviews;

/// <summary>
/// The policy rule `reviews` as data: criteria required per name pattern, the reviewers whose signed
/// reviews are accepted (null: anyone the web of trust accepts), the organisations (imports) whose
/// audits are accepted (null: every pinned import), and how far trust may reach.
/// </summary>
public sealed record ReviewRule
{
    /// <summary>(pattern, criteria) pairs; the most specific matching pattern applies; no match: nothing is required.</summary>
    public required IReadOnlyList<(string Pattern, IReadOnlyList<string> Criteria)> Required { get; init; }

    public IReadOnlyList<string>? AcceptedReviewers { get; init; }

    public IReadOnlyList<string>? AcceptedOrganisations { get; init; }

    public ReviewTrustPolicy Trust { get; init; } = new();

    /// <summary>The criteria required of <paramref name="name"/> (the most specific pattern), or null when none is.</summary>
    public IReadOnlyList<string>? RequiredOf(string name) => Required
        .Where(r => NamePattern.Matches(r.Pattern, name))
        .OrderByDescending(r => NamePattern.Specificity(r.Pattern))
        .Select(r => r.Criteria)
        .FirstOrDefault();
}

/// <summary>The rule's answer for one version: covered or not, with a code and the coverage behind it.</summary>
public sealed record ReviewDecision(bool Covered, string? Code, string Message, PackageCoverage? Coverage, IReadOnlyList<SignedReviewResult> SignedReviews);

/// <summary>
/// Where the signed reviews of one version come from: the repository's `supply-chain/reviews/`, the
/// gate's store, or both. Bundles are untrusted bytes; the evaluator verifies each against the tarball.
/// </summary>
public interface IReviewBundleSource
{
    IEnumerable<ReadOnlyMemory<byte>> Bundles(string name, string version);
}

/// <summary>
/// What the policy rule `reviews` asks: does this version meet the rule? Supplied to the policy
/// engine by the composition root (the CLI from `supply-chain/`, the gate from its store as well).
/// </summary>
public interface IReviewEvidence
{
    /// <param name="tarballSha512">The verified tarball's sha512; null when the bytes were not verified (signed reviews then cannot be bound and do not count).</param>
    ReviewDecision Decide(ReviewRule rule, string name, string version, byte[]? tarballSha512, Func<string, string, PublisherEvidence?>? evidence = null);
}

/// <summary>
/// Evaluates <see cref="ReviewRule"/> for single versions, for the policy engine and the gate: the
/// organisation's records, plus signed reviews of exactly these bytes (sha512) from accepted reviewers.
/// Configured once (records, web of trust, Sigstore verifier, clock); thread-safe. The coverage index
/// is built once per set of accepted organisations (building it is the expensive part).
/// </summary>
public sealed class ReviewRuleEvaluator(SupplyChain chain, TrustGraph trust, SigstoreVerifier sigstore, TimeProvider time, IReviewBundleSource? bundles = null) : IReviewEvidence
{
    private readonly ConcurrentDictionary<string, CoverageEngine> _engines = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ReviewTrustPolicy, SignedReviewVerifier> _verifiers = new();

    public SupplyChain SupplyChain => chain;

    /// <summary>Loads `supply-chain/` (records, `trust.toml`, `reviews/*.json`) for the policy rule; malformed files throw <see cref="ReviewFormatException"/>.</summary>
    public static ReviewRuleEvaluator Load(string directory, SigstoreVerifier sigstore, TimeProvider time, IReviewBundleSource? more = null)
    {
        var chain = SupplyChain.Load(directory);
        var graph = TrustGraph.Load(directory);
        var files = DirectoryBundles.Read(directory);
        return new ReviewRuleEvaluator(chain, graph, sigstore, time, more is null ? files : new CombinedBundles(files, more));
    }

    public ReviewDecision Decide(ReviewRule rule, string name, string version, byte[]? tarballSha512, Func<string, string, PublisherEvidence?>? evidence = null) =>
        Evaluate(rule, name, version, tarballSha512, tarballSha512 is null || bundles is null ? [] : bundles.Bundles(name, version), evidence);

    public ReviewDecision Evaluate(ReviewRule rule, string name, string version, byte[]? tarballSha512, IEnumerable<ReadOnlyMemory<byte>> signedReviewBundles, Func<string, string, PublisherEvidence?>? evidence = null)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var required = rule.RequiredOf(name);
        if (required is null || required.Count == 0)
        {
            return new ReviewDecision(true, null, $"no review is required of {name}", null, []);
        }

        var unknown = required.Where(c => !chain.Criteria.Contains(c)).ToList();
        if (unknown.Count > 0)
        {
            // A criterion the records never define can never be met: say so instead of "not covered".
            return new ReviewDecision(false, ReviewCodes.UnknownCriterion,
                $"{name}@{version}: the policy requires {string.Join(", ", unknown)}, which {chain.Directory} does not define", null, []);
        }

        var results = new List<SignedReviewResult>();
        if (tarballSha512 is not null)
        {
            var verifier = _verifiers.GetOrAdd(rule.Trust, t => new SignedReviewVerifier(sigstore, trust, t, time));
            results.AddRange(signedReviewBundles.Select(b => verifier.Verify(b, name, version, tarballSha512)));
        }

        var accepted = results
            .Where(r => r.IsValid && (rule.AcceptedReviewers is null || rule.AcceptedReviewers.Contains(r.Review!.ReviewerId, StringComparer.Ordinal)))
            .Select(r => r.Review!)
            .ToList();

        var organisations = rule.AcceptedOrganisations is null ? null : new HashSet<string>(rule.AcceptedOrganisations, StringComparer.Ordinal);
        CoverageEngine engine;
        if (accepted.Count == 0)
        {
            var key = organisations is null ? "*" : string.Join('\n', organisations.Order(StringComparer.Ordinal));
            engine = _engines.GetOrAdd(key, _ => new CoverageEngine(chain, time, organisations));
        }
        else
        {
            // Signed reviews are specific to these bytes: a private engine, so they never leak into other versions' decisions.
            engine = new CoverageEngine(chain, time, organisations);
            engine.AddSignedReviews(accepted);
        }

        var coverage = engine.Check(new PackageRef(name, version), required, evidence);
        if (coverage.Covered)
        {
            var by = string.Join(", ", coverage.Criteria.Select(c => $"{c.Criterion} by {Kind(c.Kind)}"));
            return new ReviewDecision(true, null, $"{name}@{version}: {by}", coverage, results);
        }

        // A tampered review, or a review of other bytes, is an integrity event: it is what gets reported.
        var tampered = results.FirstOrDefault(r => r.Code is ReviewCodes.SignatureInvalid or ReviewCodes.SubjectMismatch or ReviewCodes.PredicateMalformed);
        var failing = coverage.Criteria.First(c => !c.Covered);
        return tampered is not null
            ? new ReviewDecision(false, tampered.Code, $"{name}@{version}: {tampered.Message}", coverage, results)
            : new ReviewDecision(false, failing.Code, failing.Message!, coverage, results);
    }

    /// <summary>The kind as `vouch review check --json` spells it (docs/reviews.md).</summary>
    public static string Kind(CoverageKind? kind) => kind switch
    {
        CoverageKind.Audit => "audit",
        CoverageKind.DeltaChain => "delta-chain",
        CoverageKind.Import => "import",
        CoverageKind.TrustedPublisher => "trusted-publisher",
        CoverageKind.Exemption => "exemption",
        CoverageKind.SignedReview => "signed-review",
        _ => "none",
    };

    /// <summary>`supply-chain/reviews/*.json`, read once and indexed by the package each claims (the claim is only an index; verification binds it).</summary>
    private sealed class DirectoryBundles(Dictionary<(string, string), List<ReadOnlyMemory<byte>>> index) : IReviewBundleSource
    {
        public static DirectoryBundles Read(string directory)
        {
            var index = new Dictionary<(string, string), List<ReadOnlyMemory<byte>>>();
            foreach (var (_, bytes) in ReviewCheck.ReadReviewFiles(directory))
            {
                if (ReviewCheck.ClaimedSubject(bytes) is { } claimed)
                {
                    if (!index.TryGetValue(claimed, out var list))
                    {
                        index[claimed] = list = [];
                    }

                    list.Add(bytes);
                }
            }

            return new DirectoryBundles(index);
        }

        public IEnumerable<ReadOnlyMemory<byte>> Bundles(string name, string version) =>
            index.TryGetValue((name, version), out var list) ? list : [];
    }

    private sealed class CombinedBundles(IReviewBundleSource first, IReviewBundleSource second) : IReviewBundleSource
    {
        public IEnumerable<ReadOnlyMemory<byte>> Bundles(string name, string version) => first.Bundles(name, version).Concat(second.Bundles(name, version));
    }
}
