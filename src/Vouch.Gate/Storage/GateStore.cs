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

/// <summary>A signed review the gate verified and stored (issue 17); <see cref="Bundle"/> is the Sigstore bundle as posted.</summary>
public sealed record ReviewRecord(long Id, string Name, string Version, string Sha512, string Reviewer, IReadOnlyList<string> Criteria, string? DeltaFrom, string Bundle, string Digest, string SubmittedBy, DateTimeOffset SubmittedAt);

public sealed record StoredEvidence(string Name, string Version, string Integrity, string ReportJson, DateTimeOffset VerifiedAt);

/// <summary>One `vouch watch` event as the gate stored it (issue 16).</summary>
public sealed record StoredWatchEvent(long Seq, string EventId, string DeliveryId, string Name, string Version, string? PreviousVersion, string Kind, string Code, string Severity, string? Rule, string Detail, DateTimeOffset ObservedAt, DateTimeOffset ReceivedAt, bool Quarantine);

/// <summary>A version withheld by watch events no approver has lifted since they arrived; <see cref="Kinds"/> are the event kinds, comma-separated.</summary>
public sealed record QuarantinedVersion(string Name, string Version, string Kinds, string FirstEventId);

/// <summary>What storing one delivery did: events new to the store, events already stored (a redelivery), versions that now wait for an approver.</summary>
public sealed record WatchIngest(int Stored, int Duplicates, IReadOnlyList<string> Quarantined);

/// <summary>
/// What is stored about verifying one version's bytes under one set of trust material: complete
/// (<see cref="ReportJson"/> is the evidence, good or bad, and never changes) or incomplete (the
/// verification could not finish; <see cref="RetryAt"/> says when to try again).
/// </summary>
public sealed record EvidenceRecord(string Name, string Version, string Integrity, string Trust, bool Complete, string? ReportJson, DateTimeOffset VerifiedAt, int Attempts, DateTimeOffset? RetryAt, string? Error);

/// <summary>How deciding on an approval ended.</summary>
public enum DecideOutcome
{
    Decided,
    NotFound,

    /// <summary>The approval is no longer pending (another approver, or another gate instance, decided first).</summary>
    NotPending,

    /// <summary>Four eyes: the identity that requested the approval may not grant it.</summary>
    SameIdentity,
}

/// <summary>
/// The gate's durable state in SQLite or PostgreSQL: approvals, the append-only audit log and
/// verified evidence. Both providers run the same DML (named parameters, RETURNING, ON CONFLICT);
/// only the DDL differs, in versioned migration files applied in one transaction at start-up. Every
/// change that must survive a crash is one transaction (SQLite in WAL mode with full sync).
/// </summary>
public sealed partial class GateStore : IAsyncDisposable
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
            // recursive_triggers makes the rows INSERT OR REPLACE deletes fire the DELETE triggers.
            await ExecAsync(c, null, "PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA recursive_triggers = ON;", ct).ConfigureAwait(false);
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

        // No DDL when the schema is current, so a gate can run with a role that has DML rights only
        // (docs/gate.md, threat model): only a pending migration needs the owner.
        bool exists;
        await using (var probe = Command(c, tx, Provider == GateDatabaseProvider.Postgres
            ? "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = 'schema_migrations' AND schemaname = current_schema()"
            : "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"))
        {
            exists = Convert.ToInt64(await probe.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture) > 0;
        }

        if (!exists)
        {
            await ExecAsync(c, tx, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)", ct).ConfigureAwait(false);
        }

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

    /// <summary>
    /// A pending request for (name, version, rule): the existing one if there is one, else a new one.
    /// A partial unique index allows one pending row per subject, so concurrent requests, from this
    /// gate or another on the same database, make one row; the database writes the audit row.
    /// </summary>
    public async Task<ApprovalRecord> RequestAsync(string name, string version, string rule, string actor, string? reason, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        for (var attempt = 0; ; attempt++)
        {
            await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
            object? inserted;
            await using (var cmd = Command(c, tx,
                "INSERT INTO approvals (name, version, rule, status, requested_by, requested_at, request_reason) SELECT @n, @v, @r, 'pending', @a, @t, @why " +
                "WHERE NOT EXISTS (SELECT 1 FROM approvals WHERE status = 'pending' AND name = @n AND version = @v AND rule = @r) " +
                "ON CONFLICT (name, version, rule) WHERE status = 'pending' DO NOTHING RETURNING id",
                ("n", name), ("v", version), ("r", rule), ("a", actor), ("t", Now()), ("why", reason)))
            {
                inserted = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false);
            }

            var rows = inserted is null or DBNull
                ? await QueryApprovalsAsync(c, tx, "WHERE name = @n AND version = @v AND rule = @r AND status = 'pending'", ct, ("n", name), ("v", version), ("r", rule)).ConfigureAwait(false)
                : await QueryApprovalsAsync(c, tx, "WHERE id = @id", ct, ("id", Convert.ToInt64(inserted, CultureInfo.InvariantCulture))).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            if (rows.Count > 0)
            {
                return rows[0];
            }

            // The pending request another writer held was decided between our insert and our read: ask again.
            if (attempt >= 5)
            {
                throw new InvalidOperationException($"could not record an approval request for {name}@{version} rule {rule}");
            }
        }
    }

    /// <summary>
    /// Grants or denies a pending approval, once. Unless <paramref name="allowSelfGrant"/>, the
    /// identity that requested it cannot grant it (four eyes); that check is part of the UPDATE so
    /// it holds across gates. The database writes the audit row.
    /// </summary>
    public async Task<(DecideOutcome Outcome, ApprovalRecord? Approval)> DecideAsync(long id, bool grant, string actor, string? reason, DateTimeOffset? expires, bool allowSelfGrant = false, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        var status = grant ? "granted" : "denied";
        int changed;
        var fourEyes = grant && !allowSelfGrant ? " AND requested_by <> @a" : "";
        await using (var cmd = Command(c, tx, "UPDATE approvals SET status = @s, decided_by = @a, decided_at = @t, decision_reason = @why, expires_at = @e WHERE id = @id AND status = 'pending'" + fourEyes, ("s", status), ("a", actor), ("t", Now()), ("why", reason), ("e", expires is { } x ? Format(x) : null), ("id", id)))
        {
            changed = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        var rows = await QueryApprovalsAsync(c, tx, "WHERE id = @id", ct, ("id", id)).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return (DecideOutcome.NotFound, null);
        }

        if (changed == 0)
        {
            return (rows[0].Status == "pending" ? DecideOutcome.SameIdentity : DecideOutcome.NotPending, rows[0]);
        }

        return (DecideOutcome.Decided, rows[0]);
    }

    public async Task<IReadOnlyList<ApprovalRecord>> ListApprovalsAsync(string? status = null, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return status is null
            ? await QueryApprovalsAsync(c, null, "ORDER BY id", ct).ConfigureAwait(false)
            : await QueryApprovalsAsync(c, null, "WHERE status = @s ORDER BY id", ct, ("s", status)).ConfigureAwait(false);
    }

    /// <summary>The newest approvals of one package, any status (the dashboard's package page).</summary>
    public async Task<IReadOnlyList<ApprovalRecord>> ListApprovalsForAsync(string name, int limit, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return await QueryApprovalsAsync(c, null, "WHERE name = @n ORDER BY id DESC LIMIT @l", ct, ("n", name), ("l", Math.Clamp(limit, 1, 1000))).ConfigureAwait(false);
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

    /// <summary>Complete evidence of one package, every version and trust material (the dashboard's package page).</summary>
    public async Task<IReadOnlyList<StoredEvidence>> ListEvidenceForAsync(string name, int limit, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT name, version, integrity, report, verified_at FROM evidence WHERE state = 'complete' AND name = @n ORDER BY verified_at DESC LIMIT @l", ("n", name), ("l", limit));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<StoredEvidence>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new StoredEvidence(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), Parse(r.GetString(4))));
        }

        return list;
    }

    /// <summary>Audit rows after <paramref name="afterId"/>, oldest first (the webhook outbox reads the log as its queue).</summary>
    public async Task<IReadOnlyList<AuditEntry>> AuditAfterAsync(long afterId, int limit, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT id, at, actor, action, approval_id, name, version, rule, reason, expires_at FROM audit_log WHERE id > @a ORDER BY id LIMIT @l", ("a", afterId), ("l", limit));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<AuditEntry>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new AuditEntry(r.GetInt64(0), Parse(r.GetString(1)), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetInt64(4), Str(r, 5), Str(r, 6), Str(r, 7), Str(r, 8), r.IsDBNull(9) ? null : Parse(r.GetString(9))));
        }

        return list;
    }

    /// <summary>What is stored about (name, version, integrity) under the trust material <paramref name="trust"/>.</summary>
    public async Task<EvidenceRecord?> GetEvidenceAsync(string name, string version, string integrity, string trust, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT state, report, verified_at, attempts, retry_at, error FROM evidence WHERE name = @n AND version = @v AND integrity = @i AND trust = @k", ("n", name), ("v", version), ("i", integrity), ("k", trust));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await r.ReadAsync(ct).ConfigureAwait(false))
        {
            return null;
        }

        return new EvidenceRecord(name, version, integrity, trust, r.GetString(0) == "complete", Str(r, 1), Parse(r.GetString(2)), Convert.ToInt32(r.GetValue(3), CultureInfo.InvariantCulture), r.IsDBNull(4) ? null : Parse(r.GetString(4)), Str(r, 5));
    }

    /// <summary>
    /// Stores complete evidence once: the first complete writer wins and it is never replaced (only an
    /// admin re-verify removes it); an incomplete record for the same key is completed.
    /// </summary>
    public async Task PutCompleteEvidenceAsync(string name, string version, string integrity, string trust, string reportJson, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            "INSERT INTO evidence (name, version, integrity, trust, state, report, verified_at, attempts) VALUES (@n, @v, @i, @k, 'complete', @r, @t, 1) " +
            "ON CONFLICT (name, version, integrity, trust) DO UPDATE SET state = 'complete', report = excluded.report, verified_at = excluded.verified_at, attempts = evidence.attempts + 1, retry_at = NULL, error = NULL WHERE evidence.state = 'incomplete'",
            ("n", name), ("v", version), ("i", integrity), ("k", trust), ("r", reportJson), ("t", Now()));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Records a verification that could not complete; never overwrites complete evidence.</summary>
    public async Task PutIncompleteEvidenceAsync(string name, string version, string integrity, string trust, int attempts, DateTimeOffset retryAt, string error, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            "INSERT INTO evidence (name, version, integrity, trust, state, verified_at, attempts, retry_at, error) VALUES (@n, @v, @i, @k, 'incomplete', @t, @a, @at, @e) " +
            "ON CONFLICT (name, version, integrity, trust) DO UPDATE SET verified_at = excluded.verified_at, attempts = excluded.attempts, retry_at = excluded.retry_at, error = excluded.error WHERE evidence.state = 'incomplete'",
            ("n", name), ("v", version), ("i", integrity), ("k", trust), ("t", Now()), ("a", attempts), ("at", Format(retryAt)), ("e", error));
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// An admin's re-verify: removes every stored verification of <paramref name="name"/> (one
    /// version, or all) under any trust material, and appends the audit row, in one transaction.
    /// Returns how many records were removed.
    /// </summary>
    public async Task<int> ForgetEvidenceAsync(string name, string? version, string actor, string? reason, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        int removed;
        await using (var cmd = version is null
            ? Command(c, tx, "DELETE FROM evidence WHERE name = @n", ("n", name))
            : Command(c, tx, "DELETE FROM evidence WHERE name = @n AND version = @v", ("n", name), ("v", version)))
        {
            removed = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await AppendAuditAsync(c, tx, actor, "reverify", null, name, version, null, reason, null, ct).ConfigureAwait(false);
        if (_postgres is not null)
        {
            // Delivered at commit, to every gate listening: they drop release decisions cached in memory.
            await using var notify = Command(c, tx, "SELECT pg_notify(@ch, @n)", ("ch", EvidenceChannel), ("n", name));
            await notify.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await tx.CommitAsync(ct).ConfigureAwait(false);
        return removed;
    }

    /// <summary>Complete evidence (of any trust material), for the dashboard.</summary>
    public async Task<IReadOnlyList<StoredEvidence>> ListEvidenceAsync(int limit = 1000, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT name, version, integrity, report, verified_at FROM evidence WHERE state = 'complete' ORDER BY name, version LIMIT @l", ("l", limit));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<StoredEvidence>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new StoredEvidence(r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), Parse(r.GetString(4))));
        }

        return list;
    }

    /// <summary>The approval rule that lifts a watch quarantine (or <c>*</c>).</summary>
    public const string WatchQuarantineRule = "watch-quarantine";

    /// <summary>Who requests the approval a watch quarantine waits for (never a token name: four eyes holds for every approver).</summary>
    public const string WatchActor = "vouch-watch";

    /// <summary>
    /// Stores one watch delivery in one transaction: every event not stored yet (by event id; a
    /// redelivery stores nothing twice), and for each quarantining event a pending approval of
    /// <see cref="WatchQuarantineRule"/> for its version, unless one is pending already. The approval's
    /// audit row is written by the database. On PostgreSQL other gates are told at commit.
    /// </summary>
    public async Task<WatchIngest> RecordWatchEventsAsync(string deliveryId, IReadOnlyList<(string Id, string Name, string Version, string? PreviousVersion, string Kind, string Code, string Severity, string? Rule, string Detail, DateTimeOffset ObservedAt, bool Quarantine)> events, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        var now = Now();
        var stored = 0;
        var quarantined = new List<string>();
        foreach (var e in events)
        {
            object? seq;
            await using (var insert = Command(c, tx,
                "INSERT INTO watch_events (event_id, delivery_id, name, version, previous_version, kind, code, severity, rule, detail, observed_at, received_at, quarantine) " +
                "SELECT @id, @d, @n, @v, @pv, @k, @c, @s, @r, @x, @o, @t, @q WHERE NOT EXISTS (SELECT 1 FROM watch_events WHERE event_id = @id) " +
                "ON CONFLICT (event_id) DO NOTHING RETURNING seq",
                ("id", e.Id), ("d", deliveryId), ("n", e.Name), ("v", e.Version), ("pv", e.PreviousVersion), ("k", e.Kind), ("c", e.Code), ("s", e.Severity), ("r", e.Rule),
                ("x", e.Detail), ("o", Format(e.ObservedAt)), ("t", now), ("q", e.Quarantine ? 1 : 0)))
            {
                seq = await insert.ExecuteScalarAsync(ct).ConfigureAwait(false);
            }

            if (seq is null or DBNull)
            {
                continue;
            }

            stored++;
            if (!e.Quarantine || e.Version == "*")
            {
                continue;
            }

            var reason = $"vouch watch: {e.Kind}: {e.Detail}";
            await using (var request = Command(c, tx,
                "INSERT INTO approvals (name, version, rule, status, requested_by, requested_at, request_reason) SELECT @n, @v, @r, 'pending', @a, @t, @why " +
                "WHERE NOT EXISTS (SELECT 1 FROM approvals WHERE status = 'pending' AND name = @n AND version = @v AND rule = @r) " +
                "ON CONFLICT (name, version, rule) WHERE status = 'pending' DO NOTHING",
                ("n", e.Name), ("v", e.Version), ("r", WatchQuarantineRule), ("a", WatchActor), ("t", now), ("why", reason.Length <= 2000 ? reason : reason[..2000])))
            {
                await request.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            var spec = $"{e.Name}@{e.Version}";
            if (!quarantined.Contains(spec))
            {
                quarantined.Add(spec);
            }
        }

        if (_postgres is not null && quarantined.Count > 0)
        {
            // Other gates re-read grants and quarantines at once instead of at their next poll.
            await using var notify = Command(c, tx, "SELECT pg_notify('vouch_approvals', 'watch')");
            await notify.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        await tx.CommitAsync(ct).ConfigureAwait(false);
        return new WatchIngest(stored, events.Count - stored, quarantined);
    }

    /// <summary>
    /// Versions in quarantine at <paramref name="at"/>: with a quarantining watch event and no grant of
    /// <see cref="WatchQuarantineRule"/> (or <c>*</c>) in force that was decided after the event arrived,
    /// so an event arriving after a grant quarantines the version again.
    /// </summary>
    public async Task<IReadOnlyList<QuarantinedVersion>> ActiveQuarantinesAsync(DateTimeOffset at, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            "SELECT e.name, e.version, e.kind, e.event_id FROM watch_events e WHERE e.quarantine = 1 AND e.version <> '*' AND NOT EXISTS (" +
            "SELECT 1 FROM approvals a WHERE a.name = e.name AND a.version = e.version AND a.rule IN (@r, '*') AND a.status = 'granted' " +
            "AND a.decided_at >= e.received_at AND (a.expires_at IS NULL OR a.expires_at > @now)) ORDER BY e.name, e.version, e.seq LIMIT @l",
            ("r", WatchQuarantineRule), ("now", Format(at)), ("l", MaxQuarantineRows));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var rows = new List<(string Name, string Version, string Kind, string Id)>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            rows.Add((r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3)));
        }

        return rows.GroupBy(x => (x.Name, x.Version))
            .Select(g => new QuarantinedVersion(g.Key.Name, g.Key.Version, string.Join(",", g.Select(x => x.Kind).Distinct(StringComparer.Ordinal)), g.First().Id))
            .ToList();
    }

    private const int MaxQuarantineRows = 100_000;

    /// <summary>The watch events of one package, newest first (the dashboard's package page).</summary>
    public async Task<IReadOnlyList<StoredWatchEvent>> WatchEventsForAsync(string name, int limit, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            "SELECT seq, event_id, delivery_id, name, version, previous_version, kind, code, severity, rule, detail, observed_at, received_at, quarantine FROM watch_events WHERE name = @n ORDER BY seq DESC LIMIT @l",
            ("n", name), ("l", limit));
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<StoredWatchEvent>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new StoredWatchEvent(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), Str(r, 5), r.GetString(6), r.GetString(7), r.GetString(8), Str(r, 9), r.GetString(10),
                Parse(r.GetString(11)), Parse(r.GetString(12)), Convert.ToInt32(r.GetValue(13), CultureInfo.InvariantCulture) == 1));
        }

        return list;
    }

    /// <summary>The PostgreSQL notification channel a re-verify (forgotten evidence) is announced on.</summary>
    internal const string EvidenceChannel = "vouch_evidence";

    /// <summary>
    /// PostgreSQL: calls <paramref name="onChange"/> whenever any gate on the database decides an
    /// approval (the approvals trigger NOTIFYs <c>vouch_approvals</c>), <paramref name="onEvidenceForgotten"/>
    /// whenever any gate forgets evidence (a re-verify NOTIFYs <c>vouch_evidence</c>), and both once
    /// after every (re)connection to catch up on what was missed; runs until <paramref name="ct"/> is
    /// cancelled. Polling stays the fallback for approvals. SQLite: returns at once (one file, one gate).
    /// </summary>
    public async Task ListenForApprovalsAsync(Func<CancellationToken, Task> onChange, CancellationToken ct, Action? onEvidenceForgotten = null)
    {
        if (_postgres is null)
        {
            return;
        }

        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var c = await _postgres.OpenConnectionAsync(ct).ConfigureAwait(false);
                var approvals = false;
                var evidence = false;
                c.Notification += (_, e) =>
                {
                    if (e.Channel == EvidenceChannel)
                    {
                        evidence = true;
                    }
                    else
                    {
                        approvals = true;
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN vouch_approvals; LISTEN {EvidenceChannel}", c))
                {
                    await listen.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }

                onEvidenceForgotten?.Invoke();
                await onChange(ct).ConfigureAwait(false);
                while (true)
                {
                    await c.WaitAsync(ct).ConfigureAwait(false);
                    if (evidence)
                    {
                        evidence = false;
                        onEvidenceForgotten?.Invoke();
                    }

                    if (approvals)
                    {
                        approvals = false;
                        await onChange(ct).ConfigureAwait(false);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or InvalidOperationException or TimeoutException)
            {
                // The database went away: polling keeps the gate current meanwhile; listen again shortly.
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Stores a verified review once: the same bundle (by its SHA-256) posted again returns the stored
    /// row (Added false). The database writes the audit row.
    /// </summary>
    public async Task<(ReviewRecord Review, bool Added)> AddReviewAsync(string name, string version, string sha512, string reviewer, IReadOnlyList<string> criteria, string? deltaFrom, string bundle, string actor, CancellationToken ct = default)
    {
        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(bundle)));
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(ct).ConfigureAwait(false);
        int inserted;
        await using (var cmd = Command(c, tx,
            "INSERT INTO reviews (name, version, sha512, reviewer, criteria, delta_from, bundle, digest, submitted_by, submitted_at) VALUES (@n, @v, @s, @r, @c, @d, @b, @g, @a, @t) ON CONFLICT (digest) DO NOTHING",
            ("n", name), ("v", version), ("s", sha512), ("r", reviewer), ("c", string.Join(',', criteria)), ("d", deltaFrom), ("b", bundle), ("g", digest), ("a", actor), ("t", Now())))
        {
            inserted = await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        var rows = await QueryReviewsAsync(c, tx, "WHERE digest = @g", ct, ("g", digest)).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return (rows[0], inserted > 0);
    }

    /// <summary>Stored reviews, oldest first: of one version, of one package (version null), or all (both null), at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<ReviewRecord>> ListReviewsAsync(string? name, string? version, int limit = 1000, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        var where = (name, version) switch
        {
            (null, _) => "",
            (_, null) => "WHERE name = @n ",
            _ => "WHERE name = @n AND version = @v ",
        };
        return await QueryReviewsAsync(c, null, where + "ORDER BY id LIMIT @l", ct, ("n", name), ("v", version), ("l", limit)).ConfigureAwait(false);
    }

    public async Task<ReviewRecord?> GetReviewAsync(long id, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        var rows = await QueryReviewsAsync(c, null, "WHERE id = @id", ct, ("id", id)).ConfigureAwait(false);
        return rows.Count == 0 ? null : rows[0];
    }

    private static async Task<List<ReviewRecord>> QueryReviewsAsync(DbConnection c, DbTransaction? tx, string where, CancellationToken ct, params (string, object?)[] args)
    {
        await using var cmd = Command(c, tx, "SELECT id, name, version, sha512, reviewer, criteria, delta_from, bundle, digest, submitted_by, submitted_at FROM reviews " + where, args);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<ReviewRecord>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new ReviewRecord(r.GetInt64(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5).Split(',', StringSplitOptions.RemoveEmptyEntries),
                Str(r, 6), r.GetString(7), r.GetString(8), r.GetString(9), Parse(r.GetString(10))));
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
