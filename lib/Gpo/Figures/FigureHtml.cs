using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Gpo.Figures;

/// <summary>
/// The HTML forms of a <see cref="Figure"/>: a fragment for notebooks and a standalone page for <c>results/</c>.
/// Both draw with <c>Plotly.newPlot</c> and never load anything from the network.
/// </summary>
public static class FigureHtml
{
    /// <summary>
    /// A notebook fragment: a div that first shows <paramref name="staticImageHtml"/> (an <c>img</c> or inline
    /// <c>svg</c> of the chart; a one-line note when null), and a script that replaces it with the interactive
    /// chart when plotly.js is on the page (<c>window.Plotly</c>) or reachable through a require.js path named
    /// <c>plotly</c>. No CDN is ever loaded. So every front-end shows the chart: VS Code draws the
    /// <c>application/vnd.plotly.v1+json</c> output of the same bundle offline; viewers that pick HTML but
    /// strip scripts (GitHub) or have no plotly.js show the static image.
    /// </summary>
    public static string NotebookFragment(Figure figure, string? staticImageHtml = null)
    {
        ArgumentNullException.ThrowIfNull(figure);
        var json = ScriptSafeJson(figure);
        var id = "gpo-figure-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..12];
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<div id=\"{id}\" style=\"width:{figure.Width}px;height:{figure.Height}px;\">");
        html.Append(staticImageHtml ?? $"<em>{WebUtility.HtmlEncode(figure.Title)}: this view needs plotly.js; the interactive (plotly) or image output of this cell shows the chart.</em>");
        html.Append("</div>\n<script type=\"text/javascript\">\n(function () {\n");
        html.Append(CultureInfo.InvariantCulture, $"  var figure = {json};\n");
        html.Append(CultureInfo.InvariantCulture, $"  var draw = function (plotly) {{ var div = document.getElementById('{id}'); div.innerHTML = ''; plotly.newPlot(div, figure.data, figure.layout, figure.config); }};\n");
        html.Append("  if (window.Plotly) { draw(window.Plotly); }\n");
        html.Append("  else if (typeof require === 'function' && require.s && require.s.contexts._.config.paths.plotly) { require(['plotly'], draw); }\n");
        html.Append("})();\n</script>");
        return html.ToString();
    }

    /// <summary>
    /// A standalone page. With <paramref name="inlineScript"/> null it references <c>plotly.min.js</c> next to
    /// it (and says in a comment and a noscript how to get that file); otherwise the given script text is
    /// embedded, so the page renders from a temporary folder with no network (what PNG export needs).
    /// </summary>
    public static string StandaloneDocument(Figure figure, string? inlineScript = null)
    {
        ArgumentNullException.ThrowIfNull(figure);
        var title = WebUtility.HtmlEncode(figure.Title);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append(CultureInfo.InvariantCulture, $"<title>{title}</title>\n");
        html.Append("<style>html, body { margin: 0; padding: 0; background: #ffffff; }</style>\n");
        if (inlineScript is null)
        {
            html.Append(CultureInfo.InvariantCulture, $"<!-- {PlotlyScript.HowToGet.Replace("--", "-", StringComparison.Ordinal)} -->\n");
            html.Append(CultureInfo.InvariantCulture, $"<script src=\"{PlotlyScript.FileName}\"></script>\n");
        }
        else
        {
            if (inlineScript.Contains("</script", StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException("The script to inline contains '</script' and would end the script element early.", nameof(inlineScript));
            html.Append("<script>").Append(inlineScript).Append("</script>\n");
        }
        html.Append("</head>\n<body>\n");
        html.Append(CultureInfo.InvariantCulture, $"<div id=\"figure\" style=\"width:{figure.Width}px;height:{figure.Height}px;\"></div>\n");
        html.Append(CultureInfo.InvariantCulture, $"<noscript>{WebUtility.HtmlEncode(PlotlyScript.HowToGet)}</noscript>\n");
        html.Append("<script>\n(function () {\n");
        html.Append(CultureInfo.InvariantCulture, $"  var figure = {ScriptSafeJson(figure)};\n");
        html.Append("  var div = document.getElementById('figure');\n");
        html.Append(CultureInfo.InvariantCulture, $"  if (!window.Plotly) {{ div.textContent = {EncodeJsString(PlotlyScript.HowToGet)}; return; }}\n");
        // The inlined page is only ever screenshotted: a static plot has no mode bar to show in the image.
        html.Append(inlineScript is null
            ? "  Plotly.newPlot(div, figure.data, figure.layout, figure.config);\n"
            : "  Plotly.newPlot(div, figure.data, figure.layout, Object.assign({}, figure.config, { staticPlot: true }));\n");
        html.Append("})();\n</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>The figure JSON with <c>&lt;/</c> written <c>&lt;\/</c>, so no string in it can close the script element.</summary>
    private static string ScriptSafeJson(Figure figure) => figure.ToJson().Replace("</", "<\\/", StringComparison.Ordinal);

    private static string EncodeJsString(string text) =>
        System.Text.Json.JsonSerializer.Serialize(text).Replace("</", "<\\/", StringComparison.Ordinal);
}
