namespace Vouch.Watch;

/// <summary>
/// The kind codes of watch events, and the codes of watch's own failures (docs/watch.md, docs/codes.md).
/// </summary>
public static class WatchCodes
{
    /// <summary>The new version has weaker verified evidence than the strongest earlier version of its release line.</summary>
    public const string ProvenanceLost = "VOUCH_WATCH_PROVENANCE_LOST";

    /// <summary>Earlier versions came through a trusted publisher (OIDC); the new one was published with a token.</summary>
    public const string TrustedPublisherReplaced = "VOUCH_WATCH_TRUSTED_PUBLISHER_REPLACED";

    /// <summary>The provenance names another source repository than the previous version's.</summary>
    public const string SourceChanged = "VOUCH_WATCH_SOURCE_CHANGED";

    /// <summary>The provenance names another build workflow than the previous version's.</summary>
    public const string WorkflowChanged = "VOUCH_WATCH_WORKFLOW_CHANGED";

    /// <summary>Published by an account that never published this package before, or a maintainer was added.</summary>
    public const string NewPublisher = "VOUCH_WATCH_NEW_PUBLISHER";

    /// <summary>The new version runs an install-time script (preinstall, install, postinstall, binding.gyp) the previous one did not.</summary>
    public const string InstallScriptAdded = "VOUCH_WATCH_INSTALL_SCRIPT_ADDED";

    /// <summary>The new version depends on a package the previous one did not.</summary>
    public const string NewDependency = "VOUCH_WATCH_NEW_DEPENDENCY";

    /// <summary>The new version installs a command (`bin`) the previous one did not.</summary>
    public const string NewBin = "VOUCH_WATCH_NEW_BIN";

    /// <summary>A dist-tag now points at a lower version than before.</summary>
    public const string DistTagBackwards = "VOUCH_WATCH_DIST_TAG_BACKWARDS";

    /// <summary>A version was deprecated.</summary>
    public const string Deprecated = "VOUCH_WATCH_DEPRECATED";

    /// <summary>A version (or the whole package) the watcher had seen is gone from the registry.</summary>
    public const string Unpublished = "VOUCH_WATCH_UNPUBLISHED";

    /// <summary>The new version failed verification (integrity, registry signature, attestations).</summary>
    public const string VerificationFailed = "VOUCH_WATCH_VERIFICATION_FAILED";

    /// <summary>A webhook delivery was given up after <see cref="Limits.MaxWebhookAttempts"/> attempts.</summary>
    public const string WebhookGaveUp = "VOUCH_WATCH_WEBHOOK_GAVE_UP";

    /// <summary>A package could not be checked in this cycle (registry or network); it is checked again next cycle.</summary>
    public const string RegistryFailed = "VOUCH_WATCH_REGISTRY_FAILED";

    /// <summary>The watch store is not a watch store, is newer than this build, or was tampered with.</summary>
    public const string StoreInvalid = "VOUCH_WATCH_STORE_INVALID";

    /// <summary>The PostgreSQL store could not be reached (network, server down) at start or during a cycle; the package is checked again next cycle.</summary>
    public const string StoreUnavailable = "VOUCH_WATCH_STORE_UNAVAILABLE";

    /// <summary>`--gate`: the gate could not be reached, answered 5xx, or redirected (never followed).</summary>
    public const string GateFailed = "VOUCH_WATCH_GATE_FAILED";

    /// <summary>`--gate`: the gate refused the token (401) or its role (403).</summary>
    public const string GateUnauthorized = "VOUCH_WATCH_GATE_UNAUTHORIZED";

    /// <summary>`--gate`: the packages answer is not the documented shape, too large, or names something that is not a package name.</summary>
    public const string GateInvalidResponse = "VOUCH_WATCH_GATE_INVALID_RESPONSE";
}
