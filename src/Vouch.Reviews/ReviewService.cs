using System.Globalization;
using System.Text;
using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Reviews.Coverage;
using Vouch.Reviews.Records;
using Vouch.Reviews.Signed;
using Vouch.Reviews.Tarballs;
using Vouch.Common;

namespace Vouch.Reviews;

/// <summary>What `certify` recorded.</summary>
public sealed record CertifyResult(string AuditsFile, string? BundleFile, byte[] Sha512)
{
    /// <summary>The certificate identity of a keyless signed review (null: unsigned or a local key).</summary>
    public string? SignerIdentity { get; init; }
}

/// <summary>Why `certify` recorded nothing: the tarball could not be fetched or verified, or the review could not be signed.</summary>
public sealed record CertifyFailure(string Code, string Message, ReviewFailureKind Kind);

/// <summary>One review that would close a gap, with what it costs to do.</summary>
public sealed record Suggestion(string Name, string Version, string Criterion, string? DeltaFrom, long ReviewBytes, int Files, int LinesChanged);

/// <summary>A gap `suggest` could not price (the registry failed, or the tarball did not verify).</summary>
public sealed record SuggestionProblem(string Name, string Version, string Code, string Message, bool NetworkError);

/// <summary>The library side of `vouch review certify|diff|suggest`: the CLI parses, calls these, renders.</summary>
public sealed class ReviewService(TarballSource tarballs, TimeProvider time)
{
    public Task<TarballFetch> FetchAsync(string name, string version, string? lockfileIntegrity, CancellationToken ct) =>
        tarballs.FetchAsync(name, version, lockfileIntegrity, ct);

    /// <summary>Diffs two verified tarballs; a failed fetch is returned as its <see cref="TarballFetch"/>.</summary>
    public async Task<(TarballDiffResult? Diff, TarballFetch? Failure)> DiffAsync(string name, string from, string to, CancellationToken ct)
    {
        var a = await tarballs.FetchAsync(name, from, null, ct).ConfigureAwait(false);
        if (a.Tarball is null)
        {
            return (null, a);
        }

        var b = await tarballs.FetchAsync(name, to, null, ct).ConfigureAwait(false);
        if (b.Tarball is null)
        {
            return (null, b);
        }

        return (TarballDiff.Compare(name, from, a.Tarball.Files, to, b.Tarball.Files), null);
    }

    /// <summary>
    /// Records an audit of the verified tarball in `audits.toml` and, with a signer, writes a signed
    /// review bundle to `reviews/`. Criteria must be known to the supply chain.
    /// </summary>
    public async Task<(CertifyResult? Result, CertifyFailure? Failure)> CertifyAsync(
        string directory, string name, string version, string? deltaFrom, IReadOnlyList<string> criteria, string who, string? notes, IReviewSigner? signer, CancellationToken ct)
    {
        var chain = SupplyChain.Load(directory);
        var unknown = criteria.Where(c => !chain.Criteria.Contains(c)).ToList();
        if (unknown.Count > 0)
        {
            throw new ReviewFormatException(ReviewCodes.UnknownCriterion, directory, [new ReviewProblem(directory, 0, 0, $"unknown criteria: {string.Join(", ", unknown)}")]);
        }

        var fetched = await tarballs.FetchAsync(name, version, null, ct).ConfigureAwait(false);
        if (fetched.Tarball is null)
        {
            return (null, Failure(fetched));
        }

        string? fromSha = null;
        if (deltaFrom is not null)
        {
            var baseFetch = await tarballs.FetchAsync(name, deltaFrom, null, ct).ConfigureAwait(false);
            if (baseFetch.Tarball is null)
            {
                return (null, Failure(baseFetch));
            }

            fromSha = Convert.ToHexStringLower(baseFetch.Tarball.Sha512);
        }

        string? bundleFile = null;
        ReviewSignature? signature = null;
        if (signer is not null)
        {
            var predicate = new ReviewPredicate
            {
                Package = name,
                Version = version,
                Criteria = criteria,
                DeltaFrom = deltaFrom,
                DeltaFromSha512 = fromSha,
                Notes = notes,
                Reviewer = who,
                ReviewedAt = time.GetUtcNow(),
            };
            // Signed before anything is written: a signing failure records nothing.
            signature = await signer.SignStatementAsync(ReviewStatement.Build(predicate, fetched.Tarball.Sha512), ct).ConfigureAwait(false);
            if (signature.Bundle is not { } bundle)
            {
                return (null, new CertifyFailure(signature.Code!, signature.Message!, signature.Kind));
            }

            var stamp = time.GetUtcNow().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
            bundleFile = Path.Combine(directory, ReviewCheck.ReviewsDirectoryName, $"{name.Replace('/', '+')}@{version}.{stamp}.sigstore.json");
            AtomicFile.Write(bundleFile, Encoding.UTF8.GetBytes(bundle));
        }

        SupplyChainWriter.AppendAudit(directory, name, version, deltaFrom, criteria, who, notes);
        return (new CertifyResult(Path.Combine(directory, SupplyChain.AuditsFileName), bundleFile, fetched.Tarball.Sha512) { SignerIdentity = signature?.SignerIdentity }, null);
    }

    private static CertifyFailure Failure(TarballFetch fetch) =>
        new(fetch.Code!, fetch.Message!, fetch.NetworkError ? ReviewFailureKind.NetworkFailed : ReviewFailureKind.CheckFailed);

    /// <summary>
    /// For each gap, the cheapest reviews that close it: a delta from each of the nearest covered
    /// versions (at most <paramref name="candidatesPerGap"/>), or a full review, priced by the bytes to read.
    /// </summary>
    public async Task<(IReadOnlyList<Suggestion> Suggestions, IReadOnlyList<SuggestionProblem> Problems)> SuggestAsync(CoverageReport report, Lockfile lockfile, int candidatesPerGap, CancellationToken ct)
    {
        var suggestions = new List<Suggestion>();
        var problems = new List<SuggestionProblem>();
        var integrity = lockfile.Distinct().GroupBy(p => (p.Name, p.Version)).ToDictionary(g => g.Key, g => g.First().Integrity);
        foreach (var package in report.Packages.Where(p => !p.Covered))
        {
            var target = await tarballs.FetchAsync(package.Name, package.Version, integrity.GetValueOrDefault((package.Name, package.Version)), ct).ConfigureAwait(false);
            if (target.Tarball is null)
            {
                problems.Add(new SuggestionProblem(package.Name, package.Version, target.Code!, target.Message!, target.NetworkError));
                continue;
            }

            foreach (var gap in package.Criteria.Where(c => c.Code == ReviewCodes.NotCovered || c.Code == ReviewCodes.ExemptionExpired))
            {
                var options = new List<Suggestion>
                {
                    new(package.Name, package.Version, gap.Criterion, null, target.Tarball.Files.TotalBytes, target.Tarball.Files.Files.Count, TarballDiff.Compare(package.Name, null, null, package.Version, target.Tarball.Files).LinesChanged),
                };
                var wanted = SemVersion.ParseOrNull(package.Version);
                var bases = gap.CoveredVersions
                    .Select(v => (Text: v, Parsed: SemVersion.ParseOrNull(v)))
                    .Where(v => v.Parsed is not null && !v.Text.Contains('@', StringComparison.Ordinal))
                    .OrderBy(v => wanted is null ? 0 : Distance(v.Parsed!, wanted))
                    .Take(candidatesPerGap);
                foreach (var (from, _) in bases)
                {
                    var b = await tarballs.FetchAsync(package.Name, from, null, ct).ConfigureAwait(false);
                    if (b.Tarball is null)
                    {
                        problems.Add(new SuggestionProblem(package.Name, from, b.Code!, b.Message!, b.NetworkError));
                        continue;
                    }

                    var diff = TarballDiff.Compare(package.Name, from, b.Tarball.Files, package.Version, target.Tarball.Files);
                    options.Add(new Suggestion(package.Name, package.Version, gap.Criterion, from, diff.ReviewBytes, diff.Files.Count, diff.LinesChanged));
                }

                suggestions.Add(options.OrderBy(o => o.ReviewBytes).ThenBy(o => o.LinesChanged).First());
            }
        }

        return (suggestions.OrderBy(s => s.ReviewBytes).ToList(), problems);
    }

    private static double Distance(SemVersion a, SemVersion b) =>
        Math.Abs(a.Major - b.Major) * 1e8 + Math.Abs(a.Minor - b.Minor) * 1e4 + Math.Abs(a.Patch - b.Patch);
}
