using System.IO.Compression;
using System.Text;
using Vouch.Npm;
using static Vouch.Advisories.Tests.TestRecords;

namespace Vouch.Advisories.Tests;

public sealed class AdvisoryStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vouch-adv-").FullName;

    private string DbPath => Path.Combine(_dir, "db", "advisories.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private AdvisoryStore OpenFixtures()
    {
        var store = AdvisoryStore.Open(DbPath, create: true);
        var result = store.Import(OsvSource.Read(OsvDir), new ImportOptions { SourceLabel = "fixtures" });
        Assert.Null(result.Error);
        return store;
    }

    [Fact]
    public void Import_WhenFixtureDirectory_ImportsEveryRecord()
    {
        using var store = OpenFixtures();
        Assert.Equal(41, store.Snapshot.RecordCount);
        Assert.Equal(1, store.Snapshot.WithdrawnCount);
        Assert.Equal(10, store.Snapshot.MalwareCount);
        Assert.StartsWith("sha256:", store.Snapshot.Digest, StringComparison.Ordinal);
        Assert.Equal("fixtures", store.Snapshot.Source);
    }

    [Fact]
    public void Import_WhenRepeated_ChangesNothingAndKeepsTheDigest()
    {
        using var store = OpenFixtures();
        var digest = store.Snapshot.Digest;
        var again = store.Import(OsvSource.Read(OsvDir));
        Assert.Equal(0, again.Added);
        Assert.Equal(0, again.Updated);
        Assert.Equal(41, again.Unchanged);
        Assert.Equal(digest, again.Snapshot.Digest);
    }

    [Fact]
    public void Lookup_WhenMalwareVersion_ReturnsMalwareMatchWithAliases()
    {
        using var store = OpenFixtures();
        var m = Assert.Single(store.Lookup("debug", SemVersion.Parse("4.4.2")));
        Assert.True(m.IsMalware);
        Assert.Equal("MAL-2025-46974", m.Id);
        Assert.Contains("GHSA-8mgj-vmr8-frr6", m.Aliases);
        Assert.Empty(store.Lookup("debug", SemVersion.Parse("4.4.1")));
    }

    [Fact]
    public void LookupMany_WhenBatch_GivesWhatLookupGivesPerItemInOrder()
    {
        using var store = OpenFixtures();
        PackageRef[] refs =
        [
            new("express", SemVersion.Parse("4.18.0")), new("debug", SemVersion.Parse("4.4.2")), new("lodash", SemVersion.Parse("4.17.11")),
            new("nothing-here", SemVersion.Parse("1.0.0")), new("express", SemVersion.Parse("5.0.0")), new("ip", SemVersion.Parse("2.0.0")),
        ];
        var batch = store.LookupMany(refs);
        Assert.Equal(refs.Length, batch.Count);
        for (var i = 0; i < refs.Length; i++)
        {
            Assert.Equal(store.Lookup(refs[i].Name, refs[i].Version).Select(m => (m.Id, m.FixedIn?.ToString())), batch[i].Select(m => (m.Id, m.FixedIn?.ToString())));
        }

        Assert.Equal(["GHSA-35jh-r3h4-6jhm", "GHSA-jf85-cpcp-j695"], batch[2].Select(m => m.Id).Order(StringComparer.Ordinal));
        Assert.Equal("4.17.12", batch[2].Single(m => m.Id == "GHSA-jf85-cpcp-j695").FixedIn?.ToString());
        Assert.Empty(batch[3]);
        Assert.Equal(2, batch[5].Count);
    }

    [Fact]
    public void Lookup_WhenWithdrawnRecord_DoesNotMatch()
    {
        using var store = OpenFixtures();
        Assert.Empty(store.Lookup("@ctrl/plex", SemVersion.Parse("6.0.0")));
    }

    [Fact]
    public void Lookup_WhenSeveralAdvisories_ReturnsEachWithSeverity()
    {
        using var store = OpenFixtures();
        var matches = store.Lookup("express", SemVersion.Parse("4.18.0"));
        Assert.Equal(["GHSA-qw6h-vgh9-j6wx", "GHSA-rv95-896h-c2vc"], matches.Select(m => m.Id).Order(StringComparer.Ordinal));
        Assert.All(matches, m => Assert.Equal(SeveritySource.CvssV3, m.Severity.Source));
    }

    [Fact]
    public void Lookup_WhenRecordsAliasEachOther_MergesThem()
    {
        using var store = AdvisoryStore.Open(DbPath, create: true);
        store.Import(
        [
            Item(Record("GHSA-aaaa-bbbb-cccc", "x", "\"versions\":[\"1.0.0\"]", extra: ",\"aliases\":[\"CVE-2024-1\"],\"database_specific\":{\"severity\":\"HIGH\"}")),
            Item(Record("MAL-2024-9", "x", "\"versions\":[\"1.0.0\"]", extra: ",\"aliases\":[\"GHSA-aaaa-bbbb-cccc\"]")),
            Item(Record("GHSA-dddd-eeee-ffff", "x", "\"versions\":[\"1.0.0\"]", extra: ",\"database_specific\":{\"severity\":\"LOW\"}")),
        ]);
        var matches = store.Lookup("x", SemVersion.Parse("1.0.0"));
        Assert.Equal(2, matches.Count);
        var merged = matches[0];
        Assert.Equal("MAL-2024-9", merged.Id);
        Assert.Equal(["MAL-2024-9", "GHSA-aaaa-bbbb-cccc"], merged.Ids);
        Assert.Equal(["CVE-2024-1"], merged.Aliases);
        Assert.True(merged.IsMalware);
        Assert.Equal(SeverityLevel.High, merged.Severity.Level);
    }

    [Fact]
    public void Import_WhenNewerRecordWithdrawsAnOlderOne_StopsMatching()
    {
        using var store = AdvisoryStore.Open(DbPath, create: true);
        store.Import([Item(Record("MAL-2024-1", "x", "\"versions\":[\"1.0.0\"]"))]);
        Assert.Single(store.Lookup("x", SemVersion.Parse("1.0.0")));
        var r = store.Import([Item(Record("MAL-2024-1", "x", "\"versions\":[\"1.0.0\"]", modified: "2024-02-01T00:00:00Z", extra: ",\"withdrawn\":\"2024-02-01T00:00:00Z\""))]);
        Assert.Equal(1, r.Updated);
        Assert.Equal(1, r.Withdrawn);
        Assert.Empty(store.Lookup("x", SemVersion.Parse("1.0.0")));
    }

    [Fact]
    public void Import_WhenOlderCopyOfARecord_KeepsTheNewerOne()
    {
        using var store = AdvisoryStore.Open(DbPath, create: true);
        store.Import([Item(Record("GHSA-1", "x", "\"versions\":[\"2.0.0\"]", modified: "2024-03-01T00:00:00Z"))]);
        var r = store.Import([Item(Record("GHSA-1", "x", "\"versions\":[\"1.0.0\"]", modified: "2024-01-01T00:00:00Z"))]);
        Assert.Equal(1, r.Stale);
        Assert.Single(store.Lookup("x", SemVersion.Parse("2.0.0")));
        Assert.Empty(store.Lookup("x", SemVersion.Parse("1.0.0")));
    }

    [Fact]
    public void Import_WhenUpdatedRecordDropsAPackage_RemovesItsOldRanges()
    {
        using var store = AdvisoryStore.Open(DbPath, create: true);
        store.Import([Item(Record("GHSA-2", "x", "\"versions\":[\"1.0.0\"]"))]);
        store.Import([Item(Record("GHSA-2", "y", "\"versions\":[\"1.0.0\"]", modified: "2024-05-01T00:00:00Z"))]);
        Assert.Empty(store.Lookup("x", SemVersion.Parse("1.0.0")));
        Assert.Single(store.Lookup("y", SemVersion.Parse("1.0.0")));
    }

    [Fact]
    public void Import_WhenSourceFailsHalfway_LeavesThePreviousSnapshotIntact()
    {
        using var store = OpenFixtures();
        var before = store.Snapshot;
        IEnumerable<OsvSourceItem> Failing()
        {
            yield return Item(Record("MAL-2099-1", "evil", "\"versions\":[\"1.0.0\"]"));
            throw new AdvisoryException(AdvisoryCodes.InputTooLarge, "boom");
        }

        Assert.Throws<AdvisoryException>(() => store.Import(Failing()));
        Assert.Equal(before.Digest, store.Snapshot.Digest);
        Assert.Empty(store.Lookup("evil", SemVersion.Parse("1.0.0")));
        // The connection is still usable for the next import.
        Assert.Equal(1, store.Import([Item(Record("MAL-2099-1", "evil", "\"versions\":[\"1.0.0\"]"))]).Added);
    }

    [Fact]
    public void Import_WhenCancelled_RollsBack()
    {
        using var store = OpenFixtures();
        var before = store.Snapshot.Digest;
        using var cts = new CancellationTokenSource();
        IEnumerable<OsvSourceItem> Cancelling()
        {
            yield return Item(Record("MAL-2099-2", "evil", "\"versions\":[\"1.0.0\"]"));
            cts.Cancel();
            yield return Item(Record("MAL-2099-3", "evil", "\"versions\":[\"1.0.0\"]"));
        }

        Assert.ThrowsAny<OperationCanceledException>(() => store.Import(Cancelling(), cancellationToken: cts.Token));
        Assert.Equal(before, store.Snapshot.Digest);
    }

    [Fact]
    public void Import_WhenMalformedRecord_ListsItAndImportsTheRest()
    {
        using var store = AdvisoryStore.Open(DbPath, create: true);
        var r = store.Import([Item("{\"id\":\"BAD-1\"}", "bad.json"), Item(Record("GHSA-3", "x", "\"versions\":[\"1.0.0\"]"))]);
        Assert.Equal(1, r.Added);
        var rejected = Assert.Single(r.Rejected);
        Assert.Equal("BAD-1", rejected.Id);
        Assert.Contains("$.modified: missing", rejected.Errors);
    }

    [Fact]
    public void Export_ThenImportElsewhere_GivesTheSameDigest()
    {
        using var store = OpenFixtures();
        var file = Path.Combine(_dir, "snap.zip");
        var exported = store.Export(file);
        using var other = AdvisoryStore.Open(Path.Combine(_dir, "other.db"), create: true);
        var r = other.Import(OsvSource.Read(file), new ImportOptions { ExpectDigest = exported.Digest });
        Assert.Null(r.Error);
        Assert.Equal(exported.Digest, other.Snapshot.Digest);
        Assert.Equal(41, other.Snapshot.RecordCount);
        Assert.Empty(other.Lookup("@ctrl/plex", SemVersion.Parse("6.0.0")));
    }

    [Fact]
    public void Import_WhenExportWasTampered_RefusesWithDigestMismatchAndImportsNothing()
    {
        using var store = OpenFixtures();
        var file = Path.Combine(_dir, "snap.zip");
        var exported = store.Export(file);
        using (var zip = ZipFile.Open(file, ZipArchiveMode.Update))
        {
            zip.GetEntry("MAL-2025-46974.json")!.Delete();
        }

        using var other = AdvisoryStore.Open(Path.Combine(_dir, "other.db"), create: true);
        var r = other.Import(OsvSource.Read(file), new ImportOptions { ExpectDigest = exported.Digest });
        Assert.Equal(AdvisoryCodes.DigestMismatch, r.ErrorCode);
        Assert.Equal(0, other.Snapshot.RecordCount);
    }

    [Fact]
    public void Read_WhenZipEntryInflatesPastTheRecordCap_RejectsThatEntry()
    {
        var file = Path.Combine(_dir, "bomb.zip");
        using (var zip = ZipFile.Open(file, ZipArchiveMode.Create))
        {
            var e = zip.CreateEntry("../../escape/MAL-1.json", CompressionLevel.SmallestSize);
            using var s = e.Open();
            var zeros = new byte[1024 * 1024];
            for (var i = 0; i < 5; i++)
            {
                s.Write(zeros);
            }
        }

        var item = Assert.Single(OsvSource.Read(file));
        Assert.Null(item.Bytes);
        Assert.Contains(AdvisoryCodes.InputTooLarge, item.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "..", "escape")));
    }

    [Fact]
    public void Read_WhenZipHasNoEntries_YieldsNoRecordsAndImportsNone()
    {
        // An archive with no entries is only its end-of-central-directory record: "PK\x05\x06" and 18 zero bytes.
        var file = Path.Combine(_dir, "empty.zip");
        File.WriteAllBytes(file, [(byte)'P', (byte)'K', 5, 6, .. new byte[18]]);
        using (var check = ZipFile.OpenRead(file))
        {
            Assert.Empty(check.Entries);
        }

        Assert.Empty(OsvSource.Read(file));
        using var store = AdvisoryStore.Open(DbPath, create: true);
        var r = store.Import(OsvSource.Read(file));
        Assert.Null(r.Error);
        Assert.Equal(0, r.RejectedCount);
        Assert.Equal(0, r.Added);
        Assert.Equal(0, store.Snapshot.RecordCount);
    }

    [Fact]
    public void Read_WhenEndOfDirectoryRecordIsTruncated_FailsAsUnreadableZip()
    {
        // The same signature without the rest of the record is not a zip: a clear error, not a JSON parse.
        var file = Path.Combine(_dir, "short.zip");
        File.WriteAllBytes(file, [(byte)'P', (byte)'K', 5, 6, 0, 0]);
        var e = Assert.Throws<AdvisoryException>(() => OsvSource.Read(file).ToList());
        Assert.Equal(AdvisoryCodes.SourceUnreadable, e.Code);
    }

    [Fact]
    public void Read_WhenNotAZipNorJson_ImportRejectsIt()
    {
        var file = Path.Combine(_dir, "x.bin");
        File.WriteAllBytes(file, Encoding.UTF8.GetBytes("garbage"));
        using var store = AdvisoryStore.Open(DbPath, create: true);
        var r = store.Import(OsvSource.Read(file));
        Assert.Equal(1, r.RejectedCount);
    }

    [Fact]
    public void Open_WhenFileIsNotAnAdvisoryDatabase_FailsWithCorrupt()
    {
        var file = Path.Combine(_dir, "not.db");
        File.WriteAllText(file, "hello, I am not SQLite at all, but long enough to look like a header");
        var e = Assert.Throws<AdvisoryException>(() => AdvisoryStore.Open(file, create: true));
        Assert.Equal(AdvisoryCodes.DatabaseCorrupt, e.Code);
    }

    [Fact]
    public void Open_WhenMissingAndNotCreating_FailsWithMissing()
    {
        var e = Assert.Throws<AdvisoryException>(() => AdvisoryStore.Open(Path.Combine(_dir, "none.db"), create: false));
        Assert.Equal(AdvisoryCodes.DatabaseMissing, e.Code);
    }

    [Fact]
    public void Lookup_WhenStoredRangeTampered_FailsWithCorrupt()
    {
        using (var store = OpenFixtures())
        {
        }

        using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "UPDATE affected SET ranges = 'S|i:0,f:not-a-version' WHERE package = 'minimist'";
            cmd.ExecuteNonQuery();
        }

        using var reopened = AdvisoryStore.Open(DbPath, create: false);
        var e = Assert.Throws<AdvisoryException>(() => reopened.Lookup("minimist", SemVersion.Parse("1.2.0")));
        Assert.Equal(AdvisoryCodes.DatabaseCorrupt, e.Code);
    }
}
