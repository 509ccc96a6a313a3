namespace Gpo.Evaluation.Baselines;

/// <summary>
/// A per-group linear probe: ridge regression y ≈ w·(x − x̄) + ȳ fit on the group's context tokens
/// alone (the embedding-level analogue of the paper's per-group reward model), then clipped and
/// renormalised per question. Solved in dual form, α = (K + λI)⁻¹(y − ȳ) with K = X̃X̃ᵀ, because a
/// few-shot context has far fewer tokens than feature dimensions. λ is chosen per episode from
/// <see cref="Lambdas"/> (relative to the mean diagonal of K) by leave-one-question-out error.
/// </summary>
public sealed class RidgeProbePredictor : IPreferencePredictor
{
    /// <summary>Ridge strengths tried, as multiples of the mean of K's diagonal.</summary>
    public IReadOnlyList<double> Lambdas { get; init; } = [0.001, 0.01, 0.1, 1, 10, 100];

    public string Name => "ridge_probe";

    public double[][] Predict(Episode episode)
    {
        ArgumentNullException.ThrowIfNull(episode);
        if (episode.Context.Count == 0)
            return new UniformPredictor().Predict(episode);
        var (features, shares) = episode.ContextTokens();
        var questionOfToken = episode.Context.SelectMany((q, i) => Enumerable.Repeat(i, q.OptionCount)).ToArray();

        var lambda = Lambdas[0];
        if (episode.Context.Count > 1)
        {
            var bestError = double.PositiveInfinity;
            foreach (var candidate in Lambdas)
            {
                var error = 0.0;
                for (var held = 0; held < episode.Context.Count; held++)
                {
                    var train = Enumerable.Range(0, features.Length).Where(t => questionOfToken[t] != held).ToArray();
                    var test = Enumerable.Range(0, features.Length).Where(t => questionOfToken[t] == held).ToArray();
                    var model = Fit(train.Select(t => features[t]).ToArray(), train.Select(t => shares[t]).ToArray(), candidate);
                    var predicted = Probability.Renormalise(test.Select(t => model.Predict(features[t])).ToArray());
                    for (var o = 0; o < test.Length; o++)
                        error += (predicted[o] - shares[test[o]]) * (predicted[o] - shares[test[o]]);
                }
                if (error < bestError) (bestError, lambda) = (error, candidate);
            }
        }

        var probe = Fit(features, shares, lambda);
        return episode.Queries.Select(q => Probability.Renormalise(q.OptionFeatures.Select(probe.Predict).ToArray())).ToArray();
    }

    /// <summary>Fits the dual ridge model on tokens [n][dimX] with targets [n].</summary>
    internal static DualRidge Fit(float[][] features, double[] targets, double relativeLambda)
    {
        var n = features.Length;
        var dim = features[0].Length;
        var mean = new double[dim];
        foreach (var x in features)
            for (var d = 0; d < dim; d++) mean[d] += x[d] / n;
        var centred = features.Select(x => x.Select((v, d) => v - mean[d]).ToArray()).ToArray();
        var targetMean = targets.Average();

        var gram = new double[n, n];
        var trace = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var dot = 0.0;
                for (var d = 0; d < dim; d++) dot += centred[i][d] * centred[j][d];
                gram[i, j] = gram[j, i] = dot;
            }
            trace += gram[i, i];
        }
        var lambda = relativeLambda * Math.Max(trace / n, 1e-12);
        for (var i = 0; i < n; i++) gram[i, i] += lambda;
        var alpha = Cholesky.Solve(gram, targets.Select(t => t - targetMean).ToArray());

        // Primal weights w = X̃ᵀα make prediction O(dimX) per token.
        var weights = new double[dim];
        for (var i = 0; i < n; i++)
            for (var d = 0; d < dim; d++) weights[d] += alpha[i] * centred[i][d];
        return new DualRidge(mean, weights, targetMean);
    }

    internal sealed record DualRidge(double[] FeatureMean, double[] Weights, double TargetMean)
    {
        public double Predict(float[] x)
        {
            var y = TargetMean;
            for (var d = 0; d < Weights.Length; d++) y += Weights[d] * (x[d] - FeatureMean[d]);
            return y;
        }
    }
}

/// <summary>Cholesky factorisation and solve for small symmetric positive-definite systems.</summary>
internal static class Cholesky
{
    /// <summary>Solves A z = b for symmetric positive-definite A [n,n] (A is not modified).</summary>
    public static double[] Solve(double[,] a, double[] b)
    {
        var n = b.Length;
        var l = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var sum = a[i, j];
                for (var k = 0; k < j; k++) sum -= l[i, k] * l[j, k];
                if (i == j)
                {
                    if (sum <= 0) throw new InvalidOperationException($"Matrix is not positive definite (pivot {i} = {sum}).");
                    l[i, i] = Math.Sqrt(sum);
                }
                else
                {
                    l[i, j] = sum / l[j, j];
                }
            }
        }
        var z = new double[n];
        for (var i = 0; i < n; i++)
        {
            var sum = b[i];
            for (var k = 0; k < i; k++) sum -= l[i, k] * z[k];
            z[i] = sum / l[i, i];
        }
        for (var i = n - 1; i >= 0; i--)
        {
            var sum = z[i];
            for (var k = i + 1; k < n; k++) sum -= l[k, i] * z[k];
            z[i] = sum / l[i, i];
        }
        return z;
    }
}
