using System.Collections.Frozen;

namespace Vouch.Advisories;

/// <summary>
/// CVSS v4.0 score of a vector string, per FIRST's CVSS v4.0 specification (section 8, "CVSS v4.0
/// scoring": equivalence classes EQ1–EQ6 give a macrovector, whose score comes from the expert-ranked
/// lookup table, then the vector's severity distance from the macrovector's highest-severity vectors
/// interpolates towards the next lower macrovector). Threat and environmental metrics in the vector
/// are applied as the specification says (E:X counts as E:A; CR/IR/AR:X as H; a modified metric
/// replaces its base metric), so the number is the CVSS-B, -BT, -BE or -BTE score the vector names.
/// The vector must be well-formed: every base metric once, known values only, the specification's order.
/// </summary>
public static class Cvss4
{
    // Metric → allowed values, in the order section 7 ("Vector string") requires them.
    private static readonly (string Name, string[] Values, bool Mandatory)[] Metrics =
    [
        ("AV", ["N", "A", "L", "P"], true), ("AC", ["L", "H"], true), ("AT", ["N", "P"], true),
        ("PR", ["N", "L", "H"], true), ("UI", ["N", "P", "A"], true),
        ("VC", ["H", "L", "N"], true), ("VI", ["H", "L", "N"], true), ("VA", ["H", "L", "N"], true),
        ("SC", ["H", "L", "N"], true), ("SI", ["H", "L", "N"], true), ("SA", ["H", "L", "N"], true),
        ("E", ["X", "A", "P", "U"], false),
        ("CR", ["X", "H", "M", "L"], false), ("IR", ["X", "H", "M", "L"], false), ("AR", ["X", "H", "M", "L"], false),
        ("MAV", ["X", "N", "A", "L", "P"], false), ("MAC", ["X", "L", "H"], false), ("MAT", ["X", "N", "P"], false),
        ("MPR", ["X", "N", "L", "H"], false), ("MUI", ["X", "N", "P", "A"], false),
        ("MVC", ["X", "H", "L", "N"], false), ("MVI", ["X", "H", "L", "N"], false), ("MVA", ["X", "H", "L", "N"], false),
        ("MSC", ["X", "H", "L", "N"], false), ("MSI", ["X", "S", "H", "L", "N"], false), ("MSA", ["X", "S", "H", "L", "N"], false),
        ("S", ["X", "N", "P"], false), ("AU", ["X", "N", "Y"], false), ("R", ["X", "A", "U", "I"], false),
        ("V", ["X", "D", "C"], false), ("RE", ["X", "L", "M", "H"], false), ("U", ["X", "Clear", "Green", "Amber", "Red"], false),
    ];

    // The macrovector scores: data from FIRST's CVSS v4.0 calculator (github.com/FIRSTdotorg/cvss-v4-calculator,
    // cvss_lookup.js at commit c5b0d40; BSD-2-Clause, Copyright FIRST.ORG, Inc., Red Hat, and contributors).
    // Key: EQ1 EQ2 EQ3 EQ4 EQ5 EQ6 levels (0 = most severe). 270 entries.
    private static readonly FrozenDictionary<string, double> Lookup = new (string Key, double Score)[]
    {
        ("000000", 10), ("000001", 9.9), ("000010", 9.8), ("000011", 9.5), ("000020", 9.5), ("000021", 9.2),
        ("000100", 10), ("000101", 9.6), ("000110", 9.3), ("000111", 8.7), ("000120", 9.1), ("000121", 8.1),
        ("000200", 9.3), ("000201", 9), ("000210", 8.9), ("000211", 8), ("000220", 8.1), ("000221", 6.8),
        ("001000", 9.8), ("001001", 9.5), ("001010", 9.5), ("001011", 9.2), ("001020", 9), ("001021", 8.4),
        ("001100", 9.3), ("001101", 9.2), ("001110", 8.9), ("001111", 8.1), ("001120", 8.1), ("001121", 6.5),
        ("001200", 8.8), ("001201", 8), ("001210", 7.8), ("001211", 7), ("001220", 6.9), ("001221", 4.8),
        ("002001", 9.2), ("002011", 8.2), ("002021", 7.2), ("002101", 7.9), ("002111", 6.9), ("002121", 5),
        ("002201", 6.9), ("002211", 5.5), ("002221", 2.7), ("010000", 9.9), ("010001", 9.7), ("010010", 9.5),
        ("010011", 9.2), ("010020", 9.2), ("010021", 8.5), ("010100", 9.5), ("010101", 9.1), ("010110", 9),
        ("010111", 8.3), ("010120", 8.4), ("010121", 7.1), ("010200", 9.2), ("010201", 8.1), ("010210", 8.2),
        ("010211", 7.1), ("010220", 7.2), ("010221", 5.3), ("011000", 9.5), ("011001", 9.3), ("011010", 9.2),
        ("011011", 8.5), ("011020", 8.5), ("011021", 7.3), ("011100", 9.2), ("011101", 8.2), ("011110", 8),
        ("011111", 7.2), ("011120", 7), ("011121", 5.9), ("011200", 8.4), ("011201", 7), ("011210", 7.1),
        ("011211", 5.2), ("011220", 5), ("011221", 3), ("012001", 8.6), ("012011", 7.5), ("012021", 5.2),
        ("012101", 7.1), ("012111", 5.2), ("012121", 2.9), ("012201", 6.3), ("012211", 2.9), ("012221", 1.7),
        ("100000", 9.8), ("100001", 9.5), ("100010", 9.4), ("100011", 8.7), ("100020", 9.1), ("100021", 8.1),
        ("100100", 9.4), ("100101", 8.9), ("100110", 8.6), ("100111", 7.4), ("100120", 7.7), ("100121", 6.4),
        ("100200", 8.7), ("100201", 7.5), ("100210", 7.4), ("100211", 6.3), ("100220", 6.3), ("100221", 4.9),
        ("101000", 9.4), ("101001", 8.9), ("101010", 8.8), ("101011", 7.7), ("101020", 7.6), ("101021", 6.7),
        ("101100", 8.6), ("101101", 7.6), ("101110", 7.4), ("101111", 5.8), ("101120", 5.9), ("101121", 5),
        ("101200", 7.2), ("101201", 5.7), ("101210", 5.7), ("101211", 5.2), ("101220", 5.2), ("101221", 2.5),
        ("102001", 8.3), ("102011", 7), ("102021", 5.4), ("102101", 6.5), ("102111", 5.8), ("102121", 2.6),
        ("102201", 5.3), ("102211", 2.1), ("102221", 1.3), ("110000", 9.5), ("110001", 9), ("110010", 8.8),
        ("110011", 7.6), ("110020", 7.6), ("110021", 7), ("110100", 9), ("110101", 7.7), ("110110", 7.5),
        ("110111", 6.2), ("110120", 6.1), ("110121", 5.3), ("110200", 7.7), ("110201", 6.6), ("110210", 6.8),
        ("110211", 5.9), ("110220", 5.2), ("110221", 3), ("111000", 8.9), ("111001", 7.8), ("111010", 7.6),
        ("111011", 6.7), ("111020", 6.2), ("111021", 5.8), ("111100", 7.4), ("111101", 5.9), ("111110", 5.7),
        ("111111", 5.7), ("111120", 4.7), ("111121", 2.3), ("111200", 6.1), ("111201", 5.2), ("111210", 5.7),
        ("111211", 2.9), ("111220", 2.4), ("111221", 1.6), ("112001", 7.1), ("112011", 5.9), ("112021", 3),
        ("112101", 5.8), ("112111", 2.6), ("112121", 1.5), ("112201", 2.3), ("112211", 1.3), ("112221", 0.6),
        ("200000", 9.3), ("200001", 8.7), ("200010", 8.6), ("200011", 7.2), ("200020", 7.5), ("200021", 5.8),
        ("200100", 8.6), ("200101", 7.4), ("200110", 7.4), ("200111", 6.1), ("200120", 5.6), ("200121", 3.4),
        ("200200", 7), ("200201", 5.4), ("200210", 5.2), ("200211", 4), ("200220", 4), ("200221", 2.2),
        ("201000", 8.5), ("201001", 7.5), ("201010", 7.4), ("201011", 5.5), ("201020", 6.2), ("201021", 5.1),
        ("201100", 7.2), ("201101", 5.7), ("201110", 5.5), ("201111", 4.1), ("201120", 4.6), ("201121", 1.9),
        ("201200", 5.3), ("201201", 3.6), ("201210", 3.4), ("201211", 1.9), ("201220", 1.9), ("201221", 0.8),
        ("202001", 6.4), ("202011", 5.1), ("202021", 2), ("202101", 4.7), ("202111", 2.1), ("202121", 1.1),
        ("202201", 2.4), ("202211", 0.9), ("202221", 0.4), ("210000", 8.8), ("210001", 7.5), ("210010", 7.3),
        ("210011", 5.3), ("210020", 6), ("210021", 5), ("210100", 7.3), ("210101", 5.5), ("210110", 5.9),
        ("210111", 4), ("210120", 4.1), ("210121", 2), ("210200", 5.4), ("210201", 4.3), ("210210", 4.5),
        ("210211", 2.2), ("210220", 2), ("210221", 1.1), ("211000", 7.5), ("211001", 5.5), ("211010", 5.8),
        ("211011", 4.5), ("211020", 4), ("211021", 2.1), ("211100", 6.1), ("211101", 5.1), ("211110", 4.8),
        ("211111", 1.8), ("211120", 2), ("211121", 0.9), ("211200", 4.6), ("211201", 1.8), ("211210", 1.7),
        ("211211", 0.7), ("211220", 0.8), ("211221", 0.2), ("212001", 5.3), ("212011", 2.4), ("212021", 1.4),
        ("212101", 2.4), ("212111", 1.2), ("212121", 0.5), ("212201", 1), ("212211", 0.3), ("212221", 0.1),
    }.ToFrozenDictionary(x => x.Key, x => x.Score, StringComparer.Ordinal);

    // The highest-severity vectors of each equivalence-class level (same source, max_composed.js),
    // and each level's depth in severity-distance steps (max_severity.js).
    private static readonly string[][] Eq1Max = [["AV:N/PR:N/UI:N"], ["AV:A/PR:N/UI:N", "AV:N/PR:L/UI:N", "AV:N/PR:N/UI:P"], ["AV:P/PR:N/UI:N", "AV:A/PR:L/UI:P"]];
    private static readonly string[][] Eq2Max = [["AC:L/AT:N"], ["AC:H/AT:N", "AC:L/AT:P"]];
    private static readonly string[][][] Eq3Eq6Max =
    [
        [["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H"], ["VC:H/VI:H/VA:L/CR:M/IR:M/AR:H", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M"]],
        [["VC:L/VI:H/VA:H/CR:H/IR:H/AR:H", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H"], ["VC:L/VI:H/VA:L/CR:H/IR:M/AR:H", "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M", "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M", "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H", "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M"]],
        [[], ["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H"]],
    ];

    private static readonly string[][] Eq4Max = [["SC:H/SI:S/SA:S"], ["SC:H/SI:H/SA:H"], ["SC:L/SI:L/SA:L"]];
    private static readonly string[] Eq5Max = ["E:A", "E:P", "E:U"];
    private static readonly int[] Eq1Depth = [1, 4, 5];
    private static readonly int[] Eq2Depth = [1, 2];
    private static readonly int[][] Eq3Eq6Depth = [[7, 6], [8, 8], [0, 10]];
    private static readonly int[] Eq4Depth = [6, 5, 4];

    // Severity levels in tenths: the distance of a value from the most severe one.
    private static readonly FrozenDictionary<string, FrozenDictionary<string, int>> Levels = new Dictionary<string, FrozenDictionary<string, int>>
    {
        ["AV"] = L(("N", 0), ("A", 1), ("L", 2), ("P", 3)),
        ["PR"] = L(("N", 0), ("L", 1), ("H", 2)),
        ["UI"] = L(("N", 0), ("P", 1), ("A", 2)),
        ["AC"] = L(("L", 0), ("H", 1)),
        ["AT"] = L(("N", 0), ("P", 1)),
        ["VC"] = L(("H", 0), ("L", 1), ("N", 2)),
        ["VI"] = L(("H", 0), ("L", 1), ("N", 2)),
        ["VA"] = L(("H", 0), ("L", 1), ("N", 2)),
        ["SC"] = L(("H", 1), ("L", 2), ("N", 3)),
        ["SI"] = L(("S", 0), ("H", 1), ("L", 2), ("N", 3)),
        ["SA"] = L(("S", 0), ("H", 1), ("L", 2), ("N", 3)),
        ["CR"] = L(("H", 0), ("M", 1), ("L", 2)),
        ["IR"] = L(("H", 0), ("M", 1), ("L", 2)),
        ["AR"] = L(("H", 0), ("M", 1), ("L", 2)),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Parses and scores <paramref name="vector"/>; false with the reason when it is not a well-formed CVSS:4.0 vector.</summary>
    public static bool TryScore(string? vector, out double score, out string? error)
    {
        score = 0;
        if (!TryParse(vector, out var metrics, out error))
        {
            return false;
        }

        score = Score(metrics);
        return true;
    }

    public static bool TryScore(string? vector, out double score) => TryScore(vector, out score, out _);

    private static bool TryParse(string? vector, out Dictionary<string, string> metrics, out string? error)
    {
        metrics = new Dictionary<string, string>(StringComparer.Ordinal);
        error = null;
        if (vector is null || vector.Length > 512)
        {
            error = "missing or longer than 512 characters";
            return false;
        }

        var parts = vector.Split('/');
        if (parts[0] != "CVSS:4.0")
        {
            error = "does not start with CVSS:4.0/";
            return false;
        }

        var last = -1;
        foreach (var part in parts.AsSpan(1))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            var key = colon > 0 ? part[..colon] : part;
            var value = colon > 0 ? part[(colon + 1)..] : "";
            var index = Array.FindIndex(Metrics, m => m.Name == key);
            if (index < 0)
            {
                error = $"unknown metric '{key}'";
                return false;
            }

            if (!Metrics[index].Values.Contains(value, StringComparer.Ordinal))
            {
                error = $"{key} cannot be '{value}' (one of {string.Join(", ", Metrics[index].Values)})";
                return false;
            }

            if (index <= last)
            {
                error = metrics.ContainsKey(key) ? $"{key} appears twice" : $"{key} is out of the specification's order";
                return false;
            }

            last = index;
            metrics[key] = value;
        }

        var seen = metrics;
        var missing = Metrics.Where(m => m.Mandatory && !seen.ContainsKey(m.Name)).Select(m => m.Name).ToList();
        if (missing.Count > 0)
        {
            error = $"missing base metric{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing)}";
            return false;
        }

        return true;
    }

    private static double Score(Dictionary<string, string> selected)
    {
        // The value a metric takes for scoring: defaults for X, and modified metrics over base ones.
        string M(string metric)
        {
            var value = selected.GetValueOrDefault(metric, "X");
            if (metric == "E" && value == "X")
            {
                return "A";
            }

            if (metric is "CR" or "IR" or "AR" && value == "X")
            {
                return "H";
            }

            return selected.TryGetValue("M" + metric, out var modified) && modified != "X" ? modified : value;
        }

        if (new[] { "VC", "VI", "VA", "SC", "SI", "SA" }.All(x => M(x) == "N"))
        {
            return 0.0;
        }

        var eq1 = M("AV") == "N" && M("PR") == "N" && M("UI") == "N" ? 0
            : (M("AV") == "N" || M("PR") == "N" || M("UI") == "N") && M("AV") != "P" ? 1
            : 2;
        var eq2 = M("AC") == "L" && M("AT") == "N" ? 0 : 1;
        var eq3 = M("VC") == "H" && M("VI") == "H" ? 0
            : M("VC") == "H" || M("VI") == "H" || M("VA") == "H" ? 1
            : 2;
        var msiS = selected.GetValueOrDefault("MSI") == "S" || selected.GetValueOrDefault("MSA") == "S";
        var eq4 = msiS ? 0 : M("SC") == "H" || M("SI") == "H" || M("SA") == "H" ? 1 : 2;
        var eq5 = M("E") switch { "A" => 0, "P" => 1, _ => 2 };
        var eq6 = (M("CR") == "H" && M("VC") == "H") || (M("IR") == "H" && M("VI") == "H") || (M("AR") == "H" && M("VA") == "H") ? 0 : 1;

        static string Key(int a, int b, int c, int d, int e, int f) => string.Concat(a.ToString(System.Globalization.CultureInfo.InvariantCulture), b.ToString(System.Globalization.CultureInfo.InvariantCulture), c.ToString(System.Globalization.CultureInfo.InvariantCulture), d.ToString(System.Globalization.CultureInfo.InvariantCulture), e.ToString(System.Globalization.CultureInfo.InvariantCulture), f.ToString(System.Globalization.CultureInfo.InvariantCulture));
        static double? Find(string key) => Lookup.TryGetValue(key, out var s) ? s : null;

        var value = Lookup[Key(eq1, eq2, eq3, eq4, eq5, eq6)];

        // The next lower macrovector along each class (absent at the bottom of a class, or off the table).
        var lowerEq1 = Find(Key(eq1 + 1, eq2, eq3, eq4, eq5, eq6));
        var lowerEq2 = Find(Key(eq1, eq2 + 1, eq3, eq4, eq5, eq6));
        double? lowerEq3Eq6 = (eq3, eq6) switch
        {
            // 00 can step to 01 or 10: the specification takes the higher-scoring of the two.
            (0, 0) => Max(Find(Key(eq1, eq2, eq3, eq4, eq5, eq6 + 1)), Find(Key(eq1, eq2, eq3 + 1, eq4, eq5, eq6))),
            (1, 0) => Find(Key(eq1, eq2, eq3, eq4, eq5, eq6 + 1)),
            (0 or 1, 1) => Find(Key(eq1, eq2, eq3 + 1, eq4, eq5, eq6)),
            _ => Find(Key(eq1, eq2, eq3 + 1, eq4, eq5, eq6 + 1)),
        };
        var lowerEq4 = Find(Key(eq1, eq2, eq3, eq4 + 1, eq5, eq6));
        var lowerEq5 = Find(Key(eq1, eq2, eq3, eq4, eq5 + 1, eq6));

        // The severity distance from the first highest-severity vector of this macrovector that is at
        // least as severe as the scored one in every metric (the calculator keeps the last candidate's
        // distances if none is; no valid vector reaches that case, but the behaviour is kept the same).
        var distance = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var candidate in
                 from a in Eq1Max[eq1]
                 from b in Eq2Max[eq2]
                 from c in Eq3Eq6Max[eq3][eq6]
                 from d in Eq4Max[eq4]
                 from e in new[] { Eq5Max[eq5] }
                 select string.Join('/', a, b, c, d, e))
        {
            distance.Clear();
            var max = candidate.Split('/').Select(p => p.Split(':')).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
            foreach (var (metric, levels) in Levels)
            {
                distance[metric] = Tenths[levels[M(metric)]] - Tenths[levels[max[metric]]];
            }

            if (distance.Values.All(d => d >= 0))
            {
                break;
            }
        }

        var current = new double[]
        {
            distance["AV"] + distance["PR"] + distance["UI"],
            distance["AC"] + distance["AT"],
            distance["VC"] + distance["VI"] + distance["VA"] + distance["CR"] + distance["IR"] + distance["AR"],
            distance["SC"] + distance["SI"] + distance["SA"],
            0,
        };
        var depth = new[] { Eq1Depth[eq1], Eq2Depth[eq2], Eq3Eq6Depth[eq3][eq6], Eq4Depth[eq4], 1 };
        var lower = new[] { lowerEq1, lowerEq2, lowerEq3Eq6, lowerEq4, lowerEq5 };

        var existing = 0;
        var sum = 0.0;
        for (var i = 0; i < lower.Length; i++)
        {
            if (lower[i] is not { } next)
            {
                continue;
            }

            existing++;
            // Levels and depths are in steps of 0.1 and computed in binary floating point exactly as the
            // reference calculator does, so halves round the same way.
            sum += (value - next) * (current[i] / (depth[i] * 0.1));
        }

        var mean = existing == 0 ? 0 : sum / existing;
        var result = Math.Clamp(value - mean, 0.0, 10.0);
        // Rounded to one decimal, halves up (JavaScript's Math.round in the reference calculator).
        return Math.Floor(result * 10 + 0.5) / 10;
    }

    private static readonly double[] Tenths = [0.0, 0.1, 0.2, 0.3];

    private static double? Max(double? a, double? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private static FrozenDictionary<string, int> L(params (string Value, int Level)[] levels) =>
        levels.ToFrozenDictionary(x => x.Value, x => x.Level, StringComparer.Ordinal);
}
