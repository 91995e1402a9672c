using System.Text;

namespace Vouch.Sri;

public enum FixOutcome
{
    /// <summary>The tag was rewritten (pinned, integrity and/or crossorigin added).</summary>
    Fixed,

    /// <summary>The tag needed fixing and Vouch refused or could not: <see cref="TagFix.Code"/> says why.</summary>
    Refused,

    /// <summary>The registry or network failed while resolving this tag.</summary>
    NetworkError,
}

/// <summary>What `fix` did with one tag.</summary>
public sealed record TagFix
{
    public required ResourceTag Tag { get; init; }

    public required FixOutcome Outcome { get; init; }

    public string? Code { get; init; }

    public required string Message { get; init; }

    public string? NewUrl { get; init; }

    public string? Integrity { get; init; }

    public string? Version { get; init; }

    /// <summary>Other things worth knowing (default file chosen, an old integrity replaced).</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];
}

/// <summary>One replacement of original text: [Start, End) becomes <see cref="Text"/>.</summary>
public sealed record TextEdit(int Start, int End, string Text);

/// <summary>The fixed text of one file and what happened to each tag.</summary>
public sealed record DocumentFix(DocumentScan Scan, string NewText, IReadOnlyList<TextEdit> Edits, IReadOnlyList<TagFix> Tags)
{
    public bool Changed => Edits.Count > 0;
}

/// <summary>
/// Rewrites the tags a scan flagged: pins npm CDN URLs to the verified version and an explicit
/// file, adds integrity computed from that file in the tarball and crossorigin="anonymous". Edits
/// the original text at the positions the parser reported; every other byte stays as it was.
/// </summary>
public static class SriFixer
{
    public static async Task<DocumentFix> FixAsync(DocumentScan scan, NpmCdnResolver resolver, CancellationToken cancellationToken = default)
    {
        var text = scan.Source.Text;
        var razor = TemplateSyntax.IsRazor(scan.Path);
        var edits = new List<TextEdit>();
        var results = new List<TagFix>();
        foreach (var tag in scan.Tags)
        {
            var flagged = scan.Findings.Any(f => f.Line == tag.Line && f.Column == tag.Column && f.Code != SriCodes.TemplateUrlSkipped);
            if (!flagged || !tag.IsCrossOrigin)
            {
                continue;
            }

            var resolution = await resolver.ResolveAsync(tag.Cdn, cancellationToken).ConfigureAwait(false);
            if (resolution.Status != ResolutionStatus.Resolved)
            {
                results.Add(new TagFix
                {
                    Tag = tag,
                    Outcome = resolution.Status == ResolutionStatus.NetworkError ? FixOutcome.NetworkError : FixOutcome.Refused,
                    Code = resolution.Code,
                    Message = resolution.Message ?? "not fixed",
                });
                continue;
            }

            var (tagEdits, fix) = Plan(text, tag, resolution, razor);
            edits.AddRange(tagEdits);
            results.Add(fix);
        }

        return new DocumentFix(scan, Apply(text, edits), edits, results);
    }

    /// <summary>Applies non-overlapping edits to the original text.</summary>
    public static string Apply(string text, IReadOnlyList<TextEdit> edits)
    {
        var sorted = edits.OrderBy(e => e.Start).ThenBy(e => e.End).ToList();
        var sb = new StringBuilder(text.Length + edits.Sum(e => e.Text.Length));
        var at = 0;
        foreach (var e in sorted)
        {
            if (e.Start < at)
            {
                throw new InvalidOperationException("overlapping edits");
            }

            sb.Append(text, at, e.Start - at).Append(e.Text);
            at = e.End;
        }

        return sb.Append(text, at, text.Length - at).ToString();
    }

    private static (List<TextEdit> Edits, TagFix Fix) Plan(string text, ResourceTag tag, NpmFileResolution resolution, bool razor)
    {
        var edits = new List<TextEdit>();
        var notes = new List<string>();
        if (resolution.PathNote is { } pathNote)
        {
            notes.Add(pathNote);
        }

        var cdn = tag.Cdn;
        var newUrl = cdn.WithVersionAndFile(resolution.Version!, resolution.FilePath!);
        var integrity = SriIntegrity.Compute(resolution.Content!, SriAlgorithm.Sha384);
        var urlAttribute = tag.Tag.Find(tag.UrlAttribute)!;
        var quote = urlAttribute.Quote == '\'' ? '\'' : '"';

        // 1. The URL: edit only the characters that change, inside the attribute value.
        if (newUrl != cdn.Url)
        {
            var oldRaw = text[urlAttribute.ValueStart..urlAttribute.ValueEnd];
            if (NewRawUrl(oldRaw, tag, cdn.Url, newUrl, razor) is not { } newRaw)
            {
                return (edits, new TagFix
                {
                    Tag = tag,
                    Outcome = FixOutcome.Refused,
                    Code = SriCodes.FixNotNpm,
                    Message = $"the {tag.UrlAttribute} is written with character references Vouch will not rewrite; change it to {newUrl} and add integrity=\"{integrity}\" by hand",
                });
            }

            edits.Add(Minimal(urlAttribute.ValueStart, oldRaw, newRaw));
        }

        // 2. Integrity: keep a value that already matches the file, otherwise replace or add it.
        var insert = new StringBuilder();
        var existing = tag.Tag.Find("integrity");
        if (existing is null)
        {
            insert.Append($" integrity={quote}{integrity}{quote}");
        }
        else if (tag.Integrity is { } current && SriIntegrity.Parse(current).Matches(resolution.Content))
        {
            integrity = current;
        }
        else
        {
            if (tag.Integrity is { } old && SriIntegrity.Parse(old).Enforced.Count > 0)
            {
                notes.Add($"{SriCodes.IntegrityMismatch}: the old integrity does not match {resolution.FilePath} in the tarball of {resolution.Package}@{resolution.Version}; replaced");
            }

            edits.Add(existing.HasValue
                ? Minimal(existing.ValueStart, text[existing.ValueStart..existing.ValueEnd], integrity)
                : new TextEdit(existing.End, existing.End, $"={quote}{integrity}{quote}"));
        }

        // 3. crossorigin: any value the author chose (anonymous, use-credentials) stays.
        if (tag.Tag.Find("crossorigin") is null)
        {
            insert.Append($" crossorigin={quote}anonymous{quote}");
        }

        if (insert.Length > 0)
        {
            edits.Add(new TextEdit(tag.Tag.InsertAt, tag.Tag.InsertAt, insert.ToString()));
        }

        var what = newUrl != cdn.Url ? $"pinned to {resolution.Package}@{resolution.Version}/{resolution.FilePath}" : "kept the URL";
        return (edits, new TagFix
        {
            Tag = tag,
            Outcome = FixOutcome.Fixed,
            Message = $"{what}; integrity {integrity} (from the verified tarball)",
            NewUrl = newUrl,
            Integrity = integrity,
            Version = resolution.Version,
            Notes = notes,
        });
    }

    /// <summary>
    /// The attribute's new source text: the old text with the changed tail of the URL replaced. The
    /// part of the URL before the change (a protocol-relative `//host`, a path relative to
    /// &lt;base href&gt;) stays as written. Null when the source text does not spell the URL literally.
    /// </summary>
    private static string? NewRawUrl(string oldRaw, ResourceTag tag, string oldUrl, string newUrl, bool razor)
    {
        var p = 0;
        while (p < oldUrl.Length && p < newUrl.Length && oldUrl[p] == newUrl[p])
        {
            p++;
        }

        // Replace from the last '/' before the first difference, so the edit is a whole path piece.
        var cut = oldUrl.LastIndexOf('/', Math.Max(0, p - 1)) + 1;
        var oldTail = oldUrl[cut..];
        var newTail = newUrl[cut..];
        var literal = razor ? oldRaw.Replace("@@", "@", StringComparison.Ordinal) : oldRaw;
        var trimmed = literal.TrimEnd();
        if (!trimmed.EndsWith(oldTail, StringComparison.Ordinal) || literal != tag.RawUrl.Replace("@@", razor ? "@" : "@@", StringComparison.Ordinal))
        {
            return null;
        }

        var head = trimmed[..^oldTail.Length];
        var result = head + newTail + literal[trimmed.Length..];
        return razor ? RazorEscape(result) : result;
    }

    /// <summary>Razor reads `@` after a non-word character as code: such an `@` is written `@@`.</summary>
    private static string RazorEscape(string s)
    {
        var sb = new StringBuilder(s.Length + 4);
        for (var i = 0; i < s.Length; i++)
        {
            sb.Append(s[i]);
            if (s[i] == '@' && (i == 0 || !(char.IsAsciiLetterOrDigit(s[i - 1]) || s[i - 1] is '_' or '.' or '-')))
            {
                sb.Append('@');
            }
        }

        return sb.ToString();
    }

    /// <summary>An edit limited to the characters that differ between old and new.</summary>
    private static TextEdit Minimal(int start, string oldText, string newText)
    {
        var p = 0;
        while (p < oldText.Length && p < newText.Length && oldText[p] == newText[p])
        {
            p++;
        }

        var s = 0;
        while (s < oldText.Length - p && s < newText.Length - p && oldText[^(s + 1)] == newText[^(s + 1)])
        {
            s++;
        }

        return new TextEdit(start + p, start + oldText.Length - s, newText[p..^s]);
    }
}
