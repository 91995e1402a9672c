using Vouch.Gate.Storage;
using Vouch.Policy;
using Vouch.Reviews;
using Vouch.Reviews.Signed;
using Vouch.Sigstore.Verification;

namespace Vouch.Gate.Reviews;

/// <summary>
/// Issue 17: the reviews an organisation shares through the gate. Posted bundles are verified (the
/// version's verified tarball digest, the web of trust in the policy's store) before they are stored;
/// stored ones are served to the policy's <c>reviews</c> rule as signed reviews of their versions,
/// beside the records of the policy's supply-chain directory.
/// </summary>
internal sealed class GateReviews : IReviewBundleSource
{
    private readonly object _gate = new();
    private Dictionary<(string, string), List<ReadOnlyMemory<byte>>> _index = [];

    private GateReviews(SignedReviewVerifier? verifier)
    {
        Verifier = verifier;
    }

    /// <summary>Null when the policy has no <c>reviews</c> rule: posted reviews are then refused.</summary>
    public SignedReviewVerifier? Verifier { get; }

    /// <summary>What the policy's <c>reviews</c> rule decides on (null when the policy has none).</summary>
    public IReviewEvidence? Evidence { get; private set; }

    public static GateReviews Disabled { get; } = new(null);

    /// <summary>Loads the policy's supply-chain directory and the stored reviews; malformed records are a configuration error.</summary>
    public static async Task<GateReviews> CreateAsync(PolicyDocument policy, GateStore store, SigstoreVerifier sigstore, TimeProvider time, CancellationToken ct)
    {
        if (policy.ReviewStore is not { } dir || policy.ReviewRule is not { } rule)
        {
            return Disabled;
        }

        GateReviews reviews;
        try
        {
            var trust = TrustGraph.Load(dir);
            reviews = new GateReviews(new SignedReviewVerifier(sigstore, trust, rule.Trust, time));

            // The rule reads this instance's stored reviews beside the directory's own.
            reviews.Evidence = ReviewRuleEvaluator.Load(dir, sigstore, time, reviews);
        }
        catch (ReviewFormatException e)
        {
            throw new GateConfigurationException([$"reviews: {e.Code}: {e.Message}"]);
        }

        foreach (var r in await store.ListReviewsAsync(null, null, Limits.MaxStoredReviews, ct).ConfigureAwait(false))
        {
            reviews.Add(r);
        }

        return reviews;
    }

    /// <summary>Makes a stored review count (copy on write: decisions read without a lock).</summary>
    public void Add(ReviewRecord r)
    {
        lock (_gate)
        {
            var next = new Dictionary<(string, string), List<ReadOnlyMemory<byte>>>(_index);
            var list = next.TryGetValue((r.Name, r.Version), out var old) ? [.. old] : new List<ReadOnlyMemory<byte>>();
            list.Add(System.Text.Encoding.UTF8.GetBytes(r.Bundle));
            next[(r.Name, r.Version)] = list;
            Volatile.Write(ref _index, next);
        }
    }

    public IEnumerable<ReadOnlyMemory<byte>> Bundles(string name, string version) =>
        Volatile.Read(ref _index).TryGetValue((name, version), out var list) ? list : [];
}
