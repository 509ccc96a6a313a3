using System.CommandLine;
using Gpo.Notebooks;

namespace Gpo.Cli;

/// <summary><c>gpo notebook run</c>: executes C# notebooks headlessly and writes their outputs back (see <see cref="NotebookRunner"/>).</summary>
internal sealed class NotebookCommand : ICliCommand
{
    public Command Build()
    {
        var files = new Argument<string[]>("files") { Description = "The .ipynb files to run, in order.", Arity = ArgumentArity.OneOrMore };
        var parameters = new Option<string[]>("--parameter", "-p")
        {
            Description = "name=value for a variable of the cell tagged 'parameters' (repeatable), e.g. -p quick=true.",
        };
        var output = new Option<string?>("--output", "-o") { Description = "Write executed notebooks to this folder instead of in place." };
        var timeout = new Option<double?>("--cell-timeout")
        {
            Description = "Stop a cell that runs longer than this many seconds (the run then fails); default: no limit.",
        };
        var run = new Command("run", "Run C# notebooks on the .NET Interactive C# kernel and write their outputs into them.");
        run.Arguments.Add(files);
        run.Options.Add(parameters);
        run.Options.Add(output);
        run.Options.Add(timeout);
        run.SetAction(async (parseResult, cancellationToken) =>
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in parseResult.GetValue(parameters) ?? [])
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    Console.Error.WriteLine($"gpo notebook run: -p expects name=value, got '{pair}'.");
                    return 2;
                }
                values[pair[..equals].Trim()] = pair[(equals + 1)..];
            }
            var timeoutSeconds = parseResult.GetValue(timeout);
            if (timeoutSeconds is { } limit && !(limit > 0 && limit <= 2e6))
            {
                Console.Error.WriteLine($"gpo notebook run: --cell-timeout must be a number of seconds above 0 and at most 2000000, got {limit.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
                return 2;
            }
            var options = new NotebookRunOptions
            {
                Parameters = values,
                OutputFolder = parseResult.GetValue(output),
                Log = Console.Out,
                CellTimeout = timeoutSeconds is { } s ? TimeSpan.FromSeconds(s) : null,
            };
            var failed = 0;
            foreach (var file in parseResult.GetValue(files) ?? [])
            {
                try
                {
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    var result = await NotebookRunner.RunAsync(file, options, cancellationToken).ConfigureAwait(false);
                    var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
                    if (result.Succeeded)
                    {
                        Console.Out.WriteLine($"{file}: {result.ExecutedCells} code cells ran in {seconds:F1} s; wrote {result.OutputPath}");
                    }
                    else
                    {
                        failed++;
                        Console.Error.WriteLine(result.Failure);
                        Console.Error.WriteLine($"{file}: stopped after {result.ExecutedCells} code cells; wrote {result.OutputPath} with the error.");
                        if (result.Interrupted) return 130;
                    }
                    foreach (var warning in result.Warnings) Console.Error.WriteLine(warning);
                }
                catch (NotebookException e)
                {
                    failed++;
                    Console.Error.WriteLine(e.Message);
                }
            }
            return failed == 0 ? 0 : 1;
        });
        var command = new Command("notebook", "C# notebooks (Polyglot format): run them headlessly on the .NET Interactive C# kernel.");
        command.Subcommands.Add(run);
        return command;
    }
}
