using System.Numerics.Tensors;

namespace Gpo.Evaluation.Baselines;

/// <summary>
/// A per-group reward probe — the embedding-level analogue of the paper's per-group reward model: a
/// linear score r(x) = w·x fit on the group's context tokens alone, turned into a distribution by a
/// softmax over each question's options. Within a question, log p_o − mean log p equals r(x_o) − mean r,
/// so w is fit by ridge regression of within-question-centred log shares (shares floored at
/// <see cref="ShareFloor"/>) on within-question-centred features: in dual form, α = (K + λI)⁻¹t with
/// K = X̃X̃ᵀ, while the context has fewer tokens than features (the few-shot case), in primal form
/// (X̃ᵀX̃ + λI)w = X̃ᵀt beyond. λ is chosen per episode from <see cref="Lambdas"/> (relative to the mean
/// diagonal of K) by the squared error of the predicted shares in a question-wise cross-validation
/// (<see cref="CrossValidation.Folds"/>).
/// </summary>
public sealed class RidgeProbePredictor : IPreferencePredictor
{
    /// <summary>Smallest share whose logarithm is taken (a 0 share becomes this).</summary>
    public const double ShareFloor = 1e-3;

    /// <summary>Ridge strengths tried, as multiples of the mean of K's diagonal.</summary>
    public IReadOnlyList<double> Lambdas { get; init; } = [0.001, 0.01, 0.1, 1, 10, 100];

    public string Name => "ridge_probe";

    public double[][] Predict(Episode episode)
    {
        ArgumentNullException.ThrowIfNull(episode);
        if (episode.Context.Count == 0)
            return new UniformPredictor().Predict(episode);
        _ = episode.ContextTokens(); // validates the context
        var context = episode.Context.Select(q => (Features: CentredFeatures(q.OptionFeatures), Targets: CentredLogShares(q.Distribution!), Shares: q.Distribution!)).ToArray();

        var lambda = Lambdas[0];
        if (context.Length > 1)
        {
            var bestError = double.PositiveInfinity;
            foreach (var candidate in Lambdas)
            {
                var error = 0.0;
                foreach (var held in CrossValidation.Folds(context.Length))
                {
                    var others = context.Where((_, i) => !held.Contains(i)).ToArray();
                    var probe = Fit(others.SelectMany(q => q.Features).ToArray(), others.SelectMany(q => q.Targets).ToArray(), candidate);
                    foreach (var question in held.Select(i => context[i]))
                    {
                        var predicted = probe.Distribution(question.Features);
                        for (var o = 0; o < predicted.Length; o++)
                            error += (predicted[o] - question.Shares[o]) * (predicted[o] - question.Shares[o]);
                    }
                }
                if (error < bestError) (bestError, lambda) = (error, candidate);
            }
        }

        var model = Fit(context.SelectMany(q => q.Features).ToArray(), context.SelectMany(q => q.Targets).ToArray(), lambda);
        return episode.Queries.Select(q => model.Distribution(CentredFeatures(q.OptionFeatures))).ToArray();
    }

    /// <summary>Each option's features minus the question's mean option: [options][dimX].</summary>
    internal static double[][] CentredFeatures(float[][] options)
    {
        var dim = options[0].Length;
        var mean = new double[dim];
        foreach (var x in options)
            for (var d = 0; d < dim; d++) mean[d] += x[d] / (double)options.Length;
        return options.Select(x => x.Select((v, d) => v - mean[d]).ToArray()).ToArray();
    }

    /// <summary>log max(p, floor) minus its mean over the question's options.</summary>
    internal static double[] CentredLogShares(double[] shares)
    {
        var logs = shares.Select(p => Math.Log(Math.Max(p, ShareFloor))).ToArray();
        var mean = logs.Average();
        return logs.Select(l => l - mean).ToArray();
    }

    /// <summary>Fits w on centred tokens [n][dimX] with centred targets [n] by ridge at λ = relative × mean(diag X̃X̃ᵀ).</summary>
    /// <param name="dual">Solve the n×n dual system (default: when n ≤ dimX) rather than the dimX×dimX primal one; both give the same w.</param>
    internal static LinearScore Fit(double[][] features, double[] targets, double relativeLambda, bool? dual = null)
    {
        var n = features.Length;
        var dim = features[0].Length;
        var trace = features.Sum(x => x.Sum(v => v * v));
        var lambda = relativeLambda * Math.Max(trace / n, 1e-12);
        var weights = new double[dim];
        if (dual ?? n <= dim)
        {
            var gram = new double[n, n];
            for (var i = 0; i < n; i++)
                for (var j = 0; j <= i; j++)
                    gram[i, j] = gram[j, i] = TensorPrimitives.Dot<double>(features[i], features[j]);
            for (var i = 0; i < n; i++) gram[i, i] += lambda;
            var alpha = Cholesky.Solve(gram, targets);
            for (var i = 0; i < n; i++) // w = X̃ᵀα
                for (var d = 0; d < dim; d++) weights[d] += alpha[i] * features[i][d];
        }
        else
        {
            var normal = new double[dim, dim];
            var right = new double[dim];
            for (var i = 0; i < n; i++)
            {
                var x = features[i];
                for (var a = 0; a < dim; a++)
                {
                    right[a] += x[a] * targets[i];
                    for (var b = 0; b <= a; b++) normal[a, b] += x[a] * x[b];
                }
            }
            for (var a = 0; a < dim; a++)
            {
                normal[a, a] += lambda;
                for (var b = 0; b < a; b++) normal[b, a] = normal[a, b];
            }
            weights = Cholesky.Solve(normal, right);
        }
        return new LinearScore(weights);
    }

    /// <summary>A linear reward r(x) = w·x over (centred) features.</summary>
    internal sealed record LinearScore(double[] Weights)
    {
        public double Score(double[] x)
        {
            var score = 0.0;
            for (var d = 0; d < Weights.Length; d++) score += Weights[d] * x[d];
            return score;
        }

        /// <summary>Softmax of the scores of a question's options.</summary>
        public double[] Distribution(double[][] options)
        {
            var scores = options.Select(Score).ToArray();
            var max = scores.Max();
            var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
            var sum = exp.Sum();
            return exp.Select(e => e / sum).ToArray();
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
