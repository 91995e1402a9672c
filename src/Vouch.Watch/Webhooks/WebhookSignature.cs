using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Vouch.Watch;

/// <summary>What checking a webhook signature found.</summary>
public enum SignatureCheck
{
    Valid,

    /// <summary>No header, or not of the form <c>t=SECONDS,v1=HEX</c>.</summary>
    Malformed,

    /// <summary>The HMAC does not match (wrong secret, or the body or timestamp changed).</summary>
    Mismatch,

    /// <summary>The HMAC matches, but the timestamp is outside the tolerance (a replay of an old delivery).</summary>
    Stale,
}

/// <summary>
/// The webhook signature: header <c>Vouch-Signature: t=UNIX_SECONDS,v1=HEX</c> where HEX is
/// HMAC-SHA256(secret, UTF-8 of <c>"{t}." + body</c>). The timestamp is signed with the body, so a
/// captured request cannot be re-sent later with a fresh timestamp; receivers check the tolerance and
/// deduplicate on the event ids for retries within it.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "Vouch-Signature";
    public const string DeliveryHeader = "Vouch-Delivery";

    public static string Sign(byte[] secret, string body, DateTimeOffset at)
    {
        var t = at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"t={t},v1={Convert.ToHexStringLower(Mac(secret, t, body))}";
    }

    public static SignatureCheck Verify(byte[] secret, string? header, string body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrEmpty(header) || header.Length > 512)
        {
            return SignatureCheck.Malformed;
        }

        string? t = null;
        string? v1 = null;
        foreach (var part in header.Split(','))
        {
            var kv = part.Trim().Split('=', 2);
            if (kv.Length != 2)
            {
                return SignatureCheck.Malformed;
            }

            if (kv[0] == "t")
            {
                t = kv[1];
            }
            else if (kv[0] == "v1")
            {
                v1 = kv[1];
            }
        }

        if (t is null || v1 is null || !long.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || v1.Length != 64)
        {
            return SignatureCheck.Malformed;
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(v1);
        }
        catch (FormatException)
        {
            return SignatureCheck.Malformed;
        }

        if (!CryptographicOperations.FixedTimeEquals(given, Mac(secret, t, body)))
        {
            return SignatureCheck.Mismatch;
        }

        var at = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253402300799));
        return (now - at).Duration() > tolerance ? SignatureCheck.Stale : SignatureCheck.Valid;
    }

    private static byte[] Mac(byte[] secret, string t, string body) =>
        HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(t + "." + body));
}
