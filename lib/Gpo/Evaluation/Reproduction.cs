using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gpo.Data;
using Gpo.Evaluation.Baselines;
using Gpo.IO;
using Gpo.Model;
using Gpo.Training;

namespace Gpo.Evaluation;

/// <summary>The reproduction protocol's settings (spec gpo.md §4–6); saved in the results' manifest.</summary>
public sealed record ReproductionOptions
{
    /// <summary>Meta-train fractions of the groups (paper: 0.4, 0.6, 0.8).</summary>
    public IReadOnlyList<double> Fractions { get; init; } = GroupSplit.PaperFractions;

    /// <summary>Seeds; each gives its own group split, initialisation, step draws and context draw.</summary>
    public IReadOnlyList<int> Seeds { get; init; } = [0, 1, 2];

    /// <summary>Context questions k of the main comparison (paper: 20).</summary>
    public int ContextQuestions { get; init; } = 20;

    /// <summary>Context sizes of the k-sweep; sizes the data cannot hold (no query left) are dropped.</summary>
    public IReadOnlyList<int> SweepContextQuestions { get; init; } = [0, 1, 3, 5, 10, 20, 50, 100, 150, 200];

    /// <summary>The meta-train fraction whose models the k-sweep reuses.</summary>
    public double SweepFraction { get; init; } = 0.6;

    /// <summary>Meta-training settings (the seed is replaced by each run's seed).</summary>
    public TrainingOptions Training { get; init; } = new();

    /// <summary>Architecture sizes; DimX is taken from the data.</summary>
    public GpoConfig Model { get; init; } = new(DimX: 1);
}

/// <summary>One message of a reproduction's progress.</summary>
public sealed record ReproductionProgress(string Stage, string Message, TrainingProgress? Training = null);

/// <summary>What a reproduction wrote.</summary>
public sealed record ReproductionResult(string OutputFolder, IReadOnlyList<SummaryRow> Summary, IReadOnlyList<TrainingResult> Runs);

/// <summary>
/// Runs the paper's comparison on one dataset: for every meta-train fraction × seed, meta-trains GPO
/// (validation groups select the checkpoint), then predicts every held-out group's query questions from
/// k context questions with GPO and every baseline on the same draws; then a k-sweep with the models of
/// one fraction. Writes <c>predictions.csv.gz</c> (every prediction), <c>summary.csv</c> and a mean ± std
/// table recomputed from it, the runs' configs and training curves, and a manifest.
/// </summary>
/// <param name="device">Where the meta-training steps run (null: the CPU engine); evaluation runs on the host.</param>
public sealed class Reproduction(PreferenceDataset dataset, ReproductionOptions options, IGpoDevice? device = null)
{
    /// <summary>The main table's label of a fraction, e.g. <c>0.6</c>.</summary>
    public static string SplitLabel(double fraction) => fraction.ToString("0.0##", CultureInfo.InvariantCulture);

    /// <summary>The k-sweep's label, e.g. <c>0.6-k5</c>.</summary>
    public static string SweepLabel(double fraction, int k) => $"{SplitLabel(fraction)}-k{k.ToString(CultureInfo.InvariantCulture)}";

    /// <param name="outputFolder">Where results go (e.g. <c>results/opinionqa-500</c>).</param>
    /// <param name="workFolder">Where full run folders with checkpoints go (not committed); reruns resume from them.</param>
    /// <param name="progress">Progress messages.</param>
    /// <param name="describe">Extra manifest entries (e.g. the encoder and template that made the features).</param>
    public ReproductionResult Run(string outputFolder, string workFolder, Action<ReproductionProgress>? progress = null,
        JsonObject? describe = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(outputFolder);
        ArgumentNullException.ThrowIfNull(workFolder);
        var features = dataset.Features ?? throw new InvalidOperationException($"Dataset '{dataset.Name}' has no features: embed it first.");
        var config = options.Model with { DimX = features.Dimension };
        var rows = new List<PredictionRow>();
        var runs = new List<TrainingResult>();
        var started = DateTime.UtcNow;

        foreach (var fraction in options.Fractions)
        {
            foreach (var seed in options.Seeds)
            {
                var label = $"{SplitLabel(fraction)}-seed{seed.ToString(CultureInfo.InvariantCulture)}";
                var split = GroupSplit.ByFraction(dataset.Groups, fraction, seed);
                progress?.Invoke(new ReproductionProgress("train", $"{dataset.Name} {label}: meta-train {split.MetaTrain.Count}, validation {split.Validation.Count}, meta-test {split.MetaTest.Count} groups"));
                var trainer = new MetaTrainer(dataset, split, config, options.Training with { Seed = seed }, device);
                var run = new RunFolder(Path.Combine(workFolder, dataset.Name, label));
                var result = trainer.Train(run, p => progress?.Invoke(new ReproductionProgress("train", label, p)), cancellation, describe);
                runs.Add(result);
                CopyRunRecord(run, Path.Combine(outputFolder, "runs", label));

                var gpo = new GpoPredictor(GpoCheckpoint.Load<float>(run.BestCheckpoint));
                var prior = PopulationPriorPredictor.FromGroups(split.MetaTrain.Concat(split.Validation)
                    .Select(g => dataset.AnswersOf(g).Select(a => (a.Question.Id, a.Distribution.ToArray()))));
                IPreferencePredictor[] methods = [gpo, new UniformPredictor(), prior, new KernelRegressionPredictor(), new RidgeProbePredictor()];

                progress?.Invoke(new ReproductionProgress("evaluate", $"{dataset.Name} {label}: k = {options.ContextQuestions}"));
                rows.AddRange(Evaluate(methods, split.MetaTest, options.ContextQuestions, seed, SplitLabel(fraction)));

                if (fraction == options.SweepFraction)
                {
                    foreach (var k in FeasibleSweep(split.MetaTest))
                    {
                        progress?.Invoke(new ReproductionProgress("sweep", $"{dataset.Name} {label}: k = {k}"));
                        // With no context, only methods that ignore it are defined.
                        var sweepMethods = k == 0 ? methods.Where(m => m is UniformPredictor or PopulationPriorPredictor).ToArray() : methods;
                        rows.AddRange(Evaluate(sweepMethods, split.MetaTest, k, seed, SweepLabel(fraction, k)));
                    }
                }
            }
        }

        Directory.CreateDirectory(outputFolder);
        PredictionTable.Write(Path.Combine(outputFolder, PredictionTable.FileName), rows);
        WriteManifest(Path.Combine(outputFolder, "manifest.json"), config, runs, started, describe);
        progress?.Invoke(new ReproductionProgress("report", $"{dataset.Name}: summaries and figures"));
        // Every number and figure is recomputed from the files just written, not from memory.
        var report = ResultsReport.Regenerate(outputFolder);
        foreach (var note in report.Notes) progress?.Invoke(new ReproductionProgress("report", note));
        return new ReproductionResult(outputFolder, report.Summary, runs);
    }

    /// <summary>Predicts every held-out group's queries with every method on the same context draw.</summary>
    public IEnumerable<PredictionRow> Evaluate(IReadOnlyList<IPreferencePredictor> methods, IReadOnlyList<string> groups, int k, int seed, string splitLabel)
    {
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(groups);
        var draws = k == 0
            ? groups.Select(g => new ContextQuerySplit(g, [], dataset.QuestionIdsOf(g))).ToList()
            : ContextDraw.For(dataset, groups, k, seed);
        var episodes = draws.Select(d => EpisodeFactory.Episode(dataset, d)).ToList();
        foreach (var method in methods)
        {
            foreach (var episode in episodes)
            {
                var predicted = method.Predict(episode);
                for (var i = 0; i < predicted.Length; i++)
                {
                    var query = episode.Queries[i];
                    var question = dataset.GetQuestion(query.QuestionId);
                    foreach (var row in PredictionTable.Rows(method.Name, splitLabel, seed, episode.Group, query.QuestionId, predicted[i], query.Distribution!, question.Ordinals))
                        yield return row;
                }
            }
        }
    }

    /// <summary>The sweep's context sizes that leave every held-out group at least one query question.</summary>
    public IReadOnlyList<int> FeasibleSweep(IReadOnlyList<string> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var available = ContextDraw.SharesQuestions(dataset, groups)
            ? ContextDraw.CommonQuestions(dataset, groups).Count
            : groups.Min(g => dataset.QuestionIdsOf(g).Count);
        return options.SweepContextQuestions.Where(k => k < available).ToList();
    }

    private static void CopyRunRecord(RunFolder run, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in new[] { run.ConfigFile, run.MetricsFile, run.StateFile })
            if (File.Exists(file)) AtomicFile.WriteAllBytes(Path.Combine(destination, Path.GetFileName(file)), File.ReadAllBytes(file));
    }

    private void WriteManifest(string path, GpoConfig config, IReadOnlyList<TrainingResult> runs, DateTime started, JsonObject? describe)
    {
        var manifest = new JsonObject
        {
            ["format"] = "gpo-results/1",
            ["dataset"] = new JsonObject
            {
                ["name"] = dataset.Name,
                ["format"] = dataset.Provenance.Format,
                ["version"] = dataset.Provenance.Version,
                ["source_files"] = new JsonArray([.. dataset.Provenance.SourceFiles.Select(f => (JsonNode)f)]),
                ["groups"] = dataset.Groups.Count,
                ["questions"] = dataset.Questions.Count,
                ["dense"] = dataset.IsDense,
                ["groups_share_questions"] = ContextDraw.SharesQuestions(dataset, dataset.Groups),
            },
            ["protocol"] = JsonSerializer.SerializeToNode(options with { Model = config }),
            ["selection_metric"] = MetaTrainer.SelectionMetricFor(dataset).Name,
            ["context_questions"] = options.ContextQuestions,
            ["sweep_split"] = SplitLabel(options.SweepFraction),
            ["runs"] = new JsonArray([.. runs.Select(r => (JsonNode)new JsonObject
            {
                ["run"] = Path.GetFileName(r.Run.Path),
                ["best_step"] = r.BestStep,
                ["best_validation_score"] = double.IsFinite(r.BestScore) ? r.BestScore : null,
                ["training_seconds"] = Math.Round(r.Seconds, 1),
            })]),
            ["started_utc"] = started.ToString("O", CultureInfo.InvariantCulture),
            ["finished_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["machine"] = $"{Environment.ProcessorCount} cores, {GpoInfo.SimdDescription}, .NET {Environment.Version}",
        };
        if (describe is not null)
            foreach (var (key, value) in describe) manifest[key] = value?.DeepClone();
        AtomicFile.WriteAllText(path, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
