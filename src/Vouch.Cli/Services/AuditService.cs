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
}

/// <summary>
/// `vouch audit` without the console: reads the lockfile (and the base to diff against), resolves the
/// policy beside it, builds the services from the shared settings and runs the audit pipeline with
/// the policy judge deciding per package.
/// </summary>
internal static class AuditService
{
    public static async Task<AuditReport> RunAsync(AuditRequest request, ServiceSettings settings, IProgress<AuditProgress>? progress, CancellationToken ct)
    {
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

        var projectDirectory = System.IO.Path.GetDirectoryName(lockfile.Path)!;

        // As `vouch verify`: no file found means the documented built-in default, never "no rules"
        // (a trust downgrade such as lottie-player's fails an audit out of the box).
        var policy = request.NoPolicy ? null : await PolicyResolver.ResolveAsync(settings.PolicySource, projectDirectory, ct).ConfigureAwait(false);

        // The evidence cache is what makes a second audit fast; the registry's HTTP cache would only
        // add a disk write per packument. It is kept where documents are needed again: offline
        // audits, and policies (which read packuments on every run, revalidated with ETags).
        using var services = VouchServices.Create(settings with
        {
            WorkingDirectory = projectDirectory,
            MaxConcurrency = request.Concurrency,
            HttpCache = settings.Offline || policy is not null,
        });
        var config = services.Config;
        var registries = new[] { config.Registry }.Concat(config.ScopeRegistries.Values).Distinct().ToList();
        var lint = LockfileLint.Check(lockfile, registries)
            .Select(f => new PackageLint(f.Package, new AuditFinding(f.Code, f.Severity == LockfileLint.Error ? AuditSeverity.Error : AuditSeverity.Warning, FindingSource.Lockfile, f.Message)))
            .DistinctBy(l => (l.Package!.Name, l.Package.Version, l.Package.Source, l.Package.Resolved, l.Finding.Code))
            .ToList();
        var judge = policy is null ? null : services.Judge(policy);
        var options = new AuditOptions
        {
            Concurrency = request.Concurrency,
            EvidenceCacheDirectory = System.IO.Path.Combine(services.CacheDirectory, "audit-evidence"),
            Policy = judge is null ? null : input => Judge(judge, input),
            PolicyNeedsPackument = judge is not null,
            CheckResolvedHost = false,
        };
        var pipeline = new AuditPipeline(services.Registry, services.Verifier, options);
        var report = baseLockfile is null
            ? await pipeline.RunAsync(lockfile, lint, progress, ct).ConfigureAwait(false)
            : await pipeline.RunDiffAsync(lockfile, baseLockfile, baseLabel!, lint, progress, ct).ConfigureAwait(false);
        return report with { TrustSource = services.Trust.Description, Registry = config.Registry.ToString() };
    }

    /// <summary>The judge's verdict on what the pipeline verified, as audit findings.</summary>
    private static PolicyOutcome Judge(PackageJudge judge, PolicyInput input)
    {
        var verdict = judge.Judge(input.Report, input.Packument!, new JudgementContext { BaseVersion = input.BaseVersion, IsNewDependency = input.IsNewDependency }).Verdict!;
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
