using System.Text.Json;

namespace Vouch.Npm;

/// <summary>
/// Parse-then-validate for packuments: read every field we use, collect every problem, then throw
/// once for document-level problems. Problems confined to one version entry only disqualify that
/// version (see <see cref="Packument.InvalidVersions"/>). Unknown fields are ignored.
/// </summary>
internal static class PackumentParser
{
    public static Packument Parse(ReadOnlyMemory<byte> json, string? expectedName, bool abbreviated)
    {
        var what = expectedName is null ? "packument" : $"packument of {expectedName}";
        using var doc = JsonRead.ParseDocument(json, what);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new NpmDocumentException(what, ["the document is not a JSON object"]);
        }

        var problems = new List<string>();
        var name = JsonRead.String(root, "name");
        if (string.IsNullOrEmpty(name))
        {
            problems.Add("name is missing or not a string");
        }
        else if (expectedName is not null && name != expectedName)
        {
            // A registry answering with another package's document must not pass for this one.
            problems.Add($"name is '{name}', expected '{expectedName}'");
        }

        var distTags = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (JsonRead.Property(root, "dist-tags"))
        {
            case null:
                break;
            case { ValueKind: JsonValueKind.Object } tags:
                foreach (var (tag, value) in JsonRead.StringMembers(tags))
                {
                    distTags[tag] = value;
                }

                break;
            default:
                problems.Add("dist-tags is not an object");
                break;
        }

        var time = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        DateTimeOffset? created = null;
        DateTimeOffset? modified = null;
        var unpublished = false;
        switch (JsonRead.Property(root, "time"))
        {
            case null:
                break;
            case { ValueKind: JsonValueKind.Object } timeMap:
                foreach (var entry in timeMap.EnumerateObject())
                {
                    switch (entry.Name)
                    {
                        case "created":
                            created = JsonRead.Date(entry.Value);
                            break;
                        case "modified":
                            modified = JsonRead.Date(entry.Value);
                            break;
                        case "unpublished":
                            unpublished = entry.Value.ValueKind == JsonValueKind.Object;
                            break;
                        default:
                            // Keyed by the normalised version so lookups by SemVersion.Version work.
                            if (JsonRead.Date(entry.Value) is { } at && SemVersion.TryParse(entry.Name, out var tv))
                            {
                                time[tv.Version] = at;
                            }

                            break;
                    }
                }

                break;
            default:
                problems.Add("time is not an object");
                break;
        }

        if (JsonRead.Property(root, "modified") is { } topModified)
        {
            modified ??= JsonRead.Date(topModified);
        }

        var versions = new Dictionary<string, PackageVersion>(StringComparer.Ordinal);
        var invalid = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        switch (JsonRead.Property(root, "versions"))
        {
            case null when unpublished:
                break;
            case null:
                problems.Add("versions is missing");
                break;
            case { ValueKind: JsonValueKind.Object } versionMap:
                foreach (var entry in versionMap.EnumerateObject())
                {
                    var versionProblems = new List<string>();
                    var parsed = ParseVersion(entry.Name, entry.Value, name ?? "", versionProblems);
                    if (parsed is not null && versions.ContainsKey(parsed.Version.Version))
                    {
                        versionProblems.Add($"another entry already holds version {parsed.Version.Version}");
                    }

                    if (versionProblems.Count > 0 || parsed is null)
                    {
                        invalid[entry.Name] = versionProblems;
                    }
                    else
                    {
                        versions[parsed.Version.Version] = parsed;
                    }
                }

                break;
            default:
                problems.Add("versions is not an object");
                break;
        }

        if (problems.Count > 0)
        {
            throw new NpmDocumentException(what, problems);
        }

        return new Packument
        {
            Name = name!,
            IsAbbreviated = abbreviated,
            DistTags = distTags,
            Versions = versions,
            Time = time,
            Created = created,
            Modified = modified,
            IsUnpublished = unpublished,
            InvalidVersions = invalid,
        };
    }

    private static PackageVersion? ParseVersion(string key, JsonElement entry, string packageName, List<string> problems)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            problems.Add("the entry is not an object");
            return null;
        }

        if (!SemVersion.TryParse(key, out var version))
        {
            problems.Add($"'{key}' is not a valid semver version");
        }

        var declared = JsonRead.String(entry, "version");
        if (declared is null)
        {
            problems.Add("version is missing");
        }
        else if (declared != key)
        {
            problems.Add($"version field '{declared}' differs from its key '{key}'");
        }

        var entryName = JsonRead.String(entry, "name");
        if (entryName is not null && entryName != packageName)
        {
            problems.Add($"name is '{entryName}', not '{packageName}'");
        }

        var dist = ParseDist(entry, problems);
        if (version is null || dist is null)
        {
            return null;
        }

        return new PackageVersion
        {
            Name = packageName,
            Version = version,
            Dist = dist,
            NpmUser = ParseNpmUser(JsonRead.Property(entry, "_npmUser")),
            Repository = ParseRepository(JsonRead.Property(entry, "repository")),
            GitHead = JsonRead.String(entry, "gitHead"),
            Deprecated = JsonRead.String(entry, "deprecated") is { Length: > 0 } d ? d : null,
            Scripts = JsonRead.StringMap(entry, "scripts"),
            Dependencies = JsonRead.StringMap(entry, "dependencies"),
            OptionalDependencies = JsonRead.StringMap(entry, "optionalDependencies"),
            PeerDependencies = JsonRead.StringMap(entry, "peerDependencies"),
            HasInstallScript = JsonRead.Bool(entry, "hasInstallScript"),
            Gypfile = JsonRead.Bool(entry, "gypfile"),
            Bin = ParseBin(packageName, JsonRead.Property(entry, "bin")),
            Maintainers = ParseMaintainers(JsonRead.Property(entry, "maintainers")),
        };
    }

    // "bin": "cli.js" installs a command named after the package (without its scope); an object names each.
    private static IReadOnlyList<string> ParseBin(string packageName, JsonElement? bin) => bin switch
    {
        { ValueKind: JsonValueKind.String } => [packageName[(packageName.IndexOf('/', StringComparison.Ordinal) + 1)..]],
        { ValueKind: JsonValueKind.Object } o => [.. o.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).Select(p => p.Name).Order(StringComparer.Ordinal)],
        _ => [],
    };

    private static IReadOnlyList<string> ParseMaintainers(JsonElement? maintainers) => maintainers switch
    {
        { ValueKind: JsonValueKind.Array } a => [.. a.EnumerateArray()
            .Select(m => m.ValueKind == JsonValueKind.Object ? JsonRead.String(m, "name") : m.ValueKind == JsonValueKind.String ? m.GetString() : null)
            .OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
        _ => [],
    };

    private static Dist? ParseDist(JsonElement entry, List<string> problems)
    {
        if (JsonRead.Property(entry, "dist") is not { ValueKind: JsonValueKind.Object } dist)
        {
            problems.Add("dist is missing or not an object");
            return null;
        }

        var tarball = JsonRead.HttpUrl(JsonRead.String(dist, "tarball"));
        if (tarball is null)
        {
            problems.Add("dist.tarball is missing or not an absolute http(s) URL");
        }

        var integrity = JsonRead.String(dist, "integrity");
        if (JsonRead.Property(dist, "integrity") is { } integrityValue && integrityValue.ValueKind != JsonValueKind.String)
        {
            problems.Add("dist.integrity is not a string");
        }
        else if (integrity is not null && Integrity.Parse(integrity).Hashes.Count == 0)
        {
            problems.Add("dist.integrity holds no usable sha1/sha256/sha384/sha512 hash");
        }

        var shasum = JsonRead.String(dist, "shasum");
        if (shasum is not null && !Integrity.IsValidShasum(shasum))
        {
            problems.Add("dist.shasum is not 40 hexadecimal digits");
        }

        var signatures = new List<DistSignature>();
        switch (JsonRead.Property(dist, "signatures"))
        {
            case null:
                break;
            case { ValueKind: JsonValueKind.Array } array:
                foreach (var s in array.EnumerateArray())
                {
                    var keyId = JsonRead.String(s, "keyid");
                    var sig = JsonRead.String(s, "sig");
                    if (string.IsNullOrEmpty(keyId) || string.IsNullOrEmpty(sig))
                    {
                        problems.Add("a dist.signatures entry lacks keyid or sig");
                        continue;
                    }

                    signatures.Add(new DistSignature(keyId, sig));
                }

                if (signatures.Count > Limits.MaxDistSignatures)
                {
                    problems.Add($"dist.signatures has more than {Limits.MaxDistSignatures} entries");
                }

                break;
            default:
                problems.Add("dist.signatures is not an array");
                break;
        }

        DistAttestations? attestations = null;
        switch (JsonRead.Property(dist, "attestations"))
        {
            case null:
                break;
            case { ValueKind: JsonValueKind.Object } att:
                var url = JsonRead.HttpUrl(JsonRead.String(att, "url"));
                if (url is null)
                {
                    problems.Add("dist.attestations.url is missing or not an absolute http(s) URL");
                    break;
                }

                var predicateType = JsonRead.Property(att, "provenance") is { } provenance ? JsonRead.String(provenance, "predicateType") : null;
                attestations = new DistAttestations(url, predicateType);
                break;
            default:
                problems.Add("dist.attestations is not an object");
                break;
        }

        if (tarball is null)
        {
            return null;
        }

        return new Dist
        {
            Tarball = tarball,
            Integrity = integrity,
            Shasum = shasum,
            Signatures = signatures,
            Attestations = attestations,
            FileCount = JsonRead.Int64(dist, "fileCount") is { } fc and >= 0 and <= int.MaxValue ? (int)fc : null,
            UnpackedSize = JsonRead.Int64(dist, "unpackedSize"),
        };
    }

    private static NpmUser? ParseNpmUser(JsonElement? value)
    {
        switch (value)
        {
            case { ValueKind: JsonValueKind.Object } user:
                TrustedPublisher? trusted = null;
                if (JsonRead.Property(user, "trustedPublisher") is { ValueKind: JsonValueKind.Object } tp && JsonRead.String(tp, "id") is { Length: > 0 } id)
                {
                    trusted = new TrustedPublisher { Id = id, Properties = JsonRead.StringMembers(tp, "id") };
                }

                NpmApprover? approver = null;
                if (JsonRead.Property(user, "approver") is { } a)
                {
                    approver = a.ValueKind switch
                    {
                        JsonValueKind.Object => new NpmApprover
                        {
                            Name = JsonRead.String(a, "name"),
                            Email = JsonRead.String(a, "email"),
                            Properties = JsonRead.StringMembers(a, "name", "email"),
                        },
                        JsonValueKind.String => new NpmApprover { Name = a.GetString() },
                        _ => null,
                    };
                }

                return new NpmUser
                {
                    Name = JsonRead.String(user, "name"),
                    Email = JsonRead.String(user, "email"),
                    TrustedPublisher = trusted,
                    Approver = approver,
                };
            case { ValueKind: JsonValueKind.String } s:
                // Very old documents store "name <email>".
                return new NpmUser { Name = s.GetString() };
            default:
                return null;
        }
    }

    private static RepositoryInfo? ParseRepository(JsonElement? value) => value switch
    {
        { ValueKind: JsonValueKind.String } s when s.GetString() is { Length: > 0 } url => new RepositoryInfo(url, null, null),
        { ValueKind: JsonValueKind.Object } o when JsonRead.String(o, "url") is { Length: > 0 } url =>
            new RepositoryInfo(url, JsonRead.String(o, "type"), JsonRead.String(o, "directory")),
        _ => null,
    };
}
