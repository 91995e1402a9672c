using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Vouch.AuditBench;

/// <summary>
/// A minimal TUF repository (one ECDSA P-256 key for all four roles, consistent snapshots) serving
/// the sandbox's trust material as targets, so that npm's Sigstore TUF client can refresh offline.
/// </summary>
internal sealed class TufRepository
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TufRepository(IReadOnlyDictionary<string, byte[]> targets, DateTimeOffset now)
    {
        var keyJson = new JsonObject
        {
            ["keytype"] = "ecdsa",
            ["scheme"] = "ecdsa-sha2-nistp256",
            ["keyval"] = new JsonObject { ["public"] = PemEncoding.WriteString("PUBLIC KEY", _key.ExportSubjectPublicKeyInfo()) + "\n" },
        };
        var keyId = Convert.ToHexStringLower(SHA256.HashData(Canonical(keyJson)));
        var expires = now.AddDays(30).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        JsonObject Role() => new() { ["keyids"] = new JsonArray(keyId), ["threshold"] = 1 };

        Root = Sign(keyId, new JsonObject
        {
            ["_type"] = "root",
            ["spec_version"] = "1.0.31",
            ["version"] = 1,
            ["expires"] = expires,
            ["consistent_snapshot"] = true,
            ["keys"] = new JsonObject { [keyId] = keyJson },
            ["roles"] = new JsonObject { ["root"] = Role(), ["timestamp"] = Role(), ["snapshot"] = Role(), ["targets"] = Role() },
        });
        Files["1.root.json"] = Root;

        var targetsMeta = new JsonObject();
        foreach (var (path, content) in targets)
        {
            var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
            targetsMeta[path] = new JsonObject { ["length"] = content.Length, ["hashes"] = new JsonObject { ["sha256"] = sha256 } };
            var slash = path.LastIndexOf('/');
            Files[slash < 0 ? $"targets/{sha256}.{path}" : $"targets/{path[..(slash + 1)]}{sha256}.{path[(slash + 1)..]}"] = content;
        }

        var targetsDoc = Sign(keyId, new JsonObject { ["_type"] = "targets", ["spec_version"] = "1.0.31", ["version"] = 1, ["expires"] = expires, ["targets"] = targetsMeta });
        Files["1.targets.json"] = targetsDoc;
        var snapshot = Sign(keyId, new JsonObject { ["_type"] = "snapshot", ["spec_version"] = "1.0.31", ["version"] = 1, ["expires"] = expires, ["meta"] = new JsonObject { ["targets.json"] = new JsonObject { ["version"] = 1 } } });
        Files["1.snapshot.json"] = snapshot;
        Files["timestamp.json"] = Sign(keyId, new JsonObject
        {
            ["_type"] = "timestamp",
            ["spec_version"] = "1.0.31",
            ["version"] = 1,
            ["expires"] = expires,
            ["meta"] = new JsonObject { ["snapshot.json"] = new JsonObject { ["version"] = 1, ["length"] = snapshot.Length, ["hashes"] = new JsonObject { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(snapshot)) } } },
        });
    }

    /// <summary>The root a client is bootstrapped with (npm: `&lt;cache&gt;/_tuf/tuf-repo-cdn.sigstore.dev/root.json`).</summary>
    public byte[] Root { get; }

    /// <summary>Served files by path below the repository root.</summary>
    public Dictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    private byte[] Sign(string keyId, JsonObject signed)
    {
        var sig = _key.SignData(Canonical(signed), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var doc = new JsonObject { ["signatures"] = new JsonArray(new JsonObject { ["keyid"] = keyId, ["sig"] = Convert.ToHexStringLower(sig) }), ["signed"] = signed };
        return Encoding.UTF8.GetBytes(doc.ToJsonString());
    }

    /// <summary>OLPC canonical JSON as TUF signs it: sorted keys, no whitespace, only `"` and `\` escaped.</summary>
    private static byte[] Canonical(JsonNode node)
    {
        var sb = new StringBuilder();
        Write(node, sb);
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static void Write(JsonNode? node, StringBuilder sb)
    {
        switch (node)
        {
            case JsonObject o:
                sb.Append('{');
                var first = true;
                foreach (var (k, v) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }

                    first = false;
                    WriteString(k, sb);
                    sb.Append(':');
                    Write(v, sb);
                }

                sb.Append('}');
                break;
            case JsonArray a:
                sb.Append('[');
                for (var i = 0; i < a.Count; i++)
                {
                    if (i > 0)
                    {
                        sb.Append(',');
                    }

                    Write(a[i], sb);
                }

                sb.Append(']');
                break;
            case JsonValue v when v.TryGetValue<string>(out var s):
                WriteString(s, sb);
                break;
            case JsonValue v when v.TryGetValue<bool>(out var b):
                sb.Append(b ? "true" : "false");
                break;
            case null:
                sb.Append("null");
                break;
            default:
                sb.Append(node.ToJsonString());
                break;
        }
    }

    private static void WriteString(string s, StringBuilder sb) =>
        sb.Append('"').Append(s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)).Append('"');
}
