using System.CommandLine;
using System.Text.Json;
using Vouch.Cli.Composition;
using Vouch.Common;
using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Reviews;
using Vouch.Reviews.Coverage;
using Vouch.Reviews.Records;
using Vouch.Reviews.Signed;
using Vouch.Reviews.Tarballs;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch review check|certify|diff|suggest|import|trust`: shared audits of npm packages in cargo-vet's
/// shape, signed reviews and a web of trust (docs/reviews.md). Parses, calls Vouch.Reviews, renders.
/// </summary>
internal static class ReviewCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("review", "Shared package reviews: audit records, coverage of a lockfile, signed reviews, a web of trust.");
        command.Subcommands.Add(Check(stdout, stderr));
        command.Subcommands.Add(Certify(stdout, stderr));
        command.Subcommands.Add(Diff(stdout, stderr));
        command.Subcommands.Add(Suggest(stdout, stderr));
        command.Subcommands.Add(Import(stdout, stderr));
        command.Subcommands.Add(Trust(stdout));
        return command;
    }

    private static Option<string> StoreOption() => new("--store") { Description = "The supply-chain directory (default: supply-chain).", DefaultValueFactory = _ => "supply-chain" };

    private static Command Check(TextWriter stdout, TextWriter stderr)
    {
        var lockfile = new Argument<string>("LOCKFILE") { Description = "A lockfile or a project directory (default: .).", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "." };
        var store = StoreOption();
        var json = new Option<bool>("--json") { Description = "Print the coverage as JSON (docs/reviews.md)." };
        var shared = new SharedOptions();
        var minLevel = new Option<string>("--min-trust") { Description = "Lowest trust level a signed review's reviewer needs: low (default), medium or high.", DefaultValueFactory = _ => "low" };
        var depth = new Option<int>("--trust-depth") { Description = "Longest trust path followed, 1 to 8 (default 3).", DefaultValueFactory = _ => 3 };
        var command = new Command("check", "Which locked packages meet the required criteria, by what, and which do not (exit 1 when any does not).")
        {
            lockfile, store, json, shared.TrustedRoot, minLevel, depth,
        };
        command.SetAction((parse, _) =>
        {
            var chain = LoadChain(parse.GetValue(store)!);
            var lf = ReadLockfile(parse.GetValue(lockfile)!);
            var verifier = ReviewVerifier(chain.Directory, shared.Bind(parse), parse.GetValue(minLevel)!, parse.GetValue(depth));
            var result = ReviewCheck.Run(chain, lf, TimeProvider.System, verifier);
            if (parse.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(CheckJson(result), CliJson.Options));
            }
            else
            {
                RenderCheck(stdout, result);
            }

            return Task.FromResult(result.Ok ? ExitCodes.Ok : ExitCodes.CheckFailed);
        });
        return command;
    }

    private static Command Certify(TextWriter stdout, TextWriter stderr)
    {
        var spec = new Argument<string>("NAME@VERSION") { Description = "The exact version reviewed." };
        var delta = new Option<string?>("--delta") { Description = "The version the review started from (a delta review)." };
        var criteria = new Option<string[]>("--criteria") { Description = "Criteria the version meets (repeatable).", Required = true };
        var notes = new Option<string?>("--notes") { Description = "What was checked." };
        var who = new Option<string?>("--who") { Description = "Reviewer name recorded in audits.toml (default: $USER)." };
        var sign = new Option<bool>("--sign") { Description = "Also write a signed review (in-toto DSSE bundle) to reviews/." };
        var key = new Option<string?>("--key") { Description = "PKCS#8 PEM ECDSA P-256 key to sign with (with --sign)." };
        var store = StoreOption();
        var shared = new SharedOptions();
        var keyless = new KeylessArguments();
        var command = new Command("certify", "Record a review of a verified tarball in audits.toml (and, with --sign, a signed review).")
        {
            spec, delta, criteria, notes, who, sign, key, keyless.TokenEnv, keyless.Fulcio, keyless.Rekor, keyless.AllowHttpUnsafe,
            store, shared.Registry, shared.CacheDir, shared.Offline, shared.TrustedRoot,
        };
        command.SetAction(async (parse, ct) =>
        {
            var (name, version) = ExactSpec(parse.GetValue(spec)!);
            var from = parse.GetValue(delta);
            if (from is not null && SupplyChainParser.NormalizeVersion(from) is null)
            {
                throw new UsageException($"--delta: '{from}' is not a version");
            }

            var settings = shared.Bind(parse);
            var endpoints = keyless.Bind(parse, parse.GetValue(sign), parse.GetValue(key) is not null, out var token);
            using var services = VouchServices.Create(settings);
            using var keyed = parse.GetValue(sign) && endpoints is null ? LoadSigner(parse.GetValue(key)!) : null;
            using var keylessSigner = endpoints is null ? null : keyless.CreateSigner(endpoints, token!, services.Trust);
            var signer = (IReviewSigner?)keylessSigner ?? keyed;
            var service = Service(services);
            var reviewer = parse.GetValue(who) ?? Environment.GetEnvironmentVariable("USER") ?? "unknown";
            var (result, failure) = await Guard(() => service.CertifyAsync(parse.GetValue(store)!, name, version, from, parse.GetValue(criteria)!, reviewer, parse.GetValue(notes), signer, ct)).ConfigureAwait(false);
            if (failure is not null)
            {
                stderr.WriteLine($"vouch: {failure.Code}: {failure.Message}");
                return failure.Kind switch
                {
                    ReviewFailureKind.NetworkFailed => ExitCodes.NetworkFailed,
                    ReviewFailureKind.Refused => ExitCodes.BadInput,
                    _ => ExitCodes.CheckFailed,
                };
            }

            stdout.WriteLine($"recorded {(from is null ? "audit" : $"delta {from} ->")} {name}@{version} for {string.Join(", ", parse.GetValue(criteria)!)} in {result!.AuditsFile}");
            stdout.WriteLine($"tarball sha512: {Convert.ToHexStringLower(result.Sha512)}");
            if (result.BundleFile is not null)
            {
                stdout.WriteLine($"signed review: {result.BundleFile}");
            }

            if (result.SignerIdentity is not null)
            {
                stdout.WriteLine($"signed keyless as: {result.SignerIdentity} (Fulcio certificate, logged in Rekor; verified against {services.Trust.RootSource})");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Diff(TextWriter stdout, TextWriter stderr)
    {
        var name = new Argument<string>("NAME") { Description = "Package name." };
        var a = new Argument<string>("FROM") { Description = "The version already reviewed." };
        var b = new Argument<string>("TO") { Description = "The version to review." };
        var html = new Option<string?>("--html") { Description = "Also write the diff as an HTML page to this file." };
        var json = new Option<bool>("--json") { Description = "Print the diff as JSON." };
        var shared = new SharedOptions();
        var command = new Command("diff", "File-level diff of two verified tarballs, what matters for a review first.")
        {
            name, a, b, html, json, shared.Registry, shared.CacheDir, shared.Offline,
        };
        command.SetAction(async (parse, ct) =>
        {
            using var services = VouchServices.Create(shared.Bind(parse));
            var service = Service(services);
            var (diff, failure) = await service.DiffAsync(parse.GetValue(name)!, parse.GetValue(a)!, parse.GetValue(b)!, ct).ConfigureAwait(false);
            if (failure is not null)
            {
                return Fail(stderr, failure);
            }

            if (parse.GetValue(html) is { } htmlPath)
            {
                AtomicFile.WriteText(htmlPath, TarballDiff.ToHtml(diff!));
            }

            if (parse.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(new { diff!.Name, diff.From, diff.To, reviewBytes = diff.ReviewBytes, linesChanged = diff.LinesChanged, findings = diff.Findings.Select(f => new { kind = Kebab(f.Kind.ToString()), f.Path, f.Message }), files = diff.Files.Select(f => new { f.Path, change = f.Change.ToString().ToLowerInvariant(), f.OldBytes, f.NewBytes, f.Binary, f.LinesAdded, f.LinesRemoved }) }, CliJson.Options));
                return ExitCodes.Ok;
            }

            stdout.WriteLine($"{diff!.Name} {diff.From} -> {diff.To}: {diff.Files.Count} file(s) differ, {diff.ReviewBytes} bytes to review, {diff.LinesChanged} line(s) changed");
            stdout.WriteLine(diff.Findings.Count == 0 ? "nothing stands out (no install scripts, binaries, new dependencies, minified files or entry point changes)" : "what matters first:");
            foreach (var f in diff.Findings)
            {
                stdout.WriteLine($"  ! {Kebab(f.Kind.ToString()),-15} {f.Path}: {f.Message}");
            }

            stdout.WriteLine("files:");
            foreach (var f in diff.Files)
            {
                var sign = f.Change switch { FileChange.Added => "+", FileChange.Removed => "-", _ => "~" };
                stdout.WriteLine($"  {sign} {f.Path} ({f.OldBytes} -> {f.NewBytes} bytes{(f.Binary ? ", binary" : $", +{f.LinesAdded} -{f.LinesRemoved} lines")})");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Suggest(TextWriter stdout, TextWriter stderr)
    {
        var lockfile = new Argument<string>("LOCKFILE") { Description = "A lockfile or a project directory (default: .).", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "." };
        var store = StoreOption();
        var candidates = new Option<int>("--candidates") { Description = "Covered versions tried as delta bases per gap, 1 to 10 (default 3).", DefaultValueFactory = _ => 3 };
        var json = new Option<bool>("--json") { Description = "Print the suggestions as JSON." };
        var shared = new SharedOptions();
        var command = new Command("suggest", "The cheapest reviews that would close the coverage gaps (smallest diffs from audited versions), with their sizes.")
        {
            lockfile, store, candidates, json, shared.Registry, shared.CacheDir, shared.Offline,
        };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(candidates);
            if (n is < 1 or > 10)
            {
                throw new UsageException($"--candidates: {n} is not between 1 and 10");
            }

            var settings = shared.Bind(parse);
            var chain = LoadChain(parse.GetValue(store)!);
            var lf = ReadLockfile(parse.GetValue(lockfile)!);
            using var services = VouchServices.Create(settings);
            var report = ReviewCheck.Run(chain, lf, services.Time).Coverage;
            var service = Service(services);
            var (suggestions, problems) = await service.SuggestAsync(report, lf, n, ct).ConfigureAwait(false);
            if (parse.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(new { suggestions, problems }, CliJson.Options));
            }
            else
            {
                foreach (var s in suggestions)
                {
                    var what = s.DeltaFrom is null ? "full review" : $"delta from {s.DeltaFrom}";
                    stdout.WriteLine($"{s.Name}@{s.Version} {s.Criterion}: {what}, {s.ReviewBytes} bytes in {s.Files} file(s), {s.LinesChanged} line(s)");
                    stdout.WriteLine($"    vouch review certify {s.Name}@{s.Version}{(s.DeltaFrom is null ? "" : $" --delta {s.DeltaFrom}")} --criteria {s.Criterion}");
                }

                foreach (var p in problems)
                {
                    stderr.WriteLine($"vouch: {p.Code}: {p.Name}@{p.Version}: {p.Message}");
                }

                if (suggestions.Count == 0 && problems.Count == 0)
                {
                    stdout.WriteLine("every locked package is covered");
                }
            }

            return problems.Any(p => p.NetworkError) ? ExitCodes.NetworkFailed : problems.Count > 0 ? ExitCodes.CheckFailed : ExitCodes.Ok;
        });
        return command;
    }

    private static Command Import(TextWriter stdout, TextWriter stderr)
    {
        var command = new Command("import", "Manage imported audit files, pinned by sha256.");
        var name = new Argument<string>("NAME") { Description = "Import name ([a-z0-9][a-z0-9_.-]*)." };
        var url = new Argument<string>("URL") { Description = "https URL (or file path) of the other organisation's audits.toml." };
        var map = new Option<string[]>("--map") { Description = "THEIRS=OURS criteria mapping (repeatable)." };
        var store = StoreOption();
        var add = new Command("add", "Fetch an audit file, pin its sha256 in config.toml and keep the pinned copy in imports/.") { name, url, map, store };
        add.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(name)!;
            if (!SupplyChain.IsValidImportName(n))
            {
                throw new UsageException($"import name '{n}' must match [a-z0-9][a-z0-9_.-]*");
            }

            var mapping = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var m in parse.GetValue(map) ?? [])
            {
                var eq = m.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || eq == m.Length - 1)
                {
                    throw new UsageException($"--map: '{m}' is not THEIRS=OURS");
                }

                mapping[m[..eq]] = m[(eq + 1)..];
            }

            var (uri, bytes, error) = await FetchImport(parse.GetValue(url)!, ct).ConfigureAwait(false);
            if (bytes is null)
            {
                stderr.WriteLine($"vouch: {ReviewCodes.RegistryFailed}: {error}");
                return ExitCodes.NetworkFailed;
            }

            SupplyChainParser.Parse(System.Text.Encoding.UTF8.GetString(bytes), uri!.AbsoluteUri); // refuse a file that does not parse
            Guard(() => SupplyChainWriter.AddImport(parse.GetValue(store)!, n, uri, bytes, mapping));
            stdout.WriteLine($"imported {n} from {uri} (sha256 {SupplyChain.Sha256Hex(bytes)})");
            return ExitCodes.Ok;
        });
        command.Subcommands.Add(add);

        var checkStore = StoreOption();
        var verify = new Command("fetch", "Fetch every import again and compare with its pin; a changed file fails with VOUCH_REVIEW_IMPORT_DIGEST_MISMATCH and is not kept.") { checkStore };
        verify.SetAction(async (parse, ct) =>
        {
            var dir = parse.GetValue(checkStore)!;
            var config = Path.Combine(dir, SupplyChain.ConfigFileName);
            var doc = File.Exists(config) ? Guard(() => SupplyChainParser.ParseFile(config)) : new SupplyChainDocument { Path = config };
            var failed = 0;
            var network = false;
            foreach (var spec in doc.Imports)
            {
                var (_, bytes, error) = await FetchImport(spec.Url.IsFile ? spec.Url.LocalPath : spec.Url.AbsoluteUri, ct).ConfigureAwait(false);
                if (bytes is null)
                {
                    stderr.WriteLine($"vouch: {ReviewCodes.RegistryFailed}: {spec.Name}: {error}");
                    network = true;
                    continue;
                }

                var sha = SupplyChain.Sha256Hex(bytes);
                if (spec.Sha256 is null || sha != spec.Sha256)
                {
                    stdout.WriteLine($"✗ {spec.Name}: {(spec.Sha256 is null ? ReviewCodes.ImportUnpinned : ReviewCodes.ImportDigestMismatch)}: the file now has sha256 {sha}, pinned {spec.Sha256 ?? "(nothing)"}; review it, then 'vouch review import add {spec.Name} {spec.Url}' to re-pin");
                    failed++;
                    continue;
                }

                Guard(() => SupplyChainWriter.AddImport(dir, spec.Name, spec.Url, bytes, new Dictionary<string, string>()));
                stdout.WriteLine($"✓ {spec.Name}: unchanged (sha256 {sha})");
            }

            return network ? ExitCodes.NetworkFailed : failed > 0 ? ExitCodes.CheckFailed : ExitCodes.Ok;
        });
        command.Subcommands.Add(verify);
        return command;
    }

    private static Command Trust(TextWriter stdout)
    {
        var command = new Command("trust", "Manage reviewers and the web of trust (trust.toml).");
        var id = new Argument<string>("ID") { Description = "Reviewer name used in trust.toml." };
        var identity = new Option<string?>("--identity") { Description = "Keyless: the Fulcio certificate identity (SAN: e-mail or workflow URI)." };
        var issuer = new Option<string?>("--issuer") { Description = "Keyless: the OIDC issuer of that identity." };
        var key = new Option<string?>("--public-key") { Description = "Local key: PEM public key file." };
        var level = new Option<string?>("--level") { Description = "The organisation's own trust: none, low, medium, high or distrust." };
        var store = StoreOption();
        var add = new Command("add", "Add a reviewer.") { id, identity, issuer, key, level, store };
        add.SetAction((parse, _) =>
        {
            var lv = ParseLevel(parse.GetValue(level));
            var pem = parse.GetValue(key) is { } keyPath ? ReadText(keyPath) : null;
            if ((parse.GetValue(identity) is null) == (pem is null) || (parse.GetValue(identity) is not null && parse.GetValue(issuer) is null))
            {
                throw new UsageException("give --identity with --issuer (keyless) or --public-key FILE");
            }

            Guard(() => SupplyChainWriter.AddReviewer(parse.GetValue(store)!, parse.GetValue(id)!, parse.GetValue(identity), parse.GetValue(issuer), pem, lv));
            stdout.WriteLine($"added reviewer {parse.GetValue(id)}");
            return Task.FromResult(ExitCodes.Ok);
        });
        command.Subcommands.Add(add);

        var from = new Option<string?>("--from") { Description = "The reviewer who trusts (default: the organisation)." };
        var to = new Argument<string>("TO") { Description = "The reviewer trusted or distrusted." };
        var edgeLevel = new Argument<string>("LEVEL") { Description = "none, low, medium, high or distrust." };
        var edgeStore = StoreOption();
        var set = new Command("set", "Record that a reviewer (or the organisation) trusts or distrusts another.") { to, edgeLevel, from, edgeStore };
        set.SetAction((parse, _) =>
        {
            Guard(() => SupplyChainWriter.AddTrust(parse.GetValue(edgeStore)!, parse.GetValue(from), parse.GetValue(to)!, ParseLevel(parse.GetValue(edgeLevel))!.Value));
            stdout.WriteLine($"{parse.GetValue(from) ?? "the organisation"} → {parse.GetValue(to)}: {parse.GetValue(edgeLevel)}");
            return Task.FromResult(ExitCodes.Ok);
        });
        command.Subcommands.Add(set);

        var listStore = StoreOption();
        var depth = new Option<int>("--trust-depth") { Description = "Longest trust path followed, 1 to 8 (default 3).", DefaultValueFactory = _ => 3 };
        var list = new Command("list", "Every reviewer's standing: level, depth, path, distrust.") { listStore, depth };
        list.SetAction((parse, _) =>
        {
            var graph = Guard(() => TrustGraph.Load(parse.GetValue(listStore)!));
            foreach (var (r, t) in graph.Evaluate(parse.GetValue(depth)).OrderBy(x => x.Key, StringComparer.Ordinal))
            {
                stdout.WriteLine(t.Distrusted ? $"{r}: distrusted by {t.DistrustedBy}" : $"{r}: {SupplyChainWriter.LevelName(t.Level)}{(t.Path.Count > 0 ? $" via {string.Join(" → ", t.Path)}" : "")}");
            }

            return Task.FromResult(ExitCodes.Ok);
        });
        command.Subcommands.Add(list);
        return command;
    }

    /// <summary>Tarballs through the registry client the shared options configured (cache, offline, .npmrc).</summary>
    private static ReviewService Service(VouchServices services) => new(new TarballSource(services.Registry), services.Time);

    private static TrustLevel? ParseLevel(string? text) =>
        text is null ? null : TrustGraph.ParseLevel(text) ?? throw new UsageException($"level '{text}' is not none, low, medium, high or distrust");

    private static async Task<(Uri? Uri, byte[]? Bytes, string? Error)> FetchImport(string text, CancellationToken ct)
    {
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(text);
            return File.Exists(full) ? (new Uri(full), File.ReadAllBytes(full), null) : throw new UsageException($"{text}: no such file");
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw new UsageException($"'{text}' is not an http(s) URL or a file");
        }

        using var http = new HttpClient(RegistryClient.CreateDefaultHandler()) { Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return (uri, null, $"{uri}: HTTP {(int)response.StatusCode}");
            }

            await using var body = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > ReviewLimits.MaxFileBytes)
                {
                    return (uri, null, $"{uri}: larger than {ReviewLimits.MaxFileBytes} bytes");
                }
            }

            return (uri, buffer.ToArray(), null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return (uri, null, $"{uri}: {e.Message}");
        }
    }

    private static SupplyChain LoadChain(string directory) => Guard(() => SupplyChain.Load(directory));

    private static Lockfile ReadLockfile(string path)
    {
        try
        {
            return LockfileReader.Read(path);
        }
        catch (LockfileFormatException e)
        {
            throw new UsageException($"{e.Code}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {path}: {e.Message}");
        }
    }

    private static SignedReviewVerifier? ReviewVerifier(string directory, ServiceSettings settings, string minLevel, int depth)
    {
        if (!Directory.Exists(Path.Combine(directory, ReviewCheck.ReviewsDirectoryName)))
        {
            return null;
        }

        var level = TrustGraph.ParseLevel(minLevel) is { } l and > TrustLevel.None ? l : throw new UsageException($"--min-trust: '{minLevel}' is not low, medium or high");
        if (depth is < 1 or > ReviewLimits.MaxTrustDepth)
        {
            throw new UsageException($"--trust-depth: {depth} is not between 1 and {ReviewLimits.MaxTrustDepth}");
        }

        // Trust material as every command picks it: `--trusted-root`, else the TUF-cached or embedded public-good root.
        var trust = VouchServices.LoadTrust(settings);
        var graph = Guard(() => TrustGraph.Load(directory));
        return new SignedReviewVerifier(trust.CreateSigstoreVerifier(), graph, new ReviewTrustPolicy { MinimumLevel = level, MaxDepth = depth }, TimeProvider.System);
    }

    private static LocalKeyReviewSigner LoadSigner(string path)
    {
        try
        {
            return new LocalKeyReviewSigner(ReadText(path));
        }
        catch (Exception e) when (e is ArgumentException or System.Security.Cryptography.CryptographicException)
        {
            throw new UsageException($"--key: {path}: not a PKCS#8 PEM ECDSA P-256 key ({e.Message})");
        }
    }

    private static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {path}: {e.Message}");
        }
    }

    private static (string Name, string Version) ExactSpec(string text)
    {
        var at = text.LastIndexOf('@');
        if (at <= 0 || SupplyChainParser.NormalizeVersion(text[(at + 1)..]) is not { } v || v != text[(at + 1)..])
        {
            throw new UsageException($"'{text}' is not name@version with an exact version");
        }

        return (text[..at], v);
    }

    private static T Guard<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (ReviewFormatException e)
        {
            throw new UsageException($"{e.Code}: {e.Message}");
        }
    }

    private static void Guard(Action action) => Guard(() =>
    {
        action();
        return 0;
    });

    private static async Task<T> Guard<T>(Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (ReviewFormatException e)
        {
            throw new UsageException($"{e.Code}: {e.Message}");
        }
    }

    private static int Fail(TextWriter stderr, TarballFetch failure)
    {
        stderr.WriteLine($"vouch: {failure.Code}: {failure.Message}");
        return failure.NetworkError ? ExitCodes.NetworkFailed : ExitCodes.CheckFailed;
    }

    private static string Kebab(string pascal) => string.Concat(pascal.Select((c, i) => char.IsUpper(c) && i > 0 ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    private static object CheckJson(ReviewCheckResult r) => new
    {
        ok = r.Ok,
        packages = r.Coverage.Packages.Select(p => new
        {
            name = p.Name,
            version = p.Version,
            dev = p.Dev,
            covered = p.Covered,
            code = p.Code,
            criteria = p.Criteria.Select(c => new
            {
                criterion = c.Criterion,
                covered = c.Covered,
                by = c.Kind is { } k ? Kebab(k.ToString()) : null,
                path = c.Path.Select(s => new { from = s.From, to = s.To, kind = Kebab(s.Kind.ToString()), source = s.Source }),
                code = c.Code,
                message = c.Message,
            }),
        }),
        imports = r.Coverage.ImportProblems.Select(i => new { import = i.Import, code = i.Code, message = i.Message }),
        signedReviews = r.SignedReviews.Select(v => new { package = v.Predicate.Package, version = v.Predicate.Version, reviewer = v.ReviewerId, identity = v.SignerIdentity, level = SupplyChainWriter.LevelName(v.Trust.Level), criteria = v.Predicate.Criteria }),
        signedReviewProblems = r.SignedReviewProblems.Select(p => new { file = p.File, code = p.Code, message = p.Message, fails = p.Fails }),
        skipped = r.Coverage.Skipped.Select(s => new { name = s.Name, version = s.Version, reason = s.Reason }),
    };

    private static void RenderCheck(TextWriter stdout, ReviewCheckResult r)
    {
        foreach (var i in r.Coverage.ImportProblems)
        {
            stdout.WriteLine($"✗ import {i.Import}: {i.Code}: {i.Message}");
        }

        foreach (var p in r.SignedReviewProblems)
        {
            stdout.WriteLine($"{(p.Fails ? "✗" : "!")} {p.File}: {p.Code}: {p.Message}");
        }

        foreach (var p in r.Coverage.Packages.OrderBy(p => p.Covered).ThenBy(p => p.Name, StringComparer.Ordinal))
        {
            foreach (var c in p.Criteria)
            {
                stdout.WriteLine(c.Covered
                    ? $"✓ {p.Name}@{p.Version} {c.Criterion}: {Kebab(c.Kind!.Value.ToString())} ({string.Join(" → ", c.Path.Select(s => s.Source))})"
                    : $"✗ {p.Name}@{p.Version} {c.Criterion}: {c.Code}: {c.Message}");
            }
        }

        var covered = r.Coverage.Packages.Count(p => p.Covered);
        stdout.WriteLine($"{covered} of {r.Coverage.Packages.Count} package(s) covered; {r.Coverage.Skipped.Count} skipped (not from the registry)");
    }

    /// <summary>
    /// `certify --sign --identity-token-env NAME`: keyless signing options, validated before anything is
    /// fetched. The token is read from the environment (an option value would show in `ps`) and is never
    /// printed; Fulcio and Rekor are https unless `--sigstore-allow-http-unsafe` and a loopback host.
    /// </summary>
    private sealed class KeylessArguments
    {
        public Option<string?> TokenEnv { get; } = new("--identity-token-env") { Description = "Sign keyless (with --sign, instead of --key): the environment variable holding the reviewer's OIDC identity token for Fulcio. Never printed." };

        public Option<string?> Fulcio { get; } = new("--fulcio-url") { Description = $"Fulcio for keyless signing (default {KeylessSigningEndpoints.PublicGoodFulcio.AbsoluteUri})." };

        public Option<string?> Rekor { get; } = new("--rekor-url") { Description = $"Rekor for keyless signing (default {KeylessSigningEndpoints.PublicGoodRekor.AbsoluteUri})." };

        public Option<bool> AllowHttpUnsafe { get; } = new("--sigstore-allow-http-unsafe") { Description = "Allow http Fulcio and Rekor URLs on a loopback address (a local test instance). Refused for any other host." };

        /// <summary>The endpoints and the token for keyless signing; null when the review is not signed keyless.</summary>
        public KeylessSigningEndpoints? Bind(ParseResult parse, bool sign, bool hasKey, out string? token)
        {
            token = null;
            var variable = parse.GetValue(TokenEnv);
            if (variable is null || !sign)
            {
                var stray = new Option[] { TokenEnv, Fulcio, Rekor, AllowHttpUnsafe }.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false });
                if (stray is not null)
                {
                    throw new UsageException($"{stray.Name}: only with --sign --identity-token-env NAME");
                }

                return sign && !hasKey ? throw new UsageException("--sign needs --key FILE (a local key) or --identity-token-env NAME (keyless, docs/reviews.md)") : null;
            }

            if (hasKey)
            {
                throw new UsageException("--key and --identity-token-env: sign with one or the other");
            }

            if (variable.Length == 0 || variable.Contains('=', StringComparison.Ordinal))
            {
                throw new UsageException($"--identity-token-env: '{variable}' is not an environment variable name");
            }

            var value = Environment.GetEnvironmentVariable(variable)?.Trim();
            if (string.IsNullOrEmpty(value))
            {
                throw new UsageException($"--identity-token-env: ${variable} is not set or empty");
            }

            if (KeylessReviewSigner.CheckTokenShape(value) is { } why)
            {
                throw new UsageException($"--identity-token-env: ${variable}: {why}");
            }

            token = value;
            var allowHttp = parse.GetValue(AllowHttpUnsafe);
            return new KeylessSigningEndpoints
            {
                Fulcio = Endpoint(parse.GetValue(Fulcio), Fulcio.Name, KeylessSigningEndpoints.PublicGoodFulcio, allowHttp),
                Rekor = Endpoint(parse.GetValue(Rekor), Rekor.Name, KeylessSigningEndpoints.PublicGoodRekor, allowHttp),
            };
        }

        public KeylessReviewSigner CreateSigner(KeylessSigningEndpoints endpoints, string token, TrustMaterial trust) =>
            // No redirects: a 307 would resend the token to wherever the answer points.
            new(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(30) }, endpoints, token, trust.CreateSigstoreVerifier());

        private static Uri Endpoint(string? text, string option, Uri fallback, bool allowHttp)
        {
            if (text is null)
            {
                return fallback;
            }

            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Host.Length == 0)
            {
                throw new UsageException($"{option}: '{text}' is not an http(s) URL");
            }

            if (uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            {
                throw new UsageException($"{option}: give the service's base URL, without credentials, query or fragment");
            }

            if (uri.Scheme == "http" && !(allowHttp && (uri.IsLoopback)))
            {
                throw new UsageException(allowHttp
                    ? $"{option}: http is allowed only on a loopback address, not {uri.Host}"
                    : $"{option}: must be https (http only on a loopback address with --sigstore-allow-http-unsafe)");
            }

            // Relative API paths resolve under the base, whatever it ends with.
            return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
        }
    }
}
