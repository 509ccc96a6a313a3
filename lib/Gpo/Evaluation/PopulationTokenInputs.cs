using Gpo.Evaluation.Baselines;
using Gpo.Model;

namespace Gpo.Evaluation;

/// <summary>
/// The population features of <see cref="GpoInputs"/> for one group: for each option, the text embedding, then
/// p̄ (the mean share of the training-side groups that answered the question, leaving the group itself out), log p̄
/// (floored), a covered flag (1 when some other training-side group answered it), and per slot the slot's group's share
/// minus p̄ (scaled) with a presence flag; with <see cref="GpoInputs.PriorOffset"/> the offset is log p̄. A question no
/// other training-side group answered gets the uniform distribution as p̄ and empty slots.
/// </summary>
public sealed class PopulationTokenInputs : ITokenInputs
{
    private readonly TrainingPopulation _population;
    private readonly GpoInputs _inputs;
    private readonly int _exclude;
    private readonly int[] _slots;

    /// <param name="population">The training-side groups.</param>
    /// <param name="inputs">The model's inputs (must have population features).</param>
    /// <param name="group">The group whose tokens these are: left out of its own features when it is in the population.
    /// A group outside the population (a test group) that should see one group fewer, as in training, is given with
    /// <paramref name="alsoExclude"/>.</param>
    /// <param name="alsoExclude">A further population group left out of p̄ and the slots, or null.</param>
    /// <param name="slotOrder">Population group index per slot (−1 = empty), at most <see cref="GpoInputs.PopulationSlots"/>;
    /// null = the population's order, the group itself skipped.</param>
    public PopulationTokenInputs(TrainingPopulation population, GpoInputs inputs, string group, IReadOnlyList<int>? slotOrder = null, string? alsoExclude = null)
    {
        ArgumentNullException.ThrowIfNull(population);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(group);
        if (!inputs.Population) throw new ArgumentException("These inputs have no population features.", nameof(inputs));
        _population = population;
        _inputs = inputs;
        _exclude = population.IndexOf(group);
        if (alsoExclude is not null)
        {
            if (_exclude >= 0) throw new ArgumentException($"Group '{group}' is in the population; it cannot leave out '{alsoExclude}' as well.", nameof(alsoExclude));
            _exclude = population.IndexOf(alsoExclude);
            if (_exclude < 0) throw new ArgumentException($"'{alsoExclude}' is not in the population.", nameof(alsoExclude));
        }
        var exclude = _exclude;
        var order = slotOrder ?? Enumerable.Range(0, population.Groups.Count).Where(g => g != exclude).ToArray();
        if (order.Count > inputs.PopulationSlots && inputs.PopulationSlots > 0 && slotOrder is null)
            throw new ArgumentException($"The model has {inputs.PopulationSlots} group slots; the population has {order.Count} other groups.", nameof(population));
        _slots = new int[inputs.PopulationSlots];
        for (int s = 0; s < _slots.Length; s++)
        {
            _slots[s] = s < order.Count ? order[s] : -1;
            if (_slots[s] == _exclude && _exclude >= 0) throw new ArgumentException($"Slot {s} holds the group '{group}' itself.", nameof(slotOrder));
        }
    }

    /// <summary>
    /// The token inputs of an episode's group: population features, and with <see cref="GpoInputs.PriorResidualBase"/> offsets on
    /// the <c>prior_residual</c> baseline fitted to the episode's context (the group itself left out of the population).
    /// </summary>
    public static ITokenInputs ForEpisode(TrainingPopulation population, GpoInputs inputs, Episode episode, IReadOnlyList<int>? slotOrder = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(episode);
        ITokenInputs tokens = new PopulationTokenInputs(population, inputs, episode.Group, slotOrder);
        return inputs.PriorOffset && inputs.OffsetBase == GpoInputs.PriorResidualBase
            ? new BaseOffsetTokenInputs(tokens, BaseOffsetTokenInputs.Predictions(new PriorResidualPredictor(population), episode))
            : tokens;
    }

    /// <summary>A random slot order for meta-training: the population's groups other than <paramref name="group"/>, shuffled, then empty slots.</summary>
    public static int[] RandomSlots(TrainingPopulation population, string group, int slots, Random random)
    {
        ArgumentNullException.ThrowIfNull(population);
        ArgumentNullException.ThrowIfNull(random);
        var exclude = population.IndexOf(group);
        var others = Data.SeededRandom.Shuffled(Enumerable.Range(0, population.Groups.Count).Where(g => g != exclude), random);
        var order = new int[slots];
        for (int s = 0; s < slots; s++) order[s] = s < others.Count ? others[s] : -1;
        return order;
    }

    public int Width => _inputs.Width;

    public bool HasOffset => _inputs.PriorOffset;

    public void Write(string questionId, IReadOnlyList<float[]> textFeatures, Span<float> x, Span<float> offset)
    {
        ArgumentNullException.ThrowIfNull(textFeatures);
        int options = textFeatures.Count, text = _inputs.TextDimension, width = _inputs.Width;
        var answers = _population.Answers(questionId);
        // p̄ by the population's own rule (the mean of the answering groups, the left-out group excluded); uniform where none answered.
        var mean = _exclude >= 0 ? _population.Prior(questionId, _population.Groups[_exclude]) : _population.Prior(questionId);
        if (mean is not null && mean.Length != options)
            throw new InvalidOperationException($"Question '{questionId}': the population has {mean.Length} options, the features {options}.");
        var covered = mean is not null;
        var prior = mean ?? Enumerable.Repeat(1.0 / options, options).ToArray();

        for (int o = 0; o < options; o++)
        {
            var row = x.Slice(o * width, width);
            if (textFeatures[o].Length != text)
                throw new InvalidOperationException($"Question '{questionId}', option {o}: {textFeatures[o].Length} features, expected {text}.");
            textFeatures[o].CopyTo(row);
            var logPrior = (float)Math.Log(Math.Max(prior[o], GpoInputs.ShareFloor));
            row[text] = (float)prior[o];
            row[text + 1] = logPrior;
            row[text + 2] = covered ? 1f : 0f;
            for (int s = 0; s < _slots.Length; s++)
            {
                var share = SlotShare(answers, _slots[s], o);
                row[text + GpoInputs.SummaryFeatures + GpoInputs.SlotFeatures * s] = share is { } v ? (float)((v - prior[o]) * GpoInputs.DeviationScale) : 0f;
                row[text + GpoInputs.SummaryFeatures + GpoInputs.SlotFeatures * s + 1] = share is null ? 0f : 1f;
            }
            if (_inputs.PriorOffset && !offset.IsEmpty) offset[o] = logPrior;
        }
    }

    private static double? SlotShare(IReadOnlyList<(int Group, double[] Distribution)> answers, int group, int option)
    {
        if (group < 0) return null;
        foreach (var (g, distribution) in answers)
            if (g == group) return distribution[option];
        return null;
    }
}

/// <summary>
/// Token inputs whose target offsets are the log of a base method's prediction for the group (e.g. <c>prior_residual</c> fitted to
/// its context) instead of log p̄; x is written by the inner inputs. A question the base did not predict keeps the inner offset.
/// </summary>
public sealed class BaseOffsetTokenInputs(ITokenInputs inner, IReadOnlyDictionary<string, double[]> basePredictions) : ITokenInputs
{
    public int Width => inner.Width;

    public bool HasOffset => true;

    public void Write(string questionId, IReadOnlyList<float[]> textFeatures, Span<float> x, Span<float> offset)
    {
        inner.Write(questionId, textFeatures, x, offset);
        if (offset.IsEmpty || !basePredictions.TryGetValue(questionId, out var shares)) return;
        if (shares.Length != offset.Length)
            throw new InvalidOperationException($"Question '{questionId}': the base predicts {shares.Length} options, the question has {offset.Length}.");
        for (int o = 0; o < shares.Length; o++) offset[o] = (float)Math.Log(Math.Max(shares[o], GpoInputs.ShareFloor));
    }

    /// <summary>The base predictions of an episode's queries by question id, from <paramref name="method"/>.</summary>
    public static Dictionary<string, double[]> Predictions(IPreferencePredictor method, Episode episode)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(episode);
        var predicted = method.Predict(episode);
        var byQuestion = new Dictionary<string, double[]>(StringComparer.Ordinal);
        for (int q = 0; q < predicted.Length; q++) byQuestion[episode.Queries[q].QuestionId] = predicted[q];
        return byQuestion;
    }
}
