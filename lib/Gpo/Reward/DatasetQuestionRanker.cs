using Gpo.Data;
using Gpo.Evaluation;

namespace Gpo.Reward;

/// <summary>
/// Ranks the options of a dataset question for a group with any GPO checkpoint, through the same path as evaluation:
/// an <see cref="Episode"/> whose context is the group's context questions (with its answers) and whose single query is
/// the question, predicted by <see cref="GpoPredictor"/>. This is how the population variants (gpo-prior, gpo-groups,
/// gpo-residual) rank: they read what the training-side groups answered for each option, which exists for a dataset
/// question but not for free-text candidates (<see cref="GroupRewardModel"/> ranks those, with the paper's module).
/// The dataset must carry the features the checkpoint was trained on (same encoder, template and post-processing) and be
/// the version it was trained on; <see cref="GpoPredictor.FromCheckpoint"/> refuses another version.
/// </summary>
public sealed class DatasetQuestionRanker
{
    /// <param name="predictor">The method whose shares rank the options (a <see cref="GpoPredictor"/>, or any other predictor).</param>
    /// <param name="dataset">The dataset with the features <paramref name="predictor"/> reads.</param>
    public DatasetQuestionRanker(IPreferencePredictor predictor, PreferenceDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(dataset);
        if (dataset.Features is null) throw new ArgumentException($"Dataset '{dataset.Name}' has no feature vectors: attach the features the checkpoint was trained on first.", nameof(dataset));
        Predictor = predictor;
        Dataset = dataset;
    }

    /// <summary>The checkpoint at <paramref name="checkpoint"/> as a ranker for <paramref name="dataset"/> (with features); see <see cref="GpoPredictor.FromCheckpoint"/>.</summary>
    public static DatasetQuestionRanker FromCheckpoint(string checkpoint, PreferenceDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentNullException.ThrowIfNull(dataset);
        if (dataset.Features is null) throw new ArgumentException($"Dataset '{dataset.Name}' has no feature vectors: attach the features {checkpoint} was trained on first.", nameof(dataset));
        return new DatasetQuestionRanker(GpoPredictor.FromCheckpoint(checkpoint, dataset).Predictor, dataset);
    }

    /// <summary>The predictor whose shares rank the options.</summary>
    public IPreferencePredictor Predictor { get; }

    /// <summary>The dataset with features.</summary>
    public PreferenceDataset Dataset { get; }

    /// <summary>
    /// The episode that ranks <paramref name="questionId"/> for <paramref name="group"/>: the group's answers to
    /// <paramref name="contextIds"/> as context, the question as the one query (without any distribution).
    /// The question may not be a context question, and the group must have answered every context question.
    /// </summary>
    public Episode Episode(string group, IReadOnlyList<string> contextIds, string questionId)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(contextIds);
        ArgumentNullException.ThrowIfNull(questionId);
        Dataset.GroupIndex(group);
        Dataset.QuestionIndex(questionId);
        if (contextIds.Contains(questionId)) throw new ArgumentException($"question {questionId} is one of the group's context questions; rank a question outside the context");
        if (contextIds.Distinct().Count() != contextIds.Count) throw new ArgumentException($"the context lists a question twice ({contextIds.GroupBy(id => id).First(g => g.Count() > 1).Key})");
        var context = contextIds.Select(id => EpisodeFactory.Question(Dataset, group, id)).ToArray();
        return new Episode(group, context, [EpisodeFactory.Unanswered(Dataset, questionId)]);
    }

    /// <summary>
    /// The options of <paramref name="questionId"/> ranked for <paramref name="group"/> by the predictor's shares on
    /// <see cref="Episode"/> (the highest share first, ties to the lower option index).
    /// </summary>
    public CandidateRanking Rank(string group, IReadOnlyList<string> contextIds, string questionId)
    {
        var episode = Episode(group, contextIds, questionId);
        var shares = Predictor.Predict(episode);
        var question = Dataset.GetQuestion(questionId);
        if (shares.Length != 1 || shares[0].Length != question.OptionCount)
            throw new InvalidOperationException($"{Predictor.Name} predicted {(shares.Length == 1 ? shares[0].Length : 0)} shares for the {question.OptionCount} options of {questionId}");
        return CandidateRanking.FromShares(group, question.Text, question.Options, shares[0]);
    }
}
