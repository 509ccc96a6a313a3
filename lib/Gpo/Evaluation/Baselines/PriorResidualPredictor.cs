namespace Gpo.Evaluation.Baselines;

/// <summary>
/// <c>prior_residual</c>: the population prior plus a weighted sum of each training-side group's deviation
/// from it, p̂_q = prior_q + Σ_h β_h d_{h,q} with d_{h,q} = p_{h,q} − prior_q (0 where h did not answer q),
/// floored at <see cref="PopulationContextPredictor.Floor"/> and renormalised. β is fit by ridge regression of
/// the context residuals y − prior on the deviations, one row per context token (option):
/// (DᵀD + λI) β = Dᵀ(y − prior), λ = relative × mean diagonal of DᵀD. The relative λ is chosen from
/// <see cref="Lambdas"/> by leave-one-question-out over the context, scored by the cross-entropy of the final
/// prediction; ties go to the larger λ (∞ is the prior itself). Unlike <see cref="GroupMixturePredictor"/> the
/// weights may be negative: a group can be predicted as further from the population than any training group.
/// </summary>
public sealed class PriorResidualPredictor(TrainingPopulation population) : PopulationContextPredictor(population)
{
    /// <summary>Ridge strengths tried, as multiples of the mean diagonal of DᵀD (∞: β = 0, the prior).</summary>
    public IReadOnlyList<double> Lambdas { get; init; } = [0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, double.PositiveInfinity];

    public override string Name => "prior_residual";

    /// <summary>A fitted residual model: β [H] and the chosen relative λ.</summary>
    internal sealed record Residual(double[] Beta, double Lambda);

    private protected override Func<PopulationQuestion, double[]> Fit(IReadOnlyList<PopulationQuestion> context, TrainingPopulation population)
    {
        var residual = FitResidual(context, population.Groups.Count);
        return question => Predict(residual.Beta, question);
    }

    /// <summary>Chooses λ by leave-one-question-out over <paramref name="context"/>, then fits β on all of it.</summary>
    internal Residual FitResidual(IReadOnlyList<PopulationQuestion> context, int groupCount)
    {
        if (Lambdas.Count == 0 || Lambdas.Any(l => !(l > 0)))
            throw new InvalidOperationException($"{Name}: ridge strengths must be > 0 (got {string.Join(", ", Lambdas)}).");
        var candidates = Lambdas.OrderDescending().ToArray(); // ties go to the stronger ridge
        var losses = new double[candidates.Length];
        for (var held = 0; held < context.Count; held++)
        {
            var others = context.Where((_, i) => i != held).ToArray();
            for (var l = 0; l < candidates.Length; l++)
                losses[l] += CrossEntropy(context[held].Shares!, Predict(Ridge(others, groupCount, candidates[l]), context[held]), Floor);
        }
        var best = 0;
        for (var l = 1; l < candidates.Length; l++)
            if (losses[l] < losses[best]) best = l;
        return new Residual(Ridge(context, groupCount, candidates[best]), candidates[best]);
    }

    /// <summary>β [H] solving (DᵀD + λI) β = Dᵀ(y − prior) over the tokens of <paramref name="context"/>, λ = relative × mean diag DᵀD; 0 for λ = ∞ or no context.</summary>
    internal static double[] Ridge(IReadOnlyList<PopulationQuestion> context, int groupCount, double relativeLambda)
    {
        var beta = new double[groupCount];
        if (context.Count == 0 || double.IsPositiveInfinity(relativeLambda)) return beta;
        var normal = new double[groupCount, groupCount];
        var right = new double[groupCount];
        var deviation = new double[groupCount];
        foreach (var question in context)
        {
            for (var o = 0; o < question.OptionCount; o++)
            {
                Array.Clear(deviation);
                foreach (var (group, distribution) in question.Answers) deviation[group] = distribution[o] - question.Prior[o];
                var residual = question.Shares![o] - question.Prior[o];
                for (var a = 0; a < groupCount; a++)
                {
                    if (deviation[a] == 0) continue;
                    right[a] += deviation[a] * residual;
                    for (var b = 0; b < groupCount; b++) normal[a, b] += deviation[a] * deviation[b];
                }
            }
        }
        var trace = 0.0;
        for (var a = 0; a < groupCount; a++) trace += normal[a, a];
        var lambda = relativeLambda * Math.Max(trace / groupCount, 1e-12);
        for (var a = 0; a < groupCount; a++) normal[a, a] += lambda;
        return Cholesky.Solve(normal, right);
    }

    /// <summary>prior + Σ_h β_h (p_h − prior) over the answering groups, floored and renormalised.</summary>
    private double[] Predict(double[] beta, PopulationQuestion question)
    {
        var predicted = (double[])question.Prior.Clone();
        foreach (var (group, distribution) in question.Answers)
            for (var o = 0; o < predicted.Length; o++) predicted[o] += beta[group] * (distribution[o] - question.Prior[o]);
        var sum = 0.0;
        for (var o = 0; o < predicted.Length; o++) sum += predicted[o] = Math.Max(predicted[o], Floor);
        for (var o = 0; o < predicted.Length; o++) predicted[o] /= sum;
        return predicted;
    }
}
