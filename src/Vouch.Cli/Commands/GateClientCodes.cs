namespace Vouch.Cli.Commands;

/// <summary>Stable codes of the gate's command-line client, `vouch gate digest` (docs/codes.md, section "Gate client").</summary>
internal static class GateClientCodes
{
    /// <summary>401: the gate does not know the token (exit 2).</summary>
    public const string Unauthorized = "VOUCH_GATE_CLIENT_UNAUTHORIZED";

    /// <summary>403: the token's role may not read this (a publisher token; exit 2).</summary>
    public const string Forbidden = "VOUCH_GATE_CLIENT_FORBIDDEN";

    /// <summary>400: the gate refused the request's parameters (exit 2).</summary>
    public const string BadRequest = "VOUCH_GATE_CLIENT_BAD_REQUEST";

    /// <summary>Unreachable, any other status, or an answer that is not a digest (exit 3).</summary>
    public const string Failed = "VOUCH_GATE_CLIENT_FAILED";
}
