namespace Vouch.Sigstore.Crypto;

/// <summary>
/// Ed25519 is not in .NET 10's cryptography. This is the single place that reaches into a third-party
/// implementation (BouncyCastle's RFC 8032 code); replace it here when the platform gains Ed25519.
/// </summary>
internal static class Ed25519Verifier
{
    public static bool Verify(byte[] publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != 32 || signature.Length != 64)
        {
            return false;
        }

        var msg = message.ToArray();
        var sig = signature.ToArray();
        try
        {
            return Org.BouncyCastle.Math.EC.Rfc8032.Ed25519.Verify(sig, 0, publicKey, 0, msg, 0, msg.Length);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
