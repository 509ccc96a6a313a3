namespace Gpo.Evaluation.Baselines;

/// <summary>
/// The population prior: for each query question, the mean distribution of the meta-train groups
/// that answered the same question. The group's own context is ignored. Where no meta-train group
/// answered the question, the uniform distribution is used and counted in <see cref="FallbackCount"/>.
/// This is the strong, cheap baseline the paper omitted (spec gpo.md §6).
/// </summary>
public sealed class PopulationPriorPredictor : IPreferencePredictor
{
    private readonly IReadOnlyDictionary<string, double[]> _meanByQuestion;

    /// <param name="meanByQuestion">Question id → mean distribution over the meta-train groups.</param>
    public PopulationPriorPredictor(IReadOnlyDictionary<string, double[]> meanByQuestion) => _meanByQuestion = meanByQuestion;

    public string Name => "population_prior";

    /// <summary>How many query questions so far had no meta-train answer and fell back to uniform.</summary>
    public int FallbackCount { get; private set; }

    /// <summary>Averages the distributions of the given groups per question id.</summary>
    /// <param name="distributions">One (question id, distribution) sequence per meta-train group.</param>
    public static PopulationPriorPredictor FromGroups(IEnumerable<IEnumerable<(string QuestionId, double[] Distribution)>> distributions)
    {
        ArgumentNullException.ThrowIfNull(distributions);
        var sums = new Dictionary<string, (double[] Sum, int Count)>();
        foreach (var group in distributions)
        {
            foreach (var (questionId, distribution) in group)
            {
                if (!sums.TryGetValue(questionId, out var entry))
                    entry = (new double[distribution.Length], 0);
                if (entry.Sum.Length != distribution.Length)
                    throw new InvalidOperationException($"Question '{questionId}': groups disagree on the option count ({entry.Sum.Length} vs {distribution.Length}).");
                for (var i = 0; i < distribution.Length; i++) entry.Sum[i] += distribution[i];
                sums[questionId] = (entry.Sum, entry.Count + 1);
            }
        }
        return new PopulationPriorPredictor(sums.ToDictionary(kv => kv.Key, kv => kv.Value.Sum.Select(s => s / kv.Value.Count).ToArray()));
    }

    public double[][] Predict(Episode episode)
    {
        ArgumentNullException.ThrowIfNull(episode);
        var predictions = new double[episode.Queries.Count][];
        for (var i = 0; i < predictions.Length; i++)
        {
            var query = episode.Queries[i];
            if (_meanByQuestion.TryGetValue(query.QuestionId, out var mean) && mean.Length == query.OptionCount)
            {
                predictions[i] = (double[])mean.Clone();
            }
            else
            {
                FallbackCount++;
                predictions[i] = Enumerable.Repeat(1.0 / query.OptionCount, query.OptionCount).ToArray();
            }
        }
        return predictions;
    }
}
