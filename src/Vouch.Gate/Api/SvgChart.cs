using System.Globalization;
using System.Text;

namespace Vouch.Gate.Api;

/// <summary>
/// Issue 19: horizontal bar charts as inline SVG, drawn on the server (no script, no front-end
/// build, nothing fetched). Each chart is a figure with a caption, the SVG has role="img", a title
/// and a description listing every value, so the numbers reach a screen reader as text too.
/// </summary>
internal static class SvgChart
{
    private const int LabelWidth = 190;
    private const int BarWidth = 360;
    private const int RowHeight = 28;
    private const int MaxLabel = 32;

    public static void Bars(StringBuilder html, string id, string caption, IReadOnlyList<(string Label, long Value, string Color)> bars)
    {
        var e = DashboardLayout.E;
        html.Append("<figure id=\"").Append(e(id)).Append("\"><figcaption id=\"").Append(e(id)).Append("-caption\">").Append(e(caption)).Append("</figcaption>");
        if (bars.Count == 0)
        {
            html.Append("<p>Nothing recorded yet.</p></figure>");
            return;
        }

        var max = Math.Max(1, bars.Max(b => b.Value));
        var height = bars.Count * RowHeight + 8;
        var width = LabelWidth + BarWidth + 90;
        html.Append("<svg role=\"img\" aria-labelledby=\"").Append(e(id)).Append("-title ").Append(e(id)).Append("-desc\" width=\"").Append(width).Append("\" height=\"").Append(height)
            .Append("\" viewBox=\"0 0 ").Append(width).Append(' ').Append(height).Append("\" font-family=\"system-ui,sans-serif\" font-size=\"13\">");
        html.Append("<title id=\"").Append(e(id)).Append("-title\">").Append(e(caption)).Append("</title><desc id=\"").Append(e(id)).Append("-desc\">")
            .Append(e(string.Join("; ", bars.Select(b => $"{b.Label}: {b.Value.ToString(CultureInfo.InvariantCulture)}")))).Append("</desc>");
        for (var i = 0; i < bars.Count; i++)
        {
            var (label, value, color) = bars[i];
            var y = 4 + i * RowHeight;
            // Any non-zero value gets at least 2 px so it is visible next to a much larger one.
            var w = value <= 0 ? 0 : Math.Max(2, (int)Math.Round((double)value / max * BarWidth));
            var shown = label.Length > MaxLabel ? label[..(MaxLabel - 1)] + "…" : label;
            html.Append("<g class=\"bar\"><title>").Append(e(label)).Append(": ").Append(value.ToString(CultureInfo.InvariantCulture)).Append("</title>")
                .Append("<text x=\"").Append(LabelWidth - 8).Append("\" y=\"").Append(y + 18).Append("\" text-anchor=\"end\">").Append(e(shown)).Append("</text>")
                .Append("<rect x=\"").Append(LabelWidth).Append("\" y=\"").Append(y + 4).Append("\" width=\"").Append(w).Append("\" height=\"").Append(RowHeight - 8)
                .Append("\" fill=\"").Append(e(color)).Append("\"></rect>")
                .Append("<text x=\"").Append(LabelWidth + w + 6).Append("\" y=\"").Append(y + 18).Append("\">").Append(value.ToString(CultureInfo.InvariantCulture)).Append("</text></g>");
        }

        html.Append("</svg></figure>");
    }
}
