using System.CommandLine;
using System.Globalization;
using Vouch.Cli.Composition;
using Vouch.Gate;
using Vouch.Npm;
using Vouch.Sigstore;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch serve`: the gate, an npm-compatible proxy that enforces policy for every client pointed at
/// it (docs/gate.md). Runs until interrupted, then lets in-flight requests finish.
/// </summary>
internal static class ServeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var upstream = new Option<string[]>("--upstream", "--registry") { Description = "The registry the gate proxies (default: https://registry.npmjs.org/); repeat with PATTERN=URL (@corp/*=https://npm.corp.example/) to route matching names to another registry and nowhere else." };
        var upstreamsFile = new Option<string?>("--upstreams") { Description = "JSON file of routed upstreams with their own token (from an environment variable) and trust material (docs/gate.md)." };
        var webhooks = new Option<string[]>("--webhook") { Description = "POST signed events (withheld versions, approval requests and decisions) to this URL; repeatable. The HMAC secret is read from VOUCH_WEBHOOK_SECRET." };
        var accessLog = new Option<bool>("--access-log") { Description = "One JSON line per request on stderr (request id, route, status, bytes, ms) and X-Request-Id on every answer." };
        var policy = new Option<string?>("--policy") { Description = "Policy file; its digest versions every cached decision." };
        var listen = new Option<string>("--listen") { Description = "host:port to listen on (port 0: any free port).", DefaultValueFactory = _ => "127.0.0.1:4873" };
        var db = new Option<string?>("--db") { Description = "SQLite file path (default: <data-dir>/gate.db) or PostgreSQL connection string (Host=...;... or postgres://...)." };
        var dbEnv = new Option<string?>("--db-env") { Description = "Read the PostgreSQL connection string from this environment variable instead of --db (keeps the password out of the process list)." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where verified tarballs and upstream packuments are cached (default: <cache>/gate)." };
        var tokens = new Option<string?>("--tokens") { Description = "Tokens file: one 'role name secret' a line (roles: reader, approver, admin, publisher)." };
        var publicUrl = new Option<string?>("--public-url") { Description = "URL clients reach the gate at (default: the listen address)." };
        var shared = new SharedOptions();
        var maxAge = new Option<int?>("--packument-max-age") { Description = "Seconds a packument is served from memory before it is revalidated upstream (default 60)." };
        var cacheMb = new Option<int?>("--packument-cache-mb") { Description = "Bound of the in-memory packument cache in MiB; least recently used packuments are dropped beyond it (default 256)." };
        var advisoryDb = AdvisoryDbOption();
        var publishTo = new Option<string?>("--publish-to") { Description = "Accept npm publish from publisher tokens and forward accepted versions to this registry (the organisation's), with the gate's own credential." };
        var publishCredential = new Option<string?>("--publish-credential-file") { Description = "File holding the gate's token for --publish-to (default: $VOUCH_PUBLISH_TOKEN). Never on the command line." };
        var vsaKey = new Option<string?>("--vsa-key") { Description = "ECDSA P-256 private key (PEM) to sign SLSA verification summaries with at /-/vouch/v1/vsa/NAME/VERSION (docs/slsa.md)." };
        var vsaVerifier = new Option<string?>("--vsa-verifier") { Description = "The verifier.id of the gate's summaries (default: the public URL); needs --vsa-key." };
        var watchSecretEnv = new Option<string?>("--watch-secret-env") { Description = "Take `vouch watch` webhooks at POST /-/vouch/v1/watch/events, signed with the secret in this environment variable (at least 16 characters); flagged versions are quarantined until approved." };
        var selfApproval = new Option<bool>("--allow-self-approval-unsafe") { Description = "Turn four eyes off: whoever requested an approval may grant it. Needs a token with the approver or admin role." };
        var approvalRequiresReview = new Option<bool>("--approval-requires-review") { Description = "Grant an approval only when the gate stores a verified review of its version (POST /-/vouch/v1/reviews); else VOUCH_GATE_REVIEW_REQUIRED." };

        var command = new Command("serve", "Run the gate: an npm-compatible proxy that withholds versions failing policy, with approvals, audit log, verification API and dashboard.")
        {
            upstream, upstreamsFile, webhooks, accessLog, policy, listen, db, dbEnv, dataDir, tokens, publicUrl, shared.TrustedRoot, shared.RegistryKeys, maxAge, cacheMb, selfApproval, approvalRequiresReview, advisoryDb, publishTo, publishCredential, vsaKey, vsaVerifier, watchSecretEnv,
        };

        // Issue 19: OpenID Connect sign-in for the dashboard.
        var oidc = new OidcArguments();
        foreach (var o in oidc.All)
        {
            command.Options.Add(o);
        }
        command.SetAction(async (parse, ct) =>
        {
            var (upstreamUri, routes, routeTrust) = UpstreamArguments.Bind(parse.GetValue(upstream) ?? [], parse.GetValue(upstreamsFile), ReadSmallFile);

            Uri? publicUri = null;
            if (parse.GetValue(publicUrl) is { } p && (!Uri.TryCreate(p.EndsWith('/') ? p : p + "/", UriKind.Absolute, out publicUri) || publicUri.Scheme is not ("http" or "https")))
            {
                throw new UsageException($"--public-url: '{p}' is not an http(s) URL");
            }

            var data = Path.GetFullPath(parse.GetValue(dataDir) ?? Path.Combine(VouchPaths.CacheDirectory(), "gate"));
            var tokenList = new List<GateToken>();
            if (parse.GetValue(tokens) is { } tokensPath)
            {
                var text = ReadSmallFile(tokensPath, "--tokens");
                tokenList.AddRange(GateToken.ParseFile(text, out var errors));
                if (errors.Count > 0)
                {
                    throw new UsageException($"--tokens {tokensPath}: {string.Join("; ", errors)}");
                }
            }

            var hookUrls = parse.GetValue(webhooks) ?? [];
            var hookSecret = Environment.GetEnvironmentVariable("VOUCH_WEBHOOK_SECRET");
            if (hookUrls.Length > 0 && string.IsNullOrEmpty(hookSecret))
            {
                throw new UsageException("--webhook: set VOUCH_WEBHOOK_SECRET (at least 16 characters) to sign deliveries");
            }

            var hookTargets = new List<Vouch.Gate.Notifications.WebhookTarget>();
            foreach (var h in hookUrls)
            {
                if (!Uri.TryCreate(h, UriKind.Absolute, out var hookUri))
                {
                    throw new UsageException($"--webhook: '{h}' is not a URL");
                }

                hookTargets.Add(new Vouch.Gate.Notifications.WebhookTarget(hookUri, hookSecret!));
            }

            Vouch.Gate.Publish.GatePublishOptions? publish = null;
            if (parse.GetValue(publishTo) is { } target)
            {
                if (!NpmConfig.TryParseRegistryUrl(target, out var targetUri, out var targetError))
                {
                    throw new UsageException($"--publish-to: {targetError}");
                }

                var credential = parse.GetValue(publishCredential) is { } credentialPath
                    ? ReadSmallFile(credentialPath, "--publish-credential-file").Trim()
                    : Environment.GetEnvironmentVariable("VOUCH_PUBLISH_TOKEN")?.Trim();
                if (string.IsNullOrEmpty(credential))
                {
                    throw new UsageException("--publish-to: the gate's credential for it is missing: --publish-credential-file FILE or $VOUCH_PUBLISH_TOKEN");
                }

                publish = new Vouch.Gate.Publish.GatePublishOptions { Target = targetUri!, Credential = credential };
            }
            else if (parse.GetValue(publishCredential) is not null)
            {
                throw new UsageException("--publish-credential-file: only with --publish-to");
            }

            var database = DatabaseArgument(parse.GetValue(db), parse.GetValue(dbEnv), Environment.GetEnvironmentVariable) ?? Path.Combine(data, "gate.db");

            string? watchSecret = null;
            if (parse.GetValue(watchSecretEnv) is { } watchEnv)
            {
                watchSecret = Environment.GetEnvironmentVariable(watchEnv);
                if (string.IsNullOrEmpty(watchSecret))
                {
                    throw new UsageException($"--watch-secret-env: the environment variable {watchEnv} is not set");
                }
            }

            var options = new GateOptions
            {
                WatchSecret = watchSecret,
                Webhooks = hookTargets,
                AccessLog = parse.GetValue(accessLog),
                Upstream = upstreamUri,
                Routes = routes,
                Listen = parse.GetValue(listen)!,
                PublicUrl = publicUri,
                Database = database,
                DataDirectory = data,
                PolicyPath = parse.GetValue(policy),
                Tokens = tokenList,
                PackumentMaxAge = TimeSpan.FromSeconds(parse.GetValue(maxAge) ?? 60),
                PackumentCacheBytes = (parse.GetValue(cacheMb) ?? 256) * 1024L * 1024,
                AllowSelfApprovalUnsafe = parse.GetValue(selfApproval),
                ApprovalRequiresReview = parse.GetValue(approvalRequiresReview),
                AdvisoryDatabasePath = AdvisoryDbPath(parse.GetValue(advisoryDb), DbCommand.DbPath(null)),
                Publish = publish,
                VsaKeyPath = parse.GetValue(vsaKey),
                VsaVerifierId = parse.GetValue(vsaVerifier),
                Oidc = oidc.Bind(parse, ReadSmallFile),
            };
            var problems = options.Validate();
            if (problems.Count > 0)
            {
                throw new UsageException(string.Join("; ", problems));
            }

            var trust = VouchServices.LoadTrust(shared.Bind(parse));

            GateHost host;
            try
            {
                host = await GateHost.StartAsync(options, new GateDependencies
                {
                    UpstreamHandler = RegistryClient.CreateDefaultHandler(),
                    Sigstore = trust.CreateSigstoreVerifier(),
                    TrustedKeys = trust.Keys,
                    TrustServedKeys = !trust.KeysPinned,
                    Log = stderr,
                    RouteTrust = routeTrust,
                }, ct).ConfigureAwait(false);
            }
            catch (GateConfigurationException e)
            {
                // A policy or advisory database that exists but cannot be used (the gate lists every problem).
                throw new UsageException(e.Message);
            }
            catch (IOException e)
            {
                throw new UsageException($"cannot listen on {options.Listen}: {e.Message}");
            }
            catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException)
            {
                await stderr.WriteLineAsync($"vouch: the database failed: {e.Message}").ConfigureAwait(false);
                return ExitCodes.NetworkFailed;
            }

            await using (host.ConfigureAwait(false))
            {
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"vouch gate listening on {host.Url} (upstream {upstreamUri}{string.Concat(routes.Select(r => $", {string.Join(",", r.Patterns.Select(p => p.Text))} -> {r.Url}"))}, {options.DatabaseProvider.ToString().ToLowerInvariant()} database, policy {options.PolicyPath ?? "built-in"}, advisories {AdvisoryDescription(host)}, trusted root: {trust.RootSource}, {tokenList.Count} tokens{(publish is null ? "" : $", publishing to {publish.Target}")}{(options.Oidc is null ? "" : $", sign-in at {options.Oidc.Issuer.OriginalString}")})")).ConfigureAwait(false);
                await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                // Handle SIGINT/SIGTERM here so the graceful stop is not cut short by the parser's own termination timeout.
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
                using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
                using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
                void Stop(System.Runtime.InteropServices.PosixSignalContext context)
                {
                    context.Cancel = true;
                    stop.Cancel();
                }

                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Interrupted: shut down gracefully below.
                }

                await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
                await stdout.WriteLineAsync("vouch gate stopped").ConfigureAwait(false);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The gate's advisory database option (`serve` and `run`).</summary>
    /// <summary>
    /// The database from `--db`, or from the environment variable `--db-env` names (a connection string on
    /// the command line is visible to every local user through `ps`); null: neither (the default SQLite
    /// file). The variable must hold a PostgreSQL connection string that parses; errors name the variable,
    /// never its value.
    /// </summary>
    internal static string? DatabaseArgument(string? db, string? dbEnv, Func<string, string?> environment)
    {
        if (dbEnv is null)
        {
            return db;
        }

        if (db is not null)
        {
            throw new UsageException("--db-env: give either --db or --db-env, not both");
        }

        if (dbEnv.Length == 0 || dbEnv.Contains('=', StringComparison.Ordinal))
        {
            throw new UsageException("--db-env: expected the name of an environment variable");
        }

        var value = environment(dbEnv);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new UsageException($"--db-env: the environment variable {dbEnv} is not set");
        }

        if (!GateOptions.IsPostgres(value))
        {
            throw new UsageException($"--db-env: the environment variable {dbEnv} does not hold a PostgreSQL connection string (Host=...;... or postgres://...)");
        }

        try
        {
            _ = new Npgsql.NpgsqlConnectionStringBuilder(Vouch.Gate.Storage.GateStore.ToNpgsqlConnectionString(value));
        }
        catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException or InvalidOperationException)
        {
            // The exception's message may quote the value (and so the password): only its kind is named.
            throw new UsageException($"--db-env: the connection string in {dbEnv} does not parse ({e.GetType().Name})");
        }

        return value;
    }

    internal static Option<string?> AdvisoryDbOption() => new("--advisory-db")
    {
        Description = "Advisory database the gate checks every version against, opened read-only: malware always withheld, vulnerable versions per the policy's advisories rule (default: <cache dir>/advisories/osv-npm.db when it exists).",
    };

    /// <summary>The explicit file, else the cache directory's database when `vouch db update` made one, else none.</summary>
    internal static string? AdvisoryDbPath(string? option, string cacheDefault)
    {
        if (option is { Length: > 0 })
        {
            return Path.GetFullPath(option);
        }

        return File.Exists(cacheDefault) ? cacheDefault : null;
    }

    internal static string AdvisoryDescription(GateHost host) =>
        host.AdvisorySnapshot is { } s ? $"snapshot {s.Id} ({s.RecordCount} records, {s.MalwareCount} malware)" : "none (run 'vouch db update')";

    private static string ReadSmallFile(string path, string option)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                throw new UsageException($"{option}: '{path}' does not exist");
            }

            if (info.Length > Limits.MaxConfigFileBytes)
            {
                throw new UsageException($"{option}: '{path}' is larger than {Limits.MaxConfigFileBytes} bytes");
            }

            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{option}: {e.Message}");
        }
    }
}
