using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json;
using Vouch.Provenance.Slsa;

namespace Vouch.Cli.Commands;

/// <summary>`vouch verify-vsa`: checks a SLSA verification summary attestation (docs/slsa.md). The logic is in Vouch.Provenance.Slsa.</summary>
internal static class VsaCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var vsa = new Argument<string>("VSA") { Description = "The VSA: a DSSE envelope (JSON) as `vouch verify --vsa` writes it." };
        var key = new Option<string>("--key") { Description = "The verifier's public key (ECDSA P-256, PEM).", Required = true };
        var tarball = new Option<string?>("--tarball") { Description = "The package tarball the VSA must be about (its sha512 is the subject)." };
        var sha512 = new Option<string?>("--sha512") { Description = "The tarball's sha512 as hex or as an integrity value (sha512-...), instead of --tarball." };
        var minLevel = new Option<int>("--min-level") { Description = "The lowest SLSA build level accepted (0-3, default 1).", DefaultValueFactory = _ => 1 };
        var package = new Option<string?>("--package") { Description = "name@version the VSA must name (resourceUri and subject name)." };
        var verifier = new Option<string?>("--verifier") { Description = "The verifier id the VSA must carry." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var command = new Command("verify-vsa", "Check a SLSA verification summary attestation: signature, subject, result and level.")
        {
            vsa, key, tarball, sha512, minLevel, package, verifier, json,
        };
        command.SetAction((parse, _) =>
        {
            var level = parse.GetValue(minLevel);
            if (level is < 0 or > 3)
            {
                throw new UsageException("--min-level: 0, 1, 2 or 3");
            }

            var digest = Digest(parse.GetValue(tarball), parse.GetValue(sha512));
            string? name = null;
            string? version = null;
            if (parse.GetValue(package) is { } spec)
            {
                var at = spec.LastIndexOf('@');
                if (at <= 0 || at == spec.Length - 1)
                {
                    throw new UsageException($"--package: expected name@version, not '{spec}'");
                }

                (name, version) = (spec[..at], spec[(at + 1)..]);
            }

            using var publicKey = VsaKeys.LoadPublic(ReadText(parse.GetValue(key)!, "--key"), out var keyError)
                ?? throw new UsageException($"{VsaCodes.KeyInvalid}: --key: {keyError}");
            var envelopePath = parse.GetValue(vsa)!;
            if (!File.Exists(envelopePath))
            {
                throw new UsageException($"{envelopePath}: no such file");
            }

            if (new FileInfo(envelopePath).Length > Vsa.MaxEnvelopeBytes)
            {
                throw new UsageException($"{envelopePath}: larger than {Vsa.MaxEnvelopeBytes} bytes");
            }

            var result = VsaVerifier.Verify(File.ReadAllBytes(envelopePath), publicKey, new VsaExpectation
            {
                SubjectSha512 = digest,
                MinimumLevel = (SlsaBuildLevel)level,
                PackageName = name,
                Version = version,
                VerifierId = parse.GetValue(verifier),
            });
            if (parse.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(new
                {
                    passed = result.Passed,
                    verifier = result.VerifierId,
                    timeVerified = result.TimeVerified,
                    resourceUri = result.ResourceUri,
                    policy = new { uri = result.PolicyUri, sha256 = result.PolicySha256 },
                    level = result.Level is { } l ? SlsaLevels.VsaName(l) : null,
                    verifiedLevels = result.VerifiedLevels,
                    problems = result.Problems.Select(p => new { code = p.Code, message = p.Message }),
                }, CliJson.Options));
            }
            else if (result.Passed)
            {
                stdout.WriteLine($"VSA verified: {result.ResourceUri} {SlsaLevels.VsaName(result.Level!.Value)} by {result.VerifierId} at {result.TimeVerified}");
            }
            else
            {
                foreach (var p in result.Problems)
                {
                    stderr.WriteLine($"vouch: {p.Code}: {p.Message}");
                }
            }

            // A VSA that cannot even be read is bad input; one that reads but does not hold is a failed check.
            return Task.FromResult(result.Passed ? ExitCodes.Ok : result.Problems.Any(p => p.Code == VsaCodes.Malformed) ? ExitCodes.BadInput : ExitCodes.CheckFailed);
        });
        return command;
    }

    private static byte[] Digest(string? tarball, string? sha512)
    {
        if ((tarball is null) == (sha512 is null))
        {
            throw new UsageException("give exactly one of --tarball FILE or --sha512 DIGEST");
        }

        if (tarball is not null)
        {
            if (!File.Exists(tarball))
            {
                throw new UsageException($"--tarball: {tarball}: no such file");
            }

            using var stream = File.OpenRead(tarball);
            if (stream.Length > Vouch.Npm.Limits.MaxTarballBytes)
            {
                throw new UsageException($"--tarball: larger than {Vouch.Npm.Limits.MaxTarballBytes} bytes");
            }

            return SHA512.HashData(stream);
        }

        var text = sha512!.Trim();
        try
        {
            var bytes = text.StartsWith("sha512-", StringComparison.Ordinal) ? Convert.FromBase64String(text["sha512-".Length..]) : Convert.FromHexString(text);
            if (bytes.Length == 64)
            {
                return bytes;
            }
        }
        catch (FormatException)
        {
        }

        throw new UsageException("--sha512: 128 hex digits or sha512-<base64>");
    }

    private static string ReadText(string path, string option)
    {
        if (!File.Exists(path))
        {
            throw new UsageException($"{option}: {path}: no such file");
        }

        if (new FileInfo(path).Length > 64 * 1024)
        {
            throw new UsageException($"{option}: {path}: larger than 64 KiB");
        }

        return File.ReadAllText(path);
    }
}
