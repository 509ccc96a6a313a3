namespace Gpo.Evaluation.Baselines;

/// <summary>
/// <c>group_mixture</c>: a group as a mixture of the training-side groups. For a question q,
/// p̂_q = Σ_h w_h p_{h,q} / Σ_h w_h over the training groups h that answered q (so the weights are
/// renormalised over those), with simplex weights w = (1 − λ)·w_fit + λ·(1/H). w_fit minimises the mean
/// context cross-entropy −Σ_o y_o log max(p̂_o, <see cref="PopulationContextPredictor.Floor"/>), found by
/// exponentiated gradient from equal weights (multiplicative updates w_h ∝ w_h exp(−η ∂L/∂w_h), the step η
/// grown after an accepted step and halved after a rejected one, until a step improves the loss by less than
/// 1e-13 or the Frank–Wolfe gap, which bounds the distance of the loss from its minimum, is below
/// <see cref="Tolerance"/>). The
/// shrinkage λ is chosen from <see cref="Shrinkages"/> by leave-one-out over the context questions (fit on
/// k − 1, score the held-out question by the same cross-entropy), ties going to the larger λ; λ = 1 is the
/// population prior. Deterministic.
/// </summary>
public sealed class GroupMixturePredictor(TrainingPopulation population) : PopulationContextPredictor(population)
{
    /// <summary>The default <see cref="Shrinkages"/>: 0, 0.1, …, 1.</summary>
    public static readonly IReadOnlyList<double> DefaultShrinkages = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1];

    /// <summary>The shrinkages λ towards equal weights tried by leave-one-out.</summary>
    public IReadOnlyList<double> Shrinkages { get; init; } = DefaultShrinkages;

    /// <summary>Most exponentiated-gradient steps per fit.</summary>
    public int MaxIterations { get; init; } = 1000;

    /// <summary>A fit stops once the loss is provably within this of its minimum (the Frank–Wolfe duality gap), or when a step gains less than 1e-13.</summary>
    public double Tolerance { get; init; } = 1e-10;

    public override string Name => "group_mixture";

    /// <summary>A fitted mixture: the weights [H] after shrinkage, the fitted (unshrunk) weights and the chosen λ.</summary>
    internal sealed record Mixture(double[] Weights, double[] FittedWeights, double Shrinkage);

    private protected override Func<PopulationQuestion, double[]> Fit(IReadOnlyList<PopulationQuestion> context, TrainingPopulation population)
    {
        var mixture = FitMixture(context, population.Groups.Count);
        return question => Mix(mixture.Weights, question);
    }

    /// <summary>
    /// Chooses λ by leave-one-out over <paramref name="context"/> (with <paramref name="folds"/>: by that many folds, question i
    /// held out in fold i mod folds), then fits w on all of it.
    /// </summary>
    internal Mixture FitMixture(IReadOnlyList<PopulationQuestion> context, int groupCount, int? folds = null)
    {
        if (Shrinkages.Count == 0 || Shrinkages.Any(s => !(s >= 0 && s <= 1)))
            throw new InvalidOperationException($"{Name}: shrinkages must be in [0, 1] (got {string.Join(", ", Shrinkages)}).");
        var candidates = Shrinkages.OrderDescending().ToArray(); // ties go to the larger shrinkage
        var weights = FitWeights(context, groupCount);
        // Each fold starts near the full fit (the loss is convex, so only the number of steps changes), not at equal weights.
        var start = Shrink(weights, 0.01);
        var losses = new double[candidates.Length];
        var foldCount = Math.Min(folds ?? context.Count, context.Count);
        if (foldCount < 1) throw new ArgumentOutOfRangeException(nameof(folds), "at least one fold");
        for (var fold = 0; fold < foldCount; fold++)
        {
            var fitted = FitWeights(context.Where((_, i) => i % foldCount != fold).ToArray(), groupCount, start);
            for (var held = fold; held < context.Count; held += foldCount)
                for (var s = 0; s < candidates.Length; s++)
                    losses[s] += CrossEntropy(context[held].Shares!, Mix(Shrink(fitted, candidates[s]), context[held]), Floor);
        }
        var best = 0;
        for (var s = 1; s < candidates.Length; s++)
            if (losses[s] < losses[best]) best = s;
        return new Mixture(Shrink(weights, candidates[best]), weights, candidates[best]);
    }

    /// <summary>
    /// The simplex weights [H] minimising the mean context cross-entropy, by exponentiated gradient from
    /// equal weights (or from <paramref name="start"/>, positive weights summing to 1); equal weights when
    /// <paramref name="context"/> is empty.
    /// </summary>
    internal double[] FitWeights(IReadOnlyList<PopulationQuestion> context, int groupCount, double[]? start = null)
    {
        if (context.Count == 0) return Enumerable.Repeat(1.0 / groupCount, groupCount).ToArray();
        var weights = start is null ? Enumerable.Repeat(1.0 / groupCount, groupCount).ToArray() : (double[])start.Clone();
        var gradient = new double[groupCount];
        var loss = LossAndGradient(context, weights, gradient);
        var step = 1.0;
        var candidate = new double[groupCount];
        var candidateGradient = new double[groupCount];
        for (var iteration = 0; iteration < MaxIterations && step > 1e-12; iteration++)
        {
            // w_h ∝ w_h exp(−η g_h), in the log domain (shifted by the largest exponent).
            var max = double.NegativeInfinity;
            for (var h = 0; h < groupCount; h++)
            {
                candidate[h] = weights[h] > 0 ? Math.Log(weights[h]) - step * gradient[h] : double.NegativeInfinity;
                max = Math.Max(max, candidate[h]);
            }
            var sum = 0.0;
            for (var h = 0; h < groupCount; h++) sum += candidate[h] = Math.Exp(candidate[h] - max);
            for (var h = 0; h < groupCount; h++) candidate[h] /= sum;

            var candidateLoss = LossAndGradient(context, candidate, candidateGradient);
            if (candidateLoss <= loss)
            {
                var improvement = loss - candidateLoss;
                (weights, candidate) = (candidate, weights);
                (gradient, candidateGradient) = (candidateGradient, gradient);
                loss = candidateLoss;
                step = Math.Min(step * 1.5, 1e6);
                if (improvement <= 1e-13 * (1 + loss) || FrankWolfeGap(weights, gradient) <= Tolerance) break;
            }
            else
            {
                step *= 0.5;
            }
        }
        return weights;
    }

    /// <summary>Σ_h w_h g_h − min_h g_h: an upper bound on how far the loss at <paramref name="weights"/> is above the minimum over the simplex (0 at the minimum).</summary>
    private static double FrankWolfeGap(double[] weights, double[] gradient)
    {
        double weighted = 0, min = double.PositiveInfinity;
        for (var h = 0; h < weights.Length; h++)
        {
            weighted += weights[h] * gradient[h];
            min = Math.Min(min, gradient[h]);
        }
        return weighted - min;
    }

    /// <summary>The mean context cross-entropy at <paramref name="weights"/>; writes ∂/∂w_h into <paramref name="gradient"/> [H].</summary>
    internal double LossAndGradient(IReadOnlyList<PopulationQuestion> context, double[] weights, double[] gradient)
    {
        Array.Clear(gradient);
        var loss = 0.0;
        foreach (var question in context)
        {
            var total = 0.0;
            foreach (var (group, _) in question.Answers) total += weights[group];
            var predicted = Mix(weights, question);
            var shares = question.Shares!;
            loss += CrossEntropy(shares, predicted, Floor);
            if (total <= 0) continue;
            // ∂L_q/∂w_h = −(1/S) Σ_o y_o (p_{h,o} − p̂_o) / p̂_o over the options above the floor.
            foreach (var (group, distribution) in question.Answers)
            {
                var derivative = 0.0;
                for (var o = 0; o < shares.Length; o++)
                    if (shares[o] > 0 && predicted[o] >= Floor) derivative -= shares[o] * (distribution[o] - predicted[o]) / predicted[o];
                gradient[group] += derivative / total;
            }
        }
        for (var h = 0; h < gradient.Length; h++) gradient[h] /= context.Count;
        return loss / context.Count;
    }

    /// <summary>Σ_h w_h p_{h,q} / Σ_h w_h over the groups that answered q; the prior when those weights are all 0.</summary>
    internal static double[] Mix(double[] weights, PopulationQuestion question)
    {
        var mixed = new double[question.OptionCount];
        var total = 0.0;
        foreach (var (group, distribution) in question.Answers)
        {
            var w = weights[group];
            if (w <= 0) continue;
            total += w;
            for (var o = 0; o < mixed.Length; o++) mixed[o] += w * distribution[o];
        }
        if (total <= 0) return (double[])question.Prior.Clone();
        for (var o = 0; o < mixed.Length; o++) mixed[o] /= total;
        return mixed;
    }

    private static double[] Shrink(double[] weights, double shrinkage) =>
        weights.Select(w => (1 - shrinkage) * w + shrinkage / weights.Length).ToArray();
}
