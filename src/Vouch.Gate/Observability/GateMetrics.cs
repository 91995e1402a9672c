using System.Diagnostics;
using System.Diagnostics.Metrics;
using Vouch.Gate.Api;
using Vouch.Gate.Upstream;

namespace Vouch.Gate.Observability;

/// <summary>
/// The gate's metrics (issue 19), as OpenTelemetry instruments on one <see cref="Meter"/>; the
/// Prometheus exporter serves them at <c>/-/vouch/metrics</c> (<see cref="ScrapePath"/>). Labels are
/// fixed strings (route kinds, status codes, rule names from the policy, upstream names from the
/// configuration), never client text, so a client cannot grow the number of series. Per request the
/// hot path adds to two counters with pre-built tags: no allocation, no lock.
/// </summary>
internal sealed class GateMetrics : IDisposable
{
    /// <summary>Not <c>/metrics</c>: that is a valid npm package name the gate must keep serving.</summary>
    public const string ScrapePath = "/-/vouch/metrics";

    public const string DefaultMeterName = "Vouch.Gate";

    private static readonly string[] RouteNames = Enum.GetNames<RouteKind>().Select(n => n.ToLowerInvariant()).ToArray();
    private static readonly string[] StatusNames = Enumerable.Range(0, 600).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    // Seconds: a cached answer is well under a millisecond, a cold verification a few seconds.
    private static readonly double[] LatencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private readonly Meter _meter;
    private readonly Counter<long> _requests;
    private readonly Counter<long> _bytes;
    private readonly Counter<long> _withheld;
    private readonly Counter<long> _dryRun;
    private readonly Counter<long> _verifications;
    private readonly Histogram<double> _verificationSeconds;
    private readonly Counter<long> _upstreamRequests;
    private readonly Histogram<double> _upstreamSeconds;
    private readonly Counter<long> _cache;
    private readonly Counter<long> _confusion;
    private readonly Counter<long> _webhooks;
    private long _pendingApprovals = -1;

    public GateMetrics(string meterName = DefaultMeterName)
    {
        MeterName = meterName;
        _meter = new Meter(meterName, "1.0");
        _requests = _meter.CreateCounter<long>("vouch.gate.requests", description: "HTTP requests answered, by route kind and status code");
        _bytes = _meter.CreateCounter<long>("vouch.gate.served", unit: "By", description: "Response bytes sent (declared Content-Length), by route kind");
        _withheld = _meter.CreateCounter<long>("vouch.gate.withheld", description: "Versions withheld (from packuments) or refused (tarballs), once per version, rule and action per process, by rule");
        _dryRun = _meter.CreateCounter<long>("vouch.gate.dry_run", description: "Versions a rule in mode: report would have withheld (nothing withheld), once per version and rule per process");
        _verifications = _meter.CreateCounter<long>("vouch.gate.verifications", description: "Fresh verifications of a version, by upstream and outcome (passed, failed, incomplete, error)");
        _verificationSeconds = _meter.CreateHistogram("vouch.gate.verification.duration", unit: "s", description: "Time of a fresh verification (attestations, keys, signatures)", tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _upstreamRequests = _meter.CreateCounter<long>("vouch.gate.upstream.requests", description: "Requests to an upstream, by upstream and outcome (ok, not_modified, not_found, unavailable, invalid, refused)");
        _upstreamSeconds = _meter.CreateHistogram("vouch.gate.upstream.duration", unit: "s", description: "Time of an upstream request, by upstream", tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        _cache = _meter.CreateCounter<long>("vouch.gate.cache.lookups", description: "In-memory cache lookups: packument (fresh copy) and decision (verified tarball), hit or miss");
        _confusion = _meter.CreateCounter<long>("vouch.gate.dependency_confusion", description: "Names routed to a private upstream that it did not have (refused, never looked up elsewhere), by upstream");
        _webhooks = _meter.CreateCounter<long>("vouch.gate.webhooks", description: "Webhook deliveries, by outcome (delivered, retried, failed)");
        _meter.CreateObservableGauge("vouch.gate.approvals.pending", () => Volatile.Read(ref _pendingApprovals) is var p and >= 0 ? [new Measurement<long>(p)] : Array.Empty<Measurement<long>>(), description: "Approval requests waiting for a decision (read from the database at each scrape)");
    }

    public string MeterName { get; }

    private static readonly KeyValuePair<string, object?> PackumentCache = new("cache", "packument");
    private static readonly KeyValuePair<string, object?> DecisionCache = new("cache", "decision");
    private static readonly KeyValuePair<string, object?> Hit = new("result", "hit");
    private static readonly KeyValuePair<string, object?> Miss = new("result", "miss");

    public void Request(RouteKind kind, int status, long? bytes)
    {
        var route = new KeyValuePair<string, object?>("route", RouteNames[(int)kind]);
        _requests.Add(1, route, new KeyValuePair<string, object?>("status", (uint)status < StatusNames.Length ? StatusNames[status] : "other"));
        if (bytes is > 0)
        {
            _bytes.Add(bytes.Value, route);
        }
    }

    /// <summary>A request the path parser refused (no route kind).</summary>
    public void BadPath() => _requests.Add(1, new KeyValuePair<string, object?>("route", "bad_path"), new KeyValuePair<string, object?>("status", "400"));

    public void PackumentCacheLookup(bool hit) => _cache.Add(1, PackumentCache, hit ? Hit : Miss);

    public void DecisionCacheLookup(bool hit) => _cache.Add(1, DecisionCache, hit ? Hit : Miss);

    public void Withheld(string action, string rule) => _withheld.Add(1, new KeyValuePair<string, object?>("rule", rule), new KeyValuePair<string, object?>("action", action));

    public void DryRun(string rule) => _dryRun.Add(1, new KeyValuePair<string, object?>("rule", rule));

    public void Confusion(string upstream) => _confusion.Add(1, new KeyValuePair<string, object?>("upstream", upstream));

    public void Webhook(string outcome) => _webhooks.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Verification(string upstream, string outcome, TimeSpan elapsed)
    {
        var u = new KeyValuePair<string, object?>("upstream", upstream);
        _verifications.Add(1, u, new KeyValuePair<string, object?>("outcome", outcome));
        _verificationSeconds.Record(elapsed.TotalSeconds, u);
    }

    public void Upstream(string upstream, UpstreamStatus status, TimeSpan elapsed)
    {
        var u = new KeyValuePair<string, object?>("upstream", upstream);
        _upstreamRequests.Add(1, u, new KeyValuePair<string, object?>("outcome", status switch
        {
            UpstreamStatus.Ok => "ok",
            UpstreamStatus.NotModified => "not_modified",
            UpstreamStatus.NotFound => "not_found",
            UpstreamStatus.Unavailable => "unavailable",
            UpstreamStatus.Invalid => "invalid",
            _ => "refused",
        }));
        _upstreamSeconds.Record(elapsed.TotalSeconds, u);
    }

    public void SetPendingApprovals(long count) => Volatile.Write(ref _pendingApprovals, count);

    public void Dispose() => _meter.Dispose();
}

/// <summary>The metrics of one upstream lane: the shared instruments with that lane's <c>upstream</c> label.</summary>
internal sealed class UpstreamMetrics(GateMetrics metrics, string upstream)
{
    public GateMetrics Gate => metrics;

    public string Upstream => upstream;

    public static long Start() => Stopwatch.GetTimestamp();

    public void Request(UpstreamStatus status, long started) => metrics.Upstream(upstream, status, Stopwatch.GetElapsedTime(started));

    public void Verification(string outcome, long started) => metrics.Verification(upstream, outcome, Stopwatch.GetElapsedTime(started));
}
