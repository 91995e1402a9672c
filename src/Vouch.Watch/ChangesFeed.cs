using System.Text.Json;
using Vouch.Npm;
using Vouch.Common.Json;

namespace Vouch.Watch;

/// <summary>One page of a CouchDB-style changes feed: the package names that changed and where to continue.</summary>
public sealed record ChangesPage(IReadOnlyList<string> Names, string LastSequence, bool More);

/// <summary>
/// Follows a registry's CouchDB-style changes feed (<c>GET /_changes?since=SEQ&amp;limit=N</c>, the
/// shape the npm replication feed and CouchDB serve: <c>{"results":[{"seq":…,"id":NAME}],"last_seq":…}</c>).
/// A sequence is opaque (a number or a string) and kept as text. The feed only says which packages
/// changed; what changed is always read from the packument.
/// </summary>
public sealed class ChangesFeed(RegistryClient client)
{
    /// <summary>The current end of the feed (<c>since=now</c>), or null when the registry serves no feed (any failure).</summary>
    public async Task<string?> ProbeAsync(CancellationToken ct)
    {
        var result = await client.GetRegistryDocumentAsync("_changes?since=now&limit=1", Limits.MaxChangesBytes, ct).ConfigureAwait(false);
        return result.IsOk && Parse(result.Value, 1, out var page, out _) ? page!.LastSequence : null;
    }

    /// <summary>The changes after <paramref name="since"/>; a failure is a value with the reason.</summary>
    public async Task<(ChangesPage? Page, string? Error, bool NetworkFailed)> ReadAsync(string since, CancellationToken ct)
    {
        var query = $"_changes?since={Uri.EscapeDataString(since)}&limit={Limits.ChangesBatchSize}";
        var result = await client.GetRegistryDocumentAsync(query, Limits.MaxChangesBytes, ct).ConfigureAwait(false);
        if (!result.IsOk)
        {
            return (null, result.Error, result.Status == RegistryStatus.NetworkError);
        }

        return Parse(result.Value, Limits.ChangesBatchSize, out var page, out var error) ? (page, null, false) : (null, $"{result.Url}: {error}", false);
    }

    internal static bool Parse(byte[] body, int limit, out ChangesPage? page, out string? error)
    {
        page = null;
        try
        {
            using var doc = JsonInput.Parse(body, Vouch.Npm.Limits.MaxJsonDepth);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("last_seq", out var last) || Sequence(last) is not { } lastSeq)
            {
                error = "not a changes feed (no last_seq)";
                return false;
            }

            var names = new List<string>();
            var rows = 0;
            if (root.TryGetProperty("results", out var results))
            {
                if (results.ValueKind != JsonValueKind.Array)
                {
                    error = "results is not an array";
                    return false;
                }

                foreach (var row in results.EnumerateArray())
                {
                    rows++;
                    // Rows naming no valid package (design documents, junk) are skipped, not trusted.
                    if (row.ValueKind == JsonValueKind.Object && row.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String
                        && id.GetString() is { } name && PackageName.Validate(name).ValidForOldPackages)
                    {
                        names.Add(name);
                    }
                }
            }

            page = new ChangesPage(names.Distinct(StringComparer.Ordinal).ToList(), lastSeq, rows >= limit);
            error = null;
            return true;
        }
        catch (JsonException e)
        {
            error = $"the changes feed is not valid JSON ({e.Message})";
            return false;
        }
    }

    private static string? Sequence(JsonElement e)
    {
        var text = e.ValueKind switch
        {
            JsonValueKind.Number => e.GetRawText(),
            JsonValueKind.String => e.GetString(),
            _ => null,
        };
        return text is { Length: > 0 and <= Limits.MaxSequenceChars } ? text : null;
    }
}
