using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Gpo.Figures;

/// <summary>How a trace draws its points.</summary>
public enum TraceKind
{
    /// <summary>Points joined by lines, with markers (<c>type: scatter, mode: lines+markers</c>).</summary>
    Scatter,

    /// <summary>Bars; several bar traces stand side by side per category (<c>layout.barmode: group</c>).</summary>
    Bar,
}

/// <summary>
/// One series of a <see cref="Figure"/>: <c>Y[i]</c> (± <c>ErrorY[i]</c>) at x position <c>i</c>, which is
/// either a number (<see cref="XValues"/>) or a category label (<see cref="XLabels"/>).
/// </summary>
public sealed class Trace
{
    internal Trace(TraceKind kind, string name, IReadOnlyList<double>? xValues, IReadOnlyList<string>? xLabels,
        IReadOnlyList<double> y, IReadOnlyList<double>? errorY, string color)
    {
        var pointCount = y.Count;
        var xCount = xValues?.Count ?? xLabels!.Count;
        if (xCount != pointCount)
            throw new ArgumentException($"Trace '{name}': {xCount} x values but {pointCount} y values.");
        if (errorY is not null && errorY.Count != pointCount)
            throw new ArgumentException($"Trace '{name}': {errorY.Count} error bars but {pointCount} y values.");
        if (!Palette.IsHexColor(color))
            throw new ArgumentException($"Trace '{name}': colour '{color}' is not written #rrggbb.");
        Kind = kind;
        Name = name;
        XValues = xValues?.ToArray();
        XLabels = xLabels?.ToArray();
        Y = y.ToArray();
        ErrorY = errorY?.ToArray();
        Color = color.ToLowerInvariant();
    }

    public TraceKind Kind { get; }

    /// <summary>The legend entry.</summary>
    public string Name { get; }

    /// <summary>Numeric x positions, or null when the x axis is categorical.</summary>
    public IReadOnlyList<double>? XValues { get; }

    /// <summary>Category labels, or null when the x axis is numeric.</summary>
    public IReadOnlyList<string>? XLabels { get; }

    public IReadOnlyList<double> Y { get; }

    /// <summary>Symmetric error bar half-lengths (e.g. one standard deviation), or null for none.</summary>
    public IReadOnlyList<double>? ErrorY { get; }

    /// <summary><c>#rrggbb</c>.</summary>
    public string Color { get; }

    public int PointCount => Y.Count;
}

/// <summary>
/// A small plotly figure: a title, axis titles, a size and a list of scatter or bar traces. It serialises to
/// plotly's figure JSON <c>{"data": [traces], "layout": {...}, "config": {...}}</c> (deterministic: same figure,
/// same bytes; numbers in invariant culture, non-finite values as <c>null</c>), which VS Code's notebook
/// renderer, plotly.js and <see cref="FigureExport"/> all draw. In a notebook it displays itself as a rich
/// output through <see cref="FigureFormatterSource"/>.
/// </summary>
/// <example><code>
/// var figure = new Figure("Alignment by context size") { XAxisTitle = "context questions", YAxisTitle = "alignment" }
///     .AddScatter("GPO", [1, 2, 4, 8], means, stds)
///     .AddScatter("uniform", [1, 2, 4, 8], baseline);
/// </code></example>
// Polyglot shows the preferred types: VS Code draws the plotly JSON offline; the HTML (with a static image) is the fallback.
[TypeFormatterSource(typeof(FigureFormatterSource), PreferredMimeTypes = [FigureFormatterSource.PlotlyMimeType, "text/html"])]
public sealed class Figure
{
    /// <summary>The font stack of every text in the figure (on Debian, Arial resolves to the metric-compatible Liberation Sans).</summary>
    public const string FontFamily = "Arial, \"Liberation Sans\", \"Helvetica Neue\", \"DejaVu Sans\", sans-serif";

    private readonly List<Trace> _traces = [];

    public Figure(string title, int width = 720, int height = 440)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 200);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 150);
        Title = title;
        Width = width;
        Height = height;
    }

    public string Title { get; }

    /// <summary>Size in CSS pixels (also the PNG size).</summary>
    public int Width { get; }

    public int Height { get; }

    /// <summary>
    /// More traces than fit one legend row under the title get a legend column right of the plot instead (a wrapped
    /// row would run into the title); the plot gives up <see cref="LegendColumnWidth"/> of the figure's width for it.
    /// </summary>
    public bool LegendAtRight => _traces.Count > MaxLegendRow;

    /// <summary>The most traces whose legend stays one row above the plot.</summary>
    public const int MaxLegendRow = 6;

    /// <summary>The width of the legend column (0 without one): symbol, gap and the longest name, estimated.</summary>
    public int LegendColumnWidth => LegendAtRight ? (int)Math.Ceiling(28 + _traces.Max(t => ApproximateTextWidth(t.Name)) + 16) : 0;

    /// <summary>An estimate of a text's width in pixels at 13 px Arial-like type (legend layout only).</summary>
    internal static double ApproximateTextWidth(string text) => text.Length * 13 * 0.55;

    public string? XAxisTitle { get; init; }

    public string? YAxisTitle { get; init; }

    /// <summary>A fixed y range [min, max]; null lets plotly choose it from the data.</summary>
    public (double Min, double Max)? YRange { get; init; }

    public IReadOnlyList<Trace> Traces => _traces;

    /// <summary>Adds a <c>lines+markers</c> series at numeric x positions, with optional error bars.</summary>
    public Figure AddScatter(string name, IReadOnlyList<double> x, IReadOnlyList<double> y, IReadOnlyList<double>? errorY = null, string? color = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        return Add(new Trace(TraceKind.Scatter, name, x, null, y, errorY, color ?? Palette.ColorAt(_traces.Count)));
    }

    /// <summary>Adds a <c>lines+markers</c> series at categorical x positions, with optional error bars.</summary>
    public Figure AddScatter(string name, IReadOnlyList<string> categories, IReadOnlyList<double> y, IReadOnlyList<double>? errorY = null, string? color = null)
    {
        ArgumentNullException.ThrowIfNull(categories);
        return Add(new Trace(TraceKind.Scatter, name, null, categories, y, errorY, color ?? Palette.ColorAt(_traces.Count)));
    }

    /// <summary>Adds a bar series over categories; bar series stand side by side (grouped).</summary>
    public Figure AddBar(string name, IReadOnlyList<string> categories, IReadOnlyList<double> y, IReadOnlyList<double>? errorY = null, string? color = null)
    {
        ArgumentNullException.ThrowIfNull(categories);
        return Add(new Trace(TraceKind.Bar, name, null, categories, y, errorY, color ?? Palette.ColorAt(_traces.Count)));
    }

    private Figure Add(Trace trace)
    {
        if (_traces.Count > 0 && (_traces[0].XLabels is null) != (trace.XLabels is null))
            throw new ArgumentException($"Trace '{trace.Name}': all traces of a figure need the same kind of x axis (numbers or categories).");
        _traces.Add(trace);
        return this;
    }

    /// <summary>The plotly figure JSON <c>{"data": [...], "layout": {...}, "config": {...}}</c>.</summary>
    public string ToJson(bool indented = false)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            WriteJson(writer);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Writes the plotly figure JSON object.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteStartArray("data");
        foreach (var trace in _traces) WriteTrace(writer, trace);
        writer.WriteEndArray();
        WriteLayout(writer);
        writer.WriteStartObject("config");
        writer.WriteBoolean("responsive", true);
        writer.WriteBoolean("displaylogo", false);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteTrace(Utf8JsonWriter writer, Trace trace)
    {
        writer.WriteStartObject();
        writer.WriteString("type", trace.Kind == TraceKind.Bar ? "bar" : "scatter");
        if (trace.Kind == TraceKind.Scatter) writer.WriteString("mode", "lines+markers");
        writer.WriteString("name", trace.Name);
        writer.WriteStartArray("x");
        if (trace.XLabels is not null) foreach (var label in trace.XLabels) writer.WriteStringValue(label);
        else foreach (var x in trace.XValues!) WriteNumber(writer, x);
        writer.WriteEndArray();
        WriteNumbers(writer, "y", trace.Y);
        if (trace.ErrorY is not null)
        {
            writer.WriteStartObject("error_y");
            writer.WriteString("type", "data");
            WriteNumbers(writer, "array", trace.ErrorY);
            writer.WriteBoolean("visible", true);
            writer.WriteString("color", trace.Kind == TraceKind.Bar ? "#333333" : trace.Color);
            writer.WriteNumber("thickness", 1.5);
            writer.WriteNumber("width", 4);
            writer.WriteEndObject();
        }
        writer.WriteStartObject("marker");
        writer.WriteString("color", trace.Color);
        if (trace.Kind == TraceKind.Scatter) writer.WriteNumber("size", 7);
        writer.WriteEndObject();
        if (trace.Kind == TraceKind.Scatter)
        {
            writer.WriteStartObject("line");
            writer.WriteString("color", trace.Color);
            writer.WriteNumber("width", 2);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    private void WriteLayout(Utf8JsonWriter writer)
    {
        writer.WriteStartObject("layout");
        writer.WriteStartObject("title");
        writer.WriteString("text", Title);
        writer.WriteNumber("x", 0.02);
        writer.WriteString("xanchor", "left");
        writer.WriteStartObject("font");
        writer.WriteNumber("size", 18);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteStartObject("font");
        writer.WriteString("family", FontFamily);
        writer.WriteNumber("size", 13);
        writer.WriteString("color", "#222222");
        writer.WriteEndObject();
        writer.WriteNumber("width", Width);
        writer.WriteNumber("height", Height);
        writer.WriteBoolean("autosize", false);
        writer.WriteString("paper_bgcolor", "#ffffff");
        writer.WriteString("plot_bgcolor", "#ffffff");
        writer.WriteStartObject("margin");
        writer.WriteNumber("l", 72);
        writer.WriteNumber("r", 24 + LegendColumnWidth);
        writer.WriteNumber("t", 96);
        writer.WriteNumber("b", 64);
        writer.WriteEndObject();
        // Category labels such as "40%" or "2024" would otherwise be read by plotly as numbers and put on a linear axis.
        WriteAxis(writer, "xaxis", XAxisTitle, null, grid: false, categories: _traces.Count > 0 && _traces[0].XLabels is not null);
        WriteAxis(writer, "yaxis", YAxisTitle, YRange, grid: true, categories: false);
        writer.WriteBoolean("showlegend", _traces.Count > 1);
        writer.WriteStartObject("legend");
        if (LegendAtRight)
        {
            writer.WriteString("orientation", "v");
            writer.WriteNumber("x", 1.02);
            writer.WriteString("xanchor", "left");
            writer.WriteNumber("y", 1);
            writer.WriteString("yanchor", "top");
        }
        else
        {
            writer.WriteString("orientation", "h");
            writer.WriteNumber("x", 0);
            writer.WriteString("xanchor", "left");
            writer.WriteNumber("y", 1.02);
            writer.WriteString("yanchor", "bottom");
        }
        writer.WriteEndObject();
        if (_traces.Any(t => t.Kind == TraceKind.Bar))
        {
            writer.WriteString("barmode", "group");
            writer.WriteNumber("bargap", 0.2);
            writer.WriteNumber("bargroupgap", 0.05);
        }
        writer.WriteEndObject();
    }

    private static void WriteAxis(Utf8JsonWriter writer, string name, string? title, (double Min, double Max)? range, bool grid, bool categories)
    {
        writer.WriteStartObject(name);
        if (categories) writer.WriteString("type", "category");
        writer.WriteStartObject("title");
        writer.WriteString("text", title ?? "");
        // An explicit standoff with automargin makes plotly grow the margin to keep the title clear of long tick labels.
        writer.WriteNumber("standoff", 12);
        writer.WriteEndObject();
        writer.WriteBoolean("automargin", true);
        writer.WriteBoolean("showgrid", grid);
        writer.WriteString("gridcolor", "#e6e6e6");
        writer.WriteBoolean("zeroline", false);
        writer.WriteBoolean("showline", true);
        writer.WriteString("linecolor", "#444444");
        writer.WriteString("ticks", "outside");
        if (range is { } r)
        {
            writer.WriteStartArray("range");
            WriteNumber(writer, r.Min);
            WriteNumber(writer, r.Max);
            writer.WriteEndArray();
        }
        writer.WriteEndObject();
    }

    private static void WriteNumbers(Utf8JsonWriter writer, string name, IReadOnlyList<double> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values) WriteNumber(writer, value);
        writer.WriteEndArray();
    }

    /// <summary>Finite numbers as the shortest round-trip form; NaN/±∞ as <c>null</c> (a gap, in plotly).</summary>
    private static void WriteNumber(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value)) writer.WriteNumberValue(value);
        else writer.WriteNullValue();
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"Figure \"{Title}\" ({_traces.Count} traces, {Width}x{Height})");
}
