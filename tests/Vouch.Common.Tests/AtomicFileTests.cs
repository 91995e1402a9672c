using Vouch.Common;

namespace Vouch.Common.Tests;

public sealed class AtomicFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "vouch-atomic-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(Durability.Atomic)]
    [InlineData(Durability.Durable)]
    public void Write_WhenTheDirectoryIsMissing_CreatesItAndLeavesNoTemporaryFile(Durability durability)
    {
        var path = Path.Combine(_dir, "a", "b.json");

        AtomicFile.Write(path, "{}"u8, durability);

        Assert.Equal("{}", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(Path.Combine(_dir, "a"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task WriteAsync_WhenTheWriterThrows_LeavesTheOldContentAndNoTemporaryFile()
    {
        var path = Path.Combine(_dir, "keep.txt");
        AtomicFile.WriteText(path, "old");

        await Assert.ThrowsAsync<InvalidDataException>(() => AtomicFile.WriteAsync(path, async (s, ct) =>
        {
            await s.WriteAsync("half of the new"u8.ToArray(), ct);
            throw new InvalidDataException("abandoned half way");
        }));

        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public async Task Write_WhenManyWritersRaceOnOnePath_EndsWithOneWholeContent()
    {
        var path = Path.Combine(_dir, "race.bin");
        var contents = Enumerable.Range(0, 16).Select(i => Enumerable.Repeat((byte)i, 256 * 1024).ToArray()).ToArray();

        await Task.WhenAll(contents.Select(c => Task.Run(() => AtomicFile.Write(path, c, Durability.Atomic))));

        var final = File.ReadAllBytes(path);
        Assert.Contains(contents, c => c.AsSpan().SequenceEqual(final));
        Assert.Equal([path], Directory.GetFiles(_dir));
    }

    [Fact]
    public void Write_WhenTheTargetExists_KeepsItsPermissions()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = Path.Combine(_dir, "run.sh");
        AtomicFile.WriteText(path, "old");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        AtomicFile.WriteText(path, "new");

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Replace_WhenGivenACompleteFile_MovesItOverTheTarget()
    {
        var path = Path.Combine(_dir, "db.sqlite");
        AtomicFile.WriteText(path, "old");
        var temp = AtomicFile.TempPathFor(path);
        File.WriteAllText(temp, "new");

        AtomicFile.Replace(temp, path);

        Assert.Equal("new", File.ReadAllText(path));
        Assert.False(File.Exists(temp));
    }

    [Fact]
    public async Task TryCreate_WhenManyWritersRaceOnOnePath_TheFirstWinsAndIsNeverReplaced()
    {
        var path = Path.Combine(_dir, "seal.key");
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => (i, AtomicFile.TryCreate(path, new[] { (byte)i }, Durability.Atomic)))));

        var winner = Assert.Single(results, r => r.Item2);
        Assert.Equal([(byte)winner.i], File.ReadAllBytes(path));
        Assert.False(AtomicFile.TryCreate(path, "late"u8, Durability.Atomic));
        Assert.Equal([(byte)winner.i], File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void TryCreate_WhenAModeIsGiven_TheFileHasItFromTheStart()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var path = Path.Combine(_dir, "secret");

        Assert.True(AtomicFile.TryCreate(path, "k"u8, unixMode: UnixFileMode.UserRead | UnixFileMode.UserWrite));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }
}
