using Gpo.Data;

namespace Gpo.Evaluation;

/// <summary>Builds the few-shot <see cref="Episode"/>s and meta-training question lists from a dataset with features.</summary>
public static class EpisodeFactory
{
    /// <summary>One question of a group as tokens: per-option features and the group's distribution.</summary>
    public static EpisodeQuestion Question(PreferenceDataset dataset, string group, string questionId) =>
        Unanswered(dataset, questionId) with { Distribution = [.. dataset.GetDistribution(group, questionId)] };

    /// <summary>A question as tokens without any group's distribution: a query to predict (the group need not have answered it).</summary>
    public static EpisodeQuestion Unanswered(PreferenceDataset dataset, string questionId)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var features = dataset.Features
            ?? throw new InvalidOperationException($"Dataset '{dataset.Name}' has no feature vectors: embed it first (gpo embed) or use the synthetic benchmark.");
        var question = dataset.GetQuestion(questionId);
        var rows = features.ForQuestion(questionId);
        var options = new float[question.OptionCount][];
        for (var o = 0; o < options.Length; o++)
            options[o] = rows.Slice(o * features.Dimension, features.Dimension).ToArray();
        return new EpisodeQuestion(questionId, options, null);
    }

    /// <summary>Every question of <paramref name="group"/>, in dataset order (meta-training data).</summary>
    public static IReadOnlyList<EpisodeQuestion> AllQuestions(PreferenceDataset dataset, string group)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return dataset.QuestionIdsOf(group).Select(id => Question(dataset, group, id)).ToArray();
    }

    /// <summary>The episode of one context/query draw.</summary>
    public static Episode Episode(PreferenceDataset dataset, ContextQuerySplit draw)
    {
        ArgumentNullException.ThrowIfNull(draw);
        return new Episode(draw.Group,
            draw.ContextQuestionIds.Select(id => Question(dataset, draw.Group, id)).ToArray(),
            draw.QueryQuestionIds.Select(id => Question(dataset, draw.Group, id)).ToArray());
    }
}
