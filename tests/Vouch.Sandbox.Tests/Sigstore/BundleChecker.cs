using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Sandbox.Sigstore;
using VouchKey = Vouch.Sigstore.Crypto.PublicKey;

namespace Vouch.Sandbox.Tests.Sigstore;

/// <summary>
/// A deliberately small Sigstore bundle checker for these tests, written from the specifications
/// rather than from the producer, so that "the knob breaks exactly one thing" can be asserted as
/// "exactly one check name fails". It is no substitute for the real verifier in Vouch.Sigstore.
/// </summary>
internal static class BundleChecker
{
    private const string SctOid = "1.3.6.1.4.1.11129.2.4.2";

    public static SortedSet<string> Check(string bundleJson, string trustedRootJson, byte[]? artifact = null, VouchKey? managedKey = null)
    {
        var failures = new SortedSet<string>();
        var bundle = Fixtures.Parse(bundleJson);
        var root = new TrustRoot(Fixtures.Parse(trustedRootJson));
        var mediaType = Fixtures.Str(bundle["mediaType"]);
        var material = bundle["verificationMaterial"]!.AsObject();

        // ---- signer key ----
        X509Certificate2? leaf = null;
        VouchKey signerKey;
        if (managedKey is not null)
        {
            signerKey = managedKey;
        }
        else
        {
            byte[] leafDer;
            if (material["certificate"] is { } single)
            {
                leafDer = Fixtures.B64(single["rawBytes"]);
            }
            else
            {
                if (mediaType.EndsWith("v0.3+json", StringComparison.Ordinal))
                {
                    failures.Add("v03-certificate-form");
                }

                var chain = material["x509CertificateChain"]!["certificates"]!.AsArray();
                leafDer = Fixtures.B64(chain[0]!["rawBytes"]);
                foreach (var element in chain)
                {
                    using var cert = X509CertificateLoader.LoadCertificate(Fixtures.B64(element!["rawBytes"]));
                    if (cert.SubjectName.RawData.AsSpan().SequenceEqual(cert.IssuerName.RawData))
                    {
                        failures.Add("root-in-chain");
                    }
                }
            }

            leaf = X509CertificateLoader.LoadCertificate(leafDer);
            signerKey = VouchKey.FromSubjectPublicKeyInfo(leaf.PublicKey.ExportSubjectPublicKeyInfo());
            CheckLeaf(leaf, root, failures);
        }

        // ---- content ----
        byte[] signature;
        Func<JsonObject, string, string, bool> bodyMatches;
        var verifierPem = leaf is not null
            ? PemEncoding.WriteString("CERTIFICATE", leaf.RawData) + "\n"
            : PemEncoding.WriteString("PUBLIC KEY", signerKey.SubjectPublicKeyInfo) + "\n";
        var verifierPemB64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(verifierPem));
        if (bundle["messageSignature"] is { } message)
        {
            signature = Fixtures.B64(message["signature"]);
            var digest = Fixtures.B64(message["messageDigest"]!["digest"]);
            if (artifact is not null && !SHA256.HashData(artifact).AsSpan().SequenceEqual(digest))
            {
                failures.Add("digest");
            }

            if (!signerKey.VerifyDigest(HashAlgorithmName.SHA256, digest, signature))
            {
                failures.Add("signature");
            }

            bodyMatches = (body, kind, version) => (kind, version) switch
            {
                ("hashedrekord", "0.0.1") =>
                    Fixtures.Str(body["spec"]!["data"]!["hash"]!["value"]) == Convert.ToHexStringLower(digest)
                    && Fixtures.Str(body["spec"]!["signature"]!["content"]) == Convert.ToBase64String(signature)
                    && Fixtures.Str(body["spec"]!["signature"]!["publicKey"]!["content"]) == verifierPemB64,
                ("hashedrekord", "0.0.2") =>
                    Fixtures.Str(body["spec"]!["hashedRekordV002"]!["data"]!["digest"]) == Convert.ToBase64String(digest)
                    && Fixtures.Str(body["spec"]!["hashedRekordV002"]!["signature"]!["content"]) == Convert.ToBase64String(signature)
                    && V2VerifierMatches(body["spec"]!["hashedRekordV002"]!["signature"]!["verifier"]!, leaf, signerKey),
                _ => false,
            };
        }
        else
        {
            var envelope = bundle["dsseEnvelope"]!.AsObject();
            var payload = Fixtures.B64(envelope["payload"]);
            var payloadType = Fixtures.Str(envelope["payloadType"]);
            var sigEntry = envelope["signatures"]![0]!;
            signature = Fixtures.B64(sigEntry["sig"]);
            var keyId = sigEntry["keyid"]?.GetValue<string>();
            var pae = Encoding.UTF8.GetBytes($"DSSEv1 {Encoding.UTF8.GetByteCount(payloadType)} {payloadType} {payload.Length} ").Concat(payload).ToArray();
            if (!signerKey.VerifyData(pae, signature))
            {
                failures.Add("signature");
            }

            var payloadHex = Convert.ToHexStringLower(SHA256.HashData(payload));
            var keyIdPart = string.IsNullOrEmpty(keyId) ? string.Empty : $"\"keyid\":\"{keyId}\",";
            var envelopeHex = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
                $"{{\"payload\":\"{Fixtures.Str(envelope["payload"])}\",\"payloadType\":\"{payloadType}\",\"signatures\":[{{{keyIdPart}\"sig\":\"{Convert.ToBase64String(signature)}\"}}]}}")));
            bodyMatches = (body, kind, version) => (kind, version) switch
            {
                ("dsse", "0.0.1") =>
                    Fixtures.Str(body["spec"]!["payloadHash"]!["value"]) == payloadHex
                    && Fixtures.Str(body["spec"]!["envelopeHash"]!["value"]) == envelopeHex
                    && Fixtures.Str(body["spec"]!["signatures"]![0]!["signature"]) == Convert.ToBase64String(signature)
                    && Fixtures.Str(body["spec"]!["signatures"]![0]!["verifier"]) == verifierPemB64,
                ("dsse", "0.0.2") =>
                    Fixtures.Str(body["spec"]!["dsseV002"]!["payloadHash"]!["digest"]) == Convert.ToBase64String(SHA256.HashData(payload))
                    && Fixtures.Str(body["spec"]!["dsseV002"]!["signatures"]![0]!["content"]) == Convert.ToBase64String(signature)
                    && V2VerifierMatches(body["spec"]!["dsseV002"]!["signatures"]![0]!["verifier"]!, leaf, signerKey),
                ("intoto", "0.0.2") =>
                    Fixtures.Str(body["spec"]!["content"]!["payloadHash"]!["value"]) == payloadHex
                    && Fixtures.Str(body["spec"]!["content"]!["hash"]!["value"]) == envelopeHex
                    && Fixtures.Str(body["spec"]!["content"]!["envelope"]!["payloadType"]) == payloadType
                    && Fixtures.Str(body["spec"]!["content"]!["envelope"]!["signatures"]![0]!["sig"])
                        == Convert.ToBase64String(Encoding.ASCII.GetBytes(Convert.ToBase64String(signature)))
                    && Fixtures.Str(body["spec"]!["content"]!["envelope"]!["signatures"]![0]!["publicKey"]) == verifierPemB64,
                _ => false,
            };
        }

        // ---- transparency log entry ----
        var entries = material["tlogEntries"]!.AsArray();
        var entry = entries[0]!.AsObject();
        var bodyBytes = Fixtures.B64(entry["canonicalizedBody"]);
        var bodyJson = Fixtures.Parse(Encoding.UTF8.GetString(bodyBytes));
        var kind = Fixtures.Str(entry["kindVersion"]!["kind"]);
        var version = Fixtures.Str(entry["kindVersion"]!["version"]);
        if (Fixtures.Str(bodyJson["kind"]) != kind || Fixtures.Str(bodyJson["apiVersion"]) != version || !bodyMatches(bodyJson, kind, version))
        {
            failures.Add("tlog-body");
        }

        var logId = Fixtures.B64(entry["logId"]!["keyId"]);
        var log = root.Tlogs.FirstOrDefault(t => t.LogId.AsSpan().SequenceEqual(logId));
        if (log is null)
        {
            failures.Add("tlog-unknown");
            return failures;
        }

        var logIndex = long.Parse(Fixtures.Str(entry["logIndex"]), System.Globalization.CultureInfo.InvariantCulture);
        long? integratedTime = entry["integratedTime"] is { } it ? long.Parse(Fixtures.Str(it), System.Globalization.CultureInfo.InvariantCulture) : null;
        if (entry["inclusionPromise"] is { } promise)
        {
            var payload = $"{{\"body\":\"{Fixtures.Str(entry["canonicalizedBody"])}\",\"integratedTime\":{integratedTime},\"logID\":\"{Convert.ToHexStringLower(logId)}\",\"logIndex\":{logIndex}}}";
            if (!log.Key.VerifyData(Encoding.UTF8.GetBytes(payload), Fixtures.B64(promise["signedEntryTimestamp"])))
            {
                failures.Add("set");
            }
        }
        else if (mediaType.EndsWith("version=0.1", StringComparison.Ordinal))
        {
            failures.Add("set-missing");
        }

        if (entry["inclusionProof"] is { } proof)
        {
            var size = long.Parse(Fixtures.Str(proof["treeSize"]), System.Globalization.CultureInfo.InvariantCulture);
            var index = long.Parse(Fixtures.Str(proof["logIndex"]), System.Globalization.CultureInfo.InvariantCulture);
            var rootHash = Fixtures.B64(proof["rootHash"]);
            var path = proof["hashes"]!.AsArray().Select(h => Fixtures.B64(h)).ToList();
            var computed = MerkleMath.RootFromInclusionProof(index, size, MerkleMath.LeafHash(bodyBytes), path);
            if (computed is null || !computed.AsSpan().SequenceEqual(rootHash))
            {
                failures.Add("inclusion-proof");
            }

            if (proof["checkpoint"] is { } checkpoint)
            {
                CheckCheckpoint(Fixtures.Str(checkpoint["envelope"]), log, size, rootHash, failures);
            }
            else
            {
                failures.Add("checkpoint-missing");
            }
        }
        else if (!mediaType.EndsWith("version=0.1", StringComparison.Ordinal))
        {
            failures.Add("inclusion-proof-missing");
        }

        // ---- timestamps and certificate validity ----
        var verifiedTimes = new List<DateTimeOffset>();
        if (integratedTime is { } seconds)
        {
            verifiedTimes.Add(DateTimeOffset.FromUnixTimeSeconds(seconds));
        }

        if (material["timestampVerificationData"]?["rfc3161Timestamps"] is JsonArray timestamps)
        {
            foreach (var timestamp in timestamps)
            {
                var time = CheckTimestamp(Fixtures.B64(timestamp!["signedTimestamp"]), signature, root);
                if (time is null)
                {
                    failures.Add("timestamp");
                }
                else
                {
                    verifiedTimes.Add(time.Value);
                }
            }
        }

        if (verifiedTimes.Count == 0)
        {
            failures.Add("no-verified-time");
        }

        if (leaf is not null && verifiedTimes.Any(t => t < leaf.NotBefore.ToUniversalTime() || t > leaf.NotAfter.ToUniversalTime()))
        {
            failures.Add("certificate-validity");
        }

        leaf?.Dispose();
        return failures;
    }

    private static bool V2VerifierMatches(JsonNode verifier, X509Certificate2? leaf, VouchKey key) => leaf is not null
        ? Fixtures.Str(verifier["x509Certificate"]?["rawBytes"]) == Convert.ToBase64String(leaf.RawData)
        : Fixtures.Str(verifier["publicKey"]?["rawBytes"]) == Convert.ToBase64String(key.SubjectPublicKeyInfo);

    private static void CheckLeaf(X509Certificate2 leaf, TrustRoot root, SortedSet<string> failures)
    {
        var intermediate = root.CaChain[0];
        if (!SignedBy(leaf.RawData, intermediate) || !SignedBy(intermediate.RawData, root.CaChain[1]))
        {
            failures.Add("certificate-chain");
        }

        var eku = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().SingleOrDefault();
        if (eku is null || !eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == "1.3.6.1.5.5.7.3.3"))
        {
            failures.Add("eku");
        }

        var sctExtension = leaf.Extensions[SctOid];
        if (sctExtension is null)
        {
            failures.Add("sct");
            return;
        }

        var scts = CertificateTransparencyLog.DecodeExtensionValue(sctExtension.RawData);
        var tbs = TbsWithoutExtension(leaf.RawData, SctOid);
        var issuerKeyHash = SHA256.HashData(intermediate.PublicKey.ExportSubjectPublicKeyInfo());
        var anyValid = false;
        foreach (var sct in scts)
        {
            var log = root.CtLogs.FirstOrDefault(l => l.LogId.AsSpan().SequenceEqual(sct.LogId));
            if (log is null)
            {
                continue;
            }

            var signed = new List<byte> { 0, 0 };
            signed.AddRange(BigEndian64(sct.TimestampMilliseconds));
            signed.AddRange([0, 1]);
            signed.AddRange(issuerKeyHash);
            signed.AddRange([(byte)(tbs.Length >> 16), (byte)(tbs.Length >> 8), (byte)tbs.Length]);
            signed.AddRange(tbs);
            signed.AddRange([(byte)(sct.Extensions.Length >> 8), (byte)sct.Extensions.Length]);
            signed.AddRange(sct.Extensions);
            anyValid |= log.Key.VerifyData(signed.ToArray(), sct.Signature);
        }

        if (!anyValid)
        {
            failures.Add("sct");
        }
    }

    private static byte[] BigEndian64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, value);
        return bytes;
    }

    private static void CheckCheckpoint(string envelope, TrustedLog log, long size, byte[] rootHash, SortedSet<string> failures)
    {
        var separator = envelope.IndexOf("\n\n", StringComparison.Ordinal);
        var body = envelope[..(separator + 1)];
        var lines = body.Split('\n');
        if (lines[1] != size.ToString(System.Globalization.CultureInfo.InvariantCulture) || lines[2] != Convert.ToBase64String(rootHash))
        {
            failures.Add("checkpoint-mismatch");
        }

        var verified = false;
        foreach (var line in envelope[(separator + 2)..].Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            var blob = Convert.FromBase64String(parts[2]);
            if (parts[0] == "\u2014" && blob.AsSpan(0, 4).SequenceEqual(log.LogId.AsSpan(0, 4)))
            {
                verified |= log.Key.VerifyData(Encoding.UTF8.GetBytes(body), blob[4..]);
            }
        }

        if (!verified)
        {
            failures.Add("checkpoint");
        }
    }

    /// <summary>Verifies a TimeStampResp over <paramref name="signature"/> against the trusted TSA chain; returns genTime.</summary>
    private static DateTimeOffset? CheckTimestamp(byte[] response, byte[] signature, TrustRoot root)
    {
        var reader = new AsnReader(response, AsnEncodingRules.DER).ReadSequence();
        if (reader.ReadSequence().ReadInteger() != 0)
        {
            return null;
        }

        if (!Rfc3161TimestampToken.TryDecode(reader.ReadEncodedValue(), out var token, out _))
        {
            return null;
        }

        var tsaLeaf = root.TsaChain[0];
        if (!token.VerifySignatureForData(signature, out var signer, [tsaLeaf]) || signer is null || signer.Thumbprint != tsaLeaf.Thumbprint)
        {
            return null;
        }

        return SignedBy(tsaLeaf.RawData, root.TsaChain[1]) ? token.TokenInfo.Timestamp : null;
    }

    private static bool SignedBy(byte[] certificateDer, X509Certificate2 issuer)
    {
        var certificate = new AsnReader(certificateDer, AsnEncodingRules.DER).ReadSequence();
        var tbs = certificate.ReadEncodedValue().ToArray();
        var algorithm = certificate.ReadSequence().ReadObjectIdentifier();
        var signature = certificate.ReadBitString(out _);
        var hash = algorithm == "1.2.840.10045.4.3.3" ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;
        using var key = issuer.GetECDsaPublicKey()!;
        return key.VerifyData(tbs, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
    }

    /// <summary>Re-encodes a certificate's TBSCertificate without one extension, as CT verifiers do.</summary>
    public static byte[] TbsWithoutExtension(byte[] certificateDer, string oid)
    {
        var tbs = new AsnReader(certificateDer, AsnEncodingRules.DER).ReadSequence().ReadSequence();
        var writer = new AsnWriter(AsnEncodingRules.DER);
        var extensionsTag = new Asn1Tag(TagClass.ContextSpecific, 3, isConstructed: true);
        using (writer.PushSequence())
        {
            while (tbs.HasData)
            {
                if (!tbs.PeekTag().HasSameClassAndValue(extensionsTag))
                {
                    writer.WriteEncodedValue(tbs.ReadEncodedValue().Span);
                    continue;
                }

                var extensions = tbs.ReadSequence(extensionsTag).ReadSequence();
                using (writer.PushSequence(extensionsTag))
                using (writer.PushSequence())
                {
                    while (extensions.HasData)
                    {
                        var raw = extensions.ReadEncodedValue();
                        var extensionOid = new AsnReader(raw, AsnEncodingRules.DER).ReadSequence().ReadObjectIdentifier();
                        if (extensionOid != oid)
                        {
                            writer.WriteEncodedValue(raw.Span);
                        }
                    }
                }
            }
        }

        return writer.Encode();
    }

    internal sealed record TrustedLog(byte[] LogId, VouchKey Key);

    internal sealed class TrustRoot
    {
        public TrustRoot(JsonObject json)
        {
            Tlogs = Logs(json["tlogs"]!.AsArray());
            CtLogs = Logs(json["ctlogs"]!.AsArray());
            CaChain = Chain(json["certificateAuthorities"]![0]!);
            TsaChain = Chain(json["timestampAuthorities"]![0]!);
        }

        public List<TrustedLog> Tlogs { get; }

        public List<TrustedLog> CtLogs { get; }

        public List<X509Certificate2> CaChain { get; }

        public List<X509Certificate2> TsaChain { get; }

        private static List<TrustedLog> Logs(JsonArray logs) =>
        [
            .. logs.Select(l => new TrustedLog(
                Fixtures.B64(l!["logId"]!["keyId"]),
                VouchKey.FromSubjectPublicKeyInfo(Fixtures.B64(l["publicKey"]!["rawBytes"])))),
        ];

        private static List<X509Certificate2> Chain(JsonNode authority) =>
        [
            .. authority["certChain"]!["certificates"]!.AsArray().Select(c => X509CertificateLoader.LoadCertificate(Fixtures.B64(c!["rawBytes"]))),
        ];
    }
}
