using System.Globalization;
using Npgsql;

namespace Vouch.Watch.Storage;

/// <summary>
/// The watch store in PostgreSQL, schema <c>vouch_watch</c> (so it can live in the gate's database:
/// the gate's own tables and migrations are in the connection's current schema and never touched).
/// Migrations (<c>Storage/Postgres/NNN_*.sql</c>) are numbered, applied in order in one transaction
/// under an advisory lock, so processes starting together do not race; when the schema is current,
/// opening runs no DDL, so a role with DML rights only can run watch. Commits take a transaction
/// advisory lock: one writer at a time across every process on the database, as SQLite's IMMEDIATE
/// transaction does, so sequence order is commit order and the revision check cannot interleave.
/// </summary>
internal sealed class PostgresWatchStore : WatchStore
{
    /// <summary>The schema watch owns in the database.</summary>
    public const string Schema = "vouch_watch";

    // Two-key advisory locks (class, object): a keyspace apart from the gate's single-key lock.
    private const int LockClass = SqliteWatchStore.ApplicationId;
    private const int MigrationLock = 1;
    private const int CommitLock = 2;

    private readonly NpgsqlDataSource _source;

    private PostgresWatchStore(NpgsqlDataSource source, string description)
    {
        _source = source;
        Description = description;
    }

    public override string Description { get; }

    /// <summary>Schema versions applied, in order.</summary>
    public IReadOnlyList<int> AppliedMigrations { get; private set; } = [];

    public static PostgresWatchStore Create(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(PostgresConnectionString.ToNpgsql(connectionString));
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            // The text may hold a password: it is never echoed.
            throw new WatchStoreException("the PostgreSQL connection string is not valid (Host=...;Database=...;Username=... or postgres://user@host:port/db)");
        }

        var description = $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database} schema {Schema}";
        var store = new PostgresWatchStore(NpgsqlDataSource.Create(builder), description);
        try
        {
            store.Migrate();
        }
        catch (PostgresException e)
        {
            store.Dispose();
            throw new WatchStoreException($"{description} is not a usable watch store: {e.MessageText}");
        }
        catch (NpgsqlException e)
        {
            store.Dispose();
            throw new WatchStoreException($"{description} could not be reached: {e.Message}", WatchCodes.StoreUnavailable);
        }
        catch (WatchStoreException)
        {
            store.Dispose();
            throw;
        }

        return store;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _source.Dispose();
        }
    }

    private void Migrate()
    {
        var assembly = typeof(PostgresWatchStore).Assembly;
        var migrations = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("watch-postgres/", StringComparison.Ordinal))
            .Select(n => (Name: n, Version: int.Parse(n["watch-postgres/".Length..].Split('_')[0], CultureInfo.InvariantCulture)))
            .OrderBy(m => m.Version)
            .ToList();
        var known = migrations.Count == 0 ? 0 : migrations[^1].Version;

        using var c = _source.OpenConnection();
        using var tx = c.BeginTransaction();
        Exec(c, tx, "SELECT pg_advisory_xact_lock(@a, @b)", ("a", LockClass), ("b", MigrationLock));
        if (Scalar(c, tx, $"SELECT to_regclass('{Schema}.schema_migrations') IS NOT NULL") is not true)
        {
            // A schema of this name that watch did not make is someone else's: refused, not altered.
            var relations = Convert.ToInt64(Scalar(c, tx, "SELECT count(*) FROM pg_catalog.pg_class k JOIN pg_catalog.pg_namespace n ON n.oid = k.relnamespace WHERE n.nspname = @s", ("s", Schema)), CultureInfo.InvariantCulture);
            if (relations > 0)
            {
                throw new WatchStoreException($"{Description}: the schema {Schema} exists but is not a watch store; refusing to change it");
            }

            Exec(c, tx, $"CREATE SCHEMA IF NOT EXISTS {Schema}; CREATE TABLE {Schema}.schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)");
        }

        var applied = new List<int>();
        using (var cmd = Command(c, tx, $"SELECT version FROM {Schema}.schema_migrations ORDER BY version"))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                applied.Add(r.GetInt32(0));
            }
        }

        if (applied.Count > 0 && applied[^1] > known)
        {
            throw new WatchStoreException($"{Description} has watch store schema {applied[^1]}; this vouch knows {known}");
        }

        foreach (var m in migrations.Where(m => !applied.Contains(m.Version)))
        {
            using (var stream = assembly.GetManifestResourceStream(m.Name)!)
            using (var reader = new StreamReader(stream))
            {
                Exec(c, tx, reader.ReadToEnd());
            }

            Exec(c, tx, $"INSERT INTO {Schema}.schema_migrations (version, name, applied_at) VALUES (@v, @n, now())", ("v", m.Version), ("n", m.Name["watch-postgres/".Length..]));
            applied.Add(m.Version);
        }

        tx.Commit();
        AppliedMigrations = [.. applied.Order()];
    }

    public override (long Revision, PackageState State)? ReadState(string package)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, null, $"SELECT revision, state FROM {Schema}.package_state WHERE package = @p", ("p", package));
        using var r = cmd.ExecuteReader();
        return r.Read() ? (r.GetInt64(0), PackageState.Deserialize(r.GetString(1))) : null;
    }

    public override CommitResult Commit(string package, long? expectedRevision, PackageState next, IReadOnlyList<WatchEvent> events, bool outbox, DateTimeOffset now)
    {
        using var c = _source.OpenConnection();
        using var tx = c.BeginTransaction();
        Exec(c, tx, "SELECT pg_advisory_xact_lock(@a, @b)", ("a", LockClass), ("b", CommitLock));
        var current = Scalar(c, tx, $"SELECT revision FROM {Schema}.package_state WHERE package = @p", ("p", package));
        long? revision = current is null or DBNull ? null : Convert.ToInt64(current, CultureInfo.InvariantCulture);
        if (revision != expectedRevision)
        {
            return new CommitResult(CommitStatus.Conflict, []);
        }

        var written = new List<WatchEvent>();
        foreach (var e in events)
        {
            // DO NOTHING on a known id: the same observation is never stored (nor sent) twice.
            var seq = Scalar(c, tx,
                $"INSERT INTO {Schema}.events (id, kind, code, package, version, previous_version, severity, rule, detail, observed_at) VALUES (@id, @kind, @code, @package, @version, @prev, @sev, @rule, @detail, @at) ON CONFLICT (id) DO NOTHING RETURNING seq",
                ("id", e.Id), ("kind", e.Kind), ("code", e.Code), ("package", e.Package), ("version", e.Version), ("prev", e.PreviousVersion),
                ("sev", e.Severity), ("rule", e.Rule), ("detail", e.Detail), ("at", e.ObservedAt.ToUniversalTime()));
            if (seq is long s)
            {
                written.Add(e with { Sequence = s });
            }
        }

        Exec(c, tx, $"INSERT INTO {Schema}.package_state (package, revision, state, updated_at) VALUES (@p, @rev, @state, @at) ON CONFLICT (package) DO UPDATE SET revision = excluded.revision, state = excluded.state, updated_at = excluded.updated_at",
            ("p", package), ("rev", (revision ?? 0) + 1), ("state", next.Serialize()), ("at", now.ToUniversalTime()));

        if (outbox)
        {
            foreach (var batch in WebhookPayload.Batches(written))
            {
                var (id, body) = WebhookPayload.Build(batch);
                Exec(c, tx, $"INSERT INTO {Schema}.outbox (id, first_seq, body, next_attempt_at) VALUES (@id, @seq, @body, @at)",
                    ("id", id), ("seq", batch[0].Sequence), ("body", body), ("at", now.ToUniversalTime()));
            }
        }

        tx.Commit();
        return new CommitResult(CommitStatus.Committed, written);
    }

    public override string? GetMeta(string key)
    {
        using var c = _source.OpenConnection();
        return Scalar(c, null, $"SELECT value FROM {Schema}.meta WHERE key = @k", ("k", key)) as string;
    }

    public override void SetMeta(string key, string value)
    {
        using var c = _source.OpenConnection();
        Exec(c, null, $"INSERT INTO {Schema}.meta (key, value) VALUES (@k, @v) ON CONFLICT (key) DO UPDATE SET value = excluded.value", ("k", key), ("v", value));
    }

    public override IReadOnlyList<Delivery> ClaimDue(DateTimeOffset now, int max)
    {
        using var c = _source.OpenConnection();
        using var tx = c.BeginTransaction();
        var list = new List<(long Seq, Delivery Delivery)>();
        // SKIP LOCKED: rows another process is claiming right now are its own, not waited for.
        using (var cmd = Command(c, tx,
            $"UPDATE {Schema}.outbox SET lease_until = @until WHERE id IN (" +
            $"SELECT id FROM {Schema}.outbox WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until <= @now) " +
            "ORDER BY first_seq LIMIT @max FOR UPDATE SKIP LOCKED) RETURNING first_seq, id, body, attempts",
            ("until", (now + Limits.WebhookLease).ToUniversalTime()), ("now", now.ToUniversalTime()), ("max", max)))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                list.Add((r.GetInt64(0), new Delivery(r.GetString(1), r.GetString(2), r.GetInt32(3))));
            }
        }

        tx.Commit();
        return [.. list.OrderBy(d => d.Seq).Select(d => d.Delivery)];
    }

    public override void MarkDelivered(string id, DateTimeOffset now)
    {
        using var c = _source.OpenConnection();
        Exec(c, null, $"UPDATE {Schema}.outbox SET delivered_at = @at, attempts = attempts + 1, lease_until = NULL, last_error = NULL WHERE id = @id AND delivered_at IS NULL AND gave_up_at IS NULL", ("at", now.ToUniversalTime()), ("id", id));
    }

    public override void ReleaseLease(string id)
    {
        using var c = _source.OpenConnection();
        Exec(c, null, $"UPDATE {Schema}.outbox SET lease_until = NULL WHERE id = @id AND delivered_at IS NULL AND gave_up_at IS NULL", ("id", id));
    }

    public override void MarkFailed(string id, string error, DateTimeOffset nextAttempt, bool giveUp, DateTimeOffset now)
    {
        using var c = _source.OpenConnection();
        Exec(c, null, $"UPDATE {Schema}.outbox SET attempts = attempts + 1, lease_until = NULL, last_error = @err, next_attempt_at = @next, gave_up_at = @gave WHERE id = @id AND delivered_at IS NULL AND gave_up_at IS NULL",
            ("err", Cap(error)), ("next", nextAttempt.ToUniversalTime()), ("gave", giveUp ? now.ToUniversalTime() : (object?)null), ("id", id));
    }

    public override int PendingDeliveries()
    {
        using var c = _source.OpenConnection();
        return Convert.ToInt32(Scalar(c, null, $"SELECT count(*) FROM {Schema}.outbox WHERE delivered_at IS NULL AND gave_up_at IS NULL"), CultureInfo.InvariantCulture);
    }

    public override DateTimeOffset? NextDeliveryDue()
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, null, $"SELECT min(greatest(next_attempt_at, coalesce(lease_until, '-infinity'::timestamptz))) FROM {Schema}.outbox WHERE delivered_at IS NULL AND gave_up_at IS NULL");
        using var r = cmd.ExecuteReader();
        return r.Read() && !r.IsDBNull(0) ? r.GetFieldValue<DateTimeOffset>(0) : null;
    }

    public override IReadOnlyList<WatchEvent> ReadEvents(long afterSequence, int max)
    {
        using var c = _source.OpenConnection();
        using var cmd = Command(c, null,
            $"SELECT seq, id, kind, code, package, version, previous_version, severity, rule, detail, observed_at FROM {Schema}.events WHERE seq > @after ORDER BY seq LIMIT @max",
            ("after", afterSequence), ("max", max));
        using var r = cmd.ExecuteReader();
        var list = new List<WatchEvent>();
        while (r.Read())
        {
            list.Add(new WatchEvent
            {
                Sequence = r.GetInt64(0), Id = r.GetString(1), Kind = r.GetString(2), Code = r.GetString(3), Package = r.GetString(4), Version = r.GetString(5),
                PreviousVersion = r.IsDBNull(6) ? null : r.GetString(6), Severity = r.GetString(7), Rule = r.IsDBNull(8) ? null : r.GetString(8), Detail = r.GetString(9),
                ObservedAt = r.GetFieldValue<DateTimeOffset>(10),
            });
        }

        return list;
    }

    /// <summary>Test-only: runs with <c>search_path</c> set to the watch schema, so tamper statements name tables as in SQLite.</summary>
    internal override void ExecuteRaw(string sql)
    {
        using var c = _source.OpenConnection();
        Exec(c, null, $"SET search_path = {Schema}; {sql}");
    }

    private static NpgsqlCommand Command(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = new NpgsqlCommand(sql, c, tx);
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    private static void Exec(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(NpgsqlConnection c, NpgsqlTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        return cmd.ExecuteScalar();
    }
}
