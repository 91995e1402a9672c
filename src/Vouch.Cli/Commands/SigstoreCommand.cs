using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using Vouch.Cli.Composition;
using Vouch.Sigstore;
using Vouch.Sigstore.Bundles;
using Vouch.Sigstore.Crypto;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;

namespace Vouch.Cli.Commands;

/// <summary>
/// `vouch sigstore verify-bundle`: verifies any Sigstore bundle. Its arguments follow the
/// sigstore-conformance CLI protocol exactly, so the conformance suite can drive it.
/// </summary>
internal static class SigstoreCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var bundle = new Option<string>("--bundle") { Description = "The Sigstore bundle (JSON) to verify.", Required = true };
        var identity = new Option<string?>("--certificate-identity") { Description = "Expected certificate identity (SAN), exact match." };
        var identityRegexp = new Option<string?>("--certificate-identity-regexp") { Description = "Expected certificate identity as a regular expression (whole value)." };
        var issuer = new Option<string?>("--certificate-oidc-issuer") { Description = "Expected OIDC issuer of the certificate." };
        var key = new Option<string?>("--key") { Description = "PEM public key file, for bundles signed with a managed key." };
        var trustedRoot = new Option<string?>("--trusted-root") { Description = "Trusted root JSON; default: the embedded Sigstore public-good root." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var artifact = new Argument<string>("FILE_OR_DIGEST") { Description = "The artifact file, or its digest as sha256:<hex>." };

        var verify = new Command("verify-bundle", "Verify a Sigstore bundle for an artifact (sigstore-conformance protocol).")
        {
            bundle, identity, identityRegexp, issuer, key, trustedRoot, json, artifact,
        };
        verify.SetAction(parse =>
        {
            var request = new VerifyBundleRequest(
                parse.GetValue(bundle)!,
                parse.GetValue(artifact)!,
                parse.GetValue(identity),
                parse.GetValue(identityRegexp),
                parse.GetValue(issuer),
                parse.GetValue(key),
                parse.GetValue(trustedRoot),
                parse.GetValue(json));
            return VerifyBundle(request, stdout, stderr);
        });

        return new Command("sigstore", "Sigstore operations that know nothing of npm.") { verify };
    }

    internal sealed record VerifyBundleRequest(
        string BundlePath,
        string Artifact,
        string? Identity,
        string? IdentityRegexp,
        string? Issuer,
        string? KeyPath,
        string? TrustedRootPath,
        bool Json);

    internal static int VerifyBundle(VerifyBundleRequest r, TextWriter stdout, TextWriter stderr)
    {
        if (r.KeyPath is null && (r.Identity is null == r.IdentityRegexp is null || r.Issuer is null))
        {
            throw new UsageException("give --certificate-identity (or --certificate-identity-regexp) with --certificate-oidc-issuer, or --key");
        }

        if (r.KeyPath is not null && (r.Identity is not null || r.IdentityRegexp is not null))
        {
            throw new UsageException("--key cannot be combined with --certificate-identity");
        }

        var bundleBytes = ReadFile(r.BundlePath, "bundle", Limits.MaxBundleBytes);
        var (root, trustSource) = r.TrustedRootPath is null ? TrustMaterialLoader.TrustedRoot(null) : (ParseTrustedRoot(r.TrustedRootPath), r.TrustedRootPath);

        var artifact = Vouch.Sigstore.Verification.Artifact.ParseDigest(r.Artifact);
        if (artifact is null)
        {
            if (r.Artifact.StartsWith("sha256:", StringComparison.OrdinalIgnoreCase))
            {
                throw new UsageException($"'{r.Artifact}' is not a valid sha256:<64 hex digits> digest");
            }

            artifact = Vouch.Sigstore.Verification.Artifact.FromBytes(ReadFile(r.Artifact, "artifact", int.MaxValue));
        }

        SignerPolicy signer;
        if (r.KeyPath is not null)
        {
            try
            {
                signer = SignerPolicy.PublicKey(PublicKey.FromPem(File.ReadAllText(ExistingFile(r.KeyPath, "key"))));
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException or FormatException)
            {
                throw new UsageException($"{r.KeyPath}: not a PEM public key ({e.Message})");
            }
        }
        else
        {
            CertificateIdentity id;
            try
            {
                id = r.Identity is not null
                    ? CertificateIdentity.Exact(r.Identity, r.Issuer!)
                    : CertificateIdentity.Pattern(r.IdentityRegexp!, r.Issuer!);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"--certificate-identity-regexp: {e.Message}");
            }

            signer = SignerPolicy.Certificate(id);
        }

        Bundle bundle;
        try
        {
            bundle = Bundle.Parse(bundleBytes);
        }
        catch (SigstoreFormatException e)
        {
            return Report(stdout, stderr, r.Json, VerificationResultFrom(e), ExitCodes.BadInput, trustSource);
        }

        var result = new SigstoreVerifier(root).Verify(bundle, artifact, signer);
        return Report(stdout, stderr, r.Json, result, result.IsValid ? ExitCodes.Ok : ExitCodes.CheckFailed, trustSource);
    }

    private static VerificationResult VerificationResultFrom(SigstoreFormatException e) => new() { Code = e.Code, Message = e.Message };

    private static int Report(TextWriter stdout, TextWriter stderr, bool json, VerificationResult result, int exitCode, string trustSource)
    {
        if (json)
        {
            var doc = new Dictionary<string, object?>
            {
                ["valid"] = result.IsValid,
                ["code"] = result.Code,
                ["message"] = result.Message,
                ["identity"] = result.SubjectAlternativeName,
                ["issuer"] = result.CertificateExtensions?.Issuer,
                ["logEntries"] = result.LogEntries.Select(e => new { logIndex = e.LogIndex, log = e.LogBaseUrl, integratedTime = e.IntegratedTime, kind = e.Kind, version = e.KindVersion }).ToList(),
                ["timestamps"] = result.Timestamps.Select(t => new { source = t.Source == TimestampSource.TransparencyLog ? "tlog" : "tsa", time = t.Time, authority = t.Authority }).ToList(),
                ["predicateType"] = result.Statement?.PredicateType,
                ["trustedRoot"] = trustSource,
            };
            stdout.WriteLine(JsonSerializer.Serialize(doc, CliJson.Options));
        }
        else if (result.IsValid)
        {
            var who = result.SubjectAlternativeName is null ? "the given key" : $"{result.SubjectAlternativeName} ({result.CertificateExtensions?.Issuer})";
            var when = result.Timestamps.Count > 0 ? $", signed {result.Timestamps.Min(t => t.Time):u}" : "";
            stdout.WriteLine($"OK: bundle verified, signed by {who}{when}, {result.LogEntries.Count} transparency log entr{(result.LogEntries.Count == 1 ? "y" : "ies")} (trusted root: {trustSource})");
        }

        if (!result.IsValid)
        {
            stderr.WriteLine($"vouch: {result.Code}: {result.Message}");
        }

        return exitCode;
    }

    private static TrustedRoot ParseTrustedRoot(string path)
    {
        try
        {
            return TrustedRoot.Parse(ReadFile(path, "trusted root", Limits.MaxTrustMaterialBytes));
        }
        catch (SigstoreFormatException e)
        {
            throw new UsageException($"{e.Code}: {path}: {e.Message}");
        }
    }

    private static string ExistingFile(string path, string what) =>
        File.Exists(path) ? path : throw new UsageException($"{what} file '{path}' does not exist");

    private static byte[] ReadFile(string path, string what, long max)
    {
        var info = new FileInfo(ExistingFile(path, what));
        if (info.Length > max)
        {
            throw new UsageException($"{what} file '{path}' is larger than the limit of {max} bytes");
        }

        try
        {
            return File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new UsageException($"cannot read {what} file '{path}': {e.Message}");
        }
    }
}
