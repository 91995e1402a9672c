using System.Text.Json;
using Vouch.Npm;
using Vouch.Provenance;

namespace Vouch.Audit;

/// <summary>
/// Reads the evidence cache's JSON (a pack or a per-entry file) from a parsed document into the typed
/// model, by hand, in one pass of <see cref="Utf8JsonReader"/>. Why not <see cref="JsonSerializer"/>: a
/// warm audit reads a whole pack at start-up, and the serializer's generic code over these types (in
/// other assemblies) cannot be precompiled by ReadyToRun; its JIT cost was most of the pack read (526
/// methods, ~120 ms of ~160 ms CPU for 2,000 packages). A <see cref="JsonDocument"/> and a walk over it
/// still cost ~125 ms CPU for the 4.6 MB pack; one forward pass of the reader ~35 ms. The payload is
/// read only after its seal held (our own writer's output), so the one JSON reader's duplicate-name
/// check (<c>JsonInput</c>), a guard for untrusted documents, is not repeated here. Writing still goes through the
/// source-generated <see cref="AuditCacheJson"/> (the shapes are the same; a round-trip test holds
/// the two together). Strict like the serializer: a required field missing, or a field of the wrong
/// kind, is a <see cref="FormatException"/>, and the caller treats the whole input as a miss.
/// Unknown fields are ignored.
/// </summary>
internal static class PackReader
{
    // The deepest the cache's documents nest (pack, entries, value, facts, history, version, repository).
    private const int MaxDepth = 16;

    private delegate void Member(ref Utf8JsonReader reader, string name);

    public static EvidencePack.PackFile ReadPack(ReadOnlyMemory<byte> utf8)
    {
        var reader = Start(utf8.Span);
        string? format = null;
        List<EvidencePack.PackEntry?>? entries = null;
        List<EvidencePack.KeysRecord?>? keys = null;
        Object(ref reader, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "format": format = String(ref r); break;
                case "entries": entries = Entries(ref r, utf8); break;
                case "registryKeys": keys = List<EvidencePack.KeysRecord?>(ref r, KeysRecord); break;
                default: r.Skip(); break;
            }
        });
        End(ref reader);
        return new EvidencePack.PackFile { Format = format, Entries = entries, RegistryKeys = keys };
    }

    public static CachedEvidence ReadEntry(ReadOnlyMemory<byte> utf8)
    {
        var reader = Start(utf8.Span);
        var entry = Evidence(ref reader) ?? throw new FormatException("the entry is null");
        End(ref reader);
        return entry;
    }

    private static Utf8JsonReader Start(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
        if (!reader.Read())
        {
            throw new FormatException("empty document");
        }

        return reader;
    }

    private static void End(ref Utf8JsonReader reader)
    {
        if (reader.Read())
        {
            throw new FormatException("content after the document");
        }
    }

    private static EvidencePack.PackEntry? Entry(ref Utf8JsonReader reader)
    {
        string? key = null;
        CachedEvidence? value = null;
        return Object(ref reader, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "key": key = String(ref r); break;
                case "value": value = Evidence(ref r); break;
                default: r.Skip(); break;
            }
        }) ? new EvidencePack.PackEntry { Key = key, Value = value } : null;
    }

    /// <summary>
    /// The entries, which are nearly all of a pack: each one's bytes found by a skim (Skip also checks
    /// the JSON is well formed), then the entries read on every core at once. A warm audit waits for
    /// this read, so it is worth a second core.
    /// </summary>
    private static List<EvidencePack.PackEntry?>? Entries(ref Utf8JsonReader reader, ReadOnlyMemory<byte> utf8)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new FormatException($"expected an array, found {reader.TokenType}");
        }

        var ranges = new List<(int Start, int Length)>();
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            var start = checked((int)reader.TokenStartIndex);
            reader.Skip();
            ranges.Add((start, checked((int)reader.BytesConsumed) - start));
        }

        var result = new EvidencePack.PackEntry?[ranges.Count];
        Exception? failed = null;
        Parallel.For(0, ranges.Count, i =>
        {
            try
            {
                var (start, length) = ranges[i];
                var entry = Start(utf8.Span.Slice(start, length));
                result[i] = Entry(ref entry);
                End(ref entry);
            }
            catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
            {
                Interlocked.CompareExchange(ref failed, e, null);
            }
        });

        return failed is null ? [.. result] : throw new FormatException($"a pack entry is malformed: {failed.Message}", failed);
    }

    private static EvidencePack.KeysRecord? KeysRecord(ref Utf8JsonReader reader)
    {
        string? registry = null;
        DateTimeOffset? at = null;
        List<EvidencePack.ServedKey?>? keys = null;
        return Object(ref reader, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "registry": registry = String(ref r); break;
                case "checkedAt": at = Date(ref r); break;
                case "keys": keys = List<EvidencePack.ServedKey?>(ref r, ServedKey); break;
                default: r.Skip(); break;
            }
        }) ? new EvidencePack.KeysRecord { Registry = registry, CheckedAt = at, Keys = keys } : null;
    }

    private static EvidencePack.ServedKey? ServedKey(ref Utf8JsonReader reader)
    {
        string? id = null, type = null, scheme = null, key = null;
        DateTimeOffset? expires = null;
        return Object(ref reader, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "keyId": id = String(ref r); break;
                case "keyType": type = String(ref r); break;
                case "scheme": scheme = String(ref r); break;
                case "key": key = String(ref r); break;
                case "expires": expires = Date(ref r); break;
                default: r.Skip(); break;
            }
        }) ? new EvidencePack.ServedKey { KeyId = id, KeyType = type, Scheme = scheme, Key = key, Expires = expires } : null;
    }

    private static CachedEvidence? Evidence(ref Utf8JsonReader reader)
    {
        PackageReport? report = null;
        var full = false;
        ImmutableFacts? facts = null;
        return Object(ref reader, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "report": report = Report(ref r); break;
                case "fromFullDocument": full = Bool(ref r) ?? false; break;
                case "facts": facts = Facts(ref r); break;
                default: r.Skip(); break;
            }
        }) ? new CachedEvidence { Report = report ?? throw new FormatException("report is missing"), FromFullDocument = full, Facts = facts } : null;
    }

    private static PackageReport? Report(ref Utf8JsonReader reader)
    {
        string? name = null, version = null, trustedPublisher = null, approver = null, publishTimeSource = null, repositoryUrl = null, networkError = null;
        IntegrityReport? integrity = null;
        SignatureReport? signature = null;
        ProvenanceEvidence? provenance = null;
        PublishAttestationEvidence? attestation = null;
        var level = EvidenceLevel.None;
        DateTimeOffset? publishTime = null;
        List<Problem>? problems = null;
        List<string>? notes = null;
        var present = Object(ref reader, (ref Utf8JsonReader r, string field) =>
        {
            switch (field)
            {
                case "name": name = String(ref r); break;
                case "version": version = String(ref r); break;
                case "integrity": integrity = Pair(ref r, "algorithm", (s, a) => new IntegrityReport(s, a)); break;
                case "signature": signature = Pair(ref r, "keyId", (s, k) => new SignatureReport(s, k)); break;
                case "provenance": provenance = Provenance(ref r); break;
                case "publishAttestation": attestation = PublishAttestation(ref r); break;
                case "evidenceLevel": level = Level(String(ref r)); break;
                case "trustedPublisher": trustedPublisher = String(ref r); break;
                case "approver": approver = String(ref r); break;
                case "publishTime": publishTime = Date(ref r); break;
                case "publishTimeSource": publishTimeSource = String(ref r); break;
                case "repositoryUrl": repositoryUrl = String(ref r); break;
                case "problems": problems = List<Problem>(ref r, (ref Utf8JsonReader x) => Problem(ref x) ?? throw new FormatException("a problem is null")); break;
                case "notes": notes = List<string>(ref r, (ref Utf8JsonReader x) => String(ref x) ?? throw new FormatException("a note is null")); break;
                case "networkError": networkError = String(ref r); break;
                default: r.Skip(); break;
            }
        });
        return present
            ? new PackageReport
            {
                Name = name ?? throw new FormatException("name is missing"),
                Version = version ?? throw new FormatException("version is missing"),
                Integrity = integrity ?? new IntegrityReport("absent", null),
                Signature = signature ?? new SignatureReport("absent", null),
                Provenance = provenance ?? new ProvenanceEvidence(),
                PublishAttestation = attestation ?? new PublishAttestationEvidence(),
                EvidenceLevel = level,
                TrustedPublisher = trustedPublisher,
                Approver = approver,
                PublishTime = publishTime,
                PublishTimeSource = publishTimeSource,
                RepositoryUrl = repositoryUrl,
                Problems = problems ?? [],
                Notes = notes ?? [],
                NetworkError = networkError,
            }
            : null;
    }

    /// <summary>A <c>{status, X}</c> object (integrity, signature).</summary>
    private static T? Pair<T>(ref Utf8JsonReader reader, string second, Func<string, string?, T> create)
        where T : class
    {
        string? status = null, other = null;
        return Object(ref reader, (ref Utf8JsonReader r, string name) =>
        {
            if (name == "status")
            {
                status = String(ref r);
            }
            else if (name == second)
            {
                other = String(ref r);
            }
            else
            {
                r.Skip();
            }
        }) ? create(status ?? throw new FormatException("status is missing"), other) : null;
    }

    private static ProvenanceEvidence? Provenance(ref Utf8JsonReader reader)
    {
        var status = EvidenceStatus.Absent;
        ProvenanceClaims? claims = null;
        string? issuer = null, identity = null, runner = null, bundle = null;
        long? logIndex = null;
        DateTimeOffset? integrated = null;
        Problem? problem = null;
        return Object(ref reader, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "status": status = Status(String(ref r)); break;
                case "claims": claims = Claims(ref r); break;
                case "issuer": issuer = String(ref r); break;
                case "certificateIdentity": identity = String(ref r); break;
                case "runnerEnvironment": runner = String(ref r); break;
                case "logIndex": logIndex = Int64(ref r); break;
                case "integratedTime": integrated = Date(ref r); break;
                case "bundleSha256": bundle = String(ref r); break;
                case "problem": problem = Problem(ref r); break;
                default: r.Skip(); break;
            }
        })
            ? new ProvenanceEvidence { Status = status, Claims = claims, Issuer = issuer, CertificateIdentity = identity, RunnerEnvironment = runner, LogIndex = logIndex, IntegratedTime = integrated, BundleSha256 = bundle, Problem = problem }
            : null;
    }

    private static ProvenanceClaims? Claims(ref Utf8JsonReader reader)
    {
        string? predicateType = null, buildType = null, repository = null, sourceRef = null, commit = null, workflow = null, builder = null, trigger = null, invocation = null;
        return Object(ref reader, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "predicateType": predicateType = String(ref r); break;
                case "buildType": buildType = String(ref r); break;
                case "sourceRepository": repository = String(ref r); break;
                case "sourceRef": sourceRef = String(ref r); break;
                case "sourceCommit": commit = String(ref r); break;
                case "workflowPath": workflow = String(ref r); break;
                case "builderId": builder = String(ref r); break;
                case "buildTrigger": trigger = String(ref r); break;
                case "invocationUrl": invocation = String(ref r); break;
                default: r.Skip(); break;
            }
        })
            ? new ProvenanceClaims
            {
                PredicateType = predicateType ?? throw new FormatException("predicateType is missing"),
                BuildType = buildType,
                SourceRepository = repository,
                SourceRef = sourceRef,
                SourceCommit = commit,
                WorkflowPath = workflow,
                BuilderId = builder,
                BuildTrigger = trigger,
                InvocationUrl = invocation,
            }
            : null;
    }

    private static PublishAttestationEvidence? PublishAttestation(ref Utf8JsonReader reader)
    {
        var status = EvidenceStatus.Absent;
        string? keyId = null, bundle = null;
        long? logIndex = null;
        DateTimeOffset? integrated = null;
        Problem? problem = null;
        return Object(ref reader, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "status": status = Status(String(ref r)); break;
                case "keyId": keyId = String(ref r); break;
                case "integratedTime": integrated = Date(ref r); break;
                case "logIndex": logIndex = Int64(ref r); break;
                case "bundleSha256": bundle = String(ref r); break;
                case "problem": problem = Problem(ref r); break;
                default: r.Skip(); break;
            }
        })
            ? new PublishAttestationEvidence { Status = status, KeyId = keyId, IntegratedTime = integrated, LogIndex = logIndex, BundleSha256 = bundle, Problem = problem }
            : null;
    }

    private static EvidenceStatus Status(string? text) => text switch
    {
        null or nameof(EvidenceStatus.Absent) => EvidenceStatus.Absent,
        nameof(EvidenceStatus.Verified) => EvidenceStatus.Verified,
        nameof(EvidenceStatus.Invalid) => EvidenceStatus.Invalid,
        _ => throw new FormatException($"status '{text}'"),
    };

    private static EvidenceLevel Level(string? text) => text switch
    {
        null or nameof(EvidenceLevel.None) => EvidenceLevel.None,
        nameof(EvidenceLevel.Provenance) => EvidenceLevel.Provenance,
        nameof(EvidenceLevel.TrustedPublisher) => EvidenceLevel.TrustedPublisher,
        nameof(EvidenceLevel.StagedPublish) => EvidenceLevel.StagedPublish,
        _ => throw new FormatException($"evidenceLevel '{text}'"),
    };

    private static Problem? Problem(ref Utf8JsonReader reader)
    {
        string? code = null, message = null;
        var incomplete = false;
        return Object(ref reader, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "code": code = String(ref r); break;
                case "message": message = String(ref r); break;
                case "incomplete": incomplete = Bool(ref r) ?? false; break;
                default: r.Skip(); break;
            }
        })
            ? new Problem(code ?? throw new FormatException("code is missing"), message ?? throw new FormatException("message is missing")) { Incomplete = incomplete }
            : null;
    }

    private static ImmutableFacts? Facts(ref Utf8JsonReader reader)
    {
        VersionFacts? version = null;
        List<VersionFacts>? history = null;
        string? deprecated = null;
        DateTimeOffset? checkedAt = null;
        return Object(ref reader, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "version": version = VersionFacts(ref r); break;
                case "history": history = List<VersionFacts>(ref r, (ref Utf8JsonReader x) => VersionFacts(ref x) ?? throw new FormatException("a history entry is null")); break;
                case "deprecated": deprecated = String(ref r); break;
                case "checkedAt": checkedAt = Date(ref r); break;
                default: r.Skip(); break;
            }
        })
            ? new ImmutableFacts
            {
                Version = version ?? throw new FormatException("facts without a version"),
                History = history ?? throw new FormatException("facts without history"),
                Deprecated = deprecated,
                CheckedAt = checkedAt ?? throw new FormatException("facts without checkedAt"),
            }
            : null;
    }

    private static VersionFacts? VersionFacts(ref Utf8JsonReader reader)
    {
        string? version = null, tarball = null, integrity = null, attestations = null, predicateType = null, publisher = null, approverName = null;
        DateTimeOffset? time = null;
        var hasApprover = false;
        RepositoryInfo? repository = null;
        Dictionary<string, string>? scripts = null;
        bool? gypfile = null, hasInstallScript = null;
        return Object(ref reader, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "version": version = String(ref r); break;
                case "time": time = Date(ref r); break;
                case "tarball": tarball = String(ref r); break;
                case "integrity": integrity = String(ref r); break;
                case "attestationsUrl": attestations = String(ref r); break;
                case "provenancePredicateType": predicateType = String(ref r); break;
                case "trustedPublisher": publisher = String(ref r); break;
                case "hasApprover": hasApprover = Bool(ref r) ?? false; break;
                case "approverName": approverName = String(ref r); break;
                case "repository": repository = Repository(ref r); break;
                case "scripts": scripts = Scripts(ref r); break;
                case "gypfile": gypfile = Bool(ref r); break;
                case "hasInstallScript": hasInstallScript = Bool(ref r); break;
                default: r.Skip(); break;
            }
        })
            ? new VersionFacts
            {
                Version = version ?? throw new FormatException("version is missing"),
                Time = time,
                Tarball = tarball ?? throw new FormatException("tarball is missing"),
                Integrity = integrity,
                AttestationsUrl = attestations,
                ProvenancePredicateType = predicateType,
                TrustedPublisher = publisher,
                HasApprover = hasApprover,
                ApproverName = approverName,
                Repository = repository,
                Scripts = scripts ?? new Dictionary<string, string>(StringComparer.Ordinal),
                Gypfile = gypfile,
                HasInstallScript = hasInstallScript,
            }
            : null;
    }

    private static RepositoryInfo? Repository(ref Utf8JsonReader reader)
    {
        string? url = null, type = null, directory = null;
        return Object(ref reader, (ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "url": url = String(ref r); break;
                case "type": type = String(ref r); break;
                case "directory": directory = String(ref r); break;
                default: r.Skip(); break;
            }
        })
            ? new RepositoryInfo(url ?? throw new FormatException("url is missing"), type, directory)
            : null;
    }

    private static Dictionary<string, string>? Scripts(ref Utf8JsonReader reader)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        return Object(ref reader, (ref Utf8JsonReader r, string name) => result[name] = String(ref r) ?? throw new FormatException("a script is null")) ? result : null;
    }

    /// <summary>
    /// Reads an object member by member (the reader on its start; left on its end); false for a JSON
    /// null. Anything else is a <see cref="FormatException"/>.
    /// </summary>
    private static bool Object(ref Utf8JsonReader reader, Member member)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return false;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new FormatException($"expected an object, found {reader.TokenType}");
        }

        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            var name = reader.GetString()!;
            Next(ref reader);
            member(ref reader, name);
        }

        return true;
    }

    private delegate T Item<T>(ref Utf8JsonReader reader);

    private static List<T>? List<T>(ref Utf8JsonReader reader, Item<T> item)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new FormatException($"expected an array, found {reader.TokenType}");
        }

        var result = new List<T>();
        while (Next(ref reader) != JsonTokenType.EndArray)
        {
            result.Add(item(ref reader));
        }

        return result;
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw new FormatException("the document ends early");

    private static string? String(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => reader.GetString(),
        _ => throw new FormatException($"expected a string, found {reader.TokenType}"),
    };

    private static bool? Bool(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw new FormatException($"expected a boolean, found {reader.TokenType}"),
    };

    private static long? Int64(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.Number when reader.TryGetInt64(out var n) => n,
        _ => throw new FormatException($"expected an integer, found {reader.TokenType}"),
    };

    private static DateTimeOffset? Date(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String when reader.TryGetDateTimeOffset(out var d) => d,
        _ => throw new FormatException($"expected a date, found {reader.TokenType}"),
    };
}
