using System.Text.Json;

namespace Vouch.Npm.Lockfiles;

/// <summary>
/// bun.lock, bun's text lockfile (JSON with trailing commas). <c>packages</c> maps an install path
/// (<c>debug/ms</c> for a copy nested under debug) to an array whose first element is
/// <c>name@spec</c>; for registry packages it continues with the tarball URL ("" for the default
/// registry), a metadata object and the SRI integrity. The binary bun.lockb is not read.
/// </summary>
internal sealed class BunLockfileParser
{
    private readonly ReadOnlyMemory<byte> _utf8;
    private readonly ParseContext _ctx;
    private readonly JsonLockfileReader _json;

    private BunLockfileParser(ReadOnlyMemory<byte> utf8, string path)
    {
        _utf8 = utf8;
        _ctx = new ParseContext(path);
        _json = new JsonLockfileReader(utf8, _ctx);
    }

    public static Lockfile Parse(ReadOnlyMemory<byte> utf8, string path) => new BunLockfileParser(utf8, path).Run();

    private Lockfile Run()
    {
        var reader = new Utf8JsonReader(_utf8.Span, new JsonReaderOptions
        {
            MaxDepth = Limits.MaxLockfileDepth,
            AllowTrailingCommas = true,
            CommentHandling = JsonCommentHandling.Skip,
        });
        long? version = null;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw _ctx.Malformed(1, 1, "expected a JSON object");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (_json.NextProperty(ref reader, seen, "top-level key", out var name, out var line))
            {
                switch (name)
                {
                    case "lockfileVersion":
                        var v = _json.ReadLockfileVersion(ref reader, line);
                        if (v is < 0 or > 2)
                        {
                            throw _ctx.Fail(LockfileCodes.Unsupported, line, 0, $"bun lockfileVersion {v} is not supported (expected 0, 1 or 2)");
                        }

                        version = v;
                        break;
                    case "packages":
                        if (reader.TokenType != JsonTokenType.StartObject)
                        {
                            throw _ctx.InvalidEntry(line, 0, "packages: expected an object");
                        }

                        ReadPackages(ref reader);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                throw _ctx.Malformed(_json.Line(ref reader), 0, "expected the end of the top-level object");
            }
        }
        catch (JsonException e)
        {
            throw _json.NotJson(e);
        }

        if (version is null)
        {
            throw _ctx.InvalidEntry(0, 0, "lockfileVersion is missing");
        }

        return new Lockfile { Path = _ctx.Path, Format = LockfileFormat.Bun, FormatVersion = version.ToString()!, Packages = _ctx.Packages };
    }

    private void ReadPackages(ref Utf8JsonReader reader)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (_json.NextProperty(ref reader, keys, "package path", out var key, out var line))
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                throw _ctx.InvalidEntry(line, 0, $"packages[\"{key}\"]: expected an array");
            }

            var strings = new List<string?>(4);
            while (_json.Next(ref reader) && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType == JsonTokenType.String)
                {
                    if (reader.ValueSpan.Length > Limits.MaxLockfileLineLength)
                    {
                        throw _ctx.Fail(LockfileCodes.TooLarge, line, 0, $"packages[\"{key}\"]: a value is longer than {Limits.MaxLockfileLineLength} bytes");
                    }

                    strings.Add(reader.GetString());
                }
                else
                {
                    // The metadata object (dependencies, bin, os/cpu…) keeps its slot so positions hold.
                    strings.Add(null);
                    reader.Skip();
                }
            }

            Add(key, line, strings);
        }

        _json.EndOfObject(ref reader);
    }

    private void Add(string key, int line, List<string?> items)
    {
        if (items.Count == 0 || items[0] is not { } ident || !LockfileText.TrySplitNameAt(ident, out var name, out var spec))
        {
            throw _ctx.InvalidEntry(line, 0, $"packages[\"{key}\"]: expected [\"name@version\", …]");
        }

        if (spec.StartsWith("root:", StringComparison.Ordinal))
        {
            return;
        }

        var installName = LastName(key);
        var alias = installName != name && installName.Length > 0 ? installName : null;
        if (LockfileText.IsVersion(spec))
        {
            var url = items.Count > 1 ? items[1] : null;
            _ctx.Add(new LockfilePackage
            {
                Name = name,
                Version = spec,
                Alias = alias,
                Source = string.IsNullOrEmpty(url) ? LockfileSourceKind.Registry : LockfileText.Classify(url),
                Resolved = string.IsNullOrEmpty(url) ? null : url,
                Integrity = items.Count > 3 ? items[3] : null,
                Key = key,
                Line = line,
            });
            return;
        }

        var source = LockfileText.Classify(spec);
        if (source == LockfileSourceKind.Registry)
        {
            source = LockfileText.IsHttp(spec) ? LockfileSourceKind.RemoteTarball : LockfileSourceKind.LocalFile;
        }

        _ctx.Add(new LockfilePackage
        {
            Name = name,
            Version = "",
            Alias = alias,
            Source = source,
            Resolved = source == LockfileSourceKind.Workspace ? spec["workspace:".Length..] : spec,
            Key = key,
            Line = line,
        });
    }

    // `a/@s/b/c` is the path a → @s/b → c; the installed name is the last one.
    private static string LastName(string key)
    {
        var parts = key.Split('/');
        if (parts.Length >= 2 && parts[^2].StartsWith('@'))
        {
            return parts[^2] + "/" + parts[^1];
        }

        return parts[^1];
    }
}
