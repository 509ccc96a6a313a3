namespace Gpo.Evaluation.Baselines;

/// <summary>
/// The population prior: for each query question, the mean distribution of the meta-train groups
/// that answered the same question. The group's own context is ignored. Where no meta-train group
/// answered the question, the uniform distribution is used and counted in <see cref="FallbackCount"/>.
/// This is the strong, cheap baseline the paper omitted (spec gpo.md §6).
/// </summary>
public sealed class PopulationPriorPredictor : IPreferencePredictor
{
    private readonly Func<string, string, double[]?> _prior;

    /// <param name="meanByQuestion">Question id → mean distribution over the meta-train groups.</param>
    public PopulationPriorPredictor(IReadOnlyDictionary<string, double[]> meanByQuestion)
    {
        ArgumentNullException.ThrowIfNull(meanByQuestion);
        _prior = (questionId, _) => meanByQuestion.TryGetValue(questionId, out var mean) ? (double[])mean.Clone() : null;
    }

    /// <summary>
    /// The prior of a <see cref="TrainingPopulation"/>. When an episode's group is itself in the population
    /// (a validation group), its own answers are left out of the mean (<see cref="TrainingPopulation.Prior"/>).
    /// </summary>
    public PopulationPriorPredictor(TrainingPopulation population)
    {
        ArgumentNullException.ThrowIfNull(population);
        Population = population;
        _prior = (questionId, group) => population.Prior(questionId, excludeGroup: group);
    }

    public string Name => "population_prior";

    /// <summary>The population the prior is read from, when built from one (else null).</summary>
    public TrainingPopulation? Population { get; }

    /// <summary>How many query questions so far had no meta-train answer and fell back to uniform.</summary>
    public int FallbackCount { get; private set; }

    /// <summary>Averages the distributions of the given groups per question id.</summary>
    /// <param name="distributions">One (question id, distribution) sequence per meta-train group.</param>
    public static PopulationPriorPredictor FromGroups(IEnumerable<IEnumerable<(string QuestionId, double[] Distribution)>> distributions)
    {
        ArgumentNullException.ThrowIfNull(distributions);
        var population = TrainingPopulation.FromGroups(distributions.Select((answers, g) => ($"#{g + 1}", answers)));
        return new PopulationPriorPredictor(population.QuestionIds.ToDictionary(q => q, q => population.Prior(q)!, StringComparer.Ordinal));
    }

    public double[][] Predict(Episode episode)
    {
        ArgumentNullException.ThrowIfNull(episode);
        var predictions = new double[episode.Queries.Count][];
        for (var i = 0; i < predictions.Length; i++)
        {
            var query = episode.Queries[i];
            if (_prior(query.QuestionId, episode.Group) is { } mean && mean.Length == query.OptionCount)
            {
                predictions[i] = mean;
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
