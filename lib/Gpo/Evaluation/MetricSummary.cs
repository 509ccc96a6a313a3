using Gpo.Data;

namespace Gpo.Evaluation;

/// <summary>A prediction p̂ for one (group, question) with the group's true distribution p.</summary>
public sealed record Prediction(string Group, Question Question, IReadOnlyList<double> Predicted, IReadOnlyList<double> Target);

/// <summary>One metric value for one (group, question) pair.</summary>
public readonly record struct ScoredPair(string Group, string QuestionId, double Value);

/// <summary>A group's mean over its scored questions.</summary>
public sealed record GroupScore(string Group, double Mean, int Questions);

/// <summary>
/// A metric aggregated over (group, question) pairs: the mean over all pairs (gpo.md §5's alignment score),
/// the mean of per-group means, every group's mean, the worst group (lowest for scores, highest for
/// distances), and a percentile bootstrap confidence interval of the pair mean, resampling questions.
/// </summary>
public sealed record MetricSummary(
    string Metric,
    bool HigherIsBetter,
    double Mean,
    double MeanOfGroups,
    IReadOnlyList<GroupScore> PerGroup,
    GroupScore Worst,
    double CiLow,
    double CiHigh,
    double ConfidenceLevel,
    int BootstrapSamples,
    int Pairs,
    int Skipped)
{
    /// <summary>Scores every prediction; pairs where the metric is undefined (W1 without ordinals or with W_max = 0) are counted as skipped.</summary>
    public static (IReadOnlyList<ScoredPair> Scores, int Skipped) Score(AlignmentMetric metric, IEnumerable<Prediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        return Score(metric, predictions.Select(p => (p.Group, p.Question.Id, p.Predicted, p.Target, p.Question.Ordinals)));
    }

    /// <summary>Scores (group, question id, p̂, p, ordinals) pairs; undefined pairs are counted as skipped; a bad pair is an error naming it.</summary>
    public static (IReadOnlyList<ScoredPair> Scores, int Skipped) Score(AlignmentMetric metric,
        IEnumerable<(string Group, string QuestionId, IReadOnlyList<double> Predicted, IReadOnlyList<double> Target, IReadOnlyList<double>? Ordinals)> pairs)
    {
        ArgumentNullException.ThrowIfNull(metric);
        ArgumentNullException.ThrowIfNull(pairs);
        var scores = new List<ScoredPair>();
        int skipped = 0;
        foreach (var (group, questionId, predicted, target, ordinals) in pairs)
        {
            double? value;
            try { value = metric.Score(predicted, target, ordinals); }
            catch (ArgumentException e) { throw new ArgumentException($"group '{group}', question {questionId}: {e.Message}", e); }
            if (value is { } v) scores.Add(new ScoredPair(group, questionId, v));
            else skipped++;
        }
        return (scores, skipped);
    }

    /// <summary>Scores and summarises in one call.</summary>
    public static MetricSummary Of(AlignmentMetric metric, IEnumerable<Prediction> predictions, int bootstrapSamples = 1000, int seed = 0, double confidenceLevel = 0.95)
    {
        var (scores, skipped) = Score(metric, predictions);
        return Summarise(metric, scores, skipped, bootstrapSamples, seed, confidenceLevel);
    }

    /// <summary>
    /// Aggregates scored pairs. The bootstrap draws, <paramref name="bootstrapSamples"/> times, as many questions
    /// as there are distinct scored questions, with replacement (seeded), and takes the mean over all pairs of the
    /// drawn questions (with multiplicity); the interval is the percentile interval at <paramref name="confidenceLevel"/>.
    /// No pairs, or a NaN value, is an error.
    /// </summary>
    public static MetricSummary Summarise(AlignmentMetric metric, IReadOnlyList<ScoredPair> scores, int skipped = 0, int bootstrapSamples = 1000, int seed = 0, double confidenceLevel = 0.95)
    {
        ArgumentNullException.ThrowIfNull(metric);
        ArgumentNullException.ThrowIfNull(scores);
        if (scores.Count == 0) throw new ArgumentException($"{metric.Name}: no scored (group, question) pairs{(skipped > 0 ? $" ({skipped} skipped as undefined)" : "")}");
        if (scores.FirstOrDefault(s => double.IsNaN(s.Value)) is { Group: not null } nan)
            throw new ArgumentException($"{metric.Name}: NaN for group '{nan.Group}', question {nan.QuestionId}");
        ArgumentOutOfRangeException.ThrowIfLessThan(bootstrapSamples, 0);
        if (!(confidenceLevel > 0 && confidenceLevel < 1)) throw new ArgumentOutOfRangeException(nameof(confidenceLevel));

        double mean = scores.Average(s => s.Value);
        var perGroup = scores.GroupBy(s => s.Group).Select(g => new GroupScore(g.Key, g.Average(s => s.Value), g.Count())).ToList();
        double meanOfGroups = perGroup.Average(g => g.Mean);
        var worst = metric.HigherIsBetter ? perGroup.MinBy(g => g.Mean)! : perGroup.MaxBy(g => g.Mean)!;

        double ciLow = mean, ciHigh = mean;
        if (bootstrapSamples > 0)
        {
            var byQuestion = scores.GroupBy(s => s.QuestionId).Select(g => (Sum: g.Sum(s => s.Value), Count: g.Count())).ToArray();
            var random = SeededRandom.Create(seed, "bootstrap/" + metric.Name);
            var means = new double[bootstrapSamples];
            for (int b = 0; b < bootstrapSamples; b++)
            {
                double sum = 0;
                int count = 0;
                for (int i = 0; i < byQuestion.Length; i++)
                {
                    var (qSum, qCount) = byQuestion[random.Next(byQuestion.Length)];
                    sum += qSum;
                    count += qCount;
                }
                means[b] = sum / count;
            }
            Array.Sort(means);
            double alpha = (1 - confidenceLevel) / 2;
            ciLow = Percentile(means, alpha);
            ciHigh = Percentile(means, 1 - alpha);
        }
        return new MetricSummary(metric.Name, metric.HigherIsBetter, mean, meanOfGroups, perGroup, worst, ciLow, ciHigh, confidenceLevel, bootstrapSamples, scores.Count, skipped);
    }

    /// <summary>Linear-interpolation percentile of sorted values (numpy's default method).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double fraction)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0) throw new ArgumentException("percentile of no values");
        double position = fraction * (sorted.Count - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(lower + 1, sorted.Count - 1);
        double weight = position - lower;
        if (double.IsInfinity(sorted[lower]) || double.IsInfinity(sorted[upper])) return weight == 0 ? sorted[lower] : sorted[upper];
        return sorted[lower] + (sorted[upper] - sorted[lower]) * weight;
    }
}
