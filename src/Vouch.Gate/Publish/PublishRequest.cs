using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Npm;
using Vouch.Common.Json;

namespace Vouch.Gate.Publish;

/// <summary>
/// One `npm publish` request (<c>PUT /&lt;name&gt;</c>), parsed and validated before anything is decided:
/// the document names the package of the URL and exactly one new version, carries exactly one tarball
/// (strict base64, its length field equal to its bytes, under the cap, a complete gzip tar whose
/// package.json names the same package and version) and at most one Sigstore bundle. Integrity and
/// shasum are recomputed from the bytes; a client value that differs is refused, never used.
/// </summary>
internal sealed record PublishRequest
{
    public required string Name { get; init; }

    public required SemVersion Version { get; init; }

    public required byte[] Tarball { get; init; }

    /// <summary><c>sha512-&lt;base64&gt;</c> of <see cref="Tarball"/>, computed here.</summary>
    public required string Integrity { get; init; }

    public required string Shasum { get; init; }

    public required byte[] Sha512 { get; init; }

    public required TarballManifest Manifest { get; init; }

    /// <summary>The provenance bundle JSON (`npm publish --provenance`), or null.</summary>
    public string? Bundle { get; init; }

    /// <summary>The document as sent (validated); the forwarded form is built from it by <see cref="ForwardDocument"/>.</summary>
    public required JsonObject Document { get; init; }

    /// <summary>Install scripts from the tarball's package.json and the document's version entry.</summary>
    public IReadOnlyList<string> InstallScripts { get; init; } = [];

    public string Id => $"{Name}@{Version}";

    public string TarballFile => $"{Name}-{Version}.tgz";

    /// <summary>Field the gate writes into the forwarded version document: what it verified (clients cannot set it).</summary>
    public const string EvidenceField = "_vouchPublish";

    /// <summary>Parses and validates; null with <paramref name="error"/> (and its code) when the request is refused.</summary>
    public static PublishRequest? Parse(byte[] body, string urlName, long maxTarballBytes, out string? code, out string? error)
    {
        try
        {
            return ParseCore(body, urlName, maxTarballBytes, out code, out error);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or JsonException)
        {
            // A string that is not Unicode (an escaped lone surrogate) or a value of an unexpected shape deep inside.
            code = PublishCodes.BadDocument;
            error = $"the publish document holds a value that is not valid ({e.GetType().Name})";
            return null;
        }
    }

    private static PublishRequest? ParseCore(byte[] body, string urlName, long maxTarballBytes, out string? code, out string? error)
    {
        code = PublishCodes.BadDocument;
        error = null;
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            error = "the publish document is not valid UTF-8";
            return null;
        }

        JsonObject root;
        try
        {
            root = JsonInput.ParseNode(body, 64) as JsonObject
                ?? throw new JsonException("not a JSON object");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            error = $"the publish document is not a JSON object ({e.Message})";
            return null;
        }

        try
        {
            // Every string must be Unicode: an escaped lone surrogate anywhere (even in a field the gate
            // does not read) would fail only when the document is forwarded.
            _ = root.ToJsonString();
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            error = "the publish document holds a string that is not valid Unicode (a lone surrogate)";
            return null;
        }

        var errors = new List<string>();
        var name = Str(root, "name");
        if (name != urlName)
        {
            errors.Add($"name: '{name ?? "(missing)"}' differs from the package in the URL '{urlName}'");
        }

        if (root["_id"] is { } idNode && Str(root, "_id") != urlName)
        {
            errors.Add($"_id: '{idNode}' differs from the package in the URL '{urlName}'");
        }

        if (root.ContainsKey("_rev"))
        {
            errors.Add("_rev: this is a change to an existing package document (deprecate, dist-tag, unpublish), not a publish: make it at the registry");
        }

        string? versionText = null;
        JsonObject? manifest = null;
        if (root["versions"] is not JsonObject versions || versions.Count != 1)
        {
            errors.Add("versions: must hold exactly one new version");
        }
        else
        {
            var (key, value) = versions.First();
            versionText = key;
            manifest = value as JsonObject;
            if (SemVersion.ParseOrNull(key) is not { } parsed || parsed.ToString() != key)
            {
                errors.Add($"versions: '{key}' is not an exact version as npm writes it");
            }

            if (manifest is null)
            {
                errors.Add($"versions.{key}: not an object");
            }
            else
            {
                if (Str(manifest, "name") != urlName)
                {
                    errors.Add($"versions.{key}.name: differs from '{urlName}'");
                }

                if (Str(manifest, "version") != key)
                {
                    errors.Add($"versions.{key}.version: differs from '{key}'");
                }

                if (manifest["dist"] is { } dist && dist is not JsonObject)
                {
                    errors.Add($"versions.{key}.dist: not an object");
                }
            }
        }

        if (root["dist-tags"] is { } tagsNode)
        {
            if (tagsNode is not JsonObject tags)
            {
                errors.Add("dist-tags: not an object");
            }
            else
            {
                foreach (var (tag, target) in tags)
                {
                    if (tag.Length is 0 or > 128 || SemVersion.ParseOrNull(tag) is not null || tag.Any(c => c <= ' ' || c > '~' || c is '/' or '%'))
                    {
                        errors.Add($"dist-tags: '{tag}' is not a valid tag name");
                    }
                    else if (target is not JsonValue tv || !tv.TryGetValue<string>(out var t) || t != versionText)
                    {
                        errors.Add($"dist-tags.{tag}: must point at the published version {versionText}");
                    }
                }
            }
        }

        if (errors.Count > 0 || versionText is null || manifest is null)
        {
            error = string.Join("; ", errors);
            return null;
        }

        var version = SemVersion.Parse(versionText);
        var tarballFile = $"{urlName}-{versionText}.tgz";
        var bundleFile = $"{urlName}-{versionText}.sigstore";
        if (root["_attachments"] is not JsonObject attachments || attachments.Count == 0)
        {
            error = "_attachments: a publish carries its tarball as an attachment (none found)";
            return null;
        }

        var tgz = attachments.Where(a => a.Key.EndsWith(".tgz", StringComparison.Ordinal)).ToList();
        if (tgz.Count != 1)
        {
            error = $"_attachments: exactly one tarball per publish (found {tgz.Count})";
            return null;
        }

        foreach (var (key, _) in attachments)
        {
            if (key != tarballFile && key != bundleFile)
            {
                errors.Add($"_attachments: '{key}' is neither {tarballFile} nor {bundleFile}");
            }
        }

        if (errors.Count > 0)
        {
            error = string.Join("; ", errors);
            return null;
        }

        var tarball = DecodeTarball(attachments[tarballFile] as JsonObject, tarballFile, maxTarballBytes, out code, out error);
        if (tarball is null)
        {
            return null;
        }

        string? bundle = null;
        if (attachments[bundleFile] is { } bundleNode)
        {
            bundle = ReadBundle(bundleNode as JsonObject, bundleFile, out code, out error);
            if (bundle is null)
            {
                return null;
            }
        }

        var sha512 = SHA512.HashData(tarball);
        var integrity = "sha512-" + Convert.ToBase64String(sha512);
        var shasum = Convert.ToHexStringLower(SHA1.HashData(tarball));
        if (manifest["dist"] is JsonObject d)
        {
            if (d["integrity"] is { } ci && Str(d, "integrity") is null)
            {
                errors.Add($"versions.{versionText}.dist.integrity: not a string ({ci.GetValueKind()})");
            }
            else if (Str(d, "integrity") is { } claimed && !IntegrityAgrees(claimed, tarball))
            {
                errors.Add($"versions.{versionText}.dist.integrity: {claimed} is not the digest of the attached tarball ({integrity})");
            }

            if (d["shasum"] is not null && !string.Equals(Str(d, "shasum"), shasum, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"versions.{versionText}.dist.shasum: not the SHA-1 of the attached tarball ({shasum})");
            }

            if (errors.Count > 0)
            {
                code = PublishCodes.IntegrityMismatch;
                error = string.Join("; ", errors);
                return null;
            }
        }

        var inside = TarballManifest.Read(tarball, out var tarError);
        if (inside is null)
        {
            code = PublishCodes.BadTarball;
            error = $"{tarballFile}: {tarError}";
            return null;
        }

        if (inside.Name != urlName || inside.Version != versionText)
        {
            code = PublishCodes.ManifestMismatch;
            error = $"{tarballFile}: its package.json names {inside.Name}@{inside.Version}, the document {urlName}@{versionText}";
            return null;
        }

        var scripts = inside.InstallScripts.ToList();
        if (manifest["scripts"] is JsonObject docScripts)
        {
            foreach (var key in TarballManifest.InstallKeys)
            {
                if (Str(docScripts, key) is { } s && !scripts.Any(x => x.StartsWith(key + ":", StringComparison.Ordinal)))
                {
                    scripts.Add($"{key}: {s} (document)");
                }
            }
        }

        code = null;
        return new PublishRequest
        {
            Name = urlName,
            Version = version,
            Tarball = tarball,
            Integrity = integrity,
            Shasum = shasum,
            Sha512 = sha512,
            Manifest = inside,
            Bundle = bundle,
            Document = root,
            InstallScripts = scripts,
        };
    }

    /// <summary>
    /// The document the organisation's registry receives: the client's, with the recomputed digests,
    /// only the tarball attachment (re-encoded from the checked bytes), and the gate's own record of
    /// what it verified in <see cref="EvidenceField"/> (whatever the client put there is replaced).
    /// </summary>
    public byte[] ForwardDocument(JsonObject evidence)
    {
        var doc = (JsonObject)Document.DeepClone();
        var manifest = (JsonObject)((JsonObject)doc["versions"]!)[Version.ToString()]!;
        var dist = manifest["dist"] as JsonObject ?? new JsonObject();
        dist["integrity"] = Integrity;
        dist["shasum"] = Shasum;
        manifest["dist"] = dist;
        manifest[EvidenceField] = evidence;
        doc["_attachments"] = new JsonObject
        {
            [TarballFile] = new JsonObject
            {
                ["content_type"] = "application/octet-stream",
                ["data"] = Convert.ToBase64String(Tarball),
                ["length"] = Tarball.Length,
            },
        };
        return Encoding.UTF8.GetBytes(doc.ToJsonString());
    }

    private static byte[]? DecodeTarball(JsonObject? attachment, string file, long max, out string? code, out string? error)
    {
        code = PublishCodes.BadTarball;
        error = null;
        if (attachment is null || Str(attachment, "data") is not { } data)
        {
            error = $"_attachments.{file}: expected {{content_type, data (base64), length}}";
            return null;
        }

        if ((long)data.Length / 4 * 3 > max + 2)
        {
            code = PublishCodes.TooLarge;
            error = $"_attachments.{file}: the tarball is larger than {max} bytes";
            return null;
        }

        // Strict base64: the alphabet, padding only at the end, a multiple of 4 (Convert accepts whitespace).
        if (data.Length == 0 || data.Length % 4 != 0 || !StrictBase64(data))
        {
            error = $"_attachments.{file}: data is not strict base64";
            return null;
        }

        var bytes = Convert.FromBase64String(data);
        if (bytes.LongLength > max)
        {
            code = PublishCodes.TooLarge;
            error = $"_attachments.{file}: the tarball is larger than {max} bytes";
            return null;
        }

        if (attachment["length"] is not JsonValue lv || !lv.TryGetValue<long>(out var length) || length != bytes.LongLength)
        {
            error = $"_attachments.{file}: length {attachment["length"]?.ToJsonString() ?? "(missing)"} is not the {bytes.LongLength} bytes of data (truncated?)";
            return null;
        }

        return bytes;
    }

    private static string? ReadBundle(JsonObject? attachment, string file, out string? code, out string? error)
    {
        code = PublishCodes.BadDocument;
        error = null;
        if (attachment is null || Str(attachment, "data") is not { } data || Str(attachment, "content_type") is not { } type)
        {
            error = $"_attachments.{file}: expected {{content_type, data (the bundle JSON), length}}";
            return null;
        }

        if (!type.StartsWith("application/vnd.dev.sigstore.bundle", StringComparison.Ordinal))
        {
            error = $"_attachments.{file}: content_type '{type}' is not a Sigstore bundle media type";
            return null;
        }

        if (Encoding.UTF8.GetByteCount(data) > Limits.MaxBundleBytes)
        {
            code = PublishCodes.TooLarge;
            error = $"_attachments.{file}: the bundle is larger than {Limits.MaxBundleBytes} bytes";
            return null;
        }

        if (attachment["length"] is JsonValue lv && (!lv.TryGetValue<long>(out var length) || length != data.Length))
        {
            error = $"_attachments.{file}: length is not the length of data (truncated?)";
            return null;
        }

        return data;
    }

    private static bool StrictBase64(string s)
    {
        var pad = s.EndsWith("==", StringComparison.Ordinal) ? 2 : s.EndsWith('=') ? 1 : 0;
        for (var i = 0; i < s.Length - pad; i++)
        {
            var c = s[i];
            if (!(char.IsAsciiLetterOrDigit(c) || c is '+' or '/'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Every hash in the SRI string that this gate can compute must match; at least one must be sha512 or sha1.</summary>
    private static bool IntegrityAgrees(string sri, byte[] tarball)
    {
        var known = 0;
        foreach (var part in sri.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (dash <= 0)
            {
                return false;
            }

            var expected = part[(dash + 1)..].Split('?')[0];
            var actual = part[..dash] switch
            {
                "sha512" => Convert.ToBase64String(SHA512.HashData(tarball)),
                "sha384" => Convert.ToBase64String(SHA384.HashData(tarball)),
                "sha256" => Convert.ToBase64String(SHA256.HashData(tarball)),
                "sha1" => Convert.ToBase64String(SHA1.HashData(tarball)),
                _ => null,
            };
            if (actual is null)
            {
                continue;
            }

            if (actual != expected)
            {
                return false;
            }

            known++;
        }

        return known > 0;
    }

    private static string? Str(JsonObject o, string key) =>
        o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
