using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using Vouch.Sigstore.Crypto;
using Vouch.Sigstore.Json;
using Vouch.Sigstore.X509;

namespace Vouch.Sigstore.Trust;

/// <summary>A validity window from trust material. Both ends are inclusive; the start is mandatory.</summary>
public sealed record TimeRange(DateTimeOffset Start, DateTimeOffset? End)
{
    public bool Contains(DateTimeOffset time) => Start <= time && (End is null || time <= End.Value);

    public override string ToString() => End is null ? $"from {Start:u}" : $"{Start:u} to {End:u}";
}

/// <summary>A transparency log or CT log the trusted root vouches for.</summary>
public sealed class TransparencyLog
{
    internal TransparencyLog(string baseUrl, byte[] logId, PublicKey? key, string keyDetails, TimeRange validFor)
    {
        BaseUrl = baseUrl;
        LogId = logId;
        Key = key;
        KeyDetails = keyDetails;
        ValidFor = validFor;
    }

    public string BaseUrl { get; }

    public byte[] LogId { get; }

    /// <summary>The log's key; null when its algorithm is one Vouch does not implement (the log is then unusable).</summary>
    public PublicKey? Key { get; }

    public string KeyDetails { get; }

    public TimeRange ValidFor { get; }

    /// <summary>The host name of <see cref="BaseUrl"/>, which checkpoint origins start with.</summary>
    public string Host => Uri.TryCreate(BaseUrl, UriKind.Absolute, out var u) ? u.Authority : BaseUrl;
}

/// <summary>A certificate authority (Fulcio) or timestamp authority with its chain, leaf-most first.</summary>
public sealed class CertificateAuthority
{
    private readonly Lazy<bool> _chainValid;

    internal CertificateAuthority(string? uri, string? subject, IReadOnlyList<Certificate> chain, TimeRange validFor)
    {
        Uri = uri;
        Subject = subject;
        Chain = chain;
        ValidFor = validFor;
        _chainValid = new Lazy<bool>(CheckChain);
    }

    public string? Uri { get; }

    public string? Subject { get; }

    public IReadOnlyList<Certificate> Chain { get; }

    public TimeRange ValidFor { get; }

    /// <summary>The certificate that issues leaves (first of the chain).</summary>
    public Certificate Issuer => Chain[0];

    /// <summary>Whether the chain in the trusted root is itself consistent (each certificate signed by the next).</summary>
    internal bool ChainIsConsistent => _chainValid.Value;

    private bool CheckChain()
    {
        for (var i = 0; i < Chain.Count - 1; i++)
        {
            if (!Chain[i].IsSignedBy(Chain[i + 1]))
            {
                return false;
            }
        }

        var last = Chain[^1];
        return !last.IsSelfIssued || last.IsSignedBy(last);
    }
}

/// <summary>
/// Sigstore trust material (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`): the CAs,
/// transparency logs, CT logs and timestamp authorities a verifier trusts, each with a validity window.
/// </summary>
public sealed class TrustedRoot
{
    public const string MediaType = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
    private const string Doc = "trusted root";
    private static readonly Lazy<TrustedRoot> PublicGoodInstance = new(LoadEmbedded);

    private TrustedRoot(
        IReadOnlyList<TransparencyLog> tlogs,
        IReadOnlyList<TransparencyLog> ctlogs,
        IReadOnlyList<CertificateAuthority> cas,
        IReadOnlyList<CertificateAuthority> tsas,
        byte[] digest)
    {
        Tlogs = tlogs;
        Ctlogs = ctlogs;
        CertificateAuthorities = cas;
        TimestampAuthorities = tsas;
        Sha256 = digest;
    }

    public IReadOnlyList<TransparencyLog> Tlogs { get; }

    public IReadOnlyList<TransparencyLog> Ctlogs { get; }

    public IReadOnlyList<CertificateAuthority> CertificateAuthorities { get; }

    public IReadOnlyList<CertificateAuthority> TimestampAuthorities { get; }

    /// <summary>SHA-256 of the document: identifies the trust material a result was computed with.</summary>
    public byte[] Sha256 { get; }

    /// <summary>The Sigstore public-good instance, from the snapshot embedded in Vouch.</summary>
    public static TrustedRoot PublicGood => PublicGoodInstance.Value;

    /// <summary>The embedded public-good trusted root document.</summary>
    public static byte[] EmbeddedPublicGoodJson()
    {
        using var stream = typeof(TrustedRoot).Assembly.GetManifestResourceStream("trusted_root.json")
            ?? throw new InvalidOperationException("embedded trusted_root.json is missing from the build");
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return ms.ToArray();
    }

    private static TrustedRoot LoadEmbedded() => Parse(EmbeddedPublicGoodJson());

    public TransparencyLog? FindTlog(ReadOnlySpan<byte> logId) => Find(Tlogs, logId);

    public TransparencyLog? FindCtlog(ReadOnlySpan<byte> logId) => Find(Ctlogs, logId);

    private static TransparencyLog? Find(IReadOnlyList<TransparencyLog> logs, ReadOnlySpan<byte> logId)
    {
        foreach (var log in logs)
        {
            if (log.LogId.AsSpan().SequenceEqual(logId))
            {
                return log;
            }
        }

        return null;
    }

    public static TrustedRoot Parse(ReadOnlyMemory<byte> json)
    {
        using var doc = JsonFields.ParseObject(json, Doc, Limits.MaxTrustMaterialBytes);
        var root = doc.RootElement;
        var f = new JsonFields();

        var mediaType = f.String(root, "mediaType", "$", required: true);
        if (mediaType is not null && mediaType != MediaType)
        {
            f.Error("$.mediaType", $"unsupported trusted root media type '{mediaType}'");
        }

        var tlogs = ParseLogs(root, "tlogs", f);
        var ctlogs = ParseLogs(root, "ctlogs", f);
        var cas = ParseAuthorities(root, "certificateAuthorities", f);
        var tsas = ParseAuthorities(root, "timestampAuthorities", f);
        f.ThrowIfErrors(Doc);
        return new TrustedRoot(tlogs, ctlogs, cas, tsas, SHA256.HashData(json.Span));
    }

    private static List<TransparencyLog> ParseLogs(JsonElement root, string name, JsonFields f)
    {
        var result = new List<TransparencyLog>();
        var items = f.Array(root, name, "$", required: false, Limits.MaxTrustedRootEntries);
        for (var i = 0; i < items.Count; i++)
        {
            var p = $"$.{name}[{i}]";
            var item = items[i];
            var baseUrl = f.String(item, "baseUrl", p, required: false) ?? "";
            var hashAlg = f.String(item, "hashAlgorithm", p, required: false);
            if (hashAlg is not null and not "SHA2_256")
            {
                f.Error($"{p}.hashAlgorithm", $"unsupported log hash algorithm '{hashAlg}'");
            }

            var logId = f.Object(item, "logId", p, required: true) is { } lid ? f.Base64(lid, "keyId", $"{p}.logId", required: true) : null;
            var pk = f.Object(item, "publicKey", p, required: true);
            if (pk is not { } pkv)
            {
                continue;
            }

            var raw = f.Base64(pkv, "rawBytes", $"{p}.publicKey", required: true, Limits.MaxCertificateBytes);
            var details = f.String(pkv, "keyDetails", $"{p}.publicKey", required: true) ?? "";
            var validFor = ParseRange(pkv, $"{p}.publicKey", f);
            PublicKey? key = null;
            if (raw is not null && KeyDetails.Parse(details) != KeyAlgorithm.Unknown)
            {
                try
                {
                    key = PublicKey.FromTrustMaterial(raw, details);
                }
                catch (CryptographicException e)
                {
                    f.Error($"{p}.publicKey.rawBytes", $"not a valid {details} key ({e.Message})");
                }
            }

            if (logId is not null && validFor is not null)
            {
                result.Add(new TransparencyLog(baseUrl, logId, key, details, validFor));
            }
        }

        return result;
    }

    private static List<CertificateAuthority> ParseAuthorities(JsonElement root, string name, JsonFields f)
    {
        var result = new List<CertificateAuthority>();
        var items = f.Array(root, name, "$", required: false, Limits.MaxTrustedRootEntries);
        for (var i = 0; i < items.Count; i++)
        {
            var p = $"$.{name}[{i}]";
            var item = items[i];
            var uri = f.String(item, "uri", p, required: false);
            string? subject = null;
            if (f.Object(item, "subject", p, required: false) is { } s)
            {
                subject = string.Join("/", new[] { f.String(s, "organization", $"{p}.subject", false), f.String(s, "commonName", $"{p}.subject", false) }.Where(x => !string.IsNullOrEmpty(x)));
            }

            var chain = new List<Certificate>();
            if (f.Object(item, "certChain", p, required: true) is { } cc)
            {
                var certs = f.Array(cc, "certificates", $"{p}.certChain", required: true, Limits.MaxCertificateChainLength);
                if (certs.Count == 0)
                {
                    f.Error($"{p}.certChain.certificates", "must not be empty");
                }

                for (var j = 0; j < certs.Count; j++)
                {
                    if (f.Base64(certs[j], "rawBytes", $"{p}.certChain.certificates[{j}]", required: true, Limits.MaxCertificateBytes) is { } der)
                    {
                        try
                        {
                            chain.Add(Certificate.Parse(der));
                        }
                        catch (SigstoreFormatException e)
                        {
                            f.Error($"{p}.certChain.certificates[{j}]", string.Join("; ", e.Problems));
                        }
                    }
                }
            }

            var validFor = ParseRange(item, p, f);
            if (chain.Count > 0 && validFor is not null)
            {
                result.Add(new CertificateAuthority(uri, subject, chain, validFor));
            }
        }

        return result;
    }

    private static TimeRange? ParseRange(JsonElement parent, string path, JsonFields f)
    {
        if (f.Object(parent, "validFor", path, required: true) is not { } vf)
        {
            return null;
        }

        var start = f.Timestamp(vf, "start", $"{path}.validFor", required: true);
        var end = f.Timestamp(vf, "end", $"{path}.validFor", required: false);
        if (start is { } s && end is { } e && e < s)
        {
            f.Error($"{path}.validFor", "end is before start");
        }

        return start is { } st ? new TimeRange(st, end) : null;
    }
}
