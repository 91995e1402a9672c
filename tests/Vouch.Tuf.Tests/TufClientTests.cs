using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Vouch.Tuf.Tests.Infrastructure;

namespace Vouch.Tuf.Tests;

public sealed class TufClientTests : IDisposable
{
    private const string Target = "files/hello.json";

    private readonly TufFixture _f = new();

    private TestRepository Repo => _f.Repository;

    public void Dispose() => _f.Dispose();

    [Fact]
    public async Task UpdateAsync_WhenRepositoryIsValid_TrustsAndPersistsTopLevelMetadata()
    {
        var summary = Expect.Success(await _f.UpdateAsync());

        Assert.Equal(1, summary.RootVersion);
        Assert.Equal(1, summary.TimestampVersion);
        Assert.Equal(1, summary.SnapshotVersion);
        Assert.Equal(1, summary.TargetsVersion);
        Assert.True(summary.ConsistentSnapshot);
        Assert.Equal(Repo.TimestampExpires, summary.FreshUntil);
        foreach (var file in new[] { "root.json", "timestamp.json", "snapshot.json", "targets.json" })
        {
            Assert.True(File.Exists(Path.Combine(_f.MetadataDirectory, file)), file);
        }

        Assert.Empty(Directory.GetFiles(_f.MetadataDirectory, "*.tmp"));
    }

    [Fact]
    public async Task InitializeMetadataDirectory_WhenRootIsSelfSigned_StoresItAsTheTrustedRoot()
    {
        var result = TufClient.InitializeMetadataDirectory(_f.MetadataDirectory, _f.Bootstrap);

        Assert.Equal(1, Expect.Success(result));
        Assert.Equal(_f.Bootstrap, File.ReadAllBytes(Path.Combine(_f.MetadataDirectory, "root.json")));

        // A client with no bootstrap root of its own now starts from the stored one.
        using var client = new TufClient(new TufClientOptions
        {
            MetadataBaseUrl = TestRepository.BaseUrl,
            MetadataDirectory = _f.MetadataDirectory,
            HttpHandler = Repo.Handler,
            TimeProvider = _f.Clock,
        });
        Expect.Success(await client.UpdateAsync());
    }

    [Fact]
    public void InitializeMetadataDirectory_WhenRootSignatureIsWrong_FailsAndWritesNothing()
    {
        var tampered = Expect.EditSignatures(_f.Bootstrap, signatures => signatures[0]!["sig"] = new string('0', 128));

        Expect.Failure(TufClient.InitializeMetadataDirectory(_f.MetadataDirectory, tampered), TufErrorCodes.RootThreshold);
        Assert.False(File.Exists(Path.Combine(_f.MetadataDirectory, "root.json")));
    }

    [Fact]
    public async Task GetTargetAsync_WhenTargetIsListed_ReturnsVerifiedBytesAndCachesThem()
    {
        using var client = _f.Client();

        var bytes = Expect.Success(await client.GetTargetAsync(Target));

        Assert.Equal(TufFixture.TargetContent, bytes);
        Assert.Equal(TufFixture.TargetContent, File.ReadAllBytes(Path.Combine(_f.TargetDirectory, Uri.EscapeDataString(Target))));
        var info = Expect.Success(await client.GetTargetInfoAsync(Target));
        Assert.Equal("targets", info.Role);
        Assert.Equal(TufFixture.TargetContent.Length, info.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(TufFixture.TargetContent)), info.Hashes["sha256"]);
    }

    [Fact]
    public async Task GetTargetAsync_WhenConsistentSnapshot_FetchesVersionedMetadataAndHashPrefixedTarget()
    {
        using var client = _f.Client();

        Expect.Success(await client.GetTargetAsync(Target));

        var hash = Convert.ToHexStringLower(SHA256.HashData(TufFixture.TargetContent));
        Assert.Equal(["2.root.json", "timestamp.json", "1.snapshot.json", "1.targets.json", $"targets/files/{hash}.hello.json"], Repo.Handler.Requests);
    }

    [Fact]
    public async Task GetTargetAsync_WhenNotConsistentSnapshot_FetchesPlainNames()
    {
        Repo.ConsistentSnapshot = false;
        Repo.RootVersion = 2;
        Repo.PublishRoot();
        Repo.Publish();
        using var client = _f.Client();

        Expect.Success(await client.GetTargetAsync(Target));

        Assert.Equal(["2.root.json", "3.root.json", "timestamp.json", "snapshot.json", "targets.json", "targets/files/hello.json"], Repo.Handler.Requests);
    }

    [Fact]
    public async Task UpdateAsync_WhenRootRotatesTwiceWithNewKeysAndThresholds_TrustsNewestRoot()
    {
        var v1Keys = Repo.Keys["root"];
        var v2Keys = new List<TestKey> { TestKey.Ecdsa(), TestKey.Ed25519() };
        Repo.Keys["root"] = v2Keys;
        Repo.Thresholds["root"] = 2;
        Repo.RootVersion = 2;
        Repo.PublishRoot([.. v1Keys, .. v2Keys]);

        var v3Keys = new List<TestKey> { TestKey.Ecdsa(), TestKey.Ecdsa(), TestKey.Ed25519() };
        Repo.Keys["root"] = v3Keys;
        Repo.Thresholds["root"] = 3;
        Repo.Keys["targets"] = [TestKey.Ed25519()];
        Repo.RootVersion = 3;
        var v3 = Repo.PublishRoot([.. v2Keys, .. v3Keys]);
        Repo.TargetsVersion = 2;
        Repo.SnapshotVersion = 2;
        Repo.TimestampVersion = 2;
        Repo.Publish();

        using var client = _f.Client();
        var summary = Expect.Success(await client.UpdateAsync());

        Assert.Equal(3, summary.RootVersion);
        Assert.Equal(v3, File.ReadAllBytes(Path.Combine(_f.MetadataDirectory, "root.json")));
        Assert.Equal(TufFixture.TargetContent, Expect.Success(await client.GetTargetAsync(Target)));
    }

    [Fact]
    public async Task UpdateAsync_WhenNewRootIsSignedOnlyByNewKeys_FailsRootThreshold()
    {
        Repo.Keys["root"] = [TestKey.Ecdsa()];
        Repo.RootVersion = 2;
        Repo.PublishRoot();

        var error = Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.RootThreshold);

        Assert.Contains("trusted root v1", error.Message, StringComparison.Ordinal);
        Assert.Equal(_f.Bootstrap, File.ReadAllBytes(Path.Combine(_f.MetadataDirectory, "root.json")));
    }

    [Fact]
    public async Task UpdateAsync_WhenNewRootMissesItsOwnThreshold_FailsRootThreshold()
    {
        var old = Repo.Keys["root"];
        var newKeys = new List<TestKey> { TestKey.Ecdsa(), TestKey.Ecdsa() };
        Repo.Keys["root"] = newKeys;
        Repo.Thresholds["root"] = 2;
        Repo.RootVersion = 2;
        Repo.PublishRoot([.. old, newKeys[0]]);

        var error = Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.RootThreshold);

        Assert.Contains("its own keys", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_WhenRootFileSkipsAVersion_FailsVersionMismatch()
    {
        Repo.RootVersion = 3;
        Repo.Files["2.root.json"] = Repo.PublishRoot();

        Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.VersionMismatch);
    }

    [Fact]
    public async Task UpdateAsync_WhenNextRootFileReplaysOldRoot_FailsRollback()
    {
        Repo.Files["2.root.json"] = _f.Bootstrap;

        Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Rollback);
    }

    [Fact]
    public async Task UpdateAsync_WhenFinalRootIsExpired_FailsExpired()
    {
        _f.Clock.Now = Repo.RootExpires;

        var error = Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Expired);

        Assert.Contains("root v1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_WhenExpiredRootIsRenewedByNewerRoot_Succeeds()
    {
        _f.Clock.Now = Repo.RootExpires.AddDays(1);
        Repo.RootExpires = _f.Clock.Now.AddDays(30);
        Repo.TimestampExpires = Repo.SnapshotExpires = Repo.TargetsExpires = _f.Clock.Now.AddDays(7);
        Repo.RootVersion = 2;
        Repo.PublishRoot();
        Repo.Publish();

        var summary = Expect.Success(await _f.UpdateAsync());

        Assert.Equal(2, summary.RootVersion);
    }

    [Fact]
    public async Task UpdateAsync_WhenRotationsExceedCap_StopsAtCapAndUsesNewestReached()
    {
        for (var v = 2; v <= 4; v++)
        {
            Repo.RootVersion = v;
            Repo.PublishRoot();
        }

        using var client = _f.Client(new TufLimits { MaxRootRotations = 2 });
        var summary = Expect.Success(await client.UpdateAsync());

        Assert.Equal(3, summary.RootVersion);
        Assert.DoesNotContain("4.root.json", Repo.Handler.Requests);
    }

    [Fact]
    public async Task UpdateAsync_WhenTimestampIsExpired_FailsExpired()
    {
        Repo.TimestampExpires = _f.Clock.Now.AddSeconds(-1);
        Repo.Publish();

        var error = Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Expired);

        Assert.Contains("timestamp", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_WhenTimestampVersionGoesBack_FailsRollback()
    {
        Repo.TimestampVersion = 2;
        Repo.Publish();
        Expect.Success(await _f.UpdateAsync());

        Repo.TimestampVersion = 1;
        Repo.Publish();

        Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Rollback);
    }

    [Fact]
    public async Task UpdateAsync_WhenTimestampNamesOlderSnapshot_FailsRollback()
    {
        Repo.SnapshotVersion = 2;
        Repo.Publish();
        Expect.Success(await _f.UpdateAsync());

        Repo.TimestampVersion = 2;
        Repo.SnapshotVersion = 1;
        Repo.Publish();

        var error = Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Rollback);
        Assert.Contains("snapshot version 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_WhenTimestampIsUnchanged_KeepsCachedSnapshotAndTargets()
    {
        Expect.Success(await _f.UpdateAsync());
        Repo.Handler.Requests.Clear();

        Expect.Success(await _f.UpdateAsync());

        Assert.Equal(["2.root.json", "timestamp.json"], Repo.Handler.Requests);
    }

    [Fact]
    public async Task UpdateAsync_WhenSnapshotRollsBackTargetsVersion_FailsRollback()
    {
        Repo.TargetsVersion = 2;
        Repo.Publish();
        Expect.Success(await _f.UpdateAsync());

        Repo.TimestampVersion = 2;
        Repo.SnapshotVersion = 2;
        Repo.TargetsVersion = 1;
        Repo.Publish();

        var error = Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Rollback);
        Assert.Contains("targets.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_WhenSnapshotDropsAListedRole_FailsRollback()
    {
        Repo.Delegations.Add(new TestDelegation { Name = "team", Paths = ["team/*"] });
        Repo.Publish();
        Expect.Success(await _f.UpdateAsync());

        Repo.Delegations.Clear();
        Repo.TimestampVersion = 2;
        Repo.SnapshotVersion = 2;
        Repo.Publish();

        var error = Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Rollback);
        Assert.Contains("team.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_WhenSnapshotBytesDifferFromTimestampHash_FailsMetadataHashMismatch()
    {
        // Same length, same signed content, different bytes: only the hash can tell.
        var snapshot = Repo.Files["1.snapshot.json"];
        var index = Array.IndexOf(snapshot, (byte)'\n');
        snapshot[index] = (byte)' ';

        Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.MetadataHashMismatch);
    }

    [Fact]
    public async Task UpdateAsync_WhenSnapshotLengthDiffersFromTimestamp_FailsMetadataLength()
    {
        Repo.Files["1.snapshot.json"] = [.. Repo.Files["1.snapshot.json"], (byte)' '];

        Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.MetadataLength);
    }

    [Fact]
    public async Task UpdateAsync_WhenSnapshotVersionDiffersFromTimestamp_FailsVersionMismatch()
    {
        Repo.TimestampListsHashes = false;
        Repo.EditTimestamp = signed => signed["meta"]!["snapshot.json"]!["version"] = 2;
        Repo.Publish();
        Repo.Files["2.snapshot.json"] = Repo.Files["1.snapshot.json"];

        Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.VersionMismatch);
    }

    [Fact]
    public async Task UpdateAsync_WhenTargetsVersionDiffersFromSnapshot_FailsVersionMismatch()
    {
        Repo.EditSnapshot = signed => signed["meta"]!["targets.json"]!["version"] = 2;
        Repo.Publish();
        Repo.Files["2.targets.json"] = Repo.Files["1.targets.json"];

        var error = Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.VersionMismatch);
        Assert.Contains("targets.json has version 1, snapshot lists 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_WhenTargetsIsExpired_FailsExpired()
    {
        Repo.TargetsExpires = _f.Clock.Now;
        Repo.Publish();

        Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Expired);
    }

    [Fact]
    public async Task UpdateAsync_WhenSnapshotIsExpired_FailsExpired()
    {
        Repo.SnapshotExpires = _f.Clock.Now.AddDays(-1);
        Repo.Publish();

        Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Expired);
    }

    [Fact]
    public async Task UpdateAsync_WhenTimestampSignedByUnknownKey_FailsThreshold()
    {
        Repo.Signers["timestamp"] = [TestKey.Ecdsa()];
        Repo.Publish();

        Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Threshold);
    }

    [Fact]
    public async Task UpdateAsync_WhenTargetsSignedByTimestampKey_FailsThreshold()
    {
        Repo.Signers["targets"] = Repo.Keys["timestamp"];
        Repo.Publish();

        Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Threshold);
    }

    [Fact]
    public async Task UpdateAsync_WhenSignedContentIsAlteredAfterSigning_FailsThreshold()
    {
        var json = JsonNode.Parse(Repo.Files["timestamp.json"])!.AsObject();
        json["signed"]!["expires"] = TestRepository.Format(Repo.TimestampExpires.AddDays(1));
        Repo.Files["timestamp.json"] = Encoding.UTF8.GetBytes(json.ToJsonString());

        Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Threshold);
    }

    [Fact]
    public async Task UpdateAsync_WhenOneKeyIsListedUnderTwoKeyIds_CountsItOnce()
    {
        // Root v2 lists one key twice (under its id and an alias) with threshold 2, and carries a
        // valid signature under each id: one key, so the threshold is not met.
        var key = Repo.Keys["root"][0];
        const string alias = "a11a5a11a5a11a5a11a5a11a5a11a5a11a5a11a5a11a5a11a5a11a5a11a5a11a";
        Repo.Thresholds["root"] = 2;
        Repo.EditRoot = signed =>
        {
            signed["keys"]![alias] = key.ToJson();
            signed["roles"]!["root"]!["keyids"]!.AsArray().Add(alias);
        };
        Repo.RootVersion = 2;
        var v2 = Repo.PublishRoot();
        Repo.Files["2.root.json"] = Expect.EditSignatures(v2, signatures =>
        {
            var copy = signatures[0]!.DeepClone();
            copy["keyid"] = alias;
            signatures.Add(copy);
        });

        var error = Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.RootThreshold);
        Assert.Contains("1 valid signature", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_WhenSignatureIsRepeatedToReachThreshold_FailsMalformed()
    {
        var first = TestKey.Ecdsa();
        Repo.Keys["timestamp"] = [first, TestKey.Ecdsa()];
        Repo.Thresholds["timestamp"] = 2;
        Repo.RootVersion = 2;
        Repo.PublishRoot();
        Repo.Signers["timestamp"] = [first, first];
        Repo.Publish();

        var error = Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Malformed);
        Assert.Contains("more than one signature with key id", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_WhenSignedSnapshotRepeatsItsSignature_FailsMalformed()
    {
        // tuf-conformance test_duplicate_sig_keyids: the threshold is met by the first copy alone, but
        // key ids must be unique in "signatures", so the document is refused, not half-read.
        var key = Repo.Keys["snapshot"].Single();
        Repo.Signers["snapshot"] = [key, key];
        Repo.SnapshotVersion = 2;
        Repo.TimestampVersion = 2;
        Repo.Publish();

        var error = Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Malformed);
        Assert.Contains("snapshot metadata has more than one signature", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_WhenThresholdIsMetByDistinctKeys_Succeeds()
    {
        var keys = new List<TestKey> { TestKey.Ecdsa(), TestKey.Ed25519(), TestKey.RsaPss() };
        Repo.Keys["timestamp"] = keys;
        Repo.Thresholds["timestamp"] = 3;
        Repo.Keys["snapshot"] = [TestKey.Ed25519()];
        Repo.RootVersion = 2;
        Repo.PublishRoot();

        // Extra signatures by keys outside the role are ignored, not errors.
        Repo.Signers["timestamp"] = [.. keys, TestKey.Ecdsa()];
        Repo.TimestampVersion = 2;
        Repo.SnapshotVersion = 2;
        Repo.Publish();

        Expect.Success(await _f.UpdateAsync());
    }

    [Fact]
    public async Task UpdateAsync_WhenSnapshotKeyRotates_DiscardsCachedTimestampAndSnapshot()
    {
        // A compromised snapshot key let the attacker fast-forward versions; after rotating it the
        // repository starts over at 1, which a client still holding the old copies (whose timestamp
        // key did not change) would refuse as a rollback.
        Repo.TimestampVersion = 1000;
        Repo.SnapshotVersion = 1000;
        Repo.Publish();
        Expect.Success(await _f.UpdateAsync());

        Repo.Keys["snapshot"] = [TestKey.Ecdsa()];
        Repo.RootVersion = 2;
        Repo.PublishRoot();
        Repo.TimestampVersion = 1;
        Repo.SnapshotVersion = 1;
        Repo.Publish();

        var summary = Expect.Success(await _f.UpdateAsync());

        Assert.Equal(1, summary.TimestampVersion);
        Assert.Equal(1, summary.SnapshotVersion);
    }

    [Fact]
    public async Task UpdateAsync_WhenRotatingRootIsExpired_StillDiscardsCacheForNextUpdate()
    {
        Repo.TimestampVersion = 1000;
        Repo.SnapshotVersion = 1000;
        Repo.Publish();
        Expect.Success(await _f.UpdateAsync());

        // Root v2 rotates the snapshot key but is already expired: the update stops, v2 is persisted.
        Repo.Keys["snapshot"] = [TestKey.Ecdsa()];
        Repo.RootExpires = _f.Clock.Now.AddDays(-1);
        Repo.RootVersion = 2;
        Repo.PublishRoot();
        Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Expired);

        // v3 renews it with the same keys; the client starting from v2 sees no rotation any more.
        Repo.RootExpires = _f.Clock.Now.AddDays(30);
        Repo.RootVersion = 3;
        Repo.PublishRoot();
        Repo.TimestampVersion = 1;
        Repo.SnapshotVersion = 1;
        Repo.Publish();

        Expect.Success(await _f.UpdateAsync());
    }

    [Fact]
    public async Task UpdateAsync_WhenKeysDoNotRotate_KeepsRollbackProtection()
    {
        Repo.TimestampVersion = 5;
        Repo.Publish();
        Expect.Success(await _f.UpdateAsync());

        Repo.RootVersion = 2;
        Repo.PublishRoot();
        Repo.TimestampVersion = 4;
        Repo.Publish();

        Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Rollback);
    }

    [Fact]
    public async Task UpdateAsync_WhenCachedMetadataIsCorrupt_RefetchesIt()
    {
        Expect.Success(await _f.UpdateAsync());
        File.WriteAllText(Path.Combine(_f.MetadataDirectory, "timestamp.json"), "{ not json");
        File.WriteAllText(Path.Combine(_f.MetadataDirectory, "snapshot.json"), "[]");
        Repo.Handler.Requests.Clear();

        Expect.Success(await _f.UpdateAsync());

        Assert.Contains("1.snapshot.json", Repo.Handler.Requests);
    }

    [Fact]
    public async Task UpdateAsync_WhenCachedRootIsNewerThanBootstrap_StartsFromCachedRoot()
    {
        Repo.RootVersion = 2;
        Repo.PublishRoot();
        Expect.Success(await _f.UpdateAsync());
        Repo.Handler.Requests.Clear();

        Expect.Success(await _f.UpdateAsync());

        Assert.Equal("3.root.json", Repo.Handler.Requests[0]);
    }

    [Fact]
    public async Task UpdateAsync_WithoutAnyRoot_FailsNoTrustedRoot()
    {
        using var client = new TufClient(new TufClientOptions
        {
            MetadataBaseUrl = TestRepository.BaseUrl,
            MetadataDirectory = _f.MetadataDirectory,
            HttpHandler = Repo.Handler,
            TimeProvider = _f.Clock,
        });

        Expect.Failure(await client.UpdateAsync(), TufErrorCodes.NoTrustedRoot);
        Assert.Empty(Repo.Handler.Requests);
    }

    [Fact]
    public async Task UpdateAsync_WhenServerFails_FailsNetwork()
    {
        Repo.Handler.Failures["timestamp.json"] = HttpStatusCode.ServiceUnavailable;

        var error = Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Network);
        Assert.Contains("503", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_WhenTimestampIsMissing_FailsNetwork()
    {
        Repo.Files.Remove("timestamp.json");

        Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Network);
    }

    [Fact]
    public async Task UpdateAsync_WhenTimestampExceedsCap_FailsMetadataLength()
    {
        using var client = _f.Client(new TufLimits { MaxTimestampBytes = 64 });

        Expect.Failure(await client.UpdateAsync(), TufErrorCodes.MetadataLength);
    }

    [Fact]
    public async Task UpdateAsync_WhenOversizedTimestampHasNoContentLength_FailsMetadataLength()
    {
        Repo.Handler.WithoutLength.Add("timestamp.json");
        using var client = _f.Client(new TufLimits { MaxTimestampBytes = 64 });

        Expect.Failure(await client.UpdateAsync(), TufErrorCodes.MetadataLength);
    }

    [Fact]
    public async Task UpdateAsync_WhenResponsesHaveNoContentLength_Succeeds()
    {
        foreach (var path in Repo.Files.Keys)
        {
            Repo.Handler.WithoutLength.Add(path);
        }

        Expect.Success(await _f.UpdateAsync());
    }

    [Fact]
    public async Task UpdateAsync_WhenServerStalls_FailsNetworkAfterTimeout()
    {
        Repo.Handler.Stalled.Add("timestamp.json");
        using var client = new TufClient(new TufClientOptions
        {
            MetadataBaseUrl = TestRepository.BaseUrl,
            MetadataDirectory = _f.MetadataDirectory,
            BootstrapRoot = _f.Bootstrap,
            HttpHandler = Repo.Handler,
            TimeProvider = _f.Clock,
            RequestTimeout = TimeSpan.FromMilliseconds(200),
        });

        var error = Expect.Failure(await client.UpdateAsync(), TufErrorCodes.Network);
        Assert.Contains("timed out", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UpdateAsync_WhenCallerCancels_Throws()
    {
        Repo.Handler.Stalled.Add("timestamp.json");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        using var client = _f.Client();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.UpdateAsync(cancel.Token));
    }

    [Fact]
    public async Task UpdateAsync_WhenTimestampIsNotJson_FailsMalformed()
    {
        Repo.Files["timestamp.json"] = Encoding.UTF8.GetBytes("<html>oops</html>");

        Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Malformed);
    }

    [Fact]
    public async Task UpdateAsync_WhenTimestampHasWrongType_FailsMalformed()
    {
        Repo.Files["timestamp.json"] = Repo.Files["1.snapshot.json"];

        var error = Expect.Failure(await _f.UpdateAsync(), TufErrorCodes.Malformed);
        Assert.Contains("_type", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTargetAsync_WhenServedBytesHaveAnotherHash_FailsTargetHashMismatch()
    {
        var path = Repo.TargetFilePath(Target, TufFixture.TargetContent);
        var tampered = (byte[])TufFixture.TargetContent.Clone();
        tampered[3] ^= 0x01;
        Repo.Files[path] = tampered;
        using var client = _f.Client();

        Expect.Failure(await client.GetTargetAsync(Target), TufErrorCodes.TargetHashMismatch);
        Assert.False(File.Exists(Path.Combine(_f.TargetDirectory, Uri.EscapeDataString(Target))));
    }

    [Fact]
    public async Task GetTargetAsync_WhenServedBytesAreLonger_FailsTargetLength()
    {
        var path = Repo.TargetFilePath(Target, TufFixture.TargetContent);
        Repo.Files[path] = [.. TufFixture.TargetContent, (byte)' '];
        using var client = _f.Client();

        Expect.Failure(await client.GetTargetAsync(Target), TufErrorCodes.TargetLength);
    }

    [Fact]
    public async Task GetTargetAsync_WhenServedBytesAreShorter_FailsTargetLength()
    {
        var path = Repo.TargetFilePath(Target, TufFixture.TargetContent);
        Repo.Files[path] = TufFixture.TargetContent[..^1];
        using var client = _f.Client();

        Expect.Failure(await client.GetTargetAsync(Target), TufErrorCodes.TargetLength);
    }

    [Fact]
    public async Task GetTargetAsync_WhenTargetExceedsCap_FailsTargetLengthWithoutDownloading()
    {
        using var client = _f.Client(new TufLimits { MaxTargetBytes = 4 });

        Expect.Failure(await client.GetTargetAsync(Target), TufErrorCodes.TargetLength);
        Assert.DoesNotContain(Repo.Handler.Requests, r => r.StartsWith("targets/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetTargetAsync_WhenTargetIsNotListed_FailsNotFound()
    {
        using var client = _f.Client();

        Expect.Failure(await client.GetTargetAsync("files/other.json"), TufErrorCodes.NotFound);
    }

    [Fact]
    public async Task GetTargetAsync_WhenCachedTargetIsTampered_DownloadsItAgain()
    {
        using (var first = _f.Client())
        {
            Expect.Success(await first.GetTargetAsync(Target));
        }

        File.WriteAllText(Path.Combine(_f.TargetDirectory, Uri.EscapeDataString(Target)), "{\"hello\":\"bad\"}\n");
        using var client = _f.Client();

        Assert.Equal(TufFixture.TargetContent, Expect.Success(await client.GetTargetAsync(Target)));
    }

    [Fact]
    public async Task LoadFromCacheAsync_AfterUpdate_ServesTargetsWithoutNetwork()
    {
        using (var online = _f.Client())
        {
            Expect.Success(await online.GetTargetAsync(Target));
        }

        Repo.Handler.Requests.Clear();
        using var client = _f.Client();

        var summary = Expect.Success(await client.LoadFromCacheAsync());

        Assert.Equal(1, summary.TargetsVersion);
        Assert.Equal(TufFixture.TargetContent, Expect.Success(await client.GetTargetAsync(Target)));
        Expect.Failure(await client.GetTargetAsync("files/other.json"), TufErrorCodes.NotFound);
        Assert.Empty(Repo.Handler.Requests);
    }

    [Fact]
    public async Task LoadFromCacheAsync_WhenCachedTimestampExpired_FailsExpired()
    {
        Expect.Success(await _f.UpdateAsync());
        _f.Clock.Now = Repo.TimestampExpires;
        Repo.Handler.Requests.Clear();
        using var client = _f.Client();

        Expect.Failure(await client.LoadFromCacheAsync(), TufErrorCodes.Expired);
        Expect.Failure(await client.GetTargetAsync(Target), TufErrorCodes.NotCached);
        Assert.Empty(Repo.Handler.Requests);
    }

    [Fact]
    public async Task LoadFromCacheAsync_WhenNothingIsCached_FailsNotCached()
    {
        using var client = _f.Client();

        Expect.Failure(await client.LoadFromCacheAsync(), TufErrorCodes.NotCached);
        Assert.Empty(Repo.Handler.Requests);
    }
}
