using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Vouch.Npm;

/// <summary>Where <see cref="NpmConfig.Load"/> looks, and what the command line said.</summary>
public sealed record NpmConfigOptions
{
    /// <summary>The directory the command runs in; the project <c>.npmrc</c> is found from here.</summary>
    public required string WorkingDirectory { get; init; }

    /// <summary>The user's home (for <c>~/.npmrc</c>); defaults to HOME / USERPROFILE from <see cref="Environment"/>.</summary>
    public string? HomeDirectory { get; init; }

    /// <summary>Environment variables (for <c>NPM_CONFIG_*</c> and <c>${VAR}</c> expansion).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary><c>--registry URL</c>: when set it wins over every config source, scoped registries included.</summary>
    public Uri? RegistryOverride { get; init; }

    /// <summary>Options for the current process: its working directory and environment.</summary>
    public static NpmConfigOptions FromCurrentProcess(Uri? registryOverride = null)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in System.Environment.GetEnvironmentVariables())
        {
            if (e.Key is string k && e.Value is string v)
            {
                env[k] = v;
            }
        }

        return new NpmConfigOptions
        {
            WorkingDirectory = System.Environment.CurrentDirectory,
            HomeDirectory = System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile),
            Environment = env,
            RegistryOverride = registryOverride,
        };
    }
}

/// <summary>
/// The npm settings that decide where packages come from and which credentials go where, merged
/// with npm's precedence: <c>--registry</c> &gt; <c>NPM_CONFIG_*</c> environment &gt; project
/// <c>.npmrc</c> &gt; user <c>~/.npmrc</c> &gt; the public registry. Credentials are kept inside
/// <see cref="RegistryCredential"/> objects and never appear in <see cref="ToString"/>.
/// </summary>
public sealed class NpmConfig
{
    public static readonly Uri PublicRegistry = new("https://registry.npmjs.org/");

    private static readonly string[] AuthProperties = ["_authToken", "_auth", "username", "_password"];

    private readonly Dictionary<string, Uri> _scopeRegistries;
    private readonly List<RegistryCredential> _credentials;

    private NpmConfig(Uri registry, Uri? registryOverride, Dictionary<string, Uri> scopeRegistries, List<RegistryCredential> credentials, List<string> sources, List<string> warnings)
    {
        Registry = registry;
        RegistryOverride = registryOverride;
        _scopeRegistries = scopeRegistries;
        _credentials = credentials;
        Sources = sources;
        Warnings = warnings;
    }

    /// <summary>The registry for unscoped packages (or for everything, under <c>--registry</c>).</summary>
    public Uri Registry { get; }

    /// <summary>The <c>--registry</c> value when one was given.</summary>
    public Uri? RegistryOverride { get; }

    /// <summary><c>@scope</c> → registry, from <c>@scope:registry=</c> settings.</summary>
    public IReadOnlyDictionary<string, Uri> ScopeRegistries => _scopeRegistries;

    /// <summary>Configured credentials (redacted when printed).</summary>
    public IReadOnlyList<RegistryCredential> Credentials => _credentials;

    /// <summary>The config files that were read, in increasing precedence.</summary>
    public IReadOnlyList<string> Sources { get; }

    /// <summary>Settings that were ignored and why (never containing a secret).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>A config that talks to one registry with no credentials (tests, the sandbox).</summary>
    public static NpmConfig ForRegistry(Uri registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        if (!TryParseRegistryUrl(registry.OriginalString, out var normalised, out var error))
        {
            throw new ArgumentException(error, nameof(registry));
        }

        return new NpmConfig(normalised, null, new(StringComparer.OrdinalIgnoreCase), [], [], []);
    }

    /// <summary>Checks a registry URL (absolute http/https, no query or fragment) and adds the trailing slash.</summary>
    public static bool TryParseRegistryUrl(string? text, [NotNullWhen(true)] out Uri? registry, [NotNullWhen(false)] out string? error)
    {
        registry = null;
        if (string.IsNullOrWhiteSpace(text) || !Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri))
        {
            error = $"'{text}' is not an absolute URL";
            return false;
        }

        if (uri.Scheme is not ("http" or "https"))
        {
            error = $"registry URL '{text}' must use http or https";
            return false;
        }

        if (uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            error = $"registry URL '{text}' must not carry a query, fragment or user info";
            return false;
        }

        var s = uri.GetLeftPart(UriPartial.Path);
        registry = new Uri(s.EndsWith('/') ? s : s + "/");
        error = null;
        return true;
    }

    /// <summary>Reads user and project <c>.npmrc</c> files and the environment.</summary>
    public static NpmConfig Load(NpmConfigOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var env = options.Environment;
        var warnings = new List<string>();
        var sources = new List<string>();
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);

        var userConfig = FindUserConfig(options);
        if (userConfig is not null)
        {
            ReadFile(userConfig, env, settings, sources, warnings);
        }

        var projectRoot = FindProjectRoot(options.WorkingDirectory);
        var projectConfig = Path.Combine(projectRoot, ".npmrc");
        if (userConfig is null || !SamePath(projectConfig, userConfig))
        {
            ReadFile(projectConfig, env, settings, sources, warnings);
        }

        foreach (var (name, value) in env)
        {
            if (name.Length > "npm_config_".Length && name.StartsWith("npm_config_", StringComparison.OrdinalIgnoreCase))
            {
                var key = EnvironmentKey(name["npm_config_".Length..]);
                if (key is not ("userconfig" or "globalconfig"))
                {
                    settings[key] = value;
                }
            }
        }

        return Build(settings, options.RegistryOverride, sources, warnings);
    }

    /// <summary>The registry serving <paramref name="packageName"/>: its scope's registry, else the default.</summary>
    public Uri GetRegistryFor(string packageName)
    {
        ArgumentNullException.ThrowIfNull(packageName);
        if (RegistryOverride is not null)
        {
            return RegistryOverride;
        }

        var scope = PackageName.ScopeOf(packageName);
        return scope is not null && _scopeRegistries.TryGetValue(scope, out var scoped) ? scoped : Registry;
    }

    /// <summary>
    /// The credential to send with a request to <paramref name="url"/>: the one whose
    /// <c>//host/path/</c> prefix is the longest match, or null. A credential is never sent to a
    /// URL outside its prefix, whichever registry the URL came from.
    /// </summary>
    public RegistryCredential? GetCredentialFor(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        RegistryCredential? best = null;
        foreach (var c in _credentials)
        {
            if (c.Matches(url) && (best is null || c.Prefix.Length > best.Prefix.Length))
            {
                best = c;
            }
        }

        return best;
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append("registry=").Append(Registry);
        if (RegistryOverride is not null)
        {
            sb.Append(" (--registry)");
        }

        foreach (var (scope, uri) in _scopeRegistries.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            sb.Append("; ").Append(scope).Append(":registry=").Append(uri);
        }

        foreach (var c in _credentials)
        {
            sb.Append("; ").Append(c);
        }

        return sb.ToString();
    }

    private static NpmConfig Build(Dictionary<string, string> settings, Uri? registryOverride, List<string> sources, List<string> warnings)
    {
        var registry = PublicRegistry;
        if (settings.TryGetValue("registry", out var registryText))
        {
            if (TryParseRegistryUrl(registryText, out var parsed, out var error))
            {
                registry = parsed;
            }
            else
            {
                warnings.Add($"ignored registry setting: {error}");
            }
        }

        Uri? normalisedOverride = null;
        if (registryOverride is not null)
        {
            if (!TryParseRegistryUrl(registryOverride.OriginalString, out normalisedOverride, out var error))
            {
                throw new ArgumentException(error, nameof(registryOverride));
            }

            registry = normalisedOverride;
        }

        var scopes = new Dictionary<string, Uri>(StringComparer.OrdinalIgnoreCase);
        var byPrefix = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var (key, value) in settings)
        {
            if (key.StartsWith('@') && key.EndsWith(":registry", StringComparison.Ordinal))
            {
                var scope = key[..^":registry".Length];
                if (TryParseRegistryUrl(value, out var scoped, out var error))
                {
                    scopes[scope] = scoped;
                }
                else
                {
                    warnings.Add($"ignored {scope}:registry: {error}");
                }

                continue;
            }

            if (key.StartsWith("//", StringComparison.Ordinal))
            {
                var colon = key.LastIndexOf(':');
                var property = colon > 1 ? key[(colon + 1)..] : "";
                if (!AuthProperties.Contains(property, StringComparer.Ordinal))
                {
                    continue;
                }

                var prefix = RegistryCredential.NormalisePrefix(key[..colon]);
                if (prefix is null)
                {
                    warnings.Add($"ignored {property} for '{key[..colon]}': expected //host[:port]/path/");
                    continue;
                }

                if (!byPrefix.TryGetValue(prefix, out var props))
                {
                    byPrefix[prefix] = props = new(StringComparer.Ordinal);
                }

                props[property] = value;
                continue;
            }

            if (AuthProperties.Contains(key, StringComparer.Ordinal))
            {
                // npm stopped honouring credentials that are not tied to a registry: sending them
                // to whichever host answers would leak them.
                warnings.Add($"ignored {key}: credentials must be scoped to a registry, as //host/:{key}=…");
            }
        }

        var credentials = new List<RegistryCredential>();
        foreach (var (prefix, props) in byPrefix.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var credential = BuildCredential(prefix, props, warnings);
            if (credential is not null)
            {
                credentials.Add(credential);
            }
        }

        return new NpmConfig(registry, normalisedOverride, scopes, credentials, sources, warnings);
    }

    private static RegistryCredential? BuildCredential(string prefix, Dictionary<string, string> props, List<string> warnings)
    {
        if (props.TryGetValue("_authToken", out var token) && token.Length > 0)
        {
            return new RegistryCredential(prefix, RegistryCredentialKind.Bearer, token);
        }

        if (props.TryGetValue("_auth", out var auth) && auth.Length > 0)
        {
            if (DecodeBase64(auth) is null)
            {
                warnings.Add($"ignored _auth for {prefix}: it is not base64");
                return null;
            }

            return new RegistryCredential(prefix, RegistryCredentialKind.Basic, auth);
        }

        if (props.TryGetValue("username", out var user) && props.TryGetValue("_password", out var password))
        {
            // _password holds the base64 of the password; Basic wants base64("user:password").
            var decoded = DecodeBase64(password);
            if (decoded is null)
            {
                warnings.Add($"ignored username/_password for {prefix}: _password is not base64");
                return null;
            }

            var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + Encoding.UTF8.GetString(decoded)));
            return new RegistryCredential(prefix, RegistryCredentialKind.Basic, basic);
        }

        if (props.ContainsKey("username") || props.ContainsKey("_password"))
        {
            warnings.Add($"ignored credentials for {prefix}: username and _password must be set together");
        }

        return null;
    }

    private static byte[]? DecodeBase64(string s)
    {
        var buffer = new byte[s.Length];
        return Convert.TryFromBase64String(s.Trim(), buffer, out var n) ? buffer[..n] : null;
    }

    // npm_config_foo_bar → foo-bar; a leading underscore survives (npm_config__auth → _auth).
    private static string EnvironmentKey(string rest)
    {
        var chars = rest.ToCharArray();
        for (var i = 1; i < chars.Length; i++)
        {
            if (chars[i] == '_')
            {
                chars[i] = '-';
            }
        }

        return new string(chars).ToLowerInvariant();
    }

    private static string? FindUserConfig(NpmConfigOptions options)
    {
        foreach (var (name, value) in options.Environment)
        {
            if (string.Equals(name, "npm_config_userconfig", StringComparison.OrdinalIgnoreCase) && value.Length > 0)
            {
                return Path.GetFullPath(value, options.WorkingDirectory);
            }
        }

        var home = options.HomeDirectory;
        if (string.IsNullOrEmpty(home))
        {
            options.Environment.TryGetValue("HOME", out home);
        }

        if (string.IsNullOrEmpty(home))
        {
            options.Environment.TryGetValue("USERPROFILE", out home);
        }

        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".npmrc");
    }

    /// <summary>
    /// npm's project root: the nearest directory, from the working directory up, holding a
    /// package.json or a node_modules folder; the working directory itself when none does.
    /// </summary>
    internal static string FindProjectRoot(string workingDirectory)
    {
        var start = Path.GetFullPath(workingDirectory);
        var dir = new DirectoryInfo(start);
        for (var depth = 0; dir is not null && depth < Limits.MaxProjectWalkDepth; depth++, dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "package.json")) || Directory.Exists(Path.Combine(dir.FullName, "node_modules")))
            {
                return dir.FullName;
            }
        }

        return start;
    }

    private static void ReadFile(string path, IReadOnlyDictionary<string, string> env, Dictionary<string, string> settings, List<string> sources, List<string> warnings)
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                return;
            }

            if (info.Length > Limits.MaxConfigFileBytes)
            {
                warnings.Add($"ignored {path}: larger than {Limits.MaxConfigFileBytes} bytes");
                return;
            }

            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            warnings.Add($"could not read {path}: {e.Message}");
            return;
        }

        sources.Add(path);
        foreach (var (key, value) in NpmrcParser.Parse(text, env, warnings, path))
        {
            settings[key] = value;
        }
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
}
