using System.Text.Json;
using Vouch.Npm.Lockfiles;
using Vouch.Reviews.Coverage;
using Vouch.Reviews.Records;
using Vouch.Reviews.Signed;
using Vouch.Common.Json;

namespace Vouch.Reviews;

/// <summary>A signed review file that was not counted, and why.</summary>
public sealed record SignedReviewProblem(string File, string Code, string Message)
{
    /// <summary>Tampering or a review of other bytes fails the check; an untrusted reviewer only does not count.</summary>
    public bool Fails => Code is ReviewCodes.SignatureInvalid or ReviewCodes.SubjectMismatch or ReviewCodes.PredicateMalformed;
}

/// <summary>The result of `vouch review check`.</summary>
public sealed record ReviewCheckResult(CoverageReport Coverage, IReadOnlyList<VerifiedReview> SignedReviews, IReadOnlyList<SignedReviewProblem> SignedReviewProblems)
{
    public bool Ok => Coverage.Ok && !SignedReviewProblems.Any(p => p.Fails);
}

/// <summary>
/// `vouch review check`: the lockfile's registry packages against the supply chain's records and the
/// signed reviews in `supply-chain/reviews/` (each bound to the locked tarball by the lockfile's sha512).
/// </summary>
public static class ReviewCheck
{
    public const string ReviewsDirectoryName = "reviews";

    public static ReviewCheckResult Run(SupplyChain chain, Lockfile lockfile, TimeProvider time, SignedReviewVerifier? verifier = null, Func<string, string, PublisherEvidence?>? evidence = null)
    {
        var engine = new CoverageEngine(chain, time);
        var refs = new List<PackageRef>();
        var skipped = new List<(string, string, string)>();
        var integrity = new Dictionary<(string, string), string?>();
        var seen = new HashSet<(string, string, bool)>();
        foreach (var p in lockfile.Distinct())
        {
            if (p.Source != LockfileSourceKind.Registry)
            {
                skipped.Add((p.Name, p.Version, $"{p.Source.ToString().ToLowerInvariant()} dependency: reviews name registry versions"));
                continue;
            }

            if (!seen.Add((p.Name, p.Version, p.Dev)))
            {
                continue;
            }

            refs.Add(new PackageRef(p.Name, p.Version, p.Dev));
            integrity.TryAdd((p.Name, p.Version), p.Integrity);
        }

        var verified = new List<VerifiedReview>();
        var problems = new List<SignedReviewProblem>();
        if (verifier is not null)
        {
            foreach (var (file, bytes) in ReadReviewFiles(chain.Directory))
            {
                var claimed = ClaimedSubject(bytes);
                if (claimed is null)
                {
                    problems.Add(new SignedReviewProblem(file, ReviewCodes.PredicateMalformed, "not a Sigstore bundle carrying a review statement"));
                    continue;
                }

                if (!integrity.TryGetValue(claimed.Value, out var sri))
                {
                    continue; // a review of a version this lockfile does not pin: nothing to bind it to
                }

                if (ReviewStatement.Sha512Of(sri) is not { } digest)
                {
                    problems.Add(new SignedReviewProblem(file, ReviewCodes.SubjectMismatch, $"the lockfile records no sha512 integrity for {claimed.Value.Item1}@{claimed.Value.Item2}"));
                    continue;
                }

                var result = verifier.Verify(bytes, claimed.Value.Item1, claimed.Value.Item2, digest);
                if (result.IsValid)
                {
                    verified.Add(result.Review!);
                }
                else
                {
                    problems.Add(new SignedReviewProblem(file, result.Code!, result.Message!));
                }
            }

            engine.AddSignedReviews(verified);
        }

        var coverage = engine.Check(refs, evidence) with { Skipped = skipped };
        return new ReviewCheckResult(coverage, verified, problems);
    }

    /// <summary>Signed review files: `supply-chain/reviews/*.json`, each capped.</summary>
    public static IEnumerable<(string File, byte[] Bytes)> ReadReviewFiles(string supplyChainDirectory)
    {
        var dir = Path.Combine(supplyChainDirectory, ReviewsDirectoryName);
        if (!Directory.Exists(dir))
        {
            yield break;
        }

        foreach (var file in Directory.EnumerateFiles(dir, "*.json").Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(file);
            if (info.Length > ReviewLimits.MaxBundleBytes)
            {
                yield return (file, new byte[ReviewLimits.MaxBundleBytes + 1]);
                continue;
            }

            yield return (file, File.ReadAllBytes(file));
        }
    }

    /// <summary>The package a bundle claims to review, read without trusting it (only to pick the lockfile entry to bind it to).</summary>
    public static (string, string)? ClaimedSubject(byte[] bundle)
    {
        try
        {
            using var doc = JsonInput.Parse(bundle, 32);
            var payload = Convert.FromBase64String(doc.RootElement.GetProperty("dsseEnvelope").GetProperty("payload").GetString()!);
            using var statement = JsonInput.Parse(payload, 32);
            var package = statement.RootElement.GetProperty("predicate").GetProperty("package");
            // A null payload, name or version is no claim at all (the gate answers such a body with a 400).
            return package.GetProperty("name").GetString() is { } name && package.GetProperty("version").GetString() is { } version ? (name, version) : null;
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }
}
