using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;

namespace Gpo.Figures;

/// <summary>
/// Displays a <see cref="Figure"/> in a notebook as one MIME bundle:
/// <c>application/vnd.plotly.v1+json</c> (VS Code draws it, offline), a static image for viewers that run
/// no script (GitHub) — <c>image/png</c> from headless Chromium when it and plotly.js are available,
/// otherwise <c>image/svg+xml</c> drawn by <see cref="FigureSvg"/> — and <c>text/html</c> (see
/// <see cref="FigureHtml.NotebookFragment"/>) that shows the same static image until a loaded plotly.js
/// replaces it, so a viewer that prefers HTML and strips scripts still shows the chart. Set
/// <c>GPO_FIGURE_PNG=off</c> to always use SVG (faster, and the same bytes on every machine).
/// </summary>
public sealed class FigureFormatterSource
{
    public const string PlotlyMimeType = "application/vnd.plotly.v1+json";

    private static readonly ConditionalWeakTable<Figure, StaticImage> StaticImages = [];

    public IEnumerable<object> CreateTypeFormatters()
    {
        yield return new MimeFormatter(PlotlyMimeType, (figure, writer) => Write(figure, writer, f => f.ToJson()));
        yield return new MimeFormatter("text/html", (figure, writer) => Write(figure, writer, f => FigureHtml.NotebookFragment(f, StaticImageHtml(f))));
        yield return new MimeFormatter("image/png", (figure, writer) => Write(figure, writer, f => StaticImageOf(f).PngBase64));
        yield return new MimeFormatter("image/svg+xml", (figure, writer) => Write(figure, writer, f => StaticImageOf(f).PngBase64 is null ? FigureSvg.Render(f) : null));
    }

    private static bool Write(object instance, TextWriter writer, Func<Figure, string?> render)
    {
        if (instance is not Figure figure || render(figure) is not { } text) return false;
        writer.Write(text);
        return true;
    }

    /// <summary>The static image as HTML: an <c>img</c> with the PNG inline, or the SVG itself.</summary>
    private static string StaticImageHtml(Figure figure) =>
        StaticImageOf(figure).PngBase64 is { } png
            ? string.Create(CultureInfo.InvariantCulture, $"<img src=\"data:image/png;base64,{png}\" width=\"{figure.Width}\" height=\"{figure.Height}\" alt=\"{WebUtility.HtmlEncode(figure.Title)}\">")
            : FigureSvg.Render(figure);

    /// <summary>The PNG (base64) of the figure as it is now, or null when PNG rendering is off or failed; computed once per figure state.</summary>
    private static StaticImage StaticImageOf(Figure figure)
    {
        var json = figure.ToJson();
        lock (StaticImages)
        {
            if (StaticImages.TryGetValue(figure, out var cached) && cached.FigureJson == json) return cached;
            var image = new StaticImage(json, TryRenderPngBase64(figure));
            StaticImages.AddOrUpdate(figure, image);
            return image;
        }
    }

    private static string? TryRenderPngBase64(Figure figure)
    {
        if (string.Equals(Environment.GetEnvironmentVariable("GPO_FIGURE_PNG"), "off", StringComparison.OrdinalIgnoreCase)) return null;
        if (Chromium.Find() is not { } chromium) return null;
        try
        {
            return Convert.ToBase64String(FigureExport.RenderPng(figure, chromium));
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private sealed record StaticImage(string FigureJson, string? PngBase64);
}
