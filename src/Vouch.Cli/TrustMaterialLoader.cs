using Vouch.Provenance;
using Vouch.Sigstore;
using Vouch.Tuf;
using SigstoreTrustedRoot = Vouch.Sigstore.Trust.TrustedRoot;

namespace Vouch.Cli;

/// <summary>
/// Picks the trust material commands use: the TUF-verified cached copy when it is fresh, the
/// snapshot embedded in Vouch otherwise, and says which.
/// </summary>
internal static class TrustMaterialLoader
{
    public static (SigstoreTrustedRoot Root, string Source) TrustedRoot()
    {
        var status = Status();
        if (status?.TrustedRoot is { Source: TrustMaterialSource.Cache, Content: { } content })
        {
            try
            {
                return (SigstoreTrustedRoot.Parse(content), "TUF cache");
            }
            catch (SigstoreFormatException)
            {
                // A cached target that verified through TUF but does not parse is not usable; fall back.
            }
        }

        return (SigstoreTrustedRoot.PublicGood, "embedded snapshot");
    }

    public static (RegistryKeys Keys, string Source) NpmKeys()
    {
        var status = Status();
        if (status?.NpmKeys is { Source: TrustMaterialSource.Cache, Content: { } content })
        {
            try
            {
                return (RegistryKeys.Parse(content, "npm registry keys (TUF cache)"), "TUF cache");
            }
            catch (SigstoreFormatException)
            {
            }
        }

        return (RegistryKeys.Embedded, "embedded snapshot");
    }

    private static TrustStatus? Status()
    {
        try
        {
            var updater = new SigstoreTrustUpdater(Commands.TrustCommand.Options(null, null));
            return updater.GetStatusAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
