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
}
