namespace Vouch.Watch;

/// <summary>
/// Caps on what `vouch watch` reads from others (watchlists, registries, the changes feed) and on
/// what it keeps and sends. Packument size is capped by the registry client
/// (<see cref="Vouch.Npm.Limits.MaxPackumentBytes"/>).
/// </summary>
public static class Limits
{
    /// <summary>Packages one watchlist may name (all sources together).</summary>
    public const int MaxWatchedPackages = 100_000;

    /// <summary>Largest `--packages` file.</summary>
    public const long MaxWatchlistFileBytes = 16L * 1024 * 1024;

    /// <summary>
    /// New versions of one package verified in one cycle; the rest stay new and are handled in the
    /// next cycles (a package that publishes thousands of versions at once cannot stall the others).
    /// </summary>
    public const int MaxNewVersionsPerPackagePerCycle = 64;

    /// <summary>Versions of one package whose facts the store keeps (newest first beyond this, by semver).</summary>
    public const int MaxTrackedVersionsPerPackage = 20_000;

    /// <summary>Characters of an event's detail (deprecation messages and dependency lists come from publishers).</summary>
    public const int MaxDetailChars = 2_000;

    /// <summary>Names listed in one detail (new dependencies, bins, maintainers).</summary>
    public const int MaxNamesInDetail = 50;

    /// <summary>Largest `/_changes` answer read.</summary>
    public const long MaxChangesBytes = 32L * 1024 * 1024;

    /// <summary>Rows asked for per `/_changes` request.</summary>
    public const int ChangesBatchSize = 1_000;

    /// <summary>Length of a changes-feed sequence token kept in the store (CouchDB's are opaque strings).</summary>
    public const int MaxSequenceChars = 1_024;

    /// <summary>Delivery attempts of one webhook before it is given up (kept in the store, reported as failed).</summary>
    public const int MaxWebhookAttempts = 12;

    /// <summary>First retry delay of a webhook; each failure doubles it (with jitter) up to <see cref="MaxWebhookRetryDelay"/>.</summary>
    public static readonly TimeSpan WebhookBaseDelay = TimeSpan.FromSeconds(2);

    public static readonly TimeSpan MaxWebhookRetryDelay = TimeSpan.FromMinutes(30);

    /// <summary>Time allowed for one webhook POST, response headers included; the response body is never read.</summary>
    public static readonly TimeSpan WebhookTimeout = TimeSpan.FromSeconds(15);

    /// <summary>How long a process holds a claimed delivery before another one may send it again.</summary>
    public static readonly TimeSpan WebhookLease = TimeSpan.FromMinutes(2);

    /// <summary>Events in one webhook body (events of one version always travel together).</summary>
    public const int MaxEventsPerDelivery = 100;

    /// <summary>A webhook body a receiver accepts (100 events whose details are 2,000 characters, each escaped up to six bytes a character).</summary>
    public const int MaxDeliveryBytes = 2 * 1024 * 1024;

    /// <summary>Events the SARIF file and the Markdown digest list (the most recent).</summary>
    public const int MaxReportedEvents = 10_000;

    /// <summary>Shortest `--interval` (politeness towards the registry).</summary>
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(5);

    /// <summary>Largest answer read from the gate's <c>GET /-/vouch/v1/packages</c> (`--gate`).</summary>
    public const long MaxGateAnswerBytes = 32L * 1024 * 1024;

    /// <summary>Time allowed for the gate's packages answer, body included.</summary>
    public static readonly TimeSpan GateTimeout = TimeSpan.FromSeconds(60);
}
