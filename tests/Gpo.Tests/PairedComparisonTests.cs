using Gpo.Evaluation;

namespace Gpo.Tests;

/// <summary>Paired statistics and diagnostics of the results, on hand-worked cases (total variation keeps the arithmetic exact).</summary>
public sealed class PairedComparisonTests
{
    private static readonly double[] Half = [0.5, 0.5];

    private static ScoredQuestion Q(string method, string split, int seed, string group, string question, double first, bool? covered = null) =>
        new(method, split, seed, group, question, [first, 1 - first], Half, null, covered);

    [Fact]
    public void Paired_difference_seed_means_and_question_bootstrap_are_hand_worked()
    {
        // TV to (0.5, 0.5): seed 0 — method 0.1, 0.0; prior 0.2, 0.3 (diff −0.2); seed 1 — method 0.4, 0.0; prior 0, 0 (diff +0.2).
        ScoredQuestion[] questions =
        [
            Q("m", "0.6", 0, "g", "q1", 0.6), Q("m", "0.6", 0, "g", "q2", 0.5),
            Q("population_prior", "0.6", 0, "g", "q1", 0.7), Q("population_prior", "0.6", 0, "g", "q2", 0.8),
            Q("m", "0.6", 1, "g", "q1", 0.9), Q("m", "0.6", 1, "g", "q2", 0.5),
            Q("population_prior", "0.6", 1, "g", "q1", 0.5), Q("population_prior", "0.6", 1, "g", "q2", 0.5),
            Q("m", "0.6-k5", 1, "g", "q1", 0.9), // a sweep split is not compared
        ];
        var row = Assert.Single(PairedComparison.Compare(questions, AlignmentMetrics.TotalVariationDistance, bootstrapSamples: 2000));
        Assert.Equal(("m", "0.6", "all"), (row.Method, row.Split, row.Subset));
        Assert.Equal(0.125, row.MethodMean, 12);
        Assert.Equal(0.125, row.ReferenceMean, 12);
        Assert.Equal(0.0, row.Difference, 12);
        Assert.Equal((2, 1, 4), (row.Seeds, row.SeedsBetter, row.Pairs));
        // Question clusters: q1 sums +0.3 over 2 pairs, q2 −0.3 over 2; resampled means are −0.15, 0 or +0.15.
        Assert.Equal(-0.15, row.CiLow, 12);
        Assert.Equal(0.15, row.CiHigh, 12);
    }

    [Fact]
    public void Covered_and_uncovered_subsets_appear_when_some_pairs_are_uncovered()
    {
        ScoredQuestion[] questions =
        [
            Q("m", "0.4", 0, "g", "q1", 0.6, true), Q("m", "0.4", 0, "g", "q2", 0.9, false),
            Q("population_prior", "0.4", 0, "g", "q1", 0.5, true), Q("population_prior", "0.4", 0, "g", "q2", 0.5, false),
        ];
        var rows = PairedComparison.Compare(questions, AlignmentMetrics.TotalVariationDistance, bootstrapSamples: 0);
        Assert.Equal(["all", "covered", "uncovered"], rows.Select(r => r.Subset));
        Assert.Equal(0.1, rows[1].Difference, 12);
        Assert.Equal(0.4, rows[2].Difference, 12);
        Assert.Equal(0.25, rows[0].Difference, 12);
    }

    [Fact]
    public void Swap_gap_and_spread_are_hand_worked()
    {
        ScoredQuestion[] questions =
        [
            Q("m", "0.6", 0, "a", "q1", 0.6), Q("m", "0.6", 0, "b", "q1", 0.4),
            Q("m", "0.6-swap", 0, "a", "q1", 0.8), Q("m", "0.6-swap", 0, "b", "q1", 0.5),
        ];
        var row = Assert.Single(PairedComparison.Diagnostics(questions, AlignmentMetrics.TotalVariationDistance, bootstrapSamples: 0));
        // TV own: 0.1, 0.1; swapped: 0.3, 0.0 → gap = 0.1 − 0.15 = −0.05 (TV is a distance, lower is better).
        Assert.Equal(-0.05, row.SwapGap, 12);
        Assert.Equal(2, row.SwapPairs);
        Assert.Equal(0.1, row.PredictedSpread, 12); // std of (0.6, 0.4) is 0.1 for both options
        Assert.Equal(0.0, row.ObservedSpread, 12);
    }

    [Theory]
    [InlineData(0.00123, "+0.0012")]
    [InlineData(-0.00031, "-0.0003")]
    [InlineData(-0.00001, "-0.0000")]
    [InlineData(0.00001, "+0.0000")]
    [InlineData(0.0, "+0.0000")]
    [InlineData(-0.02676, "-0.0268")]
    [InlineData(double.NaN, "NaN")]
    public void Differences_are_written_with_one_sign(double value, string expected) =>
        Assert.Equal(expected, PairedComparison.Signed(value));

    [Theory]
    [InlineData("0.6-val", true)]
    [InlineData("0.6", false)]
    [InlineData("0.6-swap", false)]
    [InlineData("0.6-k5", false)]
    [InlineData("0.6-k5-val", false)]
    [InlineData("-val", false)]
    public void Validation_rows_have_their_own_split_label(string split, bool validation) =>
        Assert.Equal(validation, PairedComparison.IsValidationSplit(split));
}
