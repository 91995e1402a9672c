using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Vouch.Audit;

/// <summary>The stages an audit's time is split into (<c>vouch audit --profile</c>).</summary>
public enum AuditStage
{
    /// <summary>Reading and parsing the lockfile(s).</summary>
    Lockfile,

    /// <summary>Trust material, registry keys, services.</summary>
    Setup,

    /// <summary>Reading and opening cache entries.</summary>
    CacheRead,

    /// <summary>Packument and attestation requests, including parsing the responses (the registry client does both).</summary>
    Fetch,

    /// <summary>Signature and attestation verification.</summary>
    Verify,

    /// <summary>Policy evaluation.</summary>
    Policy,

    /// <summary>Writing cache entries.</summary>
    CacheWrite,

    /// <summary>Formatting and writing the report.</summary>
    Render,
}

/// <summary>
/// Time per stage, summed over the concurrent workers (so stages that overlap can add up to more
/// than the wall time; the wall time is printed beside them). Thread-safe; costs two timestamp reads
/// per measured call.
/// </summary>
public sealed class AuditProfile
{
    private readonly long[] _ticks = new long[Enum.GetValues<AuditStage>().Length];
    private readonly long[] _counts = new long[Enum.GetValues<AuditStage>().Length];
    private readonly long _start = Stopwatch.GetTimestamp();

    public void Add(AuditStage stage, long startTimestamp)
    {
        Interlocked.Add(ref _ticks[(int)stage], Stopwatch.GetTimestamp() - startTimestamp);
        Interlocked.Increment(ref _counts[(int)stage]);
    }

    public TimeSpan Total(AuditStage stage) => Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks[(int)stage]));

    public long Count(AuditStage stage) => Interlocked.Read(ref _counts[(int)stage]);

    /// <summary>One line per stage (milliseconds summed over workers, and calls), then the wall time since the profile started.</summary>
    public string Format()
    {
        var text = new StringBuilder("profile (ms summed over concurrent workers; calls):\n");
        foreach (var stage in Enum.GetValues<AuditStage>())
        {
            text.Append(CultureInfo.InvariantCulture, $"  {Name(stage),-12} {Total(stage).TotalMilliseconds,10:F1} {Count(stage),8}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"  {"wall",-12} {Stopwatch.GetElapsedTime(_start).TotalMilliseconds,10:F1}\n");
        return text.ToString();
    }

    private static string Name(AuditStage stage) => stage switch
    {
        AuditStage.CacheRead => "cache-read",
        AuditStage.CacheWrite => "cache-write",
        _ => stage.ToString().ToLowerInvariant(),
    };
}

/// <summary>Measures one stage of an optional profile: <c>using (profile.Measure(AuditStage.Fetch)) { ... }</c>.</summary>
public static class AuditProfileExtensions
{
    public static Measurement Measure(this AuditProfile? profile, AuditStage stage) => new(profile, stage, profile is null ? 0 : Stopwatch.GetTimestamp());

    public readonly struct Measurement(AuditProfile? profile, AuditStage stage, long start) : IDisposable
    {
        public void Dispose() => profile?.Add(stage, start);
    }
}
