using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Vouch.Npm;
using Vouch.Common;

namespace Vouch.Advisories;

/// <summary>
/// The local advisory index: a SQLite file holding every imported npm OSV record (raw bytes, for
/// export) and, per (record, package), its ranges in a compact form that lookups evaluate with
/// <see cref="OsvMatcher"/>. One import is one transaction: an interrupted or failed import leaves
/// the previous snapshot as it was.
/// </summary>
public sealed class AdvisoryStore : IAdvisoryDatabase, IDisposable
{
    private const string SchemaVersion = "1";
    private const string ExportFormat = "vouch-osv-snapshot/1";
    private readonly SqliteConnection _connection;
    private readonly TimeProvider _time;
    private SnapshotInfo? _snapshot;
    private long _dataVersion;

    private AdvisoryStore(SqliteConnection connection, TimeProvider time)
    {
        _connection = connection;
        _time = time;
    }

    public string Path { get; private init; } = "";

    /// <summary>Opens the index at <paramref name="path"/>; with <paramref name="create"/>, creates it (and its directory) when absent.</summary>
    public static AdvisoryStore Open(string path, bool create, TimeProvider? timeProvider = null) => Open(path, create, readOnly: false, timeProvider);

    /// <summary>
    /// Opens an existing index for reading only (the gate): nothing this process does can change it,
    /// and <see cref="Refresh"/> notices an import another process commits.
    /// </summary>
    public static AdvisoryStore OpenReadOnly(string path, TimeProvider? timeProvider = null) => Open(path, create: false, readOnly: true, timeProvider);

    private static AdvisoryStore Open(string path, bool create, bool readOnly, TimeProvider? timeProvider)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!create && !File.Exists(path))
        {
            throw new AdvisoryException(AdvisoryCodes.DatabaseMissing, $"{path}: no advisory database (run 'vouch db update')");
        }

        if (create)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = 30,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            // A second process importing at the same time waits for the first one's transaction.
            Exec(connection, "PRAGMA busy_timeout = 30000;");
            if (!readOnly)
            {
                // The journal mode is the writer's to set; a reader finds it in the file.
                Exec(connection, "PRAGMA journal_mode = WAL;");
                Exec(connection, "PRAGMA synchronous = NORMAL;");
            }

            var store = new AdvisoryStore(connection, timeProvider ?? TimeProvider.System) { Path = path };
            store.EnsureSchema(create);
            store._dataVersion = DataVersion(connection);
            return store;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new AdvisoryException(AdvisoryCodes.DatabaseCorrupt, $"{path}: not a usable advisory database ({e.Message})");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private void EnsureSchema(bool create)
    {
        var hasMeta = Scalar(_connection, "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'") is long n && n > 0;
        if (!hasMeta)
        {
            var empty = Scalar(_connection, "SELECT count(*) FROM sqlite_master") is long m && m == 0;
            if (!create || !empty)
            {
                throw new AdvisoryException(AdvisoryCodes.DatabaseCorrupt, $"{Path}: not a Vouch advisory database");
            }

            using var tx = _connection.BeginTransaction();
            Exec(_connection, """
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE records (
                  id TEXT PRIMARY KEY, modified TEXT NOT NULL, published TEXT, withdrawn TEXT,
                  malware INTEGER NOT NULL, severity_level INTEGER NOT NULL, severity_score REAL,
                  severity_source INTEGER NOT NULL, severity_vector TEXT, aliases TEXT NOT NULL,
                  summary TEXT, sha256 TEXT NOT NULL);
                CREATE TABLE record_raw (id TEXT PRIMARY KEY, raw BLOB NOT NULL);
                CREATE TABLE affected (
                  package TEXT NOT NULL, record_id TEXT NOT NULL, seq INTEGER NOT NULL, ranges TEXT NOT NULL, versions TEXT NOT NULL,
                  PRIMARY KEY (package, record_id, seq)) WITHOUT ROWID;
                CREATE INDEX affected_record ON affected(record_id);
                """, tx);
            Exec(_connection, $"INSERT INTO meta(key, value) VALUES ('schema', '{SchemaVersion}');", tx);
            tx.Commit();
            return;
        }

        if (Scalar(_connection, "SELECT value FROM meta WHERE key='schema'") as string != SchemaVersion)
        {
            throw new AdvisoryException(AdvisoryCodes.DatabaseCorrupt, $"{Path}: advisory database schema is not version {SchemaVersion}");
        }
    }

    public SnapshotInfo Snapshot => _snapshot ??= ReadSnapshot(null);

    /// <summary>
    /// True when another connection committed since the last call (SQLite's <c>data_version</c>);
    /// the cached <see cref="Snapshot"/> is then dropped, so the next read names the new snapshot.
    /// </summary>
    public bool Refresh()
    {
        var now = DataVersion(_connection);
        if (now == _dataVersion)
        {
            return false;
        }

        _dataVersion = now;
        _snapshot = null;
        return true;
    }

    private static long DataVersion(SqliteConnection c) => Convert.ToInt64(Scalar(c, "PRAGMA data_version"), CultureInfo.InvariantCulture);

    private SnapshotInfo ReadSnapshot(SqliteTransaction? tx)
    {
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var cmd = Command("SELECT key, value FROM meta", tx))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                meta[r.GetString(0)] = r.GetString(1);
            }
        }

        int Count(string where)
        {
            using var cmd = Command("SELECT count(*) FROM records" + where, tx);
            return Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        return new SnapshotInfo
        {
            Digest = meta.GetValueOrDefault("digest") ?? DigestOf([]),
            RecordCount = Count(""),
            WithdrawnCount = Count(" WHERE withdrawn IS NOT NULL"),
            MalwareCount = Count(" WHERE malware = 1 AND withdrawn IS NULL"),
            NewestModified = meta.TryGetValue("newest_modified", out var nm) ? ParseTime(nm) : null,
            ImportedAt = meta.TryGetValue("imported_at", out var ia) ? ParseTime(ia) : null,
            Source = meta.GetValueOrDefault("source"),
        };
    }

    /// <summary>
    /// Imports records: new ids are added, a record newer (by <c>modified</c>) than the stored one
    /// replaces it, an equal or older one is skipped (a stale snapshot cannot roll the index back).
    /// Malformed records are listed and skipped; a fatal source error or a digest mismatch rolls
    /// everything back.
    /// </summary>
    public ImportResult Import(IEnumerable<OsvSourceItem> source, ImportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        options ??= new ImportOptions();
        var existing = new Dictionary<string, (DateTimeOffset Modified, string Sha)>(StringComparer.Ordinal);
        using (var cmd = Command("SELECT id, modified, sha256 FROM records", null))
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                existing[r.GetString(0)] = (ParseTime(r.GetString(1)) ?? DateTimeOffset.MinValue, r.GetString(2));
            }
        }

        int added = 0, updated = 0, unchanged = 0, stale = 0, withdrawn = 0, other = 0, rejectedCount = 0;
        var rejected = new List<RejectedRecord>();
        var severityProblems = new List<string>();
        var sourceRecords = new Dictionary<string, (DateTimeOffset Modified, string Sha)>(StringComparer.Ordinal);

        using var tx = _connection.BeginTransaction();
        using var insertRecord = Command("""
            INSERT OR REPLACE INTO records(id, modified, published, withdrawn, malware, severity_level, severity_score, severity_source, severity_vector, aliases, summary, sha256)
            VALUES ($id, $modified, $published, $withdrawn, $malware, $level, $score, $source, $vector, $aliases, $summary, $sha);
            INSERT OR REPLACE INTO record_raw(id, raw) VALUES ($id, $raw);
            """, tx);
        var pId = insertRecord.Parameters.Add("$id", SqliteType.Text);
        var pModified = insertRecord.Parameters.Add("$modified", SqliteType.Text);
        var pPublished = insertRecord.Parameters.Add("$published", SqliteType.Text);
        var pWithdrawn = insertRecord.Parameters.Add("$withdrawn", SqliteType.Text);
        var pMalware = insertRecord.Parameters.Add("$malware", SqliteType.Integer);
        var pLevel = insertRecord.Parameters.Add("$level", SqliteType.Integer);
        var pScore = insertRecord.Parameters.Add("$score", SqliteType.Real);
        var pSource = insertRecord.Parameters.Add("$source", SqliteType.Integer);
        var pVector = insertRecord.Parameters.Add("$vector", SqliteType.Text);
        var pAliases = insertRecord.Parameters.Add("$aliases", SqliteType.Text);
        var pSummary = insertRecord.Parameters.Add("$summary", SqliteType.Text);
        var pSha = insertRecord.Parameters.Add("$sha", SqliteType.Text);
        var pRaw = insertRecord.Parameters.Add("$raw", SqliteType.Blob);
        using var deleteAffected = Command("DELETE FROM affected WHERE record_id = $id", tx);
        var dId = deleteAffected.Parameters.Add("$id", SqliteType.Text);
        using var insertAffected = Command("INSERT OR REPLACE INTO affected(record_id, package, seq, ranges, versions) VALUES ($id, $package, $seq, $ranges, $versions)", tx);
        var aId = insertAffected.Parameters.Add("$id", SqliteType.Text);
        var aPackage = insertAffected.Parameters.Add("$package", SqliteType.Text);
        var aRanges = insertAffected.Parameters.Add("$ranges", SqliteType.Text);
        var aVersions = insertAffected.Parameters.Add("$versions", SqliteType.Text);
        var aSeq = insertAffected.Parameters.Add("$seq", SqliteType.Integer);

        foreach (var item in source)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (item.Bytes is null)
            {
                Reject(item.Origin, null, [item.Error ?? "unreadable"]);
                continue;
            }

            var parsed = OsvParser.Parse(item.Bytes);
            if (parsed.Record is not { } record)
            {
                Reject(item.Origin, parsed.Id, parsed.Errors);
                continue;
            }

            if (record.Affected.Count == 0)
            {
                other++;
                continue;
            }

            var sha = Convert.ToHexStringLower(SHA256.HashData(item.Bytes));
            if (!sourceRecords.TryGetValue(record.Id, out var seen) || record.Modified > seen.Modified)
            {
                sourceRecords[record.Id] = (record.Modified, sha);
            }

            if (existing.TryGetValue(record.Id, out var stored))
            {
                if (record.Modified < stored.Modified)
                {
                    stale++;
                    continue;
                }

                if (record.Modified == stored.Modified)
                {
                    unchanged++;
                    continue;
                }

                updated++;
            }
            else
            {
                added++;
            }

            existing[record.Id] = (record.Modified, sha);
            if (record.Withdrawn is not null)
            {
                withdrawn++;
            }

            var severity = AdvisorySeverity.Of(record);
            foreach (var problem in severity.Problems)
            {
                if (severityProblems.Count < 100)
                {
                    severityProblems.Add($"{record.Id}: {problem}");
                }
            }

            pId.Value = record.Id;
            pModified.Value = FormatTime(record.Modified);
            pPublished.Value = record.Published is { } p ? FormatTime(p) : DBNull.Value;
            pWithdrawn.Value = record.Withdrawn is { } w ? FormatTime(w) : DBNull.Value;
            pMalware.Value = record.IsMalware ? 1 : 0;
            pLevel.Value = (int)severity.Level;
            pScore.Value = severity.Score is { } s ? s : DBNull.Value;
            pSource.Value = (int)severity.Source;
            pVector.Value = (object?)severity.Vector ?? DBNull.Value;
            pAliases.Value = string.Join('\n', record.Aliases);
            pSummary.Value = (object?)record.Summary ?? DBNull.Value;
            pSha.Value = sha;
            pRaw.Value = item.Bytes;
            insertRecord.ExecuteNonQuery();
            dId.Value = record.Id;
            deleteAffected.ExecuteNonQuery();

            // A withdrawn record keeps its row (and raw bytes, for export) but no ranges: it can never match.
            var seq = 0;
            foreach (var a in record.Withdrawn is null ? record.Affected : [])
            {
                aSeq.Value = seq++;
                aId.Value = record.Id;
                aPackage.Value = a.Package;
                aRanges.Value = CompactRanges.Encode(a.Ranges);
                aVersions.Value = string.Join(',', a.Versions.Select(v => v.Version));
                insertAffected.ExecuteNonQuery();
            }
        }

        var sourceDigest = DigestOf(sourceRecords.Select(kv => (kv.Key, kv.Value.Sha)));
        if (options.ExpectDigest is { } expected && !string.Equals(expected.Trim(), sourceDigest, StringComparison.OrdinalIgnoreCase))
        {
            tx.Rollback();
            return new ImportResult
            {
                SourceDigest = sourceDigest,
                Snapshot = Snapshot,
                Rejected = rejected,
                RejectedCount = rejectedCount,
                ErrorCode = AdvisoryCodes.DigestMismatch,
                Error = $"the source's records digest to {sourceDigest}, not the expected {expected.Trim()}; nothing was imported",
            };
        }

        var digest = DigestOf(existing.Select(kv => (kv.Key, kv.Value.Sha)));
        var newest = existing.Count == 0 ? (DateTimeOffset?)null : existing.Values.Max(v => v.Modified);
        SetMeta("digest", digest, tx);
        SetMeta("imported_at", FormatTime(_time.GetUtcNow()), tx);
        if (newest is { } n)
        {
            SetMeta("newest_modified", FormatTime(n), tx);
        }

        if (options.SourceLabel is { } label)
        {
            SetMeta("source", label, tx);
        }

        tx.Commit();
        _snapshot = null;
        return new ImportResult
        {
            Added = added,
            Updated = updated,
            Unchanged = unchanged,
            Stale = stale,
            Withdrawn = withdrawn,
            OtherEcosystem = other,
            Rejected = rejected,
            RejectedCount = rejectedCount,
            SeverityProblems = severityProblems,
            SourceDigest = sourceDigest,
            Snapshot = Snapshot,
        };

        void Reject(string origin, string? id, IReadOnlyList<string> errors)
        {
            rejectedCount++;
            if (rejected.Count < 100)
            {
                rejected.Add(new(origin, id, errors));
            }
        }
    }

    /// <summary>
    /// Writes every stored record (withdrawn ones too, so the importer learns of withdrawals) as
    /// <c>&lt;id&gt;.json</c> into a zip, plus a manifest; atomically (temporary file, then rename).
    /// </summary>
    public SnapshotInfo Export(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var snapshot = Snapshot;
        AtomicFile.Write(path, file =>
        {
            using (var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true))
            {
                using (var cmd = Command("SELECT id, raw FROM record_raw ORDER BY id", null))
                using (var r = cmd.ExecuteReader())
                {
                    while (r.Read())
                    {
                        var entry = zip.CreateEntry(r.GetString(0) + ".json", CompressionLevel.Optimal);
                        entry.LastWriteTime = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
                        using var s = entry.Open();
                        using var blob = r.GetStream(1);
                        blob.CopyTo(s);
                    }
                }

                var manifest = zip.CreateEntry(OsvSource.ManifestEntry);
                using var m = manifest.Open();
                JsonSerializer.Serialize(m, new Dictionary<string, object?>
                {
                    ["format"] = ExportFormat,
                    ["digest"] = snapshot.Digest,
                    ["records"] = snapshot.RecordCount,
                    ["newestModified"] = snapshot.NewestModified is { } nm ? FormatTime(nm) : null,
                    ["exportedAt"] = FormatTime(_time.GetUtcNow()),
                });
            }
        });

        return snapshot;
    }

    public IReadOnlyList<AdvisoryMatch> Lookup(string package, SemVersion version)
    {
        ArgumentNullException.ThrowIfNull(package);
        ArgumentNullException.ThrowIfNull(version);
        return LookupMany([new PackageRef(package, version)])[0];
    }

    /// <summary>
    /// Matches many package versions with two queries in all (every affected row of the distinct names,
    /// then the metadata of the matched records): a lockfile is one batch, not a query per package.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<AdvisoryMatch>> LookupMany(IReadOnlyList<PackageRef> packages)
    {
        ArgumentNullException.ThrowIfNull(packages);
        var rowsByPackage = new Dictionary<string, List<(string Id, string Ranges, string Versions)>>(StringComparer.Ordinal);
        var names = packages.Select(p => p.Name).Distinct(StringComparer.Ordinal).ToList();
        using (var cmd = Command("SELECT package, record_id, ranges, versions FROM affected WHERE package IN (SELECT value FROM json_each($names))", null))
        {
            cmd.Parameters.AddWithValue("$names", JsonSerializer.Serialize(names));
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var package = r.GetString(0);
                if (!rowsByPackage.TryGetValue(package, out var list))
                {
                    rowsByPackage[package] = list = [];
                }

                list.Add((r.GetString(1), r.GetString(2), r.GetString(3)));
            }
        }

        var decoded = new Dictionary<(string Package, int Row), OsvAffected>();
        var perItem = new List<(List<string> Ids, Dictionary<string, SemVersion> FixedIn)>(packages.Count);
        var allIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in packages)
        {
            var ids = new List<string>();
            var fixedIn = new Dictionary<string, SemVersion>(StringComparer.Ordinal);
            if (rowsByPackage.TryGetValue(item.Name, out var rows))
            {
                for (var i = 0; i < rows.Count; i++)
                {
                    var (id, ranges, versions) = rows[i];
                    if (!decoded.TryGetValue((item.Name, i), out var affected))
                    {
                        affected = new OsvAffected { Package = item.Name, Ranges = CompactRanges.Decode(ranges, id), Versions = CompactRanges.DecodeVersions(versions, id) };
                        decoded[(item.Name, i)] = affected;
                    }

                    if (OsvMatcher.Affects(affected, item.Version))
                    {
                        if (!ids.Contains(id))
                        {
                            ids.Add(id);
                        }

                        if (OsvMatcher.FirstFixedAfter(affected, item.Version) is { } f && (!fixedIn.TryGetValue(id, out var had) || f.CompareTo(had) < 0))
                        {
                            fixedIn[id] = f;
                        }
                    }
                }
            }

            allIds.UnionWith(ids);
            perItem.Add((ids, fixedIn));
        }

        var records = new Dictionary<string, StoredRecord>(StringComparer.Ordinal);
        if (allIds.Count > 0)
        {
            using var cmd = Command("SELECT id, modified, malware, severity_level, severity_score, severity_source, severity_vector, aliases, summary FROM records WHERE id IN (SELECT value FROM json_each($ids))", null);
            cmd.Parameters.AddWithValue("$ids", JsonSerializer.Serialize(allIds));
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                records[r.GetString(0)] = new StoredRecord(
                    r.GetString(0),
                    ParseTime(r.GetString(1)) ?? DateTimeOffset.MinValue,
                    r.GetInt64(2) == 1,
                    new AdvisorySeverity((SeverityLevel)r.GetInt32(3), r.IsDBNull(4) ? null : r.GetDouble(4), (SeveritySource)r.GetInt32(5), r.IsDBNull(6) ? null : r.GetString(6)),
                    r.GetString(7).Length == 0 ? [] : r.GetString(7).Split('\n'),
                    r.IsDBNull(8) ? null : r.GetString(8));
            }
        }

        var result = new IReadOnlyList<AdvisoryMatch>[packages.Count];
        for (var i = 0; i < packages.Count; i++)
        {
            var (ids, fixedIn) = perItem[i];
            result[i] = ids.Count == 0
                ? []
                : AliasMerger.Merge(ids.Where(records.ContainsKey).Select(id => records[id] with { FixedIn = fixedIn.GetValueOrDefault(id) }).ToList(), packages[i].Name, packages[i].Version);
        }

        return result;
    }

    /// <summary>The stored raw bytes of one record (for `db query --json` consumers that want the source), or null.</summary>
    public byte[]? RawRecord(string id)
    {
        using var cmd = Command("SELECT raw FROM record_raw WHERE id = $id", null);
        cmd.Parameters.AddWithValue("$id", id);
        return cmd.ExecuteScalar() as byte[];
    }

    internal static string DigestOf(IEnumerable<(string Id, string Sha)> records)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (id, sha) in records.OrderBy(r => r.Id, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes($"{id}\t{sha}\n"));
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private void SetMeta(string key, string value, SqliteTransaction tx)
    {
        using var cmd = Command("INSERT OR REPLACE INTO meta(key, value) VALUES ($k, $v)", tx);
        cmd.Parameters.AddWithValue("$k", key);
        cmd.Parameters.AddWithValue("$v", value);
        cmd.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, SqliteTransaction? tx)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    private static void Exec(SqliteConnection c, string sql, SqliteTransaction? tx = null)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    internal static string FormatTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    private static DateTimeOffset? ParseTime(string s) =>
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

    public void Dispose() => _connection.Dispose();
}

internal sealed record StoredRecord(string Id, DateTimeOffset Modified, bool IsMalware, AdvisorySeverity Severity, IReadOnlyList<string> Aliases, string? Summary, SemVersion? FixedIn = null);
