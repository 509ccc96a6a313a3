using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gpo.Data;
using Gpo.Evaluation;
using Gpo.Evaluation.Baselines;
using Gpo.Model;

namespace Gpo.Training;

/// <summary>What a training run reports after each evaluation (for progress bars and logs).</summary>
public sealed record TrainingProgress(
    int Step, int TotalSteps, double Loss, double LearningRate, double? ValidationScore,
    int BestStep, double BestScore, double StepsPerSecond, TimeSpan Remaining);

/// <summary>The outcome of a run: where the selected checkpoint is and how it scored.</summary>
/// <param name="Composition">For a method composed of trained runs and baselines rather than trained itself (the reproduction's
/// <c>gpo-gated</c>): which methods it joins, e.g. <c>covered: prior_residual; uncovered: gpo</c>; null for a trained run.</param>
public sealed record TrainingResult(RunFolder Run, int BestStep, double BestScore, string SelectionMetric, double Seconds, bool Resumed, int LastStep = 0,
    string? Composition = null)
{
    /// <summary>The score on the selection groups of a nested-selection split (<see cref="GroupSplit.Selection"/>), which ★ compares; null without them.</summary>
    public double? SelectionScore { get; init; }
}

/// <summary>
/// Meta-trains GPO (spec gpo.md §4): every step puts all meta-train groups in the batch with freshly drawn
/// context/target questions, takes one Adam step at the cosine-decayed learning rate, and every
/// <see cref="TrainingOptions.EvaluateEvery"/> steps scores the validation groups (k context questions,
/// all other questions as queries) and checkpoints. The checkpoint with the best validation score is kept.
/// Step t's draw comes from its own seeded stream, so a run resumed from its last checkpoint gives the
/// same numbers as one that was never interrupted.
/// </summary>
public sealed class MetaTrainer
{
    private readonly PreferenceDataset _dataset;
    private readonly GroupSplit _split;
    private readonly GpoConfig _config;
    private readonly TrainingOptions _options;
    private readonly AlignmentMetric _metric;
    private readonly GpoInputs _inputs;
    private readonly TrainingPopulation? _population;
    private readonly TrainingPopulation? _mixSource;
    private readonly int _pseudoGroups;
    private readonly IGpoDevice? _device;

    /// <param name="dataset">The data, with per-option features (synthetic, or attached by the embedding stage).</param>
    /// <param name="split">Which groups train, validate and (untouched here) test.</param>
    /// <param name="config">The architecture; its DimX must match the features.</param>
    /// <param name="options">Steps, learning rate, evaluation interval, seed, draw bounds.</param>
    /// <param name="device">Where the training steps run (null: the CPU engine); validation and checkpoints stay on the host.</param>
    public MetaTrainer(PreferenceDataset dataset, GroupSplit split, GpoConfig config, TrainingOptions options, IGpoDevice? device = null)
    {
        _device = device;
        _dataset = dataset ?? throw new ArgumentNullException(nameof(dataset));
        _split = split ?? throw new ArgumentNullException(nameof(split));
        _config = config ?? throw new ArgumentNullException(nameof(config));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        var features = dataset.Features ?? throw new InvalidOperationException($"Dataset '{dataset.Name}' has no features: embed it first.");
        if (features.Dimension != config.DimX)
            throw new ArgumentException($"The model expects {config.DimX}-wide x, the dataset's features are {features.Dimension}-wide.");
        if (options.Steps < 1 || options.EvaluateEvery < 1) throw new ArgumentException("Steps and EvaluateEvery must be positive.");
        if (!double.IsFinite(options.LearningRate) || options.LearningRate <= 0) throw new ArgumentException($"The learning rate must be a finite number above 0, not {options.LearningRate}.");
        if (options.Patience < 0) throw new ArgumentException("Patience must be 0 (off) or positive.");
        if (options.PseudoGroups > 0 && options.Population is not (PopulationInputs.Groups or PopulationInputs.Mix))
            throw new ArgumentException("Pseudo-groups go with the gpo-mix and gpo-groups variants.");
        _pseudoGroups = options.PseudoGroups >= 0 ? options.PseudoGroups : options.Population switch
        {
            PopulationInputs.Groups => split.MetaTrain.Count,
            PopulationInputs.Mix => TrainingOptions.DefaultMixPseudoGroups,
            _ => 0,
        };
        _metric = SelectionMetricFor(dataset);
        if (options.Population is not (PopulationInputs.None or PopulationInputs.Mix))
        {
            // The population: every training-side group (meta-train, validation, selection); a group never sees itself in it.
            _population = TrainingPopulation.FromDataset(dataset, split.TrainingSide);
            var slots = options.Population == PopulationInputs.Groups ? Math.Max(0, _population.Groups.Count - 1) : 0;
            _inputs = new GpoInputs(features.Dimension, Population: true, PopulationSlots: slots, PriorOffset: true,
                OffsetBase: options.Population == PopulationInputs.Residual ? GpoInputs.PriorResidualBase : GpoInputs.PopulationPriorBase);
        }
        else
        {
            _inputs = GpoInputs.Text(features.Dimension);
            // The paper's module reads no population; its pseudo-groups mix the meta-train groups (validation stays unseen).
            if (_pseudoGroups > 0) _mixSource = TrainingPopulation.FromDataset(dataset, split.MetaTrain);
        }
        _config = config with { DimX = _inputs.Width };
    }

    /// <summary>The checkpoint metadata entry that lists the training-side groups a population model reads (a JSON array).</summary>
    public const string PopulationGroupsKey = "population_groups";

    /// <summary>The split this trainer trains on.</summary>
    public GroupSplit Split => _split;

    /// <summary>What the trained model reads for each token.</summary>
    public GpoInputs Inputs => _inputs;

    /// <summary>The variant's name in results: <see cref="GpoInputs.MethodName"/>, or <c>gpo-mix</c> for the paper's module trained with mixtures.</summary>
    public string MethodName => _options.Population == PopulationInputs.Mix ? MixMethodName : _inputs.MethodName;

    /// <summary>The name of <see cref="PopulationInputs.Mix"/> in results and checkpoints.</summary>
    public const string MixMethodName = "gpo-mix";

    /// <summary>The checkpoint metadata entry with the variant's name (<see cref="MethodName"/>).</summary>
    public const string VariantKey = "variant";

    /// <summary>The training-side population the model reads (null for the paper's module).</summary>
    public TrainingPopulation? Population => _population;

    /// <summary>
    /// The untrained model of this run (seeded initialisation). With an offset, μ's output weights start at 0, so μ is a
    /// constant and the untrained model predicts the offset's base (the prior, or the base method) exactly; training learns the offset.
    /// </summary>
    public GpoModel<float> NewModel()
    {
        var model = new GpoModel<float>(_config) { Inputs = _inputs };
        model.Initialize(SeededRandom.DeriveSeed(_options.Seed, "init"));
        if (_inputs.PriorOffset)
        {
            var weight = model.Parameters["predictor.2.weight"];
            model.Parameters.Values.AsSpan(weight.Offset, weight.Shape[1]).Clear();
        }
        return model;
    }

    /// <summary>A predictor for the model as trained here (with its population when it reads one).</summary>
    public GpoPredictor Predictor(GpoModel<float> model) => new(model, name: MethodName, population: _population);

    /// <summary>The dataset's headline alignment: 1 − W₁/W_max when every question has ordinals (OpinionQA), else 1 − JS distance.</summary>
    public static AlignmentMetric SelectionMetricFor(PreferenceDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return dataset.Questions.All(q => q.Ordinals is not null) ? AlignmentMetrics.AlignmentW1 : AlignmentMetrics.AlignmentJs;
    }

    /// <summary>The run's configuration as saved in config.json: enough to rerun it.</summary>
    public JsonObject DescribeRun()
    {
        var run = new JsonObject
        {
            ["format"] = "gpo-run/1",
            ["dataset"] = new JsonObject
            {
                ["name"] = _dataset.Name,
                ["format"] = _dataset.Provenance.Format,
                ["version"] = _dataset.Provenance.Version,
                ["groups"] = _dataset.Groups.Count,
                ["questions"] = _dataset.Questions.Count,
                ["features_dimension"] = _dataset.Features!.Dimension,
            },
            ["split"] = new JsonObject
            {
                ["name"] = _split.Name,
                ["meta_train_fraction"] = _split.MetaTrainFraction,
                ["seed"] = _split.Seed,
                ["meta_train"] = new JsonArray([.. _split.MetaTrain.Select(g => (JsonNode)g)]),
                ["validation"] = new JsonArray([.. _split.Validation.Select(g => (JsonNode)g)]),
                ["meta_test"] = new JsonArray([.. _split.MetaTest.Select(g => (JsonNode)g)]),
            },
            ["model"] = JsonSerializer.SerializeToNode(_config),
            ["inputs"] = JsonSerializer.SerializeToNode(_inputs),
            ["method"] = MethodName,
            ["training"] = JsonSerializer.SerializeToNode(_options),
            ["selection_metric"] = _metric.Name,
        };
        // Only a nested-selection split names its selection groups, so other runs' configs stay as they were.
        if (_split.Selection.Count > 0) run["split"]!["selection"] = new JsonArray([.. _split.Selection.Select(g => (JsonNode)g)]);
        return run;
    }

    /// <summary>Trains into <paramref name="run"/>, resuming from its last checkpoint when it has one.</summary>
    /// <param name="run">The run folder.</param>
    /// <param name="progress">Called after every evaluation.</param>
    /// <param name="cancellation">Stops after the current step; the last checkpoint stays valid for a resume.</param>
    /// <param name="describe">Extra entries for config.json (e.g. how the features were made).</param>
    public TrainingResult Train(RunFolder run, Action<TrainingProgress>? progress = null, CancellationToken cancellation = default, JsonObject? describe = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        var config = DescribeRun();
        if (describe is not null)
            foreach (var (key, value) in describe) config[key] = value?.DeepClone();
        using var hold = run.Lock();
        var existing = run.Prepare(config);

        var model = NewModel();
        using var engine = _device?.CreateEngine(_config);
        var trainer = new GpoTrainer<float>(model, _options.LearningRate, _options.Steps, engine);
        var state = new RunState(0, 0, double.NaN, 0);
        if (existing && run.Recover() is { } saved)
        {
            run.LoadCheckpoint(model, trainer.Optimizer, saved);
            state = saved;
        }
        run.TruncateMetrics(state.Step == 0 ? -1 : state.Step); // step 0 is evaluated again when nothing later was saved
        var resumed = state.Step > 0;
        var secondsBefore = state.Seconds; // training time of earlier sessions of this run

        var sampler = new MetaTaskSampler(
            _split.MetaTrain.Select(g => (g, EpisodeFactory.AllQuestions(_dataset, g))).ToList(), _options.Bounds);
        var validation = ValidationEpisodes();
        var metadata = new Dictionary<string, string> { ["dataset"] = _dataset.Name, ["dataset_version"] = _dataset.Provenance.Version, ["split"] = _split.Name, [VariantKey] = MethodName };
        if (_population is not null) metadata[PopulationGroupsKey] = JsonSerializer.Serialize(_population.Groups);

        var clock = Stopwatch.StartNew();
        double lossSum = 0;
        var lossCount = 0;
        var stepsThisSession = 0;
        if (state.Step == 0 && validation.Count > 0)
        {
            // Step 0 is a candidate too: a model that starts at the population prior is never selected below it.
            var initial = Score(Predictor(model), validation);
            state = new RunState(0, 0, initial, 0);
            run.AppendMetrics(new JsonObject { ["step"] = 0, ["learning_rate"] = _options.LearningRate, ["validation_" + _metric.Name] = initial, ["seconds"] = 0.0 });
            run.SaveCheckpoint(model, trainer.Optimizer, state, improved: true, metadata);
        }
        for (var step = state.Step + 1; step <= _options.Steps; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            if (_options.Patience > 0 && state.Step - state.BestStep >= _options.Patience * _options.EvaluateEvery) break;
            var stepName = step.ToString(CultureInfo.InvariantCulture);
            var tasks = sampler.Draw(SeededRandom.Create(_options.Seed, "train/step/" + stepName));
            if (_population is not null)
            {
                var slots = SeededRandom.Create(_options.Seed, "train/slots/" + stepName);
                // A residual base is fitted to each task's context, with the group itself left out of the population.
                tasks = tasks.Select(t => t with
                {
                    Inputs = PopulationTokenInputs.ForEpisode(_population, _inputs, new Episode(t.Group, t.Context, t.Targets),
                        PopulationTokenInputs.RandomSlots(_population, t.Group, _inputs.PopulationSlots, slots)),
                }).ToList();
            }
            if (_pseudoGroups > 0)
                tasks.AddRange(PseudoGroupTasks(tasks, SeededRandom.Create(_options.Seed, "train/pseudo/" + stepName)));
            var loss = trainer.Step(BatchAssembler.Assemble(tasks, _config.DimX));
            if (!float.IsFinite(loss))
                throw new InvalidOperationException($"Training diverged at step {step}: loss {loss}. Lower the learning rate.");
            lossSum += loss;
            lossCount++;
            stepsThisSession++;

            if (step % _options.EvaluateEvery != 0 && step != _options.Steps) continue;
            trainer.Synchronize();
            double? score = validation.Count > 0 ? Score(Predictor(model), validation) : null;
            var improved = score is { } s ? !(s <= state.BestScore) : step == _options.Steps; // NaN best → first score wins
            var seconds = secondsBefore + clock.Elapsed.TotalSeconds;
            var stepsPerSecond = stepsThisSession / clock.Elapsed.TotalSeconds;
            state = improved ? new RunState(step, step, score ?? double.NaN, seconds) : state with { Step = step, Seconds = seconds };
            var learningRate = CosineSchedule.LearningRate(_options.LearningRate, step, _options.Steps);
            run.AppendMetrics(new JsonObject
            {
                ["step"] = step,
                ["train_loss"] = lossSum / lossCount,
                ["learning_rate"] = learningRate,
                ["validation_" + _metric.Name] = score,
                ["seconds"] = Math.Round(seconds, 3),
                ["steps_per_second"] = Math.Round(stepsPerSecond, 3),
            });
            run.SaveCheckpoint(model, trainer.Optimizer, state, improved, metadata);
            progress?.Invoke(new TrainingProgress(step, _options.Steps, lossSum / lossCount, learningRate, score, state.BestStep, state.BestScore,
                stepsPerSecond, TimeSpan.FromSeconds((_options.Steps - step) / Math.Max(stepsPerSecond, 1e-9))));
            lossSum = 0;
            lossCount = 0;
        }
        return new TrainingResult(run, state.BestStep, state.BestScore, _metric.Name, state.Seconds, resumed, state.Step);
    }

    /// <summary>
    /// The step's pseudo-group tasks (<see cref="TrainingOptions.PseudoGroups"/>): each takes the questions of a random real task of the step, leaves one
    /// random training-side group out, and answers with a Dirichlet(1) mixture of the others' distributions (weights
    /// renormalised over the groups that answered a question); its population features leave the same group out. For
    /// gpo-mix (no population features) the mixture is of all meta-train groups and the tokens are text only.
    /// </summary>
    internal IEnumerable<GroupTask> PseudoGroupTasks(List<GroupTask> realTasks, Random random)
    {
        var population = (_population ?? _mixSource)!;
        var plain = _population is null;
        var groups = population.Groups.Count;
        if (groups < (plain ? 2 : 3)) yield break; // a mixture of one group is that group
        for (var p = 0; p < _pseudoGroups; p++)
        {
            var template = realTasks[random.Next(realTasks.Count)];
            var left = plain ? -1 : random.Next(groups);
            var weights = new double[groups];
            for (var g = 0; g < groups; g++) weights[g] = g == left ? 0 : -Math.Log(1 - random.NextDouble()); // Gamma(1) draws
            var name = "pseudo-group " + p.ToString(CultureInfo.InvariantCulture);
            EpisodeQuestion Mix(EpisodeQuestion question)
            {
                var mixed = new double[question.OptionCount];
                double total = 0;
                foreach (var (group, distribution) in population.Answers(question.QuestionId))
                {
                    if (distribution.Length != mixed.Length) continue;
                    for (var o = 0; o < mixed.Length; o++) mixed[o] += weights[group] * distribution[o];
                    total += weights[group];
                }
                if (total <= 0) return question; // nobody else answered: the real group's answers stand in
                for (var o = 0; o < mixed.Length; o++) mixed[o] /= total;
                return question with { Distribution = mixed };
            }
            var context = template.Context.Select(Mix).ToArray();
            var targets = template.Targets.Select(Mix).ToArray();
            if (plain)
            {
                yield return new GroupTask(name, context, targets);
                continue;
            }
            var slots = PopulationTokenInputs.RandomSlots(population, population.Groups[left], _inputs.PopulationSlots, random);
            yield return new GroupTask(name, context, targets, new PopulationTokenInputs(population, _inputs, name, slots, alsoExclude: population.Groups[left]));
        }
    }

    /// <summary>
    /// <paramref name="predictor"/>'s score on the validation groups: the selection metric's mean over the same episodes that select
    /// this trainer's checkpoints (NaN without validation groups).
    /// </summary>
    public double ValidationScore(IPreferencePredictor predictor) => ScoreOrNaN(predictor, ValidationEpisodes());

    /// <summary>
    /// The validation groups' episodes that select this trainer's checkpoints: k context questions (one draw for all when they
    /// share their questions), the rest as queries. The same for every variant of one split and seed.
    /// </summary>
    public List<Episode> ValidationEpisodes() => Episodes(_split.Validation, "validation");

    /// <summary>
    /// The episodes that choose between variants: the selection groups' (k context questions, drawn with their own seed
    /// stream, the rest as queries) when the split has any (nested selection), else <see cref="ValidationEpisodes"/>.
    /// </summary>
    public List<Episode> SelectionEpisodes() => _split.Selection.Count > 0 ? Episodes(_split.Selection, "selection") : ValidationEpisodes();

    /// <summary><paramref name="predictor"/>'s mean selection metric on <see cref="SelectionEpisodes"/> (NaN without them).</summary>
    public double SelectionScore(IPreferencePredictor predictor) => ScoreOrNaN(predictor, SelectionEpisodes());

    /// <summary>The episodes of <paramref name="groups"/> with k = ValidationContextQuestions, drawn from the run seed's <paramref name="stream"/>.</summary>
    private List<Episode> Episodes(IReadOnlyList<string> groups, string stream)
    {
        if (groups.Count == 0) return [];
        var draws = ContextDraw.For(_dataset, groups, _options.ValidationContextQuestions, SeededRandom.DeriveSeed(_options.Seed, stream));
        return draws.Select(d => EpisodeFactory.Episode(_dataset, d)).ToList();
    }

    private double ScoreOrNaN(IPreferencePredictor predictor, IReadOnlyList<Episode> episodes)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        return episodes.Count > 0 ? Score(predictor, episodes) : double.NaN;
    }

    /// <summary>Mean of the selection metric over all validation (group, query question) pairs.</summary>
    private double Score(IPreferencePredictor predictor, IReadOnlyList<Episode> episodes)
    {
        var predictions = new List<Prediction>();
        foreach (var episode in episodes)
        {
            var predicted = predictor.Predict(episode);
            for (var i = 0; i < predicted.Length; i++)
                predictions.Add(new Prediction(episode.Group, _dataset.GetQuestion(episode.Queries[i].QuestionId), predicted[i], episode.Queries[i].Distribution!));
        }
        return MetricSummary.Of(_metric, predictions, bootstrapSamples: 0).Mean;
    }
}
