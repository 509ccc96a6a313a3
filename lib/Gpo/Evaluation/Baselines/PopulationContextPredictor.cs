namespace Gpo.Evaluation.Baselines;

/// <summary>
/// One question as the context-using baselines see it: the training-side groups that answered it with their
/// shares, their mean (the population prior) and, for a context question, the group's own shares.
/// </summary>
/// <param name="QuestionId">The question's id.</param>
/// <param name="Answers">The answering training-side groups: (index into the population's groups, shares [options]).</param>
/// <param name="Prior">The mean of <paramref name="Answers"/> [options].</param>
/// <param name="Shares">The episode group's observed shares [options] (context questions), or null (queries).</param>
internal sealed record PopulationQuestion(string QuestionId, IReadOnlyList<(int Group, double[] Distribution)> Answers, double[] Prior, double[]? Shares)
{
    /// <summary>Number of answer options.</summary>
    public int OptionCount => Prior.Length;
}

/// <summary>
/// A baseline that predicts a group's distributions from the training-side groups' answers to the same
/// questions (a <see cref="TrainingPopulation"/>) and the group's k context answers. Shared rules:
/// the episode's own group is left out of the population (a validation group never sees its own answers);
/// a query no training-side group answered gets the uniform distribution and is counted in
/// <see cref="FallbackCount"/>; context questions no training-side group answered are not used; with no usable
/// context the prediction is exactly the population prior (<see cref="TrainingPopulation.Prior"/>), so a
/// k-sweep can start at k = 0. Shares are validated: an error names the group and the question.
/// </summary>
public abstract class PopulationContextPredictor : IPreferencePredictor
{
    private protected PopulationContextPredictor(TrainingPopulation population)
    {
        ArgumentNullException.ThrowIfNull(population);
        Population = population;
    }

    /// <summary>The training-side groups' answers.</summary>
    public TrainingPopulation Population { get; }

    /// <summary>Smallest share whose logarithm is taken in a cross-entropy (a 0 share is scored as this).</summary>
    public double Floor { get; init; } = 1e-3;

    /// <inheritdoc />
    public abstract string Name { get; }

    /// <summary>How many query questions so far no training-side group answered (predicted uniform).</summary>
    public int FallbackCount { get; private set; }

    /// <inheritdoc />
    public double[][] Predict(Episode episode)
    {
        ArgumentNullException.ThrowIfNull(episode);
        var population = Population.Without(episode.Group);
        var context = new List<PopulationQuestion>();
        foreach (var question in episode.Context)
        {
            var shares = question.Distribution
                ?? throw new InvalidOperationException($"Episode '{episode.Group}': context question '{question.QuestionId}' has no distribution.");
            ValidateShares(episode.Group, question, shares);
            if (Read(population, episode.Group, question, shares) is { } read) context.Add(read);
        }
        var model = context.Count == 0 ? null : Fit(context, population);

        var predictions = new double[episode.Queries.Count][];
        for (var i = 0; i < predictions.Length; i++)
        {
            var query = episode.Queries[i];
            if (Read(population, episode.Group, query, shares: null) is not { } read)
            {
                FallbackCount++;
                predictions[i] = Enumerable.Repeat(1.0 / query.OptionCount, query.OptionCount).ToArray();
            }
            else
            {
                predictions[i] = model is null ? read.Prior : model(read);
            }
        }
        return predictions;
    }

    /// <summary>
    /// Fits the method to the usable context (at least one question); returns the prediction of a query.
    /// <paramref name="population"/> is the population the questions' group indices point into (the episode's group left out).
    /// </summary>
    private protected abstract Func<PopulationQuestion, double[]> Fit(IReadOnlyList<PopulationQuestion> context, TrainingPopulation population);

    /// <summary>−Σ_o y_o log max(p̂_o, floor): the cross-entropy of a prediction against observed shares.</summary>
    internal static double CrossEntropy(double[] shares, double[] predicted, double floor)
    {
        var loss = 0.0;
        for (var o = 0; o < shares.Length; o++)
            if (shares[o] > 0) loss -= shares[o] * Math.Log(Math.Max(predicted[o], floor));
        return loss;
    }

    /// <summary>The question with its population answers and prior, or null when no group answered it.</summary>
    private static PopulationQuestion? Read(TrainingPopulation population, string group, EpisodeQuestion question, double[]? shares)
    {
        var answers = population.Answers(question.QuestionId);
        if (answers.Count == 0) return null;
        var options = answers[0].Distribution.Length;
        if (options != question.OptionCount)
            throw new InvalidOperationException($"Episode '{group}', question '{question.QuestionId}': the episode has {question.OptionCount} options but the training groups answered {options}.");
        return new PopulationQuestion(question.QuestionId, answers, population.Prior(question.QuestionId)!, shares);
    }

    private static void ValidateShares(string group, EpisodeQuestion question, double[] shares)
    {
        if (shares.Length != question.OptionCount)
            throw new InvalidOperationException($"Episode '{group}': context question '{question.QuestionId}' has {question.OptionCount} options but {shares.Length} shares.");
        for (var o = 0; o < shares.Length; o++)
            if (!double.IsFinite(shares[o]) || shares[o] < 0)
                throw new InvalidOperationException($"Episode '{group}': context question '{question.QuestionId}' share {o} is {shares[o]} (must be finite and ≥ 0).");
    }
}
