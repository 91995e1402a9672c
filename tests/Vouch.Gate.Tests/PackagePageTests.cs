using System.Net;

namespace Vouch.Gate.Tests;

/// <summary>Issue 19: the dashboard's package page on the sandbox's lottie-player replay (real Sigstore evidence from the sandbox's own instance).</summary>
public class PackagePageTests
{
    [Fact]
    public async Task PackagePage_WhenVersionVerified_ShowsTimelineDecisionsAndProvenanceDetails()
    {
        var sandbox = new SandboxGate();
        await sandbox.InitializeAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = sandbox.Url };
            using (var tgz = await http.GetAsync("@lottiefiles/lottie-player/-/lottie-player-2.0.4.tgz"))
            {
                Assert.Equal(HttpStatusCode.OK, tgz.StatusCode);
            }

            using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = sandbox.Url };
            using (var noToken = await anonymous.GetAsync("-/vouch/dashboard/package/@lottiefiles/lottie-player"))
            {
                Assert.Equal(HttpStatusCode.Redirect, noToken.StatusCode);
            }

            // An approval request for a withheld version, with markup in its reason: listed on the page, escaped.
            using (var ask = new HttpRequestMessage(HttpMethod.Post, "-/vouch/v1/approvals"))
            {
                ask.Headers.Authorization = new("Bearer", GateFixture.ReaderToken);
                ask.Content = new StringContent("{\"name\":\"@lottiefiles/lottie-player\",\"version\":\"2.0.6\",\"rule\":\"trust-downgrade\",\"reason\":\"<script>alert(1)</script>\"}", System.Text.Encoding.UTF8, "application/json");
                using var asked = await http.SendAsync(ask);
                Assert.Equal(HttpStatusCode.Created, asked.StatusCode);
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, "-/vouch/dashboard/package/@lottiefiles/lottie-player");
            request.Headers.Authorization = new("Bearer", GateFixture.ReaderToken);
            using var page = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("default-src 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            var html = await page.Content.ReadAsStringAsync();

            Assert.Contains("data-line=\"2.x\"", html, StringComparison.Ordinal);
            var row204 = Row(html, "2.0.4");
            Assert.Contains("offered", row204, StringComparison.Ordinal);
            Assert.Contains("trusted-publisher", row204, StringComparison.Ordinal);
            Assert.Contains("<dt>repository</dt><dd><a rel=\"noreferrer\" href=\"https://github.com/", row204, StringComparison.Ordinal);
            Assert.Contains("<dt>workflow</dt>", row204, StringComparison.Ordinal);
            Assert.Contains("<dt>certificate identity</dt>", row204, StringComparison.Ordinal);
            Assert.Contains("<dt>transparency log</dt><dd>index <a rel=\"noreferrer\" href=\"https://search.sigstore.dev/?logIndex=", row204, StringComparison.Ordinal);
            var row205 = Row(html, "2.0.5");
            Assert.Contains("withheld", row205, StringComparison.Ordinal);
            Assert.Contains("trust-downgrade", row205, StringComparison.Ordinal);
            Assert.Contains("not verified yet", row205, StringComparison.Ordinal);

            Assert.Contains("id=\"approvals\"", html, StringComparison.Ordinal);
            Assert.Contains("<td>2.0.6</td><td>trust-downgrade</td><td>pending</td>", html, StringComparison.Ordinal);
            Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
            Assert.DoesNotContain("<script>alert(1)", html, StringComparison.Ordinal);

            // Releases in time order within the line: 2.0.2 before 2.0.8.
            Assert.True(html.IndexOf("id=\"v-2.0.2\"", StringComparison.Ordinal) < html.IndexOf("id=\"v-2.0.8\"", StringComparison.Ordinal));

            using var bad = new HttpRequestMessage(HttpMethod.Get, "-/vouch/dashboard/package/Not%20A%20Name");
            bad.Headers.Authorization = new("Bearer", GateFixture.ReaderToken);
            using var badAnswer = await http.SendAsync(bad);
            Assert.Equal(HttpStatusCode.BadRequest, badAnswer.StatusCode);
        }
        finally
        {
            await sandbox.DisposeAsync();
        }
    }

    private static string Row(string html, string version)
    {
        var start = html.IndexOf($"id=\"v-{version}\"", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no row for {version}");
        return html[start..html.IndexOf("</tr>", start, StringComparison.Ordinal)];
    }
}
