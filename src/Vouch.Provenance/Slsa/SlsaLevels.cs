namespace Vouch.Provenance.Slsa;

/// <summary>
/// Maps verified evidence of one package version to a SLSA v1.0 Build level (docs/slsa.md). Only what
/// Vouch verified counts: a provenance attestation with a problem earns nothing, and the platform and
/// runner come from the Fulcio certificate (signed by the CA from the platform's OIDC token), never from
/// the predicate's text alone.
/// </summary>
public static class SlsaLevels
{
    public static string VsaName(SlsaBuildLevel level) => $"SLSA_BUILD_LEVEL_{(int)level}";

    public static SlsaBuildLevel? ParseVsaName(string name) => name switch
    {
        "SLSA_BUILD_LEVEL_0" => SlsaBuildLevel.L0,
        "SLSA_BUILD_LEVEL_1" => SlsaBuildLevel.L1,
        "SLSA_BUILD_LEVEL_2" => SlsaBuildLevel.L2,
        "SLSA_BUILD_LEVEL_3" => SlsaBuildLevel.L3,
        _ => null,
    };

    public static SlsaAssessment Assess(PackageReport report, SlsaMappingOptions? options = null)
    {
        options ??= SlsaMappingOptions.Default;
        var p = report.Provenance;
        if (p.Status == EvidenceStatus.Absent)
        {
            return Row(SlsaBuildLevel.L0, SlsaRows.NoProvenance, "no provenance was published for this version: nothing describes how it was built");
        }

        if (p.Status != EvidenceStatus.Verified || p.Claims is null || report.Integrity.Status is not "verified")
        {
            return Row(SlsaBuildLevel.L0, SlsaRows.ProvenanceNotVerified,
                $"provenance is present but did not verify ({p.Problem?.Code ?? (report.Integrity.Status is not "verified" ? "tarball integrity " + report.Integrity.Status : "no claims")}); unverifiable provenance is indistinguishable from a forgery");
        }

        if (p.Issuer is null || !options.HostedIssuers.TryGetValue(p.Issuer, out var platform))
        {
            return Row(SlsaBuildLevel.L1, SlsaRows.UnknownPlatform,
                $"provenance verified, but its signing identity comes from '{p.Issuer ?? "no issuer"}', which is not a build platform this mapping knows as hosted (L2 needs a hosted platform)",
                null, p.RunnerEnvironment);
        }

        if (p.RunnerEnvironment is null)
        {
            return Row(SlsaBuildLevel.L1, SlsaRows.RunnerUnknown,
                $"provenance verified from {platform}, but the certificate does not say whether the runner was the platform's or the tenant's (no runner-environment extension), so a hosted build is not shown",
                platform, null);
        }

        if (!options.HostedRunnerEnvironments.Contains(p.RunnerEnvironment))
        {
            return Row(SlsaBuildLevel.L1, SlsaRows.SelfHosted,
                $"provenance verified from {platform}, but the build ran on a '{p.RunnerEnvironment}' runner, a machine the publisher controls: not a hosted build platform, so not L2",
                platform, p.RunnerEnvironment);
        }

        if (p.CertificateIdentity is { } identity && options.IsolatedBuilders.Any(b => identity.StartsWith(b, StringComparison.Ordinal)))
        {
            return Row(SlsaBuildLevel.L3, SlsaRows.IsolatedBuilder,
                $"provenance verified from {platform} on a hosted runner and signed by the isolated builder '{identity}', whose signing the calling workflow's steps cannot reach",
                platform, p.RunnerEnvironment);
        }

        return Row(SlsaBuildLevel.L2, platform == "gitlab-ci" ? SlsaRows.GitLabHosted : SlsaRows.GitHubHosted,
            $"provenance verified: signed through {platform}'s OIDC identity on a {p.RunnerEnvironment} runner and logged in Rekor; not L3 because it was generated inside the publishing job, whose own steps can mint the same identity token",
            platform, p.RunnerEnvironment);
    }

    private static SlsaAssessment Row(SlsaBuildLevel level, string row, string reason, string? platform = null, string? runner = null) =>
        new() { Level = level, Row = row, Reason = reason, Platform = platform, RunnerEnvironment = runner };
}

/// <summary>A minimum level for the packages a name pattern covers (the future policy rule <c>slsa</c>).</summary>
public sealed record SlsaMinimum(IReadOnlyList<string> Packages, IReadOnlyList<string> Exclude, SlsaBuildLevel Level);

/// <summary>Result of checking a version against minimum levels.</summary>
public sealed record SlsaVerdict(bool Satisfied, SlsaBuildLevel? Required, SlsaAssessment Assessment)
{
    public string Message => Required is null
        ? $"no minimum SLSA level applies; the version is {SlsaLevels.VsaName(Assessment.Level)}"
        : Satisfied
            ? $"{SlsaLevels.VsaName(Assessment.Level)} meets the minimum {SlsaLevels.VsaName(Required.Value)}"
            : $"{SlsaLevels.VsaName(Assessment.Level)} is below the minimum {SlsaLevels.VsaName(Required.Value)}: {Assessment.Reason}";
}

public static class SlsaRequirement
{
    /// <summary>
    /// The strictest minimum among entries whose patterns cover <paramref name="name"/> (and do not
    /// exclude it) must be met. <paramref name="matchName"/> is the policy's package-name glob (Vouch.Policy
    /// <c>Glob.MatchName</c>), passed in so this project keeps one glob implementation without depending on policy.
    /// </summary>
    public static SlsaVerdict Evaluate(string name, SlsaAssessment assessment, IEnumerable<SlsaMinimum> minimums, Func<string, string, bool> matchName)
    {
        SlsaBuildLevel? required = null;
        foreach (var m in minimums)
        {
            if (m.Packages.Any(p => matchName(p, name)) && !m.Exclude.Any(p => matchName(p, name)) && (required is null || m.Level > required))
            {
                required = m.Level;
            }
        }

        return new SlsaVerdict(required is null || assessment.Level >= required, required, assessment);
    }
}
