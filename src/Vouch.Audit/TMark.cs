namespace Vouch.Audit;
public static class TMark
{
    public static long[] A = new long[8];
    public static long B() => GC.GetAllocatedBytesForCurrentThread();
    public static void Add(int i, long start) => Interlocked.Add(ref A[i], GC.GetAllocatedBytesForCurrentThread() - start);
    public static void P() => Console.Error.WriteLine($"A tryread {A[0]/1e6:F1} topack {A[1]/1e6:F1} judge {A[2]/1e6:F1} slsa {A[3]/1e6:F1} emit {A[4]/1e6:F1} name {A[5]/1e6:F1}");
    private static readonly long T0 = System.Diagnostics.Stopwatch.GetTimestamp();
    public static void G() => Console.Error.WriteLine($"G alloc {GC.GetTotalAllocatedBytes()/1e6:F1} MB gc0 {GC.CollectionCount(0)} gc1 {GC.CollectionCount(1)} gc2 {GC.CollectionCount(2)} pause {GC.GetTotalPauseDuration().TotalMilliseconds} ms");
    public static void M(string s) => Console.Error.WriteLine($"M {System.Diagnostics.Stopwatch.GetElapsedTime(T0).TotalMilliseconds,7:F1} [{Environment.CurrentManagedThreadId}] {s}");
}
