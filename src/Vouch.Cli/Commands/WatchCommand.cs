using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Vouch.Cli.Composition;
using Vouch.Common;
using Vouch.Watch;
using Vouch.Watch.Storage;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch watch [PACKAGE...] [--packages FILE] [--lockfile PATH] [--gate URL] [--once | --interval D]`: monitor
/// upstream packages for trust changes (docs/watch.md). Events are JSON Lines on stdout; the store,
/// the webhook outbox, SARIF and the digest are the other outputs. The work is in src/Vouch.Watch.
/// </summary>
internal static class WatchCommand
{
    private static readonly System.Text.Json.JsonSerializerOptions Line = new(CliJson.Options) { WriteIndented = false };

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var names = new Argument<string[]>("PACKAGE") { Description = "Package names to watch.", Arity = ArgumentArity.ZeroOrMore };
        var packages = new Option<string[]>("--packages") { Description = "File of package names, one a line ('#' comments; a rank column before or after the name is ignored). Repeatable." };
        var lockfiles = new Option<string[]>("--lockfile") { Description = "Watch every registry package of a lockfile (npm, yarn, pnpm, bun) or of the lockfile in a directory. Repeatable." };
        var once = new Option<bool>("--once") { Description = "Run one cycle, deliver due webhooks once, and exit (cron, CI)." };
        var interval = new Option<string>("--interval") { Description = "Time between cycles in daemon mode: 30s, 5m, 1h or seconds (default 5m, at least 5s).", DefaultValueFactory = _ => "5m" };
        var gate = new Option<string?>("--gate") { Description = "Also watch the packages a Vouch gate serves (GET /-/vouch/v1/packages at URL; https, or http to a loopback host); read again before each daemon cycle." };
        var gateTokenEnv = new Option<string?>("--gate-token-env") { Description = "Name of the environment variable holding a gate token with the reader role (required with --gate; never given on the command line)." };
        var store = new Option<string?>("--store") { Description = "The watch store (SQLite; default <cache-dir>/watch/watch.db). State and events persist here across restarts." };
        var storePostgresEnv = new Option<string?>("--store-postgres-env") { Description = "Keep the store in PostgreSQL instead (schema vouch_watch; the gate's database may be used): name of the environment variable holding the connection string (Host=... or postgres://...)." };
        var noFeed = new Option<bool>("--no-changes-feed") { Description = "Poll every packument each cycle even when the registry serves /_changes." };
        var webhook = new Option<string?>("--webhook") { Description = "POST each version's events, signed with HMAC-SHA256, to URL (https, or http to a loopback host); retried with backoff, at least once." };
        var secretEnv = new Option<string?>("--webhook-secret-env") { Description = "Name of the environment variable holding the webhook secret (required with --webhook; never given on the command line)." };
        var sarif = new Option<string?>("--sarif") { Description = "Write the events of this run as SARIF 2.1.0 to FILE (rewritten after each cycle)." };
        var digest = new Option<string?>("--digest") { Description = "Write a Markdown digest of the events of this run to FILE (rewritten after each cycle)." };
        var shared = new SharedOptions();

        var command = new Command("watch", "Monitor upstream packages: verify each new version, compare it with its release line, record and notify trust changes.")
        {
            names, packages, lockfiles, gate, gateTokenEnv, once, interval, store, storePostgresEnv, noFeed, webhook, secretEnv, sarif, digest,
            shared.Registry, shared.CacheDir, shared.TrustedRoot, shared.RegistryKeys, shared.Policy,
        };
        command.SetAction(async (parse, ct) =>
        {
            var settings = shared.Bind(parse);
            var (listed, problems) = Watchlist.Build(parse.GetValue(names) ?? [], parse.GetValue(packages) ?? [], parse.GetValue(lockfiles) ?? []);
            if (problems.Count > 0)
            {
                throw new UsageException($"bad watchlist: {string.Join("; ", problems.Take(20))}{(problems.Count > 20 ? $" and {problems.Count - 20} more" : "")}");
            }

            var gateSource = BindGate(parse.GetValue(gate), parse.GetValue(gateTokenEnv));
            if (listed.Count == 0 && gateSource is null)
            {
                throw new UsageException("nothing to watch: name packages, --packages FILE, --lockfile PATH or --gate URL");
            }

            var storeChoice = BindStore(parse.GetValue(store), parse.GetValue(storePostgresEnv));

            var isOnce = parse.GetValue(once);
            var every = ParseInterval(parse.GetValue(interval)!);
            var (hookUrl, secret) = BindWebhook(parse.GetValue(webhook), parse.GetValue(secretEnv));
            var policy = await PolicyResolver.ResolveAsync(settings.PolicySource, Directory.GetCurrentDirectory(), ct).ConfigureAwait(false);
            using var gateHandler = gateSource is null ? null : GateWatchlist.CreateDefaultHandler();
            using var gateReader = gateSource is null ? null : new GateWatchlist(gateHandler!);
            IReadOnlyList<string> watchlist = listed;
            if (gateSource is { } g)
            {
                var read = await gateReader!.ReadAsync(g.Url, g.Token, ct).ConfigureAwait(false);
                if (!read.IsOk)
                {
                    await stderr.WriteLineAsync($"vouch: {read.Code}: {read.Error}").ConfigureAwait(false);
                    return read.BadInput ? ExitCodes.BadInput : ExitCodes.NetworkFailed;
                }

                watchlist = Merge(listed, read.Packages, stderr);
            }

            using var services = VouchServices.Create(settings);
            WatchStore watchStore;
            try
            {
                watchStore = storeChoice.PostgresConnection is { } pg ? WatchStore.OpenPostgres(pg) : WatchStore.Open(storeChoice.Path ?? Path.Combine(services.CacheDirectory, "watch", "watch.db"));
            }
            catch (WatchStoreException e) when (e.Code == WatchCodes.StoreUnavailable)
            {
                await stderr.WriteLineAsync($"vouch: {e.Code}: {e.Message}").ConfigureAwait(false);
                return ExitCodes.NetworkFailed;
            }
            catch (WatchStoreException e)
            {
                throw new UsageException($"{e.Code}: {e.Message}");
            }

            using var ownedStore = watchStore;

            using var handler = hookUrl is null ? null : WebhookSender.CreateDefaultHandler();
            using var sender = hookUrl is null ? null : new WebhookSender(hookUrl, secret!, watchStore, handler!, services.Time);
            var engine = new WatchEngine(services.Registry, services.Verifier, policy, watchStore, services.Time, outbox: sender is not null);
            var reported = new List<WatchEvent>();
            var sarifPath = parse.GetValue(sarif);
            var digestPath = parse.GetValue(digest);
            var runner = new WatchRunner(engine, watchStore, new ChangesFeed(services.Registry), sender, services.Time)
            {
                OnEvents = async (events, token) =>
                {
                    foreach (var e in events)
                    {
                        await stdout.WriteLineAsync(WatchJson.ToJson(e).ToJsonString(Line)).ConfigureAwait(false);
                    }

                    await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    reported.AddRange(events);
                    if (reported.Count > Vouch.Watch.Limits.MaxReportedEvents)
                    {
                        reported.RemoveRange(0, reported.Count - Vouch.Watch.Limits.MaxReportedEvents);
                    }
                },
                OnCycle = (_, _) =>
                {
                    WriteReports(sarifPath, digestPath, reported, watchlist.Count, services.Time.GetUtcNow());
                    return Task.CompletedTask;
                },
                OnLog = line => stderr.WriteLine($"vouch watch: {line}"),
            };

            // Handled here so a stop lets the current commit finish instead of the parser's termination timeout cutting it.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            void Stop(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Cancel();
            }

            Func<CancellationToken, Task<IReadOnlyList<string>?>>? refresh = gateSource is not { } src ? null : async token =>
            {
                var again = await gateReader!.ReadAsync(src.Url, src.Token, token).ConfigureAwait(false);
                if (!again.IsOk)
                {
                    await stderr.WriteLineAsync($"vouch watch: {again.Code}: {again.Error} (keeping the previous watchlist)").ConfigureAwait(false);
                    return null;
                }

                return Merge(listed, again.Packages, stderr);
            };

            WatchRunSummary summary;
            try
            {
                summary = await runner.RunAsync(new WatchRunOptions { Packages = watchlist, Once = isOnce, Interval = every, FollowChanges = !parse.GetValue(noFeed), Refresh = refresh }, stop.Token).ConfigureAwait(false);
            }
            catch (System.Data.Common.DbException e)
            {
                // The store went away outside a package's check (the outbox count at the end, say).
                await stderr.WriteLineAsync($"vouch: {WatchCodes.StoreUnavailable}: {watchStore.Description}: {e.Message}").ConfigureAwait(false);
                return ExitCodes.NetworkFailed;
            }

            WriteReports(sarifPath, digestPath, reported, watchlist.Count, services.Time.GetUtcNow());
            await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"vouch watch: {watchlist.Count} package(s), {summary.Cycles} cycle(s){(summary.FollowedChanges ? " following the changes feed" : "")}, {summary.Events} event(s) ({summary.ErrorEvents} error), {summary.LastFailures.Count} package(s) not checked in the last cycle, {summary.PendingDeliveries} webhook deliver(ies) pending")).ConfigureAwait(false);

            if (!isOnce)
            {
                // A daemon stopped on purpose: what it found is in the store and the outputs.
                return ExitCodes.Ok;
            }

            if (summary.LastFailures.Count > 0 || (sender is not null && summary.PendingDeliveries > 0) || summary.GaveUpDeliveries > 0)
            {
                return ExitCodes.NetworkFailed;
            }

            return summary.ErrorEvents > 0 ? ExitCodes.CheckFailed : ExitCodes.Ok;
        });
        return command;
    }

    internal static TimeSpan ParseInterval(string text)
    {
        var t = text.Trim();
        var unit = t.Length > 0 && char.IsAsciiLetter(t[^1]) ? t[^1] : 's';
        var number = char.IsAsciiLetter(t.LastOrDefault()) ? t[..^1] : t;
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || unit is not ('s' or 'm' or 'h'))
        {
            throw new UsageException($"--interval: '{text}' is not a duration (30s, 5m, 1h or seconds)");
        }

        var span = unit switch { 'h' => TimeSpan.FromHours(n), 'm' => TimeSpan.FromMinutes(n), _ => TimeSpan.FromSeconds(n) };
        if (span < Vouch.Watch.Limits.MinInterval || span > TimeSpan.FromDays(7))
        {
            throw new UsageException($"--interval: {text} is outside {Vouch.Watch.Limits.MinInterval.TotalSeconds:0}s to 7 days");
        }

        return span;
    }

    /// <summary>The static watchlist and the gate's packages, deduplicated and sorted, cut at the cap (and said so).</summary>
    private static IReadOnlyList<string> Merge(IReadOnlyList<string> listed, IReadOnlyList<string> fromGate, TextWriter stderr)
    {
        var all = listed.Union(fromGate, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (all.Count <= Vouch.Watch.Limits.MaxWatchedPackages)
        {
            return all;
        }

        stderr.WriteLine($"vouch watch: {all.Count} packages named with the gate's; watching the first {Vouch.Watch.Limits.MaxWatchedPackages} in name order");
        return all[..Vouch.Watch.Limits.MaxWatchedPackages];
    }

    private static (Uri Url, string Token)? BindGate(string? url, string? tokenEnv)
    {
        if (url is null)
        {
            return tokenEnv is null ? null : throw new UsageException("--gate-token-env needs --gate");
        }

        if (!GateWatchlist.TryParseUrl(url, out var parsed, out var error))
        {
            throw new UsageException($"--gate: {error}");
        }

        if (string.IsNullOrEmpty(tokenEnv))
        {
            throw new UsageException("--gate needs --gate-token-env NAME (a reader token read from that environment variable, never from the command line)");
        }

        var token = Environment.GetEnvironmentVariable(tokenEnv);
        if (!GateWatchlist.IsUsableToken(token))
        {
            throw new UsageException($"--gate-token-env: the environment variable {tokenEnv} must hold a gate token (printable ASCII, no spaces)");
        }

        return (parsed, token!.Trim());
    }

    private static (string? Path, string? PostgresConnection) BindStore(string? path, string? postgresEnv)
    {
        if (postgresEnv is null)
        {
            return (path, null);
        }

        if (path is not null)
        {
            throw new UsageException("--store and --store-postgres-env are two places for one store: give one");
        }

        var connection = Environment.GetEnvironmentVariable(postgresEnv);
        if (string.IsNullOrWhiteSpace(connection))
        {
            throw new UsageException($"--store-postgres-env: the environment variable {postgresEnv} is not set");
        }

        if (!PostgresConnectionString.IsPostgres(connection))
        {
            throw new UsageException($"--store-postgres-env: the environment variable {postgresEnv} does not hold a PostgreSQL connection string (Host=... or postgres://...)");
        }

        return (null, connection.Trim());
    }

    private static (Uri? Url, byte[]? Secret) BindWebhook(string? url, string? secretEnv)
    {
        if (url is null)
        {
            return secretEnv is null ? (null, null) : throw new UsageException("--webhook-secret-env needs --webhook");
        }

        if (!WebhookSender.TryParseUrl(url, out var parsed, out var error))
        {
            throw new UsageException($"--webhook: {error}");
        }

        if (string.IsNullOrEmpty(secretEnv))
        {
            throw new UsageException("--webhook needs --webhook-secret-env NAME (the secret is read from that environment variable, never from the command line)");
        }

        var secret = Environment.GetEnvironmentVariable(secretEnv);
        if (string.IsNullOrEmpty(secret) || secret.Length < 16)
        {
            throw new UsageException($"--webhook-secret-env: the environment variable {secretEnv} must hold a secret of at least 16 characters");
        }

        return (parsed, Encoding.UTF8.GetBytes(secret));
    }

    private static void WriteReports(string? sarif, string? digest, IReadOnlyList<WatchEvent> events, int watched, DateTimeOffset now)
    {
        if (sarif is not null)
        {
            AtomicFile.WriteText(sarif, WatchReports.Sarif(events, ToolVersion.Current).ToJsonString(CliJson.Options));
        }

        if (digest is not null)
        {
            AtomicFile.WriteText(digest, WatchReports.Digest(events, watched, now));
        }
    }
}
