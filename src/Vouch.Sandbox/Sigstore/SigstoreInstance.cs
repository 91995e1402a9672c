using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace Vouch.Sandbox.Sigstore;

/// <summary>
/// A complete Sigstore deployment in one process: Fulcio-like CA, CT log, Rekor v1 log (and
/// optionally a Rekor v2 style log) and an RFC 3161 TSA, plus the trusted root that describes them.
/// Signs artifacts and DSSE envelopes into standard bundles; <see cref="SigningRequest"/> knobs
/// produce bundles with exactly one thing wrong. Thread-safe.
/// </summary>
public sealed partial class SigstoreInstance : IDisposable
{
    private static readonly TimeSpan LeafLifetime = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan AuthorityLifetime = TimeSpan.FromDays(3650);

    private readonly TimeProvider _time;
    private readonly FulcioCa _fulcio;
    private readonly CertificateTransparencyLog _ctLog;
    private readonly TransparencyLog _rekor;
    private readonly TransparencyLog? _rekorV2;
    private readonly TimestampAuthority _tsa;
    private readonly Lazy<UntrustedAuthorities> _untrusted;
    private readonly Lock _signing = new();

    private SigstoreInstance(
        SigstoreInstanceOptions options,
        TimeProvider time,
        FulcioCa fulcio,
        KeyPair ctKey,
        KeyPair rekorKey,
        Ed25519KeyPair? rekorV2Key,
        TimestampAuthority tsa)
    {
        Options = options;
        _time = time;
        _fulcio = fulcio;
        _ctLog = new CertificateTransparencyLog(ctKey);
        _rekor = new TransparencyLog(RekorVersion.V1, rekorKey, new Uri(options.RekorUrl).Host, options.RekorTreeId!.Value);
        _rekorV2 = rekorV2Key is null ? null : new TransparencyLog(RekorVersion.V2, rekorV2Key, new Uri(options.RekorV2Url).Host, 0);
        _tsa = tsa;
        _untrusted = new Lazy<UntrustedAuthorities>(() => new UntrustedAuthorities(options.ValidFrom!.Value), isThreadSafe: true);
    }

    /// <summary>The options in force, with defaults resolved (ValidFrom, RekorTreeId are never null here).</summary>
    public SigstoreInstanceOptions Options { get; }

    /// <summary>Creates an instance with fresh keys.</summary>
    public static SigstoreInstance Create(SigstoreInstanceOptions? options = null, TimeProvider? timeProvider = null)
    {
        var time = timeProvider ?? TimeProvider.System;
        var resolved = Resolve(options ?? new SigstoreInstanceOptions(), time);
        var from = resolved.ValidFrom!.Value;
        var until = from + AuthorityLifetime;
        return new SigstoreInstance(
            resolved,
            time,
            FulcioCa.Create(resolved.Organization, from, until),
            KeyPair.CreateP256(),
            KeyPair.CreateP256(),
            resolved.EnableRekorV2 ? KeyPair.CreateEd25519() : null,
            TimestampAuthority.Create(resolved.Organization, "sandbox-tsa", from, until));
    }

    /// <summary>Signs an artifact with a fresh Fulcio certificate: messageSignature + hashedrekord entry.</summary>
    public SignedBundle SignArtifact(byte[] artifact, SigningRequest request)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(request);
        return Sign(new ArtifactContent(artifact), managedKey: null, request);
    }

    /// <summary>Signs a DSSE envelope with a fresh Fulcio certificate: dsseEnvelope + dsse (or intoto) entry.</summary>
    public SignedBundle SignDsse(string payloadType, byte[] payload, SigningRequest request)
    {
        ArgumentNullException.ThrowIfNull(payloadType);
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(request);
        return Sign(new DsseContent(payloadType, payload), managedKey: null, request);
    }

    /// <summary>Signs an artifact with a managed key: bundle with a `publicKey` hint and no certificate.</summary>
    public SignedBundle SignWithKey(byte[] artifact, SigningKey key, SigningRequest? request = null)
    {
        ArgumentNullException.ThrowIfNull(artifact);
        ArgumentNullException.ThrowIfNull(key);
        return Sign(new ArtifactContent(artifact), key, request ?? new SigningRequest());
    }

    /// <summary>Signs a DSSE envelope with a managed key; the envelope signature's keyid is <see cref="SigningKey.KeyId"/>.</summary>
    public SignedBundle SignDsseWithKey(string payloadType, byte[] payload, SigningKey key, SigningRequest? request = null)
    {
        ArgumentNullException.ThrowIfNull(payloadType);
        ArgumentNullException.ThrowIfNull(payload);
        ArgumentNullException.ThrowIfNull(key);
        return Sign(new DsseContent(payloadType, payload), key, request ?? new SigningRequest());
    }

    private SignedBundle Sign(Content content, SigningKey? managedKey, SigningRequest request)
    {
        var log = request.Log == RekorVersion.V1
            ? _rekor
            : _rekorV2 ?? throw new InvalidOperationException("this instance runs no Rekor v2 log (EnableRekorV2 is false)");
        Validate(request, content, managedKey, log);

        // One bundle at a time: the CA, CT, log and TSA keys are shared platform key objects, and
        // signing is cheap next to what a sandbox request costs anyway.
        lock (_signing)
        {
            var now = TruncateToSeconds(request.SigningTime ?? _time.GetUtcNow());
            using var ephemeral = managedKey is null ? KeyPair.CreateP256() : null;
            using var otherKey = request.SignWithOtherKey ? KeyPair.CreateP256() : null;

            byte[]? certificate = null;
            EntryVerifier verifier;
            if (ephemeral is not null)
            {
                var notBefore = request.CertificateNotBefore ?? now;
                var profile = new LeafProfile(notBefore, request.CertificateNotAfter ?? notBefore + LeafLifetime, request.ExtendedKeyUsage);
                certificate = _fulcio.IssueLeaf(ephemeral.SubjectPublicKeyInfo, request.Identity!, profile, tbs => SctExtension(tbs, request, now));
                verifier = new EntryVerifier(certificate, null, ephemeral.KeyDetails);
            }
            else
            {
                verifier = new EntryVerifier(null, managedKey!.SubjectPublicKeyInfo, managedKey.Pair.KeyDetails);
            }

            KeyPair signer = otherKey ?? ephemeral ?? managedKey!.Pair;
            var (signature, body, kind, version, contentProperty, contentJson) = content switch
            {
                ArtifactContent artifact => SignArtifactContent(artifact, signer, verifier, log),
                DsseContent dsse => SignDsseContent(dsse, signer, verifier, managedKey?.KeyId, request, log),
                _ => throw new InvalidOperationException("unknown content"),
            };

            long? integratedTime = log.Version == RekorVersion.V1 ? (request.IntegratedTime ?? now).ToUnixTimeSeconds() : null;
            var entry = log.Append(body, integratedTime);

            byte[]? timestamp = null;
            if (request.WantsTimestamp(logHasIntegratedTime: log.Version == RekorVersion.V1))
            {
                var tsa = request.TimestampFromUntrustedAuthority ? _untrusted.Value.Tsa : _tsa;
                timestamp = tsa.CreateResponse(request.TimestampedBytes ?? signature, request.TimestampTime ?? now, request.TimestampEmbedsCertificate);
            }

            var material = new JsonObject();
            if (certificate is not null)
            {
                WriteCertificates(material, certificate, request);
            }
            else
            {
                material["publicKey"] = new JsonObject { ["hint"] = managedKey!.KeyId };
            }

            material["tlogEntries"] = new JsonArray(TlogEntryJson(log, entry, body, kind, version, request));
            if (timestamp is not null)
            {
                material["timestampVerificationData"] = new JsonObject
                {
                    ["rfc3161Timestamps"] = new JsonArray(new JsonObject { ["signedTimestamp"] = Convert.ToBase64String(timestamp) }),
                };
            }

            var mediaType = MediaType(request.BundleVersion);
            var bundle = new JsonObject
            {
                ["mediaType"] = mediaType,
                ["verificationMaterial"] = material,
                [contentProperty] = contentJson,
            };

            return new SignedBundle
            {
                Json = bundle.ToJsonString(Rfc8785Json.DocumentOptions),
                MediaType = mediaType,
                Signature = signature,
                Certificate = certificate,
                LogIndex = entry.Index,
                IntegratedTime = integratedTime is { } t ? DateTimeOffset.FromUnixTimeSeconds(t) : null,
                CanonicalizedBody = body,
                SignedTimestamp = timestamp,
            };
        }
    }

    private static (byte[] Signature, byte[] Body, string Kind, string Version, string Property, JsonObject Json) SignArtifactContent(
        ArtifactContent artifact, KeyPair signer, EntryVerifier verifier, TransparencyLog log)
    {
        var digest = SHA256.HashData(artifact.Bytes);
        var signature = signer.Sign(artifact.Bytes);
        var (body, version) = log.Version == RekorVersion.V1
            ? (RekorBodies.HashedRekordV001(digest, signature, verifier), "0.0.1")
            : (RekorBodies.HashedRekordV002(digest, signature, verifier), "0.0.2");
        var json = new JsonObject
        {
            ["messageDigest"] = new JsonObject { ["algorithm"] = "SHA2_256", ["digest"] = Convert.ToBase64String(digest) },
            ["signature"] = Convert.ToBase64String(signature),
        };
        return (signature, body, "hashedrekord", version, "messageSignature", json);
    }

    private static (byte[] Signature, byte[] Body, string Kind, string Version, string Property, JsonObject Json) SignDsseContent(
        DsseContent dsse, KeyPair signer, EntryVerifier verifier, string? keyId, SigningRequest request, TransparencyLog log)
    {
        var signature = signer.Sign(DsseEnvelope.PreAuthenticationEncoding(dsse.PayloadType, dsse.Payload));
        var envelope = new DsseEnvelope(dsse.PayloadType, dsse.Payload, signature, keyId);
        var (body, kind, version) = (log.Version, request.DsseEntryKind) switch
        {
            (RekorVersion.V1, DsseEntryKind.Intoto) => (RekorBodies.IntotoV002(envelope, verifier), "intoto", "0.0.2"),
            (RekorVersion.V1, _) => (RekorBodies.DsseV001(envelope, verifier), "dsse", "0.0.1"),
            _ => (RekorBodies.DsseV002(envelope, verifier), "dsse", "0.0.2"),
        };
        return (signature, body, kind, version, "dsseEnvelope", envelope.ToJson());
    }

    private byte[]? SctExtension(byte[] tbsWithoutSct, SigningRequest request, DateTimeOffset now)
    {
        var timestamp = request.SctTimestamp ?? now;
        var issuerKeyHash = _fulcio.IssuerKeyHash;
        var sct = request.Sct switch
        {
            SctMode.Omitted => null,
            SctMode.Valid => _ctLog.IssuePrecertificateSct(issuerKeyHash, tbsWithoutSct, timestamp),
            SctMode.UnknownLog => _ctLog.IssuePrecertificateSct(
                issuerKeyHash, tbsWithoutSct, timestamp, _untrusted.Value.CtKey, _untrusted.Value.CtKey.Sha256KeyId),
            SctMode.BadSignature => _ctLog.IssuePrecertificateSct(issuerKeyHash, tbsWithoutSct, timestamp, _untrusted.Value.CtKey),
            _ => throw new ArgumentOutOfRangeException(nameof(request), "unknown SCT mode"),
        };
        return sct is null ? null : CertificateTransparencyLog.EncodeExtensionValue([sct]);
    }

    private void WriteCertificates(JsonObject material, byte[] leaf, SigningRequest request)
    {
        if (request.BundleVersion == BundleVersion.V03 && request.Chain == CertificateChain.LeafOnly)
        {
            material["certificate"] = RawBytes(leaf);
            return;
        }

        var certificates = new JsonArray(RawBytes(leaf));
        if (request.Chain != CertificateChain.LeafOnly)
        {
            certificates.Add(RawBytes(_fulcio.Intermediate.RawData));
        }

        if (request.Chain == CertificateChain.LeafIntermediateAndRoot)
        {
            certificates.Add(RawBytes(_fulcio.Root.RawData));
        }

        material["x509CertificateChain"] = new JsonObject { ["certificates"] = certificates };
    }

    private JsonObject TlogEntryJson(TransparencyLog log, LoggedEntry entry, byte[] body, string kind, string version, SigningRequest request)
    {
        // int64 fields are strings in protobuf JSON.
        var json = new JsonObject
        {
            ["logIndex"] = entry.Index.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["logId"] = new JsonObject { ["keyId"] = Convert.ToBase64String(log.LogId) },
            ["kindVersion"] = new JsonObject { ["kind"] = kind, ["version"] = version },
        };

        if (entry.IntegratedTime is { } integratedTime)
        {
            json["integratedTime"] = integratedTime.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (!request.OmitInclusionPromise)
            {
                var setSigner = request.SignSetWithUntrustedKey ? _untrusted.Value.RekorKey : null;
                json["inclusionPromise"] = new JsonObject
                {
                    ["signedEntryTimestamp"] = Convert.ToBase64String(log.SignedEntryTimestamp(body, entry, setSigner)),
                };
            }
        }

        if (!request.OmitInclusionProof)
        {
            var hashes = new JsonArray();
            foreach (var hash in entry.AuditPath)
            {
                hashes.Add(Convert.ToBase64String(hash));
            }

            var proof = new JsonObject
            {
                ["logIndex"] = entry.Index.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["rootHash"] = Convert.ToBase64String(entry.RootHash),
                ["treeSize"] = entry.TreeSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["hashes"] = hashes,
            };
            if (!request.OmitCheckpoint)
            {
                KeyPair? checkpointSigner = null;
                if (request.SignCheckpointWithUntrustedKey)
                {
                    checkpointSigner = log.Version == RekorVersion.V1 ? _untrusted.Value.RekorKey : _untrusted.Value.RekorV2Key;
                }

                proof["checkpoint"] = new JsonObject { ["envelope"] = log.Checkpoint(entry, checkpointSigner) };
            }

            json["inclusionProof"] = proof;
        }

        json["canonicalizedBody"] = Convert.ToBase64String(body);
        return json;
    }

    private static void Validate(SigningRequest request, Content content, SigningKey? managedKey, TransparencyLog log)
    {
        void Reject(bool condition, string reason)
        {
            if (condition)
            {
                throw new ArgumentException(reason, nameof(request));
            }
        }

        if (managedKey is null)
        {
            Reject(request.Identity is null, "certificate signing needs SigningRequest.Identity");
        }
        else
        {
            Reject(request.CertificateNotBefore is not null || request.CertificateNotAfter is not null, "a managed-key bundle has no certificate validity to override");
            Reject(request.ExtendedKeyUsage != LeafExtendedKeyUsage.CodeSigning, "a managed-key bundle has no certificate EKU");
            Reject(request.Chain != CertificateChain.LeafOnly, "a managed-key bundle has no certificate chain");
            Reject(request.Sct != SctMode.Valid || request.SctTimestamp is not null, "a managed-key bundle has no SCT");
        }

        Reject(content is ArtifactContent && request.DsseEntryKind != DsseEntryKind.Dsse, "DsseEntryKind applies to DSSE signing only");
        if (log.Version == RekorVersion.V2)
        {
            Reject(request.DsseEntryKind == DsseEntryKind.Intoto, "Rekor v2 has no intoto entries");
            Reject(request.IntegratedTime is not null, "Rekor v2 records no integrated time");
            Reject(request.SignSetWithUntrustedKey || request.OmitInclusionPromise, "Rekor v2 entries have no inclusion promise");
        }

        Reject(request.OmitInclusionPromise && request.SignSetWithUntrustedKey, "cannot both omit and forge the inclusion promise");
        Reject(request.OmitInclusionProof && (request.OmitCheckpoint || request.SignCheckpointWithUntrustedKey), "the checkpoint lives in the omitted inclusion proof");
        Reject(request.OmitCheckpoint && request.SignCheckpointWithUntrustedKey, "cannot both omit and forge the checkpoint");
        Reject(
            request.AddTimestamp == false && (request.TimestampedBytes is not null || request.TimestampTime is not null || request.TimestampFromUntrustedAuthority),
            "timestamp knobs set while AddTimestamp is false");
    }

    private static string MediaType(BundleVersion version) => version switch
    {
        BundleVersion.V01 => "application/vnd.dev.sigstore.bundle+json;version=0.1",
        BundleVersion.V02 => "application/vnd.dev.sigstore.bundle+json;version=0.2",
        BundleVersion.V03 => "application/vnd.dev.sigstore.bundle.v0.3+json",
        _ => throw new ArgumentOutOfRangeException(nameof(version)),
    };

    private static JsonObject RawBytes(byte[] der) => new() { ["rawBytes"] = Convert.ToBase64String(der) };

    private static SigstoreInstanceOptions Resolve(SigstoreInstanceOptions options, TimeProvider time)
    {
        foreach (var url in new[] { options.FulcioUrl, options.RekorUrl, options.RekorV2Url, options.CtLogUrl, options.TsaUrl })
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out _))
            {
                throw new ArgumentException($"not an absolute URL: '{url}'", nameof(options));
            }
        }

        // Rekor tree IDs are positive int64s; any random one will do.
        var treeId = options.RekorTreeId ?? Math.Max(1, BitConverter.ToInt64(RandomNumberGenerator.GetBytes(8)) & long.MaxValue);
        return options with
        {
            ValidFrom = TruncateToSeconds(options.ValidFrom ?? time.GetUtcNow() - TimeSpan.FromDays(1)),
            ValidUntil = options.ValidUntil is { } until ? TruncateToSeconds(until) : null,
            RekorTreeId = treeId,
        };
    }

    internal static DateTimeOffset TruncateToSeconds(DateTimeOffset time) => DateTimeOffset.FromUnixTimeSeconds(time.ToUnixTimeSeconds());

    public void Dispose()
    {
        _fulcio.Dispose();
        _ctLog.Key.Dispose();
        _rekor.Key.Dispose();
        _rekorV2?.Key.Dispose();
        _tsa.Dispose();
        if (_untrusted.IsValueCreated)
        {
            _untrusted.Value.Dispose();
        }
    }

    private abstract record Content;

    private sealed record ArtifactContent(byte[] Bytes) : Content;

    private sealed record DsseContent(string PayloadType, byte[] Payload) : Content;

    /// <summary>Keys the trusted root does not list, for forging SCTs, SETs, checkpoints and timestamps.</summary>
    private sealed class UntrustedAuthorities(DateTimeOffset validFrom) : IDisposable
    {
        public KeyPair CtKey { get; } = KeyPair.CreateP256();

        public KeyPair RekorKey { get; } = KeyPair.CreateP256();

        public KeyPair RekorV2Key { get; } = KeyPair.CreateEd25519();

        public TimestampAuthority Tsa { get; } = TimestampAuthority.Create("untrusted", "untrusted-tsa", validFrom, validFrom + AuthorityLifetime);

        public void Dispose()
        {
            CtKey.Dispose();
            RekorKey.Dispose();
            RekorV2Key.Dispose();
            Tsa.Dispose();
        }
    }
}
