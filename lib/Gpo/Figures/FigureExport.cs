using System.Buffers.Binary;
using Gpo.IO;

namespace Gpo.Figures;

/// <summary>What <see cref="FigureExport.Write"/> produced: the HTML, the PNG (null when skipped) and why not.</summary>
public sealed record FigureExportResult(string HtmlPath, string? PngPath, string? Note);

/// <summary>
/// Standalone figures for <c>results/</c>: <c>name.html</c> next to the pinned <c>plotly.min.js</c>, and
/// <c>name.png</c> drawn by headless Chromium from a temporary copy of the page with the script inlined
/// (so the screenshot needs no network). Without Chromium only the HTML is written and the result's
/// <see cref="FigureExportResult.Note"/> says that PNG export was skipped.
/// </summary>
public static class FigureExport
{
    /// <summary>The note returned when no Chromium is available.</summary>
    public const string NoChromiumNote =
        "PNG export skipped: no Chromium found (install Debian's `chromium` package, or point GPO_CHROMIUM at a Chromium executable); wrote the HTML only.";

    /// <summary>
    /// Writes <paramref name="htmlPath"/>, copies <c>plotly.min.js</c> next to it and, when
    /// <paramref name="chromiumPath"/> is given, writes the PNG beside it (same name, <c>.png</c>).
    /// Pass <see cref="Chromium.Find"/> for the machine's Chromium. Writes are atomic.
    /// </summary>
    public static FigureExportResult Write(Figure figure, string htmlPath, string? chromiumPath, string? cacheFolder = null)
    {
        ArgumentNullException.ThrowIfNull(figure);
        var fullHtmlPath = Path.GetFullPath(htmlPath);
        AtomicFile.WriteAllText(fullHtmlPath, FigureHtml.StandaloneDocument(figure));
        if (!PlotlyScript.TryEnsureCached(out _, out var problem, cacheFolder))
            return new FigureExportResult(fullHtmlPath, null, $"PNG export skipped: plotly.min.js is not available (the HTML draws once it lies next to it): {problem}");
        PlotlyScript.CopyTo(Path.GetDirectoryName(fullHtmlPath)!, cacheFolder);
        if (chromiumPath is null) return new FigureExportResult(fullHtmlPath, null, NoChromiumNote);
        var pngPath = Path.ChangeExtension(fullHtmlPath, ".png");
        AtomicFile.WriteAllBytes(pngPath, RenderPng(figure, chromiumPath, cacheFolder));
        return new FigureExportResult(fullHtmlPath, pngPath, null);
    }

    /// <summary>
    /// The figure as PNG bytes of exactly <see cref="Figure.Width"/>×<see cref="Figure.Height"/> pixels,
    /// drawn by the Chromium at <paramref name="chromiumPath"/>. Throws <see cref="InvalidOperationException"/>
    /// when plotly.js cannot be had or Chromium produces no image of that size.
    /// </summary>
    public static byte[] RenderPng(Figure figure, string chromiumPath, string? cacheFolder = null)
    {
        ArgumentNullException.ThrowIfNull(figure);
        var script = File.ReadAllText(PlotlyScript.EnsureCached(cacheFolder));
        var folder = Directory.CreateTempSubdirectory("gpo-figure-").FullName;
        try
        {
            var html = Path.Combine(folder, "figure.html");
            var png = Path.Combine(folder, "figure.png");
            File.WriteAllText(html, FigureHtml.StandaloneDocument(figure, inlineScript: script));
            Chromium.Screenshot(chromiumPath, html, png, figure.Width, figure.Height);
            var bytes = File.ReadAllBytes(png);
            var (width, height) = ReadPngSize(bytes);
            if (width != figure.Width || height != figure.Height)
                throw new InvalidOperationException($"Chromium drew {width}x{height} pixels for a {figure.Width}x{figure.Height} figure.");
            return bytes;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Width and height from a PNG's IHDR chunk; throws <see cref="InvalidDataException"/> when the bytes are not a PNG.</summary>
    public static (int Width, int Height) ReadPngSize(ReadOnlySpan<byte> png)
    {
        ReadOnlySpan<byte> signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
        if (png.Length < 24 || !png[..8].SequenceEqual(signature) || !png.Slice(12, 4).SequenceEqual("IHDR"u8))
            throw new InvalidDataException("Not a PNG file (bad signature or no IHDR chunk first).");
        return (BinaryPrimitives.ReadInt32BigEndian(png.Slice(16, 4)), BinaryPrimitives.ReadInt32BigEndian(png.Slice(20, 4)));
    }
}
