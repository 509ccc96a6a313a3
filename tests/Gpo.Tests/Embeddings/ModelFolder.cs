namespace Gpo.Tests.Embeddings;

/// <summary>The built-in encoder's folder for tests that need real weights: env <c>GPO_MODEL</c> (test.sh sets it).</summary>
internal static class ModelFolder
{
    /// <summary>The folder, or null when <c>GPO_MODEL</c> is unset or lacks <c>tokenizer.json</c>.</summary>
    public static string? Path
    {
        get
        {
            var folder = Environment.GetEnvironmentVariable("GPO_MODEL");
            return !string.IsNullOrEmpty(folder) && File.Exists(System.IO.Path.Combine(folder, "tokenizer.json")) ? folder : null;
        }
    }

    /// <summary>Skips the calling test, with the reason, when the model folder is not available.</summary>
    public static string Require()
    {
        var folder = Path;
        Skip.If(folder is null, "needs the all-MiniLM-L6-v2 folder in GPO_MODEL (test.sh sets it from ../shared)");
        return folder!;
    }
}
