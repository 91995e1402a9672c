using Vouch.Npm;
using Vouch.Provenance;
using Vouch.Sigstore.Trust;
using Vouch.Sigstore.Verification;

namespace Vouch.Sandbox.Tests.Registry;

/// <summary>Verifies against a running sandbox exactly as `vouch verify --registry URL --trusted-root PATH` does.</summary>
internal sealed class SandboxVerifier : IDisposable
{
    private readonly RegistryClient _client;

    public SandboxVerifier(SandboxRegistry registry, TrustedRoot? root = null)
    {
        var home = Path.Combine(Path.GetTempPath(), "vouch-sandbox-tests-home");
        Directory.CreateDirectory(home);
        var config = NpmConfig.Load(new NpmConfigOptions { WorkingDirectory = home, HomeDirectory = home, RegistryOverride = registry.Url });
        _client = new RegistryClient(RegistryClient.CreateDefaultHandler(), config, null, TimeProvider.System, new RegistryClientOptions { MaxRetries = 0 }, disposeHandler: true);
        var keys = RegistryKeys.Parse(System.Text.Encoding.UTF8.GetBytes(registry.RegistryKeysJson), "sandbox registry keys").WithV1KeysForAttestations();
        Verifier = new PackageVerifier(_client, new SigstoreVerifier(root ?? TrustedRoot.Parse(System.Text.Encoding.UTF8.GetBytes(registry.TrustedRootJson))), keys);
    }

    public PackageVerifier Verifier { get; }

    public RegistryClient Client => _client;

    public Task<PackageReport> VerifyAsync(string spec) => Verifier.VerifyAsync(PackageSpec.Parse(spec));

    public void Dispose() => _client.Dispose();
}

/// <summary>One sandbox per scenario, shared by a test class.</summary>
public abstract class RegistryFixture : IAsyncLifetime
{
    private SandboxRegistry? _registry;

    public SandboxRegistry Registry => _registry ?? throw new InvalidOperationException("not started");

    protected abstract Scenario CreateScenario();

    public async Task InitializeAsync() => _registry = await SandboxRegistry.StartAsync(CreateScenario(), new SandboxOptions());

    public async Task DisposeAsync()
    {
        if (_registry is not null)
        {
            await _registry.DisposeAsync();
        }
    }
}

public sealed class LottieFixture : RegistryFixture
{
    protected override Scenario CreateScenario() => Scenario.Builtin("lottie-player");
}

public sealed class HijackFixture : RegistryFixture
{
    protected override Scenario CreateScenario() => Scenario.Builtin("source-hijack");
}
