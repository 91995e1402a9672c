using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Vouch.Common.Json;
using Vouch.Sigstore;
using Vouch.Sigstore.Bundles;
using Vouch.Sigstore.Dsse;
using Vouch.Sigstore.Verification;

namespace Vouch.Reviews.Signed;

/// <summary>Where keyless signing goes: a Fulcio CA and a Rekor v1 log (public-good by default).</summary>
public sealed record KeylessSigningEndpoints
{
    public static readonly Uri PublicGoodFulcio = new("https://fulcio.sigstore.dev");

    public static readonly Uri PublicGoodRekor = new("https://rekor.sigstore.dev");

    public Uri Fulcio { get; init; } = PublicGoodFulcio;

    public Uri Rekor { get; init; } = PublicGoodRekor;
}

/// <summary>
/// Keyless signing of a review: an ephemeral P-256 key, a Fulcio certificate for the reviewer's OIDC
/// identity token (POST /api/v2/signingCert), the DSSE envelope logged in Rekor (POST
/// /api/v1/log/entries, kind dsse 0.0.1), assembled into a v0.3 bundle. The bundle is verified against
/// the trusted root before it is returned, so an answer from Fulcio or Rekor that does not check out
/// never becomes a file. The token is sent to Fulcio only and appears in no message.
/// </summary>
public sealed class KeylessReviewSigner : IReviewSigner, IDisposable
{
    private const int MaxAnswerBytes = 1024 * 1024;
    private const int MaxTokenBytes = 16 * 1024;
    private const int MaxDepth = 16;

    private readonly HttpClient _http;
    private readonly KeylessSigningEndpoints _endpoints;
    private readonly string _token;
    private readonly SigstoreVerifier _verifier;

    /// <param name="identityToken">The OIDC identity token; the caller checked its shape with <see cref="CheckTokenShape"/>.</param>
    public KeylessReviewSigner(HttpMessageHandler handler, KeylessSigningEndpoints endpoints, string identityToken, SigstoreVerifier verifier)
    {
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = TimeSpan.FromSeconds(60) };
        _endpoints = endpoints;
        _token = identityToken;
        _verifier = verifier;
    }

    /// <summary>Null when the token looks like a JWT carrying a subject, else why not (never quoting the token).</summary>
    public static string? CheckTokenShape(string token) =>
        token.Length > MaxTokenBytes ? $"the identity token is longer than {MaxTokenBytes} bytes"
        : Subject(token) is null ? "the identity token is not a JWT with a 'sub' or 'email' claim"
        : null;

    public async Task<ReviewSignature> SignStatementAsync(byte[] statement, CancellationToken ct)
    {
        var subject = Subject(_token);
        if (subject is null)
        {
            return ReviewSignature.Failed(ReviewCodes.SigningRefused, "the identity token is not a JWT with a 'sub' or 'email' claim", ReviewFailureKind.Refused);
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        // Proof of possession: Fulcio checks a signature over the token's subject with the key it certifies.
        var proof = key.SignData(Encoding.UTF8.GetBytes(subject), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var certificateRequest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            credentials = new { oidcIdentityToken = _token },
            publicKeyRequest = new
            {
                publicKey = new { algorithm = "ECDSA", content = key.ExportSubjectPublicKeyInfoPem() },
                proofOfPossession = Convert.ToBase64String(proof),
            },
        });
        var (fulcioAnswer, fulcioFailure) = await PostAsync(new Uri(_endpoints.Fulcio, "api/v2/signingCert"), certificateRequest, "Fulcio", ct).ConfigureAwait(false);
        if (fulcioFailure is not null)
        {
            return fulcioFailure;
        }

        var leaf = LeafCertificate(fulcioAnswer!);
        if (leaf is null)
        {
            return ReviewSignature.Failed(ReviewCodes.SigningUnverified, "Fulcio's answer carries no certificate with an embedded SCT", ReviewFailureKind.CheckFailed);
        }

        var signature = key.SignData(Pae.Encode(InTotoStatement.PayloadType, statement), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var envelope = JsonSerializer.Serialize(new
        {
            payload = Convert.ToBase64String(statement),
            payloadType = InTotoStatement.PayloadType,
            signatures = new[] { new { sig = Convert.ToBase64String(signature) } },
        });
        var certificatePem = PemEncoding.WriteString("CERTIFICATE", leaf) + "\n";
        var entryRequest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            apiVersion = "0.0.1",
            kind = "dsse",
            spec = new { proposedContent = new { envelope, verifiers = new[] { Convert.ToBase64String(Encoding.UTF8.GetBytes(certificatePem)) } } },
        });
        var (rekorAnswer, rekorFailure) = await PostAsync(new Uri(_endpoints.Rekor, "api/v1/log/entries"), entryRequest, "Rekor", ct).ConfigureAwait(false);
        if (rekorFailure is not null)
        {
            return rekorFailure;
        }

        string bundle;
        try
        {
            bundle = Assemble(leaf, rekorAnswer!, statement, signature);
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or OverflowException)
        {
            return ReviewSignature.Failed(ReviewCodes.SigningUnverified, $"Rekor's answer is not a log entry: {e.Message}", ReviewFailureKind.CheckFailed);
        }

        return Check(bundle, statement);
    }

    public void Dispose() => _http.Dispose();

    /// <summary>
    /// The assembled bundle must verify like any review will later: against the trusted root and the
    /// statement's own subject digest, under any certificate identity (who signed is judged by
    /// trust.toml when the review is read, not here).
    /// </summary>
    private ReviewSignature Check(string bundle, byte[] statement)
    {
        byte[]? digest = null;
        try
        {
            using var doc = JsonInput.Parse(statement, MaxDepth);
            var hex = doc.RootElement.GetProperty("subject")[0].GetProperty("digest").GetProperty("sha512").GetString();
            digest = hex is null ? null : Convert.FromHexString(hex);
        }
        catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            // Our own statement always has one; leaving digest null fails the check below.
        }

        if (digest is null)
        {
            return ReviewSignature.Failed(ReviewCodes.SigningUnverified, "the review statement has no sha512 subject", ReviewFailureKind.CheckFailed);
        }

        var result = _verifier.Verify(Encoding.UTF8.GetBytes(bundle), Artifact.FromDigest(HashAlgorithmName.SHA512, digest), SignerPolicy.AnyCertificateIdentityUnsafe());
        return result.IsValid
            ? new ReviewSignature { Bundle = bundle, SignerIdentity = result.SubjectAlternativeName }
            : ReviewSignature.Failed(ReviewCodes.SigningUnverified, $"the bundle made from Fulcio's and Rekor's answers does not verify against the trusted root: {result.Code}: {result.Message}", ReviewFailureKind.CheckFailed);
    }

    private async Task<(JsonDocument? Answer, ReviewSignature? Failure)> PostAsync(Uri uri, byte[] body, string service, CancellationToken ct)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            var bytes = await ReadCapped(response, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode;
                var kind = status is >= 500 or (int)HttpStatusCode.TooManyRequests or (int)HttpStatusCode.RequestTimeout ? ReviewFailureKind.NetworkFailed : ReviewFailureKind.Refused;
                return (null, ReviewSignature.Failed(
                    kind == ReviewFailureKind.NetworkFailed ? ReviewCodes.SigningUnavailable : ReviewCodes.SigningRefused,
                    $"{service} answered HTTP {status}{Said(bytes)}",
                    kind));
            }

            if (bytes is null)
            {
                return (null, ReviewSignature.Failed(ReviewCodes.SigningUnverified, $"{service}'s answer is larger than {MaxAnswerBytes} bytes", ReviewFailureKind.CheckFailed));
            }

            try
            {
                return (JsonInput.Parse(bytes, MaxDepth), null);
            }
            catch (JsonException)
            {
                return (null, ReviewSignature.Failed(ReviewCodes.SigningUnverified, $"{service}'s answer is not JSON", ReviewFailureKind.CheckFailed));
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return (null, ReviewSignature.Failed(ReviewCodes.SigningUnavailable, $"{service} at {uri.GetLeftPart(UriPartial.Authority)} is unreachable: {e.Message}", ReviewFailureKind.NetworkFailed));
        }
    }

    /// <summary>A service's own error message, short, one line, and never the token (an echo would leak it to logs).</summary>
    private string Said(byte[]? body)
    {
        if (body is null || body.Length == 0)
        {
            return "";
        }

        string? message = null;
        try
        {
            using var doc = JsonInput.Parse(body, MaxDepth);
            message = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        }
        catch (JsonException)
        {
        }

        if (string.IsNullOrWhiteSpace(message))
        {
            return "";
        }

        message = message.Replace(_token, "[token]", StringComparison.Ordinal);
        var clean = new string(message.Select(c => char.IsControl(c) ? ' ' : c).Take(200).ToArray());
        return $": {clean}";
    }

    private static async Task<byte[]?> ReadCapped(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxAnswerBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>The leaf of `signedCertificateEmbeddedSct.chain.certificates` (PEM, leaf first); a detached SCT is not supported.</summary>
    private static byte[]? LeafCertificate(JsonDocument answer)
    {
        if (answer.RootElement.ValueKind != JsonValueKind.Object
            || !answer.RootElement.TryGetProperty("signedCertificateEmbeddedSct", out var signed)
            || signed.ValueKind != JsonValueKind.Object
            || !signed.TryGetProperty("chain", out var chain)
            || chain.ValueKind != JsonValueKind.Object
            || !chain.TryGetProperty("certificates", out var certificates)
            || certificates.ValueKind != JsonValueKind.Array
            || certificates.GetArrayLength() == 0
            || certificates[0].GetString() is not { } pem)
        {
            return null;
        }

        if (!PemEncoding.TryFind(pem, out var fields) || pem[fields.Label] != "CERTIFICATE")
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(pem[fields.Base64Data]);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>A v0.3 bundle from the certificate and Rekor v1's entry (hex and numbers there; base64 and int64 strings in the bundle).</summary>
    private static string Assemble(byte[] leaf, JsonDocument rekorAnswer, byte[] statement, byte[] signature)
    {
        var root = rekorAnswer.RootElement;
        if (root.ValueKind != JsonValueKind.Object || root.EnumerateObject().Count() != 1)
        {
            throw new InvalidOperationException("expected one entry");
        }

        var entry = root.EnumerateObject().First().Value;
        var verification = entry.GetProperty("verification");
        var proof = verification.GetProperty("inclusionProof");
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("mediaType", "application/vnd.dev.sigstore.bundle.v0.3+json");
            w.WriteStartObject("verificationMaterial");
            w.WriteStartObject("certificate");
            w.WriteString("rawBytes", Convert.ToBase64String(leaf));
            w.WriteEndObject();
            w.WriteStartArray("tlogEntries");
            w.WriteStartObject();
            w.WriteString("logIndex", Int64(entry.GetProperty("logIndex")));
            w.WriteStartObject("logId");
            w.WriteString("keyId", Convert.ToBase64String(Convert.FromHexString(entry.GetProperty("logID").GetString()!)));
            w.WriteEndObject();
            w.WriteStartObject("kindVersion");
            w.WriteString("kind", "dsse");
            w.WriteString("version", "0.0.1");
            w.WriteEndObject();
            w.WriteString("integratedTime", Int64(entry.GetProperty("integratedTime")));
            w.WriteStartObject("inclusionPromise");
            w.WriteString("signedEntryTimestamp", Convert.ToBase64String(Convert.FromBase64String(verification.GetProperty("signedEntryTimestamp").GetString()!)));
            w.WriteEndObject();
            w.WriteStartObject("inclusionProof");
            w.WriteString("logIndex", Int64(proof.GetProperty("logIndex")));
            w.WriteString("rootHash", Convert.ToBase64String(Convert.FromHexString(proof.GetProperty("rootHash").GetString()!)));
            w.WriteString("treeSize", Int64(proof.GetProperty("treeSize")));
            w.WriteStartArray("hashes");
            foreach (var h in proof.GetProperty("hashes").EnumerateArray())
            {
                w.WriteStringValue(Convert.ToBase64String(Convert.FromHexString(h.GetString()!)));
            }

            w.WriteEndArray();
            w.WriteStartObject("checkpoint");
            w.WriteString("envelope", proof.GetProperty("checkpoint").GetString());
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteString("canonicalizedBody", Convert.ToBase64String(Convert.FromBase64String(entry.GetProperty("body").GetString()!)));
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            ReviewBundleJson.WriteEnvelope(w, statement, signature, keyId: null);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static string Int64(JsonElement e) => e.GetInt64().ToString(CultureInfo.InvariantCulture);

    /// <summary>The subject Fulcio expects the proof of possession over: `email` when the token has one, else `sub`.</summary>
    private static string? Subject(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3 || parts[1].Length == 0)
        {
            return null;
        }

        try
        {
            var payload = parts[1].Replace('-', '+').Replace('_', '/');
            payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
            using var doc = JsonInput.Parse(Convert.FromBase64String(payload), MaxDepth);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            foreach (var claim in new[] { "email", "sub" })
            {
                if (doc.RootElement.TryGetProperty(claim, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s)
                {
                    return s;
                }
            }

            return null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }
}
