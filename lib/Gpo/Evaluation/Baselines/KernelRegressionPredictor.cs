using System.Numerics.Tensors;

namespace Gpo.Evaluation.Baselines;

/// <summary>
/// Nadaraya–Watson kernel regression over the context tokens: a query option's share is the
/// weighted mean of the context shares, with weights exp(cos(x, x_j) / τ); the predictions of a
/// question's options are then renormalised to sum to 1. The bandwidth τ is chosen per episode
/// from <see cref="Bandwidths"/> by the squared error of the renormalised shares in a question-wise
/// cross-validation on the context (<see cref="CrossValidation.Folds"/>), so no knob is tuned on
/// test groups. Cosines are computed once per episode and shared by every bandwidth and fold.
/// </summary>
public sealed class KernelRegressionPredictor : IPreferencePredictor
{
    /// <summary>The bandwidths τ tried on the context.</summary>
    public IReadOnlyList<double> Bandwidths { get; init; } = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0];

    public string Name => "kernel_regression";

    public double[][] Predict(Episode episode)
    {
        ArgumentNullException.ThrowIfNull(episode);
        if (episode.Context.Count == 0)
            return new UniformPredictor().Predict(episode);
        var (contextFeatures, contextShares) = episode.ContextTokens();
        var contextUnits = contextFeatures.Select(UnitVector).ToArray();
        var questionOfToken = episode.Context.SelectMany((q, i) => Enumerable.Repeat(i, q.OptionCount)).ToArray();

        var bandwidth = Bandwidths[0];
        if (episode.Context.Count > 1)
        {
            // [context tokens, context tokens] cosines, reused by every bandwidth and fold.
            var cosines = contextUnits.Select(a => contextUnits.Select(b => TensorPrimitives.Dot<double>(a, b)).ToArray()).ToArray();
            var bestError = double.PositiveInfinity;
            foreach (var candidate in Bandwidths)
            {
                var error = 0.0;
                foreach (var held in CrossValidation.Folds(episode.Context.Count))
                {
                    var kept = Enumerable.Range(0, contextUnits.Length).Where(t => !held.Contains(questionOfToken[t])).ToArray();
                    foreach (var question in held)
                    {
                        var tokens = Enumerable.Range(0, contextUnits.Length).Where(t => questionOfToken[t] == question).ToArray();
                        var predicted = Probability.Renormalise(tokens.Select(t => Smooth(kept.Select(j => cosines[t][j]).ToArray(), kept.Select(j => contextShares[j]).ToArray(), candidate)).ToArray());
                        for (var o = 0; o < tokens.Length; o++)
                            error += (predicted[o] - contextShares[tokens[o]]) * (predicted[o] - contextShares[tokens[o]]);
                    }
                }
                if (error < bestError) (bestError, bandwidth) = (error, candidate);
            }
        }
        return episode.Queries.Select(q => Probability.Renormalise(q.OptionFeatures
            .Select(x => { var unit = UnitVector(x); return Smooth(contextUnits.Select(c => TensorPrimitives.Dot<double>(unit, c)).ToArray(), contextShares, bandwidth); })
            .ToArray())).ToArray();
    }

    /// <summary>Σ w_j y_j / Σ w_j with w_j = exp(cos_j / τ), computed stably (log-sum-exp shift).</summary>
    private static double Smooth(double[] cosines, double[] shares, double bandwidth)
    {
        var max = cosines.Max();
        double weighted = 0, total = 0;
        for (var j = 0; j < cosines.Length; j++)
        {
            var weight = Math.Exp((cosines[j] - max) / bandwidth);
            weighted += weight * shares[j];
            total += weight;
        }
        return weighted / total;
    }

    private static double[] UnitVector(float[] x)
    {
        var norm = Math.Sqrt(x.Sum(v => (double)v * v));
        return norm == 0 ? new double[x.Length] : x.Select(v => v / norm).ToArray();
    }
}
