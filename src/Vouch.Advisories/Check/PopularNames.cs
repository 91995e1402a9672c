using System.Reflection;

namespace Vouch.Advisories.Check;

/// <summary>
/// The list of popular package names typosquats imitate. Vouch ships one (see the header of
/// popular-npm-names.txt for its source and date); <c>--popular FILE</c> replaces it.
/// </summary>
public sealed class PopularNames
{
    private const int MaxNames = 100_000;

    private PopularNames(IReadOnlyList<string> names, string source, string? date)
    {
        Names = names;
        Set = names.ToHashSet(StringComparer.Ordinal);
        Source = source;
        Date = date;
    }

    public IReadOnlyList<string> Names { get; }

    public IReadOnlySet<string> Set { get; }

    /// <summary>The names split and folded once, in list order, for <see cref="NameSimilarity.FirstResemblance"/>.</summary>
    internal IReadOnlyList<NameSimilarity.NameParts> Parts => _parts ??= [.. Names.Select(NameSimilarity.NameParts.Of)];

    private IReadOnlyList<NameSimilarity.NameParts>? _parts;

    public string Source { get; }

    public string? Date { get; }

    public static PopularNames Shipped()
    {
        using var stream = typeof(PopularNames).Assembly.GetManifestResourceStream("Vouch.Advisories.popular-npm-names.txt")
            ?? throw new InvalidOperationException("popular-npm-names.txt is not embedded");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "shipped popular-npm-names.txt");
    }

    public static PopularNames Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var names = new List<string>();
        string? date = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("# date:", StringComparison.Ordinal))
            {
                date = line["# date:".Length..].Trim();
            }

            var hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
            {
                line = line[..hash].Trim();
            }

            if (line.Length is > 0 and <= Vouch.Npm.PackageName.MaxLength && names.Count < MaxNames)
            {
                names.Add(line.ToLowerInvariant());
            }
        }

        return new PopularNames(names.Distinct(StringComparer.Ordinal).ToList(), source, date);
    }

    /// <summary>Writes the list in the shipped format (header with source and date, one name per line).</summary>
    public static string Format(IEnumerable<string> names, string source, DateTimeOffset date) =>
        $"# Popular npm package names, for typosquatting and scope-confusion checks (vouch check).\n# source: {source}\n# date: {date:yyyy-MM-dd}\n"
        + string.Concat(names.Select(n => n + "\n"));
}
