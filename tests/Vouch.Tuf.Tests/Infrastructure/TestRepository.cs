using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Vouch.Tuf.Tests.Infrastructure;

/// <summary>A delegation from top-level targets (or another delegated role) to a role the test repository also signs.</summary>
internal sealed class TestDelegation
{
    public required string Name { get; init; }

    /// <summary>The targets role whose metadata lists this delegation.</summary>
    public string Delegator { get; init; } = "targets";

    public List<TestKey> Keys { get; init; } = [TestKey.Ecdsa()];

    public int Threshold { get; set; } = 1;

    public bool Terminating { get; set; }

    public List<string> Paths { get; init; } = [];

    public long Version { get; set; } = 1;

    public Dictionary<string, byte[]> Targets { get; } = new(StringComparer.Ordinal);

    /// <summary>The role's own expiry; defaults to the repository's targets expiry.</summary>
    public DateTimeOffset? Expires { get; set; }

    /// <summary>Keys that sign the role's metadata; defaults to <see cref="Keys"/>.</summary>
    public List<TestKey>? Signers { get; set; }
}

/// <summary>
/// An in-memory TUF repository: it holds keys per role, writes and signs metadata the way a real
/// repository does (canonical JSON, consistent snapshot names) and serves it through <see cref="Handler"/>.
/// Tests mutate versions, keys, expiries or files between publishes to stage attacks.
/// </summary>
internal sealed class TestRepository
{
    public static readonly Uri BaseUrl = new("https://tuf.test/repo/");

    public TestRepository(DateTimeOffset now)
    {
        Now = now;
        RootExpires = TimestampExpires = SnapshotExpires = TargetsExpires = now.AddDays(365);
        foreach (var role in new[] { "root", "timestamp", "snapshot", "targets" })
        {
            Keys[role] = [TestKey.Ecdsa()];
            Thresholds[role] = 1;
        }

        Handler = new RepositoryHandler(this);
    }

    public DateTimeOffset Now { get; }

    /// <summary>Served files by path relative to <see cref="BaseUrl"/> ("timestamp.json", "targets/&lt;hash&gt;.a.txt").</summary>
    public Dictionary<string, byte[]> Files { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, List<TestKey>> Keys { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, int> Thresholds { get; } = new(StringComparer.Ordinal);

    public bool ConsistentSnapshot { get; set; } = true;

    public long RootVersion { get; set; } = 1;

    public long TimestampVersion { get; set; } = 1;

    public long SnapshotVersion { get; set; } = 1;

    public long TargetsVersion { get; set; } = 1;

    public DateTimeOffset RootExpires { get; set; }

    public DateTimeOffset TimestampExpires { get; set; }

    public DateTimeOffset SnapshotExpires { get; set; }

    public DateTimeOffset TargetsExpires { get; set; }

    /// <summary>Whether timestamp lists the snapshot's length and hashes (snapshot never lists them for targets by default).</summary>
    public bool TimestampListsHashes { get; set; } = true;

    public bool SnapshotListsHashes { get; set; }

    public Dictionary<string, byte[]> Targets { get; } = new(StringComparer.Ordinal);

    public List<TestDelegation> Delegations { get; } = [];

    /// <summary>Hooks that edit a role's <c>signed</c> object just before it is signed.</summary>
    public Action<JsonObject>? EditRoot { get; set; }

    public Action<JsonObject>? EditTimestamp { get; set; }

    public Action<JsonObject>? EditSnapshot { get; set; }

    public Action<JsonObject>? EditTargets { get; set; }

    /// <summary>Signers per role when they should differ from <see cref="Keys"/> (for bad signatures).</summary>
    public Dictionary<string, List<TestKey>> Signers { get; } = new(StringComparer.Ordinal);

    public RepositoryHandler Handler { get; }

    /// <summary>The last root published (what a client gets bootstrapped with).</summary>
    public byte[] RootBytes { get; private set; } = [];

    /// <summary>Signs and serves root version <see cref="RootVersion"/> as "N.root.json".</summary>
    public byte[] PublishRoot(IEnumerable<TestKey>? signers = null)
    {
        var roles = new JsonObject();
        var keys = new JsonObject();
        foreach (var role in new[] { "root", "timestamp", "snapshot", "targets" })
        {
            var keyIds = new JsonArray();
            foreach (var key in Keys[role])
            {
                keyIds.Add(key.KeyId);
                keys[key.KeyId] = key.ToJson();
            }

            roles[role] = new JsonObject { ["keyids"] = keyIds, ["threshold"] = Thresholds[role] };
        }

        var signed = new JsonObject
        {
            ["_type"] = "root",
            ["spec_version"] = "1.0.31",
            ["version"] = RootVersion,
            ["expires"] = Format(RootExpires),
            ["consistent_snapshot"] = ConsistentSnapshot,
            ["keys"] = keys,
            ["roles"] = roles,
        };
        EditRoot?.Invoke(signed);
        RootBytes = Sign(signed, signers ?? Keys["root"]);
        Files[$"{RootVersion}.root.json"] = RootBytes;
        return RootBytes;
    }

    /// <summary>Signs and serves targets (and delegated roles), snapshot, timestamp and the target files.</summary>
    public void Publish()
    {
        var snapshotMeta = new JsonObject();

        foreach (var delegation in Delegations)
        {
            var children = Delegations.Where(d => d.Delegator == delegation.Name).ToList();
            var bytes = Sign(TargetsSigned(delegation.Version, delegation.Expires ?? TargetsExpires, delegation.Targets, children), delegation.Signers ?? delegation.Keys);
            Files[MetadataName(delegation.Name, delegation.Version)] = bytes;
            snapshotMeta[$"{delegation.Name}.json"] = MetaEntry(delegation.Version, bytes, SnapshotListsHashes);
            ServeTargets(delegation.Targets);
        }

        var targetsSigned = TargetsSigned(TargetsVersion, TargetsExpires, Targets, Delegations.Where(d => d.Delegator == "targets").ToList());
        EditTargets?.Invoke(targetsSigned);
        var targets = Sign(targetsSigned, SignersFor("targets"));
        Files[MetadataName("targets", TargetsVersion)] = targets;
        snapshotMeta["targets.json"] = MetaEntry(TargetsVersion, targets, SnapshotListsHashes);
        ServeTargets(Targets);

        var snapshotSigned = new JsonObject
        {
            ["_type"] = "snapshot",
            ["spec_version"] = "1.0.31",
            ["version"] = SnapshotVersion,
            ["expires"] = Format(SnapshotExpires),
            ["meta"] = snapshotMeta,
        };
        EditSnapshot?.Invoke(snapshotSigned);
        var snapshot = Sign(snapshotSigned, SignersFor("snapshot"));
        Files[MetadataName("snapshot", SnapshotVersion)] = snapshot;

        var timestampSigned = new JsonObject
        {
            ["_type"] = "timestamp",
            ["spec_version"] = "1.0.31",
            ["version"] = TimestampVersion,
            ["expires"] = Format(TimestampExpires),
            ["meta"] = new JsonObject { ["snapshot.json"] = MetaEntry(SnapshotVersion, snapshot, TimestampListsHashes) },
        };
        EditTimestamp?.Invoke(timestampSigned);
        Files["timestamp.json"] = Sign(timestampSigned, SignersFor("timestamp"));
    }

    /// <summary>Where a served target lives: "targets/&lt;dir&gt;/&lt;sha256&gt;.&lt;name&gt;" with consistent snapshots.</summary>
    public string TargetFilePath(string targetPath, byte[] content)
    {
        if (!ConsistentSnapshot)
        {
            return "targets/" + targetPath;
        }

        var slash = targetPath.LastIndexOf('/');
        var hash = Convert.ToHexStringLower(SHA256.HashData(content));
        return slash < 0
            ? $"targets/{hash}.{targetPath}"
            : $"targets/{targetPath[..(slash + 1)]}{hash}.{targetPath[(slash + 1)..]}";
    }

    public static byte[] Sign(JsonObject signed, IEnumerable<TestKey> signers)
    {
        var canonical = TestKey.Canonical(signed);
        var signatures = new JsonArray();
        foreach (var key in signers)
        {
            signatures.Add(new JsonObject { ["keyid"] = key.KeyId, ["sig"] = Convert.ToHexStringLower(key.Sign(canonical)) });
        }

        var document = new JsonObject { ["signatures"] = signatures, ["signed"] = signed.DeepClone() };
        return Encoding.UTF8.GetBytes(document.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }

    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private IEnumerable<TestKey> SignersFor(string role) => Signers.TryGetValue(role, out var signers) ? signers : Keys[role];

    private string MetadataName(string role, long version) =>
        ConsistentSnapshot ? $"{version}.{Uri.EscapeDataString(role)}.json" : $"{Uri.EscapeDataString(role)}.json";

    private void ServeTargets(Dictionary<string, byte[]> targets)
    {
        foreach (var (path, content) in targets)
        {
            Files[TargetFilePath(path, content)] = content;
        }
    }

    private static JsonObject TargetsSigned(long version, DateTimeOffset expires, Dictionary<string, byte[]> targets, List<TestDelegation>? delegations)
    {
        var targetsObject = new JsonObject();
        foreach (var (path, content) in targets)
        {
            targetsObject[path] = new JsonObject
            {
                ["length"] = content.Length,
                ["hashes"] = new JsonObject
                {
                    ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(content)),
                    ["sha512"] = Convert.ToHexStringLower(SHA512.HashData(content)),
                },
            };
        }

        var signed = new JsonObject
        {
            ["_type"] = "targets",
            ["spec_version"] = "1.0.31",
            ["version"] = version,
            ["expires"] = Format(expires),
            ["targets"] = targetsObject,
        };

        if (delegations is { Count: > 0 })
        {
            var keys = new JsonObject();
            var roles = new JsonArray();
            foreach (var delegation in delegations)
            {
                var keyIds = new JsonArray();
                foreach (var key in delegation.Keys)
                {
                    keyIds.Add(key.KeyId);
                    keys[key.KeyId] = key.ToJson();
                }

                var paths = new JsonArray();
                foreach (var path in delegation.Paths)
                {
                    paths.Add(path);
                }

                roles.Add(new JsonObject
                {
                    ["name"] = delegation.Name,
                    ["keyids"] = keyIds,
                    ["threshold"] = delegation.Threshold,
                    ["terminating"] = delegation.Terminating,
                    ["paths"] = paths,
                });
            }

            signed["delegations"] = new JsonObject { ["keys"] = keys, ["roles"] = roles };
        }

        return signed;
    }

    private static JsonObject MetaEntry(long version, byte[] bytes, bool withHashes)
    {
        var entry = new JsonObject { ["version"] = version };
        if (withHashes)
        {
            entry["length"] = bytes.Length;
            entry["hashes"] = new JsonObject { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)) };
        }

        return entry;
    }
}

/// <summary>Serves a <see cref="TestRepository"/>'s files and records what was asked for; anything else is 404.</summary>
internal sealed class RepositoryHandler(TestRepository repository) : HttpMessageHandler
{
    public List<string> Requests { get; } = [];

    /// <summary>Status codes to answer instead of the file, by relative path.</summary>
    public Dictionary<string, System.Net.HttpStatusCode> Failures { get; } = new(StringComparer.Ordinal);

    /// <summary>Paths answered without a Content-Length header (so only the read loop can enforce caps).</summary>
    public HashSet<string> WithoutLength { get; } = new(StringComparer.Ordinal);

    /// <summary>Paths that never answer (until the request is cancelled).</summary>
    public HashSet<string> Stalled { get; } = new(StringComparer.Ordinal);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var url = request.RequestUri!.AbsoluteUri;
        var relative = url.StartsWith(TestRepository.BaseUrl.AbsoluteUri, StringComparison.Ordinal)
            ? Uri.UnescapeDataString(url[TestRepository.BaseUrl.AbsoluteUri.Length..])
            : url;
        lock (Requests)
        {
            Requests.Add(relative);
        }

        if (Stalled.Contains(relative))
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        if (Failures.TryGetValue(relative, out var status))
        {
            return new HttpResponseMessage(status);
        }

        if (!repository.Files.TryGetValue(relative, out var content))
        {
            return new HttpResponseMessage(System.Net.HttpStatusCode.NotFound);
        }

        HttpContent body = WithoutLength.Contains(relative) ? new UnknownLengthContent(content) : new ByteArrayContent(content);
        return new HttpResponseMessage(System.Net.HttpStatusCode.OK) { Content = body };
    }

    private sealed class UnknownLengthContent(byte[] content) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) => stream.WriteAsync(content).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>A fresh directory under the system temp directory, deleted afterwards.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vouch-tuf-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Leftover temp files do not affect the result.
        }
    }
}
