namespace Vouch.Maintainer.Analysis;

/// <summary>How a publishing job gets provenance onto what it publishes, weakest first.</summary>
public enum ProvenanceMode
{
    /// <summary>No provenance is produced.</summary>
    None,

    /// <summary><c>publishConfig.provenance: true</c> in a published package.json.</summary>
    PublishConfig,

    /// <summary><c>--provenance</c>, <c>NPM_CONFIG_PROVENANCE=true</c> or <c>provenance=true</c> in .npmrc.</summary>
    Flag,

    /// <summary>npm trusted publishing over OIDC: no long-lived token, the job can mint an ID token; npm adds provenance itself.</summary>
    TrustedPublishing,
}

public enum FindingLevel
{
    Note,
    Warning,
    Error,
}

public sealed record SourceLocation(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>One replacement in a file's text (UTF-16 offsets into <see cref="Yaml.YamlFile.Text"/>).</summary>
public sealed record TextEdit(string File, int Offset, int Length, string NewText);

public sealed record Finding
{
    public required string Code { get; init; }

    public required FindingLevel Level { get; init; }

    public required SourceLocation At { get; init; }

    public string? Job { get; init; }

    public required string Message { get; init; }

    /// <summary>What to do about it, in one sentence.</summary>
    public required string Fix { get; init; }

    /// <summary>The edits `--fix` makes for this finding (empty: not fixable automatically; <see cref="Fix"/> says why).</summary>
    public IReadOnlyList<TextEdit> Edits { get; init; } = [];

    public bool Fixable => Edits.Count > 0;
}

/// <summary>One command or action of a job that publishes to npm.</summary>
public sealed record PublishStep
{
    public required SourceLocation At { get; init; }

    /// <summary>npm, pnpm, yarn, bun, changesets, semantic-release, lerna, nx, release-it, script, or action.</summary>
    public required string Kind { get; init; }

    /// <summary>The command line or <c>uses:</c> value that publishes.</summary>
    public required string Command { get; init; }

    public required ProvenanceMode Provenance { get; init; }

    /// <summary>A long-lived npm token reaches the publish command.</summary>
    public required bool UsesToken { get; init; }
}

public sealed record PublishingJob
{
    public required string File { get; init; }

    public required string Job { get; init; }

    public required SourceLocation At { get; init; }

    /// <summary>github or gitlab.</summary>
    public required string Platform { get; init; }

    /// <summary>The weakest provenance of the job's publish steps.</summary>
    public required ProvenanceMode Provenance { get; init; }

    /// <summary>The job can mint an OIDC ID token (<c>id-token: write</c>; GitLab <c>id_tokens</c>).</summary>
    public required bool IdToken { get; init; }

    public string? Environment { get; init; }

    /// <summary>The registry the job publishes to, when the workflow names one.</summary>
    public string? Registry { get; init; }

    public required IReadOnlyList<PublishStep> Steps { get; init; }
}

public static class ProvenanceModes
{
    public static string Name(this ProvenanceMode mode) => mode switch
    {
        ProvenanceMode.TrustedPublishing => "trusted-publishing",
        ProvenanceMode.Flag => "flag",
        ProvenanceMode.PublishConfig => "publishConfig",
        _ => "none",
    };

    public static string Name(this FindingLevel level) => level switch
    {
        FindingLevel.Error => "error",
        FindingLevel.Warning => "warning",
        _ => "note",
    };
}
