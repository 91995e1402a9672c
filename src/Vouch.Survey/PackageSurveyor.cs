using System.Text.RegularExpressions;
using Vouch.Npm;
using Vouch.Policy;
using Vouch.Provenance;

namespace Vouch.Survey;

/// <summary>
/// Surveys one package: fetches its packument, verifies the surveyed versions with the same
/// <see cref="PackageVerifier"/> as `vouch verify`, and derives the row. Trust downgrades come from
/// the policy's own `trust-downgrade` rule (release lines, "lower and earlier", source repository),
/// run over every version of the packument, so the survey and the gate never disagree on what a
/// downgrade is.
/// </summary>
public sealed partial class PackageSurveyor
{
    // The policy the downgrade scan runs: the trust-downgrade rule alone, with its source check.
    private const string DowngradePolicy = "version: 1\nrules:\n  trust-downgrade:\n    severity: error\n    source-repository: true\n";

    private readonly RegistryClient _client;
    private readonly PackageVerifier _verifier;
    private readonly PolicyEvaluator _downgrades;
    private readonly bool _allVersions;
    private RegistryKeys? _keys;

    public PackageSurveyor(RegistryClient client, PackageVerifier verifier, TimeProvider time, bool allVersions)
    {
        _client = client;
        _verifier = verifier;
        _allVersions = allVersions;
        _downgrades = new PolicyEvaluator(PolicyLoader.Parse(DowngradePolicy, "survey: trust-downgrade"), time);
    }

    public async Task<SurveyRow> SurveyAsync(SurveyTarget target, CancellationToken cancellationToken)
    {
        var row = new SurveyRow { Index = target.Index, Rank = target.Rank, Name = target.Name, Status = RowStatus.Ok };
        var fetched = await _client.GetPackumentAsync(target.Name, PackumentFormat.Full, cancellationToken).ConfigureAwait(false);
        switch (fetched.Status)
        {
            case RegistryStatus.Ok when fetched.Value is not null:
                break;
            case RegistryStatus.NotFound:
                return row with { Status = RowStatus.NotFound, Code = SurveyCodes.PackageNotFound, Error = $"{target.Name} is not in the registry" };
            case RegistryStatus.InvalidResponse:
                return row with { Status = RowStatus.InvalidResponse, Code = SurveyCodes.RegistryResponseInvalid, Error = fetched.Error ?? "the packument cannot be used" };
            default:
                return row with { Status = RowStatus.NetworkError, Code = SurveyCodes.NetworkFailed, Error = fetched.Error ?? fetched.Status.ToString() };
        }

        var packument = fetched.Value!;
        var latest = Latest(packument);
        if (latest is null)
        {
            return row with { Status = RowStatus.NoVersion, Code = SurveyCodes.NoVersion, Error = $"{target.Name} has no usable version to survey", VersionCount = packument.Versions.Count };
        }

        _keys ??= await _verifier.KeysAsync(cancellationToken).ConfigureAwait(false);
        var byTime = ByPublishTime(packument);
        var surveyed = _allVersions ? byTime : [latest];
        var reports = new Dictionary<string, PackageReport>(StringComparer.Ordinal);
        foreach (var v in surveyed)
        {
            var report = await VerifyAsync(packument, v, cancellationToken).ConfigureAwait(false);
            if (report.NetworkError is { } network)
            {
                return row with { Status = RowStatus.NetworkError, Code = SurveyCodes.NetworkFailed, Error = network };
            }

            reports[v.Version.Version] = report;
        }

        // First version with provenance: verified, not advertised. In latest-only mode the oldest few
        // versions that advertise attestations are verified until one holds.
        PackageVersion? first = null;
        if (_allVersions)
        {
            first = byTime.FirstOrDefault(v => EvidenceTiers.Of(reports[v.Version.Version]) >= EvidenceTier.Provenance);
        }
        else
        {
            foreach (var candidate in byTime.Where(v => v.Dist.Attestations is not null).Take(Limits.FirstProvenanceProbes))
            {
                if (!reports.TryGetValue(candidate.Version.Version, out var report))
                {
                    report = await VerifyAsync(packument, candidate, cancellationToken).ConfigureAwait(false);
                    if (report.NetworkError is { } network)
                    {
                        return row with { Status = RowStatus.NetworkError, Code = SurveyCodes.NetworkFailed, Error = network };
                    }
                }

                if (EvidenceTiers.Of(report) >= EvidenceTier.Provenance)
                {
                    first = candidate;
                    break;
                }
            }
        }

        var latestReport = reports[latest.Version.Version];
        var latestTier = EvidenceTiers.Of(latestReport);
        var declared = latest.Repository?.Url;
        var repository = SourceBinding.Normalize(declared);
        var verifiedProvenance = latestReport.Provenance.Status == EvidenceStatus.Verified ? latestReport.Provenance : null;
        var provenanceRepository = SourceBinding.Normalize(verifiedProvenance?.Claims?.SourceRepository);
        var (publisher, evidence, provider) = Publisher(latest, verifiedProvenance);
        return row with
        {
            LatestVersion = latest.Version.Version,
            LatestTier = latestTier,
            RepositoryUrl = declared,
            Repository = repository,
            RepositoryHost = repository?[..repository.IndexOf('/', StringComparison.Ordinal)],
            ProvenanceRepository = provenanceRepository,
            RepositoryMatchesProvenance = repository is null || provenanceRepository is null ? null : repository == provenanceRepository,
            Publisher = publisher,
            PublisherEvidence = evidence,
            CiProvider = provider,
            PublishedBy = latest.NpmUser?.Name,
            FirstProvenanceVersion = first?.Version.Version,
            FirstProvenanceTime = first is null ? null : Time(packument, first),
            Versions = surveyed.Select(v => Surveyed(packument, v, reports[v.Version.Version])).ToList(),
            Downgrades = Downgrades(packument, byTime, reports),
            VersionCount = packument.Versions.Count,
        };
    }

    /// <summary>
    /// CI or a person, and on what evidence. Verified provenance proves a CI build (its certificate
    /// names the builder); without it only the publishing account's name hints at automation, which
    /// docs/survey.md lists as a heuristic that can be wrong both ways.
    /// </summary>
    internal static (string Publisher, string Evidence, string? Provider) Publisher(PackageVersion latest, ProvenanceEvidence? verified)
    {
        if (verified is not null)
        {
            var builder = verified.Claims?.BuilderId ?? verified.Issuer ?? "";
            var provider = builder.Contains("github", StringComparison.OrdinalIgnoreCase) ? "github-actions"
                : builder.Contains("gitlab", StringComparison.OrdinalIgnoreCase) ? "gitlab-ci"
                : "other";
            var how = latest.NpmUser?.TrustedPublisher is { } tp ? $"verified provenance, trusted publisher {tp.Id}" : "verified provenance";
            return (PublisherKinds.Ci, $"{how}: built by {builder}{(verified.RunnerEnvironment is { } r ? $" ({r})" : "")}", provider);
        }

        var user = latest.NpmUser;
        if (user?.Name is not { Length: > 0 } name)
        {
            return (PublisherKinds.Unknown, "no _npmUser in the packument (a mirror may strip it)", null);
        }

        if (IsAutomationAccount(name, user.Email))
        {
            return (PublisherKinds.Ci, $"publishing account '{name}' is named like an automation account (heuristic, no provenance)", null);
        }

        return (PublisherKinds.Person, $"token of account '{name}', no verified provenance", null);
    }

    /// <summary>Bot-like account names and CI e-mail addresses (docs/survey.md: how this can be wrong).</summary>
    internal static bool IsAutomationAccount(string name, string? email) =>
        AutomationName().IsMatch(name)
        || (email is not null && (email.EndsWith("[bot]@users.noreply.github.com", StringComparison.OrdinalIgnoreCase)
                                  || email.Equals("actions@github.com", StringComparison.OrdinalIgnoreCase)));

    private async Task<PackageReport> VerifyAsync(Packument packument, PackageVersion version, CancellationToken cancellationToken)
    {
        var tarball = await _client.GetTarballAsync(version.Dist.Tarball, cancellationToken).ConfigureAwait(false);
        if (tarball.Status == RegistryStatus.NotFound || tarball.Status == RegistryStatus.InvalidResponse)
        {
            return new PackageReport
            {
                Name = version.Name,
                Version = version.Version.Version,
                Problems = [new Problem(ProvenanceCodes.TarballNotFound, $"the tarball of {version.Name}@{version.Version.Version} is not served ({tarball.Status})")],
            };
        }

        if (!tarball.IsOk)
        {
            return new PackageReport { Name = version.Name, Version = version.Version.Version, NetworkError = tarball.Error ?? tarball.Status.ToString() };
        }

        return await _verifier.VerifyVersionAsync(packument, version, tarball.Value!.Hashes, _keys!, cancellationToken).ConfigureAwait(false);
    }

    private List<SurveyDowngrade> Downgrades(Packument packument, IReadOnlyList<PackageVersion> versions, Dictionary<string, PackageReport> reports)
    {
        var result = new List<SurveyDowngrade>();
        foreach (var v in versions)
        {
            var verified = reports.TryGetValue(v.Version.Version, out var report);
            var verdict = verified
                ? _downgrades.Evaluate(new PolicySubject { Report = report!, Packument = packument })
                : _downgrades.Prefilter(packument, v, []);
            foreach (var f in verdict.Findings.Where(f => f.Code is PolicyCodes.TrustDowngrade or PolicyCodes.TrustDowngradeSource))
            {
                result.Add(new SurveyDowngrade(v.Version.Version, ReleaseLine.Of(v.Version).ToString(), f.Code, verified, Time(packument, v), f.Message));
            }
        }

        return result;
    }

    private static SurveyedVersion Surveyed(Packument packument, PackageVersion v, PackageReport report) =>
        new(v.Version.Version, ReleaseLine.Of(v.Version).ToString(), report.PublishTime ?? Time(packument, v), EvidenceTiers.Of(report), v.Dist.Attestations is not null,
            report.Problems.Select(p => p.Code).Distinct(StringComparer.Ordinal).ToList());

    /// <summary>`latest` when it names a usable version, else the highest release, else the highest version.</summary>
    private static PackageVersion? Latest(Packument packument)
    {
        if (packument.DistTags.TryGetValue("latest", out var tag) && packument.Versions.TryGetValue(tag, out var tagged))
        {
            return tagged;
        }

        return packument.Versions.Values.Where(v => !v.Version.IsPrerelease).MaxBy(v => v.Version)
            ?? packument.Versions.Values.MaxBy(v => v.Version);
    }

    // Publish order (unknown times last), semver order breaking ties: deterministic.
    private static List<PackageVersion> ByPublishTime(Packument packument) =>
        [.. packument.Versions.Values.OrderBy(v => Time(packument, v) ?? DateTimeOffset.MaxValue).ThenBy(v => v.Version)];

    private static DateTimeOffset? Time(Packument packument, PackageVersion v) =>
        packument.Time.TryGetValue(v.Version.Version, out var t) ? t : null;

    [GeneratedRegex(@"(^|[-_.\[])(bot|ci|automation|actions|release|releaser|publisher|deploy)([-_.\]]|$)|bot$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, 1000)]
    private static partial Regex AutomationName();
}
