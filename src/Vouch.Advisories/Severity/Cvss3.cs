namespace Vouch.Advisories;

/// <summary>
/// CVSS v3.0/v3.1 base score from a vector string (FIRST's specification, section 7 "Base metrics
/// equations" and Appendix A "Roundup"). Only the base metrics count; temporal and environmental
/// metrics in the vector are validated but not applied, as OSV carries base assessments.
/// </summary>
public static class Cvss3
{
    private static readonly string[] BaseMetrics = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"];

    private static readonly HashSet<string> OtherMetrics = ["E", "RL", "RC", "CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA"];

    public static bool TryScore(string? vector, out double score)
    {
        score = 0;
        if (vector is null || vector.Length > 256)
        {
            return false;
        }

        var parts = vector.Split('/');
        bool v30;
        if (parts[0] == "CVSS:3.1")
        {
            v30 = false;
        }
        else if (parts[0] == "CVSS:3.0")
        {
            v30 = true;
        }
        else
        {
            return false;
        }

        var m = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in parts.Skip(1))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0 || colon == part.Length - 1)
            {
                return false;
            }

            var key = part[..colon];
            if ((!BaseMetrics.Contains(key) && !OtherMetrics.Contains(key)) || !m.TryAdd(key, part[(colon + 1)..]))
            {
                return false;
            }
        }

        if (!BaseMetrics.All(m.ContainsKey))
        {
            return false;
        }

        var changed = m["S"] switch { "U" => false, "C" => true, _ => (bool?)null };
        double? av = m["AV"] switch { "N" => 0.85, "A" => 0.62, "L" => 0.55, "P" => 0.2, _ => null };
        double? ac = m["AC"] switch { "L" => 0.77, "H" => 0.44, _ => null };
        double? pr = m["PR"] switch { "N" => 0.85, "L" => changed == true ? 0.68 : 0.62, "H" => changed == true ? 0.5 : 0.27, _ => null };
        double? ui = m["UI"] switch { "N" => 0.85, "R" => 0.62, _ => null };
        double? c = Cia(m["C"]);
        double? i = Cia(m["I"]);
        double? a = Cia(m["A"]);
        if (changed is null || av is null || ac is null || pr is null || ui is null || c is null || i is null || a is null)
        {
            return false;
        }

        var iss = 1 - ((1 - c.Value) * (1 - i.Value) * (1 - a.Value));
        var impact = changed.Value
            ? (7.52 * (iss - 0.029)) - (3.25 * Math.Pow(iss - 0.02, 15))
            : 6.42 * iss;
        var exploitability = 8.22 * av.Value * ac.Value * pr.Value * ui.Value;
        if (impact <= 0)
        {
            score = 0;
            return true;
        }

        var raw = changed.Value ? Math.Min(1.08 * (impact + exploitability), 10) : Math.Min(impact + exploitability, 10);
        score = v30 ? Math.Ceiling(raw * 10) / 10 : Roundup31(raw);
        return true;
    }

    private static double? Cia(string value) => value switch { "H" => 0.56, "L" => 0.22, "N" => 0.0, _ => null };

    // v3.1 Appendix A: round up to one decimal without floating-point surprises (e.g. 4.000000001).
    private static double Roundup31(double input)
    {
        var intInput = (long)Math.Round(input * 100_000);
        return intInput % 10_000 == 0 ? intInput / 100_000.0 : (Math.Floor(intInput / 10_000.0) + 1) / 10.0;
    }
}
