namespace Vouch.Maintainer;

/// <summary>Stable codes of `vouch maintainer check` findings (docs/codes.md, docs/maintainer.md).</summary>
public static class MaintainerCodes
{
    public const string NoProvenance = "VOUCH_MAINT_NO_PROVENANCE";
    public const string IdTokenMissing = "VOUCH_MAINT_ID_TOKEN_MISSING";
    public const string LongLivedToken = "VOUCH_MAINT_LONG_LIVED_TOKEN";
    public const string TokenExposed = "VOUCH_MAINT_TOKEN_EXPOSED";
    public const string ToolchainTooOld = "VOUCH_MAINT_TOOLCHAIN_TOO_OLD";
    public const string UnpinnedAction = "VOUCH_MAINT_UNPINNED_ACTION";
    public const string UnpinnedTool = "VOUCH_MAINT_UNPINNED_TOOL";
    public const string UnpinnedImage = "VOUCH_MAINT_UNPINNED_IMAGE";
    public const string RiskyTrigger = "VOUCH_MAINT_RISKY_TRIGGER";
    public const string UntrustedInput = "VOUCH_MAINT_UNTRUSTED_INPUT";
    public const string SecretInRun = "VOUCH_MAINT_SECRET_IN_RUN";
    public const string NoEnvironment = "VOUCH_MAINT_NO_ENVIRONMENT";
    public const string IdTokenWorkflowLevel = "VOUCH_MAINT_ID_TOKEN_WORKFLOW_LEVEL";
    public const string FileUnreadable = "VOUCH_MAINT_FILE_UNREADABLE";
}
