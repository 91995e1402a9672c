using System.Security.Cryptography;
using Tomlyn.Model;
using Vouch.Reviews.Records;
using Vouch.Sigstore.Crypto;

namespace Vouch.Reviews.Signed;

/// <summary>Trust levels, as cargo-crev names them; <see cref="Distrust"/> is not a level but a cut.</summary>
public enum TrustLevel
{
    None = 0,
    Low = 1,
    Medium = 2,
    High = 3,
    Distrust = -1,
}

/// <summary>A reviewer: a Fulcio identity (SAN + OIDC issuer) or a local public key.</summary>
public sealed record Reviewer
{
    public required string Id { get; init; }

    public string? Identity { get; init; }

    public string? Issuer { get; init; }

    public PublicKey? Key { get; init; }

    /// <summary>The organisation's own trust in this reviewer; null when the organisation only trusts them through others.</summary>
    public TrustLevel? Level { get; init; }

    public required SourceLocation Location { get; init; }
}

/// <summary>`from` trusts (or distrusts) `to` at a level.</summary>
public sealed record TrustEdge(string From, string To, TrustLevel Level, SourceLocation Location);

/// <summary>A reviewer's standing once the web of trust is evaluated.</summary>
public sealed record EffectiveTrust(string Reviewer, TrustLevel Level, int Depth, IReadOnlyList<string> Path, bool Distrusted, string? DistrustedBy);

/// <summary>
/// The organisation's web of trust (`supply-chain/trust.toml`): reviewers it trusts directly, and
/// trust between reviewers. A reviewer's level is the best, over paths of at most the allowed depth, of
/// the lowest level along the path; a distrust from the organisation or from any trusted reviewer cuts
/// every path through the distrusted one.
/// </summary>
public sealed class TrustGraph
{
    public const string FileName = "trust.toml";
    public const string Organisation = "(organisation)";

    private static readonly HashSet<string> ReviewerKeys = ["id", "identity", "issuer", "public-key", "level", "notes"];
    private static readonly HashSet<string> EdgeKeys = ["from", "to", "level", "notes"];

    private readonly Dictionary<string, Reviewer> _reviewers;

    public TrustGraph(IEnumerable<Reviewer> reviewers, IEnumerable<TrustEdge> edges)
    {
        _reviewers = reviewers.ToDictionary(r => r.Id, StringComparer.Ordinal);
        Edges = edges.ToList();
    }

    public IReadOnlyCollection<Reviewer> Reviewers => _reviewers.Values;

    public IReadOnlyList<TrustEdge> Edges { get; }

    public static TrustGraph Empty { get; } = new([], []);

    public static TrustGraph Load(string supplyChainDirectory)
    {
        var path = Path.Combine(supplyChainDirectory, FileName);
        if (!File.Exists(path))
        {
            return Empty;
        }

        if (new FileInfo(path).Length > ReviewLimits.MaxFileBytes)
        {
            throw new ReviewFormatException(ReviewCodes.FileTooLarge, path, [new ReviewProblem(path, 0, 0, $"larger than {ReviewLimits.MaxFileBytes} bytes")]);
        }

        return Parse(File.ReadAllText(path), path);
    }

    public static TrustGraph Parse(string text, string file)
    {
        var tree = TomlTree.Parse(text, file);
        var problems = tree.Problems;
        var reviewers = new List<Reviewer>();
        var edges = new List<TrustEdge>();
        if (problems.Count == 0)
        {
            foreach (var (key, value) in tree.Root)
            {
                var at = tree.Location(tree.Root, key);
                var items = value is TomlArray arr && arr.All(x => x is TomlTable) ? arr.Cast<TomlTable>().ToList() : null;
                if (key is not ("reviewer" or "trust") || items is null)
                {
                    problems.Add(new ReviewProblem(file, at.Line, at.Column, $"expected [[reviewer]] or [[trust]] entries, not '{key}'"));
                    continue;
                }

                if (items.Count > ReviewLimits.MaxTrustEntries)
                {
                    problems.Add(new ReviewProblem(file, at.Line, at.Column, $"more than {ReviewLimits.MaxTrustEntries} entries"));
                    continue;
                }

                foreach (var t in items)
                {
                    var loc = tree.Location(t, TomlTree.HeaderKey);
                    void Bad(string m) => problems.Add(new ReviewProblem(file, loc.Line, loc.Column, m));
                    string? S(string k) => t.TryGetValue(k, out var v) ? v as string ?? Fail<string>(k) : null;
                    T? Fail<T>(string k)
                    {
                        Bad($"'{k}' must be a string");
                        return default;
                    }

                    foreach (var (k, _) in t)
                    {
                        if (!(key == "reviewer" ? ReviewerKeys : EdgeKeys).Contains(k))
                        {
                            var kl = tree.Location(t, k);
                            problems.Add(new ReviewProblem(file, kl.Line, kl.Column, $"unknown key '{k}'"));
                        }
                    }

                    var levelText = S("level");
                    TrustLevel? level = levelText is null ? null : ParseLevel(levelText);
                    if (levelText is not null && level is null)
                    {
                        Bad($"level '{levelText}' is not none, low, medium, high or distrust");
                    }

                    if (key == "reviewer")
                    {
                        var id = S("id");
                        var identity = S("identity");
                        var issuer = S("issuer");
                        var pem = S("public-key");
                        PublicKey? publicKey = null;
                        if (pem is not null)
                        {
                            try
                            {
                                publicKey = PublicKey.FromSubjectPublicKeyInfo(PemDecode(pem));
                            }
                            catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException)
                            {
                                Bad($"'public-key' is not a PEM public key: {e.Message}");
                            }
                        }

                        if (id is null || (identity is null) == (pem is null) || (identity is not null && issuer is null))
                        {
                            Bad("a reviewer needs 'id' and either 'identity' with 'issuer' (keyless) or 'public-key'");
                            continue;
                        }

                        reviewers.Add(new Reviewer { Id = id, Identity = identity, Issuer = issuer, Key = publicKey, Level = level, Location = loc });
                    }
                    else
                    {
                        var from = S("from") ?? Organisation;
                        var to = S("to");
                        if (to is null || level is null)
                        {
                            Bad("a trust entry needs 'to' and 'level' ('from' defaults to the organisation)");
                            continue;
                        }

                        edges.Add(new TrustEdge(from, to, level.Value, loc));
                    }
                }
            }
        }

        var ids = reviewers.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var e in edges)
        {
            foreach (var end in new[] { e.From, e.To }.Where(x => x != Organisation && !ids.Contains(x)))
            {
                problems.Add(new ReviewProblem(file, e.Location.Line, e.Location.Column, $"trust names unknown reviewer '{end}'"));
            }
        }

        foreach (var dup in reviewers.GroupBy(r => r.Id).Where(g => g.Count() > 1))
        {
            var l = dup.Last().Location;
            problems.Add(new ReviewProblem(file, l.Line, l.Column, $"reviewer '{dup.Key}' is defined twice"));
        }

        if (problems.Count > 0)
        {
            throw new ReviewFormatException(ReviewCodes.FileMalformed, file, problems);
        }

        return new TrustGraph(reviewers, edges);
    }

    public static TrustLevel? ParseLevel(string text) => text switch
    {
        "none" => TrustLevel.None,
        "low" => TrustLevel.Low,
        "medium" => TrustLevel.Medium,
        "high" => TrustLevel.High,
        "distrust" => TrustLevel.Distrust,
        _ => null,
    };

    public Reviewer? FindByIdentity(string san, string? issuer) =>
        _reviewers.Values.FirstOrDefault(r => r.Identity == san && r.Issuer == issuer);

    public Reviewer? Find(string id) => _reviewers.GetValueOrDefault(id);

    /// <summary>Every reviewer's standing with paths of at most <paramref name="maxDepth"/> steps from the organisation.</summary>
    public IReadOnlyDictionary<string, EffectiveTrust> Evaluate(int maxDepth)
    {
        maxDepth = Math.Clamp(maxDepth, 1, ReviewLimits.MaxTrustDepth);
        var all = Edges.Concat(_reviewers.Values.Where(r => r.Level is not null).Select(r => new TrustEdge(Organisation, r.Id, r.Level!.Value, r.Location))).ToList();
        var distrusted = new Dictionary<string, string>(StringComparer.Ordinal);
        Dictionary<string, (TrustLevel Level, int Depth, List<string> Path)> best;
        while (true)
        {
            best = Propagate(all, distrusted, maxDepth);
            var changed = false;
            foreach (var e in all.Where(e => e.Level == TrustLevel.Distrust && !distrusted.ContainsKey(e.To)))
            {
                // A distrust counts when its author is the organisation or a reviewer trusted (above none) right now.
                if (e.From == Organisation || (best.TryGetValue(e.From, out var b) && b.Level > TrustLevel.None))
                {
                    distrusted[e.To] = e.From;
                    changed = true;
                }
            }

            if (!changed)
            {
                break;
            }
        }

        var result = new Dictionary<string, EffectiveTrust>(StringComparer.Ordinal);
        foreach (var r in _reviewers.Keys)
        {
            if (distrusted.TryGetValue(r, out var by))
            {
                result[r] = new EffectiveTrust(r, TrustLevel.Distrust, 0, [], true, by);
            }
            else if (best.TryGetValue(r, out var b))
            {
                result[r] = new EffectiveTrust(r, b.Level, b.Depth, b.Path, false, null);
            }
            else
            {
                result[r] = new EffectiveTrust(r, TrustLevel.None, 0, [], false, null);
            }
        }

        return result;
    }

    private static Dictionary<string, (TrustLevel Level, int Depth, List<string> Path)> Propagate(List<TrustEdge> edges, Dictionary<string, string> distrusted, int maxDepth)
    {
        // Layer by layer (Bellman-Ford bounded by depth): level(v, d) = max over u->v of min(level(u, d-1), edge).
        var best = new Dictionary<string, (TrustLevel Level, int Depth, List<string> Path)>(StringComparer.Ordinal);
        var layer = new Dictionary<string, (TrustLevel Level, List<string> Path)>(StringComparer.Ordinal) { [Organisation] = (TrustLevel.High, [Organisation]) };
        for (var depth = 1; depth <= maxDepth && layer.Count > 0; depth++)
        {
            var next = new Dictionary<string, (TrustLevel Level, List<string> Path)>(StringComparer.Ordinal);
            foreach (var e in edges)
            {
                if (e.Level <= TrustLevel.None || distrusted.ContainsKey(e.To) || distrusted.ContainsKey(e.From) || !layer.TryGetValue(e.From, out var from) || from.Level <= TrustLevel.None)
                {
                    continue;
                }

                var level = (TrustLevel)Math.Min((int)from.Level, (int)e.Level);
                if (!next.TryGetValue(e.To, out var cur) || level > cur.Level)
                {
                    next[e.To] = (level, [.. from.Path, e.To]);
                }
            }

            foreach (var (v, (level, path)) in next)
            {
                if (!best.TryGetValue(v, out var b) || level > b.Level)
                {
                    best[v] = (level, depth, path);
                }
            }

            layer = next;
        }

        return best;
    }

    private static byte[] PemDecode(string pem)
    {
        var fields = System.Security.Cryptography.PemEncoding.Find(pem);
        return Convert.FromBase64String(pem[fields.Base64Data]);
    }
}
