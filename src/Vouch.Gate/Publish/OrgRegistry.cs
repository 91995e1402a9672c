using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Vouch.Gate.Upstream;
using Vouch.Npm;
using Vouch.Policy.Publish;
using Vouch.Common.Json;

namespace Vouch.Gate.Publish;

/// <summary>What the organisation's registry holds for a package: every version with what the gate recorded when it accepted it.</summary>
internal sealed record OrgPackument(bool Found, IReadOnlyList<PublishedVersion> Versions, string? Error)
{
    public bool Failed => Error is not null;
}

/// <summary>
/// The organisation's registry, reached only with the gate's credential and only under its URL (the
/// same outbound policy as the upstream: no redirect elsewhere is followed). URLs are built from the
/// validated package name alone.
/// </summary>
internal sealed class OrgRegistry(HttpClient http, GatePublishOptions options, long maxPackumentBytes)
{
    private readonly UpstreamUrls _urls = new(options.Target);

    public Uri Target => options.Target;

    public async Task<OrgPackument> GetAsync(string name, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _urls.Packument(name));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Credential);
            request.Headers.Accept.ParseAdd("application/json");
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return new OrgPackument(false, [], null);
            }

            if (!response.IsSuccessStatusCode)
            {
                return new OrgPackument(false, [], $"the organisation's registry answered {(int)response.StatusCode} for {name}");
            }

            var body = await ReadCappedAsync(response, maxPackumentBytes, ct).ConfigureAwait(false);
            if (body is null)
            {
                return new OrgPackument(false, [], $"the organisation's packument of {name} is larger than {maxPackumentBytes} bytes");
            }

            return new OrgPackument(true, ParseVersions(body), null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException && !ct.IsCancellationRequested)
        {
            return new OrgPackument(false, [], $"the organisation's registry failed: {e.Message}");
        }
    }

    /// <summary>Sends the publish document with the gate's credential: (status, error text of the registry).</summary>
    public async Task<(int Status, string? Error)> PutAsync(string name, byte[] document, CancellationToken ct)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, _urls.Packument(name)) { Content = new ByteArrayContent(document) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Credential);
            using var response = await http.SendAsync(request, ct).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                return ((int)response.StatusCode, null);
            }

            var text = await ReadCappedAsync(response, 64 * 1024, ct).ConfigureAwait(false);
            var error = text is null ? null : ErrorOf(text);
            return ((int)response.StatusCode, error ?? response.ReasonPhrase);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return (0, e.Message);
        }
    }

    internal static IReadOnlyList<PublishedVersion> ParseVersions(byte[] body)
    {
        using var doc = JsonInput.Parse(body, Limits.MaxJsonDepth);
        var result = new List<PublishedVersion>();
        if (!doc.RootElement.TryGetProperty("versions", out var versions) || versions.ValueKind != JsonValueKind.Object)
        {
            return result;
        }

        foreach (var v in versions.EnumerateObject())
        {
            if (SemVersion.ParseOrNull(v.Name) is not { } version || v.Value.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var trust = PublishTrust.None;
            string? repository = null;
            string? publisher = null;
            if (v.Value.TryGetProperty(PublishRequest.EvidenceField, out var e) && e.ValueKind == JsonValueKind.Object)
            {
                publisher = e.TryGetProperty("publisher", out var who) && who.ValueKind == JsonValueKind.String ? who.GetString() : null;
                trust = e.TryGetProperty("trust", out var t) && t.ValueKind == JsonValueKind.String ? ParseTrust(t.GetString()) : PublishTrust.None;
                repository = e.TryGetProperty("repository", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            }

            var scripts = v.Value.TryGetProperty("hasInstallScript", out var h) && h.ValueKind == JsonValueKind.True;
            if (v.Value.TryGetProperty("scripts", out var s) && s.ValueKind == JsonValueKind.Object)
            {
                scripts |= TarballManifest.InstallKeys.Any(k => s.TryGetProperty(k, out _));
            }

            scripts |= v.Value.TryGetProperty(PublishRequest.EvidenceField, out var ev) && ev.ValueKind == JsonValueKind.Object
                && ev.TryGetProperty("installScripts", out var i) && i.ValueKind == JsonValueKind.True;
            result.Add(new PublishedVersion(version, trust, repository, scripts, publisher));
        }

        return result;
    }

    public static string TrustName(PublishTrust t) => t switch
    {
        PublishTrust.TrustedPublisher => "trusted-publisher",
        PublishTrust.Provenance => "provenance",
        _ => "none",
    };

    private static PublishTrust ParseTrust(string? s) => s switch
    {
        "trusted-publisher" => PublishTrust.TrustedPublisher,
        "provenance" => PublishTrust.Provenance,
        _ => PublishTrust.None,
    };

    private static string? ErrorOf(byte[] text)
    {
        try
        {
            using var doc = JsonInput.Parse(text, Limits.MaxJsonDepth);
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task<byte[]?> ReadCappedAsync(HttpResponseMessage response, long max, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength is { } declared && declared > max)
        {
            return null;
        }

        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var ms = new MemoryStream();
        var buffer = new byte[16384];
        int n;
        while ((n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            if (ms.Length + n > max)
            {
                return null;
            }

            ms.Write(buffer, 0, n);
        }

        return ms.ToArray();
    }
}
