using System.Globalization;
using System.Text;
using Gpo.IO;

namespace Gpo.Evaluation;

/// <summary>
/// One paired comparison of a method with a reference method (the population prior) on the same (seed, group, question)
/// pairs: the mean difference of the per-seed scores, its 95 % percentile bootstrap interval (questions resampled with
/// replacement, every seed's and group's pairs of a drawn question kept together), and how many seeds favour the method.
/// </summary>
/// <param name="Subset">Which pairs: <c>all</c>, or <c>covered</c>/<c>uncovered</c> (some training-side group answered the question, or none).</param>
public sealed record PairedRow(string Method, string Reference, string Split, string Metric, string Subset, double MethodMean, double ReferenceMean,
    double Difference, double CiLow, double CiHigh, int Seeds, int SeedsBetter, int Pairs);

/// <summary>
/// The swap diagnostic of a method: its score with each group's own context minus its score on the same queries with
/// another held-out group's answers to the same context questions (split label <c>F-swap</c>), paired, with the
/// bootstrap interval over questions; and the spread diagnostic: across held-out groups on the same question, the mean
/// standard deviation of the predicted shares next to that of the observed shares.
/// </summary>
public sealed record DiagnosticRow(string Method, string Split, string Metric, double SwapGap, double SwapCiLow, double SwapCiHigh, int SwapPairs,
    double PredictedSpread, double ObservedSpread);

/// <summary>Paired statistics computed from saved predictions (<see cref="PredictionTable"/>): nothing here reads a model.</summary>
public static class PairedComparison
{
    /// <summary>The reference every method is compared with.</summary>
    public const string Reference = "population_prior";

    /// <summary>Whether a split label is a main comparison split (a bare fraction such as <c>0.6</c>), not a sweep or a diagnostic.</summary>
    public static bool IsMainSplit(string split) => !split.Contains('-', StringComparison.Ordinal);

    /// <summary>Whether a split label holds the validation groups' rows of a main split (e.g. <c>0.6-val</c>, <see cref="Reproduction.ValidationLabel"/>).</summary>
    public static bool IsValidationSplit(string split) => IsMainSplitWith(split, "-val");

    /// <summary>Whether a split label holds the selection groups' rows of a main split under nested selection (e.g. <c>0.6-sel</c>, <see cref="Reproduction.SelectionLabel"/>).</summary>
    public static bool IsSelectionSplit(string split) => IsMainSplitWith(split, "-sel");

    private static bool IsMainSplitWith(string split, string suffix) =>
        split.Length > suffix.Length && split.EndsWith(suffix, StringComparison.Ordinal) && IsMainSplit(split[..^suffix.Length]);

    /// <summary>
    /// Paired comparisons with <see cref="Reference"/> for every method and main split (and the covered/uncovered subsets where
    /// recorded), and the same on the validation groups' rows (<see cref="IsValidationSplit"/>) and, under nested selection, the
    /// selection groups' (<see cref="IsSelectionSplit"/>) where they were recorded.
    /// </summary>
    public static List<PairedRow> Compare(IReadOnlyList<ScoredQuestion> questions, AlignmentMetric metric, int bootstrapSamples = 1000, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(questions);
        ArgumentNullException.ThrowIfNull(metric);
        var rows = new List<PairedRow>();
        foreach (var split in questions.Select(q => q.Split).Where(s => IsMainSplit(s) || IsValidationSplit(s) || IsSelectionSplit(s)).Distinct().Order(StringComparer.Ordinal))
        {
            var reference = Scores(questions.Where(q => q.Split == split && q.Method == Reference), metric);
            if (reference.Count == 0) continue;
            var subsets = new List<(string Name, Func<ScoredQuestion, bool> Keep)> { ("all", _ => true) };
            if (questions.Any(q => q.Split == split && q.Covered == false))
            {
                subsets.Add(("covered", q => q.Covered == true));
                subsets.Add(("uncovered", q => q.Covered == false));
            }
            foreach (var method in questions.Where(q => q.Split == split && q.Method != Reference).Select(q => q.Method).Distinct())
            {
                var scored = questions.Where(q => q.Split == split && q.Method == method).ToList();
                foreach (var (name, keep) in subsets)
                {
                    var pairs = Pair(Scores(scored.Where(keep), metric), reference);
                    if (pairs.Count == 0) continue;
                    rows.Add(Summarise(method, split, metric.Name, name, pairs, bootstrapSamples, seed));
                }
            }
        }
        return rows;
    }

    /// <summary>The swap and spread diagnostics for every method of every main split that has a <c>-swap</c> twin.</summary>
    public static List<DiagnosticRow> Diagnostics(IReadOnlyList<ScoredQuestion> questions, AlignmentMetric metric, int bootstrapSamples = 1000, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(questions);
        ArgumentNullException.ThrowIfNull(metric);
        var rows = new List<DiagnosticRow>();
        foreach (var split in questions.Select(q => q.Split).Where(IsMainSplit).Distinct().Order(StringComparer.Ordinal))
        {
            var swapSplit = split + "-swap";
            foreach (var method in questions.Where(q => q.Split == split).Select(q => q.Method).Distinct())
            {
                var own = questions.Where(q => q.Split == split && q.Method == method).ToList();
                var pairs = Pair(Scores(own, metric), Scores(questions.Where(q => q.Split == swapSplit && q.Method == method), metric));
                var gap = pairs.Count > 0 ? Summarise(method, split, metric.Name, "all", pairs, bootstrapSamples, seed) : null;
                var (predicted, observed) = Spread(own);
                rows.Add(new DiagnosticRow(method, split, metric.Name, gap?.Difference ?? double.NaN, gap?.CiLow ?? double.NaN, gap?.CiHigh ?? double.NaN,
                    gap?.Pairs ?? 0, predicted, observed));
            }
        }
        return rows;
    }

    /// <summary>Mean over (seed, question) of the across-group standard deviation of each option's share, averaged over options: predicted and observed.</summary>
    public static (double Predicted, double Observed) Spread(IEnumerable<ScoredQuestion> questions)
    {
        ArgumentNullException.ThrowIfNull(questions);
        double predicted = 0, observed = 0;
        var cells = 0;
        foreach (var cell in questions.GroupBy(q => (q.Seed, q.QuestionId)))
        {
            var list = cell.ToList();
            if (list.Count < 2) continue;
            predicted += MeanStd(list.Select(q => q.Predicted).ToList());
            observed += MeanStd(list.Select(q => q.Observed).ToList());
            cells++;
        }
        return cells == 0 ? (double.NaN, double.NaN) : (predicted / cells, observed / cells);
    }

    private static double MeanStd(IReadOnlyList<double[]> vectors)
    {
        var options = vectors[0].Length;
        double total = 0;
        for (var o = 0; o < options; o++)
        {
            var mean = vectors.Average(v => v[o]);
            total += Math.Sqrt(vectors.Sum(v => (v[o] - mean) * (v[o] - mean)) / vectors.Count);
        }
        return total / options;
    }

    private static Dictionary<(int Seed, string Group, string QuestionId), double> Scores(IEnumerable<ScoredQuestion> questions, AlignmentMetric metric)
    {
        var scores = new Dictionary<(int, string, string), double>();
        foreach (var q in questions)
            if (metric.Score(q.Predicted, q.Observed, q.Ordinals) is { } value) scores[(q.Seed, q.Group, q.QuestionId)] = value;
        return scores;
    }

    private static List<(int Seed, string QuestionId, double Method, double Reference)> Pair(
        Dictionary<(int Seed, string Group, string QuestionId), double> method, Dictionary<(int Seed, string Group, string QuestionId), double> reference) =>
        method.Where(kv => reference.ContainsKey(kv.Key))
            .OrderBy(kv => kv.Key.Seed).ThenBy(kv => kv.Key.Group, StringComparer.Ordinal).ThenBy(kv => kv.Key.QuestionId, StringComparer.Ordinal)
            .Select(kv => (kv.Key.Seed, kv.Key.QuestionId, kv.Value, reference[kv.Key])).ToList();

    /// <summary>
    /// The paired summary: per seed, the mean over that seed's pairs of method and reference; the difference of the
    /// seed means averaged over seeds; the bootstrap resamples question ids (all seeds' and groups' pairs of a question
    /// together) and recomputes the pooled mean difference.
    /// </summary>
    internal static PairedRow Summarise(string method, string split, string metric, string subset,
        IReadOnlyList<(int Seed, string QuestionId, double Method, double Reference)> pairs, int bootstrapSamples, int seed)
    {
        var bySeed = pairs.GroupBy(p => p.Seed).Select(g => (Method: g.Average(p => p.Method), Reference: g.Average(p => p.Reference))).ToList();
        var difference = bySeed.Average(s => s.Method - s.Reference);
        var byQuestion = pairs.GroupBy(p => p.QuestionId, StringComparer.Ordinal)
            .Select(g => (Sum: g.Sum(p => p.Method - p.Reference), Count: g.Count())).ToArray();
        double low = double.NaN, high = double.NaN;
        if (bootstrapSamples > 0 && byQuestion.Length > 1)
        {
            var random = new Random(seed);
            var means = new double[bootstrapSamples];
            for (var b = 0; b < bootstrapSamples; b++)
            {
                double sum = 0;
                long count = 0;
                for (var i = 0; i < byQuestion.Length; i++)
                {
                    var drawn = byQuestion[random.Next(byQuestion.Length)];
                    sum += drawn.Sum;
                    count += drawn.Count;
                }
                means[b] = sum / count;
            }
            Array.Sort(means);
            low = Percentile(means, 0.025);
            high = Percentile(means, 0.975);
        }
        return new PairedRow(method, Reference, split, metric, subset, bySeed.Average(s => s.Method), bySeed.Average(s => s.Reference), difference,
            low, high, bySeed.Count, bySeed.Count(s => s.Method > s.Reference), pairs.Count);
    }

    private static double Percentile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
    }

    /// <summary>Writes <c>paired.csv</c>, <c>diagnostics.csv</c> and a Markdown section for the summary table.</summary>
    public static string Write(string folder, IReadOnlyList<PairedRow> paired, IReadOnlyList<DiagnosticRow> diagnostics, IReadOnlyDictionary<string, string> selected)
    {
        ArgumentNullException.ThrowIfNull(paired);
        ArgumentNullException.ThrowIfNull(diagnostics);
        ArgumentNullException.ThrowIfNull(selected);
        CsvFile.Write(Path.Combine(folder, "paired.csv"),
            ["method", "reference", "split", "metric", "subset", "method_mean", "reference_mean", "difference", "ci_low", "ci_high", "n_seeds", "seeds_better", "pairs", "selected_by_validation"],
            paired.Select(r => new[]
            {
                r.Method, r.Reference, r.Split, r.Metric, r.Subset, CsvFile.Exact(r.MethodMean), CsvFile.Exact(r.ReferenceMean), CsvFile.Exact(r.Difference),
                CsvFile.Exact(r.CiLow), CsvFile.Exact(r.CiHigh), CsvFile.Integer(r.Seeds), CsvFile.Integer(r.SeedsBetter), CsvFile.Integer(r.Pairs),
                selected.TryGetValue(r.Split, out var best) && best == r.Method ? "1" : "0",
            }));
        CsvFile.Write(Path.Combine(folder, "diagnostics.csv"),
            ["method", "split", "metric", "swap_gap", "swap_ci_low", "swap_ci_high", "swap_pairs", "predicted_spread", "observed_spread"],
            diagnostics.Select(r => new[]
            {
                r.Method, r.Split, r.Metric, CsvFile.Exact(r.SwapGap), CsvFile.Exact(r.SwapCiLow), CsvFile.Exact(r.SwapCiHigh), CsvFile.Integer(r.SwapPairs),
                CsvFile.Exact(r.PredictedSpread), CsvFile.Exact(r.ObservedSpread),
            }));
        var markdown = new StringBuilder();
        markdown.Append("## Paired with the population prior\n\n")
            .Append("method − population_prior on the same (seed, group, question) pairs: mean over seeds [95% bootstrap interval, questions resampled]; seeds better / seeds. ★ = the GPO variant chosen by the validation groups. Split F-val: the validation groups, on the episodes that chose the checkpoints (and, unless there are selection groups, ★ and gpo-gated's covered method; not a test: trained variants were selected on them); F-sel: the selection groups of nested selection, which chose ★ and gpo-gated's covered method.\n\n")
            .Append("| method | split | subset | method | prior | difference | seeds better |\n|---|---|---|---|---|---|---|\n");
        foreach (var r in paired)
        {
            var star = selected.TryGetValue(r.Split, out var best) && best == r.Method ? " ★" : "";
            markdown.Append(CultureInfo.InvariantCulture,
                $"| {r.Method}{star} | {r.Split} | {r.Subset} | {r.MethodMean:F4} | {r.ReferenceMean:F4} | {Signed(r.Difference)} [{Signed(r.CiLow)}, {Signed(r.CiHigh)}] | {r.SeedsBetter}/{r.Seeds} |\n");
        }
        markdown.Append("\n## Does the method use the group's context?\n\n")
            .Append("Swap gap: score with the group's own context answers minus score with another held-out group's answers to the same context questions [95% bootstrap interval]. Spread: across held-out groups on one question, the mean standard deviation of the predicted shares, next to the observed one.\n\n")
            .Append("| method | split | swap gap | predicted spread | observed spread |\n|---|---|---|---|---|\n");
        foreach (var r in diagnostics)
            markdown.Append(CultureInfo.InvariantCulture,
                $"| {r.Method} | {r.Split} | {(double.IsNaN(r.SwapGap) ? "–" : $"{Signed(r.SwapGap)} [{Signed(r.SwapCiLow)}, {Signed(r.SwapCiHigh)}]")} | {r.PredictedSpread:F4} | {r.ObservedSpread:F4} |\n");
        return markdown.ToString();
    }

    /// <summary>
    /// A difference to four places with its sign: <c>+0.0012</c>, <c>-0.0003</c>, and <c>-0.0000</c> for a negative one that rounds
    /// to zero (the format string "+0.0000;-0.0000" writes that as "-+0.0000").
    /// </summary>
    internal static string Signed(double value) =>
        double.IsNaN(value) ? "NaN" : (value < 0 ? "-" : "+") + Math.Abs(value).ToString("0.0000", CultureInfo.InvariantCulture);
}
