using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Vouch.Common.Json;
using Vouch.Npm;

namespace Vouch.Watch;

/// <summary>A webhook body as a receiver reads it back: the delivery id and its events, typed and checked.</summary>
public sealed record WebhookDelivery(string DeliveryId, IReadOnlyList<WatchEvent> Events)
{
    /// <summary>
    /// Reads a body that <see cref="WebhookPayload.Build"/> produced: an object with <c>deliveryId</c> and
    /// 1 to <see cref="Limits.MaxEventsPerDelivery"/> events, every field of every event checked (id shape,
    /// a known kind with its own code, a valid package name, an exact version or <c>*</c>, a severity, the
    /// detail cap), and the delivery id recomputed from the event ids, so a body whose events were
    /// swapped or dropped is refused. Every problem is listed; the signature is checked before this.
    /// </summary>
    public static bool TryParse(ReadOnlyMemory<byte> body, out WebhookDelivery? delivery, out IReadOnlyList<string> errors)
    {
        delivery = null;
        var problems = new List<string>();
        errors = problems;
        if (body.Length > Limits.MaxDeliveryBytes)
        {
            problems.Add($"the body exceeds {Limits.MaxDeliveryBytes} bytes");
            return false;
        }

        JsonDocument doc;
        try
        {
            doc = JsonInput.Parse(body, maxDepth: 8);
        }
        catch (JsonException e)
        {
            problems.Add($"not JSON: {e.Message}");
            return false;
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                problems.Add("the body is not a JSON object");
                return false;
            }

            var deliveryId = Text(root, "deliveryId", problems, "deliveryId");
            if (deliveryId is not null && !IsSha256(deliveryId))
            {
                problems.Add("deliveryId: not sha256:<64 lowercase hex>");
            }

            var events = new List<WatchEvent>();
            if (!root.TryGetProperty("events", out var list) || list.ValueKind != JsonValueKind.Array)
            {
                problems.Add("events: missing or not an array");
            }
            else if (list.GetArrayLength() is 0 or > Limits.MaxEventsPerDelivery)
            {
                problems.Add($"events: {list.GetArrayLength()} events; a delivery carries 1 to {Limits.MaxEventsPerDelivery}");
            }
            else
            {
                var i = 0;
                foreach (var e in list.EnumerateArray())
                {
                    if (ReadEvent(e, $"events[{i}]", problems) is { } ev)
                    {
                        events.Add(ev);
                    }

                    i++;
                }
            }

            if (problems.Count == 0)
            {
                if (events.Select(e => e.Id).Distinct(StringComparer.Ordinal).Count() != events.Count)
                {
                    problems.Add("events: an event id appears twice");
                }
                else if (deliveryId != IdOf(events))
                {
                    problems.Add("deliveryId: does not match the event ids (events were added, removed or changed)");
                }
            }

            if (problems.Count > 0)
            {
                return false;
            }

            delivery = new WebhookDelivery(deliveryId!, events);
            return true;
        }
    }

    /// <summary>The delivery id of a set of events: SHA-256 of their sorted ids, one a line.</summary>
    public static string IdOf(IEnumerable<WatchEvent> events) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', events.Select(e => e.Id).Order(StringComparer.Ordinal)))));

    private static WatchEvent? ReadEvent(JsonElement e, string at, List<string> problems)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            problems.Add($"{at}: not an object");
            return null;
        }

        var before = problems.Count;
        var id = Text(e, "id", problems, at);
        var kindName = Text(e, "kind", problems, at);
        var code = Text(e, "code", problems, at);
        var package = Text(e, "package", problems, at);
        var version = Text(e, "version", problems, at);
        var previous = Text(e, "previousVersion", problems, at, optional: true);
        var severity = Text(e, "severity", problems, at);
        var rule = Text(e, "rule", problems, at, optional: true);
        var detail = Text(e, "detail", problems, at);
        var observed = Text(e, "observedAt", problems, at);
        long seq = 0;
        if (!e.TryGetProperty("seq", out var s) || s.ValueKind != JsonValueKind.Number || !s.TryGetInt64(out seq) || seq < 0)
        {
            problems.Add($"{at}.seq: not a non-negative integer");
        }

        if (id is not null && !IsSha256(id))
        {
            problems.Add($"{at}.id: not sha256:<64 lowercase hex>");
        }

        var kind = kindName is null ? null : EventKinds.ByName(kindName);
        if (kindName is not null && kind is null)
        {
            problems.Add($"{at}.kind: unknown kind '{Clip(kindName)}'");
        }
        else if (kind is not null && code != kind.Code)
        {
            problems.Add($"{at}.code: '{Clip(code ?? "")}' is not the code of {kind.Name} ({kind.Code})");
        }

        if (package is not null && (package.Length > PackageName.MaxLength || !PackageName.Validate(package).ValidForOldPackages))
        {
            problems.Add($"{at}.package: not a valid package name");
        }

        if (version is not null && version != "*" && !ExactVersion(version))
        {
            problems.Add($"{at}.version: not an exact version (or * for a whole package)");
        }

        if (previous is not null && !ExactVersion(previous))
        {
            problems.Add($"{at}.previousVersion: not an exact version");
        }

        if (severity is not null && severity is not (EventKinds.Error or EventKinds.Warn or EventKinds.Info))
        {
            problems.Add($"{at}.severity: not error, warn or info");
        }

        if (rule is not null && (rule.Length > 64 || !rule.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')))
        {
            problems.Add($"{at}.rule: not a rule name");
        }

        if (detail is not null && detail.Length > Limits.MaxDetailChars)
        {
            problems.Add($"{at}.detail: longer than {Limits.MaxDetailChars} characters");
        }

        DateTimeOffset observedAt = default;
        if (observed is not null && !DateTimeOffset.TryParseExact(observed, "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out observedAt))
        {
            problems.Add($"{at}.observedAt: not a UTC time of the form 2026-01-31T12:00:00.000Z");
        }

        if (problems.Count > before)
        {
            return null;
        }

        return new WatchEvent
        {
            Id = id!,
            Sequence = seq,
            Kind = kind!.Name,
            Code = kind.Code,
            Package = package!,
            Version = version!,
            PreviousVersion = previous,
            Severity = severity!,
            Rule = rule,
            Detail = detail!,
            ObservedAt = observedAt,
        };
    }

    private static string? Text(JsonElement o, string field, List<string> problems, string at, bool optional = false)
    {
        if (!o.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            if (!optional)
            {
                problems.Add($"{at}.{field}: missing");
            }

            return null;
        }

        if (v.ValueKind != JsonValueKind.String)
        {
            problems.Add($"{at}.{field}: not a string");
            return null;
        }

        return v.GetString();
    }

    private static bool IsSha256(string s) =>
        s.Length == 71 && s.StartsWith("sha256:", StringComparison.Ordinal) && s.AsSpan(7).ContainsAnyExcept("0123456789abcdef") == false;

    private static bool ExactVersion(string text) => text.Length <= 256 && SemVersion.ParseOrNull(text) is { } v && v.ToString() == text;

    // Error messages echo at most a little of what the sender wrote.
    private static string Clip(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
