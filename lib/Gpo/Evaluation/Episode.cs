namespace Gpo.Evaluation;

/// <summary>
/// One question as the few-shot methods see it: a feature vector per option (the frozen encoder's
/// x) and, where known, the group's distribution over the options.
/// </summary>
/// <param name="QuestionId">Stable id of the question in its dataset.</param>
/// <param name="OptionFeatures">[optionCount][dimX] feature vectors, one per option.</param>
/// <param name="Distribution">[optionCount] observed shares of the group (sums to 1), or null when unknown.</param>
public sealed record EpisodeQuestion(string QuestionId, float[][] OptionFeatures, double[]? Distribution)
{
    /// <summary>Number of answer options (tokens) of this question.</summary>
    public int OptionCount => OptionFeatures.Length;
}

/// <summary>
/// A few-shot adaptation task for one group: k context questions whose distributions are given,
/// and query questions whose distributions are to be predicted (their <c>Distribution</c> may hold
/// the truth for scoring; predictors must not read it).
/// </summary>
/// <param name="Group">The group's name.</param>
/// <param name="Context">The k questions the method may learn from.</param>
/// <param name="Queries">The questions to predict.</param>
public sealed record Episode(string Group, IReadOnlyList<EpisodeQuestion> Context, IReadOnlyList<EpisodeQuestion> Queries)
{
    /// <summary>Feature width of the tokens (0 when the episode has no tokens).</summary>
    public int DimX => Context.Concat(Queries).Select(q => q.OptionFeatures.FirstOrDefault()?.Length ?? 0).FirstOrDefault(d => d > 0);

    /// <summary>The context as flat tokens: features [n][dimX] and targets y [n] (one per option).</summary>
    public (float[][] Features, double[] Shares) ContextTokens()
    {
        var features = new List<float[]>();
        var shares = new List<double>();
        foreach (var question in Context)
        {
            var distribution = question.Distribution
                ?? throw new InvalidOperationException($"Episode '{Group}': context question '{question.QuestionId}' has no distribution.");
            if (distribution.Length != question.OptionCount)
                throw new InvalidOperationException($"Episode '{Group}': context question '{question.QuestionId}' has {question.OptionCount} options but {distribution.Length} shares.");
            features.AddRange(question.OptionFeatures);
            shares.AddRange(distribution);
        }
        return (features.ToArray(), shares.ToArray());
    }
}

/// <summary>
/// A method that predicts a group's answer distributions from a few examples: GPO and every baseline
/// implement it, so they are compared on the same episodes by the same metric code.
/// </summary>
public interface IPreferencePredictor
{
    /// <summary>The method's name as it appears in result files (e.g. <c>gpo</c>, <c>uniform</c>).</summary>
    string Name { get; }

    /// <summary>Predicts a distribution for every query question of the episode, in order: [queryCount][optionCount].</summary>
    double[][] Predict(Episode episode);
}
