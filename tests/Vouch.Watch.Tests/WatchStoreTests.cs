using Microsoft.Data.Sqlite;
using Vouch.Watch.Storage;

namespace Vouch.Watch.Tests;

public sealed class WatchStoreTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2024, 11, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vouch-watch-store-" + Guid.NewGuid().ToString("N")[..10]);

    private string DbPath => Path.Combine(_dir, "watch.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static WatchEvent Event(string version, string kind = "provenance-lost") => new()
    {
        Id = WatchEvent.MakeId("pkg", version, kind, ""),
        Kind = kind,
        Code = WatchCodes.ProvenanceLost,
        Package = "pkg",
        Version = version,
        Severity = "error",
        Detail = "detail",
        ObservedAt = Now,
    };

    [Fact]
    public void Commit_WhenRevisionMatches_WritesEventsStateAndOneDeliveryPerVersion()
    {
        var store = WatchStore.Open(DbPath);

        var result = store.Commit("pkg", null, new PackageState(), [Event("1.0.1"), Event("1.0.1", "new-bin"), Event("1.0.2")], outbox: true, Now);

        Assert.Equal(CommitStatus.Committed, result.Status);
        Assert.Equal([1L, 2L, 3L], result.Events.Select(e => e.Sequence));
        Assert.Equal(1, store.ReadState("pkg")!.Value.Revision);
        Assert.Equal(2, store.PendingDeliveries());
        Assert.Equal(3, store.ReadEvents(0, 10).Count);
    }

    [Fact]
    public void Commit_WhenAnotherProcessCommittedFirst_WritesNothing()
    {
        var first = WatchStore.Open(DbPath);
        var second = WatchStore.Open(DbPath);
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

    [Fact]
    public void Commit_WhenEventIdIsAlreadyStored_SkipsIt()
    {
        var store = WatchStore.Open(DbPath);
        store.Commit("pkg", null, new PackageState(), [Event("1.0.1")], outbox: false, Now);

        var again = store.Commit("pkg", 1, new PackageState(), [Event("1.0.1"), Event("1.0.2")], outbox: false, Now);

        Assert.Equal(["1.0.2"], again.Events.Select(e => e.Version));
        Assert.Equal(2, store.ReadEvents(0, 10).Count);
    }

    [Theory]
    [InlineData("UPDATE events SET severity = 'info'")]
    [InlineData("DELETE FROM events")]
    [InlineData("INSERT OR REPLACE INTO events (seq, id, kind, code, package, version, severity, detail, observed_at) VALUES (1, 'x', 'k', 'c', 'p', 'v', 'info', 'd', 't')")]
    [InlineData("INSERT INTO events (id, kind, code, package, version, severity, detail, observed_at) SELECT id, kind, code, package, version, severity, detail, observed_at FROM events")]
    [InlineData("DELETE FROM outbox")]
    [InlineData("UPDATE outbox SET body = '{}'")]
    public void Store_WhenHistoryIsRewritten_RefusesIt(string sql)
    {
        var store = WatchStore.Open(DbPath);
        store.Commit("pkg", null, new PackageState(), [Event("1.0.1")], outbox: true, Now);

        var e = Assert.Throws<SqliteException>(() => store.ExecuteRaw(sql));

        Assert.Matches("append-only|never|outbox body", e.Message);
        Assert.Single(store.ReadEvents(0, 10));
        Assert.Equal("error", store.ReadEvents(0, 10)[0].Severity);
    }

    [Fact]
    public void Delivered_WhenMarked_IsFinal()
    {
        var store = WatchStore.Open(DbPath);
        store.Commit("pkg", null, new PackageState(), [Event("1.0.1")], outbox: true, Now);
        var d = Assert.Single(store.ClaimDue(Now, 10));
        store.MarkDelivered(d.Id, Now);

        Assert.Throws<SqliteException>(() => store.ExecuteRaw("UPDATE outbox SET delivered_at = NULL"));
        Assert.Equal(0, store.PendingDeliveries());
    }

    [Fact]
    public void ClaimDue_WhenTwoProcessesAsk_HandsEachDeliveryToOne()
    {
        var a = WatchStore.Open(DbPath);
        var b = WatchStore.Open(DbPath);
        a.Commit("pkg", null, new PackageState(), [Event("1.0.1"), Event("1.0.2")], outbox: true, Now);

        var first = a.ClaimDue(Now, 10);
        var second = b.ClaimDue(Now, 10);
        var afterLease = b.ClaimDue(Now + Limits.WebhookLease + TimeSpan.FromSeconds(1), 10);

        Assert.Equal(2, first.Count);
        Assert.Empty(second);
        Assert.Equal(2, afterLease.Count); // the first process died: at least once
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
