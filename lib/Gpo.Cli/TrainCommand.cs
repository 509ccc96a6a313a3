using System.CommandLine;
using System.Globalization;
using Gpo.Data;
using Gpo.Training;
using Spectre.Console;

namespace Gpo.Cli;

/// <summary><c>gpo train</c>: meta-trains GPO on a dataset's meta-train groups into a run folder (resumable).</summary>
internal sealed class TrainCommand : ICliCommand
{
    public Command Build()
    {
        var command = new Command("train", "Meta-train GPO on a dataset's meta-train groups; validation groups select the checkpoint. Rerun to resume.");
        var features = new FeatureSource();
        var model = new ModelOptions();
        var device = new DeviceOption();
        var run = new Option<string>("--run") { Description = "Run folder (config, metrics.jsonl, checkpoints).", Required = true };
        var fraction = new Option<double>("--fraction") { Description = "Meta-train fraction of the groups (validation groups come out of it).", DefaultValueFactory = _ => 0.6 }.Fraction();
        var seed = new Option<int>("--seed") { Description = "Seed of the split, the initialisation and the step draws.", DefaultValueFactory = _ => 0 };
        var split = new Option<string?>("--split") { Description = $"A named split instead of a random one: {GroupSplit.GpoSeed0} (globalqa-14)." };
        var validation = new Option<int?>("--validation-groups") { Description = "Validation groups carved from the meta-train side (default: 1 below 10 groups, else 2)." };
        validation.Validators.Add(r => { if (r.GetValueOrDefault<int?>() is < 0 and var v) r.AddError($"--validation-groups must be at least 0, not {v}"); });
        features.AddTo(command);
        model.AddTo(command);
        device.AddTo(command);
        foreach (var option in new Option[] { run, fraction, seed, split, validation }) command.Options.Add(option);

        command.SetAction((parseResult, cancellation) =>
        {
            var console = Terminal.Error;
            return Task.FromResult(Terminal.Guard("train", () =>
            {
                var (dataset, description) = features.Load(parseResult, m => console.MarkupLineInterpolated($"[grey]{m}[/]"));
                var seedValue = parseResult.GetValue(seed);
                var groupSplit = parseResult.GetValue(split) is { } name
                    ? GroupSplit.Named(name, parseResult.GetValue(fraction), dataset.Groups, parseResult.GetValue(validation), seedValue)
                    : GroupSplit.ByFraction(dataset.Groups, parseResult.GetValue(fraction), seedValue, parseResult.GetValue(validation));
                var trainer = new MetaTrainer(dataset, groupSplit, model.Config(parseResult, dataset.Features!.Dimension), model.Training(parseResult, seedValue),
                    device.Resolve(parseResult));
                console.MarkupLineInterpolated($"{dataset.Name}: {groupSplit.MetaTrain.Count} meta-train, {groupSplit.Validation.Count} validation, {groupSplit.MetaTest.Count} meta-test groups; d_x = {dataset.Features!.Dimension}");
                var result = Terminal.TrainWithProgress(console, trainer, new RunFolder(parseResult.GetValue(run)!), "training", description, cancellation);
                console.MarkupLineInterpolated(CultureInfo.InvariantCulture,
                    $"best checkpoint: step {result.BestStep}, validation {result.SelectionMetric} {result.BestScore:F4}; {result.Seconds:F0} s of training{(result.Resumed ? " (resumed)" : "")}");
                console.MarkupLineInterpolated($"[green]{result.Run.BestCheckpoint}[/]");
                return 0;
            }));
        });
        return command;
    }
}
