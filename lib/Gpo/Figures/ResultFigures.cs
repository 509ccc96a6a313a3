using System.Globalization;
using System.Text.Json.Nodes;
using Gpo.Evaluation;

namespace Gpo.Figures;

/// <summary>
/// The figures of a reproduction, each built only from numbers recomputed from <c>predictions.csv</c>
/// (<see cref="ResultsSummary"/>) or from the runs' <c>metrics.jsonl</c>.
/// </summary>
public static partial class ResultFigures
{
    /// <summary>Display names for method ids, in the order bars and lines are drawn.</summary>
    public static readonly IReadOnlyList<(string Id, string Label)> Methods =
    [
        ("uniform", "Uniform"), ("population_prior", "Population prior"), ("tempered_prior", "Tempered prior"),
        ("group_mixture", "Group mixture"), ("imputed_mixture", "Imputed mixture"), ("prior_residual", "Prior + residual (ridge)"), ("kernel_regression", "Kernel regression"),
        ("ridge_probe", "Ridge probe (per group)"), ("gpo", "GPO (paper module)"), ("gpo-prior", "gpo-prior"), ("gpo-groups", "gpo-groups"),
        ("gpo-mix", "gpo-mix"), ("gpo-residual", "gpo-residual"), ("gpo-gated", "gpo-gated"),
    ];

    private static string Label(string method) => Methods.FirstOrDefault(m => m.Id == method).Label ?? method;

    private static IEnumerable<string> Ordered(IEnumerable<string> methods)
    {
        var present = methods.Distinct().ToList();
        return Methods.Select(m => m.Id).Where(present.Contains).Concat(present.Where(m => Methods.All(k => k.Id != m)));
    }

    /// <summary>The paper-style chart: methods × meta-train fractions, mean ± std over seeds.</summary>
    public static Figure AlignmentBars(string dataset, IReadOnlyList<SummaryRow> summary, string metric, int k)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var rows = summary.Where(r => r.Metric == metric && PairedComparison.IsMainSplit(r.Split)).ToList();
        var splits = rows.Select(r => r.Split).Distinct().OrderBy(s => double.Parse(s, CultureInfo.InvariantCulture)).ToList();
        var figure = new Figure($"{dataset}: alignment with held-out groups (k = {k})", 980, 460)
        {
            XAxisTitle = "meta-train fraction of groups",
            YAxisTitle = $"{metric} (mean ± std over seeds)",
            YRange = YRangeOf(rows.Select(r => (r.Mean - r.Std, r.Mean + r.Std))),
        };
        foreach (var method in Ordered(rows.Select(r => r.Method)))
        {
            var values = splits.Select(s => rows.FirstOrDefault(r => r.Method == method && r.Split == s)).ToList();
            figure.AddBar(Label(method), splits.Select(s => $"{double.Parse(s, CultureInfo.InvariantCulture) * 100:0}%").ToList(),
                values.Select(v => v?.Mean ?? double.NaN).ToList(), values.Select(v => v?.Std ?? double.NaN).ToList());
        }
        return figure;
    }

    /// <summary>Alignment against the number of context questions k, one line per method.</summary>
    public static Figure AlignmentVsContext(string dataset, IReadOnlyList<SummaryRow> summary, string metric)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var rows = summary.Where(r => r.Metric == metric && IsSweep(r.Split)).ToList();
        var fraction = rows.Select(r => r.Split[..r.Split.IndexOf("-k", StringComparison.Ordinal)]).FirstOrDefault() ?? "";
        var figure = new Figure($"{dataset}: alignment vs number of context questions (meta-train fraction {fraction})", 980, 460)
        {
            XAxisTitle = "context questions k",
            YAxisTitle = $"{metric} (mean ± std over seeds)",
            YRange = YRangeOf(rows.Select(r => (r.Mean - r.Std, r.Mean + r.Std))),
        };
        foreach (var method in Ordered(rows.Select(r => r.Method)))
        {
            var points = rows.Where(r => r.Method == method).OrderBy(r => SweepK(r.Split)).ToList();
            figure.AddScatter(Label(method), points.Select(r => (double)SweepK(r.Split)).ToList(), points.Select(r => r.Mean).ToList(), points.Select(r => r.Std).ToList());
        }
        return figure;
    }

    /// <summary>Each held-out group's score per method (one fraction, averaged over seeds).</summary>
    public static Figure PerGroup(string dataset, IReadOnlyList<(string Method, string Split, string Group, double Mean)> perGroup, string metric, string split)
    {
        ArgumentNullException.ThrowIfNull(perGroup);
        var rows = perGroup.Where(r => r.Split == split).ToList();
        var groups = rows.Select(r => r.Group).Distinct().OrderBy(g => g, StringComparer.Ordinal).ToList();
        var figure = new Figure($"{dataset}: per held-out group (meta-train fraction {split}, mean over seeds)", Math.Max(980, 90 + 60 * groups.Count), 500)
        {
            XAxisTitle = "held-out group",
            YAxisTitle = metric,
            YRange = YRangeOf(rows.Select(r => (r.Mean, r.Mean))),
        };
        var means = rows.ToDictionary(r => (r.Method, r.Group), r => r.Mean);
        foreach (var method in Ordered(rows.Select(r => r.Method)))
            figure.AddBar(Label(method), groups, groups.Select(g => means.GetValueOrDefault((method, g), double.NaN)).ToList());
        return figure;
    }

    /// <summary>
    /// Validation score against training step for every run (from each run's metrics.jsonl); with more runs than the
    /// palette has colours, the seed-0 run of each split and variant (the others stay in runs/*/metrics.jsonl).
    /// </summary>
    public static Figure TrainingCurves(string dataset, IReadOnlyList<(string Run, IReadOnlyList<JsonObject> Metrics)> runs, string validationKey)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var some = runs.Count > Palette.Colors.Count;
        if (some) runs = runs.Where(r => SeedZero().IsMatch(r.Run)).ToList();
        var figure = new Figure($"{dataset}: validation alignment during meta-training{(some ? " (seed 0 of each split)" : "")}", 980, 460)
        {
            XAxisTitle = "step",
            YAxisTitle = validationKey.Replace("validation_", "validation ", StringComparison.Ordinal),
        };
        foreach (var (run, metrics) in runs)
        {
            var points = metrics.Where(m => m[validationKey] is not null).ToList();
            if (points.Count == 0) continue;
            figure.AddScatter(run, points.Select(m => (double)m["step"]!.GetValue<int>()).ToList(), points.Select(m => m[validationKey]!.GetValue<double>()).ToList());
        }
        return figure;
    }

    [System.Text.RegularExpressions.GeneratedRegex("-seed0(-|$)")]
    private static partial System.Text.RegularExpressions.Regex SeedZero();

    /// <summary>True for a k-sweep split label such as <c>0.6-k5</c>.</summary>
    public static bool IsSweep(string split) => split.Contains("-k", StringComparison.Ordinal);

    private static int SweepK(string split) => int.Parse(split[(split.IndexOf("-k", StringComparison.Ordinal) + 2)..], CultureInfo.InvariantCulture);

    /// <summary>A y range that starts near the data rather than at 0, so differences of a few points stay visible.</summary>
    private static (double Min, double Max)? YRangeOf(IEnumerable<(double Low, double High)> spans)
    {
        var list = spans.Where(s => double.IsFinite(s.Low) && double.IsFinite(s.High)).ToList();
        if (list.Count == 0) return null;
        double low = list.Min(s => s.Low), high = list.Max(s => s.High);
        var pad = Math.Max(0.01, (high - low) * 0.08);
        return (Math.Floor((low - pad) * 50) / 50, Math.Ceiling((high + pad) * 50) / 50);
    }
}
