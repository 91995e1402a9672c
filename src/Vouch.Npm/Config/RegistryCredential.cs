using System.Net.Http.Headers;

namespace Vouch.Npm;

public enum RegistryCredentialKind
{
    /// <summary><c>_authToken</c>: sent as <c>Authorization: Bearer</c>.</summary>
    Bearer,

    /// <summary><c>_auth</c> or <c>username</c> + <c>_password</c>: sent as <c>Authorization: Basic</c>.</summary>
    Basic,
}

/// <summary>
/// A credential from <c>.npmrc</c>, bound to the host and path prefix it was configured for
/// (<c>//host[:port]/path/</c>). The secret never leaves this object except as the header on a
/// request whose URL falls under that prefix; <see cref="ToString"/> redacts it so that logging a
/// credential (or a config holding one) cannot leak it.
/// </summary>
public sealed class RegistryCredential
{
    private readonly string _secret;

    internal RegistryCredential(string prefix, RegistryCredentialKind kind, string secret)
    {
        Prefix = prefix;
        Kind = kind;
        _secret = secret;
    }

    /// <summary>The URL prefix without scheme, as written in the config key: <c>//host[:port]/path/</c>.</summary>
    public string Prefix { get; }

    public RegistryCredentialKind Kind { get; }

    public override string ToString() => $"{Kind} credential for {Prefix} (secret redacted)";

    internal AuthenticationHeaderValue ToAuthorizationHeader() =>
        new(Kind == RegistryCredentialKind.Bearer ? "Bearer" : "Basic", _secret);

    /// <summary>
    /// True when <paramref name="url"/> is under this credential's prefix: same host (any case),
    /// same port, and a path that starts with the configured path at a segment boundary. The
    /// scheme is not part of the key, as in npm.
    /// </summary>
    internal bool Matches(Uri url) => Matches(Prefix, url);

    internal static bool Matches(string prefix, Uri url)
    {
        if (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https"))
        {
            return false;
        }

        var candidate = NerfDart(url);
        // Prefix always ends with '/', so a plain prefix test respects path-segment boundaries.
        return candidate.StartsWith(prefix, StringComparison.Ordinal);
    }

    /// <summary><c>//host[:port]/path</c> of a URL: lower-case host, default port omitted.</summary>
    internal static string NerfDart(Uri url)
    {
        var host = url.IdnHost.ToLowerInvariant();
        if (url.HostNameType == UriHostNameType.IPv6)
        {
            host = "[" + host.Trim('[', ']') + "]";
        }

        var port = url.IsDefaultPort ? "" : ":" + url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var path = url.AbsolutePath;
        return "//" + host + port + (path.Length == 0 ? "/" : path);
    }

    /// <summary>Normalises a config key's prefix: lower-case host, trailing slash.</summary>
    internal static string? NormalisePrefix(string prefix)
    {
        if (!prefix.StartsWith("//", StringComparison.Ordinal) || prefix.Length <= 2)
        {
            return null;
        }

        var slash = prefix.IndexOf('/', 2);
        var hostPort = slash < 0 ? prefix[2..] : prefix[2..slash];
        var path = slash < 0 ? "/" : prefix[slash..];
        if (hostPort.Length == 0)
        {
            return null;
        }

        if (!path.EndsWith('/'))
        {
            path += "/";
        }

        return "//" + hostPort.ToLowerInvariant() + path;
    }
}
