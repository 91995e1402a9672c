using System.Text;
using Microsoft.AspNetCore.Http;
using Vouch.Watch;

namespace Vouch.Gate.Api;

/// <summary>
/// Issue 16: <c>POST /-/vouch/v1/watch/events</c>, the receiver of `vouch watch` webhooks. The HMAC
/// signature under the configured secret is the only credential: it is checked (constant time, 5
/// minutes of clock tolerance) before anything of the body is looked at. Then the body is read as a
/// delivery (every field typed and checked, the delivery id recomputed from the event ids), events
/// of packages the gate cannot serve are left out, and the rest are stored in one transaction,
/// deduplicated on the event id. An error or warn event quarantines its version (withheld from
/// packuments and tarballs) until an approver grants <c>watch-quarantine</c> for it; the gate re-reads
/// its quarantines before it answers, so the version is withheld by the time watch hears 200.
/// </summary>
internal static class WatchEventsEndpoint
{
    /// <summary>How far a signature's time may be from the gate's clock (docs/watch.md: receivers reject more than 5 minutes).</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static async Task HandleAsync(HttpContext ctx, GateService gate, GateOptions options, TimeProvider time)
    {
        if (options.WatchSecret is not { } secret)
        {
            await GateJson.ErrorAsync(ctx, 404, GateCodes.WatchDisabled, "this gate takes no watch events (start it with --watch-secret-env)").ConfigureAwait(false);
            return;
        }

        var raw = await RequestBody.ReadAsync(ctx, Vouch.Watch.Limits.MaxDeliveryBytes).ConfigureAwait(false);
        if (raw is null)
        {
            return;
        }

        string body;
        try
        {
            body = StrictUtf8.GetString(raw);
        }
        catch (DecoderFallbackException)
        {
            // watch signs the UTF-8 of a string: bytes that are not UTF-8 were never signed by it.
            await GateJson.ErrorAsync(ctx, 401, GateCodes.WatchSignatureInvalid, "the body is not UTF-8, so no signature can cover it").ConfigureAwait(false);
            return;
        }

        var check = WebhookSignature.Verify(Encoding.UTF8.GetBytes(secret), ctx.Request.Headers[WebhookSignature.Header].ToString(), body, time.GetUtcNow(), Tolerance);
        switch (check)
        {
            case SignatureCheck.Stale:
                await GateJson.ErrorAsync(ctx, 401, GateCodes.WatchSignatureStale, $"the signature's time is more than {Tolerance.TotalMinutes:0} minutes from the gate's clock").ConfigureAwait(false);
                return;
            case not SignatureCheck.Valid:
                await GateJson.ErrorAsync(ctx, 401, GateCodes.WatchSignatureInvalid, $"{WebhookSignature.Header} is missing, malformed or does not match the body").ConfigureAwait(false);
                return;
        }

        if (!WebhookDelivery.TryParse(raw, out var delivery, out var errors))
        {
            var listed = string.Join("; ", errors.Take(20)) + (errors.Count > 20 ? $"; and {errors.Count - 20} more" : "");
            await GateJson.ErrorAsync(ctx, 400, GateCodes.WatchEventInvalid, $"not a watch delivery: {listed}").ConfigureAwait(false);
            return;
        }

        // Only packages the gate serves are recorded: a quarantine of anything else would guard nothing,
        // and a signed sender still cannot fill the store with names the upstream does not have.
        var ignored = new List<object>();
        var accepted = new List<WatchEvent>();
        foreach (var group in delivery!.Events.GroupBy(e => e.Package, StringComparer.Ordinal))
        {
            var served = await gate.GetPackumentAsync(group.Key).ConfigureAwait(false);
            switch (served.Status)
            {
                case PackumentStatus.Ok or PackumentStatus.Stale when served.Entry is not null:
                    accepted.AddRange(group);
                    break;
                case PackumentStatus.NotFound:
                    ignored.AddRange(group.Select(e => new { id = e.Id, package = e.Package, version = e.Version, reason = "the gate does not serve this package" }));
                    break;
                default:
                    // Not known either way: watch retries the delivery later (at least once).
                    ctx.Response.Headers.RetryAfter = "30";
                    await GateJson.ErrorAsync(ctx, 503, GateCodes.UpstreamUnavailable, $"cannot tell whether the gate serves {group.Key}: {served.Error}").ConfigureAwait(false);
                    return;
            }
        }

        var ingest = await gate.Store.RecordWatchEventsAsync(
            delivery.DeliveryId,
            accepted.Select(e => (e.Id, e.Package, e.Version, e.PreviousVersion, e.Kind, e.Code, e.Severity, e.Rule, e.Detail, e.ObservedAt, Quarantines(e))).ToList(),
            ctx.RequestAborted).ConfigureAwait(false);
        if (ingest.Quarantined.Count > 0)
        {
            // Withheld at once: the next packument or tarball request already sees the quarantine.
            await gate.RefreshApprovalsAsync(ctx.RequestAborted).ConfigureAwait(false);
        }

        await GateJson.WriteAsync(ctx, 200, new
        {
            deliveryId = delivery.DeliveryId,
            stored = ingest.Stored,
            duplicates = ingest.Duplicates,
            quarantined = ingest.Quarantined,
            ignored,
        }).ConfigureAwait(false);
    }

    /// <summary>Which events withhold their version: errors and warnings; info events (a new dependency, a deprecation) are shown only.</summary>
    public static bool Quarantines(WatchEvent e) => e.Severity is EventKinds.Error or EventKinds.Warn;
}
