using Gpo.Evaluation;
using Gpo.Evaluation.Baselines;

namespace Gpo.Tests;

public class BaselineTests
{
    private static EpisodeQuestion Question(string id, double[]? shares, params float[][] options) => new(id, options, shares);

    [Fact]
    public void Uniform_gives_one_over_option_count()
    {
        var episode = new Episode("g", [], [Question("q1", null, [1f], [2f], [3f]), Question("q2", null, [1f], [2f])]);
        var predicted = new UniformPredictor().Predict(episode);
        Assert.Equal([1 / 3.0, 1 / 3.0, 1 / 3.0], predicted[0]);
        Assert.Equal([0.5, 0.5], predicted[1]);
    }

    [Fact]
    public void Population_prior_is_the_mean_of_the_groups_and_falls_back_to_uniform()
    {
        var prior = PopulationPriorPredictor.FromGroups(
        [
            [("q1", new[] { 0.2, 0.8 }), ("q2", new[] { 1.0, 0.0, 0.0 })],
            [("q1", new[] { 0.6, 0.4 })],
        ]);
        var episode = new Episode("g", [], [Question("q1", null, [0f], [0f]), Question("q2", null, [0f], [0f], [0f]), Question("q3", null, [0f], [0f])]);
        var predicted = prior.Predict(episode);
        Assert.Equal(0.4, predicted[0][0], 12);
        Assert.Equal(0.6, predicted[0][1], 12);
        Assert.Equal([1.0, 0.0, 0.0], predicted[1]);
        Assert.Equal([0.5, 0.5], predicted[2]);
        Assert.Equal(1, prior.FallbackCount);
    }

    [Fact]
    public void Population_prior_rejects_groups_that_disagree_on_option_count()
    {
        Assert.Throws<InvalidOperationException>(() => PopulationPriorPredictor.FromGroups([[("q1", new[] { 0.5, 0.5 })], [("q1", new[] { 0.2, 0.3, 0.5 })]]));
    }

    [Fact]
    public void Kernel_regression_with_a_narrow_kernel_copies_the_nearest_context_token()
    {
        // Two context questions on orthogonal directions; a query option on each direction.
        var episode = new Episode("g",
            [Question("c1", [0.9, 0.1], [1f, 0f, 0f], [0f, 1f, 0f]), Question("c2", [0.3, 0.7], [0f, 0f, 1f], [1f, 1f, 1f])],
            [Question("q", null, [2f, 0f, 0f], [0f, 3f, 0f])]);
        var predictor = new KernelRegressionPredictor { Bandwidths = [0.001] };
        var predicted = predictor.Predict(episode)[0];
        // Nearest tokens have shares 0.9 and 0.1 → renormalised [0.9, 0.1].
        Assert.Equal(0.9, predicted[0], 6);
        Assert.Equal(0.1, predicted[1], 6);
    }

    [Fact]
    public void Kernel_regression_with_a_wide_kernel_tends_to_the_mean_share()
    {
        var episode = new Episode("g",
            [Question("c1", [0.9, 0.1], [1f, 0f], [0f, 1f])],
            [Question("q", null, [1f, 0.2f], [0.3f, 1f], [1f, 1f])]);
        var predicted = new KernelRegressionPredictor { Bandwidths = [1e6] }.Predict(episode)[0];
        foreach (var share in predicted) Assert.Equal(1 / 3.0, share, 5);
    }

    [Fact]
    public void Ridge_probe_recovers_a_softmax_of_a_linear_reward()
    {
        // Shares are softmax(r(x)) with r(x) = 2·x0 − x1 (+ a per-question constant, which softmax ignores).
        var random = new Random(7);
        float[] Token() => [(float)random.NextDouble(), (float)random.NextDouble(), (float)random.NextDouble()];
        static double[] Softmax(IEnumerable<double> scores) { var e = scores.Select(Math.Exp).ToArray(); var s = e.Sum(); return e.Select(v => v / s).ToArray(); }
        static double Reward(float[] x) => 2 * x[0] - x[1];
        var context = Enumerable.Range(0, 8).Select(i =>
        {
            var options = new[] { Token(), Token(), Token() };
            var offset = random.NextDouble();
            return Question($"c{i}", Softmax(options.Select(x => Reward(x) + offset)), options);
        }).ToList();
        var queryOptions = new[] { Token(), Token(), Token(), Token() };
        var episode = new Episode("g", context, [Question("q", null, queryOptions)]);

        var predicted = new RidgeProbePredictor { Lambdas = [1e-9] }.Predict(episode)[0];
        var expected = Softmax(queryOptions.Select(Reward));
        for (var o = 0; o < 4; o++) Assert.Equal(expected[o], predicted[o], 6);
    }

    [Fact]
    public void Ridge_dual_solution_matches_the_primal_normal_equations()
    {
        var random = new Random(3);
        var features = Enumerable.Range(0, 5).Select(_ => Enumerable.Range(0, 2).Select(_ => random.NextDouble()).ToArray()).ToArray();
        var targets = Enumerable.Range(0, 5).Select(_ => random.NextDouble()).ToArray();
        const double relative = 0.3;
        var model = RidgeProbePredictor.Fit(features, targets, relative);

        // Primal: (XᵀX + λI) w = Xᵀt with λ = relative · trace(XXᵀ)/n, solved by Cramer's rule (2×2).
        var lambda = relative * features.Sum(r => r[0] * r[0] + r[1] * r[1]) / 5;
        double a = features.Sum(r => r[0] * r[0]) + lambda, b = features.Sum(r => r[0] * r[1]), d = features.Sum(r => r[1] * r[1]) + lambda;
        double r0 = features.Select((r, i) => r[0] * targets[i]).Sum(), r1 = features.Select((r, i) => r[1] * targets[i]).Sum();
        var det = a * d - b * b;
        Assert.Equal((d * r0 - b * r1) / det, model.Weights[0], 10);
        Assert.Equal((a * r1 - b * r0) / det, model.Weights[1], 10);
    }

    [Fact]
    public void Ridge_dual_and_primal_forms_give_the_same_weights()
    {
        var random = new Random(5);
        foreach (var (n, dim) in new[] { (4, 9), (12, 3) })
        {
            var features = Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, dim).Select(_ => random.NextDouble() - 0.5).ToArray()).ToArray();
            var targets = Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
            var dual = RidgeProbePredictor.Fit(features, targets, 0.1, dual: true);
            var primal = RidgeProbePredictor.Fit(features, targets, 0.1, dual: false);
            for (var d = 0; d < dim; d++) Assert.Equal(dual.Weights[d], primal.Weights[d], 10);
        }
    }

    [Fact]
    public void Cross_validation_folds_cover_every_question_once()
    {
        foreach (var count in new[] { 2, 5, 23 })
        {
            var folds = CrossValidation.Folds(count);
            Assert.Equal(Math.Min(count, CrossValidation.MaxFolds), folds.Count);
            Assert.Equal(Enumerable.Range(0, count), folds.SelectMany(f => f).Order());
        }
    }

    [Fact]
    public void Regression_baselines_always_return_distributions()
    {
        var random = new Random(11);
        float[] Token() => Enumerable.Range(0, 4).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        double[] Shares(int k) { var s = Enumerable.Range(0, k).Select(_ => random.NextDouble()).ToArray(); var t = s.Sum(); return s.Select(v => v / t).ToArray(); }
        var context = Enumerable.Range(0, 4).Select(i => Question($"c{i}", Shares(3), Token(), Token(), Token())).ToList();
        var queries = Enumerable.Range(0, 5).Select(i => Question($"q{i}", null, Enumerable.Range(0, 2 + i).Select(_ => Token()).ToArray())).ToList();
        var episode = new Episode("g", context, queries);
        foreach (IPreferencePredictor predictor in new IPreferencePredictor[] { new KernelRegressionPredictor(), new RidgeProbePredictor() })
        {
            var predicted = predictor.Predict(episode);
            Assert.Equal(queries.Count, predicted.Length);
            for (var i = 0; i < queries.Count; i++)
            {
                Assert.Equal(queries[i].OptionCount, predicted[i].Length);
                Assert.All(predicted[i], p => Assert.True(p > 0 && p < 1));
                Assert.Equal(1.0, predicted[i].Sum(), 12);
            }
        }
    }
}
