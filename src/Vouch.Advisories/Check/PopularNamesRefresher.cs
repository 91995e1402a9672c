using System.Text.Json;
using Vouch.Common.Json;

namespace Vouch.Advisories.Check;

/// <summary>
/// Ranks candidate package names by last-week downloads from the npm downloads API
/// (<c>GET /downloads/point/last-week/a,b,c</c>: up to 128 unscoped names per request; scoped names
/// one per request, as the API does not batch them) to produce a fresh popular-names list.
/// Download counts are public facts; the candidate list says which names to ask about.
/// </summary>
public static class PopularNamesRefresher
{
    public static readonly Uri DefaultApi = new("https://api.npmjs.org/");
    private const int BatchSize = 128;
    private const int MaxCandidates = 20_000;
    private const long MaxResponseBytes = 4 * 1024 * 1024;

    public sealed record Ranked(IReadOnlyList<(string Name, long Downloads)> Names, IReadOnlyList<string> Failed);

    public static async Task<Ranked> RankAsync(IReadOnlyList<string> candidates, HttpMessageHandler handler, Uri api, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(api);
        if (candidates.Count > MaxCandidates)
        {
            throw new AdvisoryException(AdvisoryCodes.InputTooLarge, $"more than {MaxCandidates} candidate names");
        }

        using var client = new HttpClient(handler, disposeHandler: false) { Timeout = TimeSpan.FromSeconds(60), MaxResponseContentBufferSize = MaxResponseBytes };
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var failed = new List<string>();
        var valid = candidates.Select(c => c.Trim().ToLowerInvariant()).Where(c => c.Length > 0 && Vouch.Npm.PackageName.Validate(c).Errors.Count == 0).Distinct(StringComparer.Ordinal).ToList();
        var batches = valid.Where(n => !n.StartsWith('@')).Chunk(BatchSize).Select(b => (Names: b, Bulk: b.Length > 1))
            .Concat(valid.Where(n => n.StartsWith('@')).Select(n => (Names: new[] { n }, Bulk: false)));
        foreach (var (names, bulk) in batches)
        {
            // Names are validated npm names; the scope's "@" and "/" are escaped like npm's registry URLs.
            var url = new Uri(api, "downloads/point/last-week/" + string.Join(',', names.Select(n => n.Replace("/", "%2f", StringComparison.Ordinal))));
            try
            {
                using var response = await client.GetAsync(url, cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    failed.AddRange(names);
                    continue;
                }

                using var doc = JsonInput.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false), AdvisoryLimits.MaxJsonDepth);
                if (!bulk)
                {
                    Read(doc.RootElement, names[0]);
                }
                else
                {
                    foreach (var n in names)
                    {
                        Read(doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(n, out var e) ? e : default, n);
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                failed.AddRange(names);
            }
        }

        return new Ranked(counts.OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (kv.Key, kv.Value)).ToList(), failed);

        void Read(JsonElement e, string name)
        {
            if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("downloads", out var d) && d.TryGetInt64(out var n) && n >= 0)
            {
                counts[name] = n;
            }
            else
            {
                failed.Add(name);
            }
        }
    }
}
