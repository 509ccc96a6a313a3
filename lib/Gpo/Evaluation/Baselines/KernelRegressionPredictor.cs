namespace Gpo.Evaluation.Baselines;

/// <summary>
/// Nadaraya–Watson kernel regression over the context tokens: a query option's share is the
/// weighted mean of the context shares, with weights exp(cos(x, x_j) / τ); the predictions of a
/// question's options are then renormalised to sum to 1. The bandwidth τ is chosen per episode
/// from <see cref="Bandwidths"/> by leave-one-question-out error on the context (squared error of
/// the renormalised shares), so the method has no knob tuned on test groups.
/// </summary>
public sealed class KernelRegressionPredictor : IPreferencePredictor
{
    /// <summary>The bandwidths τ tried on the context.</summary>
    public IReadOnlyList<double> Bandwidths { get; init; } = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0];

    public string Name => "kernel_regression";

    public double[][] Predict(Episode episode)
    {
        ArgumentNullException.ThrowIfNull(episode);
        var context = episode.Context.Select(q => (Unit: q.OptionFeatures.Select(UnitVector).ToArray(), Shares: q.Distribution!)).ToArray();
        if (context.Length == 0)
            return new UniformPredictor().Predict(episode);
        _ = episode.ContextTokens(); // validates the context's distributions

        var bandwidth = Bandwidths[0];
        if (context.Length > 1)
        {
            var bestError = double.PositiveInfinity;
            foreach (var candidate in Bandwidths)
            {
                var error = 0.0;
                for (var held = 0; held < context.Length; held++)
                {
                    var others = context.Where((_, i) => i != held).ToArray();
                    var predicted = PredictQuestion(context[held].Unit, others, candidate);
                    for (var o = 0; o < predicted.Length; o++)
                        error += (predicted[o] - context[held].Shares[o]) * (predicted[o] - context[held].Shares[o]);
                }
                if (error < bestError) (bestError, bandwidth) = (error, candidate);
            }
        }
        return episode.Queries.Select(q => PredictQuestion(q.OptionFeatures.Select(UnitVector).ToArray(), context, bandwidth)).ToArray();
    }

    private static double[] PredictQuestion(double[][] optionUnits, (double[][] Unit, double[] Shares)[] context, double bandwidth)
    {
        var shares = new double[optionUnits.Length];
        for (var o = 0; o < optionUnits.Length; o++)
        {
            // Log-sum-exp over the context tokens keeps small bandwidths finite.
            var maxLogit = double.NegativeInfinity;
            foreach (var (units, _) in context)
                foreach (var unit in units)
                    maxLogit = Math.Max(maxLogit, Dot(optionUnits[o], unit) / bandwidth);
            double weighted = 0, total = 0;
            foreach (var (units, contextShares) in context)
            {
                for (var j = 0; j < units.Length; j++)
                {
                    var weight = Math.Exp(Dot(optionUnits[o], units[j]) / bandwidth - maxLogit);
                    weighted += weight * contextShares[j];
                    total += weight;
                }
            }
            shares[o] = weighted / total;
        }
        return Probability.Renormalise(shares);
    }

    private static double[] UnitVector(float[] x)
    {
        var norm = Math.Sqrt(x.Sum(v => (double)v * v));
        return norm == 0 ? new double[x.Length] : x.Select(v => v / norm).ToArray();
    }

    private static double Dot(double[] a, double[] b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }
}
