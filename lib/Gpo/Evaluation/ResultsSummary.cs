using System.Globalization;
using System.Text;
using Gpo.IO;

namespace Gpo.Evaluation;

/// <summary>
/// One line of <c>summary.csv</c>: a metric for one (method, split), as the mean and standard deviation
/// over seeds of the per-seed score (the mean over all (held-out group, query question) pairs), plus the
/// percentile bootstrap interval over questions of all seeds' pairs pooled, and the worst group's score.
/// </summary>
public sealed record SummaryRow(
    string Method, string Split, string Metric, double Mean, double Std, int Seeds,
    double CiLow, double CiHigh, double WorstGroupMean, string WorstGroup, int Pairs);

/// <summary>
/// Recomputes every summary number from saved predictions (<see cref="PredictionTable"/>), so that what a
/// table or figure shows can always be traced back to rows of <c>predictions.csv</c>.
/// </summary>
public static class ResultsSummary
{
    /// <summary>Scores each question with each metric and aggregates per (method, split).</summary>
    /// <param name="questions">Predictions regrouped by question (<see cref="PredictionTable.Questions"/>).</param>
    /// <param name="metrics">Metrics to report; a metric that needs ordinals is skipped where a dataset has none.</param>
    /// <param name="bootstrapSamples">Bootstrap resamples for the interval (seeded by <paramref name="seed"/>).</param>
    /// <param name="seed">Seed of the bootstrap.</param>
    public static List<SummaryRow> Compute(IReadOnlyList<ScoredQuestion> questions, IReadOnlyList<AlignmentMetric> metrics, int bootstrapSamples = 1000, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(questions);
        ArgumentNullException.ThrowIfNull(metrics);
        var rows = new List<SummaryRow>();
        foreach (var cell in questions.GroupBy(q => (q.Method, q.Split)))
        {
            foreach (var metric in metrics)
            {
                var scoredBySeed = cell.GroupBy(q => q.Seed).OrderBy(g => g.Key)
                    .Select(g => Score(metric, g))
                    .Where(s => s.Count > 0)
                    .ToList();
                if (scoredBySeed.Count == 0) continue; // e.g. W1 on a dataset without ordinals
                var perSeed = scoredBySeed.Select(s => MetricSummary.Summarise(metric, s, bootstrapSamples: 0)).ToList();
                // Pool seeds for the interval; a question id repeats across seeds, so key by seed too.
                var pooled = scoredBySeed.SelectMany((s, i) => s.Select(p => p with { QuestionId = $"{i}/{p.QuestionId}" })).ToList();
                var all = MetricSummary.Summarise(metric, pooled, bootstrapSamples: bootstrapSamples, seed: seed);
                var means = perSeed.Select(s => s.Mean).ToArray();
                var mean = means.Average();
                var std = Math.Sqrt(means.Sum(m => (m - mean) * (m - mean)) / means.Length);
                var worst = perSeed.Select(s => s.Worst).GroupBy(w => w.Group).OrderByDescending(g => g.Count()).First().Key;
                rows.Add(new SummaryRow(cell.Key.Method, cell.Key.Split, metric.Name, mean, std, means.Length,
                    all.CiLow, all.CiHigh, perSeed.Average(s => s.Worst.Mean), worst, pooled.Count));
            }
        }
        return rows;
    }

    /// <summary>Per-group means of one metric for each (method, split, group), averaged over seeds.</summary>
    public static List<(string Method, string Split, string Group, double Mean)> PerGroup(IReadOnlyList<ScoredQuestion> questions, AlignmentMetric metric)
    {
        ArgumentNullException.ThrowIfNull(questions);
        ArgumentNullException.ThrowIfNull(metric);
        return questions.GroupBy(q => (q.Method, q.Split, q.Group))
            .Select(cell =>
            {
                var seedMeans = cell.GroupBy(q => q.Seed).Select(g => Score(metric, g)).Where(s => s.Count > 0).Select(s => s.Average(p => p.Value)).ToList();
                return (cell.Key.Method, cell.Key.Split, cell.Key.Group, Mean: seedMeans.Count == 0 ? double.NaN : seedMeans.Average());
            })
            .Where(r => !double.IsNaN(r.Mean))
            .ToList();
    }

    /// <summary>Scores questions of one (method, split, seed) with <see cref="MetricSummary.Score(AlignmentMetric, IEnumerable{Prediction})"/>'s rules.</summary>
    private static List<ScoredPair> Score(AlignmentMetric metric, IEnumerable<ScoredQuestion> questions)
    {
        var list = questions.ToList();
        try
        {
            return [.. MetricSummary.Score(metric, list.Select(q => (q.Group, q.QuestionId, (IReadOnlyList<double>)q.Predicted, (IReadOnlyList<double>)q.Observed, (IReadOnlyList<double>?)q.Ordinals))).Scores];
        }
        catch (ArgumentException e) when (list.Count > 0)
        {
            throw new ArgumentException($"{list[0].Method}, split {list[0].Split}, seed {list[0].Seed}: {e.Message}", e);
        }
    }

    /// <summary>Writes <c>summary.csv</c>: <c>method,split,metric,mean,std,n_seeds</c> (exact numbers).</summary>
    public static void WriteCsv(string path, IEnumerable<SummaryRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        CsvFile.Write(path, ["method", "split", "metric", "mean", "std", "n_seeds"],
            rows.Select(r => new[] { r.Method, r.Split, r.Metric, CsvFile.Exact(r.Mean), CsvFile.Exact(r.Std), CsvFile.Integer(r.Seeds) }));
    }

    /// <summary>Writes the human table (mean ± std over seeds, bootstrap interval, worst group) as CSV and Markdown.</summary>
    public static void WriteTable(string csvPath, string markdownPath, IReadOnlyList<SummaryRow> rows, string title)
    {
        ArgumentNullException.ThrowIfNull(rows);
        CsvFile.Write(csvPath, ["method", "split", "metric", "mean", "std", "n_seeds", "ci_low", "ci_high", "worst_group", "worst_group_mean", "pairs"],
            rows.Select(r => new[]
            {
                r.Method, r.Split, r.Metric, CsvFile.Fixed(r.Mean, 4), CsvFile.Fixed(r.Std, 4), CsvFile.Integer(r.Seeds),
                CsvFile.Fixed(r.CiLow, 4), CsvFile.Fixed(r.CiHigh, 4), r.WorstGroup, CsvFile.Fixed(r.WorstGroupMean, 4), CsvFile.Integer(r.Pairs),
            }));

        var markdown = new StringBuilder($"# {title}\n\n");
        foreach (var metric in rows.Select(r => r.Metric).Distinct())
        {
            var splits = rows.Where(r => r.Metric == metric).Select(r => r.Split).Distinct().ToList();
            markdown.Append(CultureInfo.InvariantCulture, $"## {metric}\n\nmean ± std over seeds [95% bootstrap interval over questions]\n\n");
            markdown.Append("| method | ").Append(string.Join(" | ", splits)).Append(" |\n|---|").Append(string.Concat(splits.Select(_ => "---|"))).Append('\n');
            foreach (var method in rows.Where(r => r.Metric == metric).Select(r => r.Method).Distinct())
            {
                markdown.Append("| ").Append(method).Append(" |");
                foreach (var split in splits)
                {
                    var row = rows.FirstOrDefault(r => r.Metric == metric && r.Method == method && r.Split == split);
                    markdown.Append(row is null ? " – |" : string.Create(CultureInfo.InvariantCulture, $" {row.Mean:F3} ± {row.Std:F3} [{row.CiLow:F3}, {row.CiHigh:F3}] |"));
                }
                markdown.Append('\n');
            }
            markdown.Append('\n');
        }
        AtomicFile.WriteAllText(markdownPath, markdown.ToString());
    }
}
