using System.Text;
using CsCheck;
using Xunit.Abstractions;

namespace Vouch.Gate.Tests;

/// <summary>
/// The gate's promise as a property: whatever URL form an unauthenticated or authenticated client
/// sends, over every route, no answer carries a byte of a withheld tarball (or an unfiltered
/// document naming one). Inputs come from CsCheck generators driven by one fixed seed, printed, so
/// a failure is replayed exactly.
/// </summary>
public sealed class GatePropertyTests(SandboxGate gate, ITestOutputHelper output) : IClassFixture<SandboxGate>
{
    public const ulong Seed = 0x5EED_0012_0DA7_E001UL;
    private const int Cases = 400;

    private static readonly string[] Prefixes =
    [
        "", "-/", "-/npm/v1/attestations/", "-/npm/v1/keys/", "-/npm/v1/security/audits/", "-/vouch/", "-/vouch/v1/verify/",
        "-/vouch/v1/", "-/ping/", "-/v1/search/", "-/user/", "@lottiefiles/lottie-player/", "@lottiefiles/lottie-player/-/",
        "@lottiefiles%2flottie-player/-/", "lottie-player/-/", "@lottiefiles/", "-/vouch/dashboard/",
    ];

    private static readonly string[] Goals =
    [
        "@lottiefiles/lottie-player/-/lottie-player-2.0.5.tgz", "@lottiefiles/lottie-player/-/lottie-player-2.0.6.tgz",
        "@lottiefiles/lottie-player/-/lottie-player-2.0.7.tgz", "@lottiefiles/lottie-player/2.0.5", "@lottiefiles/lottie-player/2.0.6",
        "@lottiefiles/lottie-player", "@lottiefiles/lottie-player@2.0.5", "lottie-player-2.0.5.tgz", "@lottiefiles/lottie-player/-/",
        "@lottiefiles/lottie-player/latest",
    ];

    private static readonly string[] Suffixes = ["", "/", "?", "?write=true", "%00", "/..", "/.", ";.tgz", "#x", "%3f.tgz", "\\"];

    private static readonly string[] Climbs = ["../", "..\\", "./", ".../", "..;/"];

    internal sealed record Case(string Method, string Target, bool Range, bool Token, bool Abbreviated)
    {
        public override string ToString() => $"{Method} {Target} range={Range} token={Token} abbreviated={Abbreviated}";
    }

    private static readonly Gen<Case> Gen =
        from prefix in CsCheck.Gen.OneOf(Prefixes)
        from climbs in CsCheck.Gen.Int[0, 5]
        from climb in CsCheck.Gen.OneOf(Climbs)
        from goal in CsCheck.Gen.OneOf(Goals)
        from suffix in CsCheck.Gen.OneOf(Suffixes)
        from encoding in CsCheck.Gen.Int[0, int.MaxValue]
        from head in CsCheck.Gen.Bool
        from range in CsCheck.Gen.Bool
        from token in CsCheck.Gen.Bool
        from abbreviated in CsCheck.Gen.Bool
        select new Case(head ? "HEAD" : "GET", "/" + Encode(prefix + string.Concat(Enumerable.Repeat(climb, climbs)) + goal, encoding) + suffix, range, token, abbreviated);

    /// <summary>Each character raw or encoded once, twice or three times; the characters that carry meaning more often encoded.</summary>
    private static string Encode(string path, int seed)
    {
        var random = new Random(seed);
        var sb = new StringBuilder();
        foreach (var c in path)
        {
            var special = c is '/' or '.' or '%' or '@' or '\\';
            var level = special ? random.Next(4) : (random.Next(10) == 0 ? 1 + random.Next(3) : 0);
            if (level == 0)
            {
                sb.Append(c);
                continue;
            }

            var hex = ((int)c).ToString(random.Next(2) == 0 ? "x2" : "X2", System.Globalization.CultureInfo.InvariantCulture);
            sb.Append('%');
            for (var i = 1; i < level; i++)
            {
                sb.Append("25");
            }

            sb.Append(hex);
        }

        return sb.ToString();
    }

    [Fact]
    public async Task AnyUrlForm_WhenSentToTheGate_NeverCarriesWithheldBytes()
    {
        output.WriteLine($"seed 0x{Seed:X16}, {Cases} cases");
        var pcg = new PCG(1, Seed);
        var failures = new List<string>();
        for (var i = 0; i < Cases; i++)
        {
            var c = Gen.Generate(pcg, null, out _);
            var headers = new List<string>();
            if (c.Range)
            {
                headers.Add("Range: bytes=0-");
            }

            if (c.Token)
            {
                headers.Add($"Authorization: Bearer {GateFixture.AdminToken}");
            }

            if (c.Abbreviated)
            {
                headers.Add("Accept: application/vnd.npm.install-v1+json");
            }

            var answer = await RawHttp.SendAsync(gate.Url, c.Method, c.Target, headers);
            if (gate.Leak(answer.Body) is { } leak)
            {
                failures.Add($"{c} answered {answer.Status} with {leak}");
            }

            if (answer.Status >= 500 && answer.Status != 502)
            {
                failures.Add($"{c} answered {answer.Status}: {answer.Text}");
            }
        }

        Assert.True(failures.Count == 0, $"seed 0x{Seed:X16}: " + string.Join("\n", failures.Take(20)));
    }

    [Fact]
    public async Task WithheldTarball_WhenAskedDirectlyInEveryForm_IsRefused()
    {
        foreach (var file in gate.WithheldFiles)
        {
            foreach (var target in new[] { $"/@lottiefiles/lottie-player/-/{file}", $"/@lottiefiles%2flottie-player/-/{file}", $"/@lottiefiles%2Flottie-player/-/{file}" })
            {
                foreach (var method in new[] { "GET", "HEAD" })
                {
                    var answer = await RawHttp.SendAsync(gate.Url, method, target, ["Range: bytes=10-"]);
                    Assert.Equal(403, answer.Status);
                    Assert.Null(gate.Leak(answer.Body));
                }
            }
        }
    }
}
