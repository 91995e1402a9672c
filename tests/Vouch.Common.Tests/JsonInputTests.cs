using System.Text;
using System.Text.Json;
using Vouch.Common.Json;

namespace Vouch.Common.Tests;

public sealed class JsonInputTests
{
    [Theory]
    [InlineData("{\"subject\":[],\"subject\":[{\"name\":\"x\"}]}")]
    [InlineData("{\"a\":{\"b\":1,\"b\":2}}")]
    [InlineData("{\"a\":1,} ")]
    [InlineData("{\"a\":1 /* note */}")]
    [InlineData("[[[[1]]]]")]
    public void Parse_WhenTheDocumentIsAmbiguousOrBeyondTheCaps_Throws(string json)
    {
        Assert.ThrowsAny<JsonException>(() => JsonInput.Parse(Encoding.UTF8.GetBytes(json), maxDepth: 3).Dispose());
        Assert.ThrowsAny<JsonException>(() => JsonInput.ParseNode(json, maxDepth: 3));
    }

    [Fact]
    public void Parse_WhenTheDocumentIsPlain_ReadsIt()
    {
        using var doc = JsonInput.Parse("{\"a\":[1,{\"b\":true}]}", maxDepth: 3);

        Assert.True(doc.RootElement.GetProperty("a")[1].GetProperty("b").GetBoolean());
    }
}
