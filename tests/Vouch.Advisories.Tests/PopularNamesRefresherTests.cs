using System.Net;
using System.Text;
using Vouch.Advisories.Check;

namespace Vouch.Advisories.Tests;

public sealed class PopularNamesRefresherTests
{
    private sealed class FakeDownloadsApi : HttpMessageHandler
    {
        public List<string> Paths { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath.ToLowerInvariant();
            Paths.Add(path);
            var body = path switch
            {
                "/downloads/point/last-week/lodash,axios,left-pad" => """{"lodash":{"downloads":50,"package":"lodash"},"axios":{"downloads":70,"package":"axios"},"left-pad":null}""",
                "/downloads/point/last-week/@types%2fnode" => """{"downloads":60,"package":"@types/node"}""",
                _ => null,
            };
            return Task.FromResult(body is null
                ? new HttpResponseMessage(HttpStatusCode.NotFound)
                : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }
    }

    [Fact]
    public async Task RankAsync_WhenApiAnswers_SortsByDownloadsAndListsNamesWithoutCounts()
    {
        using var api = new FakeDownloadsApi();
        var ranked = await PopularNamesRefresher.RankAsync(["lodash", "axios", "left-pad", "@types/node", "Not A Name"], api, new Uri("http://127.0.0.1:9/"), CancellationToken.None);
        Assert.Equal(["axios", "@types/node", "lodash"], ranked.Names.Select(n => n.Name));
        Assert.Equal(["left-pad"], ranked.Failed);
        Assert.Equal(2, api.Paths.Count);
    }

    [Fact]
    public void Format_ThenParse_KeepsNamesSourceAndDate()
    {
        var text = PopularNames.Format(["axios", "lodash"], "test api", new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero));
        var parsed = PopularNames.Parse(text, "file");
        Assert.Equal(["axios", "lodash"], parsed.Names);
        Assert.Equal("2026-12-06", parsed.Date);
    }
}
