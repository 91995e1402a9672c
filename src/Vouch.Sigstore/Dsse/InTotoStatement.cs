using System.Text.Json;
using Vouch.Sigstore.Json;

namespace Vouch.Sigstore.Dsse;

public sealed record StatementSubject(string Name, IReadOnlyDictionary<string, string> Digest);

/// <summary>An in-toto Statement (v0.1 or v1) carried in a DSSE envelope.</summary>
public sealed class InTotoStatement
{
    public const string PayloadType = "application/vnd.in-toto+json";

    private InTotoStatement(string type, IReadOnlyList<StatementSubject> subjects, string predicateType, string predicateJson)
    {
        Type = type;
        Subjects = subjects;
        PredicateType = predicateType;
        PredicateJson = predicateJson;
    }

    public string Type { get; }

    public IReadOnlyList<StatementSubject> Subjects { get; }

    public string PredicateType { get; }

    /// <summary>The predicate as JSON text, for the layer that understands its type to parse.</summary>
    public string PredicateJson { get; }

    public static InTotoStatement Parse(ReadOnlyMemory<byte> payload)
    {
        const string doc = "in-toto statement";
        using var json = JsonFields.Parse(payload, doc);
        var root = json.RootElement;
        var f = new JsonFields();
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new SigstoreFormatException(doc, ["$: expected an object"], SigstoreCodes.DssePayloadMalformed);
        }

        var type = f.String(root, "_type", "$", required: true);
        if (type is not null and not ("https://in-toto.io/Statement/v0.1" or "https://in-toto.io/Statement/v1"))
        {
            f.Error("$._type", $"unsupported statement type '{type}'");
        }

        var predicateType = f.String(root, "predicateType", "$", required: true);
        var subjects = new List<StatementSubject>();
        var items = f.Array(root, "subject", "$", required: true, Limits.MaxStatementSubjects);
        for (var i = 0; i < items.Count; i++)
        {
            var p = $"$.subject[{i}]";
            var name = f.String(items[i], "name", p, required: false) ?? "";
            var digests = new Dictionary<string, string>(StringComparer.Ordinal);
            if (f.Object(items[i], "digest", p, required: true) is { } d)
            {
                foreach (var prop in d.EnumerateObject())
                {
                    if (prop.Value.ValueKind != JsonValueKind.String)
                    {
                        f.Error($"{p}.digest.{prop.Name}", "expected a string");
                        continue;
                    }

                    digests[prop.Name.ToLowerInvariant()] = prop.Value.GetString()!.ToLowerInvariant();
                }
            }

            subjects.Add(new StatementSubject(name, digests));
        }

        var predicate = root.TryGetProperty("predicate", out var pr) ? pr.GetRawText() : "null";
        if (f.HasErrors)
        {
            throw new SigstoreFormatException(doc, f.Errors, SigstoreCodes.DssePayloadMalformed);
        }

        return new InTotoStatement(type!, subjects, predicateType!, predicate);
    }
}
