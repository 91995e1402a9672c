using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Vouch.Watch.Storage;

/// <summary>
/// The SQLite watch store, one file (the default). Each package's state and the events found for it
/// are committed in one IMMEDIATE transaction (one writer at a time, so sequence order is commit
/// order), guarded by the state's revision. Events are append-only (triggers, <c>Storage/Schema.sql</c>).
/// </summary>
internal sealed class SqliteWatchStore : WatchStore
{
    /// <summary>PRAGMA application_id of a watch store ("VoWT"): another SQLite file is refused, not altered.</summary>
    public const int ApplicationId = 0x566F5754;

    public const int SchemaVersion = 1;

    public override string Description { get; }

    private readonly string _connectionString;

    private SqliteWatchStore(string connectionString, string path)
    {
        _connectionString = connectionString;
        Description = $"SQLite {path}";
    }

    public static SqliteWatchStore Create(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var cs = new SqliteConnectionStringBuilder { DataSource = full, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();
        var store = new SqliteWatchStore(cs, full);
        try
        {
            store.Initialize(full);
        }
        catch (SqliteException e)
        {
            throw new WatchStoreException($"{full} is not a usable watch store: {e.Message}");
        }

        return store;
    }

    private SqliteConnection Connect()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        // Wait for another writer instead of failing; REPLACE fires the DELETE triggers; durable commits.
        Exec(c, null, "PRAGMA busy_timeout = 30000; PRAGMA recursive_triggers = ON; PRAGMA synchronous = FULL;");
        return c;
    }

    private void Initialize(string path)
    {
        using var c = Connect();
        using var tx = c.BeginTransaction(deferred: false);
        var appId = Convert.ToInt64(Scalar(c, tx, "PRAGMA application_id"), CultureInfo.InvariantCulture);
        var tables = Convert.ToInt64(Scalar(c, tx, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"), CultureInfo.InvariantCulture);
        if (appId == 0 && tables > 0)
        {
            throw new WatchStoreException($"{path} is an SQLite database but not a watch store; refusing to change it");
        }

        if (appId != 0 && appId != ApplicationId)
        {
            throw new WatchStoreException($"{path} belongs to another application (application_id {appId}); refusing to change it");
        }

        var version = Convert.ToInt64(Scalar(c, tx, "PRAGMA user_version"), CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
        {
            throw new WatchStoreException($"{path} has watch store schema {version}; this vouch knows {SchemaVersion}");
        }

        using (var stream = typeof(SqliteWatchStore).Assembly.GetManifestResourceStream("watch-schema.sql")!)
        using (var reader = new StreamReader(stream))
        {
            Exec(c, tx, reader.ReadToEnd());
        }

        Exec(c, tx, $"PRAGMA application_id = {ApplicationId}; PRAGMA user_version = {SchemaVersion};");
        tx.Commit();
        // WAL: a killed process leaves a consistent file, and readers run beside the writer.
        Exec(c, null, "PRAGMA journal_mode = WAL;");
    }

    public override (long Revision, PackageState State)? ReadState(string package)
    {
        using var c = Connect();
        using var cmd = Command(c, null, "SELECT revision, state FROM package_state WHERE package = $p", ("$p", package));
        using var r = cmd.ExecuteReader();
        return r.Read() ? (r.GetInt64(0), PackageState.Deserialize(r.GetString(1))) : null;
    }

    public override CommitResult Commit(string package, long? expectedRevision, PackageState next, IReadOnlyList<WatchEvent> events, bool outbox, DateTimeOffset now)
    {
        using var c = Connect();
        using var tx = c.BeginTransaction(deferred: false);
        var current = Scalar(c, tx, "SELECT revision FROM package_state WHERE package = $p", ("$p", package));
        long? revision = current is null or DBNull ? null : Convert.ToInt64(current, CultureInfo.InvariantCulture);
        if (revision != expectedRevision)
        {
            return new CommitResult(CommitStatus.Conflict, []);
        }

        var written = new List<WatchEvent>();
        foreach (var e in events)
        {
            if (Scalar(c, tx, "SELECT 1 FROM events WHERE id = $id", ("$id", e.Id)) is not null)
            {
                continue;
            }

            var seq = Convert.ToInt64(Scalar(c, tx,
                "INSERT INTO events (id, kind, code, package, version, previous_version, severity, rule, detail, observed_at) VALUES ($id, $kind, $code, $package, $version, $prev, $sev, $rule, $detail, $at) RETURNING seq",
                ("$id", e.Id), ("$kind", e.Kind), ("$code", e.Code), ("$package", e.Package), ("$version", e.Version), ("$prev", e.PreviousVersion),
                ("$sev", e.Severity), ("$rule", e.Rule), ("$detail", e.Detail), ("$at", Time(e.ObservedAt))), CultureInfo.InvariantCulture);
            written.Add(e with { Sequence = seq });
        }

        Exec(c, tx, "INSERT INTO package_state (package, revision, state, updated_at) VALUES ($p, $rev, $state, $at) ON CONFLICT(package) DO UPDATE SET revision = excluded.revision, state = excluded.state, updated_at = excluded.updated_at",
            ("$p", package), ("$rev", (revision ?? 0) + 1), ("$state", next.Serialize()), ("$at", Time(now)));

        if (outbox)
        {
            foreach (var batch in WebhookPayload.Batches(written))
            {
                var (id, body) = WebhookPayload.Build(batch);
                Exec(c, tx, "INSERT INTO outbox (id, first_seq, body, next_attempt_at) VALUES ($id, $seq, $body, $at)",
                    ("$id", id), ("$seq", batch[0].Sequence), ("$body", body), ("$at", Time(now)));
            }
        }

        tx.Commit();
        return new CommitResult(CommitStatus.Committed, written);
    }

    public override string? GetMeta(string key) => Scalar(Connect(), null, "SELECT value FROM meta WHERE key = $k", true, ("$k", key)) as string;

    public override void SetMeta(string key, string value)
    {
        using var c = Connect();
        Exec(c, null, "INSERT INTO meta (key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value", ("$k", key), ("$v", value));
    }

    public override IReadOnlyList<Delivery> ClaimDue(DateTimeOffset now, int max)
    {
        using var c = Connect();
        using var tx = c.BeginTransaction(deferred: false);
        var list = new List<Delivery>();
        using (var cmd = Command(c, tx,
            "SELECT id, body, attempts FROM outbox WHERE delivered_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= $now AND (lease_until IS NULL OR lease_until <= $now) ORDER BY first_seq LIMIT $max",
            ("$now", Time(now)), ("$max", max)))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                list.Add(new Delivery(r.GetString(0), r.GetString(1), r.GetInt32(2)));
            }
        }

        foreach (var d in list)
        {
            Exec(c, tx, "UPDATE outbox SET lease_until = $until WHERE id = $id", ("$until", Time(now + Limits.WebhookLease)), ("$id", d.Id));
        }

        tx.Commit();
        return list;
    }

    public override void MarkDelivered(string id, DateTimeOffset now)
    {
        using var c = Connect();
        Exec(c, null, "UPDATE outbox SET delivered_at = $at, attempts = attempts + 1, lease_until = NULL, last_error = NULL WHERE id = $id AND delivered_at IS NULL AND gave_up_at IS NULL", ("$at", Time(now)), ("$id", id));
    }

    public override void ReleaseLease(string id)
    {
        using var c = Connect();
        Exec(c, null, "UPDATE outbox SET lease_until = NULL WHERE id = $id AND delivered_at IS NULL AND gave_up_at IS NULL", ("$id", id));
    }

    public override void MarkFailed(string id, string error, DateTimeOffset nextAttempt, bool giveUp, DateTimeOffset now)
    {
        using var c = Connect();
        Exec(c, null, "UPDATE outbox SET attempts = attempts + 1, lease_until = NULL, last_error = $err, next_attempt_at = $next, gave_up_at = $gave WHERE id = $id AND delivered_at IS NULL AND gave_up_at IS NULL",
            ("$err", Cap(error)), ("$next", Time(nextAttempt)), ("$gave", giveUp ? Time(now) : null), ("$id", id));
    }

    public override int PendingDeliveries()
    {
        using var c = Connect();
        return Convert.ToInt32(Scalar(c, null, "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND gave_up_at IS NULL"), CultureInfo.InvariantCulture);
    }

    public override DateTimeOffset? NextDeliveryDue()
    {
        using var c = Connect();
        return Scalar(c, null, "SELECT min(max(next_attempt_at, coalesce(lease_until, ''))) FROM outbox WHERE delivered_at IS NULL AND gave_up_at IS NULL") is string s
            ? DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
            : null;
    }

    public override IReadOnlyList<WatchEvent> ReadEvents(long afterSequence, int max)
    {
        using var c = Connect();
        using var cmd = Command(c, null,
            "SELECT seq, id, kind, code, package, version, previous_version, severity, rule, detail, observed_at FROM events WHERE seq > $after ORDER BY seq LIMIT $max",
            ("$after", afterSequence), ("$max", max));
        using var r = cmd.ExecuteReader();
        var list = new List<WatchEvent>();
        while (r.Read())
        {
            list.Add(new WatchEvent
            {
                Sequence = r.GetInt64(0), Id = r.GetString(1), Kind = r.GetString(2), Code = r.GetString(3), Package = r.GetString(4), Version = r.GetString(5),
                PreviousVersion = r.IsDBNull(6) ? null : r.GetString(6), Severity = r.GetString(7), Rule = r.IsDBNull(8) ? null : r.GetString(8), Detail = r.GetString(9),
                ObservedAt = DateTimeOffset.Parse(r.GetString(10), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
            });
        }

        return list;
    }

    internal override void ExecuteRaw(string sql)
    {
        using var c = Connect();
        Exec(c, null, sql);
    }

    // Sortable text: ISO 8601 UTC with a fixed width, so string order is time order.
    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static SqliteCommand Command(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in args)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    private static void Exec(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] args)
    {
        using var cmd = Command(c, tx, sql, args);
        return cmd.ExecuteScalar();
    }

    private static object? Scalar(SqliteConnection c, SqliteTransaction? tx, string sql, bool dispose, params (string Name, object? Value)[] args)
    {
        try
        {
            return Scalar(c, tx, sql, args);
        }
        finally
        {
            if (dispose)
            {
                c.Dispose();
            }
        }
    }
}
