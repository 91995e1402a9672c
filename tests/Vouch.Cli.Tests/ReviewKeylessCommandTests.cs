using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Vouch.Sandbox;
using Vouch.Sandbox.Sigstore;
using Vouch.Tests;

namespace Vouch.Cli.Tests;

/// <summary>
/// `vouch review certify --sign --identity-token-env NAME` end to end: the CLI talks HTTP to Fulcio and
/// Rekor in front of the sandbox's Sigstore instance on 127.0.0.1, and `vouch review check` verifies
/// what it wrote against that instance's trusted root and trust.toml.
/// </summary>
public sealed class ReviewKeylessCommandTests : IAsyncLifetime
{
    private const string ScenarioYaml = """
        name: review-keyless
        packages:
          - name: tiny-lib
            versions:
              - version: 1.0.0
                published: -30d
        """;

    private static readonly GitHubWorkflowIdentity Alice = new("alice/reviews", "refs/heads/main", new string('a', 40), ".github/workflows/review.yml");
    private static readonly GitHubWorkflowIdentity Mallory = new("mallory/reviews", "refs/heads/main", new string('b', 40), ".github/workflows/review.yml");

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("vouch-review-keyless-");
    private readonly SigstoreInstance _sigstore = SigstoreInstance.Create();
    private readonly string _tokenVariable = "VOUCH_TEST_ID_TOKEN_" + Guid.NewGuid().ToString("N");
    private SandboxSigstoreServices _services = null!;
    private SandboxRegistry _sandbox = null!;
    private WebApplication _app = null!;
    private Uri _sigstoreUrl = null!;

    private string Store => Path.Combine(_dir.FullName, "supply-chain");

    private string TrustedRoot => Path.Combine(_dir.FullName, "trusted_root.json");

    public async Task InitializeAsync()
    {
        _services = new SandboxSigstoreServices(_sigstore);
        File.WriteAllText(TrustedRoot, _sigstore.TrustedRootJson());
        _sandbox = await SandboxRegistry.StartAsync(Scenario.Parse(ScenarioYaml, "review-keyless.yml"), new SandboxOptions());
        (_app, _sigstoreUrl) = await LoopbackHost.StartAsync(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            var (status, answer) = _services.Handle(context.Request.Method, context.Request.Path.Value ?? "", body.ToArray());
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer);
        });
        Assert.Equal(0, (await InProcessCli.Run("review", "trust", "add", "alice", "--identity", Alice.BuildSignerUri, "--issuer", GitHubWorkflowIdentity.GitHubActionsIssuer, "--level", "high", "--store", Store)).Exit);
    }

    public async Task DisposeAsync()
    {
        Environment.SetEnvironmentVariable(_tokenVariable, null);
        await _app.DisposeAsync();
        await _sandbox.DisposeAsync();
        _services.Dispose();
        _sigstore.Dispose();
        _dir.Delete(recursive: true);
    }

    private string[] Keyless(string? fulcio = null, string? rekor = null, bool allowHttp = true) =>
    [
        "--sign", "--identity-token-env", _tokenVariable,
        "--fulcio-url", fulcio ?? _sigstoreUrl.AbsoluteUri, "--rekor-url", rekor ?? _sigstoreUrl.AbsoluteUri,
        .. allowHttp ? new[] { "--sigstore-allow-http-unsafe" } : [],
        "--trusted-root", TrustedRoot,
    ];

    private Task<(int Exit, string Out, string Err)> Certify(params string[] extra) =>
        InProcessCli.Run(["review", "certify", "tiny-lib@1.0.0", "--criteria", "safe-to-deploy", "--store", Store,
            "--registry", _sandbox.Url.ToString(), "--cache-dir", Path.Combine(_dir.FullName, "cache"), .. extra]);

    private string UseToken(string token)
    {
        Environment.SetEnvironmentVariable(_tokenVariable, token);
        return token;
    }

    private async Task<string> Lockfile()
    {
        using var http = new HttpClient();
        var dist = JsonNode.Parse(await http.GetStringAsync(new Uri(_sandbox.Url, "tiny-lib")))!["versions"]!["1.0.0"]!["dist"]!;
        var path = Path.Combine(_dir.FullName, "package-lock.json");
        File.WriteAllText(path, new JsonObject
        {
            ["name"] = "app",
            ["lockfileVersion"] = 3,
            ["packages"] = new JsonObject
            {
                [""] = new JsonObject { ["name"] = "app" },
                ["node_modules/tiny-lib"] = new JsonObject { ["version"] = "1.0.0", ["resolved"] = (string)dist["tarball"]!, ["integrity"] = (string)dist["integrity"]! },
            },
        }.ToJsonString());
        return path;
    }

    private void AssertNothingRecorded()
    {
        Assert.False(File.Exists(Path.Combine(Store, "audits.toml")), "no audit is recorded when signing did not happen");
        Assert.False(Directory.Exists(Path.Combine(Store, "reviews")) && Directory.EnumerateFiles(Path.Combine(Store, "reviews")).Any(), "no bundle is written");
    }

    [Fact]
    public async Task Certify_WhenSignedKeylessAsTheAcceptedReviewer_CheckVerifiesTheirReview()
    {
        var token = UseToken(_services.MintToken(Alice));
        var (exit, output, err) = await Certify(Keyless());
        Assert.True(exit == 0, err + output);
        Assert.Contains($"signed keyless as: {Alice.BuildSignerUri}", output, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[2], output + err, StringComparison.Ordinal);
        Assert.Equal((1, 1), (_services.FulcioRequests, _services.RekorRequests));

        var check = await InProcessCli.Run("review", "check", await Lockfile(), "--store", Store, "--trusted-root", TrustedRoot, "--json");
        Assert.True(check.Exit == 0, check.Err + check.Out);
        var review = JsonNode.Parse(check.Out)!["signedReviews"]!.AsArray().Single()!;
        Assert.Equal(("alice", Alice.BuildSignerUri), ((string?)review["reviewer"], (string?)review["identity"]));

        // Against another Sigstore's root (the registry sandbox's), the same bundle does not verify.
        var otherRoot = await InProcessCli.Run("review", "check", await Lockfile(), "--store", Store, "--trusted-root", _sandbox.TrustedRootPath, "--json");
        Assert.Equal(1, otherRoot.Exit);
        Assert.Equal("VOUCH_REVIEW_SIGNATURE_INVALID", (string?)JsonNode.Parse(otherRoot.Out)!["signedReviewProblems"]![0]!["code"]);
    }

    [Fact]
    public async Task Certify_WhenCertificateIdentityIsNotTheAcceptedReviewer_CheckRefusesTheReview()
    {
        UseToken(_services.MintToken(Mallory));
        var (exit, output, err) = await Certify(Keyless());
        Assert.True(exit == 0, err + output);

        var check = await InProcessCli.Run("review", "check", await Lockfile(), "--store", Store, "--trusted-root", TrustedRoot, "--json");
        var json = JsonNode.Parse(check.Out)!;
        Assert.Empty(json["signedReviews"]!.AsArray());
        var problem = json["signedReviewProblems"]!.AsArray().Single()!;
        Assert.Equal("VOUCH_REVIEW_REVIEWER_UNKNOWN", (string?)problem["code"]);
        Assert.Contains(Mallory.BuildSignerUri, (string?)problem["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Certify_WhenFulcioRefusesTheToken_ExitsTwoRecordsNothingAndNeverPrintsTheToken()
    {
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = UseToken(_services.MintToken(Alice, issuerKey: forger));
        var (exit, output, err) = await Certify(Keyless());
        Assert.Equal(2, exit);
        Assert.StartsWith("vouch: VOUCH_REVIEW_SIGNING_REFUSED: Fulcio answered HTTP 401", err, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[2], output + err, StringComparison.Ordinal);
        AssertNothingRecorded();
    }

    [Fact]
    public async Task Certify_WhenFulcioEchoesTheToken_TheMessageRedactsIt()
    {
        _services.FulcioFailure = 400;
        var token = UseToken(_services.MintToken(Alice));
        var (exit, output, err) = await Certify(Keyless());
        Assert.Equal(2, exit);
        Assert.Contains("[token]", err, StringComparison.Ordinal);
        Assert.DoesNotContain(token, output + err, StringComparison.Ordinal);
        AssertNothingRecorded();
    }

    [Fact]
    public async Task Certify_WhenRekorAnswersWithAForgedPromise_ExitsOneAndWritesNoBundle()
    {
        _services.TamperRekor = answer =>
        {
            var verification = answer.First().Value!["verification"]!;
            var set = Convert.FromBase64String((string)verification["signedEntryTimestamp"]!);
            set[^3] ^= 1;
            verification["signedEntryTimestamp"] = Convert.ToBase64String(set);
            return answer;
        };
        UseToken(_services.MintToken(Alice));
        var (exit, _, err) = await Certify(Keyless());
        Assert.Equal(1, exit);
        Assert.StartsWith("vouch: VOUCH_REVIEW_SIGNING_UNVERIFIED:", err, StringComparison.Ordinal);
        AssertNothingRecorded();
    }

    [Fact]
    public async Task Certify_WhenFulcioIsUnreachable_ExitsThree()
    {
        UseToken(_services.MintToken(Alice));
        var (exit, _, err) = await Certify(Keyless(fulcio: "http://127.0.0.1:9/"));
        Assert.Equal(3, exit);
        Assert.StartsWith("vouch: VOUCH_REVIEW_SIGNING_UNAVAILABLE:", err, StringComparison.Ordinal);
        AssertNothingRecorded();
    }

    public static TheoryData<string, string[]> BadStartUps() => new()
    {
        { "--fulcio-url: must be https", ["--sign", "--identity-token-env", "{var}", "--fulcio-url", "http://127.0.0.1:1/"] },
        { "--rekor-url: http is allowed only on a loopback address", ["--sign", "--identity-token-env", "{var}", "--rekor-url", "http://rekor.example/", "--sigstore-allow-http-unsafe"] },
        { "--fulcio-url: give the service's base URL", ["--sign", "--identity-token-env", "{var}", "--fulcio-url", "https://user:pw@fulcio.example/"] },
        { "--rekor-url: 'ftp://rekor.example/' is not an http(s) URL", ["--sign", "--identity-token-env", "{var}", "--rekor-url", "ftp://rekor.example/"] },
        { "--identity-token-env: only with --sign", ["--identity-token-env", "{var}"] },
        { "--fulcio-url: only with --sign", ["--sign", "--key", "k.pem", "--fulcio-url", "https://fulcio.example/"] },
        { "--key and --identity-token-env", ["--sign", "--key", "k.pem", "--identity-token-env", "{var}"] },
        { "--sign needs --key FILE (a local key) or --identity-token-env NAME", ["--sign"] },
        { "--identity-token-env: $VOUCH_TEST_UNSET_TOKEN is not set or empty", ["--sign", "--identity-token-env", "VOUCH_TEST_UNSET_TOKEN"] },
        { "the identity token is not a JWT", ["--sign", "--identity-token-env", "{var}", "--token-value", "secret-not-a-jwt"] },
    };

    [Theory]
    [MemberData(nameof(BadStartUps))]
    public async Task Certify_WhenKeylessOptionsAreBad_ExitsTwoBeforeAnyRequest(string expected, string[] args)
    {
        var tokenValue = args.SkipWhile(a => a != "--token-value").Skip(1).FirstOrDefault();
        UseToken(tokenValue ?? _services.MintToken(Alice));
        var realArgs = args.TakeWhile(a => a != "--token-value").Select(a => a == "{var}" ? _tokenVariable : a).ToArray();
        var requests = _sandbox.RequestCount;
        var (exit, output, err) = await Certify(realArgs);
        Assert.Equal(2, exit);
        Assert.Contains(expected, err, StringComparison.Ordinal);
        if (tokenValue is not null)
        {
            Assert.DoesNotContain(tokenValue, output + err, StringComparison.Ordinal);
        }

        Assert.Equal((0, 0, requests), (_services.FulcioRequests, _services.RekorRequests, _sandbox.RequestCount));
        AssertNothingRecorded();
    }
}
