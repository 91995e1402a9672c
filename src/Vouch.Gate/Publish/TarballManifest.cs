using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using Vouch.Common.Json;
using Vouch.Common.IO;

namespace Vouch.Gate.Publish;

/// <summary>
/// What a published tarball says about itself: its package.json name, version and install-time code.
/// The whole archive is read (a truncated gzip or tar is refused, not half-used) under caps on
/// unpacked bytes and entries; exactly one <c>&lt;dir&gt;/package.json</c> at the top level, since npm
/// strips the first path component and two would be ambiguous.
/// </summary>
internal sealed record TarballManifest(string Name, string Version, IReadOnlyList<string> InstallScripts)
{
    public bool HasInstallScript => InstallScripts.Count > 0;

    public static TarballManifest? Read(byte[] tarball, out string? error)
    {
        error = null;
        byte[]? manifest = null;
        var manifests = 0;
        var gyp = false;
        try
        {
            using var gzip = new GZipStream(new MemoryStream(tarball, writable: false), CompressionMode.Decompress);
            using var capped = new CappedStream(gzip, Limits.MaxPublishUnpackedBytes);
            using var reader = new TarReader(capped);
            var entries = 0;
            while (reader.GetNextEntry(copyData: false) is { } entry)
            {
                if (++entries > Limits.MaxPublishTarEntries)
                {
                    error = $"the tarball has more than {Limits.MaxPublishTarEntries} entries";
                    return null;
                }

                var parts = entry.Name.Replace('\\', '/').TrimStart('/').Split('/');
                if (parts.Length != 2 || entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                {
                    // Read (and discard) the data: the archive must be complete to the end.
                    entry.DataStream?.CopyTo(Stream.Null);
                    continue;
                }

                if (parts[1] == "binding.gyp")
                {
                    gyp = true;
                }

                if (parts[1] != "package.json")
                {
                    entry.DataStream?.CopyTo(Stream.Null);
                    continue;
                }

                manifests++;
                if (entry.Length > Limits.MaxPublishManifestBytes || entry.DataStream is null)
                {
                    error = $"the tarball's package.json is empty or larger than {Limits.MaxPublishManifestBytes} bytes";
                    return null;
                }

                using var ms = new MemoryStream();
                entry.DataStream.CopyTo(ms);
                manifest = ms.ToArray();
            }

            // A gzip member may carry trailing garbage after the tar's end blocks; read to the end so a cut stream fails here.
            capped.CopyTo(Stream.Null);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or IOException or ArgumentException)
        {
            error = $"the tarball is not a complete gzip-compressed tar ({e.Message})";
            return null;
        }

        if (manifests != 1 || manifest is null)
        {
            error = manifests == 0 ? "the tarball has no package/package.json" : "the tarball has more than one top-level package.json";
            return null;
        }

        try
        {
            using var doc = JsonInput.Parse(manifest, 64);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("name", out var n) || n.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.String)
            {
                error = "the tarball's package.json has no string name and version";
                return null;
            }

            var scripts = new List<string>();
            if (root.TryGetProperty("scripts", out var s) && s.ValueKind == JsonValueKind.Object)
            {
                foreach (var key in InstallKeys)
                {
                    if (s.TryGetProperty(key, out var script) && script.ValueKind == JsonValueKind.String)
                    {
                        scripts.Add($"{key}: {script.GetString()}");
                    }
                }
            }

            var explicitInstall = scripts.Any(x => x.StartsWith("install:", StringComparison.Ordinal) || x.StartsWith("preinstall:", StringComparison.Ordinal));
            if (gyp && !explicitInstall && !(root.TryGetProperty("gypfile", out var g) && g.ValueKind == JsonValueKind.False))
            {
                scripts.Add("install: node-gyp rebuild (implicit: binding.gyp)");
            }

            return new TarballManifest(n.GetString()!, v.GetString()!, scripts);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            error = $"the tarball's package.json is not valid JSON ({e.Message})";
            return null;
        }
    }

    internal static readonly string[] InstallKeys = ["preinstall", "install", "postinstall"];
}
