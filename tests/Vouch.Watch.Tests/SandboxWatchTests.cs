using System.Collections.Concurrent;
using System.Formats.Tar;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Vouch.Npm;
using Vouch.Policy;
using Vouch.Provenance;
using Vouch.Sandbox;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;
using Vouch.Tests;
using Vouch.Watch.Storage;

namespace Vouch.Watch.Tests;

/// <summary>
/// End to end against the sandbox registry (real Sigstore instance, signed packages): watch runs,
/// a lottie-like version is published (token, no provenance, install script), and exactly one
/// signed webhook reaches a loopback receiver, across a restart of watch.
/// </summary>
public class SandboxWatchTests : IAsyncLifetime
{
    private const string Package = "@lottiefiles/lottie-player";
    private const string Other = "quiet-lib";
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("receiver-shared-secret");

    private const string ScenarioYaml = """
        name: watch-lottie
        description: provenance-backed releases, watched while an attacker publishes with a token
        packages:
          - name: "@lottiefiles/lottie-player"
            repository: LottieFiles/lottie-player
            maintainers: [lottie-maintainer]
            source:
              workflow: .github/workflows/release.yml
              trigger: release
            versions:
              - version: 2.0.3
                published: 2024-03-19T14:02:00Z
                publisher: trusted-publisher
                dependencies: { lottie-web: ^5.12.2 }
              - version: 2.0.4
                published: 2024-04-24T09:47:00Z
                publisher: trusted-publisher
                dependencies: { lottie-web: ^5.12.2 }
          - name: lottie-web
            versions:
              - version: 5.12.2
                published: 2024-01-10T10:00:00Z
          - name: quiet-lib
            versions:
              - version: 1.0.0
                published: 2024-01-10T10:00:00Z
        """;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vouch-watch-e2e-" + Guid.NewGuid().ToString("N")[..10]);
    private SandboxRegistry? _sandbox;

    private readonly List<WatchStore> _stores = [];

    private SandboxRegistry Sandbox => _sandbox!;

    /// <summary>False when the backend a subclass runs these tests on is not configured (the tests report Skipped).</summary>
    protected virtual bool StoreAvailable => true;

    /// <summary>A new handle on the store, as a new watch process would open it (SQLite here; PostgreSQL in <see cref="PostgresSandboxWatchTests"/>).</summary>
    protected virtual WatchStore OpenBackend() => WatchStore.Open(StorePath);

    private WatchStore OpenStore()
    {
        var store = OpenBackend();
        _stores.Add(store);
        return store;
    }

    public async Task InitializeAsync() => _sandbox = await SandboxRegistry.StartAsync(Vouch.Sandbox.Scenario.Parse(ScenarioYaml, "watch-lottie.yml"), new SandboxOptions());

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        await Sandbox.DisposeAsync();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [SkippableFact]
    public async Task Watch_WhenLottieLikeVersionIsPublishedAcrossARestart_DeliversExactlyOneSignedWebhook()
    {
        Skip.IfNot(StoreAvailable, TestPostgres.SkipReason);
        var receiver = new Receiver();
        var (app, hookUrl) = await LoopbackHost.StartAsync(receiver.HandleAsync);
        await using var _ = app;
        var printed = new ConcurrentQueue<WatchEvent>();

        // Run 1: a daemon; its first cycle is the baseline (no events). Then it is stopped (Ctrl-C).
        await RunUntilAsync(hookUrl, printed, ctxStore => ctxStore.ReadState(Package) is not null);
        Assert.Empty(printed);

        // While watch is down, the attacker publishes with a token: no provenance, a postinstall.
        await PublishAsync(Package, "2.0.5", scripts: new JsonObject { ["postinstall"] = "node collect.js" });

        // Run 2: a restarted daemon finds it, commits, delivers; it is stopped after a few more cycles.
        var cycles = 0;
        await RunUntilAsync(hookUrl, printed, store => receiver.Valid.Count >= 1 && ++cycles > 3);

        // Run 3: `--once` after another restart: nothing new, nothing sent again.
        var once = await RunOnceAsync(hookUrl, printed);

        Assert.Equal(0, once.Events);
        var delivery = Assert.Single(receiver.Valid);
        Assert.Empty(receiver.Invalid);
        var kinds = delivery.Events.Select(e => e["kind"]!.GetValue<string>()).Order().ToList();
        Assert.Equal(["install-script-added", "new-publisher", "provenance-lost", "trusted-publisher-replaced"], kinds);
        Assert.All(delivery.Events, e => Assert.Equal("2.0.5", e["version"]!.GetValue<string>()));
        Assert.All(delivery.Events, e => Assert.Equal("2.0.4", e["previousVersion"]!.GetValue<string>()));
        Assert.Equal(4, printed.Count);
        Assert.Equal(printed.Select(e => e.Id).Order(), delivery.Events.Select(e => e["id"]!.GetValue<string>()).Order());
        Assert.Equal(4, OpenStore().ReadEvents(0, 100).Count);

        // Tamper: the same request checked with a wrong secret fails; a replay is recognisable by its ids.
        Assert.Equal(SignatureCheck.Mismatch, WebhookSignature.Verify(Encoding.UTF8.GetBytes("not-the-secret"), delivery.Signature, delivery.Body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        Assert.Equal(SignatureCheck.Mismatch, WebhookSignature.Verify(Secret, delivery.Signature, delivery.Body.Replace("2.0.5", "2.0.6", StringComparison.Ordinal), DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        var replay = await PostAsync(hookUrl, delivery.Body, delivery.Signature, delivery.DeliveryId);
        Assert.True(replay, "a replay inside the tolerance still verifies; the receiver must dedupe");
        Assert.Equal(1, receiver.Duplicates);
    }

    /// <summary>
    /// Issue 16's proof: watch runs against the sandbox, is restarted while the attacker publishes a
    /// lottie-like version, and its webhook reaches a loopback receiver exactly once, signed; the
    /// receiver relays the exact request to a gate, which quarantines the version (served before the
    /// event under a policy that would let it through, withheld after it, served again once granted).
    /// </summary>
    [SkippableFact]
    public async Task Watch_WhenLottieLikeVersionIsPublishedAcrossARestart_OneSignedWebhookAndAQuarantineInTheGate()
    {
        Skip.IfNot(StoreAvailable, TestPostgres.SkipReason);
        Directory.CreateDirectory(_dir);
        var policy = Path.Combine(_dir, "permissive.policy.yml");
        await File.WriteAllTextAsync(policy, "version: 1\nrules:\n  trust-downgrade: off\n  install-scripts: off\n");
        const string Approver = "approver-secret-0123456789";
        await using var gate = await Vouch.Gate.GateHost.StartAsync(
            new Vouch.Gate.GateOptions
            {
                Upstream = Sandbox.Url,
                Listen = "127.0.0.1:0",
                Database = Path.Combine(_dir, "gate.db"),
                DataDirectory = Path.Combine(_dir, "gate"),
                PolicyPath = policy,
                PackumentMaxAge = TimeSpan.Zero,
                Tokens = [new Vouch.Gate.GateToken("alice", Vouch.Gate.GateRole.Approver, Approver)],
                WatchSecret = Encoding.UTF8.GetString(Secret),
            },
            new Vouch.Gate.GateDependencies
            {
                UpstreamHandler = RegistryClient.CreateDefaultHandler(),
                Sigstore = new SigstoreVerifier(TrustedRoot.Parse(Encoding.UTF8.GetBytes(Sandbox.TrustedRootJson))),
                TrustedKeys = RegistryKeys.Parse(Encoding.UTF8.GetBytes(Sandbox.RegistryKeysJson), "sandbox registry keys").WithV1KeysForAttestations(),
            });
        using var gateHttp = new HttpClient { BaseAddress = gate.Url };
        var relay = new Relay(new Uri(gate.Url, "-/vouch/v1/watch/events"));
        var (app, hookUrl) = await LoopbackHost.StartAsync(relay.HandleAsync);
        await using var _ = app;
        var printed = new ConcurrentQueue<WatchEvent>();

        // Run 1: the baseline, then stopped.
        await RunUntilAsync(hookUrl, printed, store => store.ReadState(Package) is not null);
        Assert.Empty(printed);

        // While watch is down: the token publish. The gate's policy alone lets it through.
        await PublishAsync(Package, "2.0.5", scripts: new JsonObject { ["postinstall"] = "node collect.js" });
        Assert.Equal((true, 200), await GateStateAsync(gateHttp));

        // Run 2 (a restart) finds it and delivers; run 3 (`--once`) finds nothing new.
        var cycles = 0;
        await RunUntilAsync(hookUrl, printed, store => relay.Valid.Count >= 1 && ++cycles > 3);
        var once = await RunOnceAsync(hookUrl, printed);

        Assert.Equal(0, once.Events);
        var delivery = Assert.Single(relay.Valid);
        Assert.Empty(relay.Invalid);
        Assert.Equal([200], relay.GateAnswers.ToArray());
        Assert.Equal(4, printed.Count);
        var ids = printed.Select(e => e.Id).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(ids, delivery.Ids.Order(StringComparer.Ordinal));
        var stored = await gate.Store.WatchEventsForAsync(Package, 100);
        Assert.Equal(ids, stored.Select(e => e.EventId).Order(StringComparer.Ordinal));
        Assert.All(stored, e => Assert.Equal("2.0.5", e.Version));

        // The gate withholds 2.0.5 (packument and tarball) for watch, and only 2.0.5.
        Assert.Equal((false, 403), await GateStateAsync(gateHttp));
        using (var packument = await gateHttp.GetAsync("@lottiefiles%2flottie-player"))
        {
            var withheld = JsonNode.Parse(await packument.Content.ReadAsStringAsync())!["_vouch"]!["withheld"]!.AsObject();
            Assert.Equal(["2.0.5"], withheld.Select(p => p.Key));
            Assert.Contains("VOUCH_GATE_WATCH_QUARANTINED", withheld["2.0.5"]!.ToJsonString(), StringComparison.Ordinal);
        }

        // An approver lifts it.
        using var list = new HttpRequestMessage(HttpMethod.Get, "-/vouch/v1/approvals?status=pending");
        list.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Approver);
        using var listed = await gateHttp.SendAsync(list);
        var pending = Assert.Single(JsonNode.Parse(await listed.Content.ReadAsStringAsync())!["approvals"]!.AsArray());
        using var grant = new HttpRequestMessage(HttpMethod.Post, $"-/vouch/v1/approvals/{(long)pending!["id"]!}/grant") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        grant.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Approver);
        using (var granted = await gateHttp.SendAsync(grant))
        {
            Assert.True(granted.IsSuccessStatusCode, await granted.Content.ReadAsStringAsync());
        }

        Assert.Equal((true, 200), await GateStateAsync(gateHttp));
    }

    private static async Task<(bool Offered, int Tarball)> GateStateAsync(HttpClient gate)
    {
        using var packument = await gate.GetAsync("@lottiefiles%2flottie-player");
        var doc = JsonNode.Parse(await packument.Content.ReadAsStringAsync())!;
        using var tarball = await gate.GetAsync("@lottiefiles/lottie-player/-/lottie-player-2.0.5.tgz");
        return (doc["versions"]!["2.0.5"] is not null, (int)tarball.StatusCode);
    }

    /// <summary>A receiver that checks the signature like any other, counts, and relays the exact request to the gate.</summary>
    private sealed class Relay(Uri gate)
    {
        private static readonly HttpClient Http = new();

        public ConcurrentQueue<(string Body, List<string> Ids)> ValidQueue { get; } = new();

        public List<(string Body, List<string> Ids)> Valid => [.. ValidQueue];

        public ConcurrentQueue<string> Invalid { get; } = new();

        public ConcurrentQueue<int> GateAnswers { get; } = new();

        public async Task HandleAsync(HttpContext ctx)
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync();
            var signature = ctx.Request.Headers[WebhookSignature.Header].ToString();
            if (WebhookSignature.Verify(Secret, signature, body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)) != SignatureCheck.Valid)
            {
                Invalid.Enqueue(body);
                ctx.Response.StatusCode = 401;
                return;
            }

            ValidQueue.Enqueue((body, JsonNode.Parse(body)!["events"]!.AsArray().Select(e => e!["id"]!.GetValue<string>()).ToList()));
            using var forward = new HttpRequestMessage(HttpMethod.Post, gate) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            forward.Headers.TryAddWithoutValidation(WebhookSignature.Header, signature);
            using var answer = await Http.SendAsync(forward);
            GateAnswers.Enqueue((int)answer.StatusCode);
            ctx.Response.StatusCode = (int)answer.StatusCode;
        }
    }

    [SkippableFact]
    public async Task Watch_WhenRegistryServesAChangesFeed_ChecksOnlyThePackagesItNames()
    {
        Skip.IfNot(StoreAvailable, TestPostgres.SkipReason);
        var checkedPerCycle = new ConcurrentQueue<int>();
        var published = false;
        var found = new ConcurrentQueue<WatchEvent>();
        await RunUntilAsync(null, found, store =>
        {
            if (!published && checkedPerCycle.Count >= 3)
            {
                published = true;
                PublishAsync(Package, "2.0.5", scripts: null, maintainer: true).GetAwaiter().GetResult();
            }

            return !found.IsEmpty;
        }, cycle => checkedPerCycle.Enqueue(cycle.Checked), followChanges: true, expectFollowed: true);

        var counts = checkedPerCycle.ToList();
        Assert.Equal(3, counts[0]); // the first cycle checks every package
        Assert.Contains(0, counts.Skip(1)); // idle cycles ask the feed only
        Assert.Equal(1, counts[^1]); // the cycle after the publish checks that package alone
        Assert.Contains(found, e => e.Kind == "provenance-lost");
    }

    /// <summary>
    /// A watchlist that grows while the daemon follows the changes feed (the gate's packages read
    /// again each cycle): a package new to the list is checked in the next cycle, though the feed
    /// never names it, so it gets its baseline before its first change.
    /// </summary>
    [SkippableFact]
    public async Task Watch_WhenTheWatchlistGrowsWhileFollowingTheFeed_ChecksTheNewPackageAtOnce()
    {
        Skip.IfNot(StoreAvailable, TestPostgres.SkipReason);
        var (engine, store, client) = Build();
        using var __ = client;
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var refreshes = 0;
        var checkedPerCycle = new List<int>();
        var runner = new WatchRunner(engine, store, new ChangesFeed(client), null, TimeProvider.System)
        {
            OnCycle = (cycle, _) =>
            {
                checkedPerCycle.Add(cycle.Checked);
                if (checkedPerCycle.Count == 4)
                {
                    cts.Cancel();
                }

                return Task.CompletedTask;
            },
        };

        var summary = await runner.RunAsync(new WatchRunOptions
        {
            Packages = [Other],
            Interval = TimeSpan.FromMilliseconds(200),
            Refresh = _ => Task.FromResult<IReadOnlyList<string>?>(++refreshes == 1 ? [Other] : [Other, Package]),
        }, cts.Token);

        Assert.True(summary.FollowedChanges);
        Assert.Equal([1, 0, 1, 0], checkedPerCycle);
        Assert.NotNull(store.ReadState(Package));
    }

    [SkippableFact]
    public async Task Check_WhenNothingChanged_MakesOneConditionalRequestPerPackageAndWritesNothing()
    {
        Skip.IfNot(StoreAvailable, TestPostgres.SkipReason);
        var counter = new CountingHandler(RegistryClient.CreateDefaultHandler());
        var (engine, store, client) = Build(counter);
        using var _ = client;
        await engine.CheckAsync([Package, "lottie-web", Other], CancellationToken.None);
        counter.Requests.Clear();

        var steady = await engine.CheckAsync([Package, "lottie-web", Other], CancellationToken.None);

        Assert.Empty(steady.Events);
        Assert.Equal(3, counter.Requests.Count);
        Assert.All(counter.Requests, r => Assert.True(r.Conditional, $"{r.Url} was not conditional"));
        Assert.All(counter.Requests, r => Assert.Equal(304, r.Status));
        Assert.Equal(1, store.ReadState(Package)!.Value.Revision);
    }

    [SkippableFact]
    public async Task Check_WhenTwoProcessesShareTheStore_RecordsAndEmitsEachEventOnce()
    {
        Skip.IfNot(StoreAvailable, TestPostgres.SkipReason);
        var (first, store, c1) = Build();
        var (second, _, c2) = Build();
        using var _1 = c1;
        using var _2 = c2;
        string[] watched = [Package, "lottie-web", Other];
        await first.CheckAsync(watched, CancellationToken.None);
        await PublishAsync(Package, "2.0.5", scripts: new JsonObject { ["postinstall"] = "node collect.js" });

        var results = await Task.WhenAll(first.CheckAsync(watched, CancellationToken.None), second.CheckAsync(watched, CancellationToken.None));

        var emitted = results.SelectMany(r => r.Events).ToList();
        Assert.Equal(4, emitted.Count);
        Assert.Equal(4, emitted.Select(e => e.Id).Distinct().Count());
        Assert.Equal(4, store.ReadEvents(0, 100).Count);
        Assert.Equal(4, store.ClaimDue(DateTimeOffset.UtcNow, 100).Sum(d => System.Text.Json.Nodes.JsonNode.Parse(d.Body)!["events"]!.AsArray().Count));
    }

    /// <summary>The store fails in the middle of a commit (a PostgreSQL restart): that package is retried next cycle, and nothing is lost or doubled.</summary>
    [SkippableFact]
    public async Task Check_WhenTheStoreFailsDuringACommit_ThePackageIsCheckedAgainNextCycle()
    {
        Skip.IfNot(StoreAvailable, TestPostgres.SkipReason);
        var (baseline, _, c0) = Build();
        using var _0 = c0;
        string[] watched = [Package, "lottie-web", Other];
        await baseline.CheckAsync(watched, CancellationToken.None);
        await PublishAsync(Package, "2.0.5", scripts: new JsonObject { ["postinstall"] = "node collect.js" });
        FlakyStore? flaky = null;
        var (engine, _, client) = Build(wrap: s => flaky = new FlakyStore(s));
        using var _1 = client;

        var failed = await engine.CheckAsync(watched, CancellationToken.None);
        var retried = await engine.CheckAsync(watched, CancellationToken.None);

        var failure = Assert.Single(failed.Failures);
        Assert.Equal((Package, WatchCodes.StoreUnavailable), (failure.Package, failure.Code));
        Assert.Empty(failed.Events);
        Assert.Equal(1, flaky!.Failed);
        Assert.Equal(4, retried.Events.Count);
        Assert.Empty(retried.Failures);
        Assert.Equal(4, flaky.ReadEvents(0, 100).Count);
    }

    /// <summary>A store whose first commit with events fails after the transaction began, as a dropped connection would.</summary>
    private sealed class FlakyStore(WatchStore inner) : WatchStore
    {
        public int Failed { get; private set; }

        public override string Description => inner.Description;

        public override CommitResult Commit(string package, long? expectedRevision, PackageState next, IReadOnlyList<WatchEvent> events, bool outbox, DateTimeOffset now)
        {
            if (events.Count > 0 && Failed == 0)
            {
                Failed++;
                throw new Npgsql.NpgsqlException("connection to the server was lost");
            }

            return inner.Commit(package, expectedRevision, next, events, outbox, now);
        }

        public override (long Revision, PackageState State)? ReadState(string package) => inner.ReadState(package);

        public override string? GetMeta(string key) => inner.GetMeta(key);

        public override void SetMeta(string key, string value) => inner.SetMeta(key, value);

        public override IReadOnlyList<Delivery> ClaimDue(DateTimeOffset now, int max) => inner.ClaimDue(now, max);

        public override void MarkDelivered(string id, DateTimeOffset now) => inner.MarkDelivered(id, now);

        public override void ReleaseLease(string id) => inner.ReleaseLease(id);

        public override void MarkFailed(string id, string error, DateTimeOffset nextAttempt, bool giveUp, DateTimeOffset now) => inner.MarkFailed(id, error, nextAttempt, giveUp, now);

        public override int PendingDeliveries() => inner.PendingDeliveries();

        public override DateTimeOffset? NextDeliveryDue() => inner.NextDeliveryDue();

        public override IReadOnlyList<WatchEvent> ReadEvents(long afterSequence, int max) => inner.ReadEvents(afterSequence, max);

        internal override void ExecuteRaw(string sql) => inner.ExecuteRaw(sql);
    }

    [SkippableFact]
    public async Task Check_WhenStoppedBeforeItStarts_ReturnsCancelledWithoutThrowing()
    {
        Skip.IfNot(StoreAvailable, TestPostgres.SkipReason);
        var (engine, _, client) = Build();
        using var _1 = client;

        var result = await engine.CheckAsync([Package], new CancellationToken(canceled: true));

        Assert.True(result.Cancelled);
        Assert.Empty(result.Events);
    }

    private sealed class CountingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public ConcurrentBag<(string Url, bool Conditional, int Status)> Requests { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            Requests.Add((request.RequestUri!.AbsoluteUri, request.Headers.IfNoneMatch.Count > 0, (int)response.StatusCode));
            return response;
        }
    }

    private string StorePath => Path.Combine(_dir, "watch.db");

    private (WatchEngine Engine, WatchStore Store, RegistryClient Client) Build(HttpMessageHandler? handler = null, Func<WatchStore, WatchStore>? wrap = null)
    {
        var home = Path.Combine(_dir, "home");
        Directory.CreateDirectory(home);
        var config = NpmConfig.Load(new NpmConfigOptions { WorkingDirectory = home, HomeDirectory = home, RegistryOverride = Sandbox.Url });
        var client = new RegistryClient(handler ?? RegistryClient.CreateDefaultHandler(), config, Path.Combine(_dir, "cache"), TimeProvider.System, new RegistryClientOptions { MaxRetries = 0 }, disposeHandler: true);
        var keys = RegistryKeys.Parse(Encoding.UTF8.GetBytes(Sandbox.RegistryKeysJson), "sandbox registry keys").WithV1KeysForAttestations();
        var verifier = new PackageVerifier(client, new SigstoreVerifier(TrustedRoot.Parse(Encoding.UTF8.GetBytes(Sandbox.TrustedRootJson))), keys);
        var store = wrap is null ? OpenStore() : wrap(OpenStore());
        return (new WatchEngine(client, verifier, PolicyDocument.Default, store, TimeProvider.System, outbox: true, parallelism: 2), store, client);
    }

    private async Task RunUntilAsync(Uri? hook, ConcurrentQueue<WatchEvent> printed, Func<WatchStore, bool> done, Action<CycleResult>? onCycle = null, bool followChanges = true, bool expectFollowed = false)
    {
        var (engine, store, client) = Build();
        using var __ = client;
        using var sender = hook is null ? null : new WebhookSender(hook, Secret, store, WebhookSender.CreateDefaultHandler(), TimeProvider.System);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var runner = new WatchRunner(engine, store, new ChangesFeed(client), sender, TimeProvider.System)
        {
            OnEvents = (events, _) => { foreach (var e in events) { printed.Enqueue(e); } return Task.CompletedTask; },
            OnCycle = (cycle, _) => { onCycle?.Invoke(cycle); if (done(store)) { cts.Cancel(); } return Task.CompletedTask; },
        };

        var summary = await runner.RunAsync(new WatchRunOptions { Packages = [Package, "lottie-web", Other], Interval = TimeSpan.FromMilliseconds(200), FollowChanges = followChanges }, cts.Token);

        Assert.True(done(store) || cts.IsCancellationRequested, "the run ended before its condition");
        Assert.Empty(summary.LastFailures);
        if (expectFollowed)
        {
            Assert.True(summary.FollowedChanges);
        }
    }

    private async Task<WatchRunSummary> RunOnceAsync(Uri hook, ConcurrentQueue<WatchEvent> printed)
    {
        var (engine, store, client) = Build();
        using var __ = client;
        using var sender = new WebhookSender(hook, Secret, store, WebhookSender.CreateDefaultHandler(), TimeProvider.System);
        var runner = new WatchRunner(engine, store, new ChangesFeed(client), sender, TimeProvider.System)
        {
            OnEvents = (events, _) => { foreach (var e in events) { printed.Enqueue(e); } return Task.CompletedTask; },
        };
        return await runner.RunAsync(new WatchRunOptions { Packages = [Package, "lottie-web", Other], Once = true }, CancellationToken.None);
    }

    /// <summary>`npm publish` as the registry sees it: PUT with a bearer token, one version, the tarball in `_attachments`.</summary>
    private async Task PublishAsync(string name, string version, JsonObject? scripts, bool maintainer = false)
    {
        var manifest = new JsonObject
        {
            ["name"] = name,
            ["version"] = version,
            ["repository"] = new JsonObject { ["type"] = "git", ["url"] = "git+https://github.com/LottieFiles/lottie-player.git" },
            ["dependencies"] = new JsonObject { ["lottie-web"] = "^5.12.2" },
        };
        if (scripts is not null)
        {
            manifest["scripts"] = scripts;
        }

        var tgz = Tarball(manifest.ToJsonString(), "console.log('sandbox stand-in for injected code');\n");
        var integrity = "sha512-" + Convert.ToBase64String(SHA512.HashData(tgz));
        var sent = (JsonObject)manifest.DeepClone();
        sent["dist"] = new JsonObject { ["integrity"] = integrity };
        var body = new JsonObject
        {
            ["name"] = name,
            ["versions"] = new JsonObject { [version] = sent },
            ["dist-tags"] = new JsonObject { ["latest"] = version },
            ["_attachments"] = new JsonObject { [$"{name}-{version}.tgz"] = new JsonObject { ["data"] = Convert.ToBase64String(tgz), ["length"] = tgz.Length } },
        };
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(Sandbox.Url, name.Replace("/", "%2f", StringComparison.Ordinal)))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", maintainer ? "stolen-maintainer-token" : "any-token");
        using var response = await http.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static byte[] Tarball(string packageJson, string script)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax))
        {
            foreach (var (path, text) in new[] { ("package/package.json", packageJson), ("package/collect.js", script) })
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(text)) };
                tar.WriteEntry(entry);
            }
        }

        return output.ToArray();
    }

    private static async Task<bool> PostAsync(Uri url, string body, string signature, string deliveryId)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation(WebhookSignature.Header, signature);
        request.Headers.TryAddWithoutValidation(WebhookSignature.DeliveryHeader, deliveryId);
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode;
    }

    /// <summary>A webhook receiver as docs/watch.md describes one: verify the HMAC, then dedupe on event ids.</summary>
    private sealed class Receiver
    {
        private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

        public ConcurrentQueue<(string Body, string Signature, string DeliveryId, List<JsonNode> Events)> ValidQueue { get; } = new();

        public List<(string Body, string Signature, string DeliveryId, List<JsonNode> Events)> Valid => [.. ValidQueue];

        public ConcurrentQueue<string> Invalid { get; } = new();

        public int Duplicates;

        public async Task HandleAsync(HttpContext ctx)
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync();
            var signature = ctx.Request.Headers[WebhookSignature.Header].ToString();
            if (WebhookSignature.Verify(Secret, signature, body, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)) != SignatureCheck.Valid)
            {
                Invalid.Enqueue(body);
                ctx.Response.StatusCode = 401;
                return;
            }

            var events = JsonNode.Parse(body)!["events"]!.AsArray().Select(e => e!).ToList();
            lock (_seen)
            {
                var fresh = events.Where(e => _seen.Add(e["id"]!.GetValue<string>())).ToList();
                if (fresh.Count == 0)
                {
                    Interlocked.Increment(ref Duplicates);
                }
                else
                {
                    ValidQueue.Enqueue((body, signature, ctx.Request.Headers[WebhookSignature.DeliveryHeader].ToString(), events));
                }
            }

            ctx.Response.StatusCode = 204;
        }
    }
}

/// <summary>The same end-to-end runs with the store in PostgreSQL (restarts, two processes, the changes-feed position).</summary>
public sealed class PostgresSandboxWatchTests : SandboxWatchTests
{
    private readonly TestPostgres? _db = TestPostgres.Create();

    protected override bool StoreAvailable => _db is not null;

    protected override WatchStore OpenBackend() => WatchStore.OpenPostgres(_db!.ConnectionString);

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _db?.Dispose();
    }
}
