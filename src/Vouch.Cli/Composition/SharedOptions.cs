using System.CommandLine;
using Vouch.Npm;

namespace Vouch.Cli.Composition;

/// <summary>
/// The options every registry-, trust- or policy-aware command shares, declared once with one
/// description each. A command adds the ones it takes (in its own order) and hands the parse result
/// to <see cref="Bind"/>, which validates them into <see cref="ServiceSettings"/> for
/// <see cref="VouchServices"/>. A new command takes these instead of declaring its own.
/// </summary>
internal sealed class SharedOptions
{
    public Option<string?> Registry { get; } = new("--registry") { Description = "Registry URL; overrides .npmrc (project, user) and NPM_CONFIG_REGISTRY." };

    public Option<bool> Offline { get; } = new("--offline") { Description = "Answer from the cache only; a cache miss is a network failure (exit 3)." };

    public Option<string?> CacheDir { get; } = new("--cache-dir") { Description = "Cache directory, for registry responses and TUF trust material (default: $VOUCH_CACHE_DIR, $XDG_CACHE_HOME/vouch or ~/.cache/vouch)." };

    public Option<string?> TrustedRoot { get; } = new("--trusted-root") { Description = "Sigstore trusted root JSON to verify provenance with (a private Sigstore, the sandbox); default: the TUF-cached copy, else the embedded public-good one." };

    public Option<string?> RegistryKeys { get; } = new("--registry-keys") { Description = "npm registry keys JSON (TUF keys.json or /-/npm/v1/keys shape) to trust instead of the TUF-cached or embedded ones." };

    public Option<string?> Policy { get; } = new("--policy") { Description = "Policy file, or an http(s) URL pinned with #sha256=<hex>; default: vouch.policy.yml found upward, else the built-in default." };

    /// <summary>The validated settings; a malformed value is a usage error naming the option.</summary>
    public ServiceSettings Bind(ParseResult parse)
    {
        Uri? registry = null;
        if (Value(parse, Registry) is { } r && !NpmConfig.TryParseRegistryUrl(r, out registry, out var error))
        {
            throw new UsageException($"--registry: {error}");
        }

        return new ServiceSettings
        {
            Registry = registry,
            Offline = Value(parse, Offline),
            CacheDirectory = Value(parse, CacheDir),
            TrustedRootFile = Value(parse, TrustedRoot),
            RegistryKeysFile = Value(parse, RegistryKeys),
            PolicySource = Value(parse, Policy),
        };
    }

    // Options a command did not add have no value (not an error).
    private static T? Value<T>(ParseResult parse, Option<T> option) => parse.GetResult(option) is null ? default : parse.GetValue(option);
}

/// <summary>What <see cref="VouchServices"/> is built from: shared options, validated, plus per-command choices.</summary>
internal sealed record ServiceSettings
{
    public Uri? Registry { get; init; }

    public bool Offline { get; init; }

    /// <summary>`--cache-dir` as given (null: the default); <see cref="VouchPaths.CacheDirectory"/> resolves it.</summary>
    public string? CacheDirectory { get; init; }

    public string? TrustedRootFile { get; init; }

    public string? RegistryKeysFile { get; init; }

    public string? PolicySource { get; init; }

    /// <summary>Where .npmrc is read from (the project's directory); null: the working directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Requests in flight at once (the registry client's default when null).</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>Keep registry responses in &lt;cache&gt;/registry (revalidated with ETags).</summary>
    public bool HttpCache { get; init; } = true;

    /// <summary>How long a cached registry response is used without asking the registry (zero: revalidate each one; `vouch check --max-age`).</summary>
    public TimeSpan HttpCacheMaxAge { get; init; } = TimeSpan.Zero;
}
