using System.Text;

namespace Vouch.Npm.Tests.Model;

public sealed class PackumentInstallScriptTests
{
    private static PackageVersion Parse(string versionFields)
    {
        var json = "{\"name\":\"p\",\"versions\":{\"1.0.0\":{\"name\":\"p\",\"version\":\"1.0.0\","
            + "\"dist\":{\"tarball\":\"https://registry.example/p/-/p-1.0.0.tgz\"}" + versionFields + "}}}";
        return Packument.Parse(Encoding.UTF8.GetBytes(json), "p").Versions["1.0.0"];
    }

    [Fact]
    public void Parse_WhenGypfileTrue_ReadsIt()
    {
        Assert.True(Parse(""","gypfile":true""").Gypfile);
    }

    [Fact]
    public void Parse_WhenGypfileAbsentOrNotBoolean_IsNull()
    {
        Assert.Null(Parse("").Gypfile);
        Assert.Null(Parse(""","gypfile":"yes" """).Gypfile);
    }

    [Fact]
    public void Parse_WhenInstallScriptsAndFlag_ReadsBoth()
    {
        var v = Parse(""","scripts":{"postinstall":"node x.js","test":"jest"},"hasInstallScript":true""");
        Assert.Equal("node x.js", v.Scripts["postinstall"]);
        Assert.True(v.HasInstallScript);
    }
}
