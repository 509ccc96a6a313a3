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
        var results = new Argument<string[]>("results") { Description = "Results folders written by `gpo reproduce` (e.g. results/opinionqa-500).", Arity = ArgumentArity.OneOrMore };
        var noPng = new Option<bool>("--no-png") { Description = "Write HTML figures only." };
        var regenerate = new Command("regenerate", "Recompute summary.csv, the summary tables and every figure of results folders from their predictions.csv and run records.");
        regenerate.Arguments.Add(results);
        regenerate.Options.Add(noPng);
        regenerate.SetAction(parseResult => Terminal.Guard("figures regenerate", () =>
        {
            foreach (var folder in parseResult.GetValue(results)!)
            {
                var outcome = Gpo.Evaluation.ResultsReport.Regenerate(folder, parseResult.GetValue(noPng) ? "" : null);
                Console.WriteLine($"{folder}: {outcome.Summary.Count} summary rows, {outcome.Figures.Count} figures");
                foreach (var note in outcome.Notes) Console.Error.WriteLine($"gpo figures regenerate: {note}");
            }
            return 0;
        }));
        var command = new Command("figures", "Figure tooling: regenerate results' tables and figures; the pinned plotly.js for standalone HTML figures.");
        command.Subcommands.Add(plotly);
        command.Subcommands.Add(regenerate);
        return command;
    }
}
