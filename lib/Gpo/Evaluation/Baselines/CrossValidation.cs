namespace Gpo.Evaluation.Baselines;

/// <summary>Question-wise cross-validation folds for choosing a baseline's knob on the context alone.</summary>
internal static class CrossValidation
{
    /// <summary>At most this many folds: leave-one-question-out for small contexts, 5-fold beyond.</summary>
    public const int MaxFolds = 5;

    /// <summary>The held-out question indices of each fold: question i goes to fold i mod min(count, <see cref="MaxFolds"/>).</summary>
    public static IReadOnlyList<HashSet<int>> Folds(int questionCount)
    {
        var folds = Math.Min(questionCount, MaxFolds);
        return Enumerable.Range(0, folds).Select(f => Enumerable.Range(0, questionCount).Where(i => i % folds == f).ToHashSet()).ToList();
    }
}
