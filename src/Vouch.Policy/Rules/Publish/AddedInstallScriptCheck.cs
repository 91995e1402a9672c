using Vouch.Policy.Publish;

namespace Vouch.Policy.Rules.Publish;

/// <summary><c>install-scripts</c>: the tarball runs code at install time while the version before it in the organisation's registry did not (or it is the first version).</summary>
internal sealed class AddedInstallScriptCheck : IPublishRule
{
    public string Name => "publish-install-scripts";

    public PublishFinding? Evaluate(PublishFacts f, PublishEntry entry, PublishTrust trust)
    {
        if (entry.InstallScripts == PublishAction.Off || !f.HasInstallScript)
        {
            return null;
        }

        var previous = f.Existing.Where(e => e.Version.CompareTo(f.Version) < 0).MaxBy(e => e.Version);
        if (previous is { HasInstallScript: true })
        {
            return null;
        }

        var since = previous is null ? "the package's first version" : $"{f.Name}@{previous.Version} had none";
        return new PublishFinding(Name, PolicyCodes.PublishInstallScripts, entry.InstallScripts,
            $"{f.Id} adds install-time code ({string.Join("; ", f.InstallScripts)}); {since}",
            entry.InstallScripts == PublishAction.Hold ? "an approver reviews the script and grants the staged publish" : "remove the install script, or change install-scripts under publish: in vouch.policy.yml");
    }
}
