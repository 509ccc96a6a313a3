using System.Globalization;
using System.Net;
using System.Text;

namespace Gpo.Figures;

/// <summary>A mean and standard deviation (e.g. over seeds), shown as <c>0.812 ± 0.013</c>.</summary>
public readonly record struct MeanStd(double Mean, double Std)
{
    /// <summary>The mean and standard deviation (population, n in the denominator) of <paramref name="values"/>.</summary>
    public static MeanStd Of(IReadOnlyCollection<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new ArgumentException("No values to average.", nameof(values));
        var mean = values.Average();
        return new MeanStd(mean, Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Count));
    }

    public string ToString(string numberFormat) =>
        $"{Mean.ToString(numberFormat, CultureInfo.InvariantCulture)} ± {Std.ToString(numberFormat, CultureInfo.InvariantCulture)}";

    public override string ToString() => ToString("0.000");
}

/// <summary>
/// A small results table for notebooks and reports: named columns, rows of cells (text, numbers formatted
/// with <see cref="NumberFormat"/>, <see cref="MeanStd"/>), shown as HTML in notebooks and as aligned
/// plain text by <see cref="ToString"/>. Numeric cells are right-aligned.
/// </summary>
[TypeFormatterSource(typeof(TableFormatterSource), PreferredMimeTypes = ["text/html"])]
public sealed class Table
{
    private readonly List<object?[]> _rows = [];

    public Table(params string[] columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        if (columns.Length == 0) throw new ArgumentException("A table needs at least one column.", nameof(columns));
        Columns = columns.ToArray();
    }

    public IReadOnlyList<string> Columns { get; }

    /// <summary>Shown above the table (HTML caption / first line of the text form).</summary>
    public string? Title { get; init; }

    /// <summary>The .NET format of floating-point cells and of <see cref="MeanStd"/> parts (default three decimals).</summary>
    public string NumberFormat { get; init; } = "0.000";

    public IReadOnlyList<IReadOnlyList<object?>> Rows => _rows;

    /// <summary>Adds a row; it must have one cell per column.</summary>
    public Table AddRow(params object?[] cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        if (cells.Length != Columns.Count)
            throw new ArgumentException($"Row {_rows.Count + 1} has {cells.Length} cells, but the table has {Columns.Count} columns ({string.Join(", ", Columns)}).", nameof(cells));
        _rows.Add(cells.ToArray());
        return this;
    }

    /// <summary>The text of one cell: numbers with <see cref="NumberFormat"/> (integers as they are), NaN as "NaN", null as empty.</summary>
    public string FormatCell(object? cell) => cell switch
    {
        null => "",
        string text => text,
        MeanStd meanStd => meanStd.ToString(NumberFormat),
        double value => FormatReal(value),
        float value => FormatReal(value),
        decimal value => value.ToString(NumberFormat, CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => cell.ToString() ?? "",
    };

    private string FormatReal(double value) =>
        double.IsNaN(value) ? "NaN" : double.IsInfinity(value) ? (value > 0 ? "∞" : "-∞") : value.ToString(NumberFormat, CultureInfo.InvariantCulture);

    private static bool IsNumeric(object? cell) => cell is MeanStd or double or float or decimal or int or long or short or byte or uint or ulong;

    public string ToHtml()
    {
        var html = new StringBuilder();
        html.Append("<table style=\"border-collapse: collapse; font-variant-numeric: tabular-nums;\">\n");
        if (Title is not null) html.Append(CultureInfo.InvariantCulture, $"<caption style=\"text-align: left; font-weight: bold;\">{WebUtility.HtmlEncode(Title)}</caption>\n");
        html.Append("<thead><tr>");
        for (var c = 0; c < Columns.Count; c++)
        {
            var align = _rows.Count > 0 && _rows.All(r => r[c] is null || IsNumeric(r[c])) ? "right" : "left";
            html.Append(CultureInfo.InvariantCulture, $"<th style=\"text-align: {align}; padding: 2px 8px; border-bottom: 1px solid #888;\">{WebUtility.HtmlEncode(Columns[c])}</th>");
        }
        html.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in _rows)
        {
            html.Append("<tr>");
            foreach (var cell in row)
                html.Append(CultureInfo.InvariantCulture, $"<td style=\"text-align: {(IsNumeric(cell) ? "right" : "left")}; padding: 2px 8px;\">{WebUtility.HtmlEncode(FormatCell(cell))}</td>");
            html.Append("</tr>\n");
        }
        html.Append("</tbody>\n</table>");
        return html.ToString();
    }

    /// <summary>The table as aligned plain text: a header, a rule, one line per row.</summary>
    public override string ToString()
    {
        var texts = _rows.Select(r => r.Select(FormatCell).ToArray()).ToList();
        var widths = Columns.Select((name, c) => Math.Max(name.Length, texts.Select(t => t[c].Length).DefaultIfEmpty(0).Max())).ToArray();
        var numeric = Columns.Select((_, c) => _rows.Count > 0 && _rows.All(r => r[c] is null || IsNumeric(r[c]))).ToArray();
        string Line(IReadOnlyList<string> cells) =>
            string.Join("  ", cells.Select((text, c) => numeric[c] ? text.PadLeft(widths[c]) : text.PadRight(widths[c]))).TrimEnd();
        var lines = new List<string>();
        if (Title is not null) lines.Add(Title);
        lines.Add(Line(Columns));
        lines.Add(string.Join("  ", widths.Select(w => new string('-', w))));
        lines.AddRange(texts.Select(Line));
        return string.Join("\n", lines);
    }
}

/// <summary>Displays a <see cref="Table"/> in a notebook as <c>text/html</c> and <c>text/plain</c>.</summary>
public sealed class TableFormatterSource
{
    public IEnumerable<object> CreateTypeFormatters()
    {
        yield return new MimeFormatter("text/html", (table, writer) => Write(table, writer, t => t.ToHtml()));
        yield return new MimeFormatter("text/plain", (table, writer) => Write(table, writer, t => t.ToString()));
    }

    private static bool Write(object instance, TextWriter writer, Func<Table, string> render)
    {
        if (instance is not Table table) return false;
        writer.Write(render(table));
        return true;
    }
}
