using System.Data.Common;
using System.Globalization;
using System.Reflection;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Vouch.Gate.Storage;

public sealed record ApprovalRecord(
    long Id,
    string Name,
    string Version,
    string Rule,
    string Status,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    string? RequestReason,
    string? DecidedBy,
    DateTimeOffset? DecidedAt,
    string? DecisionReason,
    DateTimeOffset? ExpiresAt);

public sealed record AuditEntry(
    long Id,
    DateTimeOffset At,
    string Actor,
    string Action,
    long? ApprovalId,
    string? Name,
    string? Version,
    string? Rule,
    string? Reason,
    DateTimeOffset? ExpiresAt);

public sealed record StoredEvidence(string Name, string Version, string Integrity, string ReportJson, DateTimeOffset VerifiedAt);

/// <summary>How deciding on an approval ended.</summary>
public enum DecideOutcome
{
    Decided,
    NotFound,

    /// <summary>The approval is no longer pending (another approver, or another gate instance, decided first).</summary>
    NotPending,
}

/// <summary>
/// The gate's durable state in SQLite or PostgreSQL: approvals, the append-only audit log and
/// verified evidence. Both providers run the same DML (named parameters, RETURNING, ON CONFLICT);
/// only the DDL differs, in versioned migration files applied in one transaction at start-up. Every
/// change that must survive a crash is one transaction (SQLite in WAL mode with full sync).
/// </summary>
public sealed class GateStore : IAsyncDisposable
{
    private readonly Func<DbConnection> _connect;
    private readonly TimeProvider _time;
    private readonly NpgsqlDataSource? _postgres;

    private GateStore(GateDatabaseProvider provider, Func<DbConnection> connect, TimeProvider time, NpgsqlDataSource? postgres)
    {
        Provider = provider;
        _connect = connect;
        _time = time;
        _postgres = postgres;
    }

    public GateDatabaseProvider Provider { get; }

    /// <summary>Schema versions applied, in order.</summary>
    public IReadOnlyList<int> AppliedMigrations { get; private set; } = [];

    public static async Task<GateStore> OpenAsync(string database, TimeProvider time, CancellationToken ct = default)
    {
        GateStore store;
        if (GateOptions.IsPostgres(database))
        {
            var source = NpgsqlDataSource.Create(ToNpgsqlConnectionString(database));
            store = new GateStore(GateDatabaseProvider.Postgres, () => source.CreateConnection(), time, source);
        }
        else
        {
            var full = Path.GetFullPath(database);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            var cs = new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();
            store = new GateStore(GateDatabaseProvider.Sqlite, () => new SqliteConnection(cs), time, null);
        }

        await store.MigrateAsync(ct).ConfigureAwait(false);
        return store;
    }

    /// <summary>Accepts <c>postgres://user:pass@host:port/db</c> as well as Npgsql's key=value form.</summary>
    public static string ToNpgsqlConnectionString(string database)
    {
        if (!database.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) && !database.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return database;
        }

        var uri = new Uri(database);
        var b = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port, Database = uri.AbsolutePath.Trim('/') };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                b.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        return b.ToString();
    }

    private async Task<DbConnection> OpenConnectionAsync(CancellationToken ct)
    {
        var c = _connect();
        await c.OpenAsync(ct).ConfigureAwait(false);
        if (Provider == GateDatabaseProvider.Sqlite)
        {
            // Per connection: wait for writers instead of failing, and enforce declared constraints.
            await ExecAsync(c, null, "PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;", ct).ConfigureAwait(false);
        }

        return c;
    }

    private async Task MigrateAsync(CancellationToken ct)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        if (Provider == GateDatabaseProvider.Sqlite)
        {
            // WAL survives the process being killed mid-write and lets readers run beside the writer.
            await ExecAsync(c, null, "PRAGMA journal_mode = WAL;", ct).ConfigureAwait(false);
        }

        var folder = Provider == GateDatabaseProvider.Sqlite ? "Sqlite" : "Postgres";
        var assembly = typeof(GateStore).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith($"migrations/{folder}/", StringComparison.Ordinal) || n.StartsWith($"migrations/{folder}\\", StringComparison.Ordinal))
            .Select(n => (Name: n, Version: int.Parse(Path.GetFileName(n.Replace('\\', '/')).Split('_')[0], CultureInfo.InvariantCulture)))
            .OrderBy(m => m.Version)
            .ToList();

        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        if (Provider == GateDatabaseProvider.Postgres)
        {
            // Several gate instances may start at once against one database: one migrates, the others wait.
            await ExecAsync(c, tx, "SELECT pg_advisory_xact_lock(7267001)", ct).ConfigureAwait(false);
        }

        await ExecAsync(c, tx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)", ct).ConfigureAwait(false);
        var applied = new List<int>();
        await using (var cmd = Command(c, tx, "SELECT version FROM schema_migrations ORDER BY version"))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                applied.Add(Convert.ToInt32(r.GetValue(0), CultureInfo.InvariantCulture));
            }
        }

        foreach (var m in migrations.Where(m => !applied.Contains(m.Version)))
        {
            string sql;
            await using (var s = assembly.GetManifestResourceStream(m.Name)!)
            using (var reader = new StreamReader(s))
            {
                sql = await reader.ReadToEndAsync(ct).ConfigureAwait(false);
            }

            await ExecAsync(c, tx, sql, ct).ConfigureAwait(false);
            await using var insert = Command(c, tx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t)", ("v", m.Version), ("n", Path.GetFileName(m.Name.Replace('\\', '/'))), ("t", Now()));
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            applied.Add(m.Version);
        }

        await tx.CommitAsync(ct).ConfigureAwait(false);
        AppliedMigrations = applied.Order().ToList();
    }

    public async Task<ApprovalRecord> RequestAsync(string name, string version, string rule, string actor, string? reason, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        var existing = await QueryApprovalsAsync(c, tx, "WHERE name = @n AND version = @v AND rule = @r AND status = 'pending'", ct, ("n", name), ("v", version), ("r", rule)).ConfigureAwait(false);
        if (existing.Count > 0)
        {
            await tx.CommitAsync(ct).ConfigureAwait(false);
            return existing[0];
        }

        var now = Now();
        long id;
        await using (var cmd = Command(c, tx, "INSERT INTO approvals (name, version, rule, status, requested_by, requested_at, request_reason) VALUES (@n, @v, @r, 'pending', @a, @t, @why) RETURNING id", ("n", name), ("v", version), ("r", rule), ("a", actor), ("t", now), ("why", reason)))
        {
            id = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }

        await AppendAuditAsync(c, tx, actor, "requested", id, name, version, rule, reason, null, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return (await QueryApprovalsAsync(c, null, "WHERE id = @id", ct, ("id", id)).ConfigureAwait(false))[0];
    }

    public async Task<(DecideOutcome Outcome, ApprovalRecord? Approval)> DecideAsync(long id, bool grant, string actor, string? reason, DateTimeOffset? expires, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        var status = grant ? "granted" : "denied";
        int changed;
        await using (var cmd = Command(c, tx, "UPDATE approvals SET status = @s, decided_by = @a, decided_at = @t, decision_reason = @why, expires_at = @e WHERE id = @id AND status = 'pending'", ("s", status), ("a", actor), ("t", Now()), ("why", reason), ("e", expires is { } x ? Format(x) : null), ("id", id)))
        {
            changed = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        var rows = await QueryApprovalsAsync(c, tx, "WHERE id = @id", ct, ("id", id)).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return (DecideOutcome.NotFound, null);
        }

        if (changed == 0)
        {
            return (DecideOutcome.NotPending, rows[0]);
        }

        var a = rows[0];
        await AppendAuditAsync(c, tx, actor, status, id, a.Name, a.Version, a.Rule, reason, expires, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return (DecideOutcome.Decided, a);
    }

    public async Task<IReadOnlyList<ApprovalRecord>> ListApprovalsAsync(string? status = null, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return status is null
            ? await QueryApprovalsAsync(c, null, "ORDER BY id", ct).ConfigureAwait(false)
            : await QueryApprovalsAsync(c, null, "WHERE status = @s ORDER BY id", ct, ("s", status)).ConfigureAwait(false);
    }

    /// <summary>Grants in force at <paramref name="at"/> (granted, not expired).</summary>
    public async Task<IReadOnlyList<ApprovalRecord>> ActiveGrantsAsync(DateTimeOffset at, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return await QueryApprovalsAsync(c, null, "WHERE status = 'granted' AND (expires_at IS NULL OR expires_at > @now) ORDER BY id", ct, ("now", Format(at))).ConfigureAwait(false);
    }

    /// <summary>Records something the gate itself decided (e.g. a refused tarball) in the audit log.</summary>
    public async Task AppendAuditAsync(string actor, string action, string? name, string? version, string? rule, string? reason, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await AppendAuditAsync(c, null, actor, action, null, name, version, rule, reason, null, ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<AuditEntry>> AuditLogAsync(int limit = 500, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT id, at, actor, action, approval_id, name, version, rule, reason, expires_at FROM audit_log ORDER BY id DESC LIMIT @l", ("l", limit));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<AuditEntry>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new AuditEntry(r.GetInt64(0), Parse(r.GetString(1)), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetInt64(4), Str(r, 5), Str(r, 6), Str(r, 7), Str(r, 8), r.IsDBNull(9) ? null : Parse(r.GetString(9))));
        }

        list.Reverse();
        return list;
    }

    public async Task<StoredEvidence?> GetEvidenceAsync(string name, string version, string integrity, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT report, verified_at FROM evidence WHERE name = @n AND version = @v AND integrity = @i", ("n", name), ("v", version), ("i", integrity));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        return await r.ReadAsync(ct).ConfigureAwait(false) ? new StoredEvidence(name, version, integrity, r.GetString(0), Parse(r.GetString(1))) : null;
    }

    /// <summary>Stores evidence once: evidence for (name, version, integrity) is immutable, so the first writer wins.</summary>
    public async Task PutEvidenceAsync(string name, string version, string integrity, string reportJson, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, "INSERT INTO evidence (name, version, integrity, report, verified_at) VALUES (@n, @v, @i, @r, @t) ON CONFLICT (name, version, integrity) DO NOTHING", ("n", name), ("v", version), ("i", integrity), ("r", reportJson), ("t", Now()));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<StoredEvidence>> ListEvidenceAsync(int limit = 1000, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT name, version, integrity, report, verified_at FROM evidence ORDER BY name, version LIMIT @l", ("l", limit));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<StoredEvidence>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new StoredEvidence(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), Parse(r.GetString(4))));
        }

        return list;
    }

    /// <summary>Runs raw SQL (tests use it to show the audit log refuses updates).</summary>
    internal async Task<int> ExecuteRawAsync(string sql, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, sql);
        return await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task AppendAuditAsync(DbConnection c, DbTransaction? tx, string actor, string action, long? approvalId, string? name, string? version, string? rule, string? reason, DateTimeOffset? expires, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, "INSERT INTO audit_log (at, actor, action, approval_id, name, version, rule, reason, expires_at) VALUES (@t, @a, @x, @id, @n, @v, @r, @why, @e)",
            ("t", Now()), ("a", actor), ("x", action), ("id", approvalId), ("n", name), ("v", version), ("r", rule), ("why", reason), ("e", expires is { } e ? Format(e) : null));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<List<ApprovalRecord>> QueryApprovalsAsync(DbConnection c, DbTransaction? tx, string where, CancellationToken ct, params (string, object?)[] args)
    {
        await using var cmd = Command(c, tx, "SELECT id, name, version, rule, status, requested_by, requested_at, request_reason, decided_by, decided_at, decision_reason, expires_at FROM approvals " + where, args);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<ApprovalRecord>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new ApprovalRecord(
                r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), Parse(r.GetString(6)), Str(r, 7), Str(r, 8),
                r.IsDBNull(9) ? null : Parse(r.GetString(9)), Str(r, 10), r.IsDBNull(11) ? null : Parse(r.GetString(11))));
        }

        return list;
    }

    private static string? Str(DbDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    private static async Task ExecAsync(DbConnection c, DbTransaction? tx, string sql, CancellationToken ct)
    {
        await using var cmd = Command(c, tx, sql);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static DbCommand Command(DbConnection c, DbTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (n, v) in args)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = n;
            p.Value = v ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }

        return cmd;
    }

    private string Now() => Format(_time.GetUtcNow());

    // Fixed-width UTC text: sorts and compares as strings in both databases.
    internal static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
