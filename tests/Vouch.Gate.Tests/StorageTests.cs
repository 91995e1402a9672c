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
}

/// <summary>The same storage contract, run against SQLite and against PostgreSQL.</summary>
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

    private bool Skipped => _store is null;

    [Fact]
    public async Task Open_WhenNew_AppliesEveryMigrationOnceAndReopensCleanly()
    {
        if (Skipped)
        {
            return;
        }

        Assert.Equal([1], Store.AppliedMigrations);
        await using var again = await GateStore.OpenAsync((await DatabaseAsync())!, TimeProvider.System);
        Assert.Equal([1], again.AppliedMigrations);
    }

    [Fact]
    public async Task Request_WhenSameSubjectPending_ReturnsTheExistingRequest()
    {
        if (Skipped)
        {
            return;
        }

        var name = Unique();
        var a = await Store.RequestAsync(name, "1.0.0", "rule", "rita", "why");
        var b = await Store.RequestAsync(name, "1.0.0", "rule", "rita", "again");

        Assert.Equal(a.Id, b.Id);
    }

    [Fact]
    public async Task Decide_WhenTwoApproversRace_OnlyOneWins()
    {
        if (Skipped)
        {
            return;
        }

        var a = await Store.RequestAsync(Unique(), "1.0.0", "rule", "rita", null);
        var results = await Task.WhenAll(
            Store.DecideAsync(a.Id, true, "alice", null, null),
            Store.DecideAsync(a.Id, false, "bob", null, null));

        Assert.Single(results, r => r.Outcome == DecideOutcome.Decided);
        Assert.Single(results, r => r.Outcome == DecideOutcome.NotPending);
    }

    [Fact]
    public async Task ActiveGrants_WhenExpired_LeavesThemOut()
    {
        if (Skipped)
        {
            return;
        }

        var name = Unique();
        var live = await Store.RequestAsync(name, "1.0.0", "rule", "rita", null);
        var old = await Store.RequestAsync(name, "2.0.0", "rule", "rita", null);
        await Store.DecideAsync(live.Id, true, "alice", null, DateTimeOffset.UtcNow.AddDays(1));
        await Store.DecideAsync(old.Id, true, "alice", null, DateTimeOffset.UtcNow.AddDays(-1));

        var grants = (await Store.ActiveGrantsAsync(DateTimeOffset.UtcNow)).Where(g => g.Name == name).ToList();
        Assert.Equal("1.0.0", Assert.Single(grants).Version);
    }

    [Fact]
    public async Task AuditLog_WhenUpdatedOrDeleted_RefusesAppendOnly()
    {
        if (Skipped)
        {
            return;
        }

        await Store.AppendAuditAsync("gate", "refused", Unique(), "1.0.0", "rule", "why");
        var update = await Record.ExceptionAsync(() => Store.ExecuteRawAsync("UPDATE audit_log SET actor = 'mallory'"));
        var delete = await Record.ExceptionAsync(() => Store.ExecuteRawAsync("DELETE FROM audit_log"));

        Assert.Contains("append-only", update?.Message ?? "", StringComparison.Ordinal);
        Assert.Contains("append-only", delete?.Message ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evidence_WhenStoredTwice_FirstWriterWins()
    {
        if (Skipped)
        {
            return;
        }

        var name = Unique();
        await Store.PutEvidenceAsync(name, "1.0.0", "sha512-x", "{\"first\":true}");
        await Store.PutEvidenceAsync(name, "1.0.0", "sha512-x", "{\"first\":false}");

        Assert.Equal("{\"first\":true}", (await Store.GetEvidenceAsync(name, "1.0.0", "sha512-x"))!.ReportJson);
        Assert.Null(await Store.GetEvidenceAsync(name, "1.0.0", "sha512-y"));
    }

    private static string Unique() => "pkg-" + Guid.NewGuid().ToString("n")[..12];
}

public sealed class SqliteStorageTests : StorageContractTests
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "vouch-gate-" + Guid.NewGuid().ToString("n"), "gate.db");

    protected override Task<string?> DatabaseAsync() => Task.FromResult<string?>(_path);
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

        var cs = TestPostgres.ConnectionString()
            ?? throw new InvalidOperationException($"PostgreSQL is not configured: run scripts/postgres start (it writes {TestPostgres.ConnectionFile}) or set VOUCH_TEST_POSTGRES; set VOUCH_SKIP_POSTGRES=1 to skip these tests");
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
