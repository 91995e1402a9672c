using System.CommandLine;
using System.Reflection;
using System.Text.Json;
using Vouch.Advisories;
using Vouch.Advisories.Check;
using Vouch.Cli.Composition;
using Vouch.Npm;
using Vouch.Provenance;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch check SPEC...`: what installing these specs would add, and what is wrong with it, before
/// anything is installed (docs/advisories.md). Parsing and rendering only; the logic is
/// <see cref="CheckService"/>.
/// </summary>
internal static class CheckCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var specs = new Argument<string[]>("SPEC") { Description = "Package specs to check: name, name@^1.2, name@1.2.3, name@tag, @scope/name@...", Arity = ArgumentArity.OneOrMore };
        var shared = new SharedOptions();
        var db = DbCommand.DbOption();
        var depth = new Option<int?>("--depth") { Description = "Follow dependencies this deep (0 = only the specs); default: the whole tree." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON (docs/advisories.md)." };
        var format = new Option<string?>("--format") { Description = "table (default), json or sarif." };
        var popular = new Option<string?>("--popular") { Description = "A popular-names list to use instead of the shipped one (one name per line)." };
        var threshold = new Option<string?>("--severity-threshold") { Description = "Advisories at or above this fail: low, medium, high (default), critical." };
        var failOn = new Option<string?>("--fail-on") { Description = "error (default) or warning: the lowest finding level that exits 1." };
        var project = new Option<string?>("--project") { Description = "The project directory (lockfile, package.json); default: the current directory." };
        var command = new Command("check", "Before adding dependencies: resolve the tree the specs would add and check every package (advisories, malware, typosquats, age, publisher, scripts, trust).")
        {
            specs, shared.Registry, shared.TrustedRoot, shared.RegistryKeys, db, depth, json, format, popular, threshold, failOn, project, shared.Offline, shared.CacheDir,
        };
        command.SetAction(async (parse, ct) =>
        {
            var parsed = parse.GetValue(specs)!.Select(s => PackageSpec.TryParse(s, out var spec, out var error) ? spec : throw new UsageException($"'{s}' is not a package spec: {error}")).ToList();
            var outputFormat = (parse.GetValue(json) ? "json" : parse.GetValue(format) ?? "table") switch
            {
                "table" => "table",
                "json" => "json",
                "sarif" => "sarif",
                var other => throw new UsageException($"--format: '{other}' is not table, json or sarif"),
            };
            var options = new CheckOptions
            {
                Depth = parse.GetValue(depth) is { } d ? (d >= 0 ? d : throw new UsageException("--depth: must be 0 or more")) : null,
                Advisories = new AdvisoryRuleOptions { Threshold = Threshold(parse.GetValue(threshold)) },
            };
            var warningsFail = parse.GetValue(failOn) switch
            {
                null or "error" => false,
                "warning" => true,
                var other => throw new UsageException($"--fail-on: '{other}' is not error or warning"),
            };
            var settings = shared.Bind(parse);
            var projectDir = Path.GetFullPath(parse.GetValue(project) ?? Directory.GetCurrentDirectory());
            ProjectContext context;
            try
            {
                context = ProjectContext.Load(projectDir);
            }
            catch (AdvisoryException e)
            {
                throw new UsageException($"{e.Code}: {e.Message}");
            }

            var names = LoadPopular(parse.GetValue(popular));

            // The database is optional: without one the report says so (VOUCH_CHECK_NO_ADVISORY_DATABASE).
            var dbPath = DbCommand.DbPath(parse.GetValue(db));
            using var store = File.Exists(dbPath) ? DbCommand.OpenExisting(dbPath) : null;
            if (store is null && parse.GetValue(db) is not null)
            {
                throw new UsageException($"{AdvisoryCodes.DatabaseMissing}: {dbPath}: no advisory database (run 'vouch db update')");
            }

            using var services = VouchServices.Create(settings with { WorkingDirectory = projectDir });
            var trust = new VerifierTrust(services.Verifier);
            var service = new CheckService(services.Registry, store, names, trust, services.Time);
            var report = await service.CheckAsync(parsed, context, options, ct).ConfigureAwait(false);

            switch (outputFormat)
            {
                case "json":
                    stdout.WriteLine(JsonSerializer.Serialize(ToJson(report), CliJson.Options));
                    break;
                case "sarif":
                    stdout.WriteLine(CheckSarif.Build(report, ToolVersion(), "package.json").ToJsonString(CliJson.Options));
                    break;
                default:
                    Render(stdout, report);
                    break;
            }

            foreach (var e in report.NetworkErrors)
            {
                stderr.WriteLine($"vouch: the registry or network failed: {e}");
            }

            if (report.NetworkErrors.Count > 0)
            {
                return ExitCodes.NetworkFailed;
            }

            return report.Failed || (warningsFail && report.AllFindings.Any(f => f.Level == FindingLevel.Warning)) ? ExitCodes.CheckFailed : ExitCodes.Ok;
        });
        return command;
    }

    private static SeverityLevel Threshold(string? text) =>
        text is null ? SeverityLevel.High
        : AdvisorySeverity.TryParseLevel(text, out var level) && level >= SeverityLevel.Low ? level
        : throw new UsageException($"--severity-threshold: '{text}' is not low, medium, high or critical");

    internal static PopularNames LoadPopular(string? path)
    {
        if (path is null)
        {
            return PopularNames.Shipped();
        }

        try
        {
            return PopularNames.Parse(File.ReadAllText(path), Path.GetFullPath(path));
        }
        catch (IOException e)
        {
            throw new UsageException($"--popular: {e.Message}");
        }
    }

    private static object ToJson(CheckReport report) => new
    {
        requested = report.Requested,
        passed = !report.Failed,
        snapshot = report.Snapshot is null ? null : DbCommand.SnapshotJson(report.Snapshot),
        popularNames = report.PopularNamesSource,
        trustVerified = report.TrustVerified,
        alreadyInstalled = report.AlreadyInstalled,
        packages = report.Packages.Select(p => new
        {
            name = p.Name,
            version = p.Version.ToString(),
            depth = p.Depth,
            edge = p.Edge,
            path = p.Path,
            findings = p.Findings.Select(FindingJson),
        }),
        findings = report.General.Select(FindingJson),
        networkErrors = report.NetworkErrors,
    };

    private static object FindingJson(CheckFinding f) => new
    {
        code = f.Code,
        level = f.Level.ToString().ToLowerInvariant(),
        package = f.Package.Length == 0 ? null : f.Package,
        version = f.Version,
        reason = f.Reason,
        fix = f.Fix,
    };

    internal static void Render(TextWriter stdout, CheckReport report)
    {
        stdout.WriteLine($"vouch check {string.Join(' ', report.Requested)}: {report.Packages.Count} packages to add ({report.AlreadyInstalled} already in the lockfile)");
        foreach (var p in report.Packages)
        {
            var worst = p.Findings.Count == 0 ? "ok" : p.Findings.Max(f => f.Level).ToString().ToLowerInvariant();
            stdout.WriteLine($"  {new string(' ', Math.Min(p.Depth, 10) * 2)}{p.Name}@{p.Version}  [{worst}]");
        }

        var findings = report.AllFindings.OrderByDescending(f => f.Level).ToList();
        if (findings.Count > 0)
        {
            stdout.WriteLine();
        }

        foreach (var f in findings)
        {
            stdout.WriteLine($"{f.Level.ToString().ToUpperInvariant()} {f.Code}: {f.Reason}");
            stdout.WriteLine($"    fix: {f.Fix}");
        }

        stdout.WriteLine();
        stdout.WriteLine(report.Snapshot is { } s ? $"advisory snapshot {s.Id} ({s.RecordCount} records)" : "advisory snapshot: none");
        stdout.WriteLine($"trust evidence: {(report.TrustVerified ? "verified" : "claimed")}; popular names: {report.PopularNamesSource}");
        stdout.WriteLine(report.Failed ? "result: FAILED" : "result: passed");
    }

    private static string ToolVersion() =>
        typeof(CheckCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>Trust tiers from Vouch.Provenance's verifier: signature, provenance and publish attestation, verified.</summary>
    internal sealed class VerifierTrust(PackageVerifier verifier) : ITrustEvidenceSource
    {
        public bool Verifies => true;

        public async Task<TrustEvidence> GetAsync(Packument packument, PackageVersion version, CancellationToken cancellationToken)
        {
            var report = await verifier.VerifyAsync(PackageSpec.Parse($"{packument.Name}@{version.Version}"), cancellationToken).ConfigureAwait(false);
            if (report.NetworkError is not null)
            {
                throw new HttpRequestException(report.NetworkError);
            }

            var tier = report.EvidenceLevel >= EvidenceLevel.TrustedPublisher ? TrustTier.TrustedPublisher
                : report.EvidenceLevel == EvidenceLevel.Provenance ? TrustTier.Provenance
                : report.Signature.Status == "verified" ? TrustTier.Signed
                : TrustTier.None;
            return new TrustEvidence(tier, report.Provenance.Claims?.SourceRepository, report.Problems.Select(p => $"{p.Code}: {p.Message}").ToList());
        }
    }
}
