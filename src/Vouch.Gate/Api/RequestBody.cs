using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Vouch.Common.Json;

namespace Vouch.Gate.Api;

/// <summary>
/// Request bodies, read under the cap and checked before any handler sees them: a JSON body must be
/// valid UTF-8, an object of string (or null) fields, with no lone surrogate in any string. Every
/// refusal is a 400 (413 when too large) with <see cref="GateCodes.BadBody"/>, never an exception.
/// </summary>
internal static class RequestBody
{
    private const int MaxDepth = 16;

    public static async Task<byte[]?> ReadAsync(HttpContext ctx, long maxBytes)
    {
        if (ctx.Request.ContentLength is { } declared && declared > maxBytes)
        {
            await GateJson.ErrorAsync(ctx, 413, GateCodes.BadBody, $"the request body exceeds {maxBytes} bytes").ConfigureAwait(false);
            return null;
        }

        using var ms = new MemoryStream();
        var buffer = new byte[16384];
        int read;
        while ((read = await ctx.Request.Body.ReadAsync(buffer, ctx.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (ms.Length + read > maxBytes)
            {
                await GateJson.ErrorAsync(ctx, 413, GateCodes.BadBody, $"the request body exceeds {maxBytes} bytes").ConfigureAwait(false);
                return null;
            }

            ms.Write(buffer, 0, read);
        }

        return ms.ToArray();
    }

    /// <summary>The body's string fields; null (after answering 400/413) when the body is not acceptable.</summary>
    public static async Task<IReadOnlyDictionary<string, string?>?> ReadFieldsAsync(HttpContext ctx, long maxBytes)
    {
        var body = await ReadAsync(ctx, maxBytes).ConfigureAwait(false);
        if (body is null)
        {
            return null;
        }

        if (TryParseFields(body, out var fields, out var error))
        {
            return fields;
        }

        await GateJson.ErrorAsync(ctx, 400, GateCodes.BadBody, error).ConfigureAwait(false);
        return null;
    }

    public static bool TryParseFields(byte[] body, out IReadOnlyDictionary<string, string?> fields, out string error)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        fields = result;
        error = "";
        if (body.Length == 0)
        {
            return true;
        }

        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            error = "the body is not valid UTF-8";
            return false;
        }

        try
        {
            using var doc = JsonInput.Parse(body, MaxDepth);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = "the body must be a JSON object";
                return false;
            }

            foreach (var p in doc.RootElement.EnumerateObject())
            {
                switch (p.Value.ValueKind)
                {
                    case JsonValueKind.Null:
                        result[p.Name] = null;
                        break;
                    case JsonValueKind.String:
                        // GetString refuses an escaped lone surrogate ("\ud800"): text that is not Unicode.
                        result[p.Name] = p.Value.GetString();
                        break;
                    default:
                        error = $"{p.Name}: must be a string";
                        return false;
                }
            }

            return true;
        }
        catch (JsonException e)
        {
            error = $"the body is not JSON: {e.Message}";
            return false;
        }
        catch (InvalidOperationException)
        {
            error = "the body holds a string that is not valid Unicode (a lone surrogate)";
            return false;
        }
        catch (ArgumentException)
        {
            error = "the body holds text that is not valid Unicode";
            return false;
        }
    }
}
