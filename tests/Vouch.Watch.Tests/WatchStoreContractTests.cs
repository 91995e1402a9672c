using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using Vouch.Watch.Storage;

namespace Vouch.Watch.Tests;

/// <summary>
/// One contract, two backends: every test here runs against SQLite (<see cref="SqliteWatchStoreTests"/>)
/// and PostgreSQL (<see cref="PostgresWatchStoreTests"/>, Skipped with the reason when
/// VOUCH_TEST_POSTGRES is unset). Each <see cref="OpenStore"/> is a separate handle (its own
/// connections), as a second watch process would have.
/// </summary>
public abstract class WatchStoreContractTests : IDisposable
{
    protected static readonly DateTimeOffset Now = new(2024, 11, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly List<WatchStore> _opened = [];

    /// <summary>Statements that rewrite history in this backend's dialect, each of which the database must refuse.</summary>
    protected abstract IEnumerable<string> BackendTamperStatements { get; }

    protected abstract bool Available { get; }

    protected abstract WatchStore OpenBackend();

    protected WatchStore OpenStore()
    {
        var store = OpenBackend();
        _opened.Add(store);
        return store;
    }

    protected void SkipIfUnavailable() => Skip.IfNot(Available, TestPostgres.SkipReason);

    public virtual void Dispose()
    {
        foreach (var s in _opened)
        {
            s.Dispose();
        }

        GC.SuppressFinalize(this);
    }

    protected static WatchEvent Event(string version, string kind = "provenance-lost", string package = "pkg") => new()
    {
        Id = WatchEvent.MakeId(package, version, kind, ""),
        Kind = kind,
        Code = WatchCodes.ProvenanceLost,
        Package = package,
        Version = version,
        Severity = "error",
        Detail = "detail",
        ObservedAt = Now,
    };

    [SkippableFact]
    public void Commit_WhenRevisionMatches_WritesEventsStateAndOneDeliveryPerVersion()
    {
        SkipIfUnavailable();
        var store = OpenStore();

        var result = store.Commit("pkg", null, new PackageState(), [Event("1.0.1"), Event("1.0.1", "new-bin"), Event("1.0.2")], outbox: true, Now);

        Assert.Equal(CommitStatus.Committed, result.Status);
        Assert.Equal([1L, 2L, 3L], result.Events.Select(e => e.Sequence));
        Assert.Equal(1, store.ReadState("pkg")!.Value.Revision);
        Assert.Equal(2, store.PendingDeliveries());
        Assert.Equal(3, store.ReadEvents(0, 10).Count);
    }

    [SkippableFact]
    public void ReadEvents_WhenCommitted_ReturnsEveryFieldAsWritten()
    {
        SkipIfUnavailable();
        var store = OpenStore();
        var e = Event("2.0.0") with { PreviousVersion = "1.9.9", Rule = "trust-downgrade", Detail = "line one \u00e9\u4e2d", ObservedAt = Now.AddTicks(1234560) }; // PostgreSQL keeps microseconds
        var bare = Event("2.0.0", "new-bin") with { Severity = "warn" };
        store.Commit("pkg", null, new PackageState(), [e, bare], outbox: false, Now);

        var read = store.ReadEvents(0, 10);

        Assert.Equal([e with { Sequence = 1 }, bare with { Sequence = 2 }], read);
        Assert.Equal([bare with { Sequence = 2 }], store.ReadEvents(1, 10));
    }

    [SkippableFact]
    public void Commit_WhenAnotherProcessCommittedFirst_WritesNothing()
    {
        SkipIfUnavailable();
        var first = OpenStore();
        var second = OpenStore();
        first.Commit("pkg", null, new PackageState(), [], outbox: false, Now);
        var read = second.ReadState("pkg")!.Value.Revision;

        var winner = first.Commit("pkg", read, new PackageState(), [Event("1.0.1")], outbox: true, Now);
        var loser = second.Commit("pkg", read, new PackageState(), [Event("1.0.1")], outbox: true, Now);

        Assert.Equal(CommitStatus.Committed, winner.Status);
        Assert.Equal(CommitStatus.Conflict, loser.Status);
        Assert.Empty(loser.Events);
        Assert.Single(first.ReadEvents(0, 10));
        Assert.Equal(1, first.PendingDeliveries());
    }

    [SkippableFact]
    public void Commit_WhenBothSeeNoStateYet_OnlyOneCommits()
    {
        SkipIfUnavailable();
        var first = OpenStore();
        var second = OpenStore();

        var a = first.Commit("pkg", null, new PackageState(), [Event("1.0.1")], outbox: true, Now);
        var b = second.Commit("pkg", null, new PackageState(), [Event("1.0.1")], outbox: true, Now);

        Assert.Equal(CommitStatus.Committed, a.Status);
        Assert.Equal(CommitStatus.Conflict, b.Status);
        Assert.Single(second.ReadEvents(0, 10));
    }

    /// <summary>Two watch processes at once on one store: 40 packages, both commit every package's observation concurrently.</summary>
    [SkippableFact]
    public async Task Commit_WhenTwoProcessesRaceOnManyPackages_EachEventIsStoredAndEmittedOnce()
    {
        SkipIfUnavailable();
        var stores = new[] { OpenStore(), OpenStore() };
        var packages = Enumerable.Range(0, 40).Select(i => $"pkg-{i}").ToList();

        // Each "process" reads the state first (as the engine does before fetching), then commits.
        var work = stores.SelectMany(store => packages.Select(p => Task.Run(() =>
        {
            var read = store.ReadState(p)?.Revision;
            return store.Commit(p, read, new PackageState(), [Event("1.0.1", package: p), Event("1.0.1", "new-bin", p)], outbox: true, Now);
        })));
        var results = await Task.WhenAll(work);

        var emitted = results.SelectMany(r => r.Events).ToList();
        Assert.Equal(80, emitted.Count);
        Assert.Equal(80, emitted.Select(e => e.Id).Distinct().Count());
        var stored = stores[0].ReadEvents(0, 1000);
        Assert.Equal(80, stored.Count);
        Assert.Equal(emitted.Select(e => e.Sequence).Order(), stored.Select(e => e.Sequence));
        Assert.Equal(40, stores[1].PendingDeliveries());
        // A process that read the winner's state commits over it (revision 2) but adds no event.
        Assert.All(packages, p => Assert.InRange(stores[1].ReadState(p)!.Value.Revision, 1, 2));
    }

    /// <summary>
    /// The compare-and-swap under contention: two processes that computed different observations from
    /// the same revision, committing at the same moment; exactly one wins each package, the other
    /// writes nothing (no lost update, no second set of events).
    /// </summary>
    [SkippableFact]
    public async Task Commit_WhenTwoProcessesCommitDifferentObservationsAtOnce_ExactlyOneWinsEachPackage()
    {
        SkipIfUnavailable();
        var stores = new[] { OpenStore(), OpenStore() };
        var packages = Enumerable.Range(0, 40).Select(i => $"race-{i}").ToList();
        using var start = new Barrier(2);

        var outcomes = await Task.WhenAll(stores.Select((store, n) => Task.Run(() => packages.Select(p =>
        {
            start.SignalAndWait();
            return store.Commit(p, null, new PackageState { DistTags = { ["latest"] = $"{n}.0.0" } }, [Event($"{n}.0.0", package: p)], outbox: true, Now).Status;
        }).ToList())));

        for (var i = 0; i < packages.Count; i++)
        {
            Assert.True((outcomes[0][i] == CommitStatus.Committed) ^ (outcomes[1][i] == CommitStatus.Committed), $"{packages[i]}: {outcomes[0][i]} and {outcomes[1][i]}");
        }

        Assert.Equal(40, stores[0].ReadEvents(0, 1000).Count);
        Assert.Equal(40, stores[1].PendingDeliveries());
    }

    [SkippableFact]
    public void Commit_WhenEventIdIsAlreadyStored_SkipsIt()
    {
        SkipIfUnavailable();
        var store = OpenStore();
        store.Commit("pkg", null, new PackageState(), [Event("1.0.1")], outbox: false, Now);

        var again = store.Commit("pkg", 1, new PackageState(), [Event("1.0.1"), Event("1.0.2")], outbox: false, Now);

        Assert.Equal(["1.0.2"], again.Events.Select(e => e.Version));
        Assert.Equal(2, store.ReadEvents(0, 10).Count);
    }

    [SkippableFact]
    public void Open_WhenReopenedAfterARestart_KeepsStateEventsOutboxAndMeta()
    {
        SkipIfUnavailable();
        var before = OpenStore();
        var state = new PackageState { Unpublished = true, DistTags = { ["latest"] = "1.0.1" } };
        before.Commit("pkg", null, state, [Event("1.0.1")], outbox: true, Now);
        before.SetMeta("changes_since", "42");
        before.Dispose();

        var after = OpenStore();

        Assert.Equal(state.Serialize(), after.ReadState("pkg")!.Value.State.Serialize());
        Assert.Single(after.ReadEvents(0, 10));
        Assert.Equal(1, after.PendingDeliveries());
        Assert.Equal("42", after.GetMeta("changes_since"));
    }

    [SkippableFact]
    public void Meta_WhenSetTwice_KeepsTheLastValue()
    {
        SkipIfUnavailable();
        var store = OpenStore();

        Assert.Null(store.GetMeta("changes_since"));
        store.SetMeta("changes_since", "1");
        store.SetMeta("changes_since", "2-abc");

        Assert.Equal("2-abc", store.GetMeta("changes_since"));
    }

    [SkippableFact]
    public void Store_WhenHistoryIsRewritten_RefusesIt()
    {
        SkipIfUnavailable();
        var store = OpenStore();
        store.Commit("pkg", null, new PackageState(), [Event("1.0.1")], outbox: true, Now);
        string[] common =
        [
            "UPDATE events SET severity = 'info'",
            "DELETE FROM events",
            "INSERT INTO events (id, kind, code, package, version, severity, detail, observed_at) SELECT id, kind, code, package, version, severity, detail, observed_at FROM events",
            "DELETE FROM outbox",
            "UPDATE outbox SET body = '{}'",
        ];

        foreach (var sql in common.Concat(BackendTamperStatements))
        {
            var e = Record.Exception(() => store.ExecuteRaw(sql));
            Assert.True(e is DbException, $"not refused: {sql}");
            Assert.Matches("append-only|never|outbox body|duplicate key|UNIQUE", e!.Message);
        }

        var events = store.ReadEvents(0, 10);
        Assert.Single(events);
        Assert.Equal("error", events[0].Severity);
        Assert.Equal(1, store.PendingDeliveries());
    }

    [SkippableFact]
    public void Delivered_WhenMarked_IsFinal()
    {
        SkipIfUnavailable();
        var store = OpenStore();
        store.Commit("pkg", null, new PackageState(), [Event("1.0.1")], outbox: true, Now);
        var d = Assert.Single(store.ClaimDue(Now, 10));
        store.MarkDelivered(d.Id, Now);

        Assert.IsAssignableFrom<DbException>(Record.Exception(() => store.ExecuteRaw("UPDATE outbox SET delivered_at = NULL")));
        Assert.Equal(0, store.PendingDeliveries());
        Assert.Null(store.NextDeliveryDue());
    }

    [SkippableFact]
    public void MarkFailed_WhenRetryIsScheduled_IsDueThenAndGivingUpEndsIt()
    {
        SkipIfUnavailable();
        var store = OpenStore();
        store.Commit("pkg", null, new PackageState(), [Event("1.0.1")], outbox: true, Now);
        var d = Assert.Single(store.ClaimDue(Now, 10));
        var retry = Now + TimeSpan.FromMinutes(3);

        store.MarkFailed(d.Id, new string('x', Limits.MaxDetailChars + 10), retry, giveUp: false, Now);

        Assert.Equal(retry, store.NextDeliveryDue());
        Assert.Empty(store.ClaimDue(Now + TimeSpan.FromMinutes(2), 10));
        var again = Assert.Single(store.ClaimDue(retry, 10));
        Assert.Equal(1, again.Attempts);
        store.MarkFailed(d.Id, "gone", retry, giveUp: true, retry);
        Assert.Equal(0, store.PendingDeliveries());
        store.MarkDelivered(d.Id, retry); // a late 2xx from a lease another process held: no error, stays given up
        Assert.Equal(0, store.PendingDeliveries());
    }

    [SkippableFact]
    public void ClaimDue_WhenTwoProcessesAsk_HandsEachDeliveryToOne()
    {
        SkipIfUnavailable();
        var a = OpenStore();
        var b = OpenStore();
        a.Commit("pkg", null, new PackageState(), [Event("1.0.1"), Event("1.0.2")], outbox: true, Now);

        var first = a.ClaimDue(Now, 10);
        var second = b.ClaimDue(Now, 10);
        var afterLease = b.ClaimDue(Now + Limits.WebhookLease + TimeSpan.FromSeconds(1), 10);

        Assert.Equal(2, first.Count);
        Assert.Empty(second);
        Assert.Equal(2, afterLease.Count); // the first process died: at least once
        Assert.Equal(first.Select(d => d.Id), afterLease.Select(d => d.Id)); // oldest first, both times
    }

    [SkippableFact]
    public void ReleaseLease_WhenHandedBack_IsDueAtOnce()
    {
        SkipIfUnavailable();
        var a = OpenStore();
        var b = OpenStore();
        a.Commit("pkg", null, new PackageState(), [Event("1.0.1")], outbox: true, Now);
        var d = Assert.Single(a.ClaimDue(Now, 10));

        a.ReleaseLease(d.Id);

        Assert.Single(b.ClaimDue(Now, 10));
    }
}

public sealed class SqliteWatchStoreTests : WatchStoreContractTests
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vouch-watch-store-" + Guid.NewGuid().ToString("N")[..10]);

    private string DbPath => Path.Combine(_dir, "watch.db");

    protected override bool Available => true;

    protected override IEnumerable<string> BackendTamperStatements =>
    [
        "INSERT OR REPLACE INTO events (seq, id, kind, code, package, version, severity, detail, observed_at) VALUES (1, 'x', 'k', 'c', 'p', 'v', 'info', 'd', 't')",
        "INSERT OR REPLACE INTO outbox (id, first_seq, body, next_attempt_at) SELECT id, first_seq, '{}', next_attempt_at FROM outbox",
    ];

    protected override WatchStore OpenBackend() => WatchStore.Open(DbPath);

    public override void Dispose()
    {
        base.Dispose();
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    [Fact]
    public void Open_WhenFileIsAnotherSqliteDatabase_RefusesWithoutChangingIt()
    {
        Directory.CreateDirectory(_dir);
        using (var c = new SqliteConnection($"Data Source={DbPath}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TABLE audit_log (id INTEGER PRIMARY KEY)";
            cmd.ExecuteNonQuery();
        }

        var e = Assert.Throws<WatchStoreException>(() => WatchStore.Open(DbPath));

        Assert.Equal(WatchCodes.StoreInvalid, e.Code);
        Assert.Contains("not a watch store", e.Message);
    }

    [Fact]
    public void Open_WhenFileIsNotSqlite_FailsWithTheStoreCode()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(DbPath, "this is not a database, just text that is long enough to have a header........................................");

        var e = Assert.Throws<WatchStoreException>(() => WatchStore.Open(DbPath));

        Assert.Equal(WatchCodes.StoreInvalid, e.Code);
    }
}

public sealed class PostgresWatchStoreTests : WatchStoreContractTests
{
    private readonly TestPostgres? _db = TestPostgres.Create();

    protected override bool Available => _db is not null;

    protected override IEnumerable<string> BackendTamperStatements =>
    [
        "TRUNCATE events",
        "TRUNCATE outbox",
        "TRUNCATE events, outbox, package_state CASCADE",
        "INSERT INTO events (id, kind, code, package, version, severity, detail, observed_at) SELECT id, kind, code, package, version, 'info', detail, observed_at FROM events ON CONFLICT (id) DO UPDATE SET severity = 'info'",
        "INSERT INTO events (seq, id, kind, code, package, version, severity, detail, observed_at) OVERRIDING SYSTEM VALUE VALUES (1, 'x', 'k', 'c', 'p', 'v', 'info', 'd', now())",
        "INSERT INTO outbox (id, first_seq, body, next_attempt_at) SELECT id, first_seq, '{}', now() FROM outbox ON CONFLICT (id) DO UPDATE SET body = '{}'",
    ];

    protected override WatchStore OpenBackend() => WatchStore.OpenPostgres(_db!.ConnectionString);

    public override void Dispose()
    {
        base.Dispose();
        _db?.Dispose();
    }

    [SkippableFact]
    public void Open_WhenNew_AppliesEachMigrationOnceInItsOwnSchema()
    {
        SkipIfUnavailable();

        var store = (PostgresWatchStore)OpenStore();
        var again = (PostgresWatchStore)OpenStore();

        Assert.Equal([1], store.AppliedMigrations);
        Assert.Equal([1], again.AppliedMigrations);
        Assert.Equal(0L, Scalar("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()"));
        Assert.Equal(5L, Scalar("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'vouch_watch'"));
    }

    [SkippableFact]
    public async Task Open_WhenManyProcessesStartAtOnce_MigratesOnce()
    {
        SkipIfUnavailable();

        var stores = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(OpenStore)));

        Assert.All(stores, s => Assert.Equal([1], ((PostgresWatchStore)s).AppliedMigrations));
        Assert.Equal(1L, Scalar("SELECT count(*) FROM vouch_watch.schema_migrations"));
    }

    /// <summary>The gate's migrations and watch's share one database: each applies its own and sees the other's as foreign.</summary>
    [SkippableFact]
    public async Task Open_WhenSharingTheGatesDatabase_NeitherTouchesTheOther()
    {
        SkipIfUnavailable();
        await using (var gate = await Vouch.Gate.Storage.GateStore.OpenAsync(_db!.ConnectionString, TimeProvider.System))
        {
            Assert.Equal([1, 2, 3, 4], gate.AppliedMigrations);
        }

        var store = OpenStore();
        store.Commit("pkg", null, new PackageState(), [Event("1.0.1")], outbox: true, Now);
        await using var reopened = await Vouch.Gate.Storage.GateStore.OpenAsync(_db.ConnectionString, TimeProvider.System);

        Assert.Equal([1, 2, 3, 4], reopened.AppliedMigrations);
        Assert.Equal(0L, Scalar("SELECT count(*) FROM watch_events")); // the gate's table of received webhooks, untouched
        Assert.Single(store.ReadEvents(0, 10));
    }

    [SkippableFact]
    public void Open_WhenSchemaBelongsToSomethingElse_RefusesWithoutChangingIt()
    {
        SkipIfUnavailable();
        _db!.Execute("CREATE SCHEMA vouch_watch; CREATE TABLE vouch_watch.events (x INTEGER); INSERT INTO vouch_watch.events VALUES (7)");

        var e = Assert.Throws<WatchStoreException>(OpenStore);

        Assert.Equal(WatchCodes.StoreInvalid, e.Code);
        Assert.Contains("not a watch store", e.Message);
        Assert.Equal(7, Convert.ToInt32(Scalar("SELECT x FROM vouch_watch.events"), System.Globalization.CultureInfo.InvariantCulture));
    }

    [SkippableFact]
    public void Open_WhenSchemaIsNewer_Refuses()
    {
        SkipIfUnavailable();
        OpenStore().Dispose();
        _db!.Execute("INSERT INTO vouch_watch.schema_migrations (version, name, applied_at) VALUES (99, '099_future.sql', now())");

        var e = Assert.Throws<WatchStoreException>(OpenStore);

        Assert.Contains("schema 99", e.Message);
    }

    /// <summary>With the schema current, opening runs no DDL: a role with DML rights only runs watch (and still cannot rewrite events).</summary>
    [SkippableFact]
    public void Open_WhenRoleHasDmlRightsOnly_Works()
    {
        SkipIfUnavailable();
        OpenStore().Dispose();
        var role = "watch_dml_" + Guid.NewGuid().ToString("N")[..8];
        _db!.Execute($"CREATE ROLE {role} LOGIN; GRANT CONNECT ON DATABASE {_db.Name} TO {role}; GRANT USAGE ON SCHEMA vouch_watch TO {role}; " +
            $"GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA vouch_watch TO {role}; GRANT DELETE ON vouch_watch.outbox TO {role}");
        try
        {
            using var store = WatchStore.OpenPostgres(new NpgsqlConnectionStringBuilder(_db.ConnectionString) { Username = role }.ConnectionString);
            var result = store.Commit("pkg", null, new PackageState(), [Event("1.0.1")], outbox: true, Now);

            Assert.Equal(CommitStatus.Committed, result.Status);
            Assert.Single(store.ClaimDue(Now, 10));
            Assert.IsAssignableFrom<DbException>(Record.Exception(() => store.ExecuteRaw("DELETE FROM outbox")));
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            _db.Execute($"DROP OWNED BY {role}; DROP ROLE {role}");
        }
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Password=hunter2-secret;Bogus Keyword=1", WatchCodes.StoreInvalid)]
    [InlineData("postgres://watch:hunter2-secret@[not-a-host/db", WatchCodes.StoreInvalid)]
    [InlineData("Host=127.0.0.1;Port=9;Username=watch;Password=hunter2-secret;Timeout=3", WatchCodes.StoreUnavailable)]
    public void Open_WhenConnectionFails_SaysWhyWithoutThePassword(string connectionString, string code)
    {
        var e = Assert.Throws<WatchStoreException>(() => WatchStore.OpenPostgres(connectionString));

        Assert.Equal(code, e.Code);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToNpgsql_WhenGivenAUrl_KeepsEveryPart()
    {
        var b = new NpgsqlConnectionStringBuilder(PostgresConnectionString.ToNpgsql("postgresql://w%40tch:p%3Ass@db.example:6543/gate%5Fdb"));

        Assert.Equal(("db.example", 6543, "gate_db", "w@tch", "p:ss"), (b.Host, b.Port, b.Database, b.Username, b.Password));
    }

    private object? Scalar(string sql)
    {
        using var c = new NpgsqlConnection(_db!.ConnectionString);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        return cmd.ExecuteScalar();
    }
}
