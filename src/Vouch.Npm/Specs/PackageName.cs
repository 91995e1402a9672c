namespace Vouch.Npm;

/// <summary>
/// The verdict on a package name under npm's rules (validate-npm-package-name). Errors make a
/// name unusable; warnings mark rules that only apply to new packages (old packages such as
/// <c>JSONStream</c> still exist and may be installed).
/// </summary>
public sealed record PackageNameValidation(IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings)
{
    public bool ValidForOldPackages => Errors.Count == 0;

    public bool ValidForNewPackages => Errors.Count == 0 && Warnings.Count == 0;
}

public static class PackageName
{
    /// <summary>npm refuses new names longer than this.</summary>
    public const int MaxLength = 214;

    private static readonly string[] Blocklist = ["node_modules", "favicon.ico"];

    // Node's core modules (node 20's builtinModules without internal and sub-path entries): names
    // that can no longer be registered because require() would never reach them.
    private static readonly HashSet<string> CoreModules = new(StringComparer.Ordinal)
    {
        "assert", "async_hooks", "buffer", "child_process", "cluster", "console", "constants", "crypto",
        "dgram", "diagnostics_channel", "dns", "domain", "events", "fs", "http", "http2", "https", "inspector",
        "module", "net", "os", "path", "perf_hooks", "process", "punycode", "querystring", "readline", "repl",
        "stream", "string_decoder", "sys", "timers", "tls", "trace_events", "tty", "url", "util", "v8", "vm",
        "wasi", "worker_threads", "zlib",
    };

    public static PackageNameValidation Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var errors = new List<string>();
        var warnings = new List<string>();

        if (name.Length == 0)
        {
            errors.Add("name length must be greater than zero");
        }

        if (name.StartsWith('.'))
        {
            errors.Add("name cannot start with a period");
        }

        if (name.StartsWith('_'))
        {
            errors.Add("name cannot start with an underscore");
        }

        if (JsWhitespace.Trim(name) != name)
        {
            errors.Add("name cannot contain leading or trailing spaces");
        }

        var lower = name.ToLowerInvariant();
        foreach (var blocked in Blocklist)
        {
            if (lower == blocked)
            {
                errors.Add($"{blocked} is not a valid package name");
            }
        }

        if (CoreModules.Contains(lower))
        {
            warnings.Add($"{lower} is a core module name");
        }

        if (name.Length > MaxLength)
        {
            warnings.Add($"name can no longer contain more than {MaxLength} characters");
        }

        if (lower != name)
        {
            warnings.Add("name can no longer contain capital letters");
        }

        var lastSegment = name[(name.LastIndexOf('/') + 1)..];
        if (lastSegment.AsSpan().IndexOfAny("~'!()*") >= 0)
        {
            warnings.Add("name can no longer contain special characters (\"~'!()*\")");
        }

        if (!IsUrlSafe(name) && !IsUrlSafeScoped(name))
        {
            errors.Add("name can only contain URL-friendly characters");
        }

        return new PackageNameValidation(errors, warnings);
    }

    /// <summary>The scope (<c>@scope</c>) of a scoped name, or null.</summary>
    public static string? ScopeOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return name.StartsWith('@') && slash > 1 ? name[..slash] : null;
    }

    /// <summary>The name as it appears in registry URLs: <c>@scope/name</c> becomes <c>@scope%2fname</c>.</summary>
    public static string Escape(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? name : string.Concat(name.AsSpan(0, slash), "%2f", name.AsSpan(slash + 1));
    }

    // `@scope/name` is fine when both parts are URL-safe on their own (the '@' and '/' are not).
    private static bool IsUrlSafeScoped(string name)
    {
        if (!name.StartsWith('@'))
        {
            return false;
        }

        var slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash < 2 || slash == name.Length - 1 || name.IndexOf('/', slash + 1) >= 0)
        {
            return false;
        }

        return IsUrlSafe(name[1..slash]) && IsUrlSafe(name[(slash + 1)..]);
    }

    /// <summary>True when encodeURIComponent would leave the text unchanged.</summary>
    internal static bool IsUrlSafe(string s)
    {
        foreach (var c in s)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '!' or '~' or '*' or '\'' or '(' or ')'))
            {
                return false;
            }
        }

        return true;
    }
}
