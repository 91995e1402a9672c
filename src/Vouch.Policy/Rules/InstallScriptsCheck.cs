using Vouch.Npm;
using static Vouch.Policy.Rules.RuleOutcomes;

namespace Vouch.Policy.Rules;

/// <summary>Install scripts (`install-scripts`): no install-time code unless allowlisted.</summary>
internal sealed class InstallScriptsCheck : IPolicyRule
{
    public string Name => PolicyRules.InstallScriptsName;

    public RuleOutcome Evaluate(PolicyFacts f, PolicyRules rules, DateTimeOffset now) => InstallScripts(f, rules.InstallScripts);

    private static RuleOutcome InstallScripts(PolicyFacts f, InstallScriptsRule? rule)
    {
        const string name = PolicyRules.InstallScriptsName;
        const string requirement = "no preinstall/install/postinstall script or implicit node-gyp build, unless the package is allowlisted";
        if (Skip(f, name, rule?.Scope.Severity, rule?.Scope.Covers(f.Name), requirement) is { } skip)
        {
            return skip;
        }

        var severity = rule!.Scope.Severity;
        var scripts = InstallScriptsOf(f.Entry!);
        if (scripts.Count == 0)
        {
            return Pass(name, severity, "no install scripts (package.json scripts, gypfile, hasInstallScript in the packument)", requirement);
        }

        var evidence = $"install scripts (packument): {string.Join("; ", scripts)}";
        if (rule.Allow.FirstOrDefault(p => Glob.MatchName(p, f.Name)) is { } allowedBy)
        {
            return Pass(name, severity, $"{evidence}; allowlisted by {allowedBy}", requirement);
        }

        return Fail(name, severity, evidence, requirement, new PolicyFinding(PolicyCodes.InstallScripts, name, severity,
            $"{f.Id} runs code at install time and is not on the install-scripts allow list",
            evidence,
            $"review the scripts, then add {f.Name} to install-scripts allow:; or install with --ignore-scripts; or avoid the package"));
    }

    /// <summary>What npm would run at install time: lifecycle scripts, or node-gyp for a binding.gyp without an install script.</summary>
    internal static List<string> InstallScriptsOf(PackageVersion v)
    {
        var result = new List<string>();
        foreach (var key in new[] { "preinstall", "install", "postinstall" })
        {
            if (v.Scripts.TryGetValue(key, out var script))
            {
                result.Add($"{key}: {script}");
            }
        }

        if (v.Gypfile == true && !v.Scripts.ContainsKey("install") && !v.Scripts.ContainsKey("preinstall"))
        {
            result.Add("install: node-gyp rebuild (implicit: binding.gyp)");
        }

        if (result.Count == 0 && v.HasInstallScript == true)
        {
            result.Add("hasInstallScript: true");
        }

        return result;
    }
}
