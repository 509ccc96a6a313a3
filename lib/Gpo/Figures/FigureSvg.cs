using System.Globalization;
using System.Security;
using System.Security.Cryptography;
using System.Text;

namespace Gpo.Figures;

/// <summary>
/// A static SVG drawing of a <see cref="Figure"/> in the same layout as plotly's (title top left, legend
/// row under it, or a column right of the plot with many traces, y grid, outside ticks, error bars, grouped bars), for notebook viewers that run no script
/// when no Chromium is there to make a PNG. Deterministic: same figure, same bytes.
/// </summary>
public static class FigureSvg
{
    private const double MarginLeft = 72, MarginRight = 24, MarginTop = 96, MarginBottom = 64;
    private const double TickLength = 5, FontSize = 13, TitleFontSize = 18;

    public static string Render(Figure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);
        double width = figure.Width, height = figure.Height;
        var plot = new PlotArea(MarginLeft, MarginTop, width - MarginRight - figure.LegendColumnWidth, height - MarginBottom);
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" font-family=\"{Escape(Figure.FontFamily)}\" font-size=\"{FontSize}\" fill=\"#222222\">\n"));
        svg.Append(Invariant($"<rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n"));
        svg.Append(Invariant($"<text x=\"{F(0.02 * width)}\" y=\"34\" font-size=\"{TitleFontSize}\">{Escape(figure.Title)}</text>\n"));
        if (figure.Traces.Count > 1) AppendLegend(svg, figure, plot);

        var (yMin, yMax, yStep, yDecimals) = YScale(figure);
        double YPixel(double y) => plot.Bottom - (y - yMin) / (yMax - yMin) * (plot.Bottom - plot.Top);
        for (var tick = yMin; tick <= yMax + yStep * 1e-9; tick += yStep)
        {
            var py = YPixel(tick);
            svg.Append(Invariant($"<line x1=\"{F(plot.Left)}\" x2=\"{F(plot.Right)}\" y1=\"{F(py)}\" y2=\"{F(py)}\" stroke=\"#e6e6e6\"/>\n"));
            svg.Append(Invariant($"<line x1=\"{F(plot.Left - TickLength)}\" x2=\"{F(plot.Left)}\" y1=\"{F(py)}\" y2=\"{F(py)}\" stroke=\"#444444\"/>\n"));
            svg.Append(Invariant($"<text x=\"{F(plot.Left - TickLength - 3)}\" y=\"{F(py + 4)}\" text-anchor=\"end\">{tick.ToString("F" + yDecimals, CultureInfo.InvariantCulture)}</text>\n"));
        }

        var xPixel = AppendXAxis(svg, figure, plot);
        svg.Append(Invariant($"<line x1=\"{F(plot.Left)}\" x2=\"{F(plot.Left)}\" y1=\"{F(plot.Top)}\" y2=\"{F(plot.Bottom)}\" stroke=\"#444444\"/>\n"));
        svg.Append(Invariant($"<line x1=\"{F(plot.Left)}\" x2=\"{F(plot.Right)}\" y1=\"{F(plot.Bottom)}\" y2=\"{F(plot.Bottom)}\" stroke=\"#444444\"/>\n"));
        if (!string.IsNullOrEmpty(figure.XAxisTitle))
            svg.Append(Invariant($"<text x=\"{F((plot.Left + plot.Right) / 2)}\" y=\"{F(height - 14)}\" text-anchor=\"middle\">{Escape(figure.XAxisTitle)}</text>\n"));
        if (!string.IsNullOrEmpty(figure.YAxisTitle))
            svg.Append(Invariant($"<text transform=\"translate(18 {F((plot.Top + plot.Bottom) / 2)}) rotate(-90)\" text-anchor=\"middle\">{Escape(figure.YAxisTitle)}</text>\n"));

        // Ids must be unique on a page that shows several figures (a notebook): derive it from the figure.
        var clipId = "gpo-clip-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(figure.ToJson())))[..12];
        svg.Append(Invariant($"<clipPath id=\"{clipId}\"><rect x=\"{F(plot.Left)}\" y=\"{F(plot.Top)}\" width=\"{F(plot.Right - plot.Left)}\" height=\"{F(plot.Bottom - plot.Top)}\"/></clipPath>\n"));
        svg.Append(Invariant($"<g clip-path=\"url(#{clipId})\">\n"));
        AppendTraces(svg, figure, xPixel, YPixel, Math.Clamp(0, yMin, yMax));
        svg.Append("</g>\n</svg>\n");
        return svg.ToString();
    }

    private sealed record PlotArea(double Left, double Top, double Right, double Bottom);

    /// <summary>Maps (trace index, point index) to the x pixel of the point's centre, and gives the bar width.</summary>
    private sealed record XPixels(Func<int, int, double> Center, double BarWidth);

    private static void AppendLegend(StringBuilder svg, Figure figure, PlotArea plot)
    {
        var column = figure.LegendAtRight; // a column right of the plot, else one row under the title
        var x = column ? plot.Right + 12 : plot.Left;
        var y = column ? plot.Top + 8 : 66;
        foreach (var trace in figure.Traces)
        {
            if (trace.Kind == TraceKind.Bar)
                svg.Append(Invariant($"<rect x=\"{F(x)}\" y=\"{F(y - 6)}\" width=\"22\" height=\"12\" fill=\"{trace.Color}\"/>\n"));
            else
                svg.Append(Invariant($"<line x1=\"{F(x)}\" x2=\"{F(x + 22)}\" y1=\"{F(y)}\" y2=\"{F(y)}\" stroke=\"{trace.Color}\" stroke-width=\"2\"/><circle cx=\"{F(x + 11)}\" cy=\"{F(y)}\" r=\"3.5\" fill=\"{trace.Color}\"/>\n"));
            svg.Append(Invariant($"<text x=\"{F(x + 28)}\" y=\"{F(y + 4.5)}\">{Escape(trace.Name)}</text>\n"));
            if (column) y += 20;
            else x += 28 + Figure.ApproximateTextWidth(trace.Name) + 24;
        }
    }

    private static XPixels AppendXAxis(StringBuilder svg, Figure figure, PlotArea plot)
    {
        if (figure.Traces.Count == 0 || figure.Traces[0].XLabels is not null)
        {
            var categories = figure.Traces.SelectMany(t => t.XLabels ?? []).Distinct().ToList();
            var band = (plot.Right - plot.Left) / Math.Max(1, categories.Count);
            var barTraces = figure.Traces.Where(t => t.Kind == TraceKind.Bar).ToList();
            var barWidth = band * 0.8 / Math.Max(1, barTraces.Count);
            for (var i = 0; i < categories.Count; i++)
            {
                var center = plot.Left + (i + 0.5) * band;
                svg.Append(Invariant($"<line x1=\"{F(center)}\" x2=\"{F(center)}\" y1=\"{F(plot.Bottom)}\" y2=\"{F(plot.Bottom + TickLength)}\" stroke=\"#444444\"/>\n"));
                svg.Append(Invariant($"<text x=\"{F(center)}\" y=\"{F(plot.Bottom + TickLength + 14)}\" text-anchor=\"middle\">{Escape(categories[i])}</text>\n"));
            }
            double Center(int traceIndex, int pointIndex)
            {
                var trace = figure.Traces[traceIndex];
                var bandCenter = plot.Left + (categories.IndexOf(trace.XLabels![pointIndex]) + 0.5) * band;
                if (trace.Kind != TraceKind.Bar) return bandCenter;
                var slot = barTraces.IndexOf(trace);
                return bandCenter - band * 0.4 + (slot + 0.5) * barWidth;
            }
            return new XPixels(Center, barWidth);
        }

        var xs = figure.Traces.SelectMany(t => t.XValues!).Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        var (xMin, xMax, xStep, xDecimals) = NiceRange(xs.Min(), xs.Max(), includeZero: false);
        double XPixel(double x) => plot.Left + (x - xMin) / (xMax - xMin) * (plot.Right - plot.Left);
        for (var tick = xMin; tick <= xMax + xStep * 1e-9; tick += xStep)
        {
            var px = XPixel(tick);
            svg.Append(Invariant($"<line x1=\"{F(px)}\" x2=\"{F(px)}\" y1=\"{F(plot.Bottom)}\" y2=\"{F(plot.Bottom + TickLength)}\" stroke=\"#444444\"/>\n"));
            svg.Append(Invariant($"<text x=\"{F(px)}\" y=\"{F(plot.Bottom + TickLength + 14)}\" text-anchor=\"middle\">{tick.ToString("F" + xDecimals, CultureInfo.InvariantCulture)}</text>\n"));
        }
        return new XPixels((traceIndex, pointIndex) => XPixel(figure.Traces[traceIndex].XValues![pointIndex]), 0);
    }

    private static void AppendTraces(StringBuilder svg, Figure figure, XPixels x, Func<double, double> yPixel, double barBase)
    {
        for (var t = 0; t < figure.Traces.Count; t++)
        {
            var trace = figure.Traces[t];
            var points = Enumerable.Range(0, trace.PointCount).Where(i => double.IsFinite(trace.Y[i])).ToList();
            if (trace.Kind == TraceKind.Bar)
            {
                foreach (var i in points)
                {
                    double top = yPixel(Math.Max(trace.Y[i], barBase)), bottom = yPixel(Math.Min(trace.Y[i], barBase));
                    svg.Append(Invariant($"<rect x=\"{F(x.Center(t, i) - x.BarWidth / 2)}\" y=\"{F(top)}\" width=\"{F(x.BarWidth)}\" height=\"{F(bottom - top)}\" fill=\"{trace.Color}\"/>\n"));
                }
            }
            else if (points.Count > 0)
            {
                var path = string.Join(" ", points.Select((i, k) => Invariant($"{(k == 0 ? 'M' : 'L')}{F(x.Center(t, i))},{F(yPixel(trace.Y[i]))}")));
                svg.Append(Invariant($"<path d=\"{path}\" fill=\"none\" stroke=\"{trace.Color}\" stroke-width=\"2\"/>\n"));
            }
            var errorColor = trace.Kind == TraceKind.Bar ? "#333333" : trace.Color;
            if (trace.ErrorY is not null)
            {
                foreach (var i in points.Where(i => double.IsFinite(trace.ErrorY[i])))
                {
                    double cx = x.Center(t, i), high = yPixel(trace.Y[i] + trace.ErrorY[i]), low = yPixel(trace.Y[i] - trace.ErrorY[i]);
                    svg.Append(Invariant($"<path d=\"M{F(cx)},{F(low)} L{F(cx)},{F(high)} M{F(cx - 4)},{F(low)} L{F(cx + 4)},{F(low)} M{F(cx - 4)},{F(high)} L{F(cx + 4)},{F(high)}\" stroke=\"{errorColor}\" stroke-width=\"1.5\" fill=\"none\"/>\n"));
                }
            }
            if (trace.Kind == TraceKind.Scatter)
                foreach (var i in points)
                    svg.Append(Invariant($"<circle cx=\"{F(x.Center(t, i))}\" cy=\"{F(yPixel(trace.Y[i]))}\" r=\"3.5\" fill=\"{trace.Color}\"/>\n"));
        }
    }

    /// <summary>The y axis range and tick step: the figure's fixed range, or the data ± error bars (with 0 for bars) widened to nice ticks.</summary>
    private static (double Min, double Max, double Step, int Decimals) YScale(Figure figure)
    {
        if (figure.YRange is { } fixedRange)
        {
            var (_, _, step, decimals) = NiceRange(fixedRange.Min, fixedRange.Max, includeZero: false);
            return (fixedRange.Min, fixedRange.Max, step, decimals);
        }
        var low = new List<double>();
        var high = new List<double>();
        foreach (var trace in figure.Traces)
            for (var i = 0; i < trace.PointCount; i++)
            {
                var error = trace.ErrorY is { } e && double.IsFinite(e[i]) ? e[i] : 0;
                if (!double.IsFinite(trace.Y[i])) continue;
                low.Add(trace.Y[i] - error);
                high.Add(trace.Y[i] + error);
            }
        var includeZero = figure.Traces.Any(t => t.Kind == TraceKind.Bar);
        return NiceRange(low.DefaultIfEmpty(0).Min(), high.DefaultIfEmpty(1).Max(), includeZero);
    }

    /// <summary>[min, max] widened to multiples of a step of 1, 2 or 5 × 10^k giving about five intervals.</summary>
    internal static (double Min, double Max, double Step, int Decimals) NiceRange(double min, double max, bool includeZero)
    {
        if (includeZero) { min = Math.Min(min, 0); max = Math.Max(max, 0); }
        if (max - min < 1e-12) { var pad = Math.Abs(max) > 1e-12 ? Math.Abs(max) * 0.1 : 1; min -= pad; max += pad; }
        var rough = (max - min) / 5;
        var exponent = (int)Math.Floor(Math.Log10(rough));
        var magnitude = Math.Pow(10, exponent);
        var multiple = rough / magnitude;
        var niceMantissa = multiple <= 1 ? 1 : multiple <= 2 ? 2 : multiple <= 5 ? 5 : 10;
        var step = niceMantissa * magnitude;
        var decimals = Math.Max(0, niceMantissa == 10 ? -exponent - 1 : -exponent);
        return (Math.Floor(min / step + 1e-9) * step, Math.Ceiling(max / step - 1e-9) * step, step, decimals);
    }

    private static string F(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string text) => SecurityElement.Escape(text);
}
