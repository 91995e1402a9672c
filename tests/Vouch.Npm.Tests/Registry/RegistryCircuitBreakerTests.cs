using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Vouch.Npm.Tests.Infrastructure;

namespace Vouch.Npm.Tests.Registry;

/// <summary>
/// The circuit breaker against a real refused port on 127.0.0.1. The handler counts the TCP
/// connection attempts the client really makes; the assertions are on that count, not on time.
/// </summary>
public sealed class RegistryCircuitBreakerTests
{
    private static int RefusedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static (RegistryClient Client, Func<int> Attempts) NewClient(int port, int threshold)
    {
        var attempts = 0;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, ct) =>
            {
                Interlocked.Increment(ref attempts);
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var options = new RegistryClientOptions
        {
            MaxConcurrency = 8,
            MaxRetries = 3,
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
            CircuitBreakerThreshold = threshold,
        };
        var client = new RegistryClient(handler, NpmConfig.ForRegistry(new Uri($"http://127.0.0.1:{port}/")), null, new RecordingTimeProvider(), options, disposeHandler: true);
        return (client, () => Volatile.Read(ref attempts));
    }

    private static async Task<RegistryResult<Packument>[]> FetchManyAsync(RegistryClient client, int count) =>
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => client.GetPackumentAsync($"pkg-{i}")));

    [Fact]
    public async Task GetPackument_WhenTheRegistryRefusesConnections_StopsAskingAfterTheThreshold()
    {
        var port = RefusedPort();
        var (client, attempts) = NewClient(port, threshold: 5);
        using var _ = client;
        var clock = Stopwatch.StartNew();

        var results = await FetchManyAsync(client, 300);

        // 300 packages x 4 attempts = 1,200 connections without the breaker; with it, the threshold
        // plus the requests already in flight when it opened (at most MaxConcurrency).
        Assert.All(results, r => Assert.Equal(RegistryStatus.NetworkError, r.Status));
        Assert.InRange(attempts(), 5, 5 + 8);
        Assert.All(results, r => Assert.Contains($"127.0.0.1:{port}", r.Error, StringComparison.Ordinal));
        Assert.Contains(results, r => r.Error!.Contains("unreachable", StringComparison.Ordinal));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"took {clock.Elapsed}"); // loose: the count is the assertion
    }

    [Fact]
    public async Task GetPackument_WhenTheBreakerIsOff_RetriesEveryPackage()
    {
        // The control: the same refused port without a breaker makes every attempt.
        var (client, attempts) = NewClient(RefusedPort(), threshold: 0);
        using var _ = client;

        var results = await FetchManyAsync(client, 10);

        Assert.All(results, r => Assert.Equal(RegistryStatus.NetworkError, r.Status));
        Assert.Equal(10 * 4, attempts());
    }

    [Fact]
    public void TryEnter_WhenOpenForElapses_LetsOneProbeThroughAndAnAnswerCloses()
    {
        var time = new RecordingTimeProvider();
        var breaker = new RegistryCircuitBreaker(3, TimeSpan.FromSeconds(30), time);
        var url = new Uri("https://registry.example/pkg");
        var other = new Uri("https://other.example/pkg");
        for (var i = 0; i < 3; i++)
        {
            Assert.True(breaker.TryEnter(url, out _));
            breaker.ConnectionFailed(url, "Connection refused");
        }

        Assert.False(breaker.TryEnter(url, out var refusal));
        Assert.Contains("https://registry.example", refusal, StringComparison.Ordinal);
        Assert.True(breaker.TryEnter(other, out _)); // per origin

        time.Now += TimeSpan.FromSeconds(31);
        Assert.True(breaker.TryEnter(url, out _)); // the probe
        Assert.False(breaker.TryEnter(url, out _)); // only one at a time
        breaker.Answered(url);
        Assert.True(breaker.TryEnter(url, out _));
    }

    [Fact]
    public void TryEnter_WhenFailuresAreNotConsecutive_StaysClosed()
    {
        var breaker = new RegistryCircuitBreaker(3, TimeSpan.FromSeconds(30), new RecordingTimeProvider());
        var url = new Uri("https://registry.example/pkg");
        for (var i = 0; i < 10; i++)
        {
            breaker.ConnectionFailed(url, "reset");
            breaker.ConnectionFailed(url, "reset");
            breaker.Answered(url); // an HTTP answer, even a 5xx, shows the registry is reachable
        }

        Assert.True(breaker.TryEnter(url, out _));
    }
}
