using System.Text;
using Vouch.Npm;

namespace Vouch.Gate.Api;

/// <summary>What a request asks for, decided once from its path.</summary>
internal enum RouteKind
{
    /// <summary><c>/</c>: redirected to the dashboard.</summary>
    Root,
    Packument,

    /// <summary><c>/name/version-or-tag</c>.</summary>
    Version,
    Tarball,
    Ping,
    Keys,
    Attestations,

    /// <summary>npm audit's POST endpoints; <see cref="GateRoute.Audit"/> says which.</summary>
    Audit,
    Search,

    /// <summary>Log-in, whoami, tokens: refused, the gate is read-only.</summary>
    Account,

    /// <summary>The gate's own API and dashboard under <c>/-/vouch</c>, answered by endpoint routing.</summary>
    Vouch,

    /// <summary>Under <c>/-/</c> but no endpoint the gate knows.</summary>
    Unknown,
}

/// <summary>npm's audit endpoints the gate forwards (<c>/-/npm/v1/security/...</c>).</summary>
internal enum AuditEndpoint
{
    None,
    AdvisoriesBulk,
    AuditsQuick,
    Audits,
}

/// <summary>
/// A request path as typed values. Nothing downstream sees the client's text: a name here passed
/// npm's name validation, a version is an exact semver, a file is a plain <c>*.tgz</c> name, and
/// <see cref="VouchPath"/> is the decoded canonical path the admin routes match.
/// </summary>
internal sealed record GateRoute(RouteKind Kind, string? Name = null, string? Version = null, string? File = null, AuditEndpoint Audit = AuditEndpoint.None, string? VouchPath = null);

/// <summary>
/// The one inbound path parser. Every request's raw target goes through <see cref="TryParse"/>
/// before any handler runs; handlers work on the <see cref="GateRoute"/> only.
/// </summary>
/// <remarks>
/// Decoding happens exactly once, here, on the raw request target (not Kestrel's already decoded
/// and dot-collapsed path): a <c>%2f</c> and a <c>/</c> mean the same, so <c>@scope%2fname</c> and
/// <c>@scope/name</c> parse alike. After that one decoding the path must be printable ASCII with no
/// <c>%</c> left (a doubled encoding is refused, never decoded twice), no backslash, no empty,
/// <c>.</c> or <c>..</c> segment. Anything else is a 400 with <see cref="GateCodes.BadPath"/>.
/// </remarks>
internal static class GatePath
{
    /// <summary>Longest decoded path accepted (Kestrel caps the request line at 8 KiB anyway).</summary>
    public const int MaxPathLength = 2048;

    private const int MaxSegmentLength = 256;
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static bool TryParse(string rawTarget, out GateRoute route, out string error)
    {
        route = new GateRoute(RouteKind.Unknown);
        var query = rawTarget.IndexOf('?', StringComparison.Ordinal);
        var raw = query >= 0 ? rawTarget[..query] : rawTarget;
        if (!raw.StartsWith('/'))
        {
            // Absolute-form ("GET http://host/x") or "*": the gate is not a forward proxy.
            error = "the request target must be a path starting with '/'";
            return false;
        }

        if (!TryDecode(raw, out var path, out error))
        {
            return false;
        }

        if (path.Length > MaxPathLength)
        {
            error = $"the path is longer than {MaxPathLength} characters";
            return false;
        }

        foreach (var c in path)
        {
            if (c is < '!' or > '~')
            {
                error = "the path holds a control, space or non-ASCII character";
                return false;
            }

            if (c is '%' or '\\')
            {
                error = c == '%' ? "the path is encoded more than once ('%' left after decoding)" : "the path holds a backslash";
                return false;
            }
        }

        if (path == "/")
        {
            route = new GateRoute(RouteKind.Root);
            return true;
        }

        var segments = path[1..].Split('/');
        foreach (var s in segments)
        {
            if (s.Length == 0 || s is "." or "..")
            {
                error = "the path holds an empty, '.' or '..' segment";
                return false;
            }

            if (s.Length > MaxSegmentLength)
            {
                error = $"a path segment is longer than {MaxSegmentLength} characters";
                return false;
            }
        }

        return segments[0] == "-" ? TryParseSpecial(segments, out route, out error) : TryParsePackage(segments, out route, out error);
    }

    /// <summary>Percent-decodes once into bytes, then reads them as strict UTF-8 (invalid sequences refused).</summary>
    private static bool TryDecode(string raw, out string decoded, out string error)
    {
        decoded = "";
        error = "";
        var bytes = new byte[raw.Length];
        var n = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c > 0x7E || c < 0x21)
            {
                error = "the request target holds a raw control, space or non-ASCII character";
                return false;
            }

            if (c != '%')
            {
                bytes[n++] = (byte)c;
                continue;
            }

            if (i + 2 >= raw.Length || !char.IsAsciiHexDigit(raw[i + 1]) || !char.IsAsciiHexDigit(raw[i + 2]))
            {
                error = "malformed percent-encoding";
                return false;
            }

            bytes[n++] = (byte)((HexValue(raw[i + 1]) << 4) | HexValue(raw[i + 2]));
            i += 2;
        }

        try
        {
            decoded = StrictUtf8.GetString(bytes, 0, n);
            return true;
        }
        catch (DecoderFallbackException)
        {
            error = "the path is not valid UTF-8 after decoding";
            return false;
        }
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private static bool TryParseSpecial(string[] s, out GateRoute route, out string error)
    {
        error = "";
        route = new GateRoute(RouteKind.Unknown);
        var rest = s.AsSpan(1);
        switch (rest)
        {
            case ["ping"]:
                route = new GateRoute(RouteKind.Ping);
                return true;
            case ["npm", "v1", "keys"]:
                route = new GateRoute(RouteKind.Keys);
                return true;
            case ["npm", "v1", "security", "advisories", "bulk"]:
                route = new GateRoute(RouteKind.Audit, Audit: AuditEndpoint.AdvisoriesBulk);
                return true;
            case ["npm", "v1", "security", "audits", "quick"]:
                route = new GateRoute(RouteKind.Audit, Audit: AuditEndpoint.AuditsQuick);
                return true;
            case ["npm", "v1", "security", "audits"]:
                route = new GateRoute(RouteKind.Audit, Audit: AuditEndpoint.Audits);
                return true;
            case ["npm", "v1", "attestations", .. var spec] when spec.Length > 0:
                return TryParseAttestations(string.Join('/', spec.ToArray()), out route, out error);
            case ["v1", "search", ..]:
                route = new GateRoute(RouteKind.Search);
                return true;
            case ["user", ..] or ["whoami"] or ["npm", "v1", "tokens", ..]:
                route = new GateRoute(RouteKind.Account);
                return true;
            case ["vouch", .. var api]:
                route = VouchRoute(api.ToArray());
                return true;
            default:
                return true;
        }
    }

    // name@version, the name possibly scoped (@scope/name@1.0.0).
    private static bool TryParseAttestations(string spec, out GateRoute route, out string error)
    {
        route = new GateRoute(RouteKind.Unknown);
        var at = spec.LastIndexOf('@');
        if (at <= 0 || !ValidName(spec[..at]) || !ExactVersion(spec[(at + 1)..]))
        {
            error = "expected /-/npm/v1/attestations/<name>@<exact version>";
            return false;
        }

        error = "";
        route = new GateRoute(RouteKind.Attestations, spec[..at], spec[(at + 1)..]);
        return true;
    }

    // The admin API is matched by endpoint routing on the canonical decoded path; verify's package
    // and version are parsed here so its handler, too, only sees typed values.
    private static GateRoute VouchRoute(string[] api)
    {
        var canonical = "/-/vouch" + (api.Length == 0 ? "" : "/" + string.Join('/', api));
        if (api is ["v1", "verify" or "vsa", .. var spec] && spec.Length >= 2)
        {
            var name = string.Join('/', spec[..^1]);
            if (ValidName(name) && ExactVersion(spec[^1]))
            {
                return new GateRoute(RouteKind.Vouch, name, spec[^1], VouchPath: canonical);
            }
        }

        return new GateRoute(RouteKind.Vouch, VouchPath: canonical);
    }

    private static bool TryParsePackage(string[] s, out GateRoute route, out string error)
    {
        route = new GateRoute(RouteKind.Unknown);
        var nameParts = s[0].StartsWith('@') ? 2 : 1;
        if (s.Length < nameParts)
        {
            error = "not a package path";
            return false;
        }

        var name = nameParts == 2 ? s[0] + "/" + s[1] : s[0];
        if (!ValidName(name))
        {
            error = "not a valid package name";
            return false;
        }

        error = "";
        switch (s.AsSpan(nameParts))
        {
            case []:
                route = new GateRoute(RouteKind.Packument, name);
                return true;
            case [var versionOrTag] when ValidTag(versionOrTag):
                route = new GateRoute(RouteKind.Version, name, versionOrTag);
                return true;
            case ["-", var file] when ValidTarballFile(file):
                route = new GateRoute(RouteKind.Tarball, name, File: file);
                return true;
            default:
                error = "not a package, version or tarball path";
                return false;
        }
    }

    public static bool ValidName(string name) => name.Length <= PackageName.MaxLength && PackageName.Validate(name).ValidForOldPackages;

    /// <summary>An exact version as npm prints it (the canonical form, so it is also a safe URL segment).</summary>
    public static bool ExactVersion(string text) => text.Length <= MaxSegmentLength && SemVersion.ParseOrNull(text) is { } v && v.ToString() == text;

    // dist-tags and versions: what npm allows in a tag, plus '+' for build metadata.
    private static bool ValidTag(string text) => text.Length <= MaxSegmentLength && text[0] != '.' && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '+');

    /// <summary>A plain tarball file name: <c>[A-Za-z0-9._+-]+\.tgz</c>, not starting with a dot.</summary>
    public static bool ValidTarballFile(string file) =>
        file.Length is > 4 and <= MaxSegmentLength && file.EndsWith(".tgz", StringComparison.Ordinal) && file[0] != '.'
        && file.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '+');
}
