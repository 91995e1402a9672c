using System.Text.Json.Nodes;
using Vouch.Tests;

namespace Vouch.Provenance.Tests;

/// <summary>
/// A signed predicate with a property name twice could say one thing to Vouch and another to a
/// verifier that keeps the other copy; the one JSON reader refuses it (issue 13).
/// </summary>
public sealed class DuplicateKeyTests
{
    private static string RealPredicate()
    {
        var attestations = JsonNode.Parse(File.ReadAllText(SharedFixtures.Path("npm", "attestations", "sigstore@1.0.0.json")))!;
        var provenance = attestations["attestations"]!.AsArray().First(a => ((string)a!["predicateType"]!).StartsWith("https://slsa.dev/provenance", StringComparison.Ordinal))!;
        var envelope = provenance["bundle"]!["dsseEnvelope"]!;
        var statement = JsonNode.Parse(Convert.FromBase64String((string)envelope["payload"]!))!;
        return statement["predicate"]!.ToJsonString();
    }

    [Fact]
    public void Parse_WhenTheRealPredicateIsRead_NamesItsSource()
    {
        var claims = SlsaProvenance.Parse(SlsaProvenance.V02, RealPredicate(), out var problem);

        Assert.Null(problem);
        Assert.Contains("github.com/sigstore/sigstore-js", claims!.SourceRepository, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenAPropertyNameIsRepeated_RefusesThePredicate()
    {
        var predicate = RealPredicate();
        // A second "buildType" right after the opening brace: same document to a last-wins reader.
        var tampered = "{\"buildType\":\"https://attacker.example/build\"," + predicate[1..];

        var claims = SlsaProvenance.Parse(SlsaProvenance.V02, tampered, out var problem);

        Assert.Null(claims);
        Assert.NotNull(problem);
    }
}
