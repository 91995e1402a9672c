using System.CommandLine;
using System.Reflection;
using System.Text.Json;
using Vouch.Advisories;
using Vouch.Advisories.Check;
using Vouch.Audit;
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
        var maxAge = new Option<string?>("--max-age") { Description = "How long cached registry responses (packuments, keys) are used without asking the registry: 0, or a duration such as 90s, 30m, 12h, 7d (default: 5m)." };
        var preferOnline = new Option<bool>("--prefer-online") { Description = "Revalidate every cached registry response with the registry (--max-age 0)." };
        var preferOffline = new Option<bool>("--prefer-offline") { Description = "Use cached registry responses however old; ask the registry only for what is not cached." };
        var command = new Command("check", "Before adding dependencies: resolve the tree the specs would add and check every package (advisories, malware, typosquats, age, publisher, scripts, trust).")
        {
            specs, shared.Registry, shared.TrustedRoot, shared.RegistryKeys, db, depth, json, format, popular, threshold, failOn, project, shared.Offline, shared.CacheDir, maxAge, preferOnline, preferOffline,
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
            var age = MaxAge(parse.GetValue(maxAge), parse.GetValue(preferOnline), parse.GetValue(preferOffline));
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

            using var services = VouchServices.Create(settings with { WorkingDirectory = projectDir, HttpCacheMaxAge = age });
            var report = await RunAsync(services, store, names, parsed, context, options, ct).ConfigureAwait(false);

            switch (outputFormat)
            {
                case "json":
                    stdout.WriteLine(JsonSerializer.Serialize(ToJson(report, age), CliJson.Options));
                    break;
                case "sarif":
                    stdout.WriteLine(CheckSarif.Build(report, ToolVersion(), "package.json").ToJsonString(CliJson.Options));
                    break;
                default:
                    Render(stdout, report, age);
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

    /// <summary>The registry-cache max-age from <c>--max-age</c>, <c>--prefer-online</c> and <c>--prefer-offline</c>, parsed as <c>vouch audit</c> parses them.</summary>
    internal static TimeSpan MaxAge(string? maxAge, bool preferOnline, bool preferOffline)
    {
        if (new[] { maxAge is not null, preferOnline, preferOffline }.Count(x => x) > 1)
        {
            throw new UsageException("--max-age, --prefer-online and --prefer-offline exclude each other");
        }

        return preferOnline ? TimeSpan.Zero
            : preferOffline ? TimeSpan.MaxValue
            : maxAge is not null ? AuditCommand.ParseMaxAge(maxAge)
            : AuditOptions.DefaultMaxAge;
    }

    /// <summary>The check with verified trust evidence kept in the cache directory's sealed evidence cache.</summary>
    internal static Task<CheckReport> RunAsync(VouchServices services, IAdvisoryDatabase? advisories, PopularNames names, IReadOnlyList<PackageSpec> specs, ProjectContext project, CheckOptions options, CancellationToken cancellationToken)
    {
        var evidence = services.Settings.HttpCache ? VerifierTrust.EvidenceDirectory(services.CacheDirectory) : null;
        var service = new CheckService(services.Registry, advisories, names, new VerifierTrust(services.Verifier, services.Registry, evidence), services.Time);
        return service.CheckAsync(specs, project, options, cancellationToken);
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

    private static object ToJson(CheckReport report, TimeSpan maxAge) => new
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
        registryData = new
        {
            packuments = report.Freshness.Packuments,
            fromCacheUnasked = report.Freshness.FromCacheUnasked,
            oldestConfirmedAt = report.Freshness.OldestConfirmedAt,
            maxAgeSeconds = maxAge == TimeSpan.MaxValue ? (long?)null : (long)maxAge.TotalSeconds,
        },
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

    internal static void Render(TextWriter stdout, CheckReport report, TimeSpan? maxAge = null)
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
        stdout.WriteLine(Freshness(report.Freshness, maxAge));
        stdout.WriteLine(report.Failed ? "result: FAILED" : "result: passed");
    }

    /// <summary>The line that says how old the registry data is: what was read without asking the registry, and the oldest confirmation.</summary>
    internal static string Freshness(RegistryFreshness f, TimeSpan? maxAge)
    {
        var rule = maxAge switch
        {
            null => "",
            { } a when a == TimeSpan.MaxValue => "; --prefer-offline",
            { } a when a == TimeSpan.Zero => "; every one revalidated",
            { } a => $"; --max-age {(long)a.TotalSeconds}s",
        };
        var oldest = f.OldestConfirmedAt is { } at ? $", oldest confirmed by the registry at {at.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}" : "";
        return $"registry data: {f.Packuments} packuments, {f.FromCacheUnasked} from the cache without asking{oldest}{rule}";
    }

    private static string ToolVersion() =>
        typeof(CheckCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    /// <summary>
    /// Trust tiers from Vouch.Provenance's verifier: integrity of the downloaded tarball, signature,
    /// provenance and publish attestation, verified once per version. The verified report is kept in
    /// <c>&lt;cache-dir&gt;/check-evidence</c> through the audit's sealed <see cref="EvidenceCache"/>, keyed by
    /// the registry, name, version and <c>dist.integrity</c> (and the trust material and verification
    /// logic), so a later check of the same version reads the sealed entry instead of downloading and
    /// verifying again; an edited, foreign or mismatched entry is a miss and is verified again.
    /// </summary>
    internal sealed class VerifierTrust : ITrustEvidenceSource
    {
        private readonly PackageVerifier _verifier;
        private readonly RegistryClient _registry;
        private readonly string? _evidenceDirectory;
        private readonly Lazy<Task<(RegistryKeys Keys, EvidenceCache? Cache)>> _setup;

        /// <param name="evidenceDirectory">Where verified evidence is kept; null verifies every version on every run.</param>
        public VerifierTrust(PackageVerifier verifier, RegistryClient registry, string? evidenceDirectory)
        {
            _verifier = verifier;
            _registry = registry;
            _evidenceDirectory = evidenceDirectory;
            _setup = new(SetupAsync);
        }

        public bool Verifies => true;

        /// <summary>The evidence directory of a cache directory (beside the audit's, not shared: audit entries are verified without the tarball).</summary>
        public static string EvidenceDirectory(string cacheDirectory) => Path.Combine(cacheDirectory, "check-evidence");

        // Once per run: the keys decide every signature, and their digest is part of every entry's key.
        private async Task<(RegistryKeys, EvidenceCache?)> SetupAsync()
        {
            var keys = await _verifier.KeysAsync(CancellationToken.None).ConfigureAwait(false);
            var cache = _evidenceDirectory is null ? null : new EvidenceCache(_evidenceDirectory, EvidenceCache.Fingerprint(_verifier.Sigstore.TrustedRoot, keys));
            return (keys, cache);
        }

        public async Task<TrustEvidence> GetAsync(Packument packument, PackageVersion version, CancellationToken cancellationToken)
        {
            var (keys, cache) = await _setup.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            var name = version.Name;
            var v = version.Version.ToString();
            var registry = _registry.Config.GetRegistryFor(name);

            // Without dist.integrity nothing pins the bytes the evidence was about: never cached.
            var integrity = string.IsNullOrEmpty(version.Dist.Integrity) ? null : version.Dist.Integrity;
            if (cache is not null && integrity is not null && cache.TryRead(registry, name, v, integrity) is { } hit)
            {
                return ToEvidence(hit.Report);
            }

            var tarball = await _registry.GetTarballAsync(version.Dist.Tarball, cancellationToken).ConfigureAwait(false);
            if (!tarball.IsOk)
            {
                if (tarball.Status != RegistryStatus.NotFound)
                {
                    throw new HttpRequestException(tarball.Error ?? tarball.Status.ToString());
                }

                return new TrustEvidence(TrustTier.None, null, [$"{ProvenanceCodes.TarballNotFound}: the tarball of {name}@{v} is not served ({tarball.Url})"]);
            }

            var report = await _verifier.VerifyVersionAsync(packument, version, tarball.Value.Hashes, keys, cancellationToken).ConfigureAwait(false);
            if (report.NetworkError is not null)
            {
                throw new HttpRequestException(report.NetworkError);
            }

            // An incomplete answer (a key not yet known, attestations not served) may be transient: asked again next run.
            if (cache is not null && integrity is not null && report.Problems.All(p => !p.Incomplete))
            {
                cache.Write(registry, name, v, integrity, new CachedEvidence { Report = report, FromFullDocument = !packument.IsAbbreviated });
            }

            return ToEvidence(report);
        }

        private static TrustEvidence ToEvidence(PackageReport report)
        {
            var tier = report.EvidenceLevel >= EvidenceLevel.TrustedPublisher ? TrustTier.TrustedPublisher
                : report.EvidenceLevel == EvidenceLevel.Provenance ? TrustTier.Provenance
                : report.Signature.Status == "verified" ? TrustTier.Signed
                : TrustTier.None;
            return new TrustEvidence(tier, report.Provenance.Claims?.SourceRepository, report.Problems.Select(p => $"{p.Code}: {p.Message}").ToList());
        }
    }
}
