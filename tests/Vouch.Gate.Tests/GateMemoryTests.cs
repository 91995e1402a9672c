using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Vouch.Gate.Packuments;

namespace Vouch.Gate.Tests;

/// <summary>
/// Memory bounds measured with process-wide counters (GC heap, RSS). Other test classes running in
/// parallel would be counted too, so this collection runs alone.
/// </summary>
[Collection(MemoryMeasurement.Name)]
public sealed class GateMemoryTests
{
    [Fact]
    public async Task Gate_WhenAThousandDistinctPackumentsAreAsked_KeepsCacheAndHeapBounded()
    {
        // Scale with VOUCH_GATE_RSS_PACKUMENT_KB (bench/gate-cache-rss.sh runs it with 5 MiB packuments).
        var kb = int.TryParse(Environment.GetEnvironmentVariable("VOUCH_GATE_RSS_PACKUMENT_KB"), out var k) ? k : 64;
        // The bound must hold several entries, or nothing is admitted and nothing is evicted.
        var cap = Math.Max(8L * 1024 * 1024, 16L * kb * 1024);
        await using var gate = await GateFixture.StartAsync(u => u.GeneratedPackumentBytes = kb * 1024, o => o with { PackumentCacheBytes = cap });
        var cache = gate.Host.Services.GetRequiredService<PackumentCache>();

        // The first requests fill the cache and the runtime's pools (ArrayPool, Kestrel's and
        // SocketsHttpHandler's buffers, JIT); a leak shows as growth after that plateau, in
        // proportion to the number of distinct packuments, which is what is asserted.
        const int warm = 200;
        var start = GC.GetTotalMemory(forceFullCollection: true);
        long plateau = 0;
        for (var i = 0; i < 1000; i++)
        {
            if (i == warm)
            {
                plateau = GC.GetTotalMemory(forceFullCollection: true);
            }

            using var response = await gate.SendAsync(HttpMethod.Get, $"big-{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.InRange(cache.Bytes, 0, cap);
        }

        var end = GC.GetTotalMemory(forceFullCollection: true);
        var rss = System.Diagnostics.Process.GetCurrentProcess().WorkingSet64;
        Console.WriteLine($"gate cache: {cache.Count} packuments, {cache.Bytes} accounted bytes (cap {cap}), {cache.Evictions} evicted; managed heap {start / 1048576} -> {plateau / 1048576} (after {warm}) -> {end / 1048576} MiB (after 1000); RSS {rss / 1048576} MiB; packument {kb} KiB");
        Assert.True(cache.Evictions > 0);
        // 800 more distinct packuments of kb KiB each would add 800 x kb KiB if anything kept them.
        Assert.InRange(end - plateau, long.MinValue, Math.Max(16L * 1024 * 1024, 8L * kb * 1024));
        Assert.InRange(end - start, long.MinValue, cap + (64L * 1024 * 1024) + (32L * kb * 1024));
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurement
{
    public const string Name = "memory measurement";
}
