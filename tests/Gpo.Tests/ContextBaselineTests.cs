using System.Text.Json;
using Gpo.Data;
using Gpo.Evaluation;
using Gpo.Evaluation.Baselines;

namespace Gpo.Tests;

/// <summary>
/// The training population and the baselines that read it together with a group's context
/// (group_mixture, prior_residual, tempered_prior): hand-worked cases and reference values.
/// </summary>
public class ContextBaselineTests
{
    /// <summary>A question without features (the context baselines read only shares).</summary>
    private static EpisodeQuestion Question(string id, double[]? shares, int options) =>
        new(id, Enumerable.Range(0, options).Select(_ => Array.Empty<float>()).ToArray(), shares);

    private static TrainingPopulation Population(params (string Group, (string QuestionId, double[] Distribution)[] Answers)[] groups) =>
        TrainingPopulation.FromGroups(groups.Select(g => (g.Group, (IEnumerable<(string, double[])>)g.Answers)));

    [Fact]
    public void Population_lists_the_answering_groups_and_their_mean_with_and_without_one_group()
    {
        var population = Population(
            ("A", [("q1", [0.2, 0.8]), ("q2", [1.0, 0.0, 0.0])]),
            ("B", [("q1", [0.6, 0.4])]),
            ("C", [("q1", [0.4, 0.6]), ("q2", [0.0, 0.5, 0.5])]));
        Assert.Equal(["A", "B", "C"], population.Groups);
        Assert.Equal([0, 1, 2], population.Answers("q1").Select(a => a.Group));
        Assert.Equal([0, 2], population.Answers("q2").Select(a => a.Group));
        Assert.Empty(population.Answers("q3"));
        Assert.Null(population.Prior("q3"));

        var prior = population.Prior("q1")!;
        Assert.Equal(0.4, prior[0], 12);
        Assert.Equal(0.6, prior[1], 12);
        var withoutB = population.Prior("q1", excludeGroup: "B")!;
        Assert.Equal(0.3, withoutB[0], 12);
        Assert.Equal(0.7, withoutB[1], 12);
        Assert.Equal([0.5, 0.25, 0.25], population.Prior("q2")!);
        Assert.Equal([0.4, 0.6], population.Prior("q1", excludeGroup: "not a group")!.Select(v => Math.Round(v, 12)));

        var lessA = population.Without("A");
        Assert.Equal(["B", "C"], lessA.Groups);
        Assert.Equal([0, 1], lessA.Answers("q1").Select(a => a.Group));
        Assert.Equal([0.0, 0.5, 0.5], lessA.Prior("q2")!);
        Assert.Equal([1], lessA.Answers("q2").Select(a => a.Group));
        Assert.Null(population.Without("A").Without("C").Prior("q2"));
        Assert.Same(population, population.Without("Z"));
    }

    [Fact]
    public void Population_prior_predictor_from_a_population_leaves_out_the_episodes_own_group()
    {
        var population = Population(("A", [("q1", [0.2, 0.8])]), ("B", [("q1", [0.6, 0.4])]));
        var predictor = new PopulationPriorPredictor(population);
        var heldOut = predictor.Predict(new Episode("Z", [], [Question("q1", null, 2), Question("q9", null, 3)]));
        Assert.Equal(0.4, heldOut[0][0], 12);
        Assert.Equal([1 / 3.0, 1 / 3.0, 1 / 3.0], heldOut[1]);
        Assert.Equal(1, predictor.FallbackCount);
        var validationGroup = predictor.Predict(new Episode("A", [], [Question("q1", null, 2)]));
        Assert.Equal([0.6, 0.4], validationGroup[0]);
    }

    [Fact]
    public void Population_from_a_dataset_holds_each_groups_answers()
    {
        var dataset = SyntheticBenchmark.Generate();
        var groups = dataset.Groups.Take(3).ToArray();
        var population = TrainingPopulation.FromDataset(dataset, groups);
        var question = dataset.Questions[0].Id;
        Assert.Equal(groups, population.Groups);
        Assert.Equal(groups.Length, population.Answers(question).Count);
        var expected = groups.Select(g => dataset.GetDistribution(g, question)).ToArray();
        var prior = population.Prior(question)!;
        for (var o = 0; o < prior.Length; o++) Assert.Equal(expected.Average(p => p[o]), prior[o], 12);
        var error = Assert.Throws<InvalidOperationException>(() => TrainingPopulation.FromDataset(dataset, ["no such group"]));
        Assert.Contains("no such group", error.Message);
    }

    [Theory]
    [InlineData(double.NaN, "share 1 is NaN")]
    [InlineData(-0.1, "share 1 is -0.1")]
    [InlineData(double.PositiveInfinity, "share 1 is Infinity")]
    public void Population_rejects_bad_shares_naming_group_and_question(double share, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Population(("A", [("q1", [0.5, 0.5])]), ("B", [("q7", [0.5, share])])));
        Assert.Contains("Group 'B', question 'q7'", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Population_rejects_disagreeing_option_counts_and_repeated_names()
    {
        var counts = Assert.Throws<InvalidOperationException>(() => Population(("A", [("q1", [0.5, 0.5])]), ("B", [("q1", [0.2, 0.3, 0.5])])));
        Assert.Contains("Question 'q1'", counts.Message);
        Assert.Contains("'B' has 3", counts.Message);
        Assert.Throws<InvalidOperationException>(() => Population(("A", [("q1", [0.5, 0.5])]), ("A", [("q2", [0.5, 0.5])])));
        Assert.Throws<InvalidOperationException>(() => Population(("A", [("q1", [0.5, 0.5]), ("q1", [0.5, 0.5])])));
        Assert.Throws<InvalidOperationException>(() => Population(("A", [("q1", [0.0, 0.0])])));
    }

    // ---- the context-using baselines

    private static PopulationContextPredictor[] AllMethods(TrainingPopulation population) =>
        [new GroupMixturePredictor(population), new PriorResidualPredictor(population), new TemperedPriorPredictor(population), new ImputedMixturePredictor(population)];

    /// <summary>The context question as the fits see it (answers and prior from the population).</summary>
    private static PopulationQuestion Read(TrainingPopulation population, string questionId, double[]? shares) =>
        new(questionId, population.Answers(questionId), population.Prior(questionId)!, shares);

    /// <summary>Two groups with disjoint favourite options on 3-option questions c0..c{n-1} and queries q0, q1.</summary>
    private static TrainingPopulation Opposites(int contextQuestions)
    {
        var ids = Enumerable.Range(0, contextQuestions).Select(i => $"c{i}").Concat(["q0", "q1"]).ToArray();
        return Population(
            ("A", ids.Select((id, i) => (id, new[] { 0.7 + 0.01 * i, 0.2 - 0.01 * i, 0.1 })).ToArray()),
            ("B", ids.Select((id, i) => (id, new[] { 0.1, 0.3 - 0.01 * i, 0.6 + 0.01 * i })).ToArray()));
    }

    [Fact]
    public void Mixture_fit_to_one_groups_own_answers_puts_all_weight_on_it()
    {
        var population = Opposites(8);
        var context = Enumerable.Range(0, 8).Select(i => Question($"c{i}", population.Answers($"c{i}")[0].Distribution, 3)).ToArray();
        var episode = new Episode("held out", context, [Question("q0", null, 3), Question("q1", null, 3)]);
        // The optimum is on the simplex's edge (w_B = 0), which exponentiated gradient approaches geometrically: a tight
        // tolerance on the loss (the default 1e-10 leaves w_B ≈ 5e-6) pins the weights to 6 decimals.
        var predictor = new GroupMixturePredictor(population) { Tolerance = 1e-13 };
        var mixture = predictor.FitMixture(context.Select(q => Read(population, q.QuestionId, q.Distribution)).ToArray(), 2);
        Assert.Equal(0, mixture.Shrinkage);
        Assert.Equal(1, mixture.Weights[0], 6);
        var predicted = predictor.Predict(episode);
        for (var i = 0; i < 2; i++)
            for (var o = 0; o < 3; o++) Assert.Equal(population.Answers($"q{i}")[0].Distribution[o], predicted[i][o], 6);
    }

    [Fact]
    public void Mixture_fit_to_the_prior_gives_equal_weights_and_predicts_the_prior()
    {
        var population = Population(
            ("A", [("c0", [0.7, 0.2, 0.1]), ("c1", [0.5, 0.25, 0.25]), ("q0", [0.6, 0.3, 0.1])]),
            ("B", [("c0", [0.1, 0.7, 0.2]), ("c1", [0.2, 0.6, 0.2]), ("q0", [0.2, 0.2, 0.6])]),
            ("C", [("c0", [0.2, 0.2, 0.6]), ("c1", [0.1, 0.1, 0.8]), ("q0", [0.3, 0.4, 0.3])]));
        var context = new[] { Question("c0", population.Prior("c0"), 3), Question("c1", population.Prior("c1"), 3) };
        var predictor = new GroupMixturePredictor(population) { Shrinkages = [0] };
        var weights = predictor.FitWeights(context.Select(q => Read(population, q.QuestionId, q.Distribution)).ToArray(), 3);
        foreach (var w in weights) Assert.Equal(1 / 3.0, w, 6);
        var predicted = predictor.Predict(new Episode("held out", context, [Question("q0", null, 3)]))[0];
        var prior = population.Prior("q0")!;
        for (var o = 0; o < 3; o++) Assert.Equal(prior[o], predicted[o], 6);
    }

    [Fact]
    public void Mixture_leave_one_out_shrinks_fully_to_the_prior_when_the_context_is_noise_around_it()
    {
        // Questions come in pairs with the same training answers; the group answers prior + δ on one and prior − δ on
        // the other (δ along A − B). Leaving one out tilts the fit towards its partner, i.e. away from it: only λ = 1 wins.
        var pairs = 6;
        var groups = new[] { "A", "B", "C" }.Select(g => (g, new List<(string, double[])>())).ToArray();
        var context = new List<EpisodeQuestion>();
        var random = new Random(11);
        for (var i = 0; i < pairs; i++)
        {
            var answers = groups.Select(_ => { var a = 0.2 + random.NextDouble(); var b = 0.2 + random.NextDouble(); return new[] { a / (a + b + 1), b / (a + b + 1), 1 / (a + b + 1) }; }).ToArray();
            for (var g = 0; g < groups.Length; g++) { groups[g].Item2.Add(($"c{i}+", answers[g])); groups[g].Item2.Add(($"c{i}-", answers[g])); }
            var prior = answers[0].Select((_, o) => answers.Average(a => a[o])).ToArray();
            var delta = answers[0].Select((v, o) => 0.3 * (v - answers[1][o])).ToArray();
            context.Add(Question($"c{i}+", prior.Select((p, o) => p + delta[o]).ToArray(), 3));
            context.Add(Question($"c{i}-", prior.Select((p, o) => p - delta[o]).ToArray(), 3));
        }
        var population = TrainingPopulation.FromGroups(groups.Select(g => (g.Item1, (IEnumerable<(string, double[])>)g.Item2)));
        var mixture = new GroupMixturePredictor(population).FitMixture(context.Select(q => Read(population, q.QuestionId, q.Distribution)).ToArray(), 3);
        Assert.Equal(1, mixture.Shrinkage);
        Assert.All(mixture.Weights, w => Assert.Equal(1 / 3.0, w, 12));

        // The same context with δ on both questions of a pair is signal: less shrinkage.
        var signal = context.Select((q, i) => i % 2 == 0 ? q : q with { Distribution = context[i - 1].Distribution }).ToArray();
        Assert.True(new GroupMixturePredictor(population).FitMixture(signal.Select(q => Read(population, q.QuestionId, q.Distribution)).ToArray(), 3).Shrinkage < 1);
    }

    [Fact]
    public void Mixture_loss_gradient_matches_finite_differences()
    {
        var population = Population(
            ("A", [("c0", [0.7, 0.2, 0.1]), ("c1", [0.5, 0.5])]),
            ("B", [("c0", [0.1, 0.7, 0.2])]),
            ("C", [("c0", [0.2, 0.2, 0.6]), ("c1", [0.1, 0.9])]));
        var context = new[] { Read(population, "c0", [0.3, 0.3, 0.4]), Read(population, "c1", [0.6, 0.4]) };
        var predictor = new GroupMixturePredictor(population);
        double[] weights = [0.5, 0.2, 0.3];
        var gradient = new double[3];
        predictor.LossAndGradient(context, weights, gradient);
        for (var h = 0; h < 3; h++)
        {
            const double step = 1e-6;
            var plus = (double[])weights.Clone(); plus[h] += step;
            var minus = (double[])weights.Clone(); minus[h] -= step;
            var numeric = (predictor.LossAndGradient(context, plus, new double[3]) - predictor.LossAndGradient(context, minus, new double[3])) / (2 * step);
            Assert.Equal(numeric, gradient[h], 7);
        }
    }

    [Fact]
    public void Residual_with_two_groups_is_the_hand_solved_ridge()
    {
        // A = [0.8, 0.2], B = [0.4, 0.6] → prior [0.6, 0.4], d_A = [0.2, −0.2] = −d_B; the group answered y = [0.7, 0.3],
        // so r = [0.1, −0.1]. DᵀD = s[[1, −1], [−1, 1]] with s = Σ d_A² = 0.08, Dᵀr = t[1, −1] with t = 0.04;
        // λ = 1 × mean diag = 0.08 → β = ±t / (s(2 + 1)) = ±1/6. On the query (A = [0.5, 0.5], B = [0.1, 0.9]):
        // prior [0.3, 0.7] + (β_A − β_B)·d_A = [0.3, 0.7] + (1/3)[0.2, −0.2].
        var population = Population(("A", [("c", [0.8, 0.2]), ("q", [0.5, 0.5])]), ("B", [("c", [0.4, 0.6]), ("q", [0.1, 0.9])]));
        var predictor = new PriorResidualPredictor(population) { Lambdas = [1] };
        var beta = PriorResidualPredictor.Ridge([Read(population, "c", [0.7, 0.3])], 2, 1);
        Assert.Equal(1 / 6.0, beta[0], 12);
        Assert.Equal(-1 / 6.0, beta[1], 12);
        var predicted = predictor.Predict(new Episode("held out", [Question("c", [0.7, 0.3], 2)], [Question("q", null, 2)]))[0];
        Assert.Equal(0.3 + 0.2 / 3, predicted[0], 12);
        Assert.Equal(0.7 - 0.2 / 3, predicted[1], 12);
    }

    [Fact]
    public void Residual_is_floored_and_renormalised()
    {
        // Same population; the group answered [1, 0] so a weak ridge overshoots the query below zero on option 1.
        var population = Population(("A", [("c", [0.8, 0.2]), ("q", [0.9, 0.1])]), ("B", [("c", [0.4, 0.6]), ("q", [0.1, 0.9])]));
        var predictor = new PriorResidualPredictor(population) { Lambdas = [1e-6] };
        var predicted = predictor.Predict(new Episode("held out", [Question("c", [1.0, 0.0], 2)], [Question("q", null, 2)]))[0];
        // β_A − β_B ≈ 2t/(2s) = t/s with t = Σ d_A r = 0.2·0.4·2 = 0.16, s = 0.08 → 2: prior [0.5, 0.5] + 2·[0.4, −0.4] = [1.3, −0.3].
        Assert.Equal(1.3 / (1.3 + predictor.Floor), predicted[0], 6);
        Assert.Equal(predictor.Floor / (1.3 + predictor.Floor), predicted[1], 6);
    }

    [Fact]
    public void Tempered_prior_recovers_the_exponent_the_context_was_made_with()
    {
        var random = new Random(5);
        var ids = Enumerable.Range(0, 10).Select(i => $"c{i}").ToArray();
        double[] Shares(int n) { var v = Enumerable.Range(0, n).Select(_ => 0.05 + random.NextDouble()).ToArray(); var s = v.Sum(); return v.Select(x => x / s).ToArray(); }
        var population = Population(("A", ids.Select((id, i) => (id, Shares(2 + i % 3))).Append(("q", Shares(4))).ToArray()),
            ("B", ids.Select((id, i) => (id, Shares(2 + i % 3))).Append(("q", Shares(4))).ToArray()));
        foreach (var tau in new[] { 0.3, 2.5 })
        {
            static double[] Power(double[] p, double t) { var v = p.Select(x => Math.Pow(x, t)).ToArray(); var s = v.Sum(); return v.Select(x => x / s).ToArray(); }
            var context = ids.Select(id => Question(id, Power(population.Prior(id)!, tau), population.Prior(id)!.Length)).ToArray();
            var predictor = new TemperedPriorPredictor(population);
            var fit = predictor.FitTemperature(context.Select(q => Read(population, q.QuestionId, q.Distribution)).ToArray());
            Assert.Equal(tau, fit.FittedTau, 6);
            Assert.Equal(0, fit.Shrinkage);
            var predicted = predictor.Predict(new Episode("held out", context, [Question("q", null, 4)]))[0];
            var expected = Power(population.Prior("q")!, tau);
            for (var o = 0; o < 4; o++) Assert.Equal(expected[o], predicted[o], 6);
        }
    }

    [Fact]
    public void With_no_context_every_method_returns_exactly_the_prior()
    {
        var population = Population(
            ("A", [("q1", [0.2, 0.8]), ("q2", [0.1, 0.3, 0.6])]),
            ("B", [("q1", [0.6, 0.4])]),
            ("C", [("q1", [0.35, 0.65]), ("q2", [0.5, 0.3, 0.2])]));
        var episode = new Episode("held out", [], [Question("q1", null, 2), Question("q2", null, 3)]);
        var prior = new PopulationPriorPredictor(population).Predict(episode);
        foreach (var method in AllMethods(population))
        {
            var predicted = method.Predict(episode);
            Assert.Equal(prior[0], predicted[0]);
            Assert.Equal(prior[1], predicted[1]);
        }
    }

    [Fact]
    public void Unanswered_queries_fall_back_to_uniform_and_unanswered_context_is_ignored()
    {
        var population = Opposites(4);
        var context = Enumerable.Range(0, 4).Select(i => Question($"c{i}", population.Answers($"c{i}")[1].Distribution, 3)).ToList();
        var queries = new[] { Question("q0", null, 3), Question("nobody", null, 4), Question("q1", null, 3) };
        foreach (var method in AllMethods(population))
        {
            var plain = method.Predict(new Episode("held out", context, queries));
            var withUnanswered = method.Predict(new Episode("held out", [.. context, Question("nobody either", [0.5, 0.5], 2)], queries));
            Assert.Equal([0.25, 0.25, 0.25, 0.25], plain[1]);
            Assert.Equal(2, method.FallbackCount);
            Assert.Equal(plain[0], withUnanswered[0]);
            Assert.Equal(plain[2], withUnanswered[2]);
        }
    }

    [Fact]
    public void A_group_in_the_population_never_sees_its_own_answers()
    {
        // A validation group's own answers are in the population; a method must predict it from the others alone.
        var population = Opposites(6);
        var context = Enumerable.Range(0, 6).Select(i => Question($"c{i}", population.Answers($"c{i}")[0].Distribution, 3)).ToArray();
        foreach (var method in AllMethods(population))
        {
            var predicted = method.Predict(new Episode("A", context, [Question("q0", null, 3)]))[0];
            var onlyB = population.Answers("q0")[1].Distribution; // B is all that is left: every method is B's answer (re-tempered at most)
            if (method is TemperedPriorPredictor) Assert.True(predicted[2] > predicted[0]);
            else for (var o = 0; o < 3; o++) Assert.Equal(onlyB[o], predicted[o], 9);
        }
    }

    [Fact]
    public void Bad_context_and_mismatched_option_counts_are_errors_naming_group_and_question()
    {
        var population = Population(("A", [("c0", [0.5, 0.5]), ("q0", [0.2, 0.8])]));
        foreach (var method in AllMethods(population))
        {
            var nan = Assert.Throws<InvalidOperationException>(() => method.Predict(new Episode("G", [Question("c0", [double.NaN, 1], 2)], [Question("q0", null, 2)])));
            Assert.Contains("'G'", nan.Message);
            Assert.Contains("'c0'", nan.Message);
            var count = Assert.Throws<InvalidOperationException>(() => method.Predict(new Episode("G", [], [Question("q0", null, 3)])));
            Assert.Contains("'G', question 'q0'", count.Message);
            Assert.Contains("3 options", count.Message);
            var shares = Assert.Throws<InvalidOperationException>(() => method.Predict(new Episode("G", [Question("c0", [0.2, 0.3, 0.5], 2)], [])));
            Assert.Contains("'c0'", shares.Message);
            Assert.Throws<InvalidOperationException>(() => method.Predict(new Episode("G", [Question("c0", null, 2)], [])));
        }
    }

    [Fact]
    public void Methods_match_the_scipy_reference()
    {
        // tools/context_baselines_reference.py → Fixtures/context_baselines_reference.json (scipy SLSQP / numpy ridge /
        // scipy bounded minimiser, each with leave-one-out over the context).
        using var document = JsonDocument.Parse(File.ReadAllText(TestData.Fixture("context_baselines_reference.json")));
        var root = document.RootElement;
        static double[] Vector(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var population = TrainingPopulation.FromGroups(root.GetProperty("population").EnumerateObject()
            .Select(g => (g.Name, g.Value.EnumerateObject().Select(q => (q.Name, Vector(q.Value))))));
        Assert.Equal(root.GetProperty("groups").EnumerateArray().Select(g => g.GetString()!), population.Groups);
        var context = root.GetProperty("context").EnumerateArray().Select(c => { var y = Vector(c.GetProperty("shares")); return Question(c.GetProperty("id").GetString()!, y, y.Length); }).ToArray();
        var queries = root.GetProperty("queries").EnumerateArray().Select(q => Question(q.GetProperty("id").GetString()!, null, q.GetProperty("options").GetInt32())).ToArray();
        var episode = new Episode("held out", context, queries);
        var usable = context.Where(q => population.Answers(q.QuestionId).Count > 0).Select(q => Read(population, q.QuestionId, q.Distribution)).ToArray();

        var mixture = new GroupMixturePredictor(population);
        var reference = root.GetProperty("group_mixture");
        var fit = mixture.FitMixture(usable, population.Groups.Count);
        Assert.Equal(reference.GetProperty("shrinkage").GetDouble(), fit.Shrinkage);
        var weights = Vector(reference.GetProperty("fitted_weights"));
        for (var h = 0; h < weights.Length; h++) Assert.Equal(weights[h], fit.FittedWeights[h], 5);
        AssertPredictions(reference, mixture.Predict(episode), 5);

        var residual = new PriorResidualPredictor(population);
        reference = root.GetProperty("prior_residual");
        var ridge = residual.FitResidual(usable, population.Groups.Count);
        Assert.Equal(reference.GetProperty("lambda").GetDouble(), ridge.Lambda);
        var beta = Vector(reference.GetProperty("beta"));
        for (var h = 0; h < beta.Length; h++) Assert.Equal(beta[h], ridge.Beta[h], 10);
        AssertPredictions(reference, residual.Predict(episode), 10);

        var tempered = new TemperedPriorPredictor(population);
        reference = root.GetProperty("tempered_prior");
        var temperature = tempered.FitTemperature(usable);
        Assert.Equal(reference.GetProperty("fitted_tau").GetDouble(), temperature.FittedTau, 6);
        Assert.Equal(reference.GetProperty("shrinkage").GetDouble(), temperature.Shrinkage);
        AssertPredictions(reference, tempered.Predict(episode), 6);

        static void AssertPredictions(JsonElement reference, double[][] predicted, int precision)
        {
            var expected = reference.GetProperty("predictions").EnumerateArray().Select(Vector).ToArray();
            Assert.Equal(expected.Length + 1, predicted.Length); // + the query no group answered
            for (var i = 0; i < expected.Length; i++)
                for (var o = 0; o < expected[i].Length; o++) Assert.Equal(expected[i][o], predicted[i][o], precision);
            Assert.All(predicted[^1], p => Assert.Equal(0.25, p));
        }
    }

    [Fact]
    public void Imputed_mixture_on_a_dense_population_predicts_exactly_what_group_mixture_predicts()
    {
        var population = Opposites(6);
        Assert.True(population.IsDense);
        var context = Enumerable.Range(0, 6).Select(i => Question($"c{i}", [0.4 + 0.02 * i, 0.25, 0.35 - 0.02 * i], 3)).ToArray();
        var episode = new Episode("held out", context, [Question("q0", null, 3), Question("q1", null, 3)]);
        var mixture = new GroupMixturePredictor(population).Predict(episode);
        var imputed = new ImputedMixturePredictor(population).Predict(episode);
        for (var q = 0; q < 2; q++) Assert.Equal(mixture[q], imputed[q]);
    }

    /// <summary>
    /// A ≡ B and C ≡ D on the six questions all four answered; the held-out group's context questions were answered by A and C
    /// only, and it answers them like A; the query was answered by B and D only.
    /// </summary>
    private static (TrainingPopulation Population, Episode Episode) Twins()
    {
        var shared = Enumerable.Range(0, 6).Select(i => ($"s{i}", new[] { 0.75 + 0.02 * i, 0.25 - 0.02 * i }, new[] { 0.2 + 0.02 * i, 0.8 - 0.02 * i })).ToArray();
        var context = Enumerable.Range(0, 4).Select(i => ($"c{i}", new[] { 0.8 - 0.03 * i, 0.2 + 0.03 * i }, new[] { 0.15 + 0.03 * i, 0.85 - 0.03 * i })).ToArray();
        var population = Population(
            ("A", [.. shared.Select(q => (q.Item1, q.Item2)), .. context.Select(q => (q.Item1, q.Item2))]),
            ("B", [.. shared.Select(q => (q.Item1, q.Item2)), ("q", [0.9, 0.1])]),
            ("C", [.. shared.Select(q => (q.Item1, q.Item3)), .. context.Select(q => (q.Item1, q.Item3))]),
            ("D", [.. shared.Select(q => (q.Item1, q.Item3)), ("q", [0.1, 0.9])]));
        return (population, new Episode("held out", [.. context.Select(q => Question(q.Item1, q.Item2, 2))], [Question("q", null, 2)]));
    }

    [Fact]
    public void Imputed_mixture_fits_each_group_as_a_mixture_of_the_others_on_the_questions_they_share()
    {
        var (population, _) = Twins();
        Assert.False(population.IsDense);
        var v = new ImputedMixturePredictor(population).ImputationWeights(population);
        int a = population.IndexOf("A"), b = population.IndexOf("B"), c = population.IndexOf("C"), d = population.IndexOf("D");
        for (var h = 0; h < 4; h++)
        {
            Assert.Equal(0, v[h][h]);
            Assert.Equal(1, v[h].Sum(), 12);
        }
        // Each group's twin reproduces it exactly on the shared questions: V puts (almost) all of the group's weight on it.
        Assert.True(v[a][b] > 0.99, $"V[A][B] = {v[a][b]}");
        Assert.True(v[b][a] > 0.99, $"V[B][A] = {v[b][a]}");
        Assert.True(v[c][d] > 0.99, $"V[C][D] = {v[c][d]}");
        Assert.True(v[d][c] > 0.99, $"V[D][C] = {v[d][c]}");
    }

    [Fact]
    public void Imputed_mixture_reaches_a_group_absent_from_the_context_through_its_twin()
    {
        var (population, episode) = Twins();
        // group_mixture never saw B or D in the context, so their weights stay equal: the query is (B + D) / 2 exactly.
        var mixture = new GroupMixturePredictor(population).Predict(episode)[0];
        Assert.Equal(0.5, mixture[0], 9);
        // imputed_mixture: B's and D's answers to the context questions are imputed from their twins A and C, so the context
        // (answered like A) weights A and B; A's and C's answers to the query are imputed from B and D: the query is B's answer.
        var imputed = new ImputedMixturePredictor(population).Predict(episode)[0];
        Assert.True(imputed[0] > 0.85, $"imputed_mixture predicts {imputed[0]:F4} for the option B gives 0.9");
    }

    [Fact]
    public void Imputed_mixture_never_uses_the_episodes_own_group_even_through_the_imputation()
    {
        var (population, _) = Twins();
        var predictor = new ImputedMixturePredictor(population);
        // Asking first for a held-out group fills the cache with the full population's V; an episode of A must use V without A.
        predictor.Predict(Twins().Episode);
        foreach (var group in population.Groups)
        {
            var episode = new Episode(group, [Question("s0", [0.6, 0.4], 2), Question("s3", [0.55, 0.45], 2), Question("c1", [0.5, 0.5], 2)],
                [Question("q", null, 2), Question("s5", null, 2), Question("c2", null, 2)]);
            var expected = new ImputedMixturePredictor(population.Without(group)).Predict(episode);
            var predicted = predictor.Predict(episode);
            for (var q = 0; q < expected.Length; q++) Assert.Equal(expected[q], predicted[q]);
        }
    }
}
