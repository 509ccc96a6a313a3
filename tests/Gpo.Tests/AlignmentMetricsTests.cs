using System.Text.Json;
using Gpo.Data;
using Gpo.Evaluation;

namespace Gpo.Tests;

public class AlignmentMetricsTests
{
    private static readonly double[] Ordinals123 = [1, 2, 3];

    // ---- hand-worked cases

    [Fact]
    public void W1_of_opposite_corners_is_the_whole_scale()
    {
        // all mass at 1 vs all mass at 3: W1 = 2 = W_max → alignment 0
        Assert.Equal(2.0, AlignmentMetrics.W1Distance.Score([1, 0, 0], [0, 0, 1], Ordinals123)!.Value, 12);
        Assert.Equal(0.0, AlignmentMetrics.AlignmentW1.Score([1, 0, 0], [0, 0, 1], Ordinals123)!.Value, 12);
    }

    [Fact]
    public void W1_moves_half_the_mass_one_step_each()
    {
        // [.5,.5,0] vs [0,.5,.5]: CDF gaps |.5−0| over [1,2] and |1−.5| over [2,3] → W1 = 1, alignment = 1 − 1/2
        Assert.Equal(0.5, AlignmentMetrics.AlignmentW1.Score([0.5, 0.5, 0], [0, 0.5, 0.5], Ordinals123)!.Value, 12);
    }

    [Fact]
    public void W1_sorts_unsorted_ordinals()
    {
        // ordinals [1, 2, 1.5]: mass at 1 vs mass at 1.5 → W1 = 0.5, W_max = 1
        Assert.Equal(0.5, AlignmentMetrics.W1Distance.Score([1, 0, 0], [0, 0, 1], [1, 2, 1.5])!.Value, 12);
        Assert.Equal(0.5, AlignmentMetrics.AlignmentW1.Score([1, 0, 0], [0, 0, 1], [1, 2, 1.5])!.Value, 12);
    }

    [Fact]
    public void W1_is_undefined_without_ordinals_or_when_all_ordinals_are_equal()
    {
        Assert.Null(AlignmentMetrics.AlignmentW1.Score([0.3, 0.7], [0.6, 0.4], [1, 1]));
        Assert.Null(AlignmentMetrics.AlignmentW1.Score([0.3, 0.7], [0.6, 0.4], null));
    }

    [Fact]
    public void JS_of_disjoint_one_hots_is_ln2_in_nats_and_1_in_bits()
    {
        Assert.Equal(Math.Log(2), AlignmentMetrics.JsDivergence.Score([1, 0], [0, 1])!.Value, 12);
        Assert.Equal(Math.Sqrt(Math.Log(2)), AlignmentMetrics.JsDistance.Score([1, 0], [0, 1])!.Value, 12);
        Assert.Equal(1 - Math.Sqrt(Math.Log(2)), AlignmentMetrics.AlignmentJs.Score([1, 0], [0, 1])!.Value, 12);
        Assert.Equal(1.0, AlignmentMetrics.JsDivergenceBase2.Score([1, 0], [0, 1])!.Value, 12);
        Assert.Equal(0.0, AlignmentMetrics.AlignmentJsBase2.Score([1, 0], [0, 1])!.Value, 12);
    }

    [Fact]
    public void Identical_distributions_score_perfectly_on_every_metric()
    {
        double[] p = [0.2, 0.3, 0.5];
        Assert.Equal(1.0, AlignmentMetrics.AlignmentW1.Score(p, p, Ordinals123)!.Value, 12);
        Assert.Equal(1.0, AlignmentMetrics.AlignmentJs.Score(p, p)!.Value, 12);
        Assert.Equal(0.0, AlignmentMetrics.TotalVariationDistance.Score(p, p)!.Value, 12);
        Assert.Equal(0.0, AlignmentMetrics.KlTrueToPredicted.Score(p, p)!.Value, 12);
        Assert.Equal(1.0, AlignmentMetrics.ArgmaxAccuracy.Score(p, p)!.Value);
    }

    [Fact]
    public void KL_direction_is_true_against_predicted_and_zero_prediction_is_infinite()
    {
        // KL(p‖p̂) with p = [.5,.5], p̂ = [.25,.75]: .5 ln 2 + .5 ln(2/3)
        double expected = 0.5 * Math.Log(2) + 0.5 * Math.Log(2.0 / 3);
        Assert.Equal(expected, AlignmentMetrics.KlTrueToPredicted.Score(predicted: [0.25, 0.75], target: [0.5, 0.5])!.Value, 12);
        Assert.Equal(double.PositiveInfinity, AlignmentMetrics.KlTrueToPredicted.Score(predicted: [1, 0], target: [0.5, 0.5])!.Value);
        // zero in the target is fine: 0·log 0 = 0
        Assert.Equal(Math.Log(2), AlignmentMetrics.KlTrueToPredicted.Score(predicted: [0.5, 0.5], target: [1, 0])!.Value, 12);
    }

    [Fact]
    public void Total_variation_and_argmax_by_hand()
    {
        Assert.Equal(0.3, AlignmentMetrics.TotalVariationDistance.Score([0.5, 0.5, 0], [0.2, 0.5, 0.3])!.Value, 12);
        Assert.Equal(0.0, AlignmentMetrics.ArgmaxAccuracy.Score([0.5, 0.4, 0.1], [0.1, 0.4, 0.5])!.Value);
        // ties: first index, as numpy.argmax
        Assert.Equal(1.0, AlignmentMetrics.ArgmaxAccuracy.Score([0.5, 0.5], [0.6, 0.4])!.Value);
    }

    [Fact]
    public void Inputs_are_renormalised_before_comparison()
    {
        Assert.Equal(AlignmentMetrics.AlignmentJs.Score([0.2, 0.8], [0.5, 0.5])!.Value,
            AlignmentMetrics.AlignmentJs.Score([2, 8], [1, 1])!.Value, 12);
    }

    [Theory]
    [InlineData(double.NaN, "predicted[0]")]
    [InlineData(-0.1, "negative")]
    [InlineData(double.PositiveInfinity, "predicted[0]")]
    public void Bad_values_are_errors_naming_metric_and_input(double bad, string expected)
    {
        foreach (var metric in AlignmentMetrics.All)
        {
            var e = Assert.Throws<ArgumentException>(() => metric.Score([bad, 0.5], [0.5, 0.5], [1, 2]));
            Assert.Contains(metric.Name, e.Message, StringComparison.Ordinal);
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Empty_zero_and_mismatched_inputs_are_errors()
    {
        foreach (var metric in AlignmentMetrics.All)
        {
            Assert.Contains("empty", Assert.Throws<ArgumentException>(() => metric.Score([], [], [])).Message, StringComparison.Ordinal);
            Assert.Contains("target distribution sums to 0", Assert.Throws<ArgumentException>(() => metric.Score([0.5, 0.5], [0, 0], [1, 2])).Message, StringComparison.Ordinal);
            Assert.Throws<ArgumentException>(() => metric.Score([0.5, 0.5], [0.2, 0.3, 0.5], [1, 2, 3]));
        }
    }

    [Fact]
    public void Names_are_stable_and_unique()
    {
        var names = AlignmentMetrics.All.Select(m => m.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        Assert.Equal(
            ["alignment_w1", "w1_distance", "alignment_js", "alignment_js_base2", "js_distance", "js_distance_base2", "js_divergence",
             "js_divergence_base2", "total_variation", "kl_true_predicted", "argmax_accuracy"], names);
        Assert.Same(AlignmentMetrics.AlignmentJs, AlignmentMetrics.ByName("alignment_js"));
        Assert.Throws<ArgumentException>(() => AlignmentMetrics.ByName("alignment"));
    }

    // ---- against scipy (tools/metrics_reference.py → Fixtures/metrics_reference.json)

    [Fact]
    public void Every_metric_matches_scipy_on_the_reference_cases()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(TestData.Fixture("metrics_reference.json")));
        int compared = 0;
        foreach (var c in document.RootElement.GetProperty("cases").EnumerateArray())
        {
            var name = c.GetProperty("name").GetString();
            var predicted = c.GetProperty("predicted").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var target = c.GetProperty("target").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var ordinals = c.GetProperty("ordinals").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            foreach (var metric in AlignmentMetrics.All)
            {
                var expected = c.GetProperty(metric.Name);
                var actual = metric.Score(predicted, target, ordinals);
                if (expected.ValueKind == JsonValueKind.Null) { Assert.Null(actual); continue; }
                double want = expected.ValueKind == JsonValueKind.String && expected.GetString() == "inf" ? double.PositiveInfinity : expected.GetDouble();
                Assert.True(actual.HasValue, $"{name} {metric.Name}: undefined, scipy gives {want}");
                if (double.IsInfinity(want)) Assert.Equal(want, actual.Value);
                else Assert.True(Math.Abs(want - actual.Value) <= 1e-9, $"{name} {metric.Name}: {actual.Value} vs scipy {want}");
                compared++;
            }
        }
        Assert.True(compared > 400, $"only {compared} values compared");
    }

    // ---- aggregation

    private static readonly Question Q1 = new("q1", "Q1", ["a", "b"], [1, 2]);
    private static readonly Question Q2 = new("q2", "Q2", ["a", "b"], [1, 2]);

    [Fact]
    public void Summary_means_per_group_and_worst_group_by_hand()
    {
        // alignment_w1 with ordinals [1,2] is 1 − |p̂0 − p0|
        var predictions = new[]
        {
            new Prediction("A", Q1, [1, 0], [1, 0]),       // 1.0
            new Prediction("A", Q2, [0.5, 0.5], [1, 0]),   // 0.5
            new Prediction("B", Q1, [0.9, 0.1], [0.7, 0.3]), // 0.8
        };
        var summary = MetricSummary.Of(AlignmentMetrics.AlignmentW1, predictions, bootstrapSamples: 0);
        Assert.Equal((1.0 + 0.5 + 0.8) / 3, summary.Mean, 12);
        Assert.Equal((0.75 + 0.8) / 2, summary.MeanOfGroups, 12);
        Assert.Equal("A", summary.Worst.Group);
        Assert.Equal(0.75, summary.Worst.Mean, 12);
        Assert.Equal(3, summary.Pairs);
        // a distance's worst group is the highest
        var tv = MetricSummary.Of(AlignmentMetrics.TotalVariationDistance, predictions, bootstrapSamples: 0);
        Assert.Equal("A", tv.Worst.Group);
        Assert.Equal(0.25, tv.Worst.Mean, 12);
    }

    [Fact]
    public void Undefined_W1_pairs_are_skipped_and_counted_and_none_left_is_an_error()
    {
        var flat = new Question("flat", "F", ["a", "b"], [1, 1]);
        var summary = MetricSummary.Of(AlignmentMetrics.AlignmentW1, [new Prediction("A", Q1, [1, 0], [1, 0]), new Prediction("A", flat, [1, 0], [0, 1])], bootstrapSamples: 0);
        Assert.Equal(1, summary.Pairs);
        Assert.Equal(1, summary.Skipped);
        Assert.Equal(1.0, summary.Mean);
        var e = Assert.Throws<ArgumentException>(() => MetricSummary.Of(AlignmentMetrics.AlignmentW1, [new Prediction("A", flat, [1, 0], [0, 1])]));
        Assert.Contains("alignment_w1", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => MetricSummary.Summarise(AlignmentMetrics.AlignmentJs, []));
        Assert.Throws<ArgumentException>(() => MetricSummary.Summarise(AlignmentMetrics.AlignmentJs, [new ScoredPair("A", "q1", double.NaN)]));
    }

    [Fact]
    public void Bootstrap_interval_is_seeded_brackets_the_mean_and_collapses_for_one_question()
    {
        var random = new Random(5);
        var scores = Enumerable.Range(0, 200).Select(i => new ScoredPair(i % 2 == 0 ? "A" : "B", $"q{i / 2}", random.NextDouble())).ToList();
        var first = MetricSummary.Summarise(AlignmentMetrics.AlignmentJs, scores, seed: 3);
        var again = MetricSummary.Summarise(AlignmentMetrics.AlignmentJs, scores, seed: 3);
        var other = MetricSummary.Summarise(AlignmentMetrics.AlignmentJs, scores, seed: 4);
        Assert.Equal(first.CiLow, again.CiLow);
        Assert.Equal(first.CiHigh, again.CiHigh);
        Assert.NotEqual(first.CiLow, other.CiLow);
        Assert.True(first.CiLow < first.Mean && first.Mean < first.CiHigh);
        // the standard error of a mean of 100 question-means of two U(0,1) values is ≈ 0.29/√200 ≈ 0.02: a 95% interval is ≈ ±0.04
        Assert.InRange(first.CiHigh - first.CiLow, 0.04, 0.12);
        var single = MetricSummary.Summarise(AlignmentMetrics.AlignmentJs, [new ScoredPair("A", "q", 0.7), new ScoredPair("B", "q", 0.9)]);
        Assert.Equal(0.8, single.CiLow, 12);
        Assert.Equal(0.8, single.CiHigh, 12);
    }

    [Fact]
    public void Percentile_interpolates_linearly_like_numpy()
    {
        // numpy.percentile([1, 2, 3, 4], 25) = 1.75
        Assert.Equal(1.75, MetricSummary.Percentile([1.0, 2, 3, 4], 0.25), 12);
        Assert.Equal(4.0, MetricSummary.Percentile([1.0, 2, 3, 4], 1.0), 12);
    }
}
