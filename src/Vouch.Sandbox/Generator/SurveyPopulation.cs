using System.Globalization;

namespace Vouch.Sandbox;

/// <summary>
/// A population in the shape of the provenance-adoption study (issue 16): of <see cref="Packages"/>
/// packages, <see cref="GitHubRepositories"/> declare a GitHub repository, <see cref="PublishingFromCi"/>
/// of those publish from CI, and <see cref="WithProvenance"/> of those carry provenance (some through
/// trusted publishing). Every version has real signed evidence from the sandbox's Sigstore instance
/// and registry key. History adds what a survey must find retroactively: packages whose provenance
/// started later, downgrades that were repaired, lottie-style downgrades that are still `latest`,
/// and versions whose advertised provenance does not verify. `vouch sandbox --scenario survey` serves
/// the default (2,000 packages, 205 from CI, 26 with provenance); tests use smaller ones.
/// </summary>
public sealed record SurveyPopulation
{
    public int Packages { get; init; } = 2000;

    public int GitHubRepositories { get; init; } = 1400;

    /// <summary>Of the GitHub ones: published from CI (a bot account, or provenance).</summary>
    public int PublishingFromCi { get; init; } = 205;

    /// <summary>Of the CI ones: the latest version carries provenance.</summary>
    public int WithProvenance { get; init; } = 26;

    /// <summary>Of the provenance ones: published through trusted publishing.</summary>
    public int TrustedPublishers { get; init; } = 10;

    /// <summary>Of the provenance ones: a token release once interrupted provenance on the line (repaired since).</summary>
    public int RepairedDowngrades { get; init; } = 3;

    /// <summary>Of the GitHub ones not from CI: provenance releases, then a person's token release that is still `latest` (lottie-player).</summary>
    public int CurrentDowngrades { get; init; } = 6;

    /// <summary>Of the GitHub ones not from CI: one version advertising provenance whose statement does not match the tarball.</summary>
    public int TamperedProvenance { get; init; } = 2;

    /// <summary>Of the packages without a repository: versions without a registry signature.</summary>
    public int Unsigned { get; init; } = 4;

    public int Seed { get; init; } = 16;

    /// <summary>
    /// The default population's shape for <paramref name="packages"/> packages (`vouch sandbox --scenario
    /// survey --generate N`): the same shares, rounded half away from zero, and the history cases kept
    /// where they fit.
    /// </summary>
    public static SurveyPopulation Scaled(int packages)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(packages, 20, nameof(packages));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(packages, 100_000, nameof(packages));
        var d = new SurveyPopulation();
        int Share(int part, int whole, int of) => (int)Math.Round((double)part * of / whole, MidpointRounding.AwayFromZero);
        var github = Share(d.GitHubRepositories, d.Packages, packages);
        var ci = Share(d.PublishingFromCi, d.Packages, packages);
        var provenance = Math.Max(1, Share(d.WithProvenance, d.PublishingFromCi, ci));
        return new SurveyPopulation
        {
            Packages = packages,
            GitHubRepositories = github,
            PublishingFromCi = ci,
            WithProvenance = provenance,
            TrustedPublishers = Share(d.TrustedPublishers, d.WithProvenance, provenance),
            RepairedDowngrades = Math.Min(d.RepairedDowngrades, provenance),
            CurrentDowngrades = Math.Min(d.CurrentDowngrades, (github - ci) / 2),
            TamperedProvenance = Math.Min(d.TamperedProvenance, (github - ci) / 2),
            Unsigned = Math.Min(d.Unsigned, (packages - github) / 2),
        };
    }

    /// <summary>Packages with a trust downgrade anywhere in their history.</summary>
    public int WithDowngrades => RepairedDowngrades + CurrentDowngrades;

    /// <summary>The name list in rank order (what `DIR/packages.txt` holds: `NAME RANK` a line).</summary>
    public static IEnumerable<string> PackageList(Scenario scenario) =>
        scenario.Packages.Select((p, i) => $"{p.Name} {(i + 1).ToString(CultureInfo.InvariantCulture)}");

    /// <summary>The numbers a survey of the population must print.</summary>
    public string Describe() =>
        $"survey population: {Packages} packages, {GitHubRepositories} with a GitHub repository, {PublishingFromCi} of them publishing from CI, {WithProvenance} of those with provenance ({TrustedPublishers} trusted publishers); {WithDowngrades} with a trust downgrade in history; {TamperedProvenance} advertising provenance that does not verify";

    public Scenario Generate()
    {
        Validate();
        var random = new Random(Seed);
        var order = Enumerable.Range(0, Packages).ToArray();
        random.Shuffle(order);

        // Role by slot; slots are then spread over ranks by the shuffle.
        var packages = new ScenarioPackage[Packages];
        for (var slot = 0; slot < Packages; slot++)
        {
            var rank = order[slot];
            packages[rank] = Package(slot, rank, random);
        }

        return new Scenario(
            $"survey-{Packages}",
            Describe(),
            $"generated:survey,packages={Packages},seed={Seed}",
            packages,
            packages.Take(20).ToDictionary(p => p.Name, _ => "*", StringComparer.Ordinal),
            now: null);
    }

    private ScenarioPackage Package(int slot, int rank, Random random)
    {
        var name = rank % 9 == 4 ? $"@survey/pkg-{rank:D5}" : $"survey-pkg-{rank:D5}";
        var stem = name.Replace("@survey/", "scoped-", StringComparison.Ordinal);
        var org = $"org{rank % 211:D3}";
        var repo = $"{org}/{stem}";
        var person = $"{People[rank % People.Length]}{rank % 50}";
        var bot = $"{org}-release-bot";
        var days = 60 + random.Next(1500);
        var nonCiGitHub = slot - PublishingFromCi;

        if (slot < WithProvenance)
        {
            var publisher = slot < TrustedPublishers ? PublisherKind.TrustedPublisher : PublisherKind.Provenance;
            List<ScenarioVersion> versions = slot >= WithProvenance - RepairedDowngrades
                ? [Ci("1.0.0", days, publisher, repo, bot), Token("1.0.1", days - 20, person), Ci("1.1.0", days - 40, publisher, repo, bot)]
                : [Token("1.0.0", days + 200, bot), Ci("1.1.0", days, publisher, repo, bot)];
            return new ScenarioPackage { Name = name, Repository = repo, Maintainers = [person, bot], Versions = versions };
        }

        if (slot < PublishingFromCi)
        {
            return new ScenarioPackage { Name = name, Repository = repo, Maintainers = [person, bot], Versions = Tokens(days, bot, random) };
        }

        if (slot < GitHubRepositories)
        {
            if (nonCiGitHub < CurrentDowngrades)
            {
                return new ScenarioPackage
                {
                    Name = name,
                    Repository = repo,
                    Maintainers = [person],
                    Versions = [Ci("2.0.0", days, PublisherKind.TrustedPublisher, repo, bot), Ci("2.0.1", days - 30, PublisherKind.TrustedPublisher, repo, bot), Token("2.0.2", days - 45, person)],
                };
            }

            if (nonCiGitHub < CurrentDowngrades + TamperedProvenance)
            {
                var tampered = Ci("1.0.0", days, PublisherKind.Provenance, repo, person) with { Tamper = new HashSet<TamperKind> { TamperKind.ProvenanceSubject } };
                return new ScenarioPackage { Name = name, Repository = repo, Maintainers = [person], Versions = [tampered] };
            }

            return new ScenarioPackage { Name = name, Repository = repo, Maintainers = [person], Versions = Tokens(days, person, random) };
        }

        var other = slot - GitHubRepositories;
        var elsewhere = other % 2 == 0 ? $"git+https://gitlab.com/{repo}.git" : null;
        var versionsElsewhere = Tokens(days, person, random);
        if (elsewhere is null && other / 2 < Unsigned)
        {
            versionsElsewhere = [.. versionsElsewhere.Select(v => v with { Tamper = new HashSet<TamperKind> { TamperKind.SignatureMissing } })];
        }

        return new ScenarioPackage { Name = name, Repository = elsewhere, Maintainers = [person], Versions = versionsElsewhere };
    }

    private static readonly string[] People = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"];

    private static List<ScenarioVersion> Tokens(int days, string by, Random random)
    {
        var count = 1 + random.Next(3);
        return [.. Enumerable.Range(0, count).Select(i => Token($"1.{i / 2}.{i % 2}", days - (i * 30), by))];
    }

    private static ScenarioVersion Token(string version, int daysAgo, string by) => new()
    {
        Version = version,
        Published = Ago(daysAgo),
        Publisher = PublisherKind.Token,
        PublishedBy = by,
    };

    private static ScenarioVersion Ci(string version, int daysAgo, PublisherKind publisher, string repo, string by) => new()
    {
        Version = version,
        Published = Ago(daysAgo),
        Publisher = publisher,
        PublishedBy = publisher == PublisherKind.TrustedPublisher ? null : by,
        Source = new SourceBuild
        {
            Repository = repo,
            Ref = $"refs/tags/v{version}",
            Commit = ScenarioParser.DefaultCommit(repo, version),
            Workflow = ".github/workflows/release.yml",
        },
    };

    private static ScenarioTime Ago(int days) => new(null, -TimeSpan.FromDays(Math.Max(1, days)));

    private void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Packages, 1, nameof(Packages));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Packages, 100_000, nameof(Packages));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(GitHubRepositories, Packages, nameof(GitHubRepositories));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(PublishingFromCi, GitHubRepositories, nameof(PublishingFromCi));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(WithProvenance, PublishingFromCi, nameof(WithProvenance));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(TrustedPublishers, WithProvenance, nameof(TrustedPublishers));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(RepairedDowngrades, WithProvenance, nameof(RepairedDowngrades));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(CurrentDowngrades + TamperedProvenance, GitHubRepositories - PublishingFromCi, nameof(CurrentDowngrades));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Unsigned * 2, Packages - GitHubRepositories, nameof(Unsigned));
        foreach (var n in new[] { GitHubRepositories, PublishingFromCi, WithProvenance, TrustedPublishers, RepairedDowngrades, CurrentDowngrades, TamperedProvenance, Unsigned })
        {
            ArgumentOutOfRangeException.ThrowIfNegative(n);
        }
    }
}
