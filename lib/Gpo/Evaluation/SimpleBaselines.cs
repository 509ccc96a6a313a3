using Gpo.Data;

namespace Gpo.Evaluation;

/// <summary>
/// The two predictions that need no model (gpo.md §6): uniform over the options, and the population prior —
/// the mean distribution of other groups on the same question. The paper omitted the prior; it is the bar
/// GPO has to clear (≈0.94 alignment_w1 on opinionqa-500, ≈0.82 alignment_js on globalqa-14).
/// </summary>
public static class SimpleBaselines
{
    /// <summary>1/K for each of the question's K options.</summary>
    public static double[] Uniform(Question question)
    {
        ArgumentNullException.ThrowIfNull(question);
        return Enumerable.Repeat(1.0 / question.OptionCount, question.OptionCount).ToArray();
    }

    /// <summary>
    /// The mean of the distributions of <paramref name="fromGroups"/> (those that have the question) on question
    /// <paramref name="questionIndex"/>, or null when none has it. Pass the meta-train groups for the prior used
    /// against test groups, or "all other groups" for a leave-one-out check.
    /// </summary>
    public static double[]? PopulationPrior(PreferenceDataset dataset, int questionIndex, IEnumerable<int> fromGroups)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(fromGroups);
        var mean = new double[dataset.Questions[questionIndex].OptionCount];
        int count = 0;
        foreach (int g in fromGroups)
        {
            if (!dataset.TryGetDistribution(g, questionIndex, out var p)) continue;
            for (int o = 0; o < mean.Length; o++) mean[o] += p[o];
            count++;
        }
        if (count == 0) return null;
        for (int o = 0; o < mean.Length; o++) mean[o] /= count;
        return mean;
    }
}
