namespace Vouch.Watch.Storage;

/// <summary>The store could not be opened as a watch store (another kind of database, a newer schema, a broken file, a refused login).</summary>
public sealed class WatchStoreException(string message, string code = WatchCodes.StoreInvalid) : Exception(message)
{
    /// <summary><see cref="WatchCodes.StoreInvalid"/> (bad input, exit 2) or <see cref="WatchCodes.StoreUnavailable"/> (the database could not be reached, exit 3).</summary>
    public string Code => code;
}

/// <summary>How committing one package's observation ended.</summary>
public enum CommitStatus
{
    Committed,

    /// <summary>Another process (or an earlier cycle) changed the package's state first; nothing was written.</summary>
    Conflict,
}

public sealed record CommitResult(CommitStatus Status, IReadOnlyList<WatchEvent> Events);

/// <summary>One webhook delivery taken from the outbox.</summary>
public sealed record Delivery(string Id, string Body, int Attempts);

/// <summary>
/// The watch store: package state, append-only events, the webhook outbox and a few settings.
/// Two backends with one contract (tests/Vouch.Watch.Tests/WatchStoreContractTests.cs runs the same
/// tests against both): SQLite, one file (<see cref="Open"/>, the default), and PostgreSQL, in the
/// <c>vouch_watch</c> schema of a database such as the gate's (<see cref="OpenPostgres"/>).
/// <list type="bullet">
/// <item>A package's new state and its events (and their webhook deliveries) are committed in one
/// transaction, guarded by the state's revision read before the packument was fetched
/// (compare-and-swap): a restarted or second process that computed the same observation writes
/// nothing and emits nothing. Event ids are unique as a second guard.</item>
/// <item>Commits are serialised, so sequence order is commit order.</item>
/// <item>The database refuses UPDATE, DELETE (and TRUNCATE) of events, deletion of outbox rows,
/// changes to an outbox body, and changes to a finished delivery.</item>
/// </list>
/// Database failures other than those refusals surface as <see cref="System.Data.Common.DbException"/>.
/// </summary>
public abstract class WatchStore : IDisposable
{
    /// <summary>The SQLite store at <paramref name="path"/>, created if missing; another SQLite database is refused unchanged.</summary>
    public static WatchStore Open(string path) => SqliteWatchStore.Create(path);

    /// <summary>
    /// The PostgreSQL store in schema <c>vouch_watch</c> of the database <paramref name="connectionString"/>
    /// names (<c>Host=...</c> or <c>postgres://...</c>), its migrations applied first.
    /// </summary>
    public static WatchStore OpenPostgres(string connectionString) => PostgresWatchStore.Create(connectionString);

    /// <summary>What the store is, for messages: never a password.</summary>
    public abstract string Description { get; }

    /// <summary>The package's state and its revision; null when watch has never committed it.</summary>
    public abstract (long Revision, PackageState State)? ReadState(string package);

    /// <summary>
    /// Writes <paramref name="next"/> and the events not yet in the store, in one transaction, if
    /// the package's revision is still <paramref name="expectedRevision"/> (null: no state yet).
    /// With <paramref name="outbox"/>, each version's events become one webhook delivery in the same
    /// transaction. Returns the events written, with their sequence numbers.
    /// </summary>
    public abstract CommitResult Commit(string package, long? expectedRevision, PackageState next, IReadOnlyList<WatchEvent> events, bool outbox, DateTimeOffset now);

    public abstract string? GetMeta(string key);

    public abstract void SetMeta(string key, string value);

    /// <summary>
    /// Claims up to <paramref name="max"/> due deliveries for <see cref="Limits.WebhookLease"/>, oldest
    /// first: a second process sees them as taken until the lease ends (then one of them sends again;
    /// the receiver deduplicates on the ids).
    /// </summary>
    public abstract IReadOnlyList<Delivery> ClaimDue(DateTimeOffset now, int max);

    public abstract void MarkDelivered(string id, DateTimeOffset now);

    public abstract void ReleaseLease(string id);

    public abstract void MarkFailed(string id, string error, DateTimeOffset nextAttempt, bool giveUp, DateTimeOffset now);

    /// <summary>Deliveries neither delivered nor given up.</summary>
    public abstract int PendingDeliveries();

    /// <summary>The earliest time a pending delivery is due (null when none is pending).</summary>
    public abstract DateTimeOffset? NextDeliveryDue();

    /// <summary>Events after <paramref name="afterSequence"/>, oldest first, at most <paramref name="max"/>.</summary>
    public abstract IReadOnlyList<WatchEvent> ReadEvents(long afterSequence, int max);

    /// <summary>For tests and tamper checks: runs one statement on a fresh connection.</summary>
    internal abstract void ExecuteRaw(string sql);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>Publisher text (an error message from a receiver, say) is capped before it is stored.</summary>
    protected static string Cap(string text) => text.Length > Limits.MaxDetailChars ? text[..Limits.MaxDetailChars] : text;
}
