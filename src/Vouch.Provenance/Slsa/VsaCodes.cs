namespace Vouch.Provenance.Slsa;

/// <summary>Stable codes of verification summary (VSA) checks (docs/codes.md, docs/slsa.md).</summary>
public static class VsaCodes
{
    public const string Malformed = "VOUCH_VSA_MALFORMED";
    public const string KeyInvalid = "VOUCH_VSA_KEY_INVALID";
    public const string SignatureInvalid = "VOUCH_VSA_SIGNATURE_INVALID";
    public const string SubjectMismatch = "VOUCH_VSA_SUBJECT_MISMATCH";
    public const string LevelInsufficient = "VOUCH_VSA_LEVEL_INSUFFICIENT";
    public const string ResultFailed = "VOUCH_VSA_RESULT_FAILED";
    public const string VerifierMismatch = "VOUCH_VSA_VERIFIER_MISMATCH";
    public const string ResourceMismatch = "VOUCH_VSA_RESOURCE_MISMATCH";
}
