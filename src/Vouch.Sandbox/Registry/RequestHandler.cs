using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Vouch.Npm;
using Vouch.Common.Json;

namespace Vouch.Sandbox.Registry;

/// <summary>
/// The registry's HTTP surface. Paths are decoded once from the raw request target, because npm
/// escapes the scope slash (`/@scope%2fname`) and the framework leaves `%2f` encoded.
/// </summary>
internal sealed class RequestHandler(RegistryStore store, RegistrySigning signing, TimeProvider clock)
{
    public const long MaxPublishBytes = 64L * 1024 * 1024;
    private const string AbbreviatedMediaType = "application/vnd.npm.install-v1+json";
    private const string PublishUser = "sandbox-user";

    private int _requests;
    private int _publishes;

    public Uri BaseUrl { get; set; } = new("http://127.0.0.1/");

    public volatile bool Ready;

    public int RequestCount => Volatile.Read(ref _requests);

    public int PublishCount => Volatile.Read(ref _publishes);

    public async Task HandleAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _requests);
        if (!Ready)
        {
            ctx.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            ctx.Response.Headers.RetryAfter = "1";
            return;
        }

        var raw = ctx.Features.Get<IHttpRequestFeature>()?.RawTarget ?? ctx.Request.Path.Value ?? "/";
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var path = Uri.UnescapeDataString(query >= 0 ? raw[..query] : raw).TrimStart('/');
        var method = ctx.Request.Method;
        var isRead = HttpMethods.IsGet(method) || HttpMethods.IsHead(method);

        if (path == "-/ping" && isRead)
        {
            await Json(ctx, 200, "{}"u8.ToArray()).ConfigureAwait(false);
            return;
        }

        if (path == "-/npm/v1/keys" && isRead)
        {
            await Json(ctx, 200, Encoding.UTF8.GetBytes(signing.KeysJson())).ConfigureAwait(false);
            return;
        }

        if (path == "-/whoami" && isRead)
        {
            if (!HasCredentials(ctx))
            {
                await Error(ctx, 401, "authentication required").ConfigureAwait(false);
                return;
            }

            await Json(ctx, 200, Encoding.UTF8.GetBytes(new JsonObject { ["username"] = PublishUser }.ToJsonString())).ConfigureAwait(false);
            return;
        }

        if (path == Registry.AdvisorySnapshot.Path && isRead)
        {
            if (store.AdvisorySnapshot is not { } snapshot)
            {
                await Error(ctx, 404, "this scenario has no advisories").ConfigureAwait(false);
                return;
            }

            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/zip";
            ctx.Response.ContentLength = snapshot.Length;
            if (!HttpMethods.IsHead(method))
            {
                await ctx.Response.Body.WriteAsync(snapshot, ctx.RequestAborted).ConfigureAwait(false);
            }

            return;
        }

        if (path == "_changes" && isRead)
        {
            await ChangesAsync(ctx).ConfigureAwait(false);
            return;
        }

        const string attestationsPrefix = "-/npm/v1/attestations/";
        if (path.StartsWith(attestationsPrefix, StringComparison.Ordinal) && isRead)
        {
            if (store.Attestations.TryGetValue(path[attestationsPrefix.Length..], out var doc))
            {
                await Json(ctx, 200, doc).ConfigureAwait(false);
            }
            else
            {
                await Error(ctx, 404, "no attestations for this version").ConfigureAwait(false);
            }

            return;
        }

        if (path.Contains("/-/", StringComparison.Ordinal) && isRead)
        {
            if (store.Tarballs.TryGetValue(path, out var tarball))
            {
                ctx.Response.StatusCode = 200;
                ctx.Response.ContentType = "application/octet-stream";
                ctx.Response.ContentLength = tarball.Length;
                if (!HttpMethods.IsHead(method))
                {
                    await ctx.Response.Body.WriteAsync(tarball, ctx.RequestAborted).ConfigureAwait(false);
                }
            }
            else
            {
                await Error(ctx, 404, "tarball not found").ConfigureAwait(false);
            }

            return;
        }

        var (name, rest) = SplitName(path);
        if (name is null || path.StartsWith("-/", StringComparison.Ordinal))
        {
            await Error(ctx, 404, "not found").ConfigureAwait(false);
            return;
        }

        if (HttpMethods.IsPut(method) && rest is null)
        {
            await PublishAsync(ctx, name).ConfigureAwait(false);
            return;
        }

        if (!isRead)
        {
            await Error(ctx, 405, $"the sandbox registry does not support {method} here").ConfigureAwait(false);
            return;
        }

        if (!store.Packages.TryGetValue(name, out var package))
        {
            await Error(ctx, 404, "Not found").ConfigureAwait(false);
            return;
        }

        var current = package.Current;
        if (rest is not null)
        {
            await VersionDocumentAsync(ctx, package, rest).ConfigureAwait(false);
            return;
        }

        var abbreviated = ctx.Request.Headers.Accept.Any(a => a is not null && a.Contains(AbbreviatedMediaType, StringComparison.OrdinalIgnoreCase));
        var etag = abbreviated ? current.AbbreviatedETag : current.FullETag;
        ctx.Response.Headers.ETag = etag;
        ctx.Response.Headers.LastModified = current.Modified.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        if (ctx.Request.Headers.IfNoneMatch.Any(v => v == etag))
        {
            ctx.Response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = abbreviated ? AbbreviatedMediaType : "application/json";
        var body = abbreviated ? current.Abbreviated : current.Full;
        ctx.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(method))
        {
            await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>`@scope/name[/rest]` or `name[/rest]`; null name when the path names no package.</summary>
    internal static (string? Name, string? Remainder) SplitName(string path)
    {
        var parts = path.Split('/');
        int nameParts = path.StartsWith('@') ? 2 : 1;
        if (parts.Length < nameParts || parts.Length > nameParts + 1 || parts.Take(nameParts).Any(p => p.Length == 0))
        {
            return (null, null);
        }

        var name = string.Join('/', parts.Take(nameParts));
        if (!PackageName.Validate(name).ValidForOldPackages)
        {
            return (null, null);
        }

        return (name, parts.Length > nameParts && parts[^1].Length > 0 ? parts[^1] : null);
    }

    private static async Task VersionDocumentAsync(HttpContext ctx, PackageRecord package, string versionOrTag)
    {
        var version = package.Find(versionOrTag) is { } v ? v.Version.Version : package.Tag(versionOrTag);
        if (version is null)
        {
            using var tags = JsonInput.Parse(package.Current.Full, 64);
            version = tags.RootElement.GetProperty("dist-tags").TryGetProperty(versionOrTag, out var t) ? t.GetString() : null;
        }

        var full = JsonInput.ParseNode(package.Current.Full, 64)!;
        if (version is null || full["versions"]?[version] is not JsonObject doc)
        {
            await Error(ctx, 404, $"version not found: {versionOrTag}").ConfigureAwait(false);
            return;
        }

        await Json(ctx, 200, JsonSerializer.SerializeToUtf8Bytes(doc)).ConfigureAwait(false);
    }

    /// <summary>
    /// `GET /_changes?since=SEQ|now&limit=N`: a CouchDB-style changes feed, one row per package
    /// change (a publish; every package once at start-up), sequences counting from 1.
    /// </summary>
    private async Task ChangesAsync(HttpContext ctx)
    {
        var query = ctx.Request.Query;
        long since = 0;
        var sinceText = query.TryGetValue("since", out var s) ? s.ToString() : "0";
        if (sinceText == "now")
        {
            since = store.LastChange;
        }
        else if (!long.TryParse(sinceText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out since))
        {
            await Error(ctx, 400, "since must be a sequence number or 'now'").ConfigureAwait(false);
            return;
        }

        var limit = 1000;
        if (query.TryGetValue("limit", out var l) && (!int.TryParse(l.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 10_000))
        {
            await Error(ctx, 400, "limit must be 1 to 10000").ConfigureAwait(false);
            return;
        }

        var (rows, last) = store.ChangesSince(since, limit);
        var results = new JsonArray();
        foreach (var (seq, name) in rows)
        {
            results.Add(new JsonObject { ["seq"] = seq, ["id"] = name, ["changes"] = new JsonArray(new JsonObject { ["rev"] = $"{seq}-sandbox" }) });
        }

        await Json(ctx, 200, Encoding.UTF8.GetBytes(new JsonObject { ["results"] = results, ["last_seq"] = last }.ToJsonString())).ConfigureAwait(false);
    }

    private static bool HasCredentials(HttpContext ctx) =>
        ctx.Request.Headers.Authorization.Any(a => a is not null && (a.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || a.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) && a.Length > 7);

    /// <summary>
    /// `npm publish`: a PUT of the packument with one version and its tarball base64 in
    /// `_attachments`. Any bearer token is accepted (this is a sandbox), but one is required, as on
    /// the real registry. Versions are immutable; the registry signs what it accepted.
    /// </summary>
    private async Task PublishAsync(HttpContext ctx, string name)
    {
        if (!HasCredentials(ctx))
        {
            await Error(ctx, 401, "publishing needs a token: any bearer token is accepted by the sandbox (//HOST:PORT/:_authToken=anything in .npmrc)").ConfigureAwait(false);
            return;
        }

        JsonObject body;
        try
        {
            body = (await JsonNode.ParseAsync(ctx.Request.Body, cancellationToken: ctx.RequestAborted).ConfigureAwait(false)) as JsonObject
                ?? throw new JsonException("the body is not a JSON object");
        }
        catch (JsonException e)
        {
            await Error(ctx, 400, $"the publish document is not valid JSON: {e.Message}").ConfigureAwait(false);
            return;
        }

        var problem = ReadPublish(body, name, out var manifest, out var tarball, out var tags);
        if (problem is not null)
        {
            await Error(ctx, 400, problem).ConfigureAwait(false);
            return;
        }

        var version = SemVersion.Parse(manifest!["version"]!.GetValue<string>());
        var record = new VersionRecord
        {
            Name = name,
            Version = version,
            Manifest = manifest,
            Tarball = tarball!,
            Signatures = [signing.SignRegistry(name, version.Version, tarball!.Integrity)],
            PublishTime = Sigstore.SigstoreInstance.TruncateToSeconds(clock.GetUtcNow()),
            NpmUser = new JsonObject { ["name"] = PublishUser, ["email"] = $"{PublishUser}@users.sandbox.test" },
        };

        var repository = manifest["repository"] switch
        {
            JsonValue s when s.TryGetValue<string>(out var text) => text,
            JsonObject o => o["url"]?.GetValue<string>(),
            _ => null,
        };
        var package = store.Packages.GetOrAdd(name, n => new PackageRecord(n, manifest["description"]?.GetValue<string>(), repository, [PublishUser]));
        if (!package.TryAdd(record, tags!))
        {
            await Error(ctx, 403, $"You cannot publish over the previously published versions: {version.Version}.").ConfigureAwait(false);
            return;
        }

        store.Tarballs[record.TarballPath] = tarball.Bytes;
        package.Render(BaseUrl);
        store.RecordChange(name);
        Interlocked.Increment(ref _publishes);
        await Json(ctx, 201, Encoding.UTF8.GetBytes(new JsonObject { ["ok"] = true, ["id"] = name }.ToJsonString())).ConfigureAwait(false);
    }

    private static string? ReadPublish(JsonObject body, string name, out JsonObject? manifest, out TarballFile? tarball, out Dictionary<string, string>? tags)
    {
        manifest = null;
        tarball = null;
        tags = null;
        if (body["name"]?.GetValueKind() != JsonValueKind.String || body["name"]!.GetValue<string>() != name)
        {
            return $"the document's name does not match the URL ({name})";
        }

        if (!PackageName.Validate(name).ValidForNewPackages)
        {
            return $"'{name}' is not a valid name for a new package";
        }

        if (body["versions"] is not JsonObject versions || versions.Count != 1 || versions.First().Value is not JsonObject sent)
        {
            return "versions must hold exactly one version object";
        }

        var key = versions.First().Key;
        if (!SemVersion.TryParse(key, out var version) || version.Version != key || sent["version"]?.GetValueKind() != JsonValueKind.String || sent["version"]!.GetValue<string>() != key)
        {
            return $"'{key}' is not a valid version (or differs from the manifest's version)";
        }

        if (body["_attachments"] is not JsonObject attachments || attachments.Count != 1 || attachments.First().Value is not JsonObject attachment
            || attachment["data"]?.GetValueKind() != JsonValueKind.String)
        {
            return "_attachments must hold exactly one tarball with base64 data";
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(attachment["data"]!.GetValue<string>());
        }
        catch (FormatException)
        {
            return "the attached tarball is not base64";
        }

        if (attachment["length"] is JsonValue length && length.TryGetValue<long>(out var declared) && declared != bytes.Length)
        {
            return $"the attached tarball is {bytes.Length} bytes, the document says {declared}";
        }

        var (files, unpacked, tarProblem) = Inspect(bytes);
        if (tarProblem is not null)
        {
            return $"the attached tarball is not a gzip'd tar: {tarProblem}";
        }

        tarball = new TarballFile(bytes, files, unpacked);
        if (sent["dist"]?["integrity"] is JsonValue claimed && claimed.TryGetValue<string>(out var integrity) && integrity != tarball.Integrity)
        {
            return $"dist.integrity ({integrity}) does not match the attached tarball ({tarball.Integrity})";
        }

        manifest = new JsonObject();
        foreach (var (k, v) in sent)
        {
            // Client-side bookkeeping (_id, _nodeVersion, _integrity, ...) and dist are the registry's to write.
            if (!k.StartsWith('_') && k != "dist" && v is not null)
            {
                manifest[k] = v.DeepClone();
            }
        }

        tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (body["dist-tags"] is JsonObject sentTags)
        {
            foreach (var (tag, target) in sentTags)
            {
                if (target is JsonValue tv && tv.TryGetValue<string>(out var t) && t == key)
                {
                    tags[tag] = t;
                }
            }
        }

        return null;
    }

    private static (int Files, long Unpacked, string? Problem) Inspect(byte[] tgz)
    {
        try
        {
            using var gzip = new GZipStream(new MemoryStream(tgz), CompressionMode.Decompress);
            using var reader = new TarReader(gzip);
            var files = 0;
            long unpacked = 0;
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
                {
                    files++;
                    unpacked += entry.Length;
                }
            }

            return files == 0 ? (0, 0, "it holds no files") : (files, unpacked, null);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or IOException)
        {
            return (0, 0, e.Message);
        }
    }

    private static async Task Json(HttpContext ctx, int status, byte[] body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        ctx.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(ctx.Request.Method))
        {
            await ctx.Response.Body.WriteAsync(body, ctx.RequestAborted).ConfigureAwait(false);
        }
    }

    private static Task Error(HttpContext ctx, int status, string message) =>
        Json(ctx, status, Encoding.UTF8.GetBytes(new JsonObject { ["error"] = message }.ToJsonString()));
}
