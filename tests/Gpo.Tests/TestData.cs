namespace Gpo.Tests;

/// <summary>Paths of committed fixtures and of the optional real data (env GPO_DATA).</summary>
internal static class TestData
{
    /// <summary>A file under tests/Gpo.Tests/Fixtures.</summary>
    public static string Fixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);

    /// <summary>A file under data/fixtures (format fixtures shipped for users).</summary>
    public static string DataFixture(params string[] parts) => Path.Combine([AppContext.BaseDirectory, "DataFixtures", .. parts]);

    /// <summary>The real data root, or null when GPO_DATA is unset or missing.</summary>
    public static string? RealDataRoot
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("GPO_DATA");
            return !string.IsNullOrEmpty(root) && Directory.Exists(Path.Combine(root, "opinionqa")) ? root : null;
        }
    }

    public const string NoRealData = "real data not available: set GPO_DATA to a folder with opinionqa/ and globalopinionqa/";
}
