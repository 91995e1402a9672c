using Vouch.Audit;
using Vouch.Cli.Composition;
using Vouch.Npm;
using Vouch.Npm.Lockfiles;
using Vouch.Policy;

namespace Vouch.Cli.Services;

/// <summary>What `vouch audit` was asked to do, validated by the command.</summary>
internal sealed record AuditRequest
{
    public required string Path { get; init; }

    public string? DiffLockfile { get; init; }

    public string? BaseRef { get; init; }

    public bool NoPolicy { get; init; }

    public int Concurrency { get; init; } = 32;

    /// <summary>Every lockfile under <see cref="Path"/> (a directory), one report with a section each.</summary>
    public bool Recursive { get; init; }

    /// <summary>How long cached policy facts stand before deprecation is revalidated (<c>--max-age</c>, <c>--prefer-online</c>/<c>--prefer-offline</c>).</summary>
    public TimeSpan MaxAge { get; init; } = AuditOptions.DefaultMaxAge;

    /// <summary><c>--registry-keys-for</c> values as given: <c>@scope=FILE</c> or <c>URL=FILE</c>.</summary>
    public IReadOnlyList<string> RegistryKeysFor { get; init; } = [];

    /// <summary>Time by stage (<c>--profile</c>, <c>VOUCH_PROFILE=1</c>); null: not measured.</summary>
    public AuditProfile? Profile { get; init; }

    /// <summary>The lockfile's evidence pack, read ahead (set by the service, not by the command).</summary>
    public PackPreload? PackPreload { get; init; }
}

/// <summary>
/// `vouch audit` without the console: reads the lockfile (and the base to diff against), resolves the
/// policy beside it, builds the services from the shared settings and runs the audit pipeline with
/// the policy judge deciding per package.
/// </summary>
internal static class AuditService
{
    /// <summary>`vouch audit --recursive`: every lockfile under the directory, read before anything is fetched, with one registry client and one evidence cache (those of the shallowest lockfile's project).</summary>
    public static async Task<RecursiveAuditReport> RunRecursiveAsync(AuditRequest request, ServiceSettings settings, CancellationToken ct)
    {
        IReadOnlyList<Lockfile> lockfiles;
        try
        {
            using var measure = request.Profile.Measure(AuditStage.Lockfile);
            lockfiles = RecursiveAudit.ReadAll(RecursiveAudit.FindLockfileDirectories(request.Path));
        }
        catch (LockfileFormatException e)
        {
            throw new UsageException($"{e.Code}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {request.Path}: {e.Message}");
        }

        if (lockfiles.Count == 0)
        {
            throw new UsageException($"--recursive: no lockfile under {request.Path}");
        }

        var (services, pipeline, registries) = await BuildAsync(request, settings, lockfiles[0], ct).ConfigureAwait(false);
        using (services)
        {
            var all = await RecursiveAudit.RunAsync(pipeline, request.Path, lockfiles, l => AuditLint.Check(l, registries), null, ct).ConfigureAwait(false);
            return all with { Sections = [.. all.Sections.Select(s => s with { TrustSource = services.Trust.Description, Registry = services.Config.Registry.ToString() })] };
        }
    }

    public static async Task<AuditReport> RunAsync(AuditRequest request, ServiceSettings settings, IProgress<AuditProgress>? progress, CancellationToken ct)
    {
        // The lockfile's evidence pack is read while the lockfile is parsed and trust material, policy
        // and configuration load: it is found by the lockfile's path alone, and the pipeline uses it
        // only if that is the path of the lockfile it audits.
        var preload = LockfileReader.Find(request.Path) is { } found ? EvidencePack.Preload(EvidenceDirectory(settings), found) : null;
        try
        {
            var lockfileStarted = System.Diagnostics.Stopwatch.GetTimestamp();
            var lockfile = LockfileInput.Read(request.Path);
            Lockfile? baseLockfile = null;
            string? baseLabel = null;
            if (request.DiffLockfile is { } diffPath)
            {
                (baseLockfile, baseLabel) = (LockfileInput.Read(diffPath), diffPath);
            }
            else if (request.BaseRef is { } gitRef)
            {
                (baseLockfile, baseLabel) = (LockfileInput.Parse(GitFiles.ShowAt(lockfile.Path, gitRef, "--base"), lockfile.Path, gitRef), gitRef);
            }

            request.Profile?.Add(AuditStage.Lockfile, lockfileStarted);

            var (services, pipeline, registries) = await BuildAsync(request with { PackPreload = preload }, settings, lockfile, ct).ConfigureAwait(false);
            using (services)
            {
                var lint = AuditLint.Check(lockfile, registries);
                var report = baseLockfile is null
                    ? await pipeline.RunAsync(lockfile, lint, progress, ct).ConfigureAwait(false)
                    : await pipeline.RunDiffAsync(lockfile, baseLockfile, baseLabel!, lint, progress, ct).ConfigureAwait(false);
                return report with { TrustSource = services.Trust.Description, Registry = services.Config.Registry.ToString() };
            }
        }
        finally
        {
            if (preload is not null)
            {
                await preload.SettleAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<(VouchServices Services, AuditPipeline Pipeline, IReadOnlyList<Uri> Registries)> BuildAsync(AuditRequest request, ServiceSettings settings, Lockfile lockfile, CancellationToken ct)
    {
        using var measure = request.Profile.Measure(AuditStage.Setup);
        var projectDirectory = System.IO.Path.GetDirectoryName(lockfile.Path)!;

        // As `vouch verify`: no file found means the documented built-in default, never "no rules"
        // (a trust downgrade such as lottie-player's fails an audit out of the box).
        var policy = request.NoPolicy ? null : await PolicyResolver.ResolveAsync(settings.PolicySource, projectDirectory, ct).ConfigureAwait(false);

        // The evidence cache (with the policy's immutable facts) is what makes a second audit fast;
        // the registry's HTTP cache would only add a disk write per packument. It is kept for
        // offline audits, which can answer only from what is on disk.
        var services = VouchServices.Create(settings with
        {
            WorkingDirectory = projectDirectory,
            MaxConcurrency = request.Concurrency,
            HttpCache = settings.Offline,
        });
        try
        {
            var config = services.Config;
            var registries = new[] { config.Registry }.Concat(config.ScopeRegistries.Values).Distinct().ToList();
            var judge = policy is null ? null : services.Judge(policy);
            var options = new AuditOptions
            {
                Concurrency = request.Concurrency,
                EvidenceCacheDirectory = EvidenceDirectory(settings),
                PackPreload = request.PackPreload,
                EvidencePack = true,
                Policy = judge is null ? null : input => Judge(judge, input),
                PolicyNeedsPackument = judge is not null,
                SlsaMapping = policy?.SlsaMapping ?? Vouch.Provenance.Slsa.SlsaMappingOptions.Default,
                PolicyHistory = (packument, version) => ReleaseLine.Predecessors(packument, version.Version),

                // Offline, nothing can be revalidated: the cached facts stand as they are.
                MaxAge = settings.Offline ? TimeSpan.MaxValue : request.MaxAge,
                Time = services.Time,
                Profile = request.Profile,
                CheckResolvedHost = false,
                ScopedRegistryKeys = ScopedKeys(request.RegistryKeysFor, config),
                PublicRegistryKeys = PublicKeysForScopes(settings, services),
                TrustedRegistryKeys = services.Trust.Keys,
                TrustServedRegistryKeys = !services.Trust.KeysPinned,
            };
            var pipeline = new AuditPipeline(services.Registry, services.Verifier, options);
            return (services, pipeline, registries);
        }
        catch
        {
            services.Dispose();
            throw;
        }
    }

    private static string EvidenceDirectory(ServiceSettings settings) => System.IO.Path.Combine(VouchPaths.CacheDirectory(settings.CacheDirectory), "audit-evidence");

    /// <summary>
    /// The public registry's keys for scopes mapped to registry.npmjs.org while the default registry
    /// is another: TUF or the embedded copy, never a <c>--registry-keys</c> file (that file is the
    /// default registry's). Read only when such a scope exists (a TUF status check costs time).
    /// </summary>
    private static Vouch.Provenance.RegistryKeys? PublicKeysForScopes(ServiceSettings settings, VouchServices services)
    {
        var config = services.Config;
        if (Vouch.Provenance.PackageVerifier.IsPublicRegistry(config.Registry) || !config.ScopeRegistries.Values.Any(Vouch.Provenance.PackageVerifier.IsPublicRegistry))
        {
            return null;
        }

        return settings.RegistryKeysFile is null ? services.Trust.Keys : TrustMaterialLoader.PublicNpmKeys(settings.CacheDirectory);
    }

    /// <summary>
    /// <c>--registry-keys-for @scope=FILE</c> or <c>URL=FILE</c>: the keys a scoped registry's packages
    /// are judged by, instead of the ones it serves. The default registry takes <c>--registry-keys</c>;
    /// the public registry's keys come only from TUF or the embedded copy, never from a file here.
    /// </summary>
    internal static Dictionary<Uri, Vouch.Provenance.RegistryKeys> ScopedKeys(IReadOnlyList<string> values, NpmConfig config)
    {
        var result = new Dictionary<Uri, Vouch.Provenance.RegistryKeys>();
        foreach (var value in values)
        {
            var eq = value.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == value.Length - 1)
            {
                throw new UsageException($"--registry-keys-for: '{value}' is not @scope=FILE or URL=FILE");
            }

            var (target, file) = (value[..eq], value[(eq + 1)..]);
            Uri registry;
            if (target.StartsWith('@'))
            {
                if (!config.ScopeRegistries.TryGetValue(target, out var scoped))
                {
                    throw new UsageException($"--registry-keys-for: {target} has no registry in .npmrc ({target}:registry=URL)");
                }

                registry = scoped;
            }
            else if (!NpmConfig.TryParseRegistryUrl(target, out registry!, out var error))
            {
                throw new UsageException($"--registry-keys-for: {target}: {error}");
            }

            if (registry == config.Registry)
            {
                throw new UsageException($"--registry-keys-for: {registry} is the default registry; give its keys with --registry-keys");
            }

            if (Vouch.Provenance.PackageVerifier.IsPublicRegistry(registry))
            {
                throw new UsageException($"--registry-keys-for: {registry} is the public npm registry, whose keys come only from TUF or the embedded copy");
            }

            if (!result.TryAdd(registry, TrustMaterialLoader.KeysFromFile(file, "--registry-keys-for")))
            {
                throw new UsageException($"--registry-keys-for: {registry} is given twice");
            }
        }

        return result;
    }

    /// <summary>The judge's verdict on what the pipeline verified, as audit findings.</summary>
    private static PolicyOutcome Judge(PackageJudge judge, PolicyInput input)
    {
        if (input.Packument is null)
        {
            // Not expected (the pipeline hands the policy a document whenever it applies one), but never a silent pass.
            return new PolicyOutcome([new AuditFinding(PolicyCodes.VersionUnknown, AuditSeverity.Error, FindingSource.Policy, $"{input.Package.Name}@{input.Package.Version}: no registry document to judge the policy on")], false);
        }

        var verdict = judge.Judge(input.Report, input.Packument, new JudgementContext { BaseVersion = input.BaseVersion, IsNewDependency = input.IsNewDependency, VerdictOnly = true }).Verdict!;
        var findings = verdict.Findings
            .Where(f => f.Severity != PolicySeverity.Off)
            .Select(f => new AuditFinding(f.Code, f.Severity == PolicySeverity.Error ? AuditSeverity.Error : AuditSeverity.Warning, FindingSource.Policy, $"{f.Message} ({f.Evidence})") { Rule = f.Rule, Fix = f.Fix })
            .ToList();
        return new PolicyOutcome(findings, verdict.Allowed);
    }
}

/// <summary>Lockfiles as commands read them: unreadable or malformed input is a usage error with the lockfile code.</summary>
internal static class LockfileInput
{
    public static Lockfile Read(string pathOrDirectory)
    {
        try
        {
            return LockfileReader.Read(pathOrDirectory);
        }
        catch (LockfileFormatException e)
        {
            throw new UsageException($"{e.Code}: {e.Message}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {pathOrDirectory}: {e.Message}");
        }
    }

    /// <summary>Lockfile text from elsewhere (a git ref), named by <paramref name="label"/> in errors.</summary>
    public static Lockfile Parse(string content, string path, string label)
    {
        try
        {
            return LockfileReader.Parse(content, path);
        }
        catch (LockfileFormatException e)
        {
            throw new UsageException($"{e.Code}: {label}: {e.Message}");
        }
    }
}
