using System.Security.Cryptography;
using System.Text.Json;
using Vouch.Sigstore.Json;

namespace Vouch.Sigstore.Bundles;

internal static class BundleParser
{
    private const string Doc = "bundle";

    public static Bundle Parse(ReadOnlyMemory<byte> json)
    {
        using var doc = JsonFields.ParseObject(json, Doc, Limits.MaxBundleBytes);
        var root = doc.RootElement;
        var f = new JsonFields();

        var mediaType = f.String(root, "mediaType", "$", required: true);
        BundleVersion? version = mediaType switch
        {
            null => null,
            "application/vnd.dev.sigstore.bundle+json;version=0.1" => BundleVersion.V01,
            "application/vnd.dev.sigstore.bundle+json;version=0.2" => BundleVersion.V02,
            "application/vnd.dev.sigstore.bundle+json;version=0.3" or "application/vnd.dev.sigstore.bundle.v0.3+json" => BundleVersion.V03,
            _ => null,
        };
        if (mediaType is not null && version is null)
        {
            throw new SigstoreFormatException(Doc, [$"$.mediaType: unsupported bundle version '{mediaType}'"], SigstoreCodes.BundleUnsupportedVersion);
        }

        var material = ParseMaterial(root, f, version ?? BundleVersion.V03);

        var ms = f.Object(root, "messageSignature", "$", required: false);
        var dsse = f.Object(root, "dsseEnvelope", "$", required: false);
        if (ms is null == dsse is null)
        {
            f.Error("$", "exactly one of messageSignature and dsseEnvelope is required");
        }

        MessageSignature? messageSignature = ms is { } m ? ParseMessageSignature(m, f) : null;
        DsseEnvelope? envelope = dsse is { } d ? ParseDsse(d, f) : null;

        f.ThrowIfErrors(Doc);
        return new Bundle(version!.Value, mediaType!, material!, messageSignature, envelope);
    }

    private static VerificationMaterial? ParseMaterial(JsonElement root, JsonFields f, BundleVersion version)
    {
        const string p = "$.verificationMaterial";
        var vm = f.Object(root, "verificationMaterial", "$", required: true);
        if (vm is not { } v)
        {
            return null;
        }

        var chain = f.Object(v, "x509CertificateChain", p, required: false);
        var cert = f.Object(v, "certificate", p, required: false);
        var key = f.Object(v, "publicKey", p, required: false);
        var kinds = (chain is null ? 0 : 1) + (cert is null ? 0 : 1) + (key is null ? 0 : 1);
        if (kinds != 1)
        {
            f.Error(p, "exactly one of x509CertificateChain, certificate and publicKey is required");
        }

        var certificates = new List<byte[]>();
        if (chain is { } c)
        {
            if (version == BundleVersion.V03)
            {
                f.Error($"{p}.x509CertificateChain", "not allowed in a v0.3 bundle (use certificate)");
            }

            var certs = f.Array(c, "certificates", $"{p}.x509CertificateChain", required: true, Limits.MaxCertificateChainLength);
            if (certs.Count == 0)
            {
                f.Error($"{p}.x509CertificateChain.certificates", "must contain at least the signing certificate");
            }

            for (var i = 0; i < certs.Count; i++)
            {
                if (f.Base64(certs[i], "rawBytes", $"{p}.x509CertificateChain.certificates[{i}]", required: true, Limits.MaxCertificateBytes) is { } der)
                {
                    certificates.Add(der);
                }
            }
        }

        if (cert is { } single)
        {
            if (version != BundleVersion.V03)
            {
                f.Error($"{p}.certificate", "only allowed in a v0.3 bundle (use x509CertificateChain)");
            }

            if (f.Base64(single, "rawBytes", $"{p}.certificate", required: true, Limits.MaxCertificateBytes) is { } der)
            {
                certificates.Add(der);
            }
        }

        string? hint = null;
        if (key is { } k)
        {
            hint = f.String(k, "hint", $"{p}.publicKey", required: false);
        }

        var entries = new List<TlogEntry>();
        var tlogs = f.Array(v, "tlogEntries", p, required: false, Limits.MaxTlogEntries);
        for (var i = 0; i < tlogs.Count; i++)
        {
            if (ParseTlogEntry(tlogs[i], $"{p}.tlogEntries[{i}]", f) is { } e)
            {
                entries.Add(e);
            }
        }

        var timestamps = new List<byte[]>();
        if (f.Object(v, "timestampVerificationData", p, required: false) is { } tvd)
        {
            var list = f.Array(tvd, "rfc3161Timestamps", $"{p}.timestampVerificationData", required: false, Limits.MaxTimestamps);
            for (var i = 0; i < list.Count; i++)
            {
                if (f.Base64(list[i], "signedTimestamp", $"{p}.timestampVerificationData.rfc3161Timestamps[{i}]", required: true, Limits.MaxCertificateBytes) is { } ts)
                {
                    timestamps.Add(ts);
                }
            }
        }

        return new VerificationMaterial(certificates, hint, key is not null, entries, timestamps);
    }

    private static TlogEntry? ParseTlogEntry(JsonElement e, string p, JsonFields f)
    {
        var errorsBefore = f.Errors.Count;
        var logIndex = f.Int64(e, "logIndex", p, required: true);
        var logId = f.Object(e, "logId", p, required: true) is { } lid ? f.Base64(lid, "keyId", $"{p}.logId", required: true) : null;
        var kv = f.Object(e, "kindVersion", p, required: true);
        string? kind = null, kindVersion = null;
        if (kv is { } kvv)
        {
            kind = f.String(kvv, "kind", $"{p}.kindVersion", required: true);
            kindVersion = f.String(kvv, "version", $"{p}.kindVersion", required: true);
        }

        var integratedTime = f.Int64(e, "integratedTime", p, required: false) ?? 0;
        byte[]? set = null;
        if (f.Object(e, "inclusionPromise", p, required: false) is { } promise)
        {
            set = f.Base64(promise, "signedEntryTimestamp", $"{p}.inclusionPromise", required: true);
        }

        InclusionProof? proof = null;
        if (f.Object(e, "inclusionProof", p, required: false) is { } ip)
        {
            var pp = $"{p}.inclusionProof";
            var index = f.Int64(ip, "logIndex", pp, required: true);
            var rootHash = f.Base64(ip, "rootHash", pp, required: true);
            var treeSize = f.Int64(ip, "treeSize", pp, required: true);
            var hashes = new List<byte[]>();
            var hs = f.Array(ip, "hashes", pp, required: false, Limits.MaxInclusionProofHashes);
            for (var i = 0; i < hs.Count; i++)
            {
                if (hs[i].ValueKind != JsonValueKind.String || JsonFields.DecodeBase64(hs[i].GetString()!) is not { } h)
                {
                    f.Error($"{pp}.hashes[{i}]", "not valid base64");
                    continue;
                }

                hashes.Add(h);
            }

            string? checkpoint = null;
            if (f.Object(ip, "checkpoint", pp, required: false) is { } cp)
            {
                checkpoint = f.String(cp, "envelope", $"{pp}.checkpoint", required: true);
            }

            if (index is { } li && rootHash is not null && treeSize is { } ts)
            {
                proof = new InclusionProof(li, rootHash, ts, hashes, checkpoint);
            }
        }

        var body = f.Base64(e, "canonicalizedBody", p, required: true, Limits.MaxBundleBytes);
        if (f.Errors.Count != errorsBefore)
        {
            return null;
        }

        return new TlogEntry(logIndex!.Value, logId!, kind!, kindVersion!, integratedTime, set, proof, body!);
    }

    private static MessageSignature? ParseMessageSignature(JsonElement m, JsonFields f)
    {
        const string p = "$.messageSignature";
        HashAlgorithmName? alg = null;
        byte[]? digest = null;
        if (f.Object(m, "messageDigest", p, required: false) is { } md)
        {
            var name = f.String(md, "algorithm", $"{p}.messageDigest", required: true);
            alg = name switch
            {
                "SHA2_256" => HashAlgorithmName.SHA256,
                "SHA2_384" => HashAlgorithmName.SHA384,
                "SHA2_512" => HashAlgorithmName.SHA512,
                null => null,
                _ => null,
            };
            if (name is not null && alg is null)
            {
                f.Error($"{p}.messageDigest.algorithm", $"unsupported digest algorithm '{name}'");
            }

            digest = f.Base64(md, "digest", $"{p}.messageDigest", required: true, 64);
        }

        var sig = f.Base64(m, "signature", p, required: true, 4096);
        return sig is null ? null : new MessageSignature(alg, digest, sig);
    }

    private static DsseEnvelope? ParseDsse(JsonElement d, JsonFields f)
    {
        const string p = "$.dsseEnvelope";
        var payload = f.Base64(d, "payload", p, required: true, Limits.MaxDssePayloadBytes);
        var payloadType = f.String(d, "payloadType", p, required: true);
        var sigs = f.Array(d, "signatures", p, required: true, Limits.MaxDsseSignatures);
        var list = new List<DsseSignature>();
        for (var i = 0; i < sigs.Count; i++)
        {
            var sig = f.Base64(sigs[i], "sig", $"{p}.signatures[{i}]", required: true, 4096);
            var keyId = f.String(sigs[i], "keyid", $"{p}.signatures[{i}]", required: false);
            if (sig is not null)
            {
                list.Add(new DsseSignature(sig, keyId));
            }
        }

        if (sigs.Count != 1)
        {
            f.Error($"{p}.signatures", $"exactly one signature is required, found {sigs.Count}");
        }

        return payload is null || payloadType is null ? null : new DsseEnvelope(payloadType, payload, list);
    }
}
