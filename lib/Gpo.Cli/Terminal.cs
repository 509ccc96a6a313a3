using System.Globalization;
using System.Text.Json.Nodes;
using Gpo.Data;
using Gpo.Embeddings;
using Gpo.Training;
using Spectre.Console;

namespace Gpo.Cli;

/// <summary>Console plumbing shared by the commands: human output on stderr, errors as one line and exit code 1.</summary>
internal static class Terminal
{
    /// <summary>A Spectre console on standard error, so standard output stays clean for JSON.</summary>
    public static IAnsiConsole Error => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    /// <summary>Runs a command body; expected failures (bad input, missing files) become "gpo NAME: message" and exit code 1.</summary>
    public static int Guard(string name, Func<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            return body();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"gpo {name}: interrupted; rerun the same command to resume.");
            return 130;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidDataException or IOException or DataFormatException
                                      or InvalidOperationException or KeyNotFoundException or UnauthorizedAccessException or ModelFetchException
                                      or EmbeddingServerException or HttpRequestException or Gpo.Llm.LlmServerException or Gpo.Llm.LlmResponseException)
        {
            Console.Error.WriteLine($"gpo {name}: {e.Message}");
            return 1;
        }
    }

    /// <summary>Trains with a progress bar showing step, loss, validation score, steps/s and time left.</summary>
    public static TrainingResult TrainWithProgress(IAnsiConsole console, MetaTrainer trainer, RunFolder run, string label, JsonObject? describe, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(trainer);
        TrainingResult? result = null;
        console.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(label), maxValue: 1);
                result = trainer.Train(run, p =>
                {
                    task.MaxValue = p.TotalSteps;
                    task.Value = p.Step;
                    task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                        $"{label} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} val {(p.ValidationScore is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "–")} best {p.BestScore:F4}@{p.BestStep} {p.StepsPerSecond:F1} steps/s"));
                }, cancellation, describe);
                task.Value = task.MaxValue;
            });
        return result!;
    }
}
