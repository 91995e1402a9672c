using System.Text;
using Vouch.Npm;

namespace Vouch.Advisories;

/// <summary>
/// The index's text form of ranges: <c>S|i:0,f:1.2.3;E|i:2.0.0,l:2.0.1,x:*</c> (S = SEMVER,
/// E = ECOSYSTEM; i/f/l/x = introduced/fixed/last_affected/limit). Written only from validated
/// records; read back strictly, and a row that does not parse marks the index corrupt.
/// </summary>
internal static class CompactRanges
{
    public static string Encode(IReadOnlyList<OsvRange> ranges)
    {
        var sb = new StringBuilder();
        foreach (var range in ranges)
        {
            if (sb.Length > 0)
            {
                sb.Append(';');
            }

            sb.Append(range.Type == OsvRangeType.Semver ? 'S' : 'E').Append('|');
            var first = true;
            foreach (var e in range.Events.Concat(range.Limits))
            {
                if (!first)
                {
                    sb.Append(',');
                }

                first = false;
                sb.Append(e.Kind switch
                {
                    OsvEventKind.Introduced => 'i',
                    OsvEventKind.Fixed => 'f',
                    OsvEventKind.LastAffected => 'l',
                    _ => 'x',
                }).Append(':');
                sb.Append(e.Version?.Version ?? (e.Kind == OsvEventKind.Limit ? "*" : "0"));
            }
        }

        return sb.ToString();
    }

    public static IReadOnlyList<OsvRange> Decode(string text, string recordId)
    {
        if (text.Length == 0)
        {
            return [];
        }

        var result = new List<OsvRange>();
        foreach (var part in text.Split(';'))
        {
            if (part.Length < 2 || part[1] != '|' || part[0] is not ('S' or 'E'))
            {
                throw Corrupt(recordId);
            }

            var events = new List<OsvEvent>();
            var limits = new List<OsvEvent>();
            foreach (var ev in part[2..].Split(','))
            {
                if (ev.Length < 3 || ev[1] != ':')
                {
                    throw Corrupt(recordId);
                }

                var kind = ev[0] switch
                {
                    'i' => OsvEventKind.Introduced,
                    'f' => OsvEventKind.Fixed,
                    'l' => OsvEventKind.LastAffected,
                    'x' => OsvEventKind.Limit,
                    _ => throw Corrupt(recordId),
                };
                var v = ev[2..];
                SemVersion? version = null;
                if (!((kind == OsvEventKind.Introduced && v == "0") || (kind == OsvEventKind.Limit && v == "*")))
                {
                    version = SemVersion.ParseOrNull(v) ?? throw Corrupt(recordId);
                }

                (kind == OsvEventKind.Limit ? limits : events).Add(new(kind, version));
            }

            result.Add(new OsvRange { Type = part[0] == 'S' ? OsvRangeType.Semver : OsvRangeType.Ecosystem, Events = events, Limits = limits });
        }

        return result;
    }

    public static IReadOnlyList<SemVersion> DecodeVersions(string text, string recordId)
    {
        if (text.Length == 0)
        {
            return [];
        }

        var parts = text.Split(',');
        var result = new SemVersion[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            result[i] = SemVersion.ParseOrNull(parts[i]) ?? throw Corrupt(recordId);
        }

        return result;
    }

    private static AdvisoryException Corrupt(string id) =>
        new(AdvisoryCodes.DatabaseCorrupt, $"the stored ranges of {id} do not parse; re-create the database with 'vouch db update'");
}
