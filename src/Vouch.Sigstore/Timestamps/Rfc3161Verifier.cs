using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Vouch.Sigstore.Trust;

namespace Vouch.Sigstore.Timestamps;

internal sealed record TimestampCheck(DateTimeOffset? Time, string? Code, string? Problem, CertificateAuthority? Authority);

/// <summary>
/// Verifies an RFC 3161 timestamp from a bundle against the trusted timestamp authorities: the
/// message imprint covers the bundle's signature, the CMS signature is by a trusted TSA's leaf
/// (certificates embedded in the token are never trusted by themselves), the TSA chain is valid at
/// the generation time, and the generation time lies in the TSA's validity window (end inclusive).
/// </summary>
internal static class Rfc3161Verifier
{
    private const string OidTimeStamping = "1.3.6.1.5.5.7.3.8";

    public static TimestampCheck Verify(byte[] signedTimestamp, byte[] signature, TrustedRoot root)
    {
        byte[] tokenBytes;
        try
        {
            tokenBytes = ExtractToken(signedTimestamp);
        }
        catch (Exception e) when (e is AsnContentException or FormatException)
        {
            return new(null, SigstoreCodes.TimestampInvalid, $"the RFC 3161 timestamp is malformed ({e.Message})", null);
        }

        if (!Rfc3161TimestampToken.TryDecode(tokenBytes, out var token, out var consumed) || consumed != tokenBytes.Length)
        {
            return new(null, SigstoreCodes.TimestampInvalid, "the RFC 3161 timestamp token cannot be decoded", null);
        }

        var genTime = token.TokenInfo.Timestamp;
        var hashOid = token.TokenInfo.HashAlgorithmId.Value;
        var imprint = token.TokenInfo.GetMessageHash().Span;
        var expected = hashOid switch
        {
            "2.16.840.1.101.3.4.2.1" => SHA256.HashData(signature),
            "2.16.840.1.101.3.4.2.2" => SHA384.HashData(signature),
            "2.16.840.1.101.3.4.2.3" => SHA512.HashData(signature),
            _ => null,
        };
        if (expected is null || !imprint.SequenceEqual(expected))
        {
            return new(genTime, SigstoreCodes.TimestampInvalid, "the RFC 3161 timestamp does not cover this bundle's signature", null);
        }

        string? lastProblem = null;
        foreach (var tsa in root.TimestampAuthorities)
        {
            var leaf = tsa.Chain[0];
            using var trustedLeaf = X509CertificateLoader.LoadCertificate(leaf.Raw);
            X509Certificate2? signer;
            try
            {
                if (!token.VerifySignatureForData(signature, out signer, new X509Certificate2Collection(trustedLeaf)))
                {
                    lastProblem = "the RFC 3161 timestamp's signature does not verify";
                    continue;
                }
            }
            catch (CryptographicException)
            {
                lastProblem = "the RFC 3161 timestamp's signature does not verify";
                continue;
            }

            using (signer)
            {
                if (signer is null || !signer.RawData.AsSpan().SequenceEqual(leaf.Raw))
                {
                    lastProblem = "the RFC 3161 timestamp is signed by an authority the trusted root does not list";
                    continue;
                }
            }

            if (!tsa.ValidFor.Contains(genTime))
            {
                lastProblem = $"the timestamp authority was not trusted at {genTime:u} (trusted {tsa.ValidFor})";
                continue;
            }

            if (!tsa.ChainIsConsistent)
            {
                lastProblem = "the timestamp authority's chain in the trusted root does not verify";
                continue;
            }

            if (tsa.Chain.Any(c => !c.IsValidAt(genTime)))
            {
                return new(genTime, SigstoreCodes.TimestampInvalid, $"the timestamp authority's certificate was not valid at {genTime:u}", tsa);
            }

            if (!leaf.ExtendedKeyUsages.Contains(OidTimeStamping))
            {
                lastProblem = "the timestamp authority's certificate is not for time stamping";
                continue;
            }

            return new(genTime, null, null, tsa);
        }

        return new(genTime, SigstoreCodes.TimestampUntrusted, lastProblem ?? "the trusted root lists no timestamp authority", null);
    }

    /// <summary>Bundles carry a TimeStampResp (status + token); accept a bare token too.</summary>
    private static byte[] ExtractToken(byte[] der)
    {
        var reader = new AsnReader(der, AsnEncodingRules.BER);
        var seq = reader.ReadSequence();
        if (seq.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier))
        {
            return der;
        }

        var status = seq.ReadSequence();
        var code = status.ReadInteger();
        if (code != 0 && code != 1)
        {
            throw new FormatException($"timestamp response status {code} is not granted");
        }

        if (!seq.HasData)
        {
            throw new FormatException("timestamp response carries no token");
        }

        return seq.ReadEncodedValue().ToArray();
    }
}
