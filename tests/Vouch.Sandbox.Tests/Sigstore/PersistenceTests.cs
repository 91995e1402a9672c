using System.Text;
using Vouch.Sandbox.Sigstore;

namespace Vouch.Sandbox.Tests.Sigstore;

public sealed class PersistenceTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "vouch-sandbox-tests-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Load_WhenSaved_HasSameTrustedRootAndContinuesTheLogs()
    {
        var time = new ManualTimeProvider(Fixtures.Epoch);
        var artifact = Encoding.UTF8.GetBytes("persisted");
        string trustedRoot;
        using (var original = SigstoreInstance.Create(timeProvider: time))
        {
            original.SignArtifact(artifact, Fixtures.Request());
            original.SignArtifact(artifact, Fixtures.Request() with { Log = RekorVersion.V2 });
            trustedRoot = original.TrustedRootJson();
            original.Save(_directory);
        }

        using var reloaded = SigstoreInstance.Load(_directory, time);

        Assert.Equal(trustedRoot, reloaded.TrustedRootJson());
        Assert.Equal(trustedRoot, File.ReadAllText(Path.Combine(_directory, "trusted_root.json")));
        var v1 = reloaded.SignArtifact(artifact, Fixtures.Request());
        var v2 = reloaded.SignArtifact(artifact, Fixtures.Request() with { Log = RekorVersion.V2 });
        Assert.Equal(1, v1.LogIndex);
        Assert.Equal(1, v2.LogIndex);
        Assert.Empty(BundleChecker.Check(v1.Json, trustedRoot, artifact));
        Assert.Empty(BundleChecker.Check(v2.Json, trustedRoot, artifact));
    }

    [Fact]
    public void Save_WhenWritingPrivateKeys_MakesThemOwnerOnly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var instance = SigstoreInstance.Create();
        instance.Save(_directory);

        var keys = Directory.GetFiles(_directory, "*.key.pem");
        Assert.Equal(7, keys.Length);
        foreach (var key in keys)
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        }
    }

    [Fact]
    public void Load_WhenDirectoryHasNoInstance_ThrowsFileNotFound()
    {
        Directory.CreateDirectory(_directory);
        Assert.Throws<FileNotFoundException>(() => SigstoreInstance.Load(_directory));
    }

    [Fact]
    public void Load_WhenCertificateDoesNotMatchKey_ThrowsInvalidData()
    {
        using (var instance = SigstoreInstance.Create())
        {
            instance.Save(_directory);
        }

        File.Copy(Path.Combine(_directory, "tsa.key.pem"), Path.Combine(_directory, "tsa-root.key.pem"), overwrite: true);

        Assert.Throws<InvalidDataException>(() => SigstoreInstance.Load(_directory));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
