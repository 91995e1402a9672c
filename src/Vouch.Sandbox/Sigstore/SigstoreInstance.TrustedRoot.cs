using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;

namespace Vouch.Sandbox.Sigstore;

public sealed partial class SigstoreInstance
{
    public const string TrustedRootMediaType = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

    /// <summary>
    /// The trusted root (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`) that trusts
    /// exactly this instance: its Rekor log(s), the CA chain (intermediate, then root), the CT log and
    /// the TSA chain (signing certificate, then root).
    /// </summary>
    public string TrustedRootJson()
    {
        var tlogs = new JsonArray(LogInstance(Options.RekorUrl, _rekor.Key.SubjectPublicKeyInfo, _rekor.Key.KeyDetails, _rekor.LogId));
        if (_rekorV2 is not null)
        {
            tlogs.Add(LogInstance(Options.RekorV2Url, _rekorV2.Key.SubjectPublicKeyInfo, _rekorV2.Key.KeyDetails, _rekorV2.LogId));
        }

        var root = new JsonObject
        {
            ["mediaType"] = TrustedRootMediaType,
            ["tlogs"] = tlogs,
            ["certificateAuthorities"] = new JsonArray(Authority(Options.FulcioUrl, _fulcio.Intermediate, _fulcio.Root)),
            ["ctlogs"] = new JsonArray(LogInstance(Options.CtLogUrl, _ctLog.Key.SubjectPublicKeyInfo, _ctLog.Key.KeyDetails, _ctLog.LogId)),
            ["timestampAuthorities"] = new JsonArray(Authority(Options.TsaUrl, _tsa.SigningCertificate, _tsa.Root)),
        };
        return root.ToJsonString(Rfc8785Json.DocumentOptions);
    }

    private JsonObject LogInstance(string baseUrl, byte[] spki, string keyDetails, byte[] logId) => new()
    {
        ["baseUrl"] = baseUrl,
        ["hashAlgorithm"] = "SHA2_256",
        ["publicKey"] = new JsonObject
        {
            ["rawBytes"] = Convert.ToBase64String(spki),
            ["keyDetails"] = keyDetails,
            ["validFor"] = ValidFor(),
        },
        ["logId"] = new JsonObject { ["keyId"] = Convert.ToBase64String(logId) },
    };

    private JsonObject Authority(string uri, X509Certificate2 issuing, X509Certificate2 root)
    {
        var subject = new JsonObject();
        foreach (var rdn in root.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            var key = rdn.GetSingleElementType().Value switch
            {
                "2.5.4.10" => "organization",
                "2.5.4.3" => "commonName",
                _ => null,
            };
            if (key is not null)
            {
                subject[key] = rdn.GetSingleElementValue();
            }
        }

        return new JsonObject
        {
            ["subject"] = subject,
            ["uri"] = uri,
            ["certChain"] = new JsonObject
            {
                ["certificates"] = new JsonArray(RawBytes(issuing.RawData), RawBytes(root.RawData)),
            },
            ["validFor"] = ValidFor(),
        };
    }

    private JsonObject ValidFor()
    {
        var range = new JsonObject { ["start"] = Rfc3339(Options.ValidFrom!.Value) };
        if (Options.ValidUntil is { } end)
        {
            range["end"] = Rfc3339(end);
        }

        return range;
    }

    private static string Rfc3339(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
