using System.Text.RegularExpressions;

namespace Vouch.Sri;

/// <summary>
/// Which files `vouch sri` reads, and how to tell a URL that a template engine fills in at render
/// time (such a URL is only known then, so it is reported as skipped rather than guessed at).
/// </summary>
public static partial class TemplateSyntax
{
    private static readonly HashSet<string> HtmlExtensions = new(StringComparer.OrdinalIgnoreCase) { ".html", ".htm", ".xhtml", ".shtml" };

    private static readonly HashSet<string> TemplateExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".cshtml", ".razor", ".vbhtml", ".erb", ".hbs", ".handlebars", ".mustache", ".njk", ".nunjucks", ".jinja", ".jinja2", ".j2",
        ".vue", ".svelte", ".php", ".phtml", ".jsp", ".jspx", ".asp", ".aspx", ".astro", ".liquid", ".twig", ".ejs", ".pug", ".haml",
        ".tmpl", ".tpl", ".gohtml", ".mdx", ".heex", ".eex", ".blade.php",
    };

    /// <summary>Is this a file `vouch sri` reads when it walks a directory?</summary>
    public static bool IsSupported(string path)
    {
        var ext = Path.GetExtension(path);
        return HtmlExtensions.Contains(ext) || (TemplateExtensions.Contains(ext) && ext is not ".pug" and not ".haml");
    }

    /// <summary>Razor treats `@` followed by code as an expression (but not inside words, e.g. `react@18`).</summary>
    public static bool IsRazor(string path) => Path.GetExtension(path).ToLowerInvariant() is ".cshtml" or ".razor" or ".vbhtml";

    /// <summary>The template syntax in an attribute value, or null when it is plain text.</summary>
    public static string? Find(string value, bool razor)
    {
        var m = Markers().Match(value);
        if (m.Success)
        {
            return m.Value;
        }

        var trimmed = value.TrimStart();
        if (trimmed.StartsWith('{'))
        {
            // Svelte, Astro, JSX: src={expression}.
            return "{";
        }

        if (razor)
        {
            var r = RazorExpression().Match(value);
            if (r.Success)
            {
                return r.Value;
            }
        }

        return null;
    }

    // {{ }} (Handlebars, Jinja, Vue, Angular), {% %} (Liquid, Twig, Nunjucks), <% %> (ERB, EJS, JSP, ASP),
    // <?php ?>, ${ } (JSP EL, JS templates), #{ } (Pug, Ruby), [[ ]] (Thymeleaf inline).
    [GeneratedRegex(@"\{\{|\{%|<%|<\?|\$\{|#\{|\[\[")]
    private static partial Regex Markers();

    // `@` that starts Razor code: at the start or after a non-word character, followed by code.
    [GeneratedRegex(@"(?<![A-Za-z0-9_.\-@])@[A-Za-z_(]")]
    private static partial Regex RazorExpression();
}
