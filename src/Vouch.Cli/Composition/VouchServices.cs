using Vouch.Advisories;
using Vouch.Npm;
using Vouch.Policy;
using Vouch.Provenance;

namespace Vouch.Cli.Composition;

/// <summary>
/// The composition root: builds the registry client, trust material, verifiers and the policy judge
/// every command uses, from one <see cref="ServiceSettings"/>. Commands parse, call what this builds,
/// and render; none constructs these parts itself.
/// </summary>
internal sealed class VouchServices : IDisposable
{
    private AdvisoryStore? _advisories;
    private bool _advisoriesOpened;
    private (string Store, Vouch.Reviews.IReviewEvidence Evidence)? _reviews;

    private VouchServices(ServiceSettings settings, NpmConfig config, RegistryClient registry, TrustMaterial trust, TimeProvider time)
    {
        Settings = settings;
        Config = config;
        Registry = registry;
        Trust = trust;
        Time = time;
        Verifier = new PackageVerifier(registry, trust.CreateSigstoreVerifier(), trust.Keys, trustServedKeys: !trust.KeysPinned);
    }

    public ServiceSettings Settings { get; }

    public NpmConfig Config { get; }

    public RegistryClient Registry { get; }

    public TrustMaterial Trust { get; }

    public PackageVerifier Verifier { get; }

    public TimeProvider Time { get; }

    /// <summary>The resolved cache directory (`--cache-dir`, else the default).</summary>
    public string CacheDirectory => VouchPaths.CacheDirectory(Settings.CacheDirectory);

    public static VouchServices Create(ServiceSettings settings) => Create(settings, TimeProvider.System, RegistryClient.CreateDefaultHandler());

    public static VouchServices Create(ServiceSettings settings, TimeProvider time, HttpMessageHandler handler)
    {
        var trust = LoadTrust(settings);
        var npmOptions = NpmConfigOptions.FromCurrentProcess(settings.Registry);
        if (settings.WorkingDirectory is not null)
        {
            npmOptions = npmOptions with { WorkingDirectory = settings.WorkingDirectory };
        }

        var config = NpmConfig.Load(npmOptions);
        var cache = settings.HttpCache ? Path.Combine(VouchPaths.CacheDirectory(settings.CacheDirectory), "registry") : null;
        var clientOptions = new RegistryClientOptions { Offline = settings.Offline, CacheMaxAge = settings.HttpCacheMaxAge };
        if (settings.MaxConcurrency is { } n)
        {
            clientOptions = clientOptions with { MaxConcurrency = n };
        }

        var registry = new RegistryClient(handler, config, cache, time, clientOptions, disposeHandler: true);
        return new VouchServices(settings, config, registry, trust, time);
    }

    /// <summary>
    /// Services over npm configuration and trust material the caller already has (the sandbox demo:
    /// its own registry, its own trusted root, no npm keys), with no HTTP cache.
    /// </summary>
    public static VouchServices Create(NpmConfig config, TrustMaterial trust)
    {
        var registry = new RegistryClient(RegistryClient.CreateDefaultHandler(), config, null, TimeProvider.System, new RegistryClientOptions(), disposeHandler: true);
        return new VouchServices(new ServiceSettings { HttpCache = false }, config, registry, trust, TimeProvider.System);
    }

    /// <summary>Trust material alone (the gate and `sigstore verify-bundle` need no registry client).</summary>
    public static TrustMaterial LoadTrust(ServiceSettings settings) =>
        TrustMaterialLoader.Load(settings.CacheDirectory, settings.TrustedRootFile, settings.RegistryKeysFile);

    /// <summary>Where `vouch db update` keeps the advisory database: &lt;cache dir&gt;/advisories/osv-npm.db.</summary>
    public string AdvisoryDatabasePath => Path.Combine(CacheDirectory, "advisories", "osv-npm.db");

    /// <summary>
    /// The advisory database for the `advisories` and `malware` rules, opened on first use; null when
    /// none was downloaded (the rules then say so when the policy asks for them). A database that
    /// exists but cannot be opened is a usage error, never a silent pass.
    /// </summary>
    public IAdvisoryDatabase? Advisories()
    {
        if (!_advisoriesOpened)
        {
            _advisoriesOpened = true;
            if (File.Exists(AdvisoryDatabasePath))
            {
                try
                {
                    _advisories = AdvisoryStore.Open(AdvisoryDatabasePath, create: false, Time);
                }
                catch (AdvisoryException e)
                {
                    throw new UsageException($"{e.Code}: {e.Message}");
                }
            }
        }

        return _advisories;
    }

    public PolicyEvaluator Evaluator(PolicyDocument policy) => new(policy, Time, Advisories(), Reviews(policy));

    /// <summary>
    /// The organisation's reviews for the policy's `reviews` rule (its store: directory), loaded once per
    /// directory; null when the policy does not configure the rule or the directory does not exist (the
    /// rule then fails with VOUCH_POLICY_REVIEWS_UNAVAILABLE). Malformed records are a usage error.
    /// </summary>
    public Vouch.Reviews.IReviewEvidence? Reviews(PolicyDocument policy)
    {
        if (policy.ReviewStore is not { } store || !Directory.Exists(store))
        {
            return null;
        }

        if (_reviews is { } loaded && loaded.Store == store)
        {
            return loaded.Evidence;
        }

        try
        {
            var evidence = Vouch.Reviews.ReviewRuleEvaluator.Load(store, Trust.CreateSigstoreVerifier(), Time);
            _reviews = (store, evidence);
            return evidence;
        }
        catch (Vouch.Reviews.ReviewFormatException e)
        {
            throw new UsageException($"{e.Code}: {e.Message}");
        }
    }

    /// <summary>The verify-then-judge flow under a policy.</summary>
    public PackageJudge Judge(PolicyDocument policy) => new(Registry, Verifier, Evaluator(policy));

    public void Dispose()
    {
        Registry.Dispose();
        _advisories?.Dispose();
    }
}
