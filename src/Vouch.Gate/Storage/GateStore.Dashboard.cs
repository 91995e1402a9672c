using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace Vouch.Gate.Storage;

/// <summary>What the gate has seen about one version, for the dashboard's search (issue 19).</summary>
/// <param name="Status"><c>served</c>, <c>withheld</c>, <c>pending</c> or <c>approved</c>.</param>
public sealed record SeenVersion(string Name, string Version, string? Rule, string Status, DateTimeOffset At);

/// <summary>Filters of the dashboard's search; every value already validated by the caller, every one sent as a parameter.</summary>
public sealed record SeenFilter(string? Package = null, string? Rule = null, string? Status = null);

/// <summary>Filters of the audit log page and its export; <see cref="To"/> is exclusive.</summary>
public sealed record AuditFilter(string? Actor = null, string? Action = null, string? Package = null, DateTimeOffset? From = null, DateTimeOffset? To = null);

/// <summary>Counts over everything the gate has recorded, for the summary page.</summary>
public sealed record GateSummary(long Served, IReadOnlyList<(string Rule, long Count)> WithheldByRule, long Pending, IReadOnlyList<string> EvidenceReports, bool EvidenceCapped);

/// <summary>
/// Issue 19: the dashboard's read-only queries (search, audit log, summary, digest). The WHERE
/// clauses are assembled from fixed fragments only; every value a client sent is a parameter. The
/// same SQL runs on SQLite and PostgreSQL (text timestamps, LIKE with an explicit escape character,
/// lower() for case-insensitive matching since PostgreSQL's LIKE is case-sensitive).
/// </summary>
public sealed partial class GateStore
{
    /// <summary>Statuses of <see cref="SeenVersion"/>.</summary>
    public static readonly IReadOnlyList<string> SeenStatuses = ["served", "withheld", "pending", "approved"];

    // A version is "served" when this gate verified its tarball and either never withheld it or an
    // approver granted an exception for it; "withheld" once per (version, rule) the gate withheld or
    // refused; approvals pending or granted ("approved") with their rule.
    private const string SeenUnion =
        "SELECT name, version, rule, status, at FROM (" +
        "SELECT name, version, rule, 'withheld' AS status, MAX(at) AS at FROM audit_log WHERE action IN ('withheld', 'refused') AND name IS NOT NULL AND version IS NOT NULL GROUP BY name, version, rule " +
        "UNION ALL SELECT name, version, rule, CASE status WHEN 'granted' THEN 'approved' ELSE status END AS status, COALESCE(decided_at, requested_at) AS at FROM approvals WHERE status IN ('pending', 'granted') " +
        "UNION ALL SELECT e.name, e.version, CAST(NULL AS TEXT) AS rule, 'served' AS status, MAX(e.verified_at) AS at FROM evidence e WHERE e.state = 'complete' " +
        "AND (NOT EXISTS (SELECT 1 FROM audit_log w WHERE w.action IN ('withheld', 'refused') AND w.name = e.name AND w.version = e.version) " +
        "OR EXISTS (SELECT 1 FROM approvals g WHERE g.status = 'granted' AND g.name = e.name AND g.version = e.version)) GROUP BY e.name, e.version" +
        ") seen";

    /// <summary>One page of what the gate has seen, newest first; <paramref name="limit"/> + 1 rows are read so the caller knows whether a next page exists.</summary>
    public async Task<IReadOnlyList<SeenVersion>> SearchSeenAsync(SeenFilter filter, int offset, int limit, CancellationToken ct = default)
    {
        var where = new List<string>();
        var args = new List<(string, object?)>();
        if (filter.Package is { Length: > 0 } p)
        {
            where.Add("lower(name) LIKE @q ESCAPE '\\'");
            args.Add(("q", "%" + EscapeLike(p.ToLowerInvariant()) + "%"));
        }

        if (filter.Rule is { Length: > 0 } r)
        {
            where.Add("rule = @r");
            args.Add(("r", r));
        }

        if (filter.Status is { Length: > 0 } s)
        {
            where.Add("status = @s");
            args.Add(("s", s));
        }

        args.Add(("l", limit + 1));
        args.Add(("o", offset));
        var sql = SeenUnion + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY at DESC, name, version, status, rule LIMIT @l OFFSET @o";
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, sql, [.. args]);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<SeenVersion>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new SeenVersion(reader.GetString(0), reader.GetString(1), Str(reader, 2), reader.GetString(3), Parse(reader.GetString(4))));
        }

        return list;
    }

    /// <summary>One page of the audit log under <paramref name="filter"/>, newest first (limit + 1 rows read).</summary>
    public async Task<IReadOnlyList<AuditEntry>> SearchAuditAsync(AuditFilter filter, int offset, int limit, CancellationToken ct = default)
    {
        var (where, args) = AuditWhere(filter);
        args.Add(("l", limit + 1));
        args.Add(("o", offset));
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return await ReadAuditAsync(c, AuditSelect + where + " ORDER BY id DESC LIMIT @l OFFSET @o", args, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The audit log under <paramref name="filter"/> after id <paramref name="afterId"/>, oldest first,
    /// at most <paramref name="max"/> rows, read in chunks on a fresh connection each: a slow reader of
    /// an export holds no connection (and no SQLite read snapshot) while it is being written to.
    /// </summary>
    public async IAsyncEnumerable<AuditEntry> StreamAuditAsync(AuditFilter filter, long afterId, int max, [EnumeratorCancellation] CancellationToken ct = default)
    {
        const int Chunk = 500;
        var sent = 0;
        var after = afterId;
        while (sent < max)
        {
            var (where, args) = AuditWhere(filter);
            where += (where.Length == 0 ? " WHERE " : " AND ") + "id > @after";
            args.Add(("after", after));
            args.Add(("l", Math.Min(Chunk, max - sent)));
            IReadOnlyList<AuditEntry> rows;
            await using (var c = await OpenConnectionAsync(ct).ConfigureAwait(false))
            {
                rows = await ReadAuditAsync(c, AuditSelect + where + " ORDER BY id LIMIT @l", args, ct).ConfigureAwait(false);
            }

            foreach (var row in rows)
            {
                yield return row;
                after = row.Id;
                sent++;
            }

            if (rows.Count < Chunk)
            {
                yield break;
            }
        }
    }

    /// <summary>Whether the audit log holds a row under <paramref name="filter"/> after <paramref name="afterId"/> (an export cut at its cap says so).</summary>
    public async Task<bool> AuditHasMoreAsync(AuditFilter filter, long afterId, CancellationToken ct = default)
    {
        var (where, args) = AuditWhere(filter);
        where += (where.Length == 0 ? " WHERE " : " AND ") + "id > @after";
        args.Add(("after", afterId));
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT 1 FROM audit_log" + where + " LIMIT 1", [.. args]);
        return await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) is not (null or DBNull);
    }

    /// <summary>Audit rows with one of <paramref name="actions"/> in [<paramref name="since"/>, <paramref name="until"/>), oldest first, at most <paramref name="limit"/> + 1.</summary>
    public async Task<IReadOnlyList<AuditEntry>> AuditActionsAsync(IReadOnlyList<string> actions, DateTimeOffset since, DateTimeOffset until, int limit, CancellationToken ct = default)
    {
        var args = new List<(string, object?)> { ("f", Format(since)), ("t", Format(until)), ("l", limit + 1) };
        var names = new List<string>();
        for (var i = 0; i < actions.Count; i++)
        {
            names.Add("@a" + i.ToString(CultureInfo.InvariantCulture));
            args.Add(("a" + i.ToString(CultureInfo.InvariantCulture), actions[i]));
        }

        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        return await ReadAuditAsync(c, AuditSelect + " WHERE at >= @f AND at < @t AND action IN (" + string.Join(", ", names) + ") ORDER BY id LIMIT @l", args, ct).ConfigureAwait(false);
    }

    /// <summary>Pending approvals now.</summary>
    public async Task<long> CountPendingAsync(CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT COUNT(*) FROM approvals WHERE status = 'pending'");
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The summary's counts. Evidence reports are returned (one per version, at most
    /// <paramref name="maxReports"/>) for the caller to read the tier from: the two databases' JSON
    /// functions differ, and the report is the gate's own document.
    /// </summary>
    public async Task<GateSummary> SummaryAsync(int maxReports, CancellationToken ct = default)
    {
        await using var c = await OpenConnectionAsync(ct).ConfigureAwait(false);
        long served;
        await using (var cmd = Command(c, null, "SELECT COUNT(*) FROM (" + SeenUnion + " WHERE status = 'served') s"))
        {
            served = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }

        var byRule = new List<(string, long)>();
        await using (var cmd = Command(c, null,
            "SELECT rule, COUNT(*) AS n FROM (SELECT DISTINCT name, version, rule FROM audit_log WHERE action IN ('withheld', 'refused') AND rule IS NOT NULL AND name IS NOT NULL) w GROUP BY rule ORDER BY n DESC, rule LIMIT 50"))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                byRule.Add((r.GetString(0), Convert.ToInt64(r.GetValue(1), CultureInfo.InvariantCulture)));
            }
        }

        long pending;
        await using (var cmd = Command(c, null, "SELECT COUNT(*) FROM approvals WHERE status = 'pending'"))
        {
            pending = Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture);
        }

        // One report per version (a version verified under two trust materials counts once): the newest.
        var reports = new List<string>();
        string? lastName = null, lastVersion = null;
        var capped = false;
        await using (var cmd = Command(c, null, "SELECT name, version, report FROM evidence WHERE state = 'complete' ORDER BY name, version, verified_at DESC LIMIT @l", ("l", maxReports * 2 + 1)))
        await using (var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            var rows = 0;
            while (await r.ReadAsync(ct).ConfigureAwait(false))
            {
                rows++;
                var (n, v) = (r.GetString(0), r.GetString(1));
                if (n == lastName && v == lastVersion)
                {
                    continue;
                }

                if (reports.Count == maxReports)
                {
                    capped = true;
                    break;
                }

                (lastName, lastVersion) = (n, v);
                reports.Add(r.GetString(2));
            }

            capped |= rows > maxReports * 2;
        }

        return new GateSummary(served, byRule, pending, reports, capped);
    }

    private const string AuditSelect = "SELECT id, at, actor, action, approval_id, name, version, rule, reason, expires_at FROM audit_log";

    private static (string Where, List<(string, object?)> Args) AuditWhere(AuditFilter f)
    {
        var where = new List<string>();
        var args = new List<(string, object?)>();
        if (f.Actor is { Length: > 0 } actor)
        {
            where.Add("actor = @actor");
            args.Add(("actor", actor));
        }

        if (f.Action is { Length: > 0 } action)
        {
            where.Add("action = @action");
            args.Add(("action", action));
        }

        if (f.Package is { Length: > 0 } p)
        {
            where.Add("lower(name) LIKE @q ESCAPE '\\'");
            args.Add(("q", "%" + EscapeLike(p.ToLowerInvariant()) + "%"));
        }

        if (f.From is { } from)
        {
            where.Add("at >= @from");
            args.Add(("from", Format(from)));
        }

        if (f.To is { } to)
        {
            where.Add("at < @to");
            args.Add(("to", Format(to)));
        }

        return (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "", args);
    }

    private static async Task<IReadOnlyList<AuditEntry>> ReadAuditAsync(DbConnection c, string sql, List<(string, object?)> args, CancellationToken ct)
    {
        await using var cmd = Command(c, null, sql, [.. args]);
        await using var r = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<AuditEntry>();
        while (await r.ReadAsync(ct).ConfigureAwait(false))
        {
            list.Add(new AuditEntry(r.GetInt64(0), Parse(r.GetString(1)), r.GetString(2), r.GetString(3), r.IsDBNull(4) ? null : r.GetInt64(4), Str(r, 5), Str(r, 6), Str(r, 7), Str(r, 8), r.IsDBNull(9) ? null : Parse(r.GetString(9))));
        }

        return list;
    }

    // '%', '_' and the escape character itself match literally: a search for "a_b" is not a wildcard.
    private static string EscapeLike(string s)
    {
        var b = new StringBuilder(s.Length + 8);
        foreach (var ch in s)
        {
            if (ch is '%' or '_' or '\\')
            {
                b.Append('\\');
            }

            b.Append(ch);
        }

        return b.ToString();
    }
}
