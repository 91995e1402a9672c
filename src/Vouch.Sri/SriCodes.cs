namespace Vouch.Sri;

/// <summary>Stable finding codes of `vouch sri` (docs/codes.md, section "Subresource Integrity").</summary>
public static class SriCodes
{
    /// <summary>A script or stylesheet from another origin carries no integrity attribute.</summary>
    public const string MissingIntegrity = "VOUCH_SRI_MISSING_INTEGRITY";

    /// <summary>A cross-origin resource lacks crossorigin: with integrity the browser refuses it (opaque response), without it SRI cannot be added alone.</summary>
    public const string MissingCrossOrigin = "VOUCH_SRI_MISSING_CROSSORIGIN";

    /// <summary>The integrity attribute only names algorithms browsers ignore (sha1, md5...).</summary>
    public const string WeakHash = "VOUCH_SRI_WEAK_HASH";

    /// <summary>An integrity token is not `sha256|sha384|sha512-BASE64` with a digest of the right length.</summary>
    public const string MalformedIntegrity = "VOUCH_SRI_MALFORMED_INTEGRITY";

    /// <summary>An npm CDN URL that does not name one exact version (`@latest`, no version, a range, a bare major).</summary>
    public const string UnpinnedCdnUrl = "VOUCH_SRI_UNPINNED_CDN_URL";

    /// <summary>A jsDelivr GitHub URL without a commit or exact version tag.</summary>
    public const string UnpinnedGitHubRef = "VOUCH_SRI_UNPINNED_GITHUB_REF";

    /// <summary>A service whose response is generated per request or per browser: no fixed hash exists; self-host.</summary>
    public const string PerBrowserService = "VOUCH_SRI_PER_BROWSER_SERVICE";

    /// <summary>A cross-origin script or stylesheet fetched over plain http.</summary>
    public const string InsecureUrl = "VOUCH_SRI_INSECURE_URL";

    /// <summary>The URL contains template syntax: it is only known at render time, so it was not checked.</summary>
    public const string TemplateUrlSkipped = "VOUCH_SRI_TEMPLATE_URL_SKIPPED";

    /// <summary>fix: the version the URL resolves to failed verification (integrity, signature, provenance).</summary>
    public const string FixVerificationFailed = "VOUCH_SRI_FIX_VERIFICATION_FAILED";

    /// <summary>fix: the version the URL resolves to is refused by an error rule of the policy.</summary>
    public const string FixPolicyDenied = "VOUCH_SRI_FIX_POLICY_DENIED";

    /// <summary>fix: the package, version or dist-tag the URL names does not exist in the registry.</summary>
    public const string FixPackageNotFound = "VOUCH_SRI_FIX_PACKAGE_NOT_FOUND";

    /// <summary>fix: the file the URL names is not in the package's tarball.</summary>
    public const string FixFileNotInPackage = "VOUCH_SRI_FIX_FILE_NOT_IN_PACKAGE";

    /// <summary>fix: the CDN generates this file (jsDelivr `.min.js`, `+esm`, combine): it is not in the tarball, so no hash can be vouched for.</summary>
    public const string FixGeneratedFile = "VOUCH_SRI_FIX_GENERATED_FILE";

    /// <summary>fix: the URL is not an npm CDN URL; there is no tarball to hash it from.</summary>
    public const string FixNotNpm = "VOUCH_SRI_FIX_NOT_NPM";

    /// <summary>fix/scan --verify: an existing integrity value does not match the file in the npm tarball.</summary>
    public const string IntegrityMismatch = "VOUCH_SRI_INTEGRITY_MISMATCH";

    /// <summary>fix: the registry or network failed while resolving (exit 3).</summary>
    public const string FixNetworkError = "VOUCH_SRI_FIX_NETWORK_ERROR";
}

/// <summary>How much a finding matters: SARIF levels. Errors and warnings fail `scan` (exit 1); notes do not.</summary>
public enum SriLevel
{
    Note,
    Warning,
    Error,
}
