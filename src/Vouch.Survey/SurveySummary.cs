using System.Globalization;

namespace Vouch.Survey;

/// <summary>A downgrade kept for the HTML report's table (the first <see cref="Limits.MaxReportedDowngrades"/>).</summary>
public sealed record DowngradeSample(string Name, string Version, string Line, string Code, bool Verified);

/// <summary>
/// Everything the summary and the HTML report need, added up row by row (constant size in the
/// number of packages: counts, and histograms keyed by month), so a survey of millions keeps no
/// rows. It is saved in the checkpoint so a resumed run adds to it.
/// </summary>
public sealed class SurveySummary
{
    public int Rows { get; set; }

    public int Surveyed { get; set; }

    public SortedDictionary<string, int> NotSurveyed { get; set; } = new(StringComparer.Ordinal);

    public int WithGitHubRepository { get; set; }

    /// <summary>With a github.com repository AND publishing from CI: the study's population.</summary>
    public int PublishingFromCi { get; set; }

    /// <summary>Of <see cref="PublishingFromCi"/>: the latest version has verified provenance (or a stronger tier).</summary>
    public int WithProvenance { get; set; }

    public int CiAnyHost { get; set; }

    public int CiInferred { get; set; }

    public int ProvenanceAnyHost { get; set; }

    public int ProvenanceAdvertisedNotVerified { get; set; }

    public int RepositoryMismatches { get; set; }

    public int PackagesWithDowngrades { get; set; }

    public int Downgrades { get; set; }

    /// <summary>Latest version's tier → packages.</summary>
    public SortedDictionary<string, int> Tiers { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Publish month (yyyy-MM) of each surveyed version → tier → versions.</summary>
    public SortedDictionary<string, SortedDictionary<string, int>> TiersByMonth { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Month of each package's first verified provenance → packages.</summary>
    public SortedDictionary<string, int> FirstProvenanceByMonth { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Publish month of each downgraded version → downgrades.</summary>
    public SortedDictionary<string, int> DowngradesByMonth { get; set; } = new(StringComparer.Ordinal);

    public List<DowngradeSample> DowngradeSamples { get; set; } = [];

    public void Add(SurveyRow r)
    {
        Rows++;
        if (r.Status != RowStatus.Ok)
        {
            NotSurveyed[r.Status] = NotSurveyed.GetValueOrDefault(r.Status) + 1;
            return;
        }

        Surveyed++;
        var ci = r.Publisher == PublisherKinds.Ci;
        if (r.IsGitHub)
        {
            WithGitHubRepository++;
            if (ci)
            {
                PublishingFromCi++;
                WithProvenance += r.HasProvenance ? 1 : 0;
            }
        }

        CiAnyHost += ci ? 1 : 0;
        CiInferred += ci && r.CiProvider is null ? 1 : 0;
        ProvenanceAnyHost += r.HasProvenance ? 1 : 0;
        RepositoryMismatches += r.RepositoryMatchesProvenance == false ? 1 : 0;
        var latest = r.Versions.FirstOrDefault(v => v.Version == r.LatestVersion);
        ProvenanceAdvertisedNotVerified += latest is { ProvenanceAdvertised: true, Tier: < EvidenceTier.Provenance } ? 1 : 0;
        var tier = EvidenceTiers.Name(r.LatestTier ?? EvidenceTier.None);
        Tiers[tier] = Tiers.GetValueOrDefault(tier) + 1;
        foreach (var v in r.Versions.Where(v => v.Published is not null))
        {
            var month = Month(v.Published!.Value);
            if (!TiersByMonth.TryGetValue(month, out var counts))
            {
                TiersByMonth[month] = counts = new(StringComparer.Ordinal);
            }

            var name = EvidenceTiers.Name(v.Tier);
            counts[name] = counts.GetValueOrDefault(name) + 1;
        }

        if (r.FirstProvenanceTime is { } first)
        {
            FirstProvenanceByMonth[Month(first)] = FirstProvenanceByMonth.GetValueOrDefault(Month(first)) + 1;
        }

        if (r.Downgrades.Count > 0)
        {
            PackagesWithDowngrades++;
            Downgrades += r.Downgrades.Count;
            foreach (var d in r.Downgrades)
            {
                if (d.Published is { } p)
                {
                    DowngradesByMonth[Month(p)] = DowngradesByMonth.GetValueOrDefault(Month(p)) + 1;
                }

                if (DowngradeSamples.Count < Limits.MaxReportedDowngrades)
                {
                    DowngradeSamples.Add(new DowngradeSample(r.Name, d.Version, d.Line, d.Code, d.Verified));
                }
            }
        }
    }

    /// <summary>The summary in the study's shape (docs/survey.md: what each line counts).</summary>
    public IReadOnlyList<string> Lines()
    {
        var lines = new List<string>
        {
            $"packages surveyed                 {Surveyed}",
            $"with a GitHub repository          {WithGitHubRepository} ({Percent(WithGitHubRepository, Surveyed)} of surveyed)",
            $"  publishing from CI              {PublishingFromCi} ({Percent(PublishingFromCi, WithGitHubRepository)} of those with a GitHub repository; {Percent(PublishingFromCi, Surveyed)} of surveyed)",
            $"    with provenance               {WithProvenance} ({Percent(WithProvenance, PublishingFromCi)} of those publishing from CI)",
            $"publishing from CI (any host)     {CiAnyHost} ({CiInferred} of them inferred from the account name only)",
            $"with provenance (any host)        {ProvenanceAnyHost} ({Percent(ProvenanceAnyHost, Surveyed)} of surveyed)",
            $"provenance advertised, not valid  {ProvenanceAdvertisedNotVerified}",
            $"repository differs from provenance {RepositoryMismatches}",
            $"with a trust downgrade in history {PackagesWithDowngrades} ({Downgrades} downgrade{(Downgrades == 1 ? "" : "s")})",
            "latest version by tier            " + string.Join(", ", EvidenceTiers.All.Select(t => $"{EvidenceTiers.Name(t)} {Tiers.GetValueOrDefault(EvidenceTiers.Name(t))}")),
        };
        if (NotSurveyed.Count > 0)
        {
            lines.Add("not surveyed                      " + string.Join(", ", NotSurveyed.Select(kv => $"{kv.Key} {kv.Value}")));
        }

        return lines;
    }

    /// <summary>One decimal, rounded half away from zero; "-" when nothing to divide by.</summary>
    public static string Percent(int part, int whole) =>
        whole == 0 ? "-" : (Math.Round(100m * part / whole, 1, MidpointRounding.AwayFromZero)).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Month(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM", CultureInfo.InvariantCulture);
}
