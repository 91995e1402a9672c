using System.Runtime.CompilerServices;

namespace Vouch.Cli.Tests;

/// <summary>
/// CLI tests never read or write the machine's real cache (its TUF trust material above all): before
/// any test runs, the default cache directory ($VOUCH_CACHE_DIR) points at a directory of this run's own.
/// </summary>
internal static class TestCacheDirectory
{
    public static string Path { get; private set; } = "";

    [ModuleInitializer]
    internal static void Initialize()
    {
        Path = Directory.CreateTempSubdirectory("vouch-cli-tests-cache-").FullName;
        Environment.SetEnvironmentVariable("VOUCH_CACHE_DIR", Path);
    }
}
