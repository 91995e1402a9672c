using Vouch.Gate.Storage;

namespace Vouch.Gate.Tests;

/// <summary>Where the storage tests find PostgreSQL: $VOUCH_TEST_POSTGRES, or the file scripts/postgres writes.</summary>
internal static class TestPostgres
{
    public const string ConnectionFile = "/tmp/vouch-postgres/connection";

    public static string? ConnectionString()
    {
        var env = Environment.GetEnvironmentVariable("VOUCH_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(env))
        {
            return env.Trim();
        }

        return File.Exists(ConnectionFile) ? File.ReadAllText(ConnectionFile).Trim() : null;
    }

    public static bool Skip => Environment.GetEnvironmentVariable("VOUCH_SKIP_POSTGRES") == "1";

    /// <summary>A fresh database on the test cluster, so migrations are exercised from scratch.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var cs = ConnectionString()
            ?? throw new InvalidOperationException($"PostgreSQL is not configured: run scripts/postgres start (it writes {ConnectionFile}) or set VOUCH_TEST_POSTGRES; set VOUCH_SKIP_POSTGRES=1 to skip these tests");
        var name = "vouch_test_" + Guid.NewGuid().ToString("n")[..12];
        await using (var admin = new Npgsql.NpgsqlConnection(GateStore.ToNpgsqlConnectionString(cs)))
        {
            await admin.OpenAsync();
            await using var cmd = admin.CreateCommand();
            cmd.CommandText = $"CREATE DATABASE {name}";
            await cmd.ExecuteNonQueryAsync();
        }

        return new Npgsql.NpgsqlConnectionStringBuilder(GateStore.ToNpgsqlConnectionString(cs)) { Database = name }.ToString();
    }
}

/// <summary>
/// The same storage contract, run against SQLite and against PostgreSQL. PostgreSQL tests that
/// cannot run (VOUCH_SKIP_POSTGRES=1) report Skipped, never Passed.
/// </summary>
public abstract class StorageContractTests : IAsyncLifetime
{
    private GateStore? _store;

    protected GateStore Store => _store!;

    protected abstract Task<string?> DatabaseAsync();

    public async Task InitializeAsync()
    {
        var db = await DatabaseAsync();
        if (db is not null)
        {
            _store = await GateStore.OpenAsync(db, TimeProvider.System);
        }
    }

    public async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }

    private void SkipIfUnavailable() => Skip.If(_store is null, "PostgreSQL is skipped (VOUCH_SKIP_POSTGRES=1)");

    [SkippableFact]
    public async Task Open_WhenNew_AppliesEveryMigrationOnceAndReopensCleanly()
    {
        SkipIfUnavailable();

        Assert.Equal([1, 2, 3, 4], Store.AppliedMigrations);
        await using var again = await GateStore.OpenAsync((await DatabaseAsync())!, TimeProvider.System);
        Assert.Equal([1, 2, 3, 4], again.AppliedMigrations);
    }

    [SkippableFact]
    public async Task Request_WhenSameSubjectPending_ReturnsTheExistingRequest()
    {
        SkipIfUnavailable();

        var name = Unique();
        var a = await Store.RequestAsync(name, "1.0.0", "rule", "rita", "why");
        var b = await Store.RequestAsync(name, "1.0.0", "rule", "rita", "again");

        Assert.Equal(a.Id, b.Id);
    }

    [SkippableFact]
    public async Task Request_When20ConcurrentIdenticalRequests_OnePendingRowAndOneAuditRow()
    {
        SkipIfUnavailable();

        var name = Unique();
        await using var second = await GateStore.OpenAsync((await DatabaseAsync())!, TimeProvider.System);
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(() => (i % 2 == 0 ? Store : second).RequestAsync(name, "1.0.0", "rule", "rita", $"try {i}"))));

        Assert.Single(results.Select(r => r.Id).Distinct());
        Assert.Single(await Store.ListApprovalsAsync("pending"), a => a.Name == name);
        Assert.Single(await Store.AuditLogAsync(10000), e => e.Name == name && e.Action == "requested");
    }

    [SkippableFact]
    public async Task Request_WhenDecidedBefore_OpensANewPendingRequest()
    {
        SkipIfUnavailable();

        var name = Unique();
        var first = await Store.RequestAsync(name, "1.0.0", "rule", "rita", null);
        await Store.DecideAsync(first.Id, false, "alice", "no", null);
        var again = await Store.RequestAsync(name, "1.0.0", "rule", "rita", "please");

        Assert.NotEqual(first.Id, again.Id);
        Assert.Equal("pending", again.Status);
    }

    [SkippableFact]
    public async Task Decide_WhenTwoApproversRace_OnlyOneWins()
    {
        SkipIfUnavailable();

        var a = await Store.RequestAsync(Unique(), "1.0.0", "rule", "rita", null);
        var results = await Task.WhenAll(
            Store.DecideAsync(a.Id, true, "alice", null, null),
            Store.DecideAsync(a.Id, false, "bob", null, null));

        Assert.Single(results, r => r.Outcome == DecideOutcome.Decided);
        Assert.Single(results, r => r.Outcome == DecideOutcome.NotPending);
    }

    [SkippableFact]
    public async Task Decide_WhenRequesterGrantsOwnRequest_IsRefusedUnlessAllowed()
    {
        SkipIfUnavailable();

        var a = await Store.RequestAsync(Unique(), "1.0.0", "rule", "alice", null);
        var self = await Store.DecideAsync(a.Id, true, "alice", null, null);
        var other = await Store.RequestAsync(Unique(), "1.0.0", "rule", "alice", null);
        var allowed = await Store.DecideAsync(other.Id, true, "alice", null, null, allowSelfGrant: true);
        var withdrawn = await Store.RequestAsync(Unique(), "1.0.0", "rule", "alice", null);
        var selfDeny = await Store.DecideAsync(withdrawn.Id, false, "alice", "withdrawn", null);

        Assert.Equal(DecideOutcome.SameIdentity, self.Outcome);
        Assert.Equal("pending", self.Approval!.Status);
        Assert.Equal(DecideOutcome.Decided, allowed.Outcome);
        Assert.Equal(DecideOutcome.Decided, selfDeny.Outcome);
    }

    [SkippableFact]
    public async Task ActiveGrants_WhenExpired_LeavesThemOut()
    {
        SkipIfUnavailable();

        var name = Unique();
        var live = await Store.RequestAsync(name, "1.0.0", "rule", "rita", null);
        var old = await Store.RequestAsync(name, "2.0.0", "rule", "rita", null);
        await Store.DecideAsync(live.Id, true, "alice", null, DateTimeOffset.UtcNow.AddDays(1));
        await Store.DecideAsync(old.Id, true, "alice", null, DateTimeOffset.UtcNow.AddDays(-1));

        var grants = (await Store.ActiveGrantsAsync(DateTimeOffset.UtcNow)).Where(g => g.Name == name).ToList();
        Assert.Equal("1.0.0", Assert.Single(grants).Version);
    }

    [SkippableFact]
    public async Task AuditLog_WhenUpdatedOrDeleted_RefusesAppendOnly()
    {
        SkipIfUnavailable();

        await Store.AppendAuditAsync("gate", "refused", Unique(), "1.0.0", "rule", "why");
        var update = await Record.ExceptionAsync(() => Store.ExecuteRawAsync("UPDATE audit_log SET actor = 'mallory'"));
        var delete = await Record.ExceptionAsync(() => Store.ExecuteRawAsync("DELETE FROM audit_log"));

        Assert.Contains("append-only", update?.Message ?? "", StringComparison.Ordinal);
        Assert.Contains("append-only", delete?.Message ?? "", StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task AuditLog_WhenAnExistingIdIsReplacedOrUpserted_RefusesAndKeepsTheRow()
    {
        SkipIfUnavailable();

        var name = Unique();
        await Store.AppendAuditAsync("gate", "refused", name, "1.0.0", "rule", "original");
        var id = (await Store.AuditLogAsync(10000)).Single(e => e.Name == name).Id;
        var attempts = Store.Provider == GateDatabaseProvider.Sqlite
            ? new[]
            {
                $"INSERT OR REPLACE INTO audit_log (id, at, actor, action, name) VALUES ({id}, '2000-01-01T00:00:00.000Z', 'mallory', 'granted', '{name}')",
                $"REPLACE INTO audit_log (id, at, actor, action, name) VALUES ({id}, '2000-01-01T00:00:00.000Z', 'mallory', 'granted', '{name}')",
                $"INSERT INTO audit_log (id, at, actor, action, name) VALUES ({id}, '2000-01-01T00:00:00.000Z', 'mallory', 'granted', '{name}') ON CONFLICT (id) DO UPDATE SET actor = 'mallory'",
            }
            : new[]
            {
                $"INSERT INTO audit_log (id, at, actor, action, name) OVERRIDING SYSTEM VALUE VALUES ({id}, '2000-01-01T00:00:00.000Z', 'mallory', 'granted', '{name}') ON CONFLICT (id) DO UPDATE SET actor = 'mallory'",
                "TRUNCATE audit_log",
                "TRUNCATE audit_log CASCADE",
            };

        foreach (var sql in attempts)
        {
            var e = await Record.ExceptionAsync(() => Store.ExecuteRawAsync(sql));
            Assert.True(e is not null, $"accepted: {sql}");
        }

        var row = (await Store.AuditLogAsync(10000)).Single(e => e.Id == id);
        Assert.Equal(("gate", "original"), (row.Actor, row.Reason));
    }

    [SkippableFact]
    public async Task Approvals_WhenChangedByHandWrittenSql_RefusedOrAudited()
    {
        SkipIfUnavailable();

        var name = Unique();
        var granted = await Store.RequestAsync(name, "1.0.0", "rule", "rita", null);
        await Store.DecideAsync(granted.Id, true, "alice", "ok", null);
        var pending = await Store.RequestAsync(name, "2.0.0", "rule", "rita", null);
        var refused = new[]
        {
            $"DELETE FROM approvals WHERE id = {granted.Id}",
            $"UPDATE approvals SET status = 'pending', decided_by = NULL, decided_at = NULL WHERE id = {granted.Id}",
            $"UPDATE approvals SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = {granted.Id}",
            $"UPDATE approvals SET version = '9.9.9' WHERE id = {pending.Id}",
            $"INSERT INTO approvals (name, version, rule, status, requested_by, requested_at, decided_by, decided_at) VALUES ('{name}', '3.0.0', 'rule', 'granted', 'mallory', '2000-01-01T00:00:00.000Z', 'mallory', '2000-01-01T00:00:00.000Z')",
            Store.Provider == GateDatabaseProvider.Sqlite
                ? $"INSERT OR REPLACE INTO approvals (name, version, rule, status, requested_by, requested_at) VALUES ('{name}', '2.0.0', 'rule', 'pending', 'mallory', '2000-01-01T00:00:00.000Z')"
                : "TRUNCATE approvals CASCADE",
        };
        foreach (var sql in refused)
        {
            var e = await Record.ExceptionAsync(() => Store.ExecuteRawAsync(sql));
            Assert.True(e is not null, $"accepted: {sql}");
        }

        // A decision made by hand is allowed (it is what the API does) but cannot avoid its audit row.
        await Store.ExecuteRawAsync($"UPDATE approvals SET status = 'granted', decided_by = 'mallory', decided_at = '2030-01-01T00:00:00.000Z' WHERE id = {pending.Id}");

        var approvals = (await Store.ListApprovalsAsync()).Where(a => a.Name == name).ToList();
        Assert.Equal([("1.0.0", "granted", "alice"), ("2.0.0", "granted", "mallory")], approvals.Select(a => (a.Version, a.Status, a.DecidedBy!)).ToArray());
        var audit = (await Store.AuditLogAsync(10000)).Where(e => e.Name == name).Select(e => (e.Action, e.Actor, e.Version)).ToArray();
        Assert.Equal([("requested", "rita", "1.0.0"), ("granted", "alice", "1.0.0"), ("requested", "rita", "2.0.0"), ("granted", "mallory", "2.0.0")], audit);
    }

    [SkippableFact]
    public async Task Evidence_WhenCompleteStoredTwice_FirstWriterWinsAndIncompleteNeverOverwritesIt()
    {
        SkipIfUnavailable();

        var name = Unique();
        await Store.PutCompleteEvidenceAsync(name, "1.0.0", "sha512-x", "trust-a", "{\"first\":true}");
        await Store.PutCompleteEvidenceAsync(name, "1.0.0", "sha512-x", "trust-a", "{\"first\":false}");
        await Store.PutIncompleteEvidenceAsync(name, "1.0.0", "sha512-x", "trust-a", 1, DateTimeOffset.UtcNow.AddMinutes(1), "404");

        var stored = (await Store.GetEvidenceAsync(name, "1.0.0", "sha512-x", "trust-a"))!;
        Assert.True(stored.Complete);
        Assert.Equal("{\"first\":true}", stored.ReportJson);
        Assert.Null(await Store.GetEvidenceAsync(name, "1.0.0", "sha512-y", "trust-a"));
        Assert.Null(await Store.GetEvidenceAsync(name, "1.0.0", "sha512-x", "trust-b"));
    }

    [SkippableFact]
    public async Task Evidence_WhenIncompleteThenComplete_IsCompletedAndReverifyForgetsIt()
    {
        SkipIfUnavailable();

        var name = Unique();
        await Store.PutIncompleteEvidenceAsync(name, "1.0.0", "sha512-x", "trust-a", 1, DateTimeOffset.UtcNow.AddMinutes(1), "404");
        await Store.PutIncompleteEvidenceAsync(name, "1.0.0", "sha512-x", "trust-a", 2, DateTimeOffset.UtcNow.AddMinutes(2), "404 again");
        var incomplete = (await Store.GetEvidenceAsync(name, "1.0.0", "sha512-x", "trust-a"))!;
        await Store.PutCompleteEvidenceAsync(name, "1.0.0", "sha512-x", "trust-a", "{}");
        var complete = (await Store.GetEvidenceAsync(name, "1.0.0", "sha512-x", "trust-a"))!;
        var removed = await Store.ForgetEvidenceAsync(name, "1.0.0", "root", "new trusted root");

        Assert.False(incomplete.Complete);
        Assert.Equal((2, "404 again"), (incomplete.Attempts, incomplete.Error));
        Assert.True(complete.Complete);
        Assert.Equal(1, removed);
        Assert.Null(await Store.GetEvidenceAsync(name, "1.0.0", "sha512-x", "trust-a"));
        Assert.Single(await Store.AuditLogAsync(10000), e => e.Name == name && e.Action == "reverify" && e.Actor == "root");
    }

    // Issue 16: watch events, their dedupe and the quarantine they put on a version.
    private static (string Id, string Name, string Version, string? PreviousVersion, string Kind, string Code, string Severity, string? Rule, string Detail, DateTimeOffset ObservedAt, bool Quarantine) WatchEvent(string name, string version, string kind, bool quarantine = true) =>
        ("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{name}/{version}/{kind}"))), name, version, "1.0.0", kind, "VOUCH_WATCH_X", quarantine ? "error" : "info", null, $"{kind} seen", DateTimeOffset.UtcNow, quarantine);

    [SkippableFact]
    public async Task RecordWatchEvents_WhenDeliveredTwice_StoresEachEventOnceAndOnePendingApproval()
    {
        SkipIfUnavailable();

        var name = Unique();
        var events = new[] { WatchEvent(name, "1.0.1", "provenance-lost"), WatchEvent(name, "1.0.1", "new-dependency", quarantine: false) };
        await using var second = await GateStore.OpenAsync((await DatabaseAsync())!, TimeProvider.System);
        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => Task.Run(() => (i % 2 == 0 ? Store : second).RecordWatchEventsAsync("sha256:d", events))));

        Assert.Equal(2, results.Sum(r => r.Stored));
        Assert.Equal(10, results.Sum(r => r.Duplicates));
        Assert.Equal(2, (await Store.WatchEventsForAsync(name, 100)).Count);
        var pending = Assert.Single(await Store.ListApprovalsAsync("pending"), a => a.Name == name);
        Assert.Equal((GateStore.WatchQuarantineRule, GateStore.WatchActor, "1.0.1"), (pending.Rule, pending.RequestedBy, pending.Version));
        var q = Assert.Single(await Store.ActiveQuarantinesAsync(DateTimeOffset.UtcNow), x => x.Name == name);
        Assert.Equal("provenance-lost", q.Kinds);
    }

    [SkippableFact]
    public async Task ActiveQuarantines_WhenGrantedThenANewEventArrives_LiftsThenQuarantinesAgain()
    {
        SkipIfUnavailable();

        var name = Unique();
        await Store.RecordWatchEventsAsync("sha256:a", [WatchEvent(name, "2.0.0", "provenance-lost")]);
        var pending = Assert.Single(await Store.ListApprovalsAsync("pending"), a => a.Name == name);
        Assert.Contains(await Store.ActiveQuarantinesAsync(DateTimeOffset.UtcNow), x => x.Name == name);

        // A grant of another rule, or a denial, lifts nothing.
        var other = await Store.RequestAsync(name, "2.0.0", "trust-downgrade", "rita", null);
        await Store.DecideAsync(other.Id, true, "alice", "other rule", null);
        Assert.Contains(await Store.ActiveQuarantinesAsync(DateTimeOffset.UtcNow), x => x.Name == name);

        await Task.Delay(5);
        await Store.DecideAsync(pending.Id, true, "alice", "checked", null);
        Assert.DoesNotContain(await Store.ActiveQuarantinesAsync(DateTimeOffset.UtcNow), x => x.Name == name);

        await Task.Delay(5);
        var again = await Store.RecordWatchEventsAsync("sha256:b", [WatchEvent(name, "2.0.0", "install-script-added")]);
        Assert.Equal([$"{name}@2.0.0"], again.Quarantined);
        var back = Assert.Single(await Store.ActiveQuarantinesAsync(DateTimeOffset.UtcNow), x => x.Name == name);
        Assert.Equal("install-script-added", back.Kinds);
        Assert.Single(await Store.ListApprovalsAsync("pending"), a => a.Name == name);
    }

    [SkippableFact]
    public async Task ActiveQuarantines_WhenTheGrantExpired_QuarantinesAgain()
    {
        SkipIfUnavailable();

        var name = Unique();
        await Store.RecordWatchEventsAsync("sha256:a", [WatchEvent(name, "3.0.0", "provenance-lost")]);
        var pending = Assert.Single(await Store.ListApprovalsAsync("pending"), a => a.Name == name);
        await Task.Delay(5);
        await Store.DecideAsync(pending.Id, true, "alice", "for a day", DateTimeOffset.UtcNow.AddDays(1));

        Assert.DoesNotContain(await Store.ActiveQuarantinesAsync(DateTimeOffset.UtcNow), x => x.Name == name);
        Assert.Contains(await Store.ActiveQuarantinesAsync(DateTimeOffset.UtcNow.AddDays(2)), x => x.Name == name);
    }

    [SkippableFact]
    public async Task WatchEvents_WhenUpdatedDeletedOrReplaced_AreRefused()
    {
        SkipIfUnavailable();

        var name = Unique();
        await Store.RecordWatchEventsAsync("sha256:a", [WatchEvent(name, "1.0.0", "provenance-lost")]);
        foreach (var sql in new[]
        {
            $"UPDATE watch_events SET quarantine = 0 WHERE name = '{name}'",
            $"DELETE FROM watch_events WHERE name = '{name}'",
        })
        {
            var e = await Record.ExceptionAsync(() => Store.ExecuteRawAsync(sql));
            Assert.NotNull(e);
            Assert.Contains("append-only", e.Message, StringComparison.Ordinal);
        }

        Assert.Single(await Store.WatchEventsForAsync(name, 10), x => x.Quarantine);
    }

    [SkippableFact]
    public async Task Reviews_WhenAddedTwiceAndChangedByHand_OneRowOneAuditEntryAndNoChange()
    {
        SkipIfUnavailable();

        var name = "@scope/" + Unique();
        var (first, added) = await Store.AddReviewAsync(name, "1.0.0", new string('a', 128), "carol", ["safe-to-run", "crypto"], "0.9.0", "{\"b\":1}", "alice");
        var (second, addedAgain) = await Store.AddReviewAsync(name, "1.0.0", new string('a', 128), "carol", ["safe-to-run"], null, "{\"b\":1}", "bob");
        Assert.True(added);
        Assert.False(addedAgain);
        Assert.Equal(first.Id, second.Id);
        Assert.Equal(["safe-to-run", "crypto"], first.Criteria);
        Assert.Equal("0.9.0", first.DeltaFrom);
        Assert.Equal(first.Id, Assert.Single(await Store.ListReviewsAsync(name, "1.0.0")).Id);
        Assert.Single(await Store.ListReviewsAsync(name, null));
        Assert.Empty(await Store.ListReviewsAsync(name, "1.0.1"));
        Assert.Equal("{\"b\":1}", (await Store.GetReviewAsync(first.Id))!.Bundle);
        Assert.Null(await Store.GetReviewAsync(first.Id + 1000));
        var audit = Assert.Single(await Store.AuditLogAsync(10000), e => e.Name == name);
        Assert.Equal(("alice", "review-added", "reviews"), (audit.Actor, audit.Action, audit.Rule));

        foreach (var sql in new[] { $"UPDATE reviews SET reviewer = 'mallory' WHERE id = {first.Id}", $"DELETE FROM reviews WHERE id = {first.Id}", Store.Provider == GateDatabaseProvider.Sqlite ? "DELETE FROM reviews" : "TRUNCATE reviews" })
        {
            Assert.True(await Record.ExceptionAsync(() => Store.ExecuteRawAsync(sql)) is not null, $"accepted: {sql}");
        }

        Assert.Equal("carol", (await Store.GetReviewAsync(first.Id))!.Reviewer);
    }

    private static string Unique() => "pkg-" + Guid.NewGuid().ToString("n")[..12];
}

public sealed class SqliteStorageTests : StorageContractTests
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "vouch-gate-" + Guid.NewGuid().ToString("n"), "gate.db");

    protected override Task<string?> DatabaseAsync() => Task.FromResult<string?>(_path);

    [Fact]
    public async Task AuditLog_WhenReplacedFromAConnectionWithoutRecursiveTriggers_Refuses()
    {
        await Store.AppendAuditAsync("gate", "refused", "pkg", "1.0.0", "rule", "original");
        var id = (await Store.AuditLogAsync()).Last().Id;

        // Not the gate's connection: recursive_triggers is off, so REPLACE's delete fires no DELETE trigger.
        await using var raw = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_path}");
        await raw.OpenAsync();
        await using var cmd = raw.CreateCommand();
        cmd.CommandText = $"INSERT OR REPLACE INTO audit_log (id, at, actor, action) VALUES ({id}, '2000-01-01T00:00:00.000Z', 'mallory', 'granted')";
        var e = await Record.ExceptionAsync(() => cmd.ExecuteNonQueryAsync());

        Assert.Contains("append-only", e?.Message ?? "", StringComparison.Ordinal);
        Assert.Equal("gate", (await Store.AuditLogAsync()).Single(x => x.Id == id).Actor);
    }
}

public sealed class PostgresStorageTests : StorageContractTests
{
    private static readonly Lazy<Task<string?>> Database = new(CreateDatabaseAsync);

    protected override Task<string?> DatabaseAsync() => Database.Value;

    // One fresh database per test run, so migrations are exercised from scratch.
    private static async Task<string?> CreateDatabaseAsync()
    {
        if (TestPostgres.Skip)
        {
            return null;
        }

        return await TestPostgres.CreateDatabaseAsync();
    }

    [SkippableFact]
    public async Task Role_WhenGateRunsWithTheDocumentedGrantsOnly_CannotDropDisableOrBypassTriggers()
    {
        Skip.If(TestPostgres.Skip, "PostgreSQL is skipped (VOUCH_SKIP_POSTGRES=1)");

        // docs/gate.md: migrate as the owner, serve as a role with DML rights only.
        var owner = new Npgsql.NpgsqlConnectionStringBuilder((await DatabaseAsync())!);
        var role = "vouch_gate_" + Guid.NewGuid().ToString("n")[..8];
        await Store.ExecuteRawAsync(
            $"CREATE ROLE {role} LOGIN PASSWORD 'gate-password-0123456789'; " +
            $"GRANT SELECT, INSERT, UPDATE, DELETE ON schema_migrations, approvals, audit_log, evidence TO {role}; " +
            $"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role};");
        var restricted = new Npgsql.NpgsqlConnectionStringBuilder(owner.ToString()) { Username = role, Password = "gate-password-0123456789" }.ToString();
        await using var gate = await GateStore.OpenAsync(restricted, TimeProvider.System);

        var name = "pkg-" + Guid.NewGuid().ToString("n")[..12];
        var a = await gate.RequestAsync(name, "1.0.0", "rule", "rita", null);
        Assert.Equal(DecideOutcome.Decided, (await gate.DecideAsync(a.Id, true, "alice", null, null)).Outcome);
        foreach (var sql in new[]
        {
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
            "DROP TRIGGER audit_log_no_update ON audit_log",
            "SET session_replication_role = replica",
            "TRUNCATE audit_log",
            "DELETE FROM audit_log",
            $"CREATE TRIGGER sneaky BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
            "DROP TABLE audit_log",
        })
        {
            var e = await Record.ExceptionAsync(() => gate.ExecuteRawAsync(sql));
            Assert.True(e is not null, $"accepted as {role}: {sql}");
        }

        Assert.Equal(2, (await gate.AuditLogAsync(10000)).Count(e => e.Name == name));
    }
}
