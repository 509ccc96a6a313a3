using System.Diagnostics;
using Gpo.Figures;

namespace Gpo.Tests;

/// <summary>
/// The plotly JSON the figures carry (in notebooks and next to results) is standard plotly: plotly's own Python
/// validators (Debian's python3-plotly, through tools/plotly_validate.py) accept every attribute. Skipped, saying
/// so, where python3-plotly is not installed.
/// </summary>
public sealed class NotebookFigureJsonTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpo-plotly-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static string RepositoryRoot()
    {
        var folder = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(folder, "Gpo.slnx")))
            folder = Path.GetDirectoryName(folder.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new DirectoryNotFoundException("No Gpo.slnx above the test folder.");
        return folder;
    }

    private static (int ExitCode, string Output) Validate(params string[] files)
    {
        var python = PythonWithPlotly.Value;
        Skip.If(python is null, "python3 with Debian's python3-plotly is not installed: plotly's validators cannot run here.");
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot(), "tools", "plotly_validate.py"));
        foreach (var file in files) start.ArgumentList.Add(file);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }

    /// <summary>The first of python3 on the PATH and Debian's /usr/bin/python3 that imports plotly, or null.</summary>
    private static readonly Lazy<string?> PythonWithPlotly = new(() => new[] { "python3", "/usr/bin/python3" }.FirstOrDefault(HasPlotly));

    private static bool HasPlotly(string python)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(python, ["-c", "import plotly.graph_objects"]) { RedirectStandardError = true })!;
            process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    [SkippableFact]
    public void Every_kind_of_figure_the_library_draws_is_accepted_by_plotlys_validators()
    {
        var scatter = new Figure("Alignment vs k", 640, 400) { XAxisTitle = "k", YAxisTitle = "alignment", YRange = (0.7, 0.9) }
            .AddScatter("gpo", [1, 5, 10], [0.8, 0.82, 0.85], [0.01, 0.02, 0.01])
            .AddScatter("prior", [1, 5, 10], [0.7, 0.75, 0.76]);
        var categories = new Figure("Per fraction", 640, 400).AddScatter("gpo", ["40%", "60%"], [0.7, 0.75], [0.01, 0.01]);
        var bars = new Figure("Per group", 640, 400) { XAxisTitle = "group", YAxisTitle = "alignment" }
            .AddBar("gpo", ["Male", "Female"], [0.9, 0.91], [0.01, 0.02])
            .AddBar("uniform", ["Male", "Female"], [0.8, 0.81], color: "#123456");
        File.WriteAllText(Path.Combine(_folder, "scatter.json"), scatter.ToJson());
        File.WriteAllText(Path.Combine(_folder, "bars.json"), bars.ToJson());
        File.WriteAllText(Path.Combine(_folder, "categories.json"), categories.ToJson());

        var (exitCode, output) = Validate(Path.Combine(_folder, "scatter.json"), Path.Combine(_folder, "bars.json"), Path.Combine(_folder, "categories.json"));

        Assert.True(exitCode == 0, output);
        Assert.Contains("3 figures checked, 0 invalid", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_validator_refuses_an_attribute_plotly_does_not_know()
    {
        var json = new Figure("t", 300, 300).AddBar("a", ["x"], [1]).ToJson().Replace("\"marker\"", "\"markerz\"", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(_folder, "bad.json"), json);

        var (exitCode, output) = Validate(Path.Combine(_folder, "bad.json"));

        Assert.Equal(1, exitCode);
        Assert.Contains("markerz", output, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void The_figures_in_the_committed_notebooks_are_standard_plotly()
    {
        var notebooks = Directory.GetFiles(Path.Combine(RepositoryRoot(), "notebooks"), "*.ipynb").Order(StringComparer.Ordinal).ToArray();

        var (exitCode, output) = Validate(notebooks);

        Assert.True(exitCode == 0, output);
        Assert.Matches(@"[1-9]\d* figures checked, 0 invalid", output);
    }
}
