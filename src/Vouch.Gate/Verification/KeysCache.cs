using Vouch.Gate.Decisions;
using Vouch.Gate.Upstream;
using Vouch.Provenance;

namespace Vouch.Gate.Verification;

/// <summary>
/// Registry keys for verification (through the verifier, 10 minutes) and the upstream's raw
/// <c>/-/npm/v1/keys</c> document for clients (10 minutes). When the verification keys change, every
/// cached release decision is dropped: they were decided under the old trust material.
/// </summary>
internal sealed class KeysCache(PackageVerifier verifier, UpstreamClient upstream, UpstreamUrls urls, ReleaseDecisionCache decisions, TimeProvider time)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(10);
    private (RegistryKeys Keys, string Fingerprint, DateTimeOffset At)? _keys;
    private (byte[] Body, DateTimeOffset At)? _document;

    public async Task<RegistryKeys> VerificationKeysAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_keys is { } k && now - k.At < MaxAge)
        {
            return k.Keys;
        }

        var keys = await verifier.KeysAsync(ct).ConfigureAwait(false);
        var fingerprint = string.Join(",", keys.Keys.Select(x => x.KeyId + ":" + x.Usage).Order(StringComparer.Ordinal));
        if (_keys is { } old && old.Fingerprint != fingerprint)
        {
            decisions.Invalidate();
        }

        _keys = (keys, fingerprint, now);
        return keys;
    }

    public async Task<UpstreamResponse> DocumentAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (_document is { } d && now - d.At < MaxAge)
        {
            return new UpstreamResponse(UpstreamStatus.Ok, d.Body);
        }

        var r = await upstream.GetAsync(urls.Keys(), "application/json", 1024 * 1024, null, ct).ConfigureAwait(false);
        if (r.Status == UpstreamStatus.Ok)
        {
            _document = (r.Body!, now);
        }

        return r;
    }
}
