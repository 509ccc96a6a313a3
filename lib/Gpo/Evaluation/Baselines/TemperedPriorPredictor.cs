namespace Gpo.Evaluation.Baselines;

/// <summary>
/// <c>tempered_prior</c>: the population prior flattened or sharpened for the group, p̂ ∝ max(prior, ε)^τ with
/// ε = <see cref="PopulationContextPredictor.Floor"/>. τ minimises the mean context cross-entropy
/// −Σ_o y_o log p̂_o (computed in the log domain, convex in τ) over [<see cref="MinTemperature"/>,
/// <see cref="MaxTemperature"/>], by golden-section search on log τ, then is shrunk towards 1 on the log scale,
/// log τ = (1 − λ) log τ_fit, with λ chosen from <see cref="Shrinkages"/> by leave-one-out over the context questions
/// (fit τ on k − 1, score the held-out question by the same cross-entropy; ties go to the larger λ). With no context
/// τ = 1 and the prediction is the prior itself.
/// </summary>
public sealed class TemperedPriorPredictor(TrainingPopulation population) : PopulationContextPredictor(population)
{
    /// <summary>Smallest exponent τ searched.</summary>
    public double MinTemperature { get; init; } = 0.05;

    /// <summary>Largest exponent τ searched.</summary>
    public double MaxTemperature { get; init; } = 10;

    /// <summary>The shrinkages λ of log τ towards 0 (τ towards 1) tried by leave-one-out.</summary>
    public IReadOnlyList<double> Shrinkages { get; init; } = [0, 0.25, 0.5, 0.75, 1];

    public override string Name => "tempered_prior";

    /// <summary>A fitted temperature: τ after shrinkage, the fitted τ and the chosen λ.</summary>
    internal sealed record Temperature(double Tau, double FittedTau, double Shrinkage);

    private protected override Func<PopulationQuestion, double[]> Fit(IReadOnlyList<PopulationQuestion> context, TrainingPopulation population)
    {
        var tau = FitTemperature(context).Tau;
        return question => Temper(question.Prior, tau, Floor);
    }

    /// <summary>Chooses the shrinkage λ by leave-one-out over <paramref name="context"/>, then fits τ on all of it.</summary>
    internal Temperature FitTemperature(IReadOnlyList<PopulationQuestion> context)
    {
        if (Shrinkages.Count == 0 || Shrinkages.Any(s => !(s >= 0 && s <= 1)))
            throw new InvalidOperationException($"{Name}: shrinkages must be in [0, 1] (got {string.Join(", ", Shrinkages)}).");
        var candidates = Shrinkages.OrderDescending().ToArray(); // ties go to the larger shrinkage
        var losses = new double[candidates.Length];
        for (var held = 0; held < context.Count; held++)
        {
            var logTau = FitLogTemperature(context.Where((_, i) => i != held).ToArray());
            for (var s = 0; s < candidates.Length; s++)
                losses[s] += CrossEntropy(context[held], Math.Exp((1 - candidates[s]) * logTau));
        }
        var best = 0;
        for (var s = 1; s < candidates.Length; s++)
            if (losses[s] < losses[best]) best = s;
        var fitted = FitLogTemperature(context);
        return new Temperature(Math.Exp((1 - candidates[best]) * fitted), Math.Exp(fitted), candidates[best]);
    }

    /// <summary>The log τ minimising the mean context cross-entropy, to about 1e-8; 0 (τ = 1) for no context.</summary>
    internal double FitLogTemperature(IReadOnlyList<PopulationQuestion> context)
    {
        if (!(MinTemperature > 0 && MaxTemperature >= MinTemperature))
            throw new InvalidOperationException($"{Name}: need 0 < min ≤ max temperature (got {MinTemperature}, {MaxTemperature}).");
        if (context.Count == 0) return 0;
        double Loss(double logTau) => context.Average(q => CrossEntropy(q, Math.Exp(logTau)));

        // Golden-section search on log τ (the loss is convex in τ, so unimodal in log τ).
        var invPhi = (Math.Sqrt(5) - 1) / 2;
        double a = Math.Log(MinTemperature), b = Math.Log(MaxTemperature);
        double x1 = b - invPhi * (b - a), x2 = a + invPhi * (b - a);
        double f1 = Loss(x1), f2 = Loss(x2);
        while (b - a > 1e-8)
        {
            if (f1 <= f2) { b = x2; x2 = x1; f2 = f1; x1 = b - invPhi * (b - a); f1 = Loss(x1); }
            else { a = x1; x1 = x2; f1 = f2; x2 = a + invPhi * (b - a); f2 = Loss(x2); }
        }
        return (a + b) / 2;
    }

    /// <summary>−Σ_o y_o log p̂_o for p̂ ∝ max(prior, floor)^τ, in the log domain (no floor on p̂ is needed).</summary>
    private double CrossEntropy(PopulationQuestion question, double tau)
    {
        var logits = question.Prior.Select(p => tau * Math.Log(Math.Max(p, Floor))).ToArray();
        var max = logits.Max();
        var logPartition = max + Math.Log(logits.Sum(l => Math.Exp(l - max)));
        var shares = question.Shares!;
        var loss = 0.0;
        for (var o = 0; o < logits.Length; o++) loss -= shares[o] * (logits[o] - logPartition);
        return loss;
    }

    /// <summary>max(p, floor)^τ, normalised [options].</summary>
    internal static double[] Temper(double[] prior, double tau, double floor)
    {
        var logits = prior.Select(p => tau * Math.Log(Math.Max(p, floor))).ToArray();
        var max = logits.Max();
        var exp = logits.Select(l => Math.Exp(l - max)).ToArray();
        var sum = exp.Sum();
        return exp.Select(e => e / sum).ToArray();
    }
}
