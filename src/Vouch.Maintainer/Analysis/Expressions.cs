using System.Text.RegularExpressions;

namespace Vouch.Maintainer.Analysis;

/// <summary>GitHub Actions <c>${{ }}</c> expressions and the contexts they read.</summary>
public static partial class Expressions
{
    // Fields of github.event an outsider cannot choose (numbers, ids, booleans, enums, hashes).
    private static readonly HashSet<string> SafeEventFields = new(StringComparer.Ordinal)
    {
        "number", "id", "merged", "conclusion", "draft", "sha", "after", "before", "run_id", "run_number", "run_attempt",
        "created_at", "updated_at", "closed_at", "merged_at", "state", "locked", "size", "forced", "deleted", "created",
        "commits_count", "additions", "deletions", "changed_files", "node_id", "html_url", "url", "action", "private", "fork",
    };

    public enum Trust
    {
        /// <summary>Set by GitHub or the repository itself.</summary>
        Safe,

        /// <summary>Outputs and inputs: chosen by the workflow's own steps or by someone with write access.</summary>
        Derived,

        /// <summary>Text an outsider writes: titles, bodies, branch names, commit messages.</summary>
        Untrusted,

        /// <summary>A secret.</summary>
        Secret,
    }

    /// <summary>Each <c>${{ }}</c> in <paramref name="raw"/>: offset, text, and the least trusted context it reads.</summary>
    public static IEnumerable<(int Offset, string Text, Trust Trust, string Context)> Scan(string raw)
    {
        foreach (Match m in Expression().Matches(raw))
        {
            var worst = Trust.Safe;
            var context = string.Empty;
            foreach (Match r in Reference().Matches(m.Groups[1].Value))
            {
                var t = Classify(r.Value);
                if (t > worst)
                {
                    worst = t;
                    context = r.Value;
                }
            }

            yield return (m.Index, m.Value, worst, context);
        }
    }

    public static Trust Classify(string reference)
    {
        // github.event['comment']['body'] is github.event.comment.body.
        reference = Bracket().Replace(reference, m => "." + m.Groups[1].Value);
        if (reference.StartsWith("secrets.", StringComparison.Ordinal))
        {
            return Trust.Secret;
        }

        if (reference == "github.head_ref")
        {
            return Trust.Untrusted;
        }

        if (reference.StartsWith("github.event.inputs.", StringComparison.Ordinal) || reference.StartsWith("inputs.", StringComparison.Ordinal)
            || reference.StartsWith("steps.", StringComparison.Ordinal) || reference.StartsWith("needs.", StringComparison.Ordinal))
        {
            return Trust.Derived;
        }

        if (reference.StartsWith("github.event.", StringComparison.Ordinal))
        {
            var last = reference[(reference.LastIndexOf('.') + 1)..];
            return SafeEventFields.Contains(last) ? Trust.Safe : Trust.Untrusted;
        }

        return Trust.Safe;
    }

    [GeneratedRegex(@"\[\s*['""]?([^'""\]]*?)['""]?\s*\]", RegexOptions.None, 1000)]
    private static partial Regex Bracket();

    [GeneratedRegex(@"\$\{\{(.*?)\}\}", RegexOptions.Singleline, 1000)]
    private static partial Regex Expression();

    [GeneratedRegex(@"\b(?:github\.event(?:\.[A-Za-z0-9_\-]+|\[[^\]]*\])+|github\.head_ref|inputs\.[A-Za-z0-9_\-]+|steps\.[A-Za-z0-9_\-]+\.outputs\.[A-Za-z0-9_\-]+|needs\.[A-Za-z0-9_\-]+\.outputs\.[A-Za-z0-9_\-]+|secrets\.[A-Za-z0-9_]+)", RegexOptions.None, 1000)]
    private static partial Regex Reference();
}
