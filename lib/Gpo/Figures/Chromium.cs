using System.Globalization;
using Gpo.IO;

namespace Gpo.Figures;

/// <summary>
/// Headless Chromium (Debian's <c>chromium</c> package) as a screenshot tool: it loads an HTML figure
/// and writes what it shows as a PNG of exactly the window size.
/// </summary>
public static class Chromium
{
    /// <summary>How long one screenshot may take before Chromium is killed.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// The Chromium executable: <c>$GPO_CHROMIUM</c> when set (an empty value or <c>none</c> means "no
    /// Chromium"), else <c>/usr/bin/chromium</c>, else <c>chromium</c>, <c>chromium-browser</c> or
    /// <c>google-chrome</c> on PATH; null when there is none.
    /// </summary>
    public static string? Find()
    {
        var configured = Environment.GetEnvironmentVariable("GPO_CHROMIUM");
        if (configured is not null)
            return configured.Length == 0 || configured.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : configured;
        if (File.Exists("/usr/bin/chromium")) return "/usr/bin/chromium";
        return ExternalProcess.FindOnPath("chromium") ?? ExternalProcess.FindOnPath("chromium-browser") ?? ExternalProcess.FindOnPath("google-chrome");
    }

    /// <summary>
    /// Renders <paramref name="htmlPath"/> (which must not need the network) to a
    /// <paramref name="width"/>×<paramref name="height"/> PNG at <paramref name="pngPath"/>, with a fresh
    /// profile folder that is deleted afterwards. Throws <see cref="InvalidOperationException"/> with
    /// Chromium's own error output when no PNG comes out.
    /// </summary>
    public static void Screenshot(string chromiumPath, string htmlPath, string pngPath, int width, int height, TimeSpan? timeout = null)
    {
        var profile = Directory.CreateTempSubdirectory("gpo-chromium-").FullName;
        var output = Path.GetFullPath(pngPath);
        try
        {
            string[] arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", $"--user-data-dir={profile}", $"--screenshot={output}",
                string.Create(CultureInfo.InvariantCulture, $"--window-size={width},{height}"), Path.GetFullPath(htmlPath),
            ];
            File.Delete(output);
            var result = ExternalProcess.Run(chromiumPath, arguments, timeout ?? DefaultTimeout, profile);
            if (!File.Exists(output) || new FileInfo(output).Length == 0)
                throw new InvalidOperationException(
                    $"Chromium wrote no screenshot of {htmlPath} (exit {result.ExitCode}{(result.TimedOut ? ", timed out" : "")}): {LastLines(result.StandardError, 5)}");
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); }
            catch (IOException) { }
        }
    }

    private static string LastLines(string text, int count) =>
        string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(count));
}
