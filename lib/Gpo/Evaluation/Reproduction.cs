using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
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

    /// <summary>
    /// Further methods scored on the main comparison's episodes after the built-in ones (e.g. the LLM prompting
    /// baselines of <c>Gpo.Llm</c>); not run in the k-sweep. Not serialised: <see cref="ExtraMethodsDescription"/> goes to the manifest.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<IPreferencePredictor> ExtraMethods { get; init; } = [];

    /// <summary>What the extra methods are (e.g. the LLM server and model), written to the manifest as <c>extra_methods</c>.</summary>
    [JsonIgnore]
    public JsonObject? ExtraMethodsDescription { get; init; }

    /// <summary>The GPO variants meta-trained per split (the paper's module and the population variants).</summary>
    public IReadOnlyList<PopulationInputs> Variants { get; init; } = [PopulationInputs.None, PopulationInputs.Prior, PopulationInputs.Residual];

    /// <summary>
    /// Also score <c>gpo-gated</c> (<see cref="CoverageGatedPredictor"/>) when the paper's module is among the variants and some
    /// held-out group of some split (fraction × seed) has a question no training-side group answered: the paper's module on
    /// those, and on the rest the population method that scores best on the validation groups. Where every held-out pair is
    /// covered it would be that population method alone, so it is not scored. Adding seeds can turn it on, and then the units
    /// already finished are evaluated again (their trained runs are reused).
    /// </summary>
    public bool Gated { get; init; } = true;

    /// <summary>
    /// Selection groups per split (nested selection; 0: off, the protocol as before). They are carved from the meta-train side
    /// beside the validation groups (<see cref="GroupSplit.Selection"/>), neither train nor choose checkpoints, and choose the
    /// GPO variant (★) and <c>gpo-gated</c>'s covered method, so that choice is not made on the episodes that chose the
    /// trained variants' checkpoints. Use a work folder of its own: the splits differ.
    /// </summary>
    public int SelectionGroups { get; init; }
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
        var plain = options.Variants.ToList().IndexOf(PopulationInputs.None);
        var gate = options.Gated && plain >= 0 && options.Fractions.Any(f => options.Seeds.Any(s => HasUncoveredPairs(GroupSplit.ByFraction(dataset.Groups, f, s, selectionCount: options.SelectionGroups))));

        foreach (var fraction in options.Fractions)
        {
            foreach (var seed in options.Seeds)
            {
                var label = $"{SplitLabel(fraction)}-seed{seed.ToString(CultureInfo.InvariantCulture)}";
                var split = GroupSplit.ByFraction(dataset.Groups, fraction, seed, selectionCount: options.SelectionGroups);
                var selection = split.Selection.Count > 0 ? $", selection {split.Selection.Count}" : "";
                progress?.Invoke(new ReproductionProgress("train", $"{dataset.Name} {label}: meta-train {split.MetaTrain.Count}, validation {split.Validation.Count}{selection}, meta-test {split.MetaTest.Count} groups"));
                var population = TrainingPopulation.FromDataset(dataset, split.TrainingSide);
                var trainers = options.Variants.Select(variant =>
                {
                    var trainer = new MetaTrainer(dataset, split, config, options.Training with { Seed = seed, Population = variant }, device);
                    return (Trainer: trainer, Folder: variant == PopulationInputs.None ? label : $"{label}-{trainer.MethodName}");
                }).ToList();
                var baselines = Baselines(population).ToList();
                var gatedFolder = gate ? $"{label}-{GatedName}" : null;
                var methodNames = trainers.Select(t => t.Trainer.MethodName).Concat(gatedFolder is null ? [] : [GatedName])
                    .Concat(baselines.Select(b => b.Name)).Concat(options.ExtraMethods.Select(m => m.Name)).ToList();
                var unitFolders = trainers.Select(t => t.Folder).Concat(gatedFolder is null ? [] : [gatedFolder])
                    .Select(f => Path.Combine(workFolder, dataset.Name, f)).ToList();

                // Evaluation rows and run outcomes are kept per split and seed in the work folder: a rerun skips what is done.
                var unitFile = Path.Combine(workFolder, dataset.Name, label + ".predictions.csv.gz");
                var validationLabel = ValidationLabel(fraction);
                var selectionLabel = SelectionLabel(fraction);
                var earlier = ReadUnit(unitFile, methodNames, unitFolders);
                if (earlier is { } cached && (split.Validation.Count == 0 || cached.Rows.Any(r => r.Split == validationLabel))
                    && (split.Selection.Count == 0 || cached.Rows.Any(r => r.Split == selectionLabel)))
                {
                    progress?.Invoke(new ReproductionProgress("evaluate", $"{dataset.Name} {label}: done earlier ({Path.GetFileName(unitFile)})"));
                    foreach (var (trainer, folder) in trainers)
                        CopyRunRecord(new RunFolder(Path.Combine(workFolder, dataset.Name, folder)), Path.Combine(outputFolder, "runs", folder));
                    runs.AddRange(cached.Runs);
                    rows.AddRange(cached.Rows);
                    continue;
                }
                var methods = new List<IPreferencePredictor>();
                var unitRuns = new List<TrainingResult>();
                foreach (var (trainer, folder) in trainers)
                {
                    var run = new RunFolder(Path.Combine(workFolder, dataset.Name, folder));
                    var result = trainer.Train(run, p => progress?.Invoke(new ReproductionProgress("train", folder, p)), cancellation, describe);
                    CopyRunRecord(run, Path.Combine(outputFolder, "runs", folder));
                    var trained = trainer.Predictor(GpoCheckpoint.Load<float>(run.BestCheckpoint));
                    unitRuns.Add(split.Selection.Count > 0 ? result with { SelectionScore = trainer.SelectionScore(trained) } : result);
                    methods.Add(trained);
                }
                if (gatedFolder is not null)
                {
                    cancellation.ThrowIfCancellationRequested();
                    progress?.Invoke(new ReproductionProgress("evaluate", $"{dataset.Name} {label}: {GatedName} on the validation groups"));
                    var (gated, gatedRun) = Gate(trainers[plain].Trainer, methods[plain], baselines, population, unitFolders[^1], unitRuns[plain]);
                    methods.Add(gated);
                    unitRuns.Add(gatedRun);
                }
                methods.AddRange(baselines);
                var unitRows = new List<PredictionRow>();
                cancellation.ThrowIfCancellationRequested();
                // A unit evaluated before validation rows were recorded keeps its held-out rows (trained runs reused); only those are added.
                unitRows.AddRange(earlier?.Rows ?? HeldOutRows(methods, split, fraction, seed, label, population, progress, cancellation));
                // Training-side groups are covered by the other training-side groups only.
                bool CoveredByOthers(Episode episode, string question) => population.Covers(question, episode.Group);
                // The validation groups on the episodes that chose the checkpoints (and, without selection groups, ★ and gpo-gated's covered method).
                if (split.Validation.Count > 0)
                    unitRows.AddRange(Rows(methods, trainers[0].Trainer.ValidationEpisodes(), seed, validationLabel, CoveredByOthers));
                // Nested selection: the selection groups, on the episodes that chose ★ and gpo-gated's covered method.
                if (split.Selection.Count > 0)
                    unitRows.AddRange(Rows(methods, trainers[0].Trainer.SelectionEpisodes(), seed, selectionLabel, CoveredByOthers));
                Directory.CreateDirectory(Path.GetDirectoryName(unitFile)!);
                PredictionTable.Write(unitFile, unitRows);
                WriteUnitRuns(UnitRunsFile(unitFile), unitRuns);
                runs.AddRange(unitRuns);
                rows.AddRange(unitRows);
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

    /// <summary>The held-out groups' rows of one unit: the main comparison (with the extra methods), the swap diagnostic and, at the sweep's fraction, the k-sweep.</summary>
    private List<PredictionRow> HeldOutRows(List<IPreferencePredictor> methods, GroupSplit split, double fraction, int seed, string label,
        TrainingPopulation population, Action<ReproductionProgress>? progress, CancellationToken cancellation)
    {
        var rows = new List<PredictionRow>();
        progress?.Invoke(new ReproductionProgress("evaluate", $"{dataset.Name} {label}: k = {options.ContextQuestions}"));
        rows.AddRange(Evaluate([.. methods, .. options.ExtraMethods], split.MetaTest, options.ContextQuestions, seed, SplitLabel(fraction), population));
        // The swap diagnostic: each held-out group's queries predicted from another held-out group's context answers.
        rows.AddRange(Evaluate(methods, split.MetaTest, options.ContextQuestions, seed, SwapLabel(fraction), population, swap: true));
        if (fraction != options.SweepFraction) return rows;
        foreach (var k in FeasibleSweep(split.MetaTest))
        {
            cancellation.ThrowIfCancellationRequested();
            progress?.Invoke(new ReproductionProgress("sweep", $"{dataset.Name} {label}: k = {k}"));
            // With no context, only methods defined without one take part (GPO's offset variants predict the prior).
            var sweepMethods = k == 0 ? methods.Where(DefinedWithoutContext).ToArray() : methods.ToArray();
            rows.AddRange(Evaluate(sweepMethods, split.MetaTest, k, seed, SweepLabel(fraction, k), population));
        }
        return rows;
    }

    /// <summary>Whether a held-out group of <paramref name="split"/> has a question no training-side group (<see cref="GroupSplit.TrainingSide"/>) answered.</summary>
    public bool HasUncoveredPairs(GroupSplit split)
    {
        ArgumentNullException.ThrowIfNull(split);
        var population = TrainingPopulation.FromDataset(dataset, split.TrainingSide);
        return split.MetaTest.Any(g => dataset.QuestionIdsOf(g).Any(q => !population.Covers(q)));
    }

    /// <summary>The methods <c>gpo-gated</c> may use on covered pairs, in tie-break order.</summary>
    public static readonly IReadOnlyList<string> GatedCoveredCandidates = ["population_prior", "group_mixture", "prior_residual", "imputed_mixture"];

    /// <summary>How a <c>gpo-gated</c> record names its parts, e.g. <c>covered: prior_residual; uncovered: gpo</c>.</summary>
    private static string GatedComposition(string covered, string uncovered) => $"covered: {covered}; uncovered: {uncovered}";

    /// <summary>The coverage-gated GPO's method name (<see cref="CoverageGatedPredictor"/>).</summary>
    public const string GatedName = "gpo-gated";

    /// <summary>
    /// The coverage-gated GPO of one split: the paper's module on uncovered pairs, and on covered pairs the population method — the
    /// population prior, <c>group_mixture</c>, <c>prior_residual</c> or <c>imputed_mixture</c> (<see cref="GatedCoveredCandidates"/>, those
    /// among <paramref name="baselines"/>) — whose gated predictor
    /// scores best on the validation groups, or on the selection groups where the split has them (ties: the earlier candidate).
    /// Its record carries the validation score (and the selection score when nested) and names the chosen pair.
    /// </summary>
    /// <remarks>
    /// Trained offset variants (<c>gpo-residual</c>) are not candidates: their checkpoint was chosen as the best of many on these same
    /// validation episodes, so their validation score is biased upwards against methods that were not selected there. A first version
    /// that let them compete chose <c>gpo-residual</c> in most globalqa-14 units and then lost to the prior on the test countries'
    /// covered pairs (docs/gpo-variants.md).
    /// </remarks>
    public static (CoverageGatedPredictor Predictor, TrainingResult Record) Gate(MetaTrainer plainTrainer, IPreferencePredictor plain,
        IEnumerable<IPreferencePredictor> baselines, TrainingPopulation population, string folder, TrainingResult plainRun)
    {
        ArgumentNullException.ThrowIfNull(plainTrainer);
        ArgumentNullException.ThrowIfNull(plainRun);
        var available = baselines.ToList();
        var candidates = GatedCoveredCandidates.Select(name => available.Find(b => b.Name == name)).OfType<IPreferencePredictor>().ToList();
        if (candidates.Count == 0) throw new ArgumentException("No population method to gate with.", nameof(baselines));
        CoverageGatedPredictor? best = null;
        var bestScore = double.NaN;
        foreach (var candidate in candidates)
        {
            // The selection groups choose where the split has them (nested selection), else the validation groups.
            var gated = new CoverageGatedPredictor(GatedName, candidate, plain, population);
            var score = plainTrainer.SelectionScore(gated);
            if (best is null || score > bestScore) (best, bestScore) = (gated, score);
        }
        var nested = plainTrainer.Split.Selection.Count > 0;
        return (best!, new TrainingResult(new RunFolder(folder), plainRun.BestStep, nested ? plainTrainer.ValidationScore(best!) : bestScore, plainRun.SelectionMetric, 0,
            Resumed: false, plainRun.LastStep, GatedComposition(best!.Covered.Name, plain.Name)) { SelectionScore = nested ? bestScore : null });
    }

    /// <summary>The swap diagnostic's label, e.g. <c>0.6-swap</c>.</summary>
    public static string SwapLabel(double fraction) => $"{SplitLabel(fraction)}-swap";

    /// <summary>Whether a method predicts without any context question (k = 0 of the sweep).</summary>
    public static bool DefinedWithoutContext(IPreferencePredictor method) =>
        method is UniformPredictor or PopulationPriorPredictor or PopulationContextPredictor || (method is GpoPredictor gpo && gpo.Model.Inputs.PriorOffset);

    /// <summary>
    /// The baselines of one split, all built from the training-side population. <c>imputed_mixture</c> only where that
    /// population is sparse: on a dense one it predicts exactly what <c>group_mixture</c> does.
    /// </summary>
    public static IEnumerable<IPreferencePredictor> Baselines(TrainingPopulation population)
    {
        ArgumentNullException.ThrowIfNull(population);
        yield return new UniformPredictor();
        yield return new PopulationPriorPredictor(population);
        yield return new GroupMixturePredictor(population);
        if (!population.IsDense) yield return new ImputedMixturePredictor(population);
        yield return new PriorResidualPredictor(population);
        yield return new TemperedPriorPredictor(population);
        yield return new KernelRegressionPredictor();
        yield return new RidgeProbePredictor();
    }

    /// <summary>
    /// Predicts every held-out group's queries with every method on the same context draw. With <paramref name="swap"/>,
    /// each group's context answers are replaced by those of the next held-out group (in order, cyclically) that answered
    /// every context question, so the difference to the plain scores is the swap gap; a group without such a partner is skipped.
    /// </summary>
    public IEnumerable<PredictionRow> Evaluate(IReadOnlyList<IPreferencePredictor> methods, IReadOnlyList<string> groups, int k, int seed, string splitLabel,
        TrainingPopulation? population = null, bool swap = false)
    {
        ArgumentNullException.ThrowIfNull(methods);
        ArgumentNullException.ThrowIfNull(groups);
        var draws = k == 0
            ? groups.Select(g => new ContextQuerySplit(g, [], dataset.QuestionIdsOf(g))).ToList()
            : ContextDraw.For(dataset, groups, k, seed);
        var episodes = draws.Select(d => EpisodeFactory.Episode(dataset, d)).ToList();
        if (swap) episodes = Swapped(episodes, groups);
        return Rows(methods, episodes, seed, splitLabel, population is null ? null : (_, q) => population.Covers(q));
    }

    /// <summary>The validation rows' split label, e.g. <c>0.6-val</c>.</summary>
    public static string ValidationLabel(double fraction) => $"{SplitLabel(fraction)}-val";

    /// <summary>The selection rows' split label (nested selection), e.g. <c>0.6-sel</c>.</summary>
    public static string SelectionLabel(double fraction) => $"{SplitLabel(fraction)}-sel";

    /// <summary>Every method's predictions of every episode's queries as prediction rows; <paramref name="covered"/> gives a (episode, question) pair's covered flag.</summary>
    private IEnumerable<PredictionRow> Rows(IReadOnlyList<IPreferencePredictor> methods, IReadOnlyList<Episode> episodes, int seed, string splitLabel,
        Func<Episode, string, bool>? covered)
    {
        foreach (var method in methods)
        {
            foreach (var episode in episodes)
            {
                var predicted = method.Predict(episode);
                for (var i = 0; i < predicted.Length; i++)
                {
                    var query = episode.Queries[i];
                    var question = dataset.GetQuestion(query.QuestionId);
                    bool? isCovered = covered?.Invoke(episode, query.QuestionId);
                    foreach (var row in PredictionTable.Rows(method.Name, splitLabel, seed, episode.Group, query.QuestionId, predicted[i], query.Distribution!, question.Ordinals, isCovered))
                        yield return row;
                }
            }
        }
    }

    private List<Episode> Swapped(List<Episode> episodes, IReadOnlyList<string> groups)
    {
        var swapped = new List<Episode>();
        for (var i = 0; i < episodes.Count; i++)
        {
            var episode = episodes[i];
            for (var step = 1; step < groups.Count; step++)
            {
                var partner = groups[(groups.ToList().IndexOf(episode.Group) + step) % groups.Count];
                if (partner == episode.Group || !episode.Context.All(q => dataset.TryGetDistribution(partner, q.QuestionId, out _))) continue;
                var context = episode.Context.Select(q => q with { Distribution = [.. dataset.GetDistribution(partner, q.QuestionId)] }).ToArray();
                swapped.Add(episode with { Context = context });
                break;
            }
        }
        return swapped;
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

    private static string UnitRunsFile(string unitFile) => unitFile.Replace(".predictions.csv.gz", ".runs.json", StringComparison.Ordinal);

    /// <summary>Writes the runs' outcomes of a finished unit (split and seed) next to its predictions.</summary>
    private static void WriteUnitRuns(string path, IReadOnlyList<TrainingResult> runs) =>
        AtomicFile.WriteAllText(path, new JsonArray([.. runs.Select(r => (JsonNode)new JsonObject
        {
            ["run"] = r.Run.Path,
            ["best_step"] = r.BestStep,
            ["best_score"] = double.IsFinite(r.BestScore) ? r.BestScore : null,
            ["seconds"] = r.Seconds,
            ["last_step"] = r.LastStep,
            ["metric"] = r.SelectionMetric,
            ["composition"] = r.Composition,
            ["selection_score"] = r.SelectionScore is { } selection && double.IsFinite(selection) ? selection : null,
        })]).ToJsonString() + "\n");

    /// <summary>
    /// A finished unit from the work folder: its predictions when they hold exactly <paramref name="methods"/>, and every run's
    /// outcome — from the unit's runs file, or from the run folder's <c>state.json</c> (Step, BestStep, BestScore, Seconds) for
    /// units finished before runs files existed. Null when anything is missing, so the unit is done again.
    /// </summary>
    private static (List<PredictionRow> Rows, List<TrainingResult> Runs)? ReadUnit(string unitFile, IReadOnlyList<string> methods, IReadOnlyList<string> runFolders)
    {
        if (!File.Exists(unitFile)) return null;
        var rows = PredictionTable.Read(unitFile);
        if (!rows.Select(r => r.Method).Distinct().Order(StringComparer.Ordinal).SequenceEqual(methods.Order(StringComparer.Ordinal))) return null;
        var runs = new List<TrainingResult>();
        var recorded = File.Exists(UnitRunsFile(unitFile)) ? JsonNode.Parse(File.ReadAllText(UnitRunsFile(unitFile)))?.AsArray() : null;
        foreach (var folder in runFolders)
        {
            var entry = recorded?.FirstOrDefault(r => r?["run"]?.GetValue<string>() is { } path && Path.GetFileName(path) == Path.GetFileName(folder));
            // A unit whose gpo-gated used a covered method the current rule no longer offers is evaluated again.
            if (entry?["composition"]?.GetValue<string>() is { } composition && !GatedCoveredCandidates.Any(c => composition.StartsWith(GatedComposition(c, ""), StringComparison.Ordinal)))
                return null;
            if (entry is not null)
            {
                runs.Add(new TrainingResult(new RunFolder(folder), entry["best_step"]!.GetValue<int>(), entry["best_score"]?.GetValue<double>() ?? double.NaN,
                    entry["metric"]!.GetValue<string>(), entry["seconds"]!.GetValue<double>(), Resumed: true, entry["last_step"]!.GetValue<int>(),
                    entry["composition"]?.GetValue<string>()) { SelectionScore = entry["selection_score"]?.GetValue<double>() });
                continue;
            }
            var state = Path.Combine(folder, "state.json");
            if (!File.Exists(state)) return null;
            var json = JsonNode.Parse(File.ReadAllText(state))?.AsObject();
            if (json?["Step"] is null || json["BestStep"] is null || json["Seconds"] is null) return null;
            runs.Add(new TrainingResult(new RunFolder(folder), json["BestStep"]!.GetValue<int>(), json["BestScore"]?.GetValue<double>() ?? double.NaN,
                "", json["Seconds"]!.GetValue<double>(), Resumed: true, json["Step"]!.GetValue<int>()));
        }
        return (rows, runs);
    }

    private static void CopyRunRecord(RunFolder run, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in new[] { run.ConfigFile, run.MetricsFile, run.StateFile })
            if (File.Exists(file)) AtomicFile.WriteAllBytes(Path.Combine(destination, Path.GetFileName(file)), File.ReadAllBytes(file));
    }

    /// <summary>A run's manifest record; <c>selection_score</c> (what ★ compares under nested selection) only where there is one.</summary>
    private static JsonNode RunRecord(TrainingResult r)
    {
        var record = new JsonObject
        {
            ["run"] = Path.GetFileName(r.Run.Path),
            ["best_step"] = r.BestStep,
            ["best_validation_score"] = double.IsFinite(r.BestScore) ? r.BestScore : null,
            ["last_step"] = r.LastStep,
            ["training_seconds"] = Math.Round(r.Seconds, 1),
            ["composition"] = r.Composition,
        };
        if (r.SelectionScore is { } selection && double.IsFinite(selection)) record["selection_score"] = selection;
        return record;
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
            ["runs"] = new JsonArray([.. runs.Select(RunRecord)]),
            ["started_utc"] = started.ToString("O", CultureInfo.InvariantCulture),
            ["finished_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            ["machine"] = $"{Environment.ProcessorCount} cores, {GpoInfo.SimdDescription}, .NET {Environment.Version}",
        };
        if (options.ExtraMethods.Count > 0)
            manifest["extra_methods"] = options.ExtraMethodsDescription?.DeepClone() ?? new JsonArray([.. options.ExtraMethods.Select(m => (JsonNode)m.Name)]);
        if (describe is not null)
            foreach (var (key, value) in describe) manifest[key] = value?.DeepClone();
        AtomicFile.WriteAllText(path, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }
}
