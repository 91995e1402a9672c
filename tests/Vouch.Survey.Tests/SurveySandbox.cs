using System.Text;
using Vouch.Npm;
using Vouch.Provenance;
using Vouch.Sandbox;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;

namespace Vouch.Survey.Tests;

/// <summary>
/// A sandbox registry serving a small survey population (same generator as `vouch sandbox --scenario
/// survey`, fewer packages so the tests stay fast), and surveyors over it, optionally behind a
/// handler that tampers with or breaks responses.
/// </summary>
public sealed class SurveySandbox : IAsyncLifetime
{
    public static readonly SurveyPopulation Population = new()
    {
        Packages = 150,
        GitHubRepositories = 100,
        PublishingFromCi = 20,
        WithProvenance = 6,
        TrustedPublishers = 2,
        RepairedDowngrades = 2,
        CurrentDowngrades = 3,
        TamperedProvenance = 2,
        Unsigned = 3,
        Seed = 7,
    };

    private SandboxRegistry? _registry;
    private string? _home;

    public SandboxRegistry Registry => _registry!;

    public string ListPath { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _registry = await SandboxRegistry.StartAsync(Population.Generate(), new SandboxOptions());
        _home = Directory.CreateTempSubdirectory("vouch-survey-home-").FullName;
        ListPath = Path.Combine(_home, "packages.txt");
        await File.WriteAllLinesAsync(ListPath, SurveyPopulation.PackageList(_registry.Scenario));
    }

    public async Task DisposeAsync()
    {
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }

        if (_home is not null)
        {
            Directory.Delete(_home, recursive: true);
        }
    }

    public string TempDirectory() => Directory.CreateTempSubdirectory("vouch-survey-out-").FullName;

    /// <summary>A surveyor over the sandbox; <paramref name="wrap"/> puts a handler between it and the registry.</summary>
    public (PackageSurveyor Surveyor, RegistryClient Client) Surveyor(bool allVersions = false, Func<HttpMessageHandler, HttpMessageHandler>? wrap = null)
    {
        var config = NpmConfig.Load(new NpmConfigOptions { WorkingDirectory = _home!, HomeDirectory = _home!, RegistryOverride = Registry.Url });
        var handler = RegistryClient.CreateDefaultHandler();
        var client = new RegistryClient(wrap is null ? handler : wrap(handler), config, null, TimeProvider.System, new RegistryClientOptions { MaxRetries = 0 }, disposeHandler: true);
        var keys = RegistryKeys.Parse(Encoding.UTF8.GetBytes(Registry.RegistryKeysJson), "sandbox registry keys").WithV1KeysForAttestations();
        var verifier = new PackageVerifier(client, new SigstoreVerifier(TrustedRoot.Parse(Encoding.UTF8.GetBytes(Registry.TrustedRootJson))), keys);
        return (new PackageSurveyor(client, verifier, TimeProvider.System, allVersions), client);
    }

    public SurveyRunOptions Options(string dir, int concurrency = 4, string? checkpoint = null) => new()
    {
        Registry = Registry.Url.AbsoluteUri,
        Concurrency = concurrency,
        JsonlPath = Path.Combine(dir, "survey.jsonl"),
        CsvPath = Path.Combine(dir, "survey.csv"),
        CheckpointPath = checkpoint,
        CheckpointEvery = 7,
    };
}

/// <summary>Rewrites or fails responses on their way from the registry: the attacker (or the network) in the middle.</summary>
internal sealed class TamperingHandler(HttpMessageHandler inner, Func<HttpRequestMessage, string, string?>? rewrite = null, Func<HttpRequestMessage, bool>? fail = null) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (fail?.Invoke(request) == true)
        {
            throw new HttpRequestException("connection reset (test)");
        }

        var response = await base.SendAsync(request, cancellationToken);
        if (rewrite is null || !response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType?.Contains("json", StringComparison.Ordinal) != true)
        {
            return response;
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (rewrite(request, text) is { } changed)
        {
            var replaced = new HttpResponseMessage(response.StatusCode) { Content = new StringContent(changed, Encoding.UTF8, "application/json"), RequestMessage = request };
            response.Dispose();
            return replaced;
        }

        return response;
    }
}
