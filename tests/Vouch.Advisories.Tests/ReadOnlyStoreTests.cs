namespace Vouch.Advisories.Tests;

/// <summary>The gate's way in: a read-only connection that notices another connection's import.</summary>
public sealed class ReadOnlyStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("vouch-osv-ro-").FullName;

    private string DbPath => Path.Combine(_dir, "osv.db");

    [Fact]
    public void Refresh_WhenAnotherConnectionImports_SeesTheNewSnapshot()
    {
        using (var writer = AdvisoryStore.Open(DbPath, create: true))
        {
            writer.Import([TestRecords.Item(TestRecords.Record("GHSA-aaaa-bbbb-cccc", "left-pad", TestRecords.Range("SEMVER", """{"introduced":"0"}""", """{"fixed":"1.3.0"}""")))]);
        }

        using var reader = AdvisoryStore.OpenReadOnly(DbPath);
        var before = reader.Snapshot.Digest;
        Assert.False(reader.Refresh());

        using (var writer = AdvisoryStore.Open(DbPath, create: false))
        {
            writer.Import([TestRecords.Item(TestRecords.Record("MAL-2099-1", "left-pad", "\"versions\":[\"1.3.0\"]"))]);
        }

        Assert.True(reader.Refresh());
        Assert.NotEqual(before, reader.Snapshot.Digest);
        Assert.Single(reader.Lookup("left-pad", Vouch.Npm.SemVersion.Parse("1.3.0")));
    }

    [Fact]
    public void OpenReadOnly_WhenAskedToImport_Fails()
    {
        using (AdvisoryStore.Open(DbPath, create: true))
        {
        }

        using var reader = AdvisoryStore.OpenReadOnly(DbPath);
        var result = Record.Exception(() => reader.Import([TestRecords.Item(TestRecords.Record("MAL-2099-2", "x", "\"versions\":[\"1.0.0\"]"))]));

        Assert.NotNull(result);
        Assert.Equal(0, reader.Snapshot.RecordCount);
    }

    [Fact]
    public void OpenReadOnly_WhenMissing_IsDatabaseMissing()
    {
        var e = Assert.Throws<AdvisoryException>(() => AdvisoryStore.OpenReadOnly(Path.Combine(_dir, "none.db")));
        Assert.Equal(AdvisoryCodes.DatabaseMissing, e.Code);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
