using Vouch.Reviews.Records;
using Vouch.Tests;

namespace Vouch.Reviews.Tests;

public sealed class SupplyChainParserTests
{
    private static string Vet(params string[] parts) => SharedFixtures.Path(["reviews", "cargo-vet", .. parts]);

    [Fact]
    public void ParseFile_WhenCargoDenyAuditsToml_ReadsEveryTrustedEntry()
    {
        var doc = SupplyChainParser.ParseFile(Vet("EmbarkStudios__cargo-deny", "supply-chain", "audits.toml"));
        Assert.Empty(doc.Audits);
        Assert.Equal(58, doc.Trusted.Count); // fixtures README says 57; the file has 58 [[trusted.*]] headers
        var first = doc.Trusted[0];
        Assert.Equal("aho-corasick", first.Package);
        Assert.Equal(189, first.UserId);
        Assert.Equal(new DateOnly(2019, 3, 28), first.Start);
        Assert.Equal(new DateOnly(2024, 6, 5), first.End);
        Assert.Equal(6, first.Location.Line);
    }

    [Fact]
    public void ParseFile_WhenCargoDenyConfigToml_ReadsImportsPoliciesAndExemptions()
    {
        var doc = SupplyChainParser.ParseFile(Vet("EmbarkStudios__cargo-deny", "supply-chain", "config.toml"));
        Assert.Equal(7, doc.Imports.Count);
        Assert.All(doc.Imports, i => Assert.Null(i.Sha256));
        Assert.Equal(8, doc.Policies.Count);
        Assert.Equal(216, doc.Exemptions.Count);
        Assert.Equal(204, doc.Exemptions.Select(e => e.Package).Distinct().Count());
        Assert.Contains(doc.Exemptions, e => e.Package == "addr2line" && e.Version == "0.17.0" && e.Criteria.SequenceEqual(["safe-to-deploy"]));
    }

    [Fact]
    public void ParseFile_WhenCargoDenyImportsLock_ReadsImportedAuditsPerOrganisation()
    {
        var doc = SupplyChainParser.ParseFile(Vet("EmbarkStudios__cargo-deny", "supply-chain", "imports.lock"), SupplyChainFileKind.ImportsLock);
        Assert.Equal(50, doc.PublisherEntries); // README says 49; the file has 50 [[publisher.*]] headers
        Assert.Equal(173, doc.ImportedAudits.Values.Sum(d => d.Audits.Count));
        Assert.Equal(67, doc.ImportedAudits["firefox"].Audits.Count);
        Assert.Contains(doc.ImportedAudits["firefox"].Audits, a => a.Kind == AuditKind.Delta && a.From == "0.9.8" && a.Version == "0.9.10");
    }

    [Fact]
    public void ParseFile_WhenGoogleAdditionalAudits_KeepsNonAsciiReviewers()
    {
        var doc = SupplyChainParser.ParseFile(Vet("google__rust-crate-audits", "manual-sources", "additional-audits.toml"));
        Assert.Equal(17, doc.Audits.Count);
        Assert.Contains(doc.Audits, a => a.Who.Contains("Łukasz Anforowicz <lukasza@chromium.org>"));
    }

    [Fact]
    public void ParseFile_WhenMozillaAggregatedFeed_ReadsEveryEntry()
    {
        var doc = SupplyChainParser.ParseFile(Vet("mozilla__supply-chain", "audits.toml"));
        Assert.Equal(1515, doc.Audits.Count);
        Assert.Equal(1164, doc.Audits.Count(a => a.Kind == AuditKind.Delta));
        Assert.Equal(351, doc.Audits.Count(a => a.Kind == AuditKind.Full));
        Assert.Equal(580, doc.Audits.Select(a => a.Package).Distinct().Count());
        Assert.Equal(120 + 228, doc.Trusted.Count); // [[wildcard-audits.*]] + [[trusted.*]] headers in the file (the README counts differ)
        Assert.Contains(doc.Audits, a => a.Version!.Contains("@git:", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_WhenTomlSyntaxIsBroken_ReportsFileLineAndColumn()
    {
        var e = Assert.Throws<ReviewFormatException>(() => SupplyChainParser.Parse("[criteria.x]\ndescription = \"a\"\n[[audits.left-pad\n", "audits.toml"));
        Assert.Equal(ReviewCodes.FileMalformed, e.Code);
        Assert.Equal(3, e.Problems[0].Line);
        Assert.StartsWith("audits.toml:3:", e.Problems[0].ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenDuplicateKey_Fails()
    {
        var e = Assert.Throws<ReviewFormatException>(() => SupplyChainParser.Parse("[[audits.a]]\ncriteria = \"safe-to-run\"\ncriteria = \"safe-to-run\"\nversion = \"1.0.0\"\n", "audits.toml"));
        Assert.Equal(ReviewCodes.FileMalformed, e.Code);
    }

    [Fact]
    public void Parse_WhenFieldsAreWrong_ListsEveryProblemWithItsPosition()
    {
        const string text = """
            [[audits.a]]
            criteria = "safe-to-run"
            version = "not-a-version"

            [[audits.b]]
            criteria = "safe-to-run"
            delta = "1.0.0 => 1.1.0"

            [[exemptions.c]]
            version = "1.0.0"
            criteria = "safe-to-run"
            expire = 2026-01-01
            """;
        var e = Assert.Throws<ReviewFormatException>(() => SupplyChainParser.Parse(text, "audits.toml"));
        Assert.Equal(3, e.Problems.Count);
        Assert.Equal((3, 1), (e.Problems[0].Line, e.Problems[0].Column));
        Assert.Equal(7, e.Problems[1].Line);
        Assert.Equal(12, e.Problems[2].Line);
        Assert.Contains("unknown key 'expire'", e.Problems[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WhenVouchFormat_ReadsCriteriaImportsViolationsAndExpiries()
    {
        const string text = """
            [criteria.crypto-reviewed]
            description = "crypto code checked by the crypto team"
            implies = "safe-to-deploy"

            [imports.acme]
            url = "https://acme.example/supply-chain/audits.toml"
            sha256 = "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
            criteria-map = { reviewed = ["safe-to-run"] }

            [[audits.left-pad]]
            who = "alice"
            criteria = ["crypto-reviewed"]
            violation = ">=1.3.0 <1.4.0"

            [[exemptions.is-odd]]
            version = "3.0.1"
            criteria = "safe-to-run"
            reason = "legacy"
            expires = 2026-12-31

            [[trusted.react]]
            criteria = "safe-to-deploy"
            repository = "https://github.com/facebook/react"
            start = 2024-01-01
            end = "2027-01-01"
            """;
        var doc = SupplyChainParser.Parse(text, "audits.toml");
        Assert.Equal(["safe-to-deploy"], doc.Criteria[0].Implies);
        Assert.Equal("abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", doc.Imports[0].Sha256);
        Assert.Equal(["safe-to-run"], doc.Imports[0].CriteriaMap["reviewed"]);
        Assert.Equal(AuditKind.Violation, doc.Audits[0].Kind);
        Assert.Equal(new DateOnly(2026, 12, 31), doc.Exemptions[0].Expires);
        Assert.Equal("legacy", doc.Exemptions[0].Reason);
        Assert.Equal(new DateOnly(2024, 1, 1), doc.Trusted[0].Start);
    }

    [Fact]
    public void Parse_WhenLargerThanCap_FailsWithTooLarge()
    {
        var text = "# " + new string('x', (int)ReviewLimits.MaxFileBytes);
        var e = Assert.Throws<ReviewFormatException>(() => SupplyChainParser.Parse(text, "big.toml"));
        Assert.Equal(ReviewCodes.FileTooLarge, e.Code);
    }

    [Fact]
    public void Load_WhenAuditNamesUndefinedCriterion_FailsWithUnknownCriterion()
    {
        var dir = Directory.CreateTempSubdirectory("vouch-reviews-").FullName;
        File.WriteAllText(Path.Combine(dir, "audits.toml"), "[[audits.a]]\ncriteria = \"safe-to-fly\"\nversion = \"1.0.0\"\n");
        var e = Assert.Throws<ReviewFormatException>(() => SupplyChain.Load(dir));
        Assert.Equal(ReviewCodes.UnknownCriterion, e.Code);
        Assert.Equal(1, e.Problems[0].Line);
    }
}
