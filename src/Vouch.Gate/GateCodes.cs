namespace Vouch.Gate;

/// <summary>Stable codes in the gate's refusals, `_vouch` explanations and errors (docs/codes.md).</summary>
public static class GateCodes
{
    /// <summary>A version publishes neither dist.integrity nor dist.shasum: the gate cannot check its bytes.</summary>
    public const string NoIntegrity = "VOUCH_GATE_NO_INTEGRITY";

    /// <summary>Full verification of the version found problems (integrity, signature, provenance, source binding).</summary>
    public const string VerificationFailed = "VOUCH_GATE_VERIFICATION_FAILED";

    /// <summary>The upstream tarball did not match the packument's integrity; nothing was served or cached.</summary>
    public const string IntegrityMismatch = "VOUCH_GATE_INTEGRITY_MISMATCH";

    /// <summary>The upstream could not be reached or kept failing.</summary>
    public const string UpstreamUnavailable = "VOUCH_GATE_UPSTREAM_UNAVAILABLE";

    /// <summary>The upstream answered something unusable: malformed, truncated, oversized, or another package.</summary>
    public const string UpstreamInvalid = "VOUCH_GATE_UPSTREAM_INVALID";

    /// <summary>A packument points a tarball or attestation at a host other than the configured upstream.</summary>
    public const string ForeignUrl = "VOUCH_GATE_FOREIGN_URL";

    /// <summary>The request names no valid package, version or file.</summary>
    public const string BadRequest = "VOUCH_GATE_BAD_REQUEST";

    /// <summary>No such package, version or resource.</summary>
    public const string NotFound = "VOUCH_GATE_NOT_FOUND";

    /// <summary>No or an unknown token.</summary>
    public const string Unauthorized = "VOUCH_GATE_UNAUTHORIZED";

    /// <summary>The token's role does not allow this operation.</summary>
    public const string Forbidden = "VOUCH_GATE_FORBIDDEN";

    /// <summary>The gate is read-only: publishing, unpublishing and login are refused.</summary>
    public const string ReadOnly = "VOUCH_GATE_READ_ONLY";

    /// <summary>The operation does not apply in the approval's current state (e.g. granting a denied request).</summary>
    public const string Conflict = "VOUCH_GATE_CONFLICT";

    /// <summary>The request path is refused by the gate's one path parser: malformed or doubled encoding, '..', '.', empty segments, backslashes, control or non-ASCII characters, invalid UTF-8.</summary>
    public const string BadPath = "VOUCH_GATE_BAD_PATH";

    /// <summary>A request body is not what the endpoint takes: not UTF-8, not a JSON object, a lone surrogate, a field of the wrong type.</summary>
    public const string BadBody = "VOUCH_GATE_BAD_BODY";

    /// <summary>The endpoint exists but not for this HTTP method.</summary>
    public const string MethodNotAllowed = "VOUCH_GATE_METHOD_NOT_ALLOWED";

    /// <summary>A fetch (or a redirect) outside the configured upstream was refused by the outbound policy.</summary>
    public const string OutboundRefused = "VOUCH_GATE_OUTBOUND_REFUSED";

    /// <summary>Verification of the version could not complete (attestations not served, a key, log or authority the trust material does not know yet); retried after Retry-After, never stored as evidence.</summary>
    public const string VerificationIncomplete = "VOUCH_GATE_VERIFICATION_INCOMPLETE";

    /// <summary>Issue 17: the gate's policy has no <c>reviews</c> rule, so it has no web of trust to verify a posted review against.</summary>
    public const string ReviewsDisabled = "VOUCH_GATE_REVIEWS_DISABLED";

    /// <summary>Issue 17: the gate requires a stored review of the version before an approval of it is granted (<c>--approval-requires-review</c>).</summary>
    public const string ReviewRequired = "VOUCH_GATE_REVIEW_REQUIRED";

    /// <summary>Four eyes: the identity that requested an approval cannot grant it.</summary>
    public const string FourEyes = "VOUCH_GATE_FOUR_EYES";

    /// <summary>A name routed to a private upstream (issue 19: `@corp/*`) that it does not have: never looked up at another upstream, so a public package cannot shadow the private scope.</summary>
    public const string DependencyConfusion = "VOUCH_GATE_DEPENDENCY_CONFUSION";

    /// <summary>A verification summary (VSA) was asked for a version this gate has no complete evidence for, or whose tarball was not verified against a SHA-512 value: 409, verify it first.</summary>
    public const string NotVerified = "VOUCH_GATE_NOT_VERIFIED";

    /// <summary>A verification summary (VSA) was asked of a gate without a VSA key (<c>--vsa-key</c>): it signs nothing.</summary>
    public const string VsaDisabled = "VOUCH_GATE_VSA_DISABLED";
    /// <summary>Issue 16: `vouch watch` reported an event about this version; it is withheld until an approver grants <c>watch-quarantine</c> for it.</summary>
    public const string WatchQuarantined = "VOUCH_GATE_WATCH_QUARANTINED";

    /// <summary>A watch webhook without a valid <c>Vouch-Signature</c>: missing, malformed, or an HMAC that does not match the body under the configured secret.</summary>
    public const string WatchSignatureInvalid = "VOUCH_GATE_WATCH_SIGNATURE_INVALID";

    /// <summary>A watch webhook signed more than 5 minutes from the gate's clock (a captured delivery replayed later).</summary>
    public const string WatchSignatureStale = "VOUCH_GATE_WATCH_SIGNATURE_STALE";

    /// <summary>A signed watch webhook whose body is not a delivery (docs/watch.md): malformed JSON, a bad field, a delivery id that does not match its events.</summary>
    public const string WatchEventInvalid = "VOUCH_GATE_WATCH_EVENT_INVALID";

    /// <summary>The gate takes no watch events: it was started without <c>--watch-secret-env</c>.</summary>
    public const string WatchDisabled = "VOUCH_GATE_WATCH_DISABLED";
    /// <summary>Issue 19: the OpenID Connect sign-in was refused: the id token's signature, issuer, audience, lifetime or nonce did not check out, or the provider's answer was an error.</summary>
    public const string OidcRefused = "VOUCH_GATE_OIDC_REFUSED";

    /// <summary>Issue 19: the identity signed in, but no value of the configured claim maps to reader, approver or admin.</summary>
    public const string OidcNoRole = "VOUCH_GATE_OIDC_NO_ROLE";

    /// <summary>Issue 19: the identity provider (its discovery document or keys) could not be reached.</summary>
    public const string OidcUnavailable = "VOUCH_GATE_OIDC_UNAVAILABLE";

    /// <summary>Issue 19: a dashboard session's state-changing request without a valid anti-forgery token.</summary>
    public const string Csrf = "VOUCH_GATE_CSRF";

    /// <summary>
    /// A webhook receiver's cursor file (<c>&lt;data-dir&gt;/webhooks/*.cursor</c>) cannot be read, does not
    /// hold an audit id, or points past the audit log: that receiver is paused (logged), the others go on.
    /// </summary>
    public const string WebhookCursorInvalid = "VOUCH_GATE_WEBHOOK_CURSOR_INVALID";

    /// <summary>An unexpected error inside the gate (logged; never carries details to the client).</summary>
    public const string Internal = "VOUCH_GATE_INTERNAL";
}
