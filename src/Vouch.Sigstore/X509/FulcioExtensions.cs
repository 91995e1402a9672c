using System.Formats.Asn1;
using System.Text;

namespace Vouch.Sigstore.X509;

/// <summary>
/// The identity claims Fulcio copies from the OIDC token into a signing certificate
/// (OIDs 1.3.6.1.4.1.57264.1.*), typed so that policy never reads raw extension bytes.
/// </summary>
public sealed record FulcioExtensions
{
    private const string Prefix = "1.3.6.1.4.1.57264.1.";

    /// <summary>OIDC issuer: .8 (DER UTF8String), falling back to the deprecated .1 (raw bytes).</summary>
    public string? Issuer { get; init; }

    public string? BuildSignerUri { get; init; }

    public string? BuildSignerDigest { get; init; }

    public string? RunnerEnvironment { get; init; }

    public string? SourceRepositoryUri { get; init; }

    public string? SourceRepositoryDigest { get; init; }

    public string? SourceRepositoryRef { get; init; }

    public string? SourceRepositoryIdentifier { get; init; }

    public string? SourceRepositoryOwnerUri { get; init; }

    public string? SourceRepositoryOwnerIdentifier { get; init; }

    public string? BuildConfigUri { get; init; }

    public string? BuildConfigDigest { get; init; }

    public string? BuildTrigger { get; init; }

    public string? RunInvocationUri { get; init; }

    public string? SourceRepositoryVisibility { get; init; }

    /// <summary>Deprecated GitHub extensions (.2–.6), still present in older certificates.</summary>
    public string? GitHubWorkflowTrigger { get; init; }

    public string? GitHubWorkflowSha { get; init; }

    public string? GitHubWorkflowName { get; init; }

    public string? GitHubWorkflowRepository { get; init; }

    public string? GitHubWorkflowRef { get; init; }

    public static FulcioExtensions From(Certificate certificate)
    {
        string? Raw(int n) => certificate.FindExtension(Prefix + n) is { } e ? Encoding.UTF8.GetString(e.Value) : null;

        string? Der(int n)
        {
            if (certificate.FindExtension(Prefix + n) is not { } e)
            {
                return null;
            }

            try
            {
                var reader = new AsnReader(e.Value, AsnEncodingRules.DER);
                var s = reader.ReadCharacterString(UniversalTagNumber.UTF8String);
                reader.ThrowIfNotEmpty();
                return s;
            }
            catch (AsnContentException)
            {
                throw new SigstoreFormatException("certificate", [$"Fulcio extension {Prefix}{n} is not a DER UTF8String"], SigstoreCodes.CertificateMalformed);
            }
        }

        return new FulcioExtensions
        {
            Issuer = Der(8) ?? Raw(1),
            GitHubWorkflowTrigger = Raw(2),
            GitHubWorkflowSha = Raw(3),
            GitHubWorkflowName = Raw(4),
            GitHubWorkflowRepository = Raw(5),
            GitHubWorkflowRef = Raw(6),
            BuildSignerUri = Der(9),
            BuildSignerDigest = Der(10),
            RunnerEnvironment = Der(11),
            SourceRepositoryUri = Der(12),
            SourceRepositoryDigest = Der(13),
            SourceRepositoryRef = Der(14),
            SourceRepositoryIdentifier = Der(15),
            SourceRepositoryOwnerUri = Der(16),
            SourceRepositoryOwnerIdentifier = Der(17),
            BuildConfigUri = Der(18),
            BuildConfigDigest = Der(19),
            BuildTrigger = Der(20),
            RunInvocationUri = Der(21),
            SourceRepositoryVisibility = Der(22),
        };
    }
}
