using System.Text;
using Vouch.Npm;
using Vouch.Tests;

namespace Vouch.Advisories.Tests;

internal static class TestRecords
{
    public static string OsvDir => SharedFixtures.Path("osv");

    public static byte[] Fixture(string id) =>
        File.ReadAllBytes(Path.Combine(OsvDir, id.StartsWith("MAL-", StringComparison.Ordinal) ? "malicious" : "advisories", id + ".json"));

    public static OsvRecord ParseFixture(string id)
    {
        var result = OsvParser.Parse(Fixture(id));
        Assert.True(result.IsOk, string.Join("; ", result.Errors));
        return result.Record!;
    }

    public static OsvRecord Parse(string json)
    {
        var result = OsvParser.Parse(Encoding.UTF8.GetBytes(json));
        Assert.True(result.IsOk, string.Join("; ", result.Errors));
        return result.Record!;
    }

    /// <summary>A minimal record for one package with the given affected body (ranges/versions JSON).</summary>
    public static string Record(string id, string package, string affectedBody, string modified = "2024-01-01T00:00:00Z", string extra = "") =>
        $$"""{"id":"{{id}}","modified":"{{modified}}"{{extra}},"affected":[{"package":{"ecosystem":"npm","name":"{{package}}"},{{affectedBody}}}]}""";

    public static string Range(string type, params string[] events) =>
        $$"""{"type":"{{type}}","events":[{{string.Join(",", events)}}]}""";

    public static bool Affects(OsvRecord record, string package, string version) =>
        OsvMatcher.Affects(record, package, SemVersion.Parse(version));

    public static OsvSourceItem Item(string json, string origin = "test.json") => new(origin, Encoding.UTF8.GetBytes(json), null);
}
