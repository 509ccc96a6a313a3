using Gpo.Evaluation.Baselines;
using Gpo.Model;

namespace Gpo.Evaluation;

/// <summary>
/// GPO as a few-shot method: the group's context questions become (x, y) context tokens, every query
/// question's options become target tokens, and one forward pass predicts all of them — no gradient step.
/// A model that reads population features (<see cref="GpoInputs.Population"/>) needs the training-side
/// <see cref="TrainingPopulation"/> it was meta-trained with; a group of that population never sees its own answers.
/// A group outside it sees, as every group did in training, one training-side group fewer: with group slots the
/// prediction averages the leave-one-group-out passes over every training-side group; without, the full population
/// is used. With no context question, a model that predicts an offset on the prior predicts the prior itself.
/// With an engine (a device holding the model's parameters) the forward passes run there.
/// </summary>
public sealed class GpoPredictor : IPreferencePredictor
{
    private readonly GpoModel<float> _model;
    private readonly TrainingPopulation? _population;
    private readonly Training.IGpoEngine? _engine;

    /// <param name="model">The meta-trained model.</param>
    /// <param name="name">The method's name in results (default: <see cref="GpoInputs.MethodName"/>).</param>
    /// <param name="population">The training-side groups; required exactly when the model reads population features.</param>
    /// <param name="engine">A device engine holding the model's parameters, where the forward passes run; null for the CPU.</param>
    public GpoPredictor(GpoModel<float> model, string? name = null, TrainingPopulation? population = null, Training.IGpoEngine? engine = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Inputs.Population && population is null)
            throw new ArgumentException($"This GPO model ({model.Inputs.MethodName}) reads population features: give the training-side groups it was trained with.", nameof(population));
        if (!model.Inputs.Population && population is not null)
            throw new ArgumentException("This GPO model reads the text embeddings alone; it takes no population.", nameof(population));
        if (population is not null && model.Inputs.PopulationSlots > 0 && population.Groups.Count - 1 > model.Inputs.PopulationSlots)
            throw new ArgumentException($"The model has {model.Inputs.PopulationSlots} group slots; the population has {population.Groups.Count} groups (at most {model.Inputs.PopulationSlots + 1}).", nameof(population));
        _model = model;
        _population = population;
        _engine = engine;
        Name = name ?? model.Inputs.MethodName;
    }

    public string Name { get; }

    /// <summary>
    /// Loads a checkpoint as a predictor for <paramref name="dataset"/>. A model that reads population features gets the
    /// training-side groups its checkpoint lists (<c>population_groups</c>), from the same dataset version it was trained on;
    /// a different dataset or version, or a missing group, is refused with an error naming the checkpoint.
    /// </summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="dataset">The dataset with features the model reads.</param>
    /// <param name="engineFor">Makes a device engine for the loaded model (null: the CPU); the caller disposes it after use.</param>
    public static (GpoPredictor Predictor, Training.IGpoEngine? Engine) FromCheckpoint(string path, Data.PreferenceDataset dataset,
        Func<GpoModel<float>, Training.IGpoEngine?>? engineFor = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(dataset);
        var model = GpoCheckpoint.Load<float>(path);
        IReadOnlyDictionary<string, string> metadata;
        using (var file = IO.SafeTensors.Open(path)) metadata = file.Metadata;
        var population = model.Inputs.Population ? PopulationOf(path, metadata, model, dataset) : null;
        // The variant name a checkpoint records (e.g. gpo-mix); without one the name follows the model's inputs.
        var name = metadata.TryGetValue(Training.MetaTrainer.VariantKey, out var variant) && variant.Length is > 0 and <= 64 ? variant : null;
        var engine = engineFor?.Invoke(model);
        return (new GpoPredictor(model, name: name, population: population, engine: engine), engine);
    }

    private static TrainingPopulation PopulationOf(string path, IReadOnlyDictionary<string, string> metadata, GpoModel<float> model, Data.PreferenceDataset dataset)
    {
        if (!metadata.TryGetValue(Training.MetaTrainer.PopulationGroupsKey, out var groupsJson))
            throw new InvalidDataException($"{path}: a {model.Inputs.MethodName} checkpoint without __metadata__.{Training.MetaTrainer.PopulationGroupsKey}");
        string[] groups;
        try { groups = System.Text.Json.JsonSerializer.Deserialize<string[]>(groupsJson) ?? []; }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{path}: __metadata__.{Training.MetaTrainer.PopulationGroupsKey} is not a JSON array of names", e); }
        if (metadata.TryGetValue("dataset_version", out var version) && version != dataset.Provenance.Version)
            throw new InvalidDataException($"{path}: trained on {(metadata.TryGetValue("dataset", out var name) ? name : "another dataset")} version {version[..Math.Min(12, version.Length)]}, not on {dataset.Name} version {dataset.Provenance.Version[..Math.Min(12, dataset.Provenance.Version.Length)]}: its population features need the same data");
        var missing = groups.Where(g => !dataset.HasGroup(g)).ToList();
        if (missing.Count > 0) throw new InvalidDataException($"{path}: the dataset lacks the training-side group(s) {string.Join(", ", missing)}");
        if (model.Inputs.TextDimension != dataset.Features?.Dimension)
            throw new InvalidDataException($"{path}: the model reads {model.Inputs.TextDimension}-wide text embeddings, the dataset's features are {dataset.Features?.Dimension ?? 0}-wide");
        return TrainingPopulation.FromDataset(dataset, groups);
    }

    /// <summary>The meta-trained model.</summary>
    public GpoModel<float> Model => _model;

    public double[][] Predict(Episode episode)
    {
        ArgumentNullException.ThrowIfNull(episode);
        if (episode.Queries.Count == 0) return [];
        var inputs = _model.Inputs;
        if (episode.Context.Count == 0)
        {
            if (!inputs.PriorOffset)
                throw new InvalidOperationException($"GPO needs at least one context question (group '{episode.Group}'); use k ≥ 1.");
            return episode.Queries.Select(q => PriorOf(q, episode.Group)).ToArray(); // every base is the prior without context
        }
        if (_population is null) return Pass(episode, new TextTokenInputs(inputs.Width));
        if (inputs.PopulationSlots == 0 || _population.IndexOf(episode.Group) >= 0 || _population.Groups.Count < 2)
            return Pass(episode, PopulationTokenInputs.ForEpisode(_population, inputs, episode));
        // A test group: average the passes that each leave one training-side group out, as every training group saw.
        double[][]? sum = null;
        foreach (var left in _population.Groups)
        {
            var pass = Pass(episode, new PopulationTokenInputs(_population, inputs, episode.Group, alsoExclude: left));
            sum ??= pass.Select(p => new double[p.Length]).ToArray();
            for (int q = 0; q < pass.Length; q++)
                for (int o = 0; o < pass[q].Length; o++) sum[q][o] += pass[q][o] / _population.Groups.Count;
        }
        return sum!;
    }

    private double[][] Pass(Episode episode, ITokenInputs tokens)
    {
        int width = tokens.Width;
        var context = new List<ContextToken>();
        foreach (var question in episode.Context)
        {
            var shares = question.Distribution
                ?? throw new InvalidOperationException($"Episode '{episode.Group}': context question '{question.QuestionId}' has no distribution.");
            if (shares.Length != question.OptionCount)
                throw new InvalidOperationException($"Episode '{episode.Group}': context question '{question.QuestionId}' has {question.OptionCount} options but {shares.Length} shares.");
            var x = new float[question.OptionCount * width];
            tokens.Write(question.QuestionId, question.OptionFeatures, x, default);
            for (int o = 0; o < question.OptionCount; o++) context.Add(new ContextToken(x.AsSpan(o * width, width).ToArray(), (float)shares[o]));
        }
        var targets = episode.Queries.Select(q =>
        {
            var x = new float[q.OptionCount * width];
            var offset = tokens.HasOffset ? new float[q.OptionCount] : null;
            tokens.Write(q.QuestionId, q.OptionFeatures, x, offset);
            var options = Enumerable.Range(0, q.OptionCount).Select(o => x.AsSpan(o * width, width).ToArray()).ToArray();
            return new TargetQuestion(options, null, offset);
        }).ToArray();
        var prediction = GpoInference.Predict(_model, context, targets, _engine);
        return prediction.Predictions.Select(p => p.Select(v => (double)v).ToArray()).ToArray();
    }

    private double[] PriorOf(EpisodeQuestion query, string group)
    {
        var exclude = _population!.IndexOf(group) >= 0 ? group : null;
        return _population.Prior(query.QuestionId, exclude) is { } prior && prior.Length == query.OptionCount
            ? prior
            : Enumerable.Repeat(1.0 / query.OptionCount, query.OptionCount).ToArray();
    }
}
