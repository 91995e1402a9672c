using System.Collections.Concurrent;

namespace Vouch.Npm.Tests.Infrastructure;

/// <summary>
/// A clock fixed at <see cref="Now"/> whose short timers (backoff, Retry-After) fire at once while
/// recording the delay that was asked for; long timers (attempt timeouts) run for real.
/// </summary>
internal sealed class RecordingTimeProvider : TimeProvider
{
    private static readonly TimeSpan ShortTimer = TimeSpan.FromSeconds(50);

    public DateTimeOffset Now { get; set; } = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public ConcurrentQueue<TimeSpan> Delays { get; } = new();

    public override DateTimeOffset GetUtcNow() => Now;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new Timer(this, System.CreateTimer(callback, state, Map(dueTime), period));

    private TimeSpan Map(TimeSpan dueTime)
    {
        if (dueTime == Timeout.InfiniteTimeSpan || dueTime > ShortTimer)
        {
            return dueTime;
        }

        Delays.Enqueue(dueTime);
        return TimeSpan.Zero;
    }

    private sealed class Timer(RecordingTimeProvider owner, ITimer inner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(owner.Map(dueTime), period);

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
