using System.CommandLine;
using System.Globalization;
using Gpo.Data;
using Gpo.Embeddings;
using Gpo.Evaluation;
using Spectre.Console;

namespace Gpo.Cli;

/// <summary>
/// <c>gpo reproduce</c>: the paper's comparison end to end — for each dataset, meta-train GPO for every
/// meta-train fraction × seed, compare it with the baselines on the held-out groups at k context
/// questions, sweep k, and write predictions, summaries and figures under <c>--out/&lt;dataset&gt;/</c>.
/// Real data when a data root is given (or GPO_DATA is set); the synthetic benchmark otherwise.
/// </summary>
internal sealed class ReproduceCommand : ICliCommand
{
    public Command Build()
    {
        var command = new Command("reproduce", "Meta-train GPO and compare it with the baselines on each dataset; write results/ (predictions, summaries, figures). Rerun to resume.");
        var model = new ModelOptions();
        var device = new DeviceOption();
        var dataRoot = new Option<string?>("--data-root") { Description = "Folder with opinionqa/ and globalopinionqa/ (default: env GPO_DATA; without one, the synthetic benchmark)." };
        var datasets = new Option<string[]>("--dataset") { Description = "Dataset preset(s) (default: opinionqa-500, opinionqa-22, globalqa-14 with real data; synthetic without)." };
        var output = new Option<string>("--out") { Description = "Results folder.", DefaultValueFactory = _ => "results" };
        var work = new Option<string>("--work") { Description = "Folder for full run folders with checkpoints (not committed).", DefaultValueFactory = _ => "runs" };
        var seeds = new Option<int[]>("--seed") { Description = "Seeds (repeatable; default 0 1 2, quick: 0)." };
        var fractions = new Option<double[]>("--fraction") { Description = "Meta-train fractions (repeatable; default 0.4 0.6 0.8)." }.Fractions();
        var k = new Option<int>("--k") { Description = "Context questions of the main comparison.", DefaultValueFactory = _ => 20 }.AtLeast(0);
        var quick = new Option<bool>("--quick") { Description = "A few minutes: one seed, 200 steps, a short k-sweep." };
        var modelFolder = new Option<string?>("--model") { Description = "Encoder folder (default: env GPO_MODEL, then the `gpo models fetch` folder; fetched when missing)." };
        var template = new Option<string>("--template") { Description = "Token-text template.", DefaultValueFactory = _ => EmbeddingTemplate.Compact.Name };
        var center = new Option<bool>("--center") { Description = "Centre each question's option features." };
        var selectionGroups = new Option<int>("--selection-groups")
        {
            Description = "Nested selection: training-side groups per split, besides the validation groups, that neither train nor choose checkpoints and choose the GPO variant and gpo-gated's covered method (default 0: the validation groups choose; use a --work folder of its own).",
        }.AtLeast(0);
        var variants = new Option<string[]>("--variants") { Description = "GPO variants to meta-train: gpo, gpo-prior, gpo-groups, gpo-residual, gpo-mix (repeatable; default gpo gpo-prior gpo-residual)." };
        model.AddTo(command);
        var llm = new LlmOptions();
        llm.AddTo(command, withParallel: true);
        device.AddTo(command);
        foreach (var option in new Option[] { dataRoot, datasets, output, work, seeds, fractions, k, quick, modelFolder, template, center, variants, selectionGroups }) command.Options.Add(option);

        command.SetAction((parseResult, cancellation) => Task.FromResult(Terminal.Guard("reproduce", () =>
        {
            var console = Terminal.Error;
            var isQuick = parseResult.GetValue(quick);
            var root = DatasetLoader.ResolveDataRoot(parseResult.GetValue(dataRoot));
            var names = parseResult.GetValue(datasets) is { Length: > 0 } chosen ? chosen
                : root is null ? [DatasetLoader.Synthetic] : [DatasetLoader.OpinionQa500, DatasetLoader.OpinionQa22, DatasetLoader.GlobalQa14];
            if (root is null && names.Any(n => n != DatasetLoader.Synthetic))
                throw new ArgumentException("real datasets need a data root: --data-root, GPO_DATA, or `gpo data fetch all` once");
            if (root is null) console.MarkupLine("[yellow]no data root (--data-root / GPO_DATA, or `gpo data fetch all` once): running on the synthetic benchmark[/]");

            var computeDevice = device.Resolve(parseResult);
            var training = model.Training(parseResult, 0);
            if (isQuick && parseResult.GetResult(model.Steps) is null or { Implicit: true }) training = training with { Steps = 200, EvaluateEvery = 50 };
            var options = new ReproductionOptions
            {
                Seeds = parseResult.GetValue(seeds) is { Length: > 0 } s ? s : isQuick ? [0] : [0, 1, 2],
                Fractions = parseResult.GetValue(fractions) is { Length: > 0 } f ? f : [0.4, 0.6, 0.8],
                ContextQuestions = parseResult.GetValue(k),
                SelectionGroups = parseResult.GetValue(selectionGroups),
                SweepContextQuestions = isQuick ? [0, 1, 5, 20, 50] : new ReproductionOptions().SweepContextQuestions,
                Training = training,
                Model = model.Config(parseResult),
                Variants = parseResult.GetValue(variants) is { Length: > 0 } v ? [.. v.Select(ModelOptions.VariantInputs)] : new ReproductionOptions().Variants,
            };
            using var llmClient = llm.Client(parseResult);
            foreach (var name in names)
            {
                var dataset = DatasetLoader.Load(name, dataRoot: root);
                var (withFeatures, description) = FeatureSource.Attach(dataset, null, parseResult.GetValue(modelFolder),
                    EmbeddingTemplate.FromNameOrPattern(parseResult.GetValue(template)!), new FeaturePostprocessing(parseResult.GetValue(center)), null,
                    m => console.MarkupLineInterpolated($"[grey]{m}[/]"));
                console.MarkupLineInterpolated($"[bold]{withFeatures}[/]; d_x = {withFeatures.Features!.Dimension}");
                var llmMethods = llmClient is null ? [] : Gpo.Llm.LlmBaselines.Create(llmClient, withFeatures, root, parseResult.GetValue(llm.Parallel));
                var datasetOptions = llmClient is null ? options : options with { ExtraMethods = llmMethods, ExtraMethodsDescription = Gpo.Llm.LlmBaselines.Describe(llmClient, llmMethods) };
                var result = Run(console, new Reproduction(withFeatures, datasetOptions, computeDevice), Path.Combine(parseResult.GetValue(output)!, name),
                    parseResult.GetValue(work)!, description, cancellation);
                PrintSummary(console, result, Training.MetaTrainer.SelectionMetricFor(withFeatures).Name);
                foreach (var method in llmMethods)
                    console.MarkupLineInterpolated($"[grey]{method.Name}: {method.Diagnostics}{(method.Steering.FallbackGroups.Count > 0 ? $"; generic steering for {string.Join(", ", method.Steering.FallbackGroups)}" : "")}[/]");
            }
            return 0;
        })));
        return command;
    }

    private static ReproductionResult Run(IAnsiConsole console, Reproduction reproduction, string output, string work,
        System.Text.Json.Nodes.JsonObject description, CancellationToken cancellation)
    {
        ReproductionResult? result = null;
        if (!Terminal.InteractiveProgress)
        {
            // A log or a pipe: one plain line per update, never the same line twice.
            string? last = null;
            return reproduction.Run(output, work, p =>
            {
                var line = Terminal.Sanitize(p.Training is { } t ? Terminal.Describe(p.Message, t) : $"{p.Stage} {p.Message}");
                if (line != last) Console.Error.WriteLine(line);
                last = line;
            }, description, cancellation);
        }
        console.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                ProgressTask? task = null;
                result = reproduction.Run(output, work, p =>
                {
                    if (p.Training is { } t)
                    {
                        task ??= context.AddTask(Markup.Escape(p.Message), maxValue: t.TotalSteps);
                        task.Value = t.Step;
                        task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                            $"{p.Message} step {t.Step}/{t.TotalSteps} loss {t.Loss:F4} val {(t.ValidationScore is { } v ? v.ToString("F4", CultureInfo.InvariantCulture) : "–")} {t.StepsPerSecond:F1} steps/s"));
                        if (t.Step == t.TotalSteps) { task.StopTask(); task = null; }
                    }
                    else
                    {
                        console.MarkupLineInterpolated($"[grey]{p.Stage}[/] {p.Message}");
                    }
                }, description, cancellation);
            });
        return result!;
    }

    private static void PrintSummary(IAnsiConsole console, ReproductionResult result, string metric)
    {
        var rows = result.Summary.Where(r => r.Metric == metric && !Gpo.Figures.ResultFigures.IsSweep(r.Split)).ToList();
        var splits = rows.Select(r => r.Split).Distinct().ToList();
        var table = new Table().Title($"{metric}: mean ± std over seeds").AddColumn("method");
        foreach (var split in splits) table.AddColumn(split, c => c.RightAligned());
        foreach (var method in rows.Select(r => r.Method).Distinct())
            table.AddRow([method, .. splits.Select(s => rows.FirstOrDefault(r => r.Method == method && r.Split == s) is { } r
                ? string.Create(CultureInfo.InvariantCulture, $"{r.Mean:F3} ± {r.Std:F3}") : "–")]);
        console.Write(table);
        console.MarkupLineInterpolated($"[green]{result.OutputFolder}[/]");
    }
}
