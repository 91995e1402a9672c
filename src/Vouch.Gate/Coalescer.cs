using System.Collections.Concurrent;

namespace Vouch.Gate;

/// <summary>Concurrent callers asking for the same key share one running task (one upstream request, one verification).</summary>
internal sealed class Coalescer<T>
{
    private readonly ConcurrentDictionary<string, Lazy<Task<T>>> _inflight = new(StringComparer.Ordinal);

    public bool IsRunning(string key) => _inflight.ContainsKey(key);

    public Task<T> RunAsync(string key, Func<Task<T>> start)
    {
        var lazy = _inflight.GetOrAdd(key, k => new Lazy<Task<T>>(async () =>
        {
            try
            {
                return await start().ConfigureAwait(false);
            }
            finally
            {
                _inflight.TryRemove(key, out _);
            }
        }));
        return lazy.Value;
    }
}
