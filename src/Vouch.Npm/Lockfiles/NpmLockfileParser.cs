using System.Text.Json;

namespace Vouch.Npm.Lockfiles;

/// <summary>
/// package-lock.json / npm-shrinkwrap.json, lockfileVersion 1, 2 and 3, read with a forward-only
/// <see cref="Utf8JsonReader"/> so memory stays the file's bytes plus the entries (no DOM), and
/// each entry keeps the line of its key. v2 carries both the v3 <c>packages</c> map and the v1
/// <c>dependencies</c> tree; the <c>packages</c> map wins, as it does in npm 7+.
/// </summary>
internal sealed class NpmLockfileParser
{
    private readonly ReadOnlyMemory<byte> _utf8;
    private readonly ParseContext _ctx;
    private readonly LineCounter _lines;

    // Link entries are only known to point at a workspace once every workspace folder is seen.
    private readonly List<LockfilePackage> _links = [];
    private readonly HashSet<string> _workspaceFolders = new(StringComparer.Ordinal);

    private NpmLockfileParser(ReadOnlyMemory<byte> utf8, string path)
    {
        _utf8 = utf8;
        _ctx = new ParseContext(path);
        _lines = new LineCounter(utf8);
    }

    public static Lockfile Parse(ReadOnlyMemory<byte> utf8, string path) => new NpmLockfileParser(utf8, path).Run();

    private Lockfile Run()
    {
        var reader = new Utf8JsonReader(_utf8.Span, new JsonReaderOptions
        {
            // v1 nests two JSON levels per dependency level.
            MaxDepth = (2 * Limits.MaxLockfileDepth) + 4,
            CommentHandling = JsonCommentHandling.Disallow,
        });
        long? version = null;
        var sawPackages = false;
        List<LockfilePackage>? v1 = null;
        try
        {
            Expect(ref reader, JsonTokenType.StartObject, "a JSON object");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (Next(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                var line = Line(ref reader);
                if (!seen.Add(name))
                {
                    throw _ctx.InvalidEntry(line, 0, $"duplicate top-level key \"{name}\"");
                }

                Next(ref reader);
                switch (name)
                {
                    case "lockfileVersion":
                        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var v))
                        {
                            throw _ctx.InvalidEntry(line, 0, "lockfileVersion: expected a number");
                        }

                        version = v;
                        break;
                    case "packages":
                        RequireObject(ref reader, "packages");
                        sawPackages = true;
                        ReadPackages(ref reader);
                        break;
                    case "dependencies" when !sawPackages:
                        RequireObject(ref reader, "dependencies");
                        var saved = _ctx.Packages.ToList();
                        _ctx.Packages.Clear();
                        ReadV1Dependencies(ref reader, "", 1, false);
                        v1 = _ctx.Packages.ToList();
                        _ctx.Packages.Clear();
                        _ctx.Packages.AddRange(saved);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                throw _ctx.Malformed(Line(ref reader), 0, "expected a property name or '}'");
            }

            if (reader.Read())
            {
                throw _ctx.Malformed(Line(ref reader), 0, "expected the end of the file after the top-level object");
            }
        }
        catch (JsonException e)
        {
            throw _ctx.Malformed((int)(e.LineNumber ?? 0) + 1, (int)(e.BytePositionInLine ?? 0) + 1, $"not valid JSON: {FirstSentence(e.Message)}", e);
        }

        var format = version switch
        {
            null => throw _ctx.InvalidEntry(0, 0, "lockfileVersion is missing (expected 1, 2 or 3)"),
            1 => LockfileFormat.NpmV1,
            2 => LockfileFormat.NpmV2,
            3 => LockfileFormat.NpmV3,
            _ => throw _ctx.Fail(LockfileCodes.Unsupported, 0, 0, $"lockfileVersion {version} is not supported (expected 1, 2 or 3)"),
        };

        if (format == LockfileFormat.NpmV3 && !sawPackages)
        {
            throw _ctx.InvalidEntry(0, 0, "lockfileVersion 3 without a \"packages\" object");
        }

        if (!sawPackages)
        {
            _ctx.Packages.AddRange(v1 ?? []);
        }

        foreach (var link in _links)
        {
            if (link.Resolved is null || !_workspaceFolders.Contains(link.Resolved))
            {
                _ctx.Add(link);
            }
        }

        return new Lockfile
        {
            Path = _ctx.Path,
            Format = format,
            FormatVersion = version.ToString()!,
            Packages = _ctx.Packages,
        };
    }

    // lockfileVersion 2/3: "packages": { "<install path>": { … } }.
    private void ReadPackages(ref Utf8JsonReader reader)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (Next(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            var line = Line(ref reader);
            if (!keys.Add(key))
            {
                // Two entries for one path would let two readers install two different things.
                throw _ctx.InvalidEntry(line, 0, $"duplicate package path \"{key}\"");
            }

            Next(ref reader);
            RequireObject(ref reader, $"packages[\"{key}\"]");
            var e = ReadEntry(ref reader, key, line, allowNested: false);
            if (key.Length == 0)
            {
                continue;
            }

            var isFolder = !key.StartsWith("node_modules/", StringComparison.Ordinal) && !key.Contains("/node_modules/", StringComparison.Ordinal);
            if (e.Link)
            {
                _links.Add(new LockfilePackage
                {
                    Name = e.Name ?? LockfileText.NameFromInstallPath(key),
                    Version = e.Version ?? "",
                    Source = LockfileSourceKind.Link,
                    Resolved = e.Resolved,
                    Key = key,
                    Line = line,
                    Dev = e.Dev,
                    Optional = e.Optional,
                });
                continue;
            }

            if (isFolder)
            {
                // A workspace (or a file: dependency's folder): its own code, not fetched.
                _workspaceFolders.Add(key);
                _ctx.Add(new LockfilePackage
                {
                    Name = e.Name ?? key[(key.LastIndexOf('/') + 1)..],
                    Version = e.Version ?? "",
                    Source = LockfileSourceKind.Workspace,
                    Resolved = key,
                    Key = key,
                    Line = line,
                    Dev = e.Dev,
                    Optional = e.Optional,
                });
                continue;
            }

            var installName = LockfileText.NameFromInstallPath(key);
            var realName = e.Name ?? installName;
            if (e.Version is null)
            {
                throw _ctx.InvalidEntry(line, 0, $"packages[\"{key}\"]: version is missing");
            }

            _ctx.Add(new LockfilePackage
            {
                Name = realName,
                Version = e.Version,
                Alias = realName != installName ? installName : null,
                Source = LockfileText.Classify(e.Resolved),
                Resolved = e.Resolved,
                Integrity = e.Integrity,
                Dev = e.Dev,
                Optional = e.Optional,
                Bundled = e.InBundle && LockfileText.IsNestedInDependency(key),
                Key = key,
                Line = line,
                HasInstallScript = e.HasInstallScript ?? false,
            });
        }

        EndOfObject(ref reader);
    }

    // lockfileVersion 1: "dependencies": { "<name>": { version, …, dependencies: { … } } }.
    private void ReadV1Dependencies(ref Utf8JsonReader reader, string parentKey, int depth, bool parentBundled)
    {
        if (depth > Limits.MaxLockfileDepth)
        {
            throw _ctx.Fail(LockfileCodes.TooLarge, Line(ref reader), 0, $"dependencies nested deeper than {Limits.MaxLockfileDepth} levels");
        }

        var keys = new HashSet<string>(StringComparer.Ordinal);
        while (Next(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            var installName = reader.GetString()!;
            var line = Line(ref reader);
            if (!keys.Add(installName))
            {
                throw _ctx.InvalidEntry(line, 0, $"duplicate dependency \"{installName}\"");
            }

            var key = (parentKey.Length == 0 ? "" : parentKey + "/") + "node_modules/" + installName;
            Next(ref reader);
            RequireObject(ref reader, $"dependencies[\"{installName}\"]");

            // The entry is added before its children so lines stay in file order.
            var index = _ctx.Packages.Count;
            _ctx.Add(new LockfilePackage { Name = installName, Version = "", Key = key, Line = line });
            var e = ReadEntry(ref reader, key, line, allowNested: true, depth, parentBundled);
            if (e.Version is null)
            {
                throw _ctx.InvalidEntry(line, 0, $"dependencies[\"{installName}\"]: version is missing");
            }

            var name = installName;
            string? alias = null;
            var version = e.Version;
            LockfileSourceKind source;
            if (version.StartsWith("npm:", StringComparison.Ordinal)
                && LockfileText.TrySplitNameAt(version[4..], out var real, out var realVersion))
            {
                // `"alias": { "version": "npm:real@1.2.3" }`
                name = real;
                alias = installName != real ? installName : null;
                version = realVersion;
                source = LockfileText.Classify(e.Resolved);
            }
            else if (LockfileText.IsVersion(version))
            {
                source = LockfileText.Classify(e.Resolved);
            }
            else
            {
                // Git, tarball and file dependencies keep their spec in "version".
                source = LockfileText.Classify(version);
                if (source == LockfileSourceKind.Registry)
                {
                    throw _ctx.InvalidEntry(line, 0, $"dependencies[\"{installName}\"]: version \"{version}\" is neither a version nor a git, URL or file spec");
                }

                e.Resolved ??= version;
                version = "";
            }

            _ctx.Packages[index] = new LockfilePackage
            {
                Name = name,
                Version = version,
                Alias = alias,
                Source = source,
                Resolved = e.Resolved,
                Integrity = e.Integrity,
                Dev = e.Dev,
                Optional = e.Optional,
                Bundled = e.InBundle || parentBundled,
                Key = key,
                Line = line,
            };
        }

        EndOfObject(ref reader);
    }

    private Entry ReadEntry(ref Utf8JsonReader reader, string key, int entryLine, bool allowNested, int depth = 0, bool parentBundled = false)
    {
        var e = new Entry();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var nestedAt = -1;
        while (Next(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.GetString()!;
            var line = Line(ref reader);
            if (!seen.Add(field))
            {
                throw _ctx.InvalidEntry(line, 0, $"\"{key}\": duplicate field \"{field}\"");
            }

            Next(ref reader);
            switch (field)
            {
                case "version":
                    e.Version = ReadString(ref reader, key, field, line);
                    break;
                case "resolved":
                    e.Resolved = ReadString(ref reader, key, field, line);
                    break;
                case "integrity":
                    e.Integrity = ReadString(ref reader, key, field, line);
                    break;
                case "name":
                    e.Name = ReadString(ref reader, key, field, line);
                    break;
                case "dev":
                    e.Dev |= ReadBool(ref reader, key, field, line);
                    break;
                case "optional":
                    e.Optional |= ReadBool(ref reader, key, field, line);
                    break;
                case "devOptional":
                    // Needed by the dev tree and the optional tree: omitted only when both are.
                    if (ReadBool(ref reader, key, field, line))
                    {
                        e.Dev = true;
                        e.Optional = true;
                    }

                    break;
                case "inBundle":
                case "bundled":
                    e.InBundle |= ReadBool(ref reader, key, field, line);
                    break;
                case "link":
                    e.Link = ReadBool(ref reader, key, field, line);
                    break;
                case "hasInstallScript":
                    e.HasInstallScript = ReadBool(ref reader, key, field, line);
                    break;
                case "dependencies" when allowNested:
                    RequireObject(ref reader, $"\"{key}\".dependencies");
                    nestedAt = _ctx.Packages.Count;
                    // "bundled" may come after "dependencies"; fixed up below.
                    ReadV1Dependencies(ref reader, key, depth + 1, parentBundled);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        EndOfObject(ref reader);
        if (nestedAt >= 0 && e.InBundle && !parentBundled)
        {
            // Children of a bundled dependency ship in its tarball too.
            for (var i = nestedAt; i < _ctx.Packages.Count; i++)
            {
                _ctx.Packages[i] = _ctx.Packages[i] with { Bundled = true };
            }
        }

        _ = entryLine;
        return e;
    }

    private string ReadString(ref Utf8JsonReader reader, string key, string field, int line)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw _ctx.InvalidEntry(line, 0, $"\"{key}\": {field}: expected a string, found {Describe(reader.TokenType)}");
        }

        if (reader.ValueSpan.Length > Limits.MaxLockfileLineLength)
        {
            throw _ctx.Fail(LockfileCodes.TooLarge, line, 0, $"\"{key}\": {field} is longer than {Limits.MaxLockfileLineLength} bytes");
        }

        return reader.GetString()!;
    }

    private bool ReadBool(ref Utf8JsonReader reader, string key, string field, int line) =>
        reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => throw _ctx.InvalidEntry(line, 0, $"\"{key}\": {field}: expected true or false, found {Describe(reader.TokenType)}"),
        };

    private void RequireObject(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            var line = Line(ref reader);
            throw _ctx.InvalidEntry(line, 0, $"{what}: expected an object, found {Describe(reader.TokenType)}");
        }
    }

    private void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        if (!reader.Read())
        {
            throw _ctx.Malformed(1, 1, $"expected {what}, found an empty file");
        }

        if (reader.TokenType != type)
        {
            throw _ctx.Malformed(Line(ref reader), 0, $"expected {what}, found {Describe(reader.TokenType)}");
        }
    }

    private void EndOfObject(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw _ctx.Malformed(Line(ref reader), 0, "expected a property name or '}'");
        }
    }

    private bool Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw _ctx.Malformed(_lines.LineAt(_utf8.Length), 0, "unexpected end of file");
        }

        return true;
    }

    private int Line(ref Utf8JsonReader reader) => _lines.LineAt(reader.TokenStartIndex);

    private static string Describe(JsonTokenType type) => type switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => type.ToString(),
    };

    internal static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }

    private sealed class Entry
    {
        public string? Version;
        public string? Resolved;
        public string? Integrity;
        public string? Name;
        public bool Dev;
        public bool Optional;
        public bool InBundle;
        public bool Link;
        public bool? HasInstallScript;
    }
}
