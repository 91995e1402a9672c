using System.Text.RegularExpressions;
using Vouch.Npm;

namespace Vouch.Sri;

/// <summary>Which kind of service a cross-origin URL points at.</summary>
public enum CdnKind
{
    /// <summary>Not a CDN Vouch knows: only the SRI attributes are checked.</summary>
    Other,

    /// <summary>unpkg.com/&lt;pkg&gt;[@spec][/path]: files straight out of npm tarballs.</summary>
    Unpkg,

    /// <summary>cdn.jsdelivr.net/npm/&lt;pkg&gt;[@spec][/path]: files out of npm tarballs (plus generated minified variants).</summary>
    JsDelivrNpm,

    /// <summary>cdn.jsdelivr.net/gh/&lt;user&gt;/&lt;repo&gt;[@ref][/path]: files out of a GitHub repository, not npm.</summary>
    JsDelivrGitHub,

    /// <summary>esm.sh/&lt;pkg&gt;[@spec][/path]: modules built per request and browser target.</summary>
    EsmSh,

    /// <summary>ga.jspm.io/npm:&lt;pkg&gt;@&lt;version&gt;/path: builds derived from npm packages.</summary>
    Jspm,

    /// <summary>cdnjs.cloudflare.com/ajax/libs/&lt;lib&gt;/&lt;version&gt;/&lt;file&gt;: not npm; pinned by its path.</summary>
    Cdnjs,

    /// <summary>A service that generates its response per browser or request (polyfill.io, Google Fonts CSS, Skypack...).</summary>
    PerBrowser,
}

/// <summary>What the version part of an npm CDN URL asks for.</summary>
public enum VersionSpecKind
{
    /// <summary>No version at all: the CDN serves the `latest` dist-tag.</summary>
    None,

    /// <summary>One exact version: pinned.</summary>
    Exact,

    /// <summary>A semver range (`^1.2`, `~1.2.3`, `1.x`, `1.2`).</summary>
    Range,

    /// <summary>A bare major (`@3`): any 3.x.y.</summary>
    BareMajor,

    /// <summary>A dist-tag (`@latest`, `@next`).</summary>
    Tag,
}

/// <summary>A URL understood as a reference into a CDN. Npm fields are set for npm CDNs.</summary>
public sealed record CdnReference
{
    public required string Url { get; init; }

    public required CdnKind Kind { get; init; }

    /// <summary>The npm package (or `user/repo` for jsDelivr GitHub, the library for cdnjs).</summary>
    public string? Package { get; init; }

    /// <summary>The version text as written (percent-decoded), or null when the URL names none.</summary>
    public string? Spec { get; init; }

    public VersionSpecKind SpecKind { get; init; }

    /// <summary>The file inside the package, without a leading slash; null when the URL names none (the CDN picks a default file).</summary>
    public string? FilePath { get; init; }

    /// <summary>The CDN builds this response instead of serving a file from the tarball (jsDelivr `+esm`, `/combine/`, esm.sh).</summary>
    public bool Generated { get; init; }

    /// <summary>For <see cref="CdnKind.PerBrowser"/>: the service's name.</summary>
    public string? Service { get; init; }

    /// <summary>Everything of the URL before the package path (`https://unpkg.com/`, `https://cdn.jsdelivr.net/npm/`).</summary>
    public string? Prefix { get; init; }

    /// <summary>The query and fragment, kept as written.</summary>
    public string Suffix { get; init; } = "";

    public bool IsNpm => Kind is CdnKind.Unpkg or CdnKind.JsDelivrNpm or CdnKind.EsmSh or CdnKind.Jspm;

    public bool IsPinned => SpecKind == VersionSpecKind.Exact;

    /// <summary>The URL naming one exact version and file, everything else as written.</summary>
    public string WithVersionAndFile(string version, string filePath) =>
        Kind == CdnKind.Jspm
            ? $"{Prefix}npm:{Package}@{version}/{filePath}{Suffix}"
            : $"{Prefix}{Package}@{version}/{filePath}{Suffix}";
}

/// <summary>Recognises npm CDNs, GitHub and cdnjs CDNs and per-browser services in absolute URLs.</summary>
public static partial class CdnUrl
{
    private static readonly HashSet<string> JsDelivrHosts = new(StringComparer.OrdinalIgnoreCase)
    {
        "cdn.jsdelivr.net", "fastly.jsdelivr.net", "gcore.jsdelivr.net", "testingcf.jsdelivr.net", "originfastly.jsdelivr.net", "quantil.jsdelivr.net",
    };

    private static readonly HashSet<string> UnpkgHosts = new(StringComparer.OrdinalIgnoreCase) { "unpkg.com", "www.unpkg.com", "npmcdn.com" };

    /// <summary>Hosts whose responses differ per browser or request, so no integrity value can hold.</summary>
    private static readonly Dictionary<string, string> PerBrowserHosts = new(StringComparer.OrdinalIgnoreCase)
    {
        ["polyfill.io"] = "polyfill.io (the domain was sold in 2024 and served malware)",
        ["cdn.polyfill.io"] = "polyfill.io (the domain was sold in 2024 and served malware)",
        ["polyfill-fastly.io"] = "polyfill-fastly (polyfills per User-Agent)",
        ["polyfill-fastly.net"] = "polyfill-fastly (polyfills per User-Agent)",
        ["polyfill.alicdn.com"] = "polyfill service (polyfills per User-Agent)",
        ["fonts.googleapis.com"] = "Google Fonts CSS (generated per User-Agent)",
        ["cdn.skypack.dev"] = "Skypack (builds per browser)",
        ["esm.run"] = "esm.run (jsDelivr builds per request)",
        ["jspm.dev"] = "jspm.dev (builds per request)",
        ["cdn.esm.sh"] = "esm.sh (builds per browser target)",
        ["esm.sh"] = "esm.sh (builds per browser target)",
    };

    /// <summary>Understands an absolute http(s) or protocol-relative URL; other URLs are <see cref="CdnKind.Other"/>.</summary>
    public static CdnReference Classify(string url)
    {
        var other = new CdnReference { Url = url, Kind = CdnKind.Other };
        var schemeEnd = url.StartsWith("//", StringComparison.Ordinal) ? 0 : url.IndexOf("://", StringComparison.Ordinal) + 1;
        if (schemeEnd < 0)
        {
            return other;
        }

        var authorityStart = schemeEnd + 2;
        var pathStart = url.IndexOfAny(['/', '?', '#'], authorityStart);
        if (pathStart < 0)
        {
            return other;
        }

        var host = url[authorityStart..pathStart];
        var at = host.LastIndexOf('@');
        if (at >= 0)
        {
            host = host[(at + 1)..];
        }

        var colon = host.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            host = host[..colon];
        }

        var suffixStart = url.IndexOfAny(['?', '#'], pathStart);
        var path = suffixStart < 0 ? url[pathStart..] : url[pathStart..suffixStart];
        var suffix = suffixStart < 0 ? "" : url[suffixStart..];
        var origin = url[..pathStart];

        if (host.Equals("cdnjs.cloudflare.com", StringComparison.OrdinalIgnoreCase) && path.StartsWith("/polyfill", StringComparison.Ordinal))
        {
            return PerBrowser(url, "cdnjs polyfill service (polyfills per User-Agent)");
        }

        if (host.Equals("esm.sh", StringComparison.OrdinalIgnoreCase) || host.Equals("cdn.esm.sh", StringComparison.OrdinalIgnoreCase))
        {
            // esm.sh/v135/..., esm.sh/stable/...: a build-version prefix before the package.
            var p = path;
            var prefix = origin + "/";
            var m = EsmShBuildPrefix().Match(p);
            if (m.Success)
            {
                prefix += m.Value.Trim('/') + "/";
                p = p[(m.Length - 1)..];
            }

            var esm = ParseNpmPath(url, CdnKind.EsmSh, prefix, p, suffix);
            return esm is null ? PerBrowser(url, PerBrowserHosts[host]) : esm with { Generated = true, Service = PerBrowserHosts[host] };
        }

        if (PerBrowserHosts.TryGetValue(host, out var service))
        {
            return PerBrowser(url, service);
        }

        if (UnpkgHosts.Contains(host))
        {
            return ParseNpmPath(url, CdnKind.Unpkg, origin + "/", path, suffix) ?? other;
        }

        if (JsDelivrHosts.Contains(host))
        {
            if (path.StartsWith("/npm/", StringComparison.Ordinal))
            {
                var r = ParseNpmPath(url, CdnKind.JsDelivrNpm, origin + "/npm/", path["/npm".Length..], suffix);
                return r is null ? other : r with { Generated = r.FilePath is { } f && (f == "+esm" || f.EndsWith("/+esm", StringComparison.Ordinal)) };
            }

            if (path.StartsWith("/gh/", StringComparison.Ordinal))
            {
                return ParseGitHub(url, origin, path, suffix) ?? other;
            }

            if (path.StartsWith("/combine/", StringComparison.Ordinal))
            {
                return new CdnReference { Url = url, Kind = CdnKind.JsDelivrNpm, Generated = true, SpecKind = VersionSpecKind.None, Suffix = suffix, Package = null };
            }

            return other;
        }

        if (host.Equals("ga.jspm.io", StringComparison.OrdinalIgnoreCase) && path.StartsWith("/npm:", StringComparison.Ordinal))
        {
            var r = ParseNpmPath(url, CdnKind.Jspm, origin + "/", "/" + path["/npm:".Length..], suffix);
            return r is null ? other : r with { Generated = true };
        }

        if (host.Equals("cdnjs.cloudflare.com", StringComparison.OrdinalIgnoreCase) && path.StartsWith("/ajax/libs/", StringComparison.Ordinal))
        {
            var parts = path["/ajax/libs/".Length..].Split('/', 3);
            return new CdnReference
            {
                Url = url,
                Kind = CdnKind.Cdnjs,
                Package = parts[0],
                Spec = parts.Length > 1 ? parts[1] : null,
                SpecKind = parts.Length > 1 ? SpecKindOf(parts[1]) : VersionSpecKind.None,
                FilePath = parts.Length > 2 ? parts[2] : null,
                Suffix = suffix,
            };
        }

        return other;
    }

    /// <summary>Classifies the version text of an npm CDN URL.</summary>
    public static VersionSpecKind SpecKindOf(string? spec)
    {
        if (string.IsNullOrEmpty(spec))
        {
            return VersionSpecKind.None;
        }

        if (SemVersion.TryParse(spec, out _) && !spec.StartsWith('=') && !spec.Contains(' ', StringComparison.Ordinal))
        {
            return VersionSpecKind.Exact;
        }

        if (BareMajor().IsMatch(spec))
        {
            return VersionSpecKind.BareMajor;
        }

        return SemVerRange.TryParse(spec, out _) ? VersionSpecKind.Range : VersionSpecKind.Tag;
    }

    private static CdnReference PerBrowser(string url, string service) =>
        new() { Url = url, Kind = CdnKind.PerBrowser, Service = service, Generated = true };

    /// <summary>Parses `/&lt;pkg&gt;[@spec][/path]` where pkg may be `@scope/name`.</summary>
    private static CdnReference? ParseNpmPath(string url, CdnKind kind, string prefix, string path, string suffix)
    {
        if (!path.StartsWith('/') || path.Length < 2)
        {
            return null;
        }

        var rest = path[1..];
        string nameAndSpec;
        string? file;
        if (rest.StartsWith('@'))
        {
            // @scope/name[@spec][/file]: the name ends at the second slash.
            var firstSlash = rest.IndexOf('/', StringComparison.Ordinal);
            if (firstSlash < 0)
            {
                return null;
            }

            var secondSlash = rest.IndexOf('/', firstSlash + 1);
            nameAndSpec = secondSlash < 0 ? rest : rest[..secondSlash];
            file = secondSlash < 0 ? null : rest[(secondSlash + 1)..];
        }
        else
        {
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            nameAndSpec = slash < 0 ? rest : rest[..slash];
            file = slash < 0 ? null : rest[(slash + 1)..];
        }

        var at = nameAndSpec.IndexOf('@', 1);
        var name = Uri.UnescapeDataString(at < 0 ? nameAndSpec : nameAndSpec[..at]);
        var spec = at < 0 ? null : Uri.UnescapeDataString(nameAndSpec[(at + 1)..]);
        if (name.Length == 0 || !PackageName.Validate(name).ValidForOldPackages)
        {
            return null;
        }

        return new CdnReference
        {
            Url = url,
            Kind = kind,
            Package = name,
            Spec = spec,
            SpecKind = SpecKindOf(spec),
            FilePath = string.IsNullOrEmpty(file) ? null : file,
            Prefix = prefix,
            Suffix = suffix,
        };
    }

    private static CdnReference? ParseGitHub(string url, string origin, string path, string suffix)
    {
        // /gh/user/repo[@ref][/file]
        var parts = path["/gh/".Length..].Split('/', 3);
        if (parts.Length < 2 || parts[0].Length == 0)
        {
            return null;
        }

        var at = parts[1].IndexOf('@', StringComparison.Ordinal);
        var repo = at < 0 ? parts[1] : parts[1][..at];
        var reference = at < 0 ? null : Uri.UnescapeDataString(parts[1][(at + 1)..]);
        var kind = reference is null ? VersionSpecKind.None
            : CommitSha().IsMatch(reference) ? VersionSpecKind.Exact
            : SpecKindOf(reference.TrimStart('v'));
        return new CdnReference
        {
            Url = url,
            Kind = CdnKind.JsDelivrGitHub,
            Package = $"{parts[0]}/{repo}",
            Spec = reference,
            SpecKind = kind,
            FilePath = parts.Length > 2 && parts[2].Length > 0 ? parts[2] : null,
            Prefix = origin + "/gh/",
            Suffix = suffix,
        };
    }

    [GeneratedRegex(@"^v?\d+$")]
    private static partial Regex BareMajor();

    [GeneratedRegex(@"^[0-9a-f]{40}$")]
    private static partial Regex CommitSha();

    [GeneratedRegex(@"^/(v\d+|stable)/")]
    private static partial Regex EsmShBuildPrefix();
}
