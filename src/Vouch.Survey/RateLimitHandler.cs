namespace Vouch.Survey;

/// <summary>
/// Spaces outgoing requests at most <c>rate</c> per second (`--rate`), whatever the concurrency: a
/// polite client for the public registry. Each request takes the next free slot; waiting uses the
/// injected clock.
/// </summary>
public sealed class RateLimitHandler : DelegatingHandler
{
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private long _nextSlot;

    public RateLimitHandler(HttpMessageHandler inner, double requestsPerSecond, TimeProvider time)
        : base(inner)
    {
        if (double.IsNaN(requestsPerSecond) || requestsPerSecond <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(requestsPerSecond), requestsPerSecond, "a rate is a positive number of requests per second");
        }

        _interval = TimeSpan.FromSeconds(1 / requestsPerSecond);
        _time = time;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var wait = Reserve();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    internal TimeSpan Reserve()
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            var slot = Math.Max(now, _nextSlot);
            _nextSlot = slot + (long)(_interval.TotalSeconds * _time.TimestampFrequency);
            return _time.GetElapsedTime(now, slot);
        }
    }
}
