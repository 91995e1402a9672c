using System.Globalization;
using System.Net;
using System.Text;

namespace Vouch.Survey;

/// <summary>
/// The HTML report: one self-contained page, charts drawn as inline SVG on the server, no script at
/// all (a Content-Security-Policy forbids any), every registry-controlled string HTML-escaped.
/// Rendered from the <see cref="SurveySummary"/> alone, so its size does not grow with the population.
/// </summary>
public static class SurveyHtml
{
    private static readonly string[] TierColors = ["#9e9e9e", "#90caf9", "#4fc3f7", "#66bb6a", "#2e7d32", "#1b5e20"];

    public static string Render(SurveySummary s, string title)
    {
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        h.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">");
        h.Append("<title>").Append(E(title)).Append("</title><style>");
        h.Append("body{font-family:system-ui,sans-serif;margin:2em;color:#212121;background:#fff}h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}");
        h.Append("table{border-collapse:collapse}td,th{padding:.25em .8em;border-bottom:1px solid #e0e0e0;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}");
        h.Append(".legend span{display:inline-block;margin-right:1.2em}.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}");
        h.Append("</style></head><body>\n");
        h.Append("<h1>").Append(E(title)).Append("</h1>\n");

        h.Append("<h2 id=\"summary\">Summary</h2>\n<table>");
        Row(h, "packages surveyed", s.Surveyed, null);
        Row(h, "with a GitHub repository", s.WithGitHubRepository, SurveySummary.Percent(s.WithGitHubRepository, s.Surveyed) + " of surveyed");
        Row(h, "publishing from CI (GitHub repository)", s.PublishingFromCi, SurveySummary.Percent(s.PublishingFromCi, s.WithGitHubRepository) + " of those with a GitHub repository");
        Row(h, "with provenance", s.WithProvenance, SurveySummary.Percent(s.WithProvenance, s.PublishingFromCi) + " of those publishing from CI");
        Row(h, "with provenance (any host)", s.ProvenanceAnyHost, SurveySummary.Percent(s.ProvenanceAnyHost, s.Surveyed) + " of surveyed");
        Row(h, "provenance advertised but not verified", s.ProvenanceAdvertisedNotVerified, null);
        Row(h, "repository differs from the provenance's", s.RepositoryMismatches, null);
        Row(h, "with a trust downgrade in their history", s.PackagesWithDowngrades, $"{s.Downgrades} downgrades");
        foreach (var (status, count) in s.NotSurveyed)
        {
            Row(h, $"not surveyed: {status}", count, null);
        }

        h.Append("</table>\n");

        h.Append("<h2 id=\"tiers\">Adoption by evidence tier (latest version, verified)</h2>\n");
        h.Append(TierChart(s));
        h.Append("<h2 id=\"over-time\">Adoption over publish time (surveyed versions by month)</h2>\n");
        h.Append(Legend());
        h.Append(TimeChart(s));
        h.Append("<h2 id=\"downgrades\">Trust downgrades (by publish month of the weaker version)</h2>\n");
        h.Append(CountChart(s.DowngradesByMonth, "#e53935", "downgrades"));
        if (s.DowngradeSamples.Count > 0)
        {
            h.Append("<table><tr><th>package</th><th>version</th><th>release line</th><th>code</th><th>evidence</th></tr>");
            foreach (var d in s.DowngradeSamples)
            {
                h.Append("<tr><td>").Append(E(d.Name)).Append("</td><td>").Append(E(d.Version)).Append("</td><td>").Append(E(d.Line))
                    .Append("</td><td>").Append(E(d.Code)).Append("</td><td>").Append(d.Verified ? "verified" : "advertised").Append("</td></tr>");
            }

            h.Append("</table>");
            if (s.Downgrades > s.DowngradeSamples.Count)
            {
                h.Append("<p>").Append(s.Downgrades - s.DowngradeSamples.Count).Append(" more in the JSON Lines output.</p>");
            }
        }

        h.Append("\n<p>How each category is decided, and where it can be wrong: docs/survey.md.</p>\n</body></html>\n");
        return h.ToString();
    }

    private static void Row(StringBuilder h, string label, int value, string? note) =>
        h.Append("<tr><td>").Append(E(label)).Append("</td><td class=\"n\">").Append(value.ToString(CultureInfo.InvariantCulture))
            .Append("</td><td>").Append(E(note ?? "")).Append("</td></tr>");

    private static string TierChart(SurveySummary s)
    {
        const int width = 720, rowHeight = 26, label = 160;
        var tiers = EvidenceTiers.All;
        var max = Math.Max(1, tiers.Max(t => s.Tiers.GetValueOrDefault(EvidenceTiers.Name(t))));
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg role=\"img\" aria-label=\"packages by evidence tier\" width=\"{width}\" height=\"{(tiers.Count * rowHeight) + 10}\" xmlns=\"http://www.w3.org/2000/svg\">");
        foreach (var t in tiers)
        {
            var i = (int)t;
            var name = EvidenceTiers.Name(t);
            var count = s.Tiers.GetValueOrDefault(name);
            var bar = count == 0 ? 0 : Math.Max(2, (width - label - 90) * (double)count / max);
            var y = (i * rowHeight) + 5;
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{y + 16}\" font-size=\"13\">{E(name)}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar tier-{name}\" x=\"{label}\" y=\"{y}\" width=\"{bar:0.#}\" height=\"{rowHeight - 6}\" fill=\"{TierColors[i]}\"><title>{E(name)}: {count}</title></rect>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{label + bar + 6:0.#}\" y=\"{y + 16}\" font-size=\"13\">{count} ({SurveySummary.Percent(count, s.Surveyed)})</text>");
        }

        return svg.Append("</svg>\n").ToString();
    }

    private static string TimeChart(SurveySummary s)
    {
        const int width = 900, height = 260, left = 50, bottom = 40;
        var months = s.TiersByMonth.Keys.ToList();
        if (months.Count == 0)
        {
            return "<p>No publish times.</p>\n";
        }

        var max = Math.Max(1, s.TiersByMonth.Values.Max(c => c.Values.Sum()));
        var slot = (double)(width - left - 10) / months.Count;
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg role=\"img\" aria-label=\"surveyed versions by month and tier\" width=\"{width}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\">");
        Axis(svg, left, height - bottom, width, max);
        for (var m = 0; m < months.Count; m++)
        {
            var counts = s.TiersByMonth[months[m]];
            var y = (double)(height - bottom);
            foreach (var t in EvidenceTiers.All)
            {
                var n = counts.GetValueOrDefault(EvidenceTiers.Name(t));
                if (n == 0)
                {
                    continue;
                }

                var hgt = (height - bottom - 10) * (double)n / max;
                y -= hgt;
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{left + (m * slot) + 1:0.##}\" y=\"{y:0.##}\" width=\"{Math.Max(1, slot - 2):0.##}\" height=\"{hgt:0.##}\" fill=\"{TierColors[(int)t]}\"><title>{E(months[m])}: {n} {E(EvidenceTiers.Name(t))}</title></rect>");
            }

            if (m % Math.Max(1, months.Count / 12) == 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + (m * slot):0.##}\" y=\"{height - bottom + 16}\" font-size=\"11\">{E(months[m])}</text>");
            }
        }

        return svg.Append("</svg>\n").ToString();
    }

    private static string CountChart(SortedDictionary<string, int> byMonth, string color, string what)
    {
        const int width = 900, height = 180, left = 50, bottom = 40;
        if (byMonth.Count == 0)
        {
            return $"<p>No {E(what)}.</p>\n";
        }

        var max = Math.Max(1, byMonth.Values.Max());
        var slot = Math.Min(40, (double)(width - left - 10) / byMonth.Count);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg role=\"img\" aria-label=\"{E(what)} by month\" width=\"{width}\" height=\"{height}\" xmlns=\"http://www.w3.org/2000/svg\">");
        Axis(svg, left, height - bottom, width, max);
        var m = 0;
        foreach (var (month, n) in byMonth)
        {
            var hgt = (height - bottom - 10) * (double)n / max;
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar\" x=\"{left + (m * slot) + 1:0.##}\" y=\"{height - bottom - hgt:0.##}\" width=\"{Math.Max(1, slot - 2):0.##}\" height=\"{hgt:0.##}\" fill=\"{color}\"><title>{E(month)}: {n} {E(what)}</title></rect>");
            if (m % Math.Max(1, byMonth.Count / 12) == 0)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + (m * slot):0.##}\" y=\"{height - bottom + 16}\" font-size=\"11\">{E(month)}</text>");
            }

            m++;
        }

        return svg.Append("</svg>\n").ToString();
    }

    private static void Axis(StringBuilder svg, int left, int baseline, int width, int max)
    {
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{baseline}\" x2=\"{width - 5}\" y2=\"{baseline}\" stroke=\"#616161\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"10\" x2=\"{left}\" y2=\"{baseline}\" stroke=\"#616161\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"20\" font-size=\"11\">{max}</text><text x=\"4\" y=\"{baseline}\" font-size=\"11\">0</text>");
    }

    private static string Legend()
    {
        var sb = new StringBuilder("<p class=\"legend\">");
        foreach (var t in EvidenceTiers.All)
        {
            sb.Append("<span><i style=\"background:").Append(TierColors[(int)t]).Append("\"></i>").Append(E(EvidenceTiers.Name(t))).Append("</span>");
        }

        return sb.Append("</p>\n").ToString();
    }

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
