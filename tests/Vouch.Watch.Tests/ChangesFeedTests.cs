using System.Text;

namespace Vouch.Watch.Tests;

public sealed class ChangesFeedTests
{
    private static ChangesPage? Parse(string json, int limit = 1000) =>
        ChangesFeed.Parse(Encoding.UTF8.GetBytes(json), limit, out var page, out _) ? page : null;

    [Fact]
    public void Parse_WhenCouchDbShaped_ReturnsValidNamesAndTheLastSequence()
    {
        var page = Parse("""{"results":[{"seq":7,"id":"left-pad","changes":[{"rev":"1-a"}]},{"seq":8,"id":"_design/app"},{"seq":9,"id":"@scope/pkg","deleted":true},{"seq":10,"id":"left-pad"},{"seq":11,"id":42}],"last_seq":11}""");

        Assert.NotNull(page);
        Assert.Equal(["left-pad", "@scope/pkg"], page.Names);
        Assert.Equal("11", page.LastSequence);
        Assert.False(page.More);
    }

    [Fact]
    public void Parse_WhenSequenceIsAnOpaqueString_KeepsItAsText()
    {
        Assert.Equal("12-g1AAAAB", Parse("""{"results":[],"last_seq":"12-g1AAAAB"}""")!.LastSequence);
    }

    [Theory]
    [InlineData("<html>not found</html>")]
    [InlineData("""{"results":[]}""")]
    [InlineData("""{"results":{},"last_seq":1}""")]
    [InlineData("""{"results":[],"last_seq":null}""")]
    [InlineData("[]")]
    public void Parse_WhenNotAFeed_Refuses(string json)
    {
        Assert.Null(Parse(json));
    }

    [Fact]
    public void Parse_WhenSequenceIsHuge_Refuses()
    {
        Assert.Null(Parse($$"""{"results":[],"last_seq":"{{new string('9', Limits.MaxSequenceChars + 1)}}"}"""));
    }

    [Fact]
    public void Parse_WhenPageIsFull_SaysThereIsMore()
    {
        Assert.True(Parse("""{"results":[{"seq":1,"id":"a"},{"seq":2,"id":"b"}],"last_seq":2}""", limit: 2)!.More);
    }
}
