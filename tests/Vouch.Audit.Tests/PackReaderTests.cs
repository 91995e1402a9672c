using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Npm;
using Vouch.Provenance;

namespace Vouch.Audit.Tests;

/// <summary>
/// The hand-written reader of the evidence cache reads back exactly what the source-generated writer
/// wrote, for every field of every type in an entry (a field added to a report or to the facts
/// without teaching the reader fails here), and refuses malformed input instead of guessing.
/// </summary>
public sealed class PackReaderTests
{
    private static readonly DateTimeOffset At = new(2026, 5, 4, 3, 2, 1, TimeSpan.FromHours(2));

    private static VersionFacts Facts(string version) => new()
    {
        Version = version,
        Time = At,
        Tarball = $"https://registry.example/a/-/a-{version}.tgz",
        Integrity = "sha512-AAAA",
        AttestationsUrl = $"https://registry.example/-/npm/v1/attestations/a@{version}",
        ProvenancePredicateType = "https://slsa.dev/provenance/v1",
        TrustedPublisher = "github",
        HasApprover = true,
        ApproverName = "alice",
        Repository = new RepositoryInfo("git+https://github.com/o/a.git", "git", "packages/a"),
        Scripts = new Dictionary<string, string> { ["postinstall"] = "node x.js" },
        Gypfile = true,
        HasInstallScript = false,
    };

    /// <summary>An entry with every field of every type set to a value other than its default.</summary>
    private static CachedEvidence Full() => new()
    {
        Report = new PackageReport
        {
            Name = "@s/a",
            Version = "1.2.3",
            Integrity = new IntegrityReport("verified", "sha512"),
            Signature = new SignatureReport("verified", "SHA256:k"),
            Provenance = new ProvenanceEvidence
            {
                Status = EvidenceStatus.Invalid,
                Claims = new ProvenanceClaims
                {
                    PredicateType = "https://slsa.dev/provenance/v1",
                    BuildType = "bt",
                    SourceRepository = "https://github.com/o/a",
                    SourceRef = "refs/tags/v1.2.3",
                    SourceCommit = "0123",
                    WorkflowPath = ".github/workflows/r.yml",
                    BuilderId = "builder",
                    BuildTrigger = "push",
                    InvocationUrl = "https://github.com/o/a/actions/runs/1",
                },
                Issuer = "https://token.actions.githubusercontent.com",
                CertificateIdentity = "id",
                RunnerEnvironment = "github-hosted",
                LogIndex = 42,
                IntegratedTime = At,
                BundleSha256 = "ff",
                Problem = new Problem("VOUCH_X", "bad") { Incomplete = true },
            },
            PublishAttestation = new PublishAttestationEvidence
            {
                Status = EvidenceStatus.Verified,
                KeyId = "SHA256:k",
                IntegratedTime = At.AddSeconds(1),
                LogIndex = 43,
                BundleSha256 = "ee",
                Problem = new Problem("VOUCH_Y", "odd"),
            },
            EvidenceLevel = EvidenceLevel.StagedPublish,
            TrustedPublisher = "github",
            Approver = "alice",
            PublishTime = At,
            PublishTimeSource = "transparency-log",
            RepositoryUrl = "git+https://github.com/o/a.git",
            Problems = [new Problem("VOUCH_Z", "z"), new Problem("VOUCH_W", "w") { Incomplete = true }],
            Notes = ["a note"],
            NetworkError = "refused",
        },
        FromFullDocument = true,
        Facts = new ImmutableFacts { Version = Facts("1.2.3"), History = [Facts("1.2.2"), Facts("1.2.1")], Deprecated = "use b", CheckedAt = At },
    };

    private static string Write(CachedEvidence entry) => Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(entry, AuditCacheJson.Default.CachedEvidence));

    [Fact]
    public void ReadEntry_OfWhatTheWriterWrote_GivesBackEveryField()
    {
        var written = Write(Full());

        var read = PackReader.ReadEntry(Encoding.UTF8.GetBytes(written));

        Assert.Equal(written, Write(read));
    }

    [Fact]
    public void FullSample_SetsEveryPropertyOfEveryCachedType()
    {
        // The round trip above proves only the fields the sample sets: every public property of every
        // type an entry holds must appear in it, so a new field fails here until the sample (and then
        // the reader) covers it.
        var json = JsonNode.Parse(Write(Full()))!;
        var names = new HashSet<string>(StringComparer.Ordinal);
        void Collect(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var (k, v) in o)
                    {
                        names.Add(k);
                        if (k != "scripts")
                        {
                            Collect(v);
                        }
                    }

                    break;
                case JsonArray a:
                    foreach (var v in a)
                    {
                        Collect(v);
                    }

                    break;
            }
        }

        Collect(json);
        Type[] types = [typeof(CachedEvidence), typeof(PackageReport), typeof(IntegrityReport), typeof(SignatureReport), typeof(ProvenanceEvidence), typeof(ProvenanceClaims),
            typeof(PublishAttestationEvidence), typeof(Problem), typeof(ImmutableFacts), typeof(VersionFacts), typeof(RepositoryInfo)];
        var missing = types
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.Name != "EqualityContract").Select(p => (t, Name: JsonNamingPolicy.CamelCase.ConvertName(p.Name))))
            .Where(x => !names.Contains(x.Name))
            .Select(x => $"{x.t.Name}.{x.Name}")
            .ToList();
        Assert.Empty(missing);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"report\":{\"name\":\"a\"}}")]
    [InlineData("{\"report\":{\"name\":\"a\",\"version\":1}}")]
    [InlineData("{\"report\":{\"name\":\"a\",\"version\":\"1.0.0\",\"provenance\":{\"status\":\"Trusted\"}}}")]
    [InlineData("{\"report\":{\"name\":\"a\",\"version\":\"1.0.0\",\"evidenceLevel\":\"Root\"}}")]
    [InlineData("{\"report\":{\"name\":\"a\",\"version\":\"1.0.0\",\"publishTime\":\"yesterday\"}}")]
    [InlineData("{\"report\":{\"name\":\"a\",\"version\":\"1.0.0\",\"problems\":[null]}}")]
    [InlineData("{\"report\":{\"name\":\"a\",\"version\":\"1.0.0\"},\"facts\":{\"version\":{\"version\":\"1.0.0\",\"tarball\":\"https://x/a.tgz\"},\"checkedAt\":\"2026-01-01T00:00:00Z\"}}")]
    [InlineData("{\"report\":{\"name\":\"a\",\"version\":\"1.0.0\"}")]
    [InlineData("{\"report\":{\"name\":\"a\",\"version\":\"1.0.0\"}} {}")]
    [InlineData("[]")]
    public void ReadEntry_WhenMalformed_ThrowsWhatTheCacheTreatsAsAMiss(string json)
    {
        var e = Record.Exception(() => PackReader.ReadEntry(Encoding.UTF8.GetBytes(json)));
        Assert.True(e is FormatException or JsonException, e?.ToString() ?? "no exception");
    }

    [Fact]
    public void ReadEntry_WhenFieldsAreUnknownOrNull_IgnoresThem()
    {
        var read = PackReader.ReadEntry(Encoding.UTF8.GetBytes("{\"report\":{\"name\":\"a\",\"version\":\"1.0.0\",\"future\":{\"x\":[1,2]},\"approver\":null}}"));
        Assert.Equal(("a", "1.0.0", null), (read.Report.Name, read.Report.Version, read.Report.Approver));
    }

    private static string PackOf(IEnumerable<string> entries) =>
        "{\"format\":\"vouch-audit-pack-1\",\"entries\":[" + string.Join(",", entries) + "]}";

    private static string EntryJson(int i) =>
        $"{{\"key\":\"k{i}\",\"value\":{{\"report\":{{\"name\":\"p{i}\",\"version\":\"1.0.{i}\"}}}}}}";

    [Fact]
    public void ReadPack_WhenEntriesAreReadInParallel_KeepsEveryEntryInItsOrder()
    {
        var pack = PackReader.ReadPack(Encoding.UTF8.GetBytes(PackOf(Enumerable.Range(0, 3000).Select(EntryJson))));

        Assert.Equal(Enumerable.Range(0, 3000).Select(i => ($"k{i}", $"p{i}", $"1.0.{i}")), pack.Entries!.Select(e => (e!.Key!, e.Value!.Report.Name, e.Value.Report.Version)));
    }

    [Theory]
    [InlineData("7")]
    [InlineData("\"text\"")]
    [InlineData("{\"key\":\"x\",\"value\":{\"report\":{\"name\":\"a\",\"version\":1}}}")]
    [InlineData("{\"key\":\"x\",\"value\":[]}")]
    public void ReadPack_WhenOneEntryAmongManyIsMalformed_ThrowsWhatTheCacheTreatsAsAMiss(string bad)
    {
        var entries = Enumerable.Range(0, 500).Select(EntryJson).ToList();
        entries.Insert(250, bad);

        var e = Record.Exception(() => PackReader.ReadPack(Encoding.UTF8.GetBytes(PackOf(entries))));

        Assert.True(e is FormatException or JsonException, e?.ToString() ?? "no exception");
    }

    [Fact]
    public void ReadPack_WhenAnEntryIsCutShort_ThrowsWhatTheCacheTreatsAsAMiss()
    {
        var text = PackOf(Enumerable.Range(0, 100).Select(EntryJson));
        var cut = text.Remove(text.IndexOf("\"k50\"", StringComparison.Ordinal) + 10, 5);

        var e = Record.Exception(() => PackReader.ReadPack(Encoding.UTF8.GetBytes(cut)));

        Assert.True(e is FormatException or JsonException, e?.ToString() ?? "no exception");
    }

    public static TheoryData<int, bool> Packs => new() { { 0, false }, { 1, true }, { 700, true }, { 700, false } };

    [Theory]
    [MemberData(nameof(Packs))]
    public void Serialize_WhenEntriesAreWrittenInParallel_GivesTheGeneratedSerializersBytes(int count, bool withKeys)
    {
        var file = new EvidencePack.PackFile
        {
            Format = "vouch-audit-pack-1",
            Entries = [.. Enumerable.Range(0, count).Select(i => (EvidencePack.PackEntry?)new EvidencePack.PackEntry { Key = $"k{i}+<", Value = i % 3 == 0 ? null : Full() })],
            RegistryKeys = withKeys ? [new EvidencePack.KeysRecord { Registry = "https://r.example/", CheckedAt = At, Keys = [new EvidencePack.ServedKey { KeyId = "SHA256:x+y", KeyType = "ecdsa-sha2-nistp256", Scheme = "ecdsa-sha2-nistp256", Key = "AAAA", Expires = null }] }] : null,
        };

        var expected = JsonSerializer.SerializeToUtf8Bytes(file, AuditCacheJson.Default.PackFile);

        Assert.Equal(Encoding.UTF8.GetString(expected), Encoding.UTF8.GetString(EvidencePack.Serialize(file)));
    }
}
