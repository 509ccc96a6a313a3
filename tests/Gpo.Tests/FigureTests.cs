using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using Gpo.Figures;

namespace Gpo.Tests;

/// <summary>Shares the notebook collection: the notebook tests change GPO_FIGURE_PNG, which figure display reads.</summary>
[Collection(NotebookCollection.Name)]
public sealed class FigureTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpo-figure-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static Figure ScatterFigure() =>
        new Figure("Alignment by context size", 640, 400) { XAxisTitle = "context questions", YAxisTitle = "alignment" }
            .AddScatter("GPO", [1, 2, 4, 8], [0.71, 0.75, 0.79, 0.82], [0.02, 0.018, 0.015, 0.012])
            .AddScatter("uniform", [1, 2, 4, 8], [0.62, 0.62, 0.62, double.NaN]);

    private static Figure BarFigure() =>
        new Figure("Held-out groups") { XAxisTitle = "dataset", YAxisTitle = "alignment" }
            .AddBar("GPO", ["OpinionQA", "GlobalOpinionQA"], [0.83, 0.79], [0.01, 0.02])
            .AddBar("uniform", ["OpinionQA", "GlobalOpinionQA"], [0.62, 0.60], color: "#777777");

    [Fact]
    public void Scatter_json_has_plotly_shape_error_bars_titles_and_palette_colours()
    {
        var json = JsonNode.Parse(ScatterFigure().ToJson())!.AsObject();

        Assert.Equal(["data", "layout", "config"], json.Select(p => p.Key));
        var first = json["data"]![0]!;
        Assert.Equal("scatter", (string)first["type"]!);
        Assert.Equal("lines+markers", (string)first["mode"]!);
        Assert.Equal("GPO", (string)first["name"]!);
        Assert.Equal([1.0, 2, 4, 8], first["x"]!.AsArray().Select(v => (double)v!));
        Assert.Equal([0.71, 0.75, 0.79, 0.82], first["y"]!.AsArray().Select(v => (double)v!));
        Assert.Equal("data", (string)first["error_y"]!["type"]!);
        Assert.True((bool)first["error_y"]!["visible"]!);
        Assert.Equal([0.02, 0.018, 0.015, 0.012], first["error_y"]!["array"]!.AsArray().Select(v => (double)v!));
        Assert.Equal("#0072b2", (string)first["marker"]!["color"]!);
        Assert.Equal("#e69f00", (string)json["data"]![1]!["line"]!["color"]!);
        Assert.Null(json["data"]![1]!["error_y"]);
        // NaN is a gap: JSON null.
        Assert.Null(json["data"]![1]!["y"]![3]);

        var layout = json["layout"]!;
        Assert.Equal("Alignment by context size", (string)layout["title"]!["text"]!);
        Assert.Equal("context questions", (string)layout["xaxis"]!["title"]!["text"]!);
        Assert.Equal("alignment", (string)layout["yaxis"]!["title"]!["text"]!);
        Assert.Equal(640, (int)layout["width"]!);
        Assert.Equal(400, (int)layout["height"]!);
        Assert.Equal("#ffffff", (string)layout["paper_bgcolor"]!);
        Assert.True((bool)layout["showlegend"]!);
        Assert.Null(layout["barmode"]);
        Assert.Null(layout["xaxis"]!["type"]); // numbers: plotly's linear axis
    }

    [Fact]
    public void Category_labels_that_look_like_numbers_stay_categories()
    {
        var figure = new Figure("By fraction").AddBar("GPO", ["40%", "60%", "80%"], [0.90, 0.91, 0.92]);

        var layout = JsonNode.Parse(figure.ToJson())!["layout"]!;

        Assert.Equal("category", (string)layout["xaxis"]!["type"]!);
        Assert.Null(layout["yaxis"]!["type"]);
    }

    [Fact]
    public void Bar_json_is_grouped_with_error_bars_and_given_colour()
    {
        var json = JsonNode.Parse(BarFigure().ToJson())!;

        Assert.Equal("group", (string)json["layout"]!["barmode"]!);
        var bars = json["data"]!.AsArray();
        Assert.All(bars, b => Assert.Equal("bar", (string)b!["type"]!));
        Assert.All(bars, b => Assert.Null(b!["mode"]));
        Assert.Equal(["OpinionQA", "GlobalOpinionQA"], bars[0]!["x"]!.AsArray().Select(v => (string)v!));
        Assert.Equal([0.01, 0.02], bars[0]!["error_y"]!["array"]!.AsArray().Select(v => (double)v!));
        Assert.Equal("#777777", (string)bars[1]!["marker"]!["color"]!);
    }

    [Fact]
    public void Json_is_deterministic_with_shortest_round_trip_numbers()
    {
        var first = ScatterFigure().ToJson();
        Assert.Equal(first, ScatterFigure().ToJson());
        Assert.Contains("\"y\":[0.71,0.75,0.79,0.82]", first, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_traces_are_refused_with_the_trace_named()
    {
        var figure = new Figure("f");
        Assert.Contains("Trace 'a': 2 x values but 3 y values", Assert.Throws<ArgumentException>(() => figure.AddScatter("a", [1.0, 2], [1.0, 2, 3])).Message, StringComparison.Ordinal);
        Assert.Contains("Trace 'b': 1 error bars but 2 y values", Assert.Throws<ArgumentException>(() => figure.AddScatter("b", [1.0, 2], [1.0, 2], [0.1])).Message, StringComparison.Ordinal);
        Assert.Contains("colour 'red'", Assert.Throws<ArgumentException>(() => figure.AddBar("c", ["x"], [1.0], color: "red")).Message, StringComparison.Ordinal);
        figure.AddScatter("d", [1.0], [1.0]);
        Assert.Contains("same kind of x axis", Assert.Throws<ArgumentException>(() => figure.AddBar("e", ["x"], [1.0])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Palette_is_hex_colours()
    {
        Assert.All(Palette.Colors, c => Assert.True(Palette.IsHexColor(c), c));
        Assert.Equal(Palette.Colors.Count, Palette.Colors.Distinct().Count());
        Assert.False(Palette.IsHexColor("#12345g"));
        Assert.False(Palette.IsHexColor("123456"));
    }

    [Fact]
    public void Standalone_html_references_the_script_next_to_it_and_says_how_to_get_it()
    {
        var html = FigureHtml.StandaloneDocument(ScatterFigure());

        Assert.Contains("<script src=\"plotly.min.js\"></script>", html, StringComparison.Ordinal);
        Assert.Contains("<!-- plotly.min.js (plotly.js-dist-min 4.1.2, MIT) is not committed.", html, StringComparison.Ordinal);
        Assert.Contains("<noscript>", html, StringComparison.Ordinal);
        Assert.Contains("Plotly.newPlot(div, figure.data, figure.layout, figure.config)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Inlined_html_embeds_the_script_and_refuses_one_that_would_close_the_element()
    {
        var html = FigureHtml.StandaloneDocument(ScatterFigure(), inlineScript: "window.Plotly = {};");
        Assert.Contains("<script>window.Plotly = {};</script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=", html, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => FigureHtml.StandaloneDocument(ScatterFigure(), inlineScript: "a</script>b"));
    }

    [Fact]
    public void Notebook_fragment_draws_with_a_loaded_plotly_only_and_escapes_script_ends()
    {
        var figure = new Figure("a </script> title").AddBar("x", ["c"], [1.0]);
        var html = FigureHtml.NotebookFragment(figure);

        Assert.Contains("if (window.Plotly) { draw(window.Plotly); }", html, StringComparison.Ordinal);
        Assert.Contains("a <\\/script> title", html, StringComparison.Ordinal);
        Assert.Equal(1, CountOf(html, "</script>"));
        Assert.DoesNotContain("http", html, StringComparison.Ordinal);
        Assert.StartsWith("<div id=\"gpo-figure-", html, StringComparison.Ordinal);
        Assert.Contains("this view needs plotly.js", html, StringComparison.Ordinal);

        // With a static image, the div shows it until plotly.js replaces it.
        var withImage = FigureHtml.NotebookFragment(figure, "<img src=\"data:image/png;base64,AAAA\">");
        Assert.Contains("\"><img src=\"data:image/png;base64,AAAA\"></div>", withImage, StringComparison.Ordinal);
        Assert.DoesNotContain("this view needs plotly.js", withImage, StringComparison.Ordinal);
    }

    [Fact]
    public void Svg_ids_differ_between_figures_so_one_page_can_hold_several()
    {
        static string ClipId(Figure f) => (string)XDocument.Parse(FigureSvg.Render(f)).Descendants().First(e => e.Name.LocalName == "clipPath").Attribute("id")!;
        Assert.NotEqual(ClipId(ScatterFigure()), ClipId(BarFigure()));
        Assert.Equal(ClipId(BarFigure()), ClipId(BarFigure()));
    }

    [Fact]
    public void Export_without_chromium_writes_html_only_and_says_png_was_skipped()
    {
        var htmlPath = Path.Combine(_folder, "figure.html");

        var result = FigureExport.Write(ScatterFigure(), htmlPath, chromiumPath: null);

        Assert.Equal(htmlPath, result.HtmlPath);
        Assert.Null(result.PngPath);
        Assert.StartsWith("PNG export skipped", result.Note, StringComparison.Ordinal);
        Assert.True(File.Exists(htmlPath));
        Assert.False(File.Exists(Path.ChangeExtension(htmlPath, ".png")));
    }

    [SkippableFact]
    public void Export_with_chromium_writes_a_png_of_the_figure_size_with_the_trace_colours()
    {
        var chromium = Chromium.Find();
        Skip.If(chromium is null, "No Chromium on this machine (install Debian's chromium) — PNG export cannot run.");
        Skip.IfNot(PlotlyScript.TryEnsureCached(out _, out var problem), $"plotly.js cannot be had here: {problem}");
        var htmlPath = Path.Combine(_folder, "results", "figure.html");

        var result = FigureExport.Write(BarFigure(), htmlPath, chromium);

        Assert.Null(result.Note);
        Assert.True(PlotlyScript.HasPinnedDigest(Path.Combine(_folder, "results", PlotlyScript.FileName)));
        var png = File.ReadAllBytes(result.PngPath!);
        Assert.Equal((720, 440), FigureExport.ReadPngSize(png));
        var pixels = DecodeRgb(png);
        Assert.Equal((255, 255, 255), pixels[0, 0]);
        Assert.Equal((255, 255, 255), pixels[439, 719]);
        var colours = new HashSet<(int, int, int)>();
        foreach (var pixel in pixels) colours.Add(pixel);
        Assert.Contains((0x00, 0x72, 0xb2), colours); // GPO bars
        Assert.Contains((0x77, 0x77, 0x77), colours); // uniform bars
    }

    [Fact]
    public void Svg_is_well_formed_with_one_mark_per_point_and_error_bar()
    {
        var scatter = XDocument.Parse(FigureSvg.Render(ScatterFigure()));
        XNamespace svg = "http://www.w3.org/2000/svg";
        Assert.Equal("640", (string?)scatter.Root!.Attribute("width"));
        Assert.Equal("400", (string?)scatter.Root!.Attribute("height"));
        // 4 + 3 finite points, plus one legend marker per scatter trace.
        Assert.Equal(7 + 2, scatter.Descendants(svg + "circle").Count());
        Assert.Contains(scatter.Descendants(svg + "text"), t => t.Value == "Alignment by context size");

        var bars = XDocument.Parse(FigureSvg.Render(BarFigure()));
        var fills = bars.Descendants(svg + "rect").Select(r => (string?)r.Attribute("fill")).ToList();
        Assert.Equal(2 + 1, fills.Count(f => f == "#0072b2")); // two bars and the legend swatch
        Assert.Equal(2 + 1, fills.Count(f => f == "#777777"));
        Assert.Equal(2, bars.Descendants(svg + "path").Count(p => (string?)p.Attribute("stroke") == "#333333"));
    }

    [Theory]
    [InlineData(0.62, 0.85, false, 0.6, 0.85, 0.05, 2)]
    [InlineData(0.05, 0.83, true, 0.0, 1.0, 0.2, 1)]
    [InlineData(1, 16, false, 0, 20, 5, 0)]
    [InlineData(0, 70, false, 0, 80, 20, 0)]
    [InlineData(0.3, 3.5, false, 0, 4, 1, 0)]
    public void Nice_range_widens_to_1_2_5_steps(double min, double max, bool includeZero, double niceMin, double niceMax, double step, int decimals)
    {
        var range = FigureSvg.NiceRange(min, max, includeZero);
        Assert.Equal(niceMin, range.Min, 1e-12);
        Assert.Equal(niceMax, range.Max, 1e-12);
        Assert.Equal(step, range.Step, 1e-12);
        Assert.Equal(decimals, range.Decimals);
    }

    [Fact]
    public void Table_formats_numbers_mean_std_and_escapes_html()
    {
        var table = new Table("method", "alignment", "n") { Title = "Results <test>" }
            .AddRow("GPO & co", MeanStd.Of([1.0, 2.0, 3.0]), 3)
            .AddRow("uniform", 0.5, null);

        Assert.Equal(
            "Results <test>\n" +
            "method        alignment  n\n" +
            "--------  -------------  -\n" +
            "GPO & co  2.000 ± 0.816  3\n" +
            "uniform           0.500",
            table.ToString());
        var html = table.ToHtml();
        Assert.Contains("<caption style=\"text-align: left; font-weight: bold;\">Results &lt;test&gt;</caption>", html, StringComparison.Ordinal);
        Assert.Contains(">GPO &amp; co</td>", html, StringComparison.Ordinal);
        Assert.Contains("<td style=\"text-align: right; padding: 2px 8px;\">0.500</td>", html, StringComparison.Ordinal);
        Assert.Contains("Row 2 has 1 cells, but the table has 3 columns",
            Assert.Throws<ArgumentException>(() => new Table("a", "b", "c").AddRow(1, 2, 3).AddRow(1)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Formatter_sources_follow_the_polyglot_convention()
    {
        var attribute = (TypeFormatterSourceAttribute)Attribute.GetCustomAttribute(typeof(Figure), typeof(TypeFormatterSourceAttribute))!;
        Assert.Equal(typeof(FigureFormatterSource), attribute.FormatterSourceType);
        Assert.Equal([FigureFormatterSource.PlotlyMimeType, "text/html"], attribute.PreferredMimeTypes);
        var formatters = new TableFormatterSource().CreateTypeFormatters().Cast<MimeFormatter>().ToList();
        Assert.Equal(["text/html", "text/plain"], formatters.Select(f => f.MimeType));
        using var writer = new StringWriter();
        Assert.False(formatters[0].Format("not a table", writer));
        Assert.True(formatters[1].Format(new Table("a").AddRow("x"), writer));
        Assert.Equal("a\n-\nx", writer.ToString());
    }

    private static int CountOf(string text, string part)
    {
        var count = 0;
        for (var i = text.IndexOf(part, StringComparison.Ordinal); i >= 0; i = text.IndexOf(part, i + part.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    /// <summary>Decodes an 8-bit RGB or RGBA, non-interlaced PNG to [row, column] → (r, g, b) (test helper, enough for Chromium's screenshots).</summary>
    private static (int R, int G, int B)[,] DecodeRgb(byte[] png)
    {
        var (width, height) = FigureExport.ReadPngSize(png);
        Assert.Equal(8, png[24]); // bit depth
        var channels = png[25] switch { 2 => 3, 6 => 4, var type => throw new InvalidDataException($"colour type {type}") };
        Assert.Equal(0, png[28]); // no interlace
        using var idat = new MemoryStream();
        for (var offset = 8; offset < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset, 4));
            if (png.AsSpan(offset + 4, 4).SequenceEqual("IDAT"u8)) idat.Write(png, offset + 8, length);
            offset += 12 + length;
        }
        idat.Position = 0;
        using var zlib = new ZLibStream(idat, CompressionMode.Decompress);
        var stride = width * channels;
        var raw = new byte[height * (stride + 1)];
        zlib.ReadExactly(raw);
        var previous = new byte[stride];
        var current = new byte[stride];
        var pixels = new (int, int, int)[height, width];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            for (var i = 0; i < stride; i++)
            {
                int a = i >= channels ? current[i - channels] : 0, b = previous[i], c = i >= channels ? previous[i - channels] : 0;
                var x = raw[y * (stride + 1) + 1 + i];
                current[i] = (byte)(filter switch
                {
                    0 => x,
                    1 => x + a,
                    2 => x + b,
                    3 => x + (a + b) / 2,
                    4 => x + Paeth(a, b, c),
                    _ => throw new InvalidDataException($"filter {filter}"),
                });
            }
            for (var px = 0; px < width; px++) pixels[y, px] = (current[px * channels], current[px * channels + 1], current[px * channels + 2]);
            (previous, current) = (current, previous);
        }
        return pixels;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    [Fact]
    public void Many_traces_get_distinct_colours_and_a_legend_column_right_of_the_plot()
    {
        var names = Enumerable.Range(0, 10).Select(i => $"method number {i}").ToList();
        var figure = new Figure("Many methods", 820, 460);
        foreach (var name in names) figure.AddScatter(name, [1, 2], [0.5, 0.6]);
        Assert.True(figure.LegendAtRight);
        var json = JsonNode.Parse(figure.ToJson())!;
        Assert.Equal(10, json["data"]!.AsArray().Select(t => (string)t!["marker"]!["color"]!).Distinct().Count());
        var layout = json["layout"]!;
        // "method number 9": 15 characters at 13 px × 0.55, plus symbol and gaps: 28 + 107.25 + 16 → 152 px.
        Assert.Equal(152, figure.LegendColumnWidth);
        Assert.Equal(820, (int)layout["width"]!); // the figure keeps its size; the plot is 152 px narrower
        Assert.Equal(24 + 152, (int)layout["margin"]!["r"]!);
        Assert.Equal("v", (string)layout["legend"]!["orientation"]!);
        Assert.Equal(1.02, (double)layout["legend"]!["x"]!);

        var svg = XDocument.Parse(FigureSvg.Render(figure)).Root!;
        Assert.Equal("820", (string)svg.Attribute("width")!);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var legendTexts = svg.Elements(ns + "text").Where(t => names.Contains(t.Value)).ToList();
        Assert.Equal(10, legendTexts.Count);
        Assert.All(legendTexts, t => Assert.True(double.Parse((string)t.Attribute("x")!, System.Globalization.CultureInfo.InvariantCulture) > 820 - 24 - 152, "legend text inside the plot"));
        Assert.Equal(10, legendTexts.Select(t => (string)t.Attribute("y")!).Distinct().Count()); // one entry per line

        // Six traces keep the row above the plot.
        var few = new Figure("Few", 820, 460);
        foreach (var name in names.Take(Figure.MaxLegendRow)) few.AddScatter(name, [1, 2], [0.5, 0.6]);
        Assert.False(few.LegendAtRight);
        Assert.Equal(820, (int)JsonNode.Parse(few.ToJson())!["layout"]!["width"]!);
        Assert.Equal("h", (string)JsonNode.Parse(few.ToJson())!["layout"]!["legend"]!["orientation"]!);
    }

    [Fact]
    public void Training_curves_of_many_runs_show_the_seed_0_run_of_each_split()
    {
        IReadOnlyList<JsonObject> Curve() => [new JsonObject { ["step"] = 0, ["validation_alignment_w1"] = 0.9 }, new JsonObject { ["step"] = 100, ["validation_alignment_w1"] = 0.95 }];
        var runs = (from fraction in new[] { "0.4", "0.6", "0.8" }
                    from seed in Enumerable.Range(0, 10)
                    from variant in new[] { "", "-gpo-residual" }
                    select ($"{fraction}-seed{seed}{variant}", Curve())).ToList();
        var figure = ResultFigures.TrainingCurves("d", runs, "validation_alignment_w1");
        Assert.Equal(["0.4-seed0", "0.4-seed0-gpo-residual", "0.6-seed0", "0.6-seed0-gpo-residual", "0.8-seed0", "0.8-seed0-gpo-residual"], figure.Traces.Select(t => t.Name));
        Assert.Contains("seed 0 of each split", figure.Title, StringComparison.Ordinal);
        // Few runs: all of them.
        Assert.Equal(3, ResultFigures.TrainingCurves("d", runs.Take(3).ToList(), "validation_alignment_w1").Traces.Count);
    }
}
