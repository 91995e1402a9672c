using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Vouch.Cli.Composition;
using Vouch.Common;
using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Provenance;
using Vouch.Survey;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch survey`: provenance adoption in bulk (docs/survey.md). Verifies the latest (or every)
/// version of each listed package with the same verifier as `vouch verify`, writes one row per
/// package (JSON Lines, CSV), a summary in the shape of the adoption study, and an HTML report.
/// `vouch survey diff A B` compares two JSON Lines snapshots.
/// </summary>
internal static class SurveyCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var names = new Argument<string[]>("NAME") { Description = "Package names to survey (instead of --packages or --lockfile).", Arity = ArgumentArity.ZeroOrMore };
        var packages = new Option<string?>("--packages") { Description = "File of package names, one a line, optionally followed by a rank ('NAME RANK' or 'NAME,RANK'); '#' starts a comment." };
        var lockfile = new Option<string?>("--lockfile") { Description = "Survey every registry package a lockfile (or the lockfile in a directory) installs." };
        var allVersions = new Option<bool>("--all-versions") { Description = "Verify every version of each package (default: the latest only; history is then judged on the packument's advertised evidence)." };
        var jsonl = new Option<string?>("--jsonl") { Description = "Write one JSON object per package to FILE (fields in docs/survey.md)." };
        var csv = new Option<string?>("--csv") { Description = "Write one CSV record per package to FILE (columns in docs/survey.md)." };
        var html = new Option<string?>("--html") { Description = "Write a self-contained HTML report with charts to FILE." };
        var json = new Option<bool>("--json") { Description = "Print the summary as JSON instead of text." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Resume from FILE if it exists, and save progress to it while running (deleted when the survey completes)." };
        var concurrency = new Option<int>("--concurrency") { Description = "Packages surveyed at once (1-64).", DefaultValueFactory = _ => 8 };
        var rate = new Option<double?>("--rate") { Description = "At most N registry requests per second (default: 10 against registry.npmjs.org, unlimited elsewhere)." };
        var shared = new SharedOptions();

        var command = new Command("survey", "Survey provenance adoption in bulk: verified evidence tier, repository, CI or person, first provenance and trust downgrades per package.")
        {
            names, packages, lockfile, allVersions, shared.Registry, jsonl, csv, html, json, checkpoint, concurrency, rate,
            shared.Offline, shared.CacheDir, shared.TrustedRoot, shared.RegistryKeys,
        };
        command.Subcommands.Add(CreateDiff(stdout));
        command.SetAction(async (parse, ct) =>
        {
            var input = Input(parse.GetValue(names) ?? [], parse.GetValue(packages), parse.GetValue(lockfile));
            var n = parse.GetValue(concurrency);
            if (n is < 1 or > 64)
            {
                throw new UsageException($"--concurrency: {n} is not between 1 and 64");
            }

            var perSecond = parse.GetValue(rate);
            if (perSecond is { } r && (double.IsNaN(r) || r <= 0 || r > 10_000))
            {
                throw new UsageException($"--rate: {r.ToString(CultureInfo.InvariantCulture)} is not a number of requests per second between 0 and 10000");
            }

            var settings = shared.Bind(parse) with { MaxConcurrency = Math.Max(n * 2, 4) };
            var handler = RegistryClient.CreateDefaultHandler();
            var registryUrl = settings.Registry;
            using var services = VouchServices.Create(settings, TimeProvider.System, Limited(handler, perSecond, settings));
            registryUrl = services.Registry.Config.Registry;
            if (perSecond is null && (settings.Registry is null || PackageVerifier.IsPublicRegistry(settings.Registry)))
            {
                stderr.WriteLine("vouch survey: at most 10 requests per second (the default unless --registry names a registry other than registry.npmjs.org; --rate changes it)");
            }

            var surveyor = new PackageSurveyor(services.Registry, services.Verifier, services.Time, parse.GetValue(allVersions));
            var progress = !ReferenceEquals(stderr, Console.Error) || Console.IsErrorRedirected ? null : new Progress<(int Done, int Total)>(p =>
            {
                if (p.Done % 10 == 0 || p.Done == p.Total)
                {
                    stderr.Write($"\rvouch survey: {p.Done}/{p.Total} packages");
                }
            });
            var options = new SurveyRunOptions
            {
                Registry = registryUrl.AbsoluteUri,
                AllVersions = parse.GetValue(allVersions),
                Concurrency = n,
                JsonlPath = parse.GetValue(jsonl),
                CsvPath = parse.GetValue(csv),
                CheckpointPath = parse.GetValue(checkpoint),
                Progress = progress,
            };

            SurveyRunResult result;
            try
            {
                result = await new SurveyRunner(surveyor).RunAsync(input, options, ct).ConfigureAwait(false);
            }
            catch (SurveyInputException e)
            {
                throw new UsageException($"{e.Code}: {e.Message}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // An output that cannot be written, or a `.partial` another survey holds open.
                throw new UsageException($"cannot write the survey's outputs: {e.Message}");
            }

            if (progress is not null)
            {
                stderr.WriteLine();
            }

            if (result.StoppedAt is { } stopped)
            {
                stderr.WriteLine($"vouch: {SurveyCodes.NetworkFailed}: {stopped.Name}: the registry or network failed ({stopped.Error}); {result.Summary.Rows} of {input.Count} packages done"
                    + (options.CheckpointPath is null ? "; nothing written (use --checkpoint to resume long runs)" : $"; run again with --checkpoint {options.CheckpointPath} to resume"));
                return ExitCodes.NetworkFailed;
            }

            if (parse.GetValue(html) is { } htmlPath)
            {
                AtomicFile.WriteText(Path.GetFullPath(htmlPath), SurveyHtml.Render(result.Summary, $"vouch survey of {input.Description} ({registryUrl.Host})"));
            }

            if (parse.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(SummaryJson(result.Summary), CliJson.Options));
            }
            else
            {
                foreach (var line in result.Summary.Lines())
                {
                    stdout.WriteLine(line);
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static HttpMessageHandler Limited(HttpMessageHandler handler, double? perSecond, ServiceSettings settings)
    {
        var rate = perSecond ?? (settings.Registry is null || PackageVerifier.IsPublicRegistry(settings.Registry) ? 10 : (double?)null);
        return rate is { } r ? new RateLimitHandler(handler, r, TimeProvider.System) : handler;
    }

    private static SurveyInput Input(string[] names, string? packages, string? lockfile)
    {
        var given = (names.Length > 0 ? 1 : 0) + (packages is null ? 0 : 1) + (lockfile is null ? 0 : 1);
        if (given != 1)
        {
            throw new UsageException("give exactly one of: package NAMEs, --packages FILE, --lockfile PATH");
        }

        try
        {
            if (packages is not null)
            {
                return SurveyInput.FromFile(packages);
            }

            if (lockfile is not null)
            {
                var path = LockfileReader.Find(lockfile) ?? throw new UsageException($"--lockfile: no lockfile at {lockfile}");
                return SurveyInput.FromLockfile(LockfileReader.Read(path), path);
            }

            return SurveyInput.FromNames(names);
        }
        catch (SurveyInputException e)
        {
            throw new UsageException($"{e.Code}: {e.Message}");
        }
        catch (LockfileFormatException e)
        {
            throw new UsageException($"{e.Code}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {packages ?? lockfile}: {e.Message}");
        }
    }

    private static object SummaryJson(SurveySummary s) => new
    {
        packagesSurveyed = s.Surveyed,
        withGitHubRepository = s.WithGitHubRepository,
        publishingFromCi = s.PublishingFromCi,
        withProvenance = s.WithProvenance,
        percentWithGitHubRepository = Ratio(s.WithGitHubRepository, s.Surveyed),
        percentPublishingFromCi = Ratio(s.PublishingFromCi, s.WithGitHubRepository),
        percentWithProvenance = Ratio(s.WithProvenance, s.PublishingFromCi),
        publishingFromCiAnyHost = s.CiAnyHost,
        publishingFromCiInferred = s.CiInferred,
        withProvenanceAnyHost = s.ProvenanceAnyHost,
        provenanceAdvertisedNotVerified = s.ProvenanceAdvertisedNotVerified,
        repositoryMismatches = s.RepositoryMismatches,
        packagesWithDowngrades = s.PackagesWithDowngrades,
        downgrades = s.Downgrades,
        tiers = Vouch.Survey.EvidenceTiers.All.ToDictionary(Vouch.Survey.EvidenceTiers.Name, t => s.Tiers.GetValueOrDefault(Vouch.Survey.EvidenceTiers.Name(t))),
        notSurveyed = s.NotSurveyed,
    };

    private static decimal? Ratio(int part, int whole) => whole == 0 ? null : Math.Round(100m * part / whole, 1, MidpointRounding.AwayFromZero);

    private static Command CreateDiff(TextWriter stdout)
    {
        var a = new Argument<string>("A") { Description = "The earlier snapshot (JSON Lines from vouch survey --jsonl)." };
        var b = new Argument<string>("B") { Description = "The later snapshot." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per change (JSON Lines) instead of text." };
        var command = new Command("diff", "Compare two survey snapshots: packages that gained or lost provenance, changed tier, appeared or disappeared.") { a, b, json };
        command.SetAction(parse =>
        {
            IReadOnlyList<SurveyChange> changes;
            try
            {
                changes = SurveyDiff.Compare(parse.GetValue(a)!, parse.GetValue(b)!);
            }
            catch (SurveyInputException e)
            {
                throw new UsageException($"{e.Code}: {e.Message}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"cannot read a snapshot: {e.Message}");
            }

            foreach (var c in changes)
            {
                stdout.WriteLine(parse.GetValue(json) ? SurveyDiff.Json(c) : SurveyDiff.Text(c));
            }

            if (!parse.GetValue(json))
            {
                stdout.WriteLine(SurveyDiff.Totals(changes));
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
