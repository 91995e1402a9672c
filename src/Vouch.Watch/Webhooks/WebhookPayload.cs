using System.Text.Json.Nodes;

namespace Vouch.Watch;

/// <summary>
/// Webhook bodies: one delivery per package version observed (its events travel together), split
/// at <see cref="Limits.MaxEventsPerDelivery"/>. The delivery id is derived from the event ids, so
/// the same events always make the same delivery.
/// </summary>
public static class WebhookPayload
{
    public static IEnumerable<IReadOnlyList<WatchEvent>> Batches(IReadOnlyList<WatchEvent> events) =>
        events.GroupBy(e => (e.Package, e.Version))
            .SelectMany(g => g.OrderBy(e => e.Sequence).Chunk(Limits.MaxEventsPerDelivery))
            .Select(chunk => (IReadOnlyList<WatchEvent>)chunk);

    public static (string Id, string Body) Build(IReadOnlyList<WatchEvent> events)
    {
        var id = WebhookDelivery.IdOf(events);
        var body = new JsonObject
        {
            ["deliveryId"] = id,
            ["events"] = new JsonArray([.. events.Select(e => (JsonNode)WatchJson.ToJson(e))]),
        };
        return (id, body.ToJsonString());
    }
}
