using Gpo.Evaluation;

namespace Gpo.Tests;

/// <summary>Invariants of the metrics over many seeded random cases (independent of any reference values).</summary>
public class AlignmentMetricPropertyTests
{
    private static double[] RandomDistribution(Random random, int k, bool withZeros)
    {
        var p = new double[k];
        for (int i = 0; i < k; i++) p[i] = withZeros && random.NextDouble() < 0.2 ? 0 : -Math.Log(1 - random.NextDouble());
        if (p.Sum() == 0) p[random.Next(k)] = 1;
        double sum = p.Sum();
        return p.Select(v => v / sum).ToArray();
    }

    private static void Close(double expected, double actual, double tolerance) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"{actual} differs from {expected} by more than {tolerance}");

    [Fact]
    public void Bounds_symmetry_and_permutation_invariance_hold_on_random_cases()
    {
        var random = new Random(11);
        for (int trial = 0; trial < 2000; trial++)
        {
            int k = 2 + random.Next(11);
            var p = RandomDistribution(random, k, withZeros: trial % 2 == 0);
            var q = RandomDistribution(random, k, withZeros: trial % 3 == 0);
            var ordinals = Enumerable.Range(0, k).Select(_ => Math.Round(random.NextDouble() * 5, 1)).ToArray();

            double js = AlignmentMetrics.JsDistance.Score(p, q)!.Value;
            Close(js, AlignmentMetrics.JsDistance.Score(q, p)!.Value, 1e-12);
            Assert.InRange(js, 0, Math.Sqrt(Math.Log(2)) + 1e-12);
            Close(js / Math.Sqrt(Math.Log(2)), AlignmentMetrics.JsDistanceBase2.Score(p, q)!.Value, 1e-12);
            Close(js * js, AlignmentMetrics.JsDivergence.Score(p, q)!.Value, 1e-12);

            double tv = AlignmentMetrics.TotalVariationDistance.Score(p, q)!.Value;
            Assert.InRange(tv, 0, 1 + 1e-12);
            // Pinsker: TV ≤ √(KL/2)
            double kl = AlignmentMetrics.KlTrueToPredicted.Score(p, q)!.Value;
            Assert.True(kl >= 0);
            if (!double.IsInfinity(kl)) Assert.True(tv <= Math.Sqrt(kl / 2) + 1e-9, $"Pinsker fails: tv {tv}, kl {kl}");

            var w1 = AlignmentMetrics.W1Distance.Score(p, q, ordinals)!.Value;
            Close(w1, AlignmentMetrics.W1Distance.Score(q, p, ordinals)!.Value, 1e-12);
            double wMax = ordinals.Max() - ordinals.Min();
            Assert.True(w1 <= wMax * tv + 1e-9, "W1 cannot exceed moving the differing mass across the whole scale");
            if (wMax > 0) Assert.InRange(AlignmentMetrics.AlignmentW1.Score(p, q, ordinals)!.Value, -1e-12, 1 + 1e-12);

            // relabelling the options (permuting p, q and the ordinals together) changes nothing
            var order = Enumerable.Range(0, k).OrderBy(_ => random.Next()).ToArray();
            var pp = order.Select(i => p[i]).ToArray();
            var qp = order.Select(i => q[i]).ToArray();
            var op = order.Select(i => ordinals[i]).ToArray();
            Close(w1, AlignmentMetrics.W1Distance.Score(pp, qp, op)!.Value, 1e-10);
            Close(js, AlignmentMetrics.JsDistance.Score(pp, qp)!.Value, 1e-12);
        }
    }
}
