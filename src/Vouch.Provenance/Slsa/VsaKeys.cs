using System.Security.Cryptography;

namespace Vouch.Provenance.Slsa;

/// <summary>
/// The local VSA signing key: ECDSA P-256 in PEM (SEC1 "EC PRIVATE KEY" or PKCS#8 "PRIVATE KEY"), the
/// public half as "PUBLIC KEY". Other curves and key types are refused: a verifier must know exactly
/// which algorithm a signature claims.
/// </summary>
public static class VsaKeys
{
    private const int MaxPemChars = 16 * 1024;

    public static ECDsa? LoadPrivate(string pem, out string? error) => Load(pem, requirePrivate: true, out error);

    public static ECDsa? LoadPublic(string pem, out string? error) => Load(pem, requirePrivate: false, out error);

    /// <summary>keyid: "SHA256:" and the base64 SHA-256 of the SubjectPublicKeyInfo (the form npm uses for its registry keys).</summary>
    public static string KeyId(ECDsa key) => "SHA256:" + Convert.ToBase64String(SHA256.HashData(key.ExportSubjectPublicKeyInfo())).TrimEnd('=');

    private static ECDsa? Load(string pem, bool requirePrivate, out string? error)
    {
        if (pem.Length > MaxPemChars)
        {
            error = $"larger than {MaxPemChars} characters";
            return null;
        }

        var key = ECDsa.Create();
        try
        {
            key.ImportFromPem(pem);
            var parameters = key.ExportParameters(false);
            if (parameters.Curve.Oid.Value != ECCurve.NamedCurves.nistP256.Oid.Value && parameters.Curve.Oid.FriendlyName is not ("nistP256" or "ECDSA_P256"))
            {
                error = "not a P-256 key";
                key.Dispose();
                return null;
            }

            if (requirePrivate)
            {
                try
                {
                    _ = key.ExportParameters(true);
                }
                catch (CryptographicException)
                {
                    error = "a public key where a private key is needed";
                    key.Dispose();
                    return null;
                }
            }

            error = null;
            return key;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            error = $"not an ECDSA P-256 PEM key ({e.Message})";
            key.Dispose();
            return null;
        }
    }
}
