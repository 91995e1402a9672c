using System.Security.Cryptography;
using Vouch.Audit;
using Vouch.Cli.Composition;
using Vouch.Npm;
using Vouch.Policy;
using Vouch.Provenance.Slsa;
using Vouch.Common;

namespace Vouch.Cli.Services;

/// <summary>Where `vouch verify --vsa` writes, validated before anything is fetched.</summary>
internal sealed record VsaTarget(string Path, bool ToStdout, bool IsDirectory, ECDsa Key, string VerifierId) : IDisposable
{
    public const string DefaultVerifier = "https://github.com/vouch/vouch#cli";

    /// <summary>Null when `--vsa` is absent; a usage error for every inconsistent combination.</summary>
    public static VsaTarget? Bind(string? vsa, string? keyFile, string? verifier, int specCount, bool json)
    {
        if (vsa is null)
        {
            return keyFile is not null || verifier is not null ? throw new UsageException("--vsa-key and --vsa-verifier need --vsa FILE") : null;
        }

        if (keyFile is null)
        {
            throw new UsageException("--vsa needs --vsa-key FILE (an ECDSA P-256 private key, PEM)");
        }

        if (vsa.Length == 0 || (verifier is not null && (verifier.Length == 0 || verifier.Any(char.IsControl))))
        {
            throw new UsageException("--vsa and --vsa-verifier take a non-empty value");
        }

        var toStdout = vsa == "-";
        if (toStdout && (json || specCount > 1))
        {
            throw new UsageException("--vsa -: only for one SPEC and without --json (both would share stdout)");
        }

        var isDirectory = !toStdout && specCount > 1;
        if (isDirectory && !Directory.Exists(vsa))
        {
            throw new UsageException($"--vsa: with several SPECs, an existing directory (one file per version; {vsa} is not one)");
        }

        if (!toStdout && !isDirectory && Directory.Exists(vsa))
        {
            throw new UsageException($"--vsa: a file to write ({vsa} is a directory)");
        }

        string pem;
        try
        {
            pem = new FileInfo(keyFile).Length > 64 * 1024 ? throw new UsageException($"--vsa-key: {keyFile} is too large for a key") : File.ReadAllText(keyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--vsa-key: cannot read {keyFile}: {e.Message}");
        }

        var key = VsaKeys.LoadPrivate(pem, out var error) ?? throw new UsageException($"--vsa-key: {error}");
        return new VsaTarget(toStdout ? "-" : System.IO.Path.GetFullPath(vsa), toStdout, isDirectory, key, verifier ?? DefaultVerifier);
    }

    public void Dispose() => Key.Dispose();
}

/// <summary>
/// Signs a SLSA verification summary for each judged version (docs/slsa.md): the level its verified
/// evidence earns, PASSED only when verification and the policy both passed.
/// </summary>
internal static class VsaService
{
    /// <summary>One envelope per judged version; false when one could not be issued (each reason on stderr).</summary>
    public static async Task<bool> EmitAsync(IReadOnlyList<PackageJudgement> results, VouchServices services, PolicyDocument policy, VsaTarget target, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var ok = true;
        foreach (var r in results.Where(x => x.Status == JudgementStatus.Judged))
        {
            // The packument the verification read (cached by the registry client).
            var packument = await services.Registry.GetPackumentAsync(r.Report.Name, PackumentFormat.Full, ct).ConfigureAwait(false);
            string? error = null;
            var envelope = packument.IsOk ? Sign(r, packument.Value!, policy, target, services.Time.GetUtcNow(), out error) : null;
            if (envelope is null)
            {
                stderr.WriteLine($"vouch: {(packument.IsOk ? error : $"{r.Report.Name}@{r.Report.Version}: no VSA: the packument could not be read again")}");
                ok = false;
                continue;
            }

            Write(target, r.Report.Name, r.Report.Version, envelope, stdout);
        }

        return ok;
    }

    /// <summary>The VSA envelope, or null with the reason when the version has no SHA-512 the tarball was verified against.</summary>
    public static string? Sign(PackageJudgement judgement, Packument packument, PolicyDocument policy, VsaTarget target, DateTimeOffset now, out string? error)
    {
        var report = judgement.Report;
        error = null;
        // The subject digest must be one the tarball was checked against, never a value merely read.
        if (report.Integrity is not { Status: "verified", Algorithm: "sha512" }
            || !packument.Versions.TryGetValue(report.Version, out var entry)
            || Sha512(entry.Dist.Integrity) is not { } sha512)
        {
            error = $"{report.Name}@{report.Version}: no VSA: the tarball was not verified against a SHA-512 integrity value (integrity {report.Integrity.Status}{(report.Integrity.Algorithm is { } a ? $", {a}" : "")})";
            return null;
        }

        // The level the policy computes: its own mapping (hosted issuers, isolated builders) when it configures one.
        var assessment = SlsaLevels.Assess(report, policy.SlsaMapping);
        var (policyUri, policyDigest) = PolicyDigest(policy);
        return Vsa.Sign(new VsaRequest
        {
            PackageName = report.Name,
            Version = report.Version,
            TarballSha512 = sha512,
            VerifierId = target.VerifierId,
            VerifierVersion = ToolVersion.Current,
            TimeVerified = now,
            PolicyUri = policyUri,
            PolicySha256Hex = policyDigest,
            Passed = judgement.Passed,
            Level = assessment.Level,
            InputAttestations = Vsa.Inputs(report, entry.Dist.Attestations?.Url),
        }, target.Key);
    }

    /// <summary>Writes one envelope: the file, a file in the directory, or stdout.</summary>
    public static void Write(VsaTarget target, string name, string version, string envelope, TextWriter stdout)
    {
        if (target.ToStdout)
        {
            stdout.WriteLine(envelope);
            return;
        }

        // Package names are validated npm names ('/' only after a scope): '+' keeps one file per version, inside the directory.
        var path = target.IsDirectory ? System.IO.Path.Combine(target.Path, $"{name.Replace('/', '+')}@{version}.vsa.json") : target.Path;
        AtomicFile.WriteText(path, envelope + "\n");
    }

    internal static byte[]? Sha512(string? integrity) => Vsa.SubjectSha512(integrity);

    private static (string? Uri, string? Sha256) PolicyDigest(PolicyDocument policy)
    {
        if (policy.Source == PolicyDocument.Default.Source)
        {
            return (null, null);
        }

        // The top file's bytes as they are now (its extends chain is named by the file itself).
        if (!Uri.TryCreate(policy.Source, UriKind.Absolute, out var u) || u.IsFile)
        {
            try
            {
                return (policy.Source, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(policy.Source))));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return (policy.Source, null);
            }
        }

        return (policy.Source, null);
    }
}
