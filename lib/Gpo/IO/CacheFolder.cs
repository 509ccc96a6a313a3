namespace Gpo.IO;

/// <summary>Where gpo keeps what it can recompute or re-fetch: embeddings, fetched models, plotly.js.</summary>
public static class CacheFolder
{
    /// <summary>The cache root: env <c>GPO_CACHE</c>, else <c>$XDG_CACHE_HOME/gpo</c>, else <c>~/.cache/gpo</c>.</summary>
    public static string Root()
    {
        var explicitRoot = Environment.GetEnvironmentVariable("GPO_CACHE");
        if (!string.IsNullOrEmpty(explicitRoot)) return explicitRoot;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg)) return Path.Combine(xdg, "gpo");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "gpo");
    }
}
