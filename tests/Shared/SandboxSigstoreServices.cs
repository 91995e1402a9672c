using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Sandbox.Sigstore;

namespace Vouch.Tests;

/// <summary>
/// Fulcio's POST /api/v2/signingCert and Rekor's POST /api/v1/log/entries in front of the sandbox's
/// Sigstore instance, for testing a keyless signing client over HTTP. Like Fulcio it accepts only an
/// identity token this test's issuer signed (ES256), for audience `sigstore`, unexpired, and a proof of
/// possession over the token's subject; the identity comes from the token's GitHub Actions claims.
/// Transport-free: tests serve it from a message handler or a loopback Kestrel.
/// </summary>
internal sealed class SandboxSigstoreServices(SigstoreInstance sigstore) : IDisposable
{
    private readonly ECDsa _issuerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private int _fulcioRequests;
    private int _rekorRequests;

    public int FulcioRequests => _fulcioRequests;

    public int RekorRequests => _rekorRequests;

    /// <summary>When set, Fulcio answers this status with an error body that echoes the token (a leak a client must not pass on).</summary>
    public int? FulcioFailure { get; set; }

    /// <summary>When set, Rekor's answer is changed by this before it is sent (a dishonest or broken log).</summary>
    public Func<JsonObject, JsonObject>? TamperRekor { get; set; }

    /// <summary>An identity token for <paramref name="who"/> as GitHub Actions would issue it (signed by <paramref name="issuerKey"/> when given: a forger's key).</summary>
    public string MintToken(GitHubWorkflowIdentity who, TimeSpan? lifetime = null, string audience = "sigstore", ECDsa? issuerKey = null)
    {
        var now = DateTimeOffset.UtcNow;
        var claims = new JsonObject
        {
            ["iss"] = GitHubWorkflowIdentity.GitHubActionsIssuer,
            ["aud"] = audience,
            ["sub"] = $"repo:{who.Repository}:ref:{who.Ref}",
            ["iat"] = now.ToUnixTimeSeconds(),
            ["exp"] = (now + (lifetime ?? TimeSpan.FromMinutes(5))).ToUnixTimeSeconds(),
            ["repository"] = who.Repository,
            ["ref"] = who.Ref,
            ["sha"] = who.Sha,
            ["job_workflow_ref"] = $"{who.Repository}/{who.WorkflowPath}@{who.Ref}",
        };
        var signing = Base64Url("{\"alg\":\"ES256\",\"typ\":\"JWT\"}"u8.ToArray()) + "." + Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = (issuerKey ?? _issuerKey).SignData(Encoding.ASCII.GetBytes(signing), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signing + "." + Base64Url(signature);
    }

    public (int Status, string Body) Handle(string method, string path, byte[] body)
    {
        if (method != "POST")
        {
            return (405, "{\"message\":\"method not allowed\"}");
        }

        try
        {
            return path switch
            {
                "/api/v2/signingCert" => SigningCertificate(body),
                "/api/v1/log/entries" => LogEntry(body),
                _ => (404, "{\"message\":\"not found\"}"),
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException or KeyNotFoundException or InvalidOperationException or NullReferenceException or CryptographicException)
        {
            return (400, JsonSerializer.Serialize(new { message = e.Message }));
        }
    }

    private (int, string) SigningCertificate(byte[] body)
    {
        Interlocked.Increment(ref _fulcioRequests);
        var request = JsonNode.Parse(body)!;
        var token = (string)request["credentials"]!["oidcIdentityToken"]!;
        if (FulcioFailure is { } status)
        {
            return (status, JsonSerializer.Serialize(new { code = status, message = $"error processing the identity token {token}" }));
        }

        var parts = token.Split('.');
        if (parts.Length != 3 || !_issuerKey.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), FromBase64Url(parts[2]), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
        {
            return (401, "{\"code\":401,\"message\":\"There was an error processing the identity token\"}");
        }

        var claims = JsonNode.Parse(FromBase64Url(parts[1]))!;
        if ((string?)claims["iss"] != GitHubWorkflowIdentity.GitHubActionsIssuer || (string?)claims["aud"] != "sigstore" || (long)claims["exp"]! < DateTimeOffset.UtcNow.ToUnixTimeSeconds())
        {
            return (401, "{\"code\":401,\"message\":\"There was an error processing the identity token\"}");
        }

        var keyRequest = request["publicKeyRequest"]!;
        using var key = ECDsa.Create();
        key.ImportFromPem((string)keyRequest["publicKey"]!["content"]!);
        var subject = (string)claims["sub"]!;
        if (!key.VerifyData(Encoding.UTF8.GetBytes(subject), Convert.FromBase64String((string)keyRequest["proofOfPossession"]!), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
        {
            return (400, "{\"code\":400,\"message\":\"The public key supplied in the request could not be parsed or the proof of possession failed\"}");
        }

        var workflowRef = (string)claims["job_workflow_ref"]!;
        var repository = (string)claims["repository"]!;
        var at = workflowRef.LastIndexOf('@');
        var identity = new GitHubWorkflowIdentity(repository, (string)claims["ref"]!, (string)claims["sha"]!, workflowRef[(repository.Length + 1)..at]);
        var leaf = sigstore.IssueCertificate(key.ExportSubjectPublicKeyInfo(), identity);
        var chain = new JsonArray(Pem(leaf));
        foreach (var der in sigstore.IssuerCertificates)
        {
            chain.Add(Pem(der));
        }

        return (201, new JsonObject { ["signedCertificateEmbeddedSct"] = new JsonObject { ["chain"] = new JsonObject { ["certificates"] = chain } } }.ToJsonString());
    }

    private (int, string) LogEntry(byte[] body)
    {
        Interlocked.Increment(ref _rekorRequests);
        var request = JsonNode.Parse(body)!;
        if ((string?)request["kind"] != "dsse" || (string?)request["apiVersion"] != "0.0.1")
        {
            return (400, "{\"message\":\"unsupported entry kind\"}");
        }

        var proposed = request["spec"]!["proposedContent"]!;
        var envelope = JsonNode.Parse((string)proposed["envelope"]!)!;
        var certificatePem = Encoding.UTF8.GetString(Convert.FromBase64String((string)proposed["verifiers"]![0]!));
        var fields = PemEncoding.Find(certificatePem);
        var certificate = Convert.FromBase64String(certificatePem[fields.Base64Data]);
        var answer = sigstore.LogDsseEnvelope(
            (string)envelope["payloadType"]!,
            Convert.FromBase64String((string)envelope["payload"]!),
            Convert.FromBase64String((string)envelope["signatures"]![0]!["sig"]!),
            certificate);
        return (201, (TamperRekor?.Invoke(answer) ?? answer).ToJsonString());
    }

    private static string Pem(byte[] der) => PemEncoding.WriteString("CERTIFICATE", der) + "\n";

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }

    public void Dispose() => _issuerKey.Dispose();
}
