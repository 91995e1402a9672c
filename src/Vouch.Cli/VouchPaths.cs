namespace Vouch.Cli;

/// <summary>Where Vouch keeps its cache: $VOUCH_CACHE_DIR, else $XDG_CACHE_HOME/vouch, else ~/.cache/vouch.</summary>
internal static class VouchPaths
{
    public static string CacheDirectory(string? overridePath = null)
    {
        if (!string.IsNullOrEmpty(overridePath))
        {
            return Path.GetFullPath(overridePath);
        }

        var env = Environment.GetEnvironmentVariable("VOUCH_CACHE_DIR");
        if (!string.IsNullOrEmpty(env))
        {
            return Path.GetFullPath(env);
        }

        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var baseDir = !string.IsNullOrEmpty(xdg) ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(baseDir, "vouch");
    }
}
