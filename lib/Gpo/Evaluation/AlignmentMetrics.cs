namespace Gpo.Evaluation;

/// <summary>
/// A named comparison of a predicted distribution p̂ with a group's true distribution p over one question's options.
/// The name is the stable string used in every output (CSV columns, JSON, figures).
/// </summary>
/// <param name="Name">Stable name, e.g. <c>alignment_w1</c>, <c>alignment_js</c>, <c>js_distance_base2</c>.</param>
/// <param name="Description">One line for tables and docs.</param>
/// <param name="HigherIsBetter">True for alignment scores and accuracy; false for distances and divergences.</param>
/// <param name="NeedsOrdinals">True for the W1-based metrics (undefined without ordinals or when W_max = 0).</param>
public sealed record AlignmentMetric(string Name, string Description, bool HigherIsBetter, bool NeedsOrdinals)
{
    internal Func<double[], double[], IReadOnlyList<double>?, double?> Compute { get; init; } = (_, _, _) => null;

    /// <summary>
    /// The metric for one question, or null when it is undefined there (W1 metrics: no ordinals, or all ordinals equal).
    /// Both vectors are checked (same length ≥ 1, finite, non-negative, positive sum) and renormalised to sum to 1;
    /// a bad input throws <see cref="ArgumentException"/> naming the metric and the input — never a silent perfect score.
    /// </summary>
    /// <param name="predicted">p̂ [K].</param>
    /// <param name="target">p [K], the group's true distribution.</param>
    /// <param name="ordinals">Ordinal value per option [K] (may be unsorted), or null.</param>
    public double? Score(IReadOnlyList<double> predicted, IReadOnlyList<double> target, IReadOnlyList<double>? ordinals = null)
    {
        var p = AlignmentMetrics.Checked(predicted, Name, "predicted");
        var q = AlignmentMetrics.Checked(target, Name, "target");
        if (p.Length != q.Length) throw new ArgumentException($"{Name}: predicted has {p.Length} options, target has {q.Length}");
        if (ordinals is not null && ordinals.Count != p.Length) throw new ArgumentException($"{Name}: {ordinals.Count} ordinals for {p.Length} options");
        var value = Compute(p, q, ordinals);
        if (value is { } v && double.IsNaN(v)) throw new ArgumentException($"{Name}: result is NaN for predicted [{string.Join(", ", p)}], target [{string.Join(", ", q)}]");
        return value;
    }

    public override string ToString() => Name;
}

/// <summary>
/// The project's one implementation of the alignment metrics (gpo.md §5), used by training, evaluation,
/// notebooks and the CLI. Primitives take probability vectors that sum to 1; the <see cref="AlignmentMetric"/>
/// objects validate and renormalise their inputs first. Natural log unless the name says base2.
/// </summary>
public static class AlignmentMetrics
{
    /// <summary>1 − W₁(p̂, p)/W_max with options placed at their ordinals, W_max = max − min ordinal (OpinionQA's score).</summary>
    public static readonly AlignmentMetric AlignmentW1 = new("alignment_w1", "1 - W1/W_max on ordinal values (OpinionQA alignment)", true, true)
    { Compute = (p, q, o) => o is null ? null : AlignmentW1Score(p, q, o) };

    /// <summary>W₁(p̂, p) on ordinal values (undivided).</summary>
    public static readonly AlignmentMetric W1Distance = new("w1_distance", "Wasserstein-1 distance on ordinal values", false, true)
    { Compute = (p, q, o) => o is null ? null : Wasserstein1(p, q, o) };

    /// <summary>1 − JS distance, natural log (GlobalOpinionQA's score; range [1 − √ln2, 1] ≈ [0.167, 1]).</summary>
    public static readonly AlignmentMetric AlignmentJs = new("alignment_js", "1 - Jensen-Shannon distance, natural log (GlobalOpinionQA alignment)", true, false)
    { Compute = (p, q, _) => 1 - JensenShannonDistance(p, q) };

    /// <summary>1 − JS distance with log base 2 (range [0, 1]).</summary>
    public static readonly AlignmentMetric AlignmentJsBase2 = new("alignment_js_base2", "1 - Jensen-Shannon distance, log base 2", true, false)
    { Compute = (p, q, _) => 1 - JensenShannonDistance(p, q, 2) };

    public static readonly AlignmentMetric JsDistance = new("js_distance", "Jensen-Shannon distance (sqrt of divergence), natural log", false, false)
    { Compute = (p, q, _) => JensenShannonDistance(p, q) };

    public static readonly AlignmentMetric JsDistanceBase2 = new("js_distance_base2", "Jensen-Shannon distance, log base 2", false, false)
    { Compute = (p, q, _) => JensenShannonDistance(p, q, 2) };

    public static readonly AlignmentMetric JsDivergence = new("js_divergence", "Jensen-Shannon divergence, natural log", false, false)
    { Compute = (p, q, _) => JensenShannonDivergence(p, q) };

    public static readonly AlignmentMetric JsDivergenceBase2 = new("js_divergence_base2", "Jensen-Shannon divergence, log base 2", false, false)
    { Compute = (p, q, _) => JensenShannonDivergence(p, q, 2) };

    public static readonly AlignmentMetric TotalVariationDistance = new("total_variation", "total variation distance, 0.5 * sum |p_hat - p|", false, false)
    { Compute = (p, q, _) => TotalVariation(p, q) };

    /// <summary>KL(p ‖ p̂): true distribution against the prediction, natural log; +∞ where p̂ = 0 &lt; p.</summary>
    public static readonly AlignmentMetric KlTrueToPredicted = new("kl_true_predicted", "KL(p_true || p_hat), natural log; +inf where p_hat = 0 < p_true", false, false)
    { Compute = (predicted, target, _) => KullbackLeibler(target, predicted) };

    /// <summary>1 when the most likely option agrees (first index on ties, as numpy.argmax), else 0.</summary>
    public static readonly AlignmentMetric ArgmaxAccuracy = new("argmax_accuracy", "1 if argmax p_hat = argmax p (first index on ties), else 0", true, false)
    { Compute = (p, q, _) => Argmax(p) == Argmax(q) ? 1 : 0 };

    /// <summary>Every metric, in output order.</summary>
    public static readonly IReadOnlyList<AlignmentMetric> All =
    [
        AlignmentW1, W1Distance, AlignmentJs, AlignmentJsBase2, JsDistance, JsDistanceBase2, JsDivergence, JsDivergenceBase2,
        TotalVariationDistance, KlTrueToPredicted, ArgmaxAccuracy,
    ];

    /// <summary>The metric with this stable name.</summary>
    public static AlignmentMetric ByName(string name) =>
        All.FirstOrDefault(m => m.Name == name) ?? throw new ArgumentException($"unknown metric '{name}'; known: {string.Join(", ", All.Select(m => m.Name))}");

    /// <summary>
    /// 1-D Wasserstein (earth mover's) distance between p and q placed at <paramref name="support"/> (any order,
    /// ties allowed): Σ over sorted gaps of |CDF_p − CDF_q| × gap. Same as scipy.stats.wasserstein_distance(s, s, p, q).
    /// </summary>
    public static double Wasserstein1(ReadOnlySpan<double> p, ReadOnlySpan<double> q, IReadOnlyList<double> support)
    {
        ArgumentNullException.ThrowIfNull(support);
        if (p.Length != q.Length || p.Length != support.Count) throw new ArgumentException("W1: p, q and support must have the same length");
        var order = Enumerable.Range(0, p.Length).OrderBy(i => support[i]).ToArray();
        double cdfP = 0, cdfQ = 0, distance = 0;
        for (int k = 0; k < order.Length - 1; k++)
        {
            cdfP += p[order[k]];
            cdfQ += q[order[k]];
            distance += Math.Abs(cdfP - cdfQ) * (support[order[k + 1]] - support[order[k]]);
        }
        return distance;
    }

    /// <summary>1 − W₁/W_max, or null when W_max = max − min of the ordinals is 0.</summary>
    public static double? AlignmentW1Score(ReadOnlySpan<double> p, ReadOnlySpan<double> q, IReadOnlyList<double> ordinals)
    {
        ArgumentNullException.ThrowIfNull(ordinals);
        double wMax = ordinals.Max() - ordinals.Min();
        if (!(wMax > 0)) return null;
        return 1 - Wasserstein1(p, q, ordinals) / wMax;
    }

    /// <summary>JS divergence ½KL(p‖m) + ½KL(q‖m), m = (p+q)/2, in the given log base.</summary>
    public static double JensenShannonDivergence(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double logBase = Math.E)
    {
        if (p.Length != q.Length) throw new ArgumentException("JS: p and q must have the same length");
        double divergence = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double m = 0.5 * (p[i] + q[i]);
            if (p[i] > 0) divergence += 0.5 * p[i] * Math.Log(p[i] / m);
            if (q[i] > 0) divergence += 0.5 * q[i] * Math.Log(q[i] / m);
        }
        divergence = Math.Max(0, divergence); // rounding can give -1e-17
        return logBase == Math.E ? divergence : divergence / Math.Log(logBase);
    }

    /// <summary>JS distance: √ of <see cref="JensenShannonDivergence"/> (scipy.spatial.distance.jensenshannon).</summary>
    public static double JensenShannonDistance(ReadOnlySpan<double> p, ReadOnlySpan<double> q, double logBase = Math.E) =>
        Math.Sqrt(JensenShannonDivergence(p, q, logBase));

    /// <summary>Total variation ½ Σ |p − q|.</summary>
    public static double TotalVariation(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        if (p.Length != q.Length) throw new ArgumentException("TV: p and q must have the same length");
        double sum = 0;
        for (int i = 0; i < p.Length; i++) sum += Math.Abs(p[i] - q[i]);
        return 0.5 * sum;
    }

    /// <summary>KL(p ‖ q) = Σ p log(p/q), natural log; terms with p = 0 are 0; +∞ when q = 0 &lt; p (no epsilon).</summary>
    public static double KullbackLeibler(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        if (p.Length != q.Length) throw new ArgumentException("KL: p and q must have the same length");
        double sum = 0;
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] == 0) continue;
            if (q[i] == 0) return double.PositiveInfinity;
            sum += p[i] * Math.Log(p[i] / q[i]);
        }
        return Math.Max(0, sum);
    }

    /// <summary>Index of the largest value, the first on ties.</summary>
    public static int Argmax(ReadOnlySpan<double> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    /// <summary>A validated copy renormalised to sum to 1; throws naming the metric and the input.</summary>
    internal static double[] Checked(IReadOnlyList<double> values, string metric, string input)
    {
        if (values is null || values.Count == 0) throw new ArgumentException($"{metric}: {input} distribution is empty");
        var copy = new double[values.Count];
        double sum = 0;
        for (int i = 0; i < copy.Length; i++)
        {
            double v = values[i];
            if (double.IsNaN(v) || double.IsInfinity(v)) throw new ArgumentException($"{metric}: {input}[{i}] is {v}");
            if (v < 0) throw new ArgumentException($"{metric}: {input}[{i}] = {v} is negative");
            copy[i] = v;
            sum += v;
        }
        if (!(sum > 0)) throw new ArgumentException($"{metric}: {input} distribution sums to 0");
        for (int i = 0; i < copy.Length; i++) copy[i] /= sum;
        return copy;
    }
}
