using System.Text;

namespace Vouch.Tuf.Tests.Infrastructure;

/// <summary>Per-test set-up: a repository with one target, a clock, a metadata directory, and client factories.</summary>
internal sealed class TufFixture : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static readonly byte[] TargetContent = Encoding.UTF8.GetBytes("{\"hello\":\"tuf\"}\n");

    private readonly TempDirectory _directory = new();

    public TufFixture()
    {
        Clock = new ManualTimeProvider(Start);
        Repository = new TestRepository(Start);
        Repository.Targets["files/hello.json"] = TargetContent;
        Bootstrap = Repository.PublishRoot();
        Repository.Publish();
    }

    public TestRepository Repository { get; }

    public ManualTimeProvider Clock { get; }

    /// <summary>Root v1 as first published: what every client trusts out of the box.</summary>
    public byte[] Bootstrap { get; }

    public string MetadataDirectory => Path.Combine(_directory.Path, "metadata");

    public string TargetDirectory => Path.Combine(_directory.Path, "targets");

    public string CacheDirectory => Path.Combine(_directory.Path, "cache");

    public TufClient Client(TufLimits? limits = null) => new(new TufClientOptions
    {
        MetadataBaseUrl = TestRepository.BaseUrl,
        MetadataDirectory = MetadataDirectory,
        TargetDirectory = TargetDirectory,
        BootstrapRoot = Bootstrap,
        HttpHandler = Repository.Handler,
        TimeProvider = Clock,
        Limits = limits ?? new TufLimits(),
    });

    /// <summary>A fresh client (as a later process would be) runs one update.</summary>
    public async Task<TufResult<TufMetadataSummary>> UpdateAsync()
    {
        using var client = Client();
        return await client.UpdateAsync();
    }

    public void Dispose() => _directory.Dispose();
}
