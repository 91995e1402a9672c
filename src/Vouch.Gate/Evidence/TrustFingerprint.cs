using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Vouch.Provenance;
using Vouch.Sigstore.Trust;

namespace Vouch.Gate.Evidence;

/// <summary>
/// A digest of the trust material a verification ran under (the Sigstore trusted root and the
/// registry keys), part of every stored evidence key: when the material changes (a TUF refresh,
/// a new <c>--trusted-root</c>), stored evidence no longer applies and versions are verified again.
/// Built from the parsed, typed material (not the file bytes) so that reformatting a file does not
/// count as new trust, and two gates loading the same material agree.
/// </summary>
internal static class TrustFingerprint
{
    public static string Compute(TrustedRoot root, RegistryKeys keys)
    {
        var sb = new StringBuilder();
        foreach (var log in root.Tlogs.OrderBy(l => Convert.ToHexString(l.LogId), StringComparer.Ordinal))
        {
            Line(sb, "tlog", Convert.ToHexString(log.LogId), log.Key is null ? "-" : Convert.ToHexString(log.Key.SubjectPublicKeyInfo), Range(log.ValidFor));
        }

        foreach (var log in root.Ctlogs.OrderBy(l => Convert.ToHexString(l.LogId), StringComparer.Ordinal))
        {
            Line(sb, "ctlog", Convert.ToHexString(log.LogId), log.Key is null ? "-" : Convert.ToHexString(log.Key.SubjectPublicKeyInfo), Range(log.ValidFor));
        }

        foreach (var (kind, cas) in new[] { ("ca", root.CertificateAuthorities), ("tsa", root.TimestampAuthorities) })
        {
            foreach (var ca in cas.Select(c => (Chain: string.Join(',', c.Chain.Select(x => Convert.ToHexString(SHA256.HashData(x.Raw)))), c.ValidFor)).OrderBy(c => c.Chain, StringComparer.Ordinal))
            {
                Line(sb, kind, ca.Chain, Range(ca.ValidFor));
            }
        }

        foreach (var k in keys.Keys.OrderBy(k => k.KeyId, StringComparer.Ordinal).ThenBy(k => k.Usage, StringComparer.Ordinal))
        {
            Line(sb, "key", k.KeyId, k.Usage, Convert.ToHexString(k.Key.SubjectPublicKeyInfo), Time(k.ValidFrom), Time(k.ValidUntil));
        }

        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())))[..32];
    }

    private static string Range(TimeRange r) => Time(r.Start) + "/" + Time(r.End);

    private static string Time(DateTimeOffset? t) => t is { } x ? x.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) : "-";

    private static void Line(StringBuilder sb, params string[] fields) => sb.Append(string.Join(' ', fields)).Append('\n');
}
