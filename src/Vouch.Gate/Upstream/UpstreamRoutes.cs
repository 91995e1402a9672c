using System.Net.Http.Headers;
using System.Text.Json;
using Vouch.Provenance;
using Vouch.Sigstore.Verification;
using Vouch.Common.Json;

namespace Vouch.Gate.Upstream;

/// <summary>
/// A package-name pattern of an upstream route: a whole scope (<c>@corp/*</c>), a name prefix
/// (<c>corp-*</c>) or one exact name. Matching ignores case: npm scopes are lowercase, and a
/// legacy-uppercase spelling (<c>@CORP/x</c>) must not slip past the private route to the public one.
/// </summary>
public sealed record UpstreamPattern
{
    private UpstreamPattern(string text, string prefix, bool exact)
    {
        Text = text;
        Prefix = prefix;
        Exact = exact;
    }

    /// <summary>The pattern as configured.</summary>
    public string Text { get; }

    /// <summary>What a matching name starts with (or equals, when <see cref="Exact"/>).</summary>
    internal string Prefix { get; }

    internal bool Exact { get; }

    public bool Matches(string name) => Exact
        ? string.Equals(name, Prefix, StringComparison.OrdinalIgnoreCase)
        : name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether some package name matches both patterns (two upstreams must never share a name).</summary>
    internal bool Overlaps(UpstreamPattern other) => (Exact, other.Exact) switch
    {
        (true, true) => string.Equals(Prefix, other.Prefix, StringComparison.OrdinalIgnoreCase),
        (true, false) => other.Matches(Prefix),
        (false, true) => Matches(other.Prefix),
        _ => Prefix.StartsWith(other.Prefix, StringComparison.OrdinalIgnoreCase) || other.Prefix.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase),
    };

    /// <summary>Parses <c>@scope/*</c>, <c>prefix*</c> or an exact package name; <c>*</c> alone is the default upstream, not a pattern.</summary>
    public static UpstreamPattern? TryParse(string text, out string? error)
    {
        error = null;
        var t = text.Trim();
        if (t.Length is 0 or > 214)
        {
            error = $"'{text}' is empty or longer than 214 characters";
            return null;
        }

        if (t.IndexOf('*') is var star && star >= 0 && star != t.Length - 1)
        {
            error = $"'{text}': '*' may only end a pattern";
            return null;
        }

        var body = star >= 0 ? t[..^1] : t;
        if (body.Length == 0)
        {
            error = "'*' alone is the default upstream (--upstream URL), not a route";
            return null;
        }

        if (!body.All(c => char.IsAsciiLetterOrDigit(c) || c is '@' or '/' or '-' or '.' or '_' or '~'))
        {
            error = $"'{text}': only the characters of package names are allowed";
            return null;
        }

        if (body.StartsWith('@'))
        {
            // A scope route must cover the whole scope or name one package in it: '@corp*' would also take '@corporate/x'.
            var slash = body.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 1 || (star >= 0 && slash != body.Length - 1) || (star < 0 && slash == body.Length - 1))
            {
                error = $"'{text}': a scoped pattern is '@scope/*' or '@scope/name'";
                return null;
            }
        }
        else if (body.Contains('/', StringComparison.Ordinal))
        {
            error = $"'{text}': only scoped names contain '/'";
            return null;
        }

        return new UpstreamPattern(t, body, exact: star < 0);
    }
}

/// <summary>
/// One upstream besides the default: the package names routed to it, and how to reach it. A name
/// that matches is looked up there and nowhere else.
/// </summary>
public sealed record UpstreamRoute
{
    /// <summary>A short name (letters, digits, '-', '_'): in logs, errors, metrics and the data directory (<c>upstreams/NAME</c>).</summary>
    public required string Name { get; init; }

    public required Uri Url { get; init; }

    public required IReadOnlyList<UpstreamPattern> Patterns { get; init; }

    /// <summary>Sent as <c>Authorization: Bearer</c> to this upstream only (never to another, never after a redirect elsewhere). Never printed.</summary>
    public string? AuthToken { get; init; }

    public bool Matches(string name)
    {
        foreach (var p in Patterns)
        {
            if (p.Matches(name))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Every problem with a set of routes next to the default upstream, one line each.</summary>
    public static IReadOnlyList<string> Validate(IReadOnlyList<UpstreamRoute> routes, Uri defaultUpstream)
    {
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "default" };
        for (var i = 0; i < routes.Count; i++)
        {
            var r = routes[i];
            if (r.Name.Length is 0 or > 40 || !r.Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') || !names.Add(r.Name))
            {
                errors.Add($"upstreams: '{r.Name}' is not a unique name of letters, digits, '-' and '_' (and not 'default')");
            }

            if (!r.Url.IsAbsoluteUri || r.Url.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(r.Url.Query) || !string.IsNullOrEmpty(r.Url.UserInfo) || !r.Url.AbsolutePath.EndsWith('/'))
            {
                errors.Add($"upstreams: {r.Name}: '{r.Url}' is not an http(s) URL ending with '/', without query or credentials");
            }
            else if (Uri.Compare(r.Url, defaultUpstream, UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0)
            {
                errors.Add($"upstreams: {r.Name}: the same URL as the default upstream");
            }

            if (r.Patterns.Count == 0)
            {
                errors.Add($"upstreams: {r.Name}: no package patterns");
            }

            if (r.AuthToken is { } token && (token.Length == 0 || token.Any(char.IsControl)))
            {
                errors.Add($"upstreams: {r.Name}: the token is empty or holds control characters");
            }

            if (r.AuthToken is not null && r.Url.Scheme != "https" && !r.Url.IsLoopback)
            {
                errors.Add($"upstreams: {r.Name}: a token is only sent over https (or to a loopback address)");
            }

            // Overlapping routes would make the answer depend on their order: a name belongs to one upstream.
            for (var j = 0; j < i; j++)
            {
                foreach (var a in r.Patterns)
                {
                    foreach (var b in routes[j].Patterns.Where(a.Overlaps))
                    {
                        errors.Add($"upstreams: {r.Name} '{a.Text}' and {routes[j].Name} '{b.Text}' overlap: a name must belong to one upstream");
                    }
                }
            }
        }

        return errors;
    }

    /// <summary>
    /// Parses the command line's <c>--upstream PATTERN=URL</c> (several patterns for one URL may be
    /// separated by commas). Null when the text is a plain URL (the default upstream).
    /// </summary>
    public static UpstreamRoute? TryParseArgument(string text, out string? error)
    {
        error = null;
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        if (eq < 0 || text.AsSpan(0, eq).Contains("://", StringComparison.Ordinal))
        {
            return null;
        }

        var patterns = new List<UpstreamPattern>();
        foreach (var p in text[..eq].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (UpstreamPattern.TryParse(p, out var e) is { } parsed)
            {
                patterns.Add(parsed);
            }
            else
            {
                error = e;
                return null;
            }
        }

        var url = text[(eq + 1)..].Trim();
        if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out var uri))
        {
            error = $"'{url}' is not a URL";
            return null;
        }

        return new UpstreamRoute { Name = NameFor(uri), Url = uri, Patterns = patterns };
    }

    /// <summary>A stable name for a route given on the command line: host and port (the data directory stays put across restarts).</summary>
    public static string NameFor(Uri url)
    {
        var raw = url.IsDefaultPort ? url.Host : url.Host + "-" + url.Port;
        return new string(raw.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray());
    }
}

/// <summary>
/// An upstream's own trust material (a private registry's signing keys, a private Sigstore instance).
/// Its keys come from a file, so by default they are pinned: keys the upstream serves never extend them.
/// </summary>
public sealed record UpstreamTrust(SigstoreVerifier Sigstore, RegistryKeys Keys, bool TrustServedKeys = false);

/// <summary>One upstream entry of the <c>--upstreams</c> file, before its files and environment are read.</summary>
public sealed record UpstreamConfigEntry(string Name, string Url, IReadOnlyList<string> Packages, string? TokenEnv, string? TrustedRoot, string? RegistryKeys);

/// <summary>
/// The <c>--upstreams FILE</c> document (JSON, read with System.Text.Json, the one JSON reader):
/// <c>{"upstreams": [{"name", "url", "packages": [...], "tokenEnv"?, "trustedRoot"?, "registryKeys"?}]}</c>.
/// Structure first: every bad field is listed, unknown fields are refused (a typo such as
/// <c>"token_env"</c> must not silently leave a private registry without credentials).
/// </summary>
public static class UpstreamConfigFile
{
    public const int MaxBytes = 256 * 1024;

    private static readonly HashSet<string> Known = ["name", "url", "packages", "tokenEnv", "trustedRoot", "registryKeys"];

    public static IReadOnlyList<UpstreamConfigEntry> Parse(ReadOnlySpan<byte> json, out IReadOnlyList<string> errors)
    {
        var problems = new List<string>();
        var entries = new List<UpstreamConfigEntry>();
        if (json.Length > MaxBytes)
        {
            errors = [$"larger than {MaxBytes} bytes"];
            return entries;
        }

        JsonDocument doc;
        try
        {
            doc = JsonInput.Parse(json.ToArray(), 8);
        }
        catch (JsonException e)
        {
            errors = [$"not JSON: {e.Message}"];
            return entries;
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("upstreams", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                errors = ["expected {\"upstreams\": [...]}"];
                return entries;
            }

            var i = 0;
            foreach (var u in list.EnumerateArray())
            {
                var at = $"upstreams[{i++}]";
                if (u.ValueKind != JsonValueKind.Object)
                {
                    problems.Add($"{at}: not an object");
                    continue;
                }

                foreach (var p in u.EnumerateObject().Where(p => !Known.Contains(p.Name)))
                {
                    problems.Add($"{at}.{p.Name}: unknown field");
                }

                string? Str(string field, bool required)
                {
                    if (!u.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
                    {
                        if (required)
                        {
                            problems.Add($"{at}.{field}: missing");
                        }

                        return null;
                    }

                    if (v.ValueKind != JsonValueKind.String)
                    {
                        problems.Add($"{at}.{field}: not a string");
                        return null;
                    }

                    return v.GetString();
                }

                var name = Str("name", true);
                var url = Str("url", true);
                var packages = new List<string>();
                if (!u.TryGetProperty("packages", out var pk) || pk.ValueKind != JsonValueKind.Array)
                {
                    problems.Add($"{at}.packages: missing or not an array of patterns");
                }
                else
                {
                    foreach (var p in pk.EnumerateArray())
                    {
                        if (p.ValueKind == JsonValueKind.String)
                        {
                            packages.Add(p.GetString()!);
                        }
                        else
                        {
                            problems.Add($"{at}.packages: not a string");
                        }
                    }
                }

                var tokenEnv = Str("tokenEnv", false);
                var root = Str("trustedRoot", false);
                var keys = Str("registryKeys", false);
                if ((root is null) != (keys is null))
                {
                    problems.Add($"{at}: trustedRoot and registryKeys go together (an upstream's trust material is both)");
                }

                if (name is not null && url is not null)
                {
                    entries.Add(new UpstreamConfigEntry(name, url, packages, tokenEnv, root, keys));
                }
            }
        }

        errors = problems;
        return entries;
    }
}

/// <summary>
/// Adds one upstream's credentials beneath its outbound policy handler: the policy has already
/// refused anything outside that upstream (and a redirect elsewhere is refused before any client
/// follows it), so the token never leaves for another host.
/// </summary>
internal sealed class UpstreamAuthHandler(string token, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return base.SendAsync(request, cancellationToken);
    }
}
