using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Vouch.Advisories;
using Vouch.Npm;
using Vouch.Common;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch db update|status|query|export`: the local OSV advisory and malware index (docs/advisories.md).
/// Parsing, rendering and exit codes only; the index is <see cref="AdvisoryStore"/>.
/// </summary>
internal static class DbCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("db", "The local advisory and malware database (OSV records for npm).");
        command.Subcommands.Add(Update(stdout, stderr));
        command.Subcommands.Add(Status(stdout));
        command.Subcommands.Add(Query(stdout));
        command.Subcommands.Add(Export(stdout));
        command.Subcommands.Add(Popular(stdout, stderr));
        return command;
    }

    private static Command Popular(TextWriter stdout, TextWriter stderr)
    {
        var candidates = new Option<string>("--candidates") { Description = "Names to rank, one per line (e.g. the shipped list plus names you care about).", Required = true };
        var output = new Option<string>("--output") { Description = "Where to write the ranked list (the shipped format); use it with `vouch check --popular FILE`.", Required = true };
        var top = new Option<int?>("--top") { Description = "Keep the N most downloaded names (default 1000)." };
        var api = new Option<string?>("--downloads-api") { Description = "npm downloads API base URL (default https://api.npmjs.org/)." };
        var command = new Command("popular", "Refresh the popular-names list typosquat checks compare against: rank candidate names by last-week npm downloads.") { candidates, output, top, api };
        command.SetAction(async (parse, ct) =>
        {
            var apiUri = parse.GetValue(api) is { } a
                ? Uri.TryCreate(a, UriKind.Absolute, out var u) && AdvisoryDownloader.IsAllowedUrl(u) ? u : throw new UsageException($"--downloads-api: '{a}' is not an https URL (or http to a loopback address)")
                : Vouch.Advisories.Check.PopularNamesRefresher.DefaultApi;
            var keep = parse.GetValue(top) ?? 1000;
            if (keep <= 0)
            {
                throw new UsageException("--top: must be 1 or more");
            }

            string[] names;
            try
            {
                names = Vouch.Advisories.Check.PopularNames.Parse(File.ReadAllText(parse.GetValue(candidates)!), "candidates").Names.ToArray();
            }
            catch (IOException e)
            {
                throw new UsageException($"--candidates: {e.Message}");
            }

            using var handler = new SocketsHttpHandler();
            var ranked = await Vouch.Advisories.Check.PopularNamesRefresher.RankAsync(names, handler, apiUri, ct).ConfigureAwait(false);
            if (ranked.Names.Count == 0)
            {
                await stderr.WriteLineAsync($"vouch: {AdvisoryCodes.DownloadFailed}: no download counts could be fetched from {apiUri}").ConfigureAwait(false);
                return ExitCodes.NetworkFailed;
            }

            var text = Vouch.Advisories.Check.PopularNames.Format(ranked.Names.Take(keep).Select(n => n.Name), $"npm downloads API ({apiUri.GetLeftPart(UriPartial.Authority)}), last-week downloads of {names.Length} candidates", DateTimeOffset.UtcNow);
            var target = Path.GetFullPath(parse.GetValue(output)!);
            AtomicFile.WriteText(target, text);
            await stdout.WriteLineAsync($"wrote {target}: {Math.Min(keep, ranked.Names.Count)} names ({ranked.Failed.Count} candidates without a count)").ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The --db option every advisory-aware command shares.</summary>
    public static Option<string?> DbOption() => new("--db") { Description = "Advisory database file (default: <cache dir>/advisories/osv-npm.db)." };

    public static string DbPath(string? option) =>
        option is { Length: > 0 } p ? Path.GetFullPath(p) : Path.Combine(VouchPaths.CacheDirectory(), "advisories", "osv-npm.db");

    /// <summary>Opens the database or turns its failure into the CLI's one-line usage error.</summary>
    public static AdvisoryStore OpenExisting(string path)
    {
        try
        {
            return AdvisoryStore.Open(path, create: false);
        }
        catch (AdvisoryException e)
        {
            throw new UsageException($"{e.Code}: {e.Message}");
        }
    }

    private static Command Update(TextWriter stdout, TextWriter stderr)
    {
        var from = new Option<string?>("--from") { Description = "An OSV all.zip, a `vouch db export` file, a directory of OSV JSON files, one JSON file, or an https URL (default: OSV's npm all.zip)." };
        var expect = new Option<string?>("--expect-digest") { Description = "Import only if the source's records digest to this sha256:… value (printed by `vouch db export`)." };
        var json = new Option<bool>("--json") { Description = "Print the import result as JSON." };
        var db = DbOption();
        var command = new Command("update", "Import OSV records for npm into the local database (incremental; one transaction).") { from, expect, json, db };
        command.SetAction(async (parse, ct) =>
        {
            var dbPath = DbPath(parse.GetValue(db));
            var source = parse.GetValue(from);
            string? downloaded = null;
            string label;
            string readPath;
            if (source is null || source.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || source.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            {
                var url = source is null ? AdvisoryDownloader.DefaultSource : Uri.TryCreate(source, UriKind.Absolute, out var u) ? u : throw new UsageException($"--from: '{source}' is not a URL");
                using var handler = new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.All };
                var result = await AdvisoryDownloader.DownloadAsync(url, handler, Path.GetDirectoryName(dbPath)!, ct).ConfigureAwait(false);
                if (result.Path is null)
                {
                    await stderr.WriteLineAsync($"vouch: {result.Code}: {result.Error}").ConfigureAwait(false);
                    return result.Code == AdvisoryCodes.DownloadFailed ? ExitCodes.NetworkFailed : ExitCodes.BadInput;
                }

                downloaded = result.Path;
                readPath = result.Path;
                label = url.GetLeftPart(UriPartial.Path);
            }
            else
            {
                readPath = Path.GetFullPath(source);
                label = readPath;
            }

            try
            {
                using var store = AdvisoryStore.Open(dbPath, create: true);
                var result = store.Import(OsvSource.Read(readPath, ct), new ImportOptions { SourceLabel = label, ExpectDigest = parse.GetValue(expect) }, ct);
                foreach (var r in result.Rejected.Take(20))
                {
                    await stderr.WriteLineAsync($"vouch: {AdvisoryCodes.RecordMalformed}: {r.Origin}{(r.Id is null ? "" : $" ({r.Id})")}: {string.Join("; ", r.Errors.Take(5))}").ConfigureAwait(false);
                }

                foreach (var problem in result.SeverityProblems.Take(20))
                {
                    await stderr.WriteLineAsync($"vouch: {problem}").ConfigureAwait(false);
                }

                if (parse.GetValue(json))
                {
                    await stdout.WriteLineAsync(JsonSerializer.Serialize(new
                    {
                        database = dbPath,
                        source = label,
                        added = result.Added,
                        updated = result.Updated,
                        unchanged = result.Unchanged,
                        stale = result.Stale,
                        withdrawn = result.Withdrawn,
                        otherEcosystem = result.OtherEcosystem,
                        rejected = result.RejectedCount,
                        sourceDigest = result.SourceDigest,
                        error = result.ErrorCode is null ? null : new { code = result.ErrorCode, message = result.Error },
                        snapshot = SnapshotJson(result.Snapshot),
                    }, CliJson.Options)).ConfigureAwait(false);
                }
                else if (result.ErrorCode is null)
                {
                    await stdout.WriteLineAsync($"imported from {label}: {result.Added} added, {result.Updated} updated, {result.Unchanged} unchanged, {result.Stale} older than stored (kept), {result.Withdrawn} withdrawn, {result.RejectedCount} rejected, {result.OtherEcosystem} for other ecosystems").ConfigureAwait(false);
                    await stdout.WriteLineAsync(Describe(result.Snapshot, dbPath)).ConfigureAwait(false);
                }

                if (result.ErrorCode is not null)
                {
                    await stderr.WriteLineAsync($"vouch: {result.ErrorCode}: {result.Error}").ConfigureAwait(false);
                    return ExitCodes.CheckFailed;
                }

                return ExitCodes.Ok;
            }
            catch (AdvisoryException e)
            {
                await stderr.WriteLineAsync($"vouch: {e.Code}: {e.Message} (nothing was imported)").ConfigureAwait(false);
                return ExitCodes.BadInput;
            }
            finally
            {
                AdvisoryDownloader.TryDelete(downloaded);
            }
        });
        return command;
    }

    private static Command Status(TextWriter stdout)
    {
        var json = new Option<bool>("--json") { Description = "Print the snapshot as JSON." };
        var db = DbOption();
        var command = new Command("status", "Print the database snapshot: record count, newest modified, digest.") { json, db };
        command.SetAction((parse, _) =>
        {
            var dbPath = DbPath(parse.GetValue(db));
            using var store = OpenExisting(dbPath);
            stdout.WriteLine(parse.GetValue(json)
                ? JsonSerializer.Serialize(new { database = dbPath, snapshot = SnapshotJson(store.Snapshot) }, CliJson.Options)
                : Describe(store.Snapshot, dbPath));
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    private static Command Query(TextWriter stdout)
    {
        var specs = new Argument<string[]>("NAME@VERSION") { Description = "Exact package versions: lodash@4.17.20, @scope/name@1.0.0.", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "Print per spec the matching record ids with aliases, severity and malware flag." };
        var db = DbOption();
        var command = new Command("query", "Print the advisories that affect each exact version (exit 1 when any does).") { specs, json, db };
        command.SetAction((parse, _) =>
        {
            var wanted = parse.GetValue(specs)!.Select(ParseExact).ToList();
            var dbPath = DbPath(parse.GetValue(db));
            using var store = OpenExisting(dbPath);
            var results = wanted.Select(w => (w.Spec, w.Name, w.Version, Matches: Lookup(store, w.Name, w.Version))).ToList();
            if (parse.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(new
                {
                    snapshot = SnapshotJson(store.Snapshot),
                    results = results.Select(r => new
                    {
                        spec = r.Spec,
                        name = r.Name,
                        version = r.Version.ToString(),
                        affected = r.Matches.Count > 0,
                        matches = r.Matches.Select(MatchJson),
                    }),
                }, CliJson.Options));
            }
            else
            {
                foreach (var r in results)
                {
                    stdout.WriteLine(r.Matches.Count == 0 ? $"{r.Name}@{r.Version}: no known advisories" : $"{r.Name}@{r.Version}:");
                    foreach (var m in r.Matches)
                    {
                        var also = m.Ids.Count > 1 || m.Aliases.Count > 0 ? $" ({string.Join(", ", m.Ids.Skip(1).Concat(m.Aliases))})" : "";
                        stdout.WriteLine($"  {(m.IsMalware ? "MALWARE " : "")}{m.Id}{also} [{m.Severity}] {m.Summary}");
                    }
                }

                stdout.WriteLine($"advisory snapshot {store.Snapshot.Id} ({store.Snapshot.RecordCount} records)");
            }

            return Task.FromResult(results.Any(r => r.Matches.Count > 0) ? ExitCodes.CheckFailed : ExitCodes.Ok);
        });
        return command;
    }

    private static Command Export(TextWriter stdout)
    {
        var file = new Argument<string>("FILE") { Description = "Where to write the snapshot (a zip of OSV records plus a manifest)." };
        var db = DbOption();
        var command = new Command("export", "Write the database as a snapshot another machine or the gate imports with `vouch db update --from FILE`.") { file, db };
        command.SetAction((parse, _) =>
        {
            using var store = OpenExisting(DbPath(parse.GetValue(db)));
            var target = Path.GetFullPath(parse.GetValue(file)!);
            if (!Directory.Exists(Path.GetDirectoryName(target)))
            {
                throw new UsageException($"{target}: the directory does not exist");
            }

            var snapshot = store.Export(target);
            stdout.WriteLine($"wrote {target}: {snapshot.RecordCount} records, digest {snapshot.Digest}");
            stdout.WriteLine($"import elsewhere with: vouch db update --from {Path.GetFileName(target)} --expect-digest {snapshot.Digest}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return command;
    }

    private static IReadOnlyList<AdvisoryMatch> Lookup(AdvisoryStore store, string name, SemVersion version)
    {
        try
        {
            return store.Lookup(name, version);
        }
        catch (AdvisoryException e)
        {
            throw new UsageException($"{e.Code}: {e.Message}");
        }
    }

    private static (string Spec, string Name, SemVersion Version) ParseExact(string text)
    {
        if (!PackageSpec.TryParse(text, out var spec, out var error))
        {
            throw new UsageException($"'{text}' is not a package spec: {error}");
        }

        if (spec.Version is null)
        {
            throw new UsageException($"'{text}': give an exact version (name@1.2.3)");
        }

        return (text, spec.Name, spec.Version);
    }

    internal static object SnapshotJson(SnapshotInfo s) => new
    {
        id = s.Id,
        digest = s.Digest,
        records = s.RecordCount,
        withdrawn = s.WithdrawnCount,
        malware = s.MalwareCount,
        newestModified = s.NewestModified,
        importedAt = s.ImportedAt,
        source = s.Source,
    };

    internal static object MatchJson(AdvisoryMatch m) => new
    {
        id = m.Id,
        ids = m.Ids,
        aliases = m.Aliases,
        malware = m.IsMalware,
        severity = new
        {
            level = m.Severity.Label,
            score = m.Severity.Score,
            source = m.Severity.Source switch { SeveritySource.CvssV3 => "cvss_v3", SeveritySource.CvssV4 => "cvss_v4", SeveritySource.Database => "database", _ => "none" },
            vector = m.Severity.Vector,
        },
        summary = m.Summary,
        modified = m.Modified,
    };

    private static string Describe(SnapshotInfo s, string path) => string.Create(CultureInfo.InvariantCulture,
        $"advisory database {path}\n  snapshot {s.Digest}\n  {s.RecordCount} records ({s.MalwareCount} malware, {s.WithdrawnCount} withdrawn), newest modified {s.NewestModified?.ToString("u", CultureInfo.InvariantCulture) ?? "-"}, imported {s.ImportedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "never"}\n  source {s.Source ?? "-"}");
}
