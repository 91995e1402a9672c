using AngleSharp.Dom;
using AngleSharp.Html.Dom;
using AngleSharp.Html.Parser;

namespace Vouch.Sri;

/// <summary>One problem `vouch sri` found, located in a file (line and column are 1-based).</summary>
public sealed record SriFinding(string Code, SriLevel Level, string File, int Line, int Column, string Element, string? Url, string Message);

/// <summary>A script or link element that loads a resource, as found in the source.</summary>
public sealed record ResourceTag
{
    /// <summary>`script` or `link`.</summary>
    public required string Element { get; init; }

    public required SourceStartTag Tag { get; init; }

    /// <summary>`src` or `href`.</summary>
    public required string UrlAttribute { get; init; }

    /// <summary>The attribute value as the HTML parser decoded it.</summary>
    public required string RawUrl { get; init; }

    /// <summary>The absolute URL (after `&lt;base href&gt;`), or null for a same-origin or template URL.</summary>
    public string? Url { get; init; }

    public required CdnReference Cdn { get; init; }

    public string? Integrity { get; init; }

    public string? CrossOrigin { get; init; }

    /// <summary>The template syntax found in the URL (the tag was skipped), or null.</summary>
    public string? TemplateMarker { get; init; }

    public required int Line { get; init; }

    public required int Column { get; init; }

    public bool IsCrossOrigin => Url is not null;
}

/// <summary>The result of scanning one file.</summary>
public sealed record DocumentScan(string Path, SourceText Source, IReadOnlyList<ResourceTag> Tags, IReadOnlyList<SriFinding> Findings);

public sealed record SriScanOptions
{
    /// <summary>Origins of the site itself (`https://example.com`): absolute URLs there are same-origin and not flagged.</summary>
    public IReadOnlyList<string> SelfOrigins { get; init; } = [];
}

/// <summary>
/// Finds the scripts and stylesheets a page loads from other origins and checks their Subresource
/// Integrity: integrity present, well-formed and enforced, crossorigin set, npm CDN URLs pinned to
/// one version, no per-browser services. HTML5 parsing by AngleSharp; positions map to the source.
/// </summary>
public static class SriScanner
{
    private static readonly HashSet<string> ScriptTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "", "module", "text/javascript", "application/javascript", "application/ecmascript", "text/ecmascript", "application/x-javascript", "text/jscript",
    };

    public static DocumentScan Scan(string path, SourceText source, SriScanOptions? options = null)
    {
        options ??= new SriScanOptions();
        var text = source.Text;
        var razor = TemplateSyntax.IsRazor(path);
        var parser = new HtmlParser(new HtmlParserOptions { IsKeepingSourceReferences = true });
        using var document = parser.ParseDocument(text);

        Uri? baseUri = null;
        if (document.QuerySelector("base[href]")?.GetAttribute("href") is { } baseHref
            && TemplateSyntax.Find(baseHref, razor) is null
            && Uri.TryCreate(baseHref.Trim(), UriKind.Absolute, out var b) && b.Scheme is "http" or "https")
        {
            baseUri = b;
        }

        var tags = new List<ResourceTag>();
        var findings = new List<SriFinding>();
        foreach (var element in Elements(document.DocumentElement))
        {
            if (ToTag(element, source, baseUri, razor, options) is not { } tag)
            {
                continue;
            }

            tags.Add(tag);
            findings.AddRange(Check(path, tag));
        }

        return new DocumentScan(path, source, tags, findings);
    }

    /// <summary>Every element in document order, including the inert content of &lt;template&gt;.</summary>
    private static IEnumerable<IElement> Elements(IElement? root)
    {
        if (root is null)
        {
            yield break;
        }

        var stack = new Stack<INode>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (node is IElement e)
            {
                yield return e;
            }

            var children = node is IHtmlTemplateElement t ? t.Content.ChildNodes : node.ChildNodes;
            for (var i = children.Length - 1; i >= 0; i--)
            {
                stack.Push(children[i]);
            }
        }
    }

    private static ResourceTag? ToTag(IElement element, SourceText source, Uri? baseUri, bool razor, SriScanOptions options)
    {
        string urlAttribute;
        switch (element.LocalName)
        {
            case "script":
                if (element.GetAttribute("type") is { } type && !ScriptTypes.Contains(type.Trim()))
                {
                    return null;
                }

                urlAttribute = "src";
                break;
            case "link":
                var rel = (element.GetAttribute("rel") ?? "").ToLowerInvariant().Split([' ', '\t', '\n', '\f', '\r'], StringSplitOptions.RemoveEmptyEntries);
                var loads = rel.Contains("stylesheet") || rel.Contains("modulepreload")
                    || (rel.Contains("preload") && (element.GetAttribute("as") ?? "").Trim().ToLowerInvariant() is "script" or "style" or "fetch");
                if (!loads)
                {
                    return null;
                }

                urlAttribute = "href";
                break;
            default:
                return null;
        }

        var raw = element.GetAttribute(urlAttribute);
        if (raw is null || element.SourceReference is not { } reference)
        {
            return null;
        }

        var start = reference.Position.Index;
        if (StartTagLexer.Read(source.Text, start) is not { } startTag)
        {
            return null;
        }

        var value = raw.Trim();
        var (line, column) = source.Position(startTag.Find(urlAttribute) is { HasValue: true } a ? a.ValueStart : start);
        var marker = TemplateSyntax.Find(value, razor);
        string? absolute = null;
        if (marker is null)
        {
            if (razor)
            {
                value = value.Replace("@@", "@", StringComparison.Ordinal);
            }

            absolute = Absolute(value, baseUri, options);
        }

        return new ResourceTag
        {
            Element = element.LocalName,
            Tag = startTag,
            UrlAttribute = urlAttribute,
            RawUrl = raw,
            Url = absolute,
            Cdn = absolute is null ? new CdnReference { Url = value, Kind = CdnKind.Other } : CdnUrl.Classify(absolute),
            Integrity = element.GetAttribute("integrity"),
            CrossOrigin = element.GetAttribute("crossorigin"),
            TemplateMarker = marker,
            Line = line,
            Column = column,
        };
    }

    /// <summary>The absolute URL of a cross-origin resource, or null when it is same-origin (or not fetched over http).</summary>
    private static string? Absolute(string value, Uri? baseUri, SriScanOptions options)
    {
        string? absolute = null;
        if (value.StartsWith("//", StringComparison.Ordinal))
        {
            absolute = "https:" + value;
        }
        else if (Uri.TryCreate(value, UriKind.Absolute, out var u) && value.Contains("://", StringComparison.Ordinal))
        {
            absolute = u.Scheme is "http" or "https" ? value : null;
        }
        else if (baseUri is not null && !value.Contains(':', StringComparison.Ordinal) && Uri.TryCreate(baseUri, value, out var resolved))
        {
            absolute = resolved.AbsoluteUri;
        }

        if (absolute is null)
        {
            return null;
        }

        foreach (var self in options.SelfOrigins)
        {
            if (Uri.TryCreate(absolute, UriKind.Absolute, out var au) && Uri.TryCreate(self, UriKind.Absolute, out var su)
                && au.Scheme == su.Scheme && au.Host.Equals(su.Host, StringComparison.OrdinalIgnoreCase) && au.Port == su.Port)
            {
                return null;
            }
        }

        return absolute;
    }

    private static IEnumerable<SriFinding> Check(string path, ResourceTag tag)
    {
        SriFinding F(string code, SriLevel level, string message) => new(code, level, path, tag.Line, tag.Column, tag.Element, tag.Url ?? tag.RawUrl, message);

        if (tag.TemplateMarker is { } marker)
        {
            yield return F(SriCodes.TemplateUrlSkipped, SriLevel.Note, $"the {tag.UrlAttribute} contains template syntax ('{marker}'); the URL is only known when the template renders, so it was not checked");
            yield break;
        }

        if (!tag.IsCrossOrigin)
        {
            yield break;
        }

        var cdn = tag.Cdn;
        if (tag.Url!.StartsWith("http:", StringComparison.OrdinalIgnoreCase))
        {
            yield return F(SriCodes.InsecureUrl, SriLevel.Error, "loaded over plain http from another origin: anyone on the network can replace it; use https");
        }

        if (cdn.Kind == CdnKind.PerBrowser || (cdn.Kind == CdnKind.EsmSh))
        {
            yield return F(SriCodes.PerBrowserService, SriLevel.Error, $"{cdn.Service} generates this response per request or browser, so no integrity value can pin it: self-host the file (vouch sri fix cannot)");
            if (cdn.Kind == CdnKind.PerBrowser)
            {
                yield break;
            }
        }

        if (cdn.IsNpm && !cdn.IsPinned)
        {
            yield return F(SriCodes.UnpinnedCdnUrl, SriLevel.Error, UnpinnedMessage(cdn));
        }

        if (cdn.Kind == CdnKind.JsDelivrGitHub && !cdn.IsPinned)
        {
            yield return F(SriCodes.UnpinnedGitHubRef, SriLevel.Error, cdn.Spec is null
                ? $"{cdn.Package} names no commit or tag: the CDN serves whatever the default branch holds; pin a full commit SHA"
                : $"{cdn.Package}@{cdn.Spec} is a branch, range or moving tag: pin a full commit SHA");
        }

        if (tag.Integrity is null || tag.Integrity.Trim().Length == 0)
        {
            var how = cdn.IsNpm && !cdn.Generated ? "vouch sri fix can pin it and add the hash of the file in the npm tarball" : "add integrity=\"sha384-...\" (vouch sri hash FILE)";
            yield return F(SriCodes.MissingIntegrity, SriLevel.Error, $"no {(tag.Integrity is null ? "" : "non-empty ")}integrity attribute: if {HostOf(tag.Url)} serves other bytes, the browser runs them; {how}");
        }
        else
        {
            var integrity = SriIntegrity.Parse(tag.Integrity);
            var enforced = integrity.Enforced.Count > 0;
            var level = enforced ? SriLevel.Warning : SriLevel.Error;
            var consequence = enforced ? "browsers ignore this token; another one is still enforced" : "browsers ignore it, so nothing is enforced";
            foreach (var token in integrity.Tokens.Where(t => t.IsWeak))
            {
                yield return F(SriCodes.WeakHash, level, $"'{Short(token.Text)}': {token.Problem}; {consequence}; use sha384");
            }

            foreach (var token in integrity.Tokens.Where(t => !t.IsUsable && !t.IsWeak))
            {
                yield return F(SriCodes.MalformedIntegrity, level, $"'{Short(token.Text)}': {token.Problem}; {consequence}");
            }
        }

        if (tag.CrossOrigin is null)
        {
            var hasIntegrity = !string.IsNullOrWhiteSpace(tag.Integrity);
            yield return F(SriCodes.MissingCrossOrigin, hasIntegrity ? SriLevel.Error : SriLevel.Warning, hasIntegrity
                ? "integrity without crossorigin: the browser fetches without CORS, cannot check the opaque response and refuses to run it; add crossorigin=\"anonymous\""
                : "no crossorigin attribute: Subresource Integrity on a cross-origin resource needs crossorigin=\"anonymous\" (CORS)");
        }
    }

    private static string UnpinnedMessage(CdnReference cdn)
    {
        var what = cdn.SpecKind switch
        {
            VersionSpecKind.None => "names no version: the CDN serves whatever `latest` points to",
            VersionSpecKind.Tag => $"names the dist-tag '{cdn.Spec}': it moves with every publish",
            VersionSpecKind.BareMajor => $"names only major {cdn.Spec}: any new {cdn.Spec?.TrimStart('v')}.x.y is served",
            _ => $"names the range '{cdn.Spec}': any new matching version is served",
        };
        return $"{cdn.Package} {what} (a hijacked maintainer account reaches every page at once, as with @lottiefiles/lottie-player in 2024); pin an exact version (vouch sri fix)";
    }

    private static string HostOf(string url) => Uri.TryCreate(url, UriKind.Absolute, out var u) ? u.Host : url;

    private static string Short(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
