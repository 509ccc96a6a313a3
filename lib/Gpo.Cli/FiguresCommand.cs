using System.CommandLine;
using Gpo.Figures;

namespace Gpo.Cli;

/// <summary><c>gpo figures plotly</c>: fetches the pinned plotly.js into the cache and copies it where standalone figures need it.</summary>
internal sealed class FiguresCommand : ICliCommand
{
    public Command Build()
    {
        var to = new Option<string?>("--to") { Description = "Also copy plotly.min.js into this folder (next to figure HTML files)." };
        var plotly = new Command("plotly", $"Fetch {PlotlyScript.PackageName}@{PlotlyScript.Version} with npm pack, check its SHA-256, and cache it.");
        plotly.Options.Add(to);
        plotly.SetAction(parseResult =>
        {
            try
            {
                Console.WriteLine($"cached: {PlotlyScript.EnsureCached()}");
                if (parseResult.GetValue(to) is { } folder) Console.WriteLine($"copied: {PlotlyScript.CopyTo(folder)}");
                return 0;
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine($"gpo figures plotly: {e.Message}");
                return 1;
            }
        });
        var command = new Command("figures", "Figure tooling: the pinned plotly.js for standalone HTML figures.");
        command.Subcommands.Add(plotly);
        return command;
    }
}
