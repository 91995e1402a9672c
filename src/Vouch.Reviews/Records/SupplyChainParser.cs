using System.Globalization;
using Tomlyn;
using Tomlyn.Model;
using Vouch.Npm;

namespace Vouch.Reviews.Records;

/// <summary>What a supply-chain file is: an audit or config file, or cargo-vet's `imports.lock`.</summary>
public enum SupplyChainFileKind
{
    /// <summary>`audits.toml` or `config.toml` (any section may appear in either).</summary>
    AuditsOrConfig,

    /// <summary>cargo-vet's `imports.lock`: `[[publisher.*]]` and `[[audits.IMPORT.audits.*]]`.</summary>
    ImportsLock,
}

/// <summary>
/// Reads cargo-vet-shaped TOML (docs/reviews.md) into typed entries. TOML syntax comes from Tomlyn;
/// structure is then validated here, and every problem is reported at once with <c>file:line:column</c>.
/// Unknown keys are errors, so a misspelt <c>expires</c> never silently makes an exemption permanent.
/// </summary>
public static class SupplyChainParser
{
    private static readonly HashSet<string> AuditKeys = ["who", "criteria", "version", "delta", "violation", "notes", "importable", "aggregated-from"];
    private static readonly HashSet<string> WildcardKeys = ["who", "criteria", "user-id", "start", "end", "notes", "renew", "aggregated-from"];
    private static readonly HashSet<string> TrustedKeys = ["criteria", "user-id", "publisher", "repository", "start", "end", "notes", "aggregated-from"];
    private static readonly HashSet<string> ExemptionKeys = ["version", "criteria", "reason", "expires", "notes", "suggest"];
    private static readonly HashSet<string> ImportKeys = ["url", "sha256", "criteria-map", "exclude"];
    private static readonly HashSet<string> PolicyKeys = ["criteria", "dev-criteria", "notes", "audit-as-crates-io", "dependency-criteria"];
    private static readonly HashSet<string> CriterionKeys = ["description", "description-url", "implies", "aggregated-from"];
    private static readonly HashSet<string> DefaultKeys = ["criteria", "dev-criteria"];

    public static SupplyChainDocument ParseFile(string path, SupplyChainFileKind kind = SupplyChainFileKind.AuditsOrConfig)
    {
        var info = new FileInfo(path);
        if (info.Exists && info.Length > ReviewLimits.MaxFileBytes)
        {
            throw new ReviewFormatException(ReviewCodes.FileTooLarge, path, [new ReviewProblem(path, 0, 0, $"larger than {ReviewLimits.MaxFileBytes} bytes")]);
        }

        return Parse(File.ReadAllText(path), path, kind);
    }

    public static SupplyChainDocument Parse(string text, string file, SupplyChainFileKind kind = SupplyChainFileKind.AuditsOrConfig)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > ReviewLimits.MaxFileBytes)
        {
            throw new ReviewFormatException(ReviewCodes.FileTooLarge, file, [new ReviewProblem(file, 0, 0, $"larger than {ReviewLimits.MaxFileBytes} bytes")]);
        }

        var tree = TomlTree.Parse(text, file);
        if (tree.Problems.Count > 0)
        {
            throw new ReviewFormatException(ReviewCodes.FileMalformed, file, tree.Problems);
        }

        var root = tree.Root;
        var reader = new Reader(file, tree);
        var doc = kind == SupplyChainFileKind.ImportsLock ? reader.ReadImportsLock(root) : reader.ReadDocument(root);
        if (reader.Problems.Count > 0)
        {
            throw new ReviewFormatException(ReviewCodes.FileMalformed, file, reader.Problems);
        }

        return doc;
    }

    /// <summary>Parses `"a -> b"`.</summary>
    public static bool TryParseDelta(string text, out string from, out string to)
    {
        from = to = "";
        var parts = text.Split("->", StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || NormalizeVersion(parts[0]) is not { } f || NormalizeVersion(parts[1]) is not { } t)
        {
            return false;
        }

        (from, to) = (f, t);
        return true;
    }

    /// <summary>A semver version (cargo-vet's `VERSION@git:HASH` revisions kept as written); null when invalid.</summary>
    public static string? NormalizeVersion(string text)
    {
        var at = text.IndexOf("@git:", StringComparison.Ordinal);
        var head = at < 0 ? text : text[..at];
        if (!SemVersion.TryParse(head.Trim(), out var v) || head.Trim() != head || head.StartsWith('v') || head.StartsWith('='))
        {
            return null;
        }

        var suffix = at < 0 ? "" : text[at..];
        if (suffix.Length > 0 && (suffix.Length == 5 || !suffix[5..].All(char.IsAsciiHexDigit)))
        {
            return null;
        }

        return v.Version + suffix;
    }


    private sealed class Reader(string file, TomlTree tree)
    {
        private int _entries;

        public List<ReviewProblem> Problems { get; } = [];

        public SupplyChainDocument ReadDocument(TomlTable root)
        {
            var criteria = new List<CriterionDefinition>();
            var audits = new List<AuditEntry>();
            var trusted = new List<TrustedPublisherEntry>();
            var exemptions = new List<ExemptionEntry>();
            var imports = new List<ImportSpec>();
            var policies = new List<PackagePolicy>();
            IReadOnlyList<string>? defaultCriteria = null, defaultDev = null;
            foreach (var (key, value) in root)
            {
                var at = Loc(root, key);
                switch (key)
                {
                    case "cargo-vet" or "vouch":
                        break; // format version markers: any value is accepted, nothing depends on them
                    case "criteria":
                        foreach (var (name, v) in Tables(root, key))
                        {
                            if (AsTable(v, $"criteria.{name}", Loc(TableOf(root, key), name)) is { } t)
                            {
                                Unknown(t, CriterionKeys, $"criteria.{name}");
                                criteria.Add(new CriterionDefinition(name, Str(t, "description"), StrList(t, "implies") ?? [], Loc(TableOf(root, key), name)));
                            }
                        }

                        if (criteria.Count > ReviewLimits.MaxCriteria)
                        {
                            Problem(at, $"more than {ReviewLimits.MaxCriteria} criteria");
                        }

                        break;
                    case "audits":
                        foreach (var (pkg, t) in Entries(root, key))
                        {
                            audits.AddRange(ReadAudit(pkg, t) is { } a ? [a] : []);
                        }

                        break;
                    case "wildcard-audits":
                        foreach (var (pkg, t) in Entries(root, key))
                        {
                            Unknown(t, WildcardKeys, $"wildcard-audits.{pkg}");
                            trusted.Add(ReadTrusted(pkg, t));
                        }

                        break;
                    case "trusted":
                        foreach (var (pkg, t) in Entries(root, key))
                        {
                            Unknown(t, TrustedKeys, $"trusted.{pkg}");
                            trusted.Add(ReadTrusted(pkg, t));
                        }

                        break;
                    case "exemptions":
                        foreach (var (pkg, t) in Entries(root, key))
                        {
                            if (ReadExemption(pkg, t) is { } e)
                            {
                                exemptions.Add(e);
                            }
                        }

                        break;
                    case "imports":
                        foreach (var (name, v) in Tables(root, key))
                        {
                            if (AsTable(v, $"imports.{name}", Loc(TableOf(root, key), name)) is { } t && ReadImport(name, t, Loc(TableOf(root, key), name)) is { } i)
                            {
                                imports.Add(i);
                            }
                        }

                        if (imports.Count > ReviewLimits.MaxImports)
                        {
                            Problem(at, $"more than {ReviewLimits.MaxImports} imports");
                        }

                        break;
                    case "policy":
                        foreach (var (name, v) in Tables(root, key))
                        {
                            var l = Loc(TableOf(root, key), name);
                            if (AsTable(v, $"policy.{name}", l) is { } t)
                            {
                                Unknown(t, PolicyKeys, $"policy.{name}");
                                policies.Add(new PackagePolicy { Pattern = name, Criteria = StrList(t, "criteria"), DevCriteria = StrList(t, "dev-criteria"), Location = l });
                            }
                        }

                        break;
                    case "default":
                        if (AsTable(value, "default", at) is { } dt)
                        {
                            Unknown(dt, DefaultKeys, "default");
                            defaultCriteria = StrList(dt, "criteria");
                            defaultDev = StrList(dt, "dev-criteria");
                        }

                        break;
                    default:
                        Problem(at, $"unknown section '{key}'");
                        break;
                }
            }

            return new SupplyChainDocument
            {
                Path = file,
                Criteria = criteria,
                Audits = audits,
                Trusted = trusted,
                Exemptions = exemptions,
                Imports = imports,
                Policies = policies,
                DefaultCriteria = defaultCriteria,
                DefaultDevCriteria = defaultDev,
            };
        }

        public SupplyChainDocument ReadImportsLock(TomlTable root)
        {
            var imported = new Dictionary<string, SupplyChainDocument>(StringComparer.Ordinal);
            var publishers = 0;
            foreach (var (key, _) in root)
            {
                switch (key)
                {
                    case "publisher" or "unpublished":
                        publishers += Entries(root, key).Count();
                        break;
                    case "audits":
                        foreach (var (name, v) in Tables(root, key))
                        {
                            if (AsTable(v, $"audits.{name}", Loc(TableOf(root, key), name)) is { } t)
                            {
                                imported[name] = ReadDocument(t);
                            }
                        }

                        break;
                    default:
                        Problem(Loc(root, key), $"unknown section '{key}'");
                        break;
                }
            }

            return new SupplyChainDocument { Path = file, ImportedAudits = imported, PublisherEntries = publishers };
        }

        private AuditEntry? ReadAudit(string pkg, TomlTable t)
        {
            var where = $"audits.{pkg}";
            Unknown(t, AuditKeys, where);
            var at = EntryLoc(t);
            var criteria = StrList(t, "criteria");
            if (criteria is null || criteria.Count == 0)
            {
                Problem(at, $"{where}: 'criteria' is required");
                return null;
            }

            var who = StrList(t, "who") ?? [];
            var notes = Str(t, "notes");
            var version = Str(t, "version");
            var delta = Str(t, "delta");
            var violation = Str(t, "violation");
            if ((version is null ? 0 : 1) + (delta is null ? 0 : 1) + (violation is null ? 0 : 1) != 1)
            {
                Problem(at, $"{where}: exactly one of 'version', 'delta' or 'violation' is required");
                return null;
            }

            if (version is not null)
            {
                if (NormalizeVersion(version) is not { } v)
                {
                    Problem(Loc(t, "version"), $"{where}: '{version}' is not a version");
                    return null;
                }

                return new AuditEntry { Package = pkg, Kind = AuditKind.Full, Version = v, Criteria = criteria, Who = who, Notes = notes, Location = at };
            }

            if (delta is not null)
            {
                if (!TryParseDelta(delta, out var from, out var to))
                {
                    Problem(Loc(t, "delta"), $"{where}: '{delta}' is not 'VERSION -> VERSION'");
                    return null;
                }

                return new AuditEntry { Package = pkg, Kind = AuditKind.Delta, From = from, Version = to, Criteria = criteria, Who = who, Notes = notes, Location = at };
            }

            if (!SemVerRange.TryParse(violation, out var range))
            {
                Problem(Loc(t, "violation"), $"{where}: '{violation}' is not a version range");
                return null;
            }

            return new AuditEntry { Package = pkg, Kind = AuditKind.Violation, Violation = range, Criteria = criteria, Who = who, Notes = notes, Location = at };
        }

        private TrustedPublisherEntry ReadTrusted(string pkg, TomlTable t) => new()
        {
            Package = pkg,
            Criteria = Required(StrList(t, "criteria"), t, "criteria", pkg),
            Publisher = Str(t, "publisher"),
            Repository = Str(t, "repository"),
            UserId = t.TryGetValue("user-id", out var id) ? id as long? ?? Bad<long?>(t, "user-id", "an integer") : null,
            Start = Date(t, "start"),
            End = Date(t, "end"),
            Location = EntryLoc(t),
        };

        private ExemptionEntry? ReadExemption(string pkg, TomlTable t)
        {
            Unknown(t, ExemptionKeys, $"exemptions.{pkg}");
            var raw = Str(t, "version");
            var version = raw is null ? null : NormalizeVersion(raw);
            if (version is null)
            {
                Problem(EntryLoc(t), $"exemptions.{pkg}: 'version' must be a version");
                return null;
            }

            return new ExemptionEntry
            {
                Package = pkg,
                Version = version,
                Criteria = Required(StrList(t, "criteria"), t, "criteria", pkg),
                Reason = Str(t, "reason") ?? Str(t, "notes"),
                Expires = Date(t, "expires"),
                Location = EntryLoc(t),
            };
        }

        private ImportSpec? ReadImport(string name, TomlTable t, SourceLocation at)
        {
            Unknown(t, ImportKeys, $"imports.{name}");
            var url = Str(t, "url");
            if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeFile))
            {
                Problem(at, $"imports.{name}: 'url' must be an absolute https, http or file URL");
                return null;
            }

            var sha = Str(t, "sha256");
            if (sha is not null && (sha.Length != 64 || !sha.All(char.IsAsciiHexDigit)))
            {
                Problem(Loc(t, "sha256"), $"imports.{name}: 'sha256' must be 64 hex digits");
                sha = null;
            }

            var map = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            if (t.TryGetValue("criteria-map", out var m))
            {
                if (m is TomlTable mt)
                {
                    foreach (var (theirs, _) in mt)
                    {
                        map[theirs] = StrList(mt, theirs) ?? [];
                    }
                }
                else
                {
                    Problem(Loc(t, "criteria-map"), $"imports.{name}: 'criteria-map' must be a table");
                }
            }

            return new ImportSpec { Name = name, Url = uri, Sha256 = sha?.ToLowerInvariant(), CriteriaMap = map, Exclude = StrList(t, "exclude") ?? [], Location = at };
        }

        private IEnumerable<(string Name, object Value)> Tables(TomlTable root, string key)
        {
            if (root[key] is TomlTable t)
            {
                foreach (var (k, v) in t)
                {
                    yield return (k, v);
                }
            }
            else
            {
                Problem(Loc(root, key), $"'{key}' must be a table");
            }
        }

        /// <summary>`[[section.NAME]]` entries, with the entry cap.</summary>
        private IEnumerable<(string Package, TomlTable Entry)> Entries(TomlTable root, string key)
        {
            foreach (var (pkg, v) in Tables(root, key))
            {
                IEnumerable<TomlTable> items = v switch
                {
                    TomlTableArray a => a,
                    TomlTable one => [one],
                    TomlArray arr when arr.All(x => x is TomlTable) => arr.Cast<TomlTable>(),
                    _ => [],
                };
                if (v is not (TomlTableArray or TomlTable or TomlArray))
                {
                    Problem(Loc(TableOf(root, key), pkg), $"{key}.{pkg} must be an array of tables");
                }

                foreach (var item in items)
                {
                    if (++_entries > ReviewLimits.MaxEntries)
                    {
                        Problem(Loc(root, key), $"more than {ReviewLimits.MaxEntries} entries");
                        yield break;
                    }

                    yield return (pkg, item);
                }
            }
        }

        private static TomlTable TableOf(TomlTable root, string key) => root[key] as TomlTable ?? new TomlTable();

        private TomlTable? AsTable(object value, string where, SourceLocation at)
        {
            if (value is TomlTable t)
            {
                return t;
            }

            Problem(at, $"{where} must be a table");
            return null;
        }

        private void Unknown(TomlTable t, HashSet<string> known, string where)
        {
            foreach (var (k, _) in t)
            {
                if (!known.Contains(k))
                {
                    Problem(Loc(t, k), $"{where}: unknown key '{k}'");
                }
            }
        }

        private string? Str(TomlTable t, string key)
        {
            if (!t.TryGetValue(key, out var v))
            {
                return null;
            }

            if (v is string s)
            {
                if (s.Length > ReviewLimits.MaxStringLength)
                {
                    Problem(Loc(t, key), $"'{key}' is longer than {ReviewLimits.MaxStringLength} characters");
                    return null;
                }

                return s;
            }

            return Bad<string>(t, key, "a string");
        }

        /// <summary>A string or an array of strings (cargo-vet writes both).</summary>
        private IReadOnlyList<string>? StrList(TomlTable t, string key)
        {
            if (!t.TryGetValue(key, out var v))
            {
                return null;
            }

            switch (v)
            {
                case string s:
                    return [s];
                case TomlArray a when a.All(x => x is string):
                    return a.Cast<string>().ToList();
                default:
                    return Bad<IReadOnlyList<string>>(t, key, "a string or an array of strings");
            }
        }

        private IReadOnlyList<string> Required(IReadOnlyList<string>? value, TomlTable t, string key, string pkg)
        {
            if (value is null)
            {
                Problem(EntryLoc(t), $"{pkg}: '{key}' is required");
            }

            return value ?? [];
        }

        /// <summary>A date as a TOML local date or a `YYYY-MM-DD` string (cargo-vet writes strings).</summary>
        private DateOnly? Date(TomlTable t, string key)
        {
            if (!t.TryGetValue(key, out var v))
            {
                return null;
            }

            if (v is string s && DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            {
                return d;
            }

            if (v is TomlDateTime dt)
            {
                return DateOnly.FromDateTime(dt.DateTime.UtcDateTime);
            }

            return Bad<DateOnly?>(t, key, "a date (YYYY-MM-DD)");
        }

        private T? Bad<T>(TomlTable t, string key, string expected)
        {
            Problem(Loc(t, key), $"'{key}' must be {expected}");
            return default;
        }

        private SourceLocation EntryLoc(TomlTable t)
        {
            var header = Loc(t, TomlTree.HeaderKey);
            if (header.Line > 0)
            {
                return header;
            }

            foreach (var (k, _) in t)
            {
                return Loc(t, k);
            }

            return new SourceLocation(file, 0, 0);
        }

        private SourceLocation Loc(TomlTable t, string key) => tree.Location(t, key);

        private void Problem(SourceLocation at, string message) => Problems.Add(new ReviewProblem(file, at.Line, at.Column, message));
    }
}
