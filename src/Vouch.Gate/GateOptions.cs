using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Vouch.Gate;

/// <summary>Roles a gate token carries; each of reader, approver, admin includes the rights of the ones before it.</summary>
public enum GateRole
{
    /// <summary>May only publish (<c>--publish-to</c>), nothing else: below reader, so no read-side endpoint takes it, and no other role may publish.</summary>
    Publisher = -1,

    Reader = 0,
    Approver = 1,
    Admin = 2,
}

/// <summary>One API token. Only its SHA-256 is kept in memory after loading.</summary>
public sealed class GateToken
{
    public GateToken(string name, GateRole role, string secret)
    {
        Name = name;
        Role = role;
        Hash = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
    }

    // A signed-in dashboard user (issue 19, OpenID Connect): no secret, so no presented token can ever match it.
    private GateToken(string name, GateRole role)
    {
        Name = name;
        Role = role;
        Hash = [];
    }

    public string Name { get; }

    public GateRole Role { get; }

    internal static GateToken ForSession(string name, GateRole role) => new(name, role);

    /// <summary>A dashboard user signed in through OpenID Connect rather than a presented token.</summary>
    public bool IsSession => Hash.Length == 0;

    internal byte[] Hash { get; }

    /// <summary>
    /// Reads a tokens file: one token a line, <c>role name secret</c>; blank lines and <c>#</c>
    /// comments are skipped. Errors name the line; secrets are never echoed.
    /// </summary>
    public static IReadOnlyList<GateToken> ParseFile(string text, out IReadOnlyList<string> errors)
    {
        var tokens = new List<GateToken>();
        var problems = new List<string>();
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 3)
            {
                problems.Add($"line {i + 1}: expected 'role name secret'");
                continue;
            }

            if (!TryParseRole(parts[0], out var role))
            {
                problems.Add($"line {i + 1}: unknown role '{parts[0]}' (reader, approver, admin, publisher)");
                continue;
            }

            if (parts[2].Length < 16)
            {
                problems.Add($"line {i + 1}: the secret of '{parts[1]}' is shorter than 16 characters");
                continue;
            }

            if (tokens.Any(t => t.Name == parts[1]))
            {
                problems.Add($"line {i + 1}: the name '{parts[1]}' is used twice");
                continue;
            }

            tokens.Add(new GateToken(parts[1], role, parts[2]));
        }

        errors = problems;
        return tokens;
    }

    public static bool TryParseRole(string text, out GateRole role)
    {
        switch (text.ToLowerInvariant())
        {
            case "reader": role = GateRole.Reader; return true;
            case "approver": role = GateRole.Approver; return true;
            case "admin": role = GateRole.Admin; return true;
            case "publisher": role = GateRole.Publisher; return true;
            default: role = GateRole.Reader; return false;
        }
    }
}

/// <summary>Which database the gate keeps approvals, the audit log and verified evidence in.</summary>
public enum GateDatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>
/// Everything `vouch serve` is configured with. <see cref="Validate"/> runs at start-up and lists
/// every bad field at once, so a misconfigured gate never starts half-working.
/// </summary>
public sealed record GateOptions
{
    /// <summary>The registry the gate proxies (its packuments, tarballs, keys and attestations).</summary>
    public required Uri Upstream { get; init; }

    /// <summary>Upstreams besides <see cref="Upstream"/>, by package-name pattern (issue 19); a matching name is looked up there and nowhere else.</summary>
    public IReadOnlyList<global::Vouch.Gate.Upstream.UpstreamRoute> Routes { get; init; } = [];

    /// <summary>Webhook receivers (issue 19): withheld versions, approval requests and decisions, signed and retried.</summary>
    public IReadOnlyList<Notifications.WebhookTarget> Webhooks { get; init; } = [];

    /// <summary>How often the webhook outbox (the audit log) is read for new events.</summary>
    public TimeSpan WebhookPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The first wait before a failed webhook delivery is tried again (doubling, up to 5 minutes).</summary>
    public TimeSpan WebhookRetryMin { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Structured logs (issue 19): errors as JSON lines with a request id, and with this on, one JSON line per request and <c>X-Request-Id</c> on every answer.</summary>
    public bool AccessLog { get; init; }

    /// <summary><c>host:port</c> to listen on; port 0 picks a free one.</summary>
    public string Listen { get; init; } = "127.0.0.1:4873";

    /// <summary>The URL clients reach the gate at (tarball URLs are rewritten to it); default: the listen address.</summary>
    public Uri? PublicUrl { get; init; }

    /// <summary>A SQLite file path, or a PostgreSQL connection string (<c>Host=...</c> or <c>postgres://...</c>).</summary>
    public required string Database { get; init; }

    /// <summary>Where verified tarballs (content-addressed) and upstream packuments are cached.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>The policy file; its SHA-256 versions every cached decision.</summary>
    public string? PolicyPath { get; init; }

    public IReadOnlyList<GateToken> Tokens { get; init; } = [];

    /// <summary>
    /// The advisory database (<c>vouch db update</c>), opened read-only: malware versions are always
    /// withheld, vulnerable ones per the policy's <c>advisories</c> rule. Its snapshot digest is part of
    /// every cache key. Null: no advisory checks (the policy's rules say so where they are required).
    /// </summary>
    public string? AdvisoryDatabasePath { get; init; }

    /// <summary>How long a packument is served from memory before the upstream is asked again (with its ETag).</summary>
    public TimeSpan PackumentMaxAge { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How often approvals are re-read from the database (other gate instances may decide).</summary>
    public TimeSpan ApprovalsPollInterval { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan UpstreamTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Bound of the in-memory packument cache, in accounted bytes (3x the upstream document plus
    /// both served forms); least recently used packuments are dropped beyond it. Default 256 MiB.
    /// </summary>
    public long PackumentCacheBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>How long a request for an expired packument waits for its revalidation before the last good copy is served, marked stale (default 500 ms).</summary>
    public TimeSpan StaleWait { get; init; } = TimeSpan.FromMilliseconds(500);

    public long MaxPackumentBytes { get; init; } = Limits.MaxPackumentBytes;

    public long MaxTarballBytes { get; init; } = Limits.MaxTarballBytes;

    /// <summary>Largest request body (approval requests, npm audit payloads).</summary>
    public long MaxRequestBodyBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Four eyes off: the identity that requested an approval may also grant it. Weakens a check,
    /// hence the name; the gate prints a warning at start-up and reports it on /-/vouch/v1/health.
    /// </summary>
    public bool AllowSelfApprovalUnsafe { get; init; }

    /// <summary>Issue 17: an approval of a version is granted only when the gate stores a verified review of it (else <see cref="GateCodes.ReviewRequired"/>).</summary>
    public bool ApprovalRequiresReview { get; init; }

    /// <summary>How long after a verification that could not complete the gate tries again; doubles per attempt up to <see cref="VerificationRetryMax"/>.</summary>
    public TimeSpan VerificationRetryMin { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest wait between two attempts at a verification that could not complete.</summary>
    public TimeSpan VerificationRetryMax { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Issue 20: the publish path (<c>--publish-to</c>); null keeps the gate read-only.</summary>
    public Publish.GatePublishOptions? Publish { get; init; }

    /// <summary>
    /// An ECDSA P-256 private key (PEM) the gate signs SLSA verification summaries with
    /// (<c>GET /-/vouch/v1/vsa/{name}/{version}</c>); null: the route answers 404 and nothing is signed.
    /// </summary>
    public string? VsaKeyPath { get; init; }

    /// <summary>The <c>verifier.id</c> of the gate's summaries; default the gate's public URL.</summary>
    public string? VsaVerifierId { get; init; }
    /// Issue 16: the HMAC secret `vouch watch` signs its webhooks with (its <c>--webhook-secret-env</c>);
    /// with it the gate takes watch events at <c>POST /-/vouch/v1/watch/events</c> and quarantines the
    /// versions they flag. Null: no watch events. At least 16 characters.
    /// </summary>
    public string? WatchSecret { get; init; }
    /// <summary>Issue 19: OpenID Connect sign-in for the dashboard; null: tokens only.</summary>
    public SignIn.GateOidcOptions? Oidc { get; init; }

    /// <summary>How long in-flight requests may finish after shutdown was asked for.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public GateDatabaseProvider DatabaseProvider => IsPostgres(Database) ? GateDatabaseProvider.Postgres : GateDatabaseProvider.Sqlite;

    public static bool IsPostgres(string database) =>
        database.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
        || database.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
        || database.Contains("Host=", StringComparison.OrdinalIgnoreCase);

    /// <summary>Every problem with the configuration, one line each (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Upstream.IsAbsoluteUri || Upstream.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(Upstream.Query) || !string.IsNullOrEmpty(Upstream.UserInfo))
        {
            errors.Add($"upstream: '{Upstream}' is not an http(s) URL without query or credentials");
        }
        else if (!Upstream.AbsolutePath.EndsWith('/'))
        {
            errors.Add($"upstream: '{Upstream}' must end with '/'");
        }

        errors.AddRange(global::Vouch.Gate.Upstream.UpstreamRoute.Validate(Routes, this.Upstream));

        errors.AddRange(Notifications.WebhookTarget.Validate(Webhooks));
        if (WebhookPollInterval <= TimeSpan.Zero || WebhookRetryMin <= TimeSpan.Zero)
        {
            errors.Add("webhook: intervals must be positive");
        }

        if (!TryParseListen(Listen, out _, out var listenError))
        {
            errors.Add($"listen: {listenError}");
        }

        if (PublicUrl is { } p && (!p.IsAbsoluteUri || p.Scheme is not ("http" or "https") || !p.AbsolutePath.EndsWith('/')))
        {
            errors.Add($"public-url: '{p}' is not an http(s) URL ending with '/'");
        }

        if (string.IsNullOrWhiteSpace(Database))
        {
            errors.Add("db: empty");
        }

        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            errors.Add("data-dir: empty");
        }

        if (PolicyPath is { } policy && !File.Exists(policy))
        {
            errors.Add($"policy: '{policy}' does not exist");
        }

        if (VsaKeyPath is not null)
        {
            if (LoadVsaKey(out var vsaError) is { } vsaKey)
            {
                vsaKey.Dispose();
            }
            else
            {
                errors.Add($"vsa-key: {vsaError}");
            }
        }

        if (VsaVerifierId is not null && (VsaVerifierId.Length is 0 or > 512 || VsaVerifierId.Any(char.IsControl)))
        {
            errors.Add("vsa-verifier: a non-empty identifier of at most 512 characters without control characters");
        }
        else if (VsaVerifierId is not null && VsaKeyPath is null)
        {
            errors.Add("vsa-verifier: needs vsa-key (nothing would be signed)");
        }

        if (AdvisoryDatabasePath is { } advisories && !File.Exists(advisories))
        {
            errors.Add($"advisory-db: '{advisories}' does not exist (run 'vouch db update')");
        }

        if (PackumentMaxAge < TimeSpan.Zero || ApprovalsPollInterval <= TimeSpan.Zero || UpstreamTimeout <= TimeSpan.Zero || ShutdownTimeout < TimeSpan.Zero)
        {
            errors.Add("limits: durations must be positive");
        }

        if (StaleWait < TimeSpan.Zero)
        {
            errors.Add("stale-wait: must not be negative");
        }

        if (PackumentCacheBytes < 1024 * 1024)
        {
            errors.Add("packument-cache-mb: must be at least 1 MiB");
        }

        if (VerificationRetryMin < TimeSpan.Zero || VerificationRetryMax < VerificationRetryMin)
        {
            errors.Add("verification-retry: the minimum must not be negative nor above the maximum");
        }

        if (AllowSelfApprovalUnsafe && !Tokens.Any(t => t.Role >= GateRole.Approver))
        {
            errors.Add("allow-self-approval-unsafe: no token may grant approvals, so there is nothing to allow");
        }

        if (MaxPackumentBytes <= 0 || MaxTarballBytes <= 0 || MaxRequestBodyBytes <= 0)
        {
            errors.Add("limits: sizes must be positive");
        }

        if (WatchSecret is { } watchSecret && watchSecret.Length < 16)
        {
            errors.Add("watch-secret-env: the secret is shorter than 16 characters");
        }

        if (Publish is { } publish)
        {
            errors.AddRange(publish.Validate());
            if (!Tokens.Any(t => t.Role == GateRole.Publisher))
            {
                errors.Add("publish-to: no token has the publisher role, so nobody could publish");
            }
        }

        if (Oidc is { } oidc)
        {
            errors.AddRange(oidc.Validate(PublicUrl, Listen));
        }

        return errors;
    }

    /// <summary>The VSA signing key (caller disposes), or null with the reason: unreadable, too large, not a P-256 private key.</summary>
    internal System.Security.Cryptography.ECDsa? LoadVsaKey(out string? error)
    {
        error = null;
        if (VsaKeyPath is not { } path)
        {
            error = "not configured";
            return null;
        }

        try
        {
            if (new FileInfo(path).Length > 64 * 1024)
            {
                error = $"'{path}' is too large for a key";
                return null;
            }

            var key = Vouch.Provenance.Slsa.VsaKeys.LoadPrivate(File.ReadAllText(path), out var keyError);
            error = key is null ? $"'{path}': {keyError}" : null;
            return key;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error = $"cannot read '{path}': {e.Message}";
            return null;
        }
    }

    /// <summary>Parses <c>host:port</c> (IPv4, <c>[IPv6]</c> or <c>localhost</c>).</summary>
    public static bool TryParseListen(string text, out IPEndPoint? endpoint, out string? error)
    {
        endpoint = null;
        error = null;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), out var port) || port is < 0 or > 65535)
        {
            error = $"'{text}' is not host:port";
            return false;
        }

        var host = text[..colon].Trim('[', ']');
        if (host == "localhost")
        {
            endpoint = new IPEndPoint(IPAddress.Loopback, port);
            return true;
        }

        if (!IPAddress.TryParse(host, out var address))
        {
            error = $"'{host}' is not an IP address";
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }
}
