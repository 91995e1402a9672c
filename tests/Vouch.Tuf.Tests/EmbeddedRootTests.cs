using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vouch.Tuf.Metadata;

namespace Vouch.Tuf.Tests;

/// <summary>The real Sigstore root: its signatures only verify if canonical JSON and ECDSA handling are exact.</summary>
public sealed class EmbeddedRootTests
{
    [Fact]
    public void SigstoreTufRoot_WhenLoaded_MeetsItsOwnRootThreshold()
    {
        var root = TrustedMetadataSet.LoadTrustedRoot(EmbeddedTrust.SigstoreTufRoot());

        Assert.Equal(15, root.Version);
        Assert.True(root.ConsistentSnapshot);
        Assert.Equal(3, root.Roles["root"].Threshold);
        Assert.Equal(5, SignatureThreshold.CountValid(root, root.Keys, root.Roles["root"]));
    }

    [Fact]
    public void SigstoreTufRoot_WhenCompared_EqualsDecodedSharedFixture()
    {
        // The shared fixture is a JSON string holding base64 of root.json.
        var fixture = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "tuf-root.json"));
        var decoded = Convert.FromBase64String(JsonSerializer.Deserialize<string>(fixture)!);

        Assert.Equal(decoded, EmbeddedTrust.SigstoreTufRoot());
    }

    [Fact]
    public void SigstoreTufRoot_WhenSignedContentIsEdited_FailsRootThreshold()
    {
        var json = JsonNode.Parse(EmbeddedTrust.SigstoreTufRoot())!.AsObject();
        json["signed"]!["expires"] = "2099-01-01T00:00:00Z";

        var error = Assert.Throws<TufException>(() => TrustedMetadataSet.LoadTrustedRoot(Encoding.UTF8.GetBytes(json.ToJsonString())));

        Assert.Equal(TufErrorCodes.RootThreshold, error.Code);
    }

    [Fact]
    public void SigstoreTufRoot_WhenReserialisedWithOtherLayout_StillVerifies()
    {
        // Signatures cover the canonical form, not the served bytes: compact re-serialisation keeps them valid.
        var compact = JsonNode.Parse(EmbeddedTrust.SigstoreTufRoot())!.ToJsonString();

        var root = TrustedMetadataSet.LoadTrustedRoot(Encoding.UTF8.GetBytes(compact));

        Assert.Equal(15, root.Version);
    }

    [Fact]
    public void EmbeddedSnapshots_WhenRead_ArePresent()
    {
        Assert.NotNull(EmbeddedTrust.SigstoreTrustedRoot());
        using var keys = JsonDocument.Parse(EmbeddedTrust.NpmRegistryKeys());
        Assert.True(keys.RootElement.GetProperty("keys").GetArrayLength() > 0);
    }
}
