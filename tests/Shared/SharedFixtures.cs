namespace Vouch.Tests;

/// <summary>Locates `../shared/fixtures` (the real recorded data) from the test's working directory.</summary>
internal static class SharedFixtures
{
    private static readonly Lazy<string> RootPath = new(Find);

    public static string Root => RootPath.Value;

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    private static string Find()
    {
        var env = Environment.GetEnvironmentVariable("VOUCH_SHARED_FIXTURES");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env))
        {
            return env;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "fixtures");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }

            candidate = System.IO.Path.Combine(dir.FullName, "..", "shared", "fixtures");
            if (Directory.Exists(candidate) && File.Exists(System.IO.Path.Combine(dir.FullName, "Vouch.slnx")))
            {
                return System.IO.Path.GetFullPath(candidate);
            }
        }

        throw new DirectoryNotFoundException("shared/fixtures not found beside the repository; set VOUCH_SHARED_FIXTURES");
    }
}
