using Gpo.Engine;

namespace Gpo.Tests.Engine;

/// <summary>The float32 row kernels (vectorised paths with their tails) against float64 formulas written out here.</summary>
public class RowKernelsTests
{
    [Fact]
    public void Softmax_with_scale_stride_and_tail_matches_float64()
    {
        const int rows = 5, width = 37, stride = 40; // 37 = two vectors of 16 and a tail of 5
        var random = new Random(1);
        var scores = Enumerable.Range(0, rows * stride).Select(_ => (float)(random.NextDouble() * 40 - 20)).ToArray();
        var original = (float[])scores.Clone();
        RowKernels.Softmax<float>(scores, rows, width, stride, 0.3f);
        for (int r = 0; r < rows; r++)
        {
            var row = original.Skip(r * stride).Take(width).Select(v => 0.3 * v).ToArray();
            double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
            for (int j = 0; j < width; j++)
            {
                double expected = Math.Exp(row[j] - max) / sum;
                Assert.True(Math.Abs(scores[r * stride + j] - expected) <= 1e-6 * expected + 1e-30, $"[{r},{j}]: {scores[r * stride + j]} vs {expected}");
            }
            for (int j = width; j < stride; j++) Assert.Equal(original[r * stride + j], scores[r * stride + j]); // padding untouched
        }
    }

    [Fact]
    public void Layer_norm_matches_float64_and_saves_its_backward_state()
    {
        const int rows = 3, width = 21;
        var random = new Random(2);
        float[] Values(int n, double offset) => Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 4 - 2 + offset)).ToArray();
        var x = Values(rows * width, 5);
        var gamma = Values(width, 0);
        var beta = Values(width, 0);
        var y = new float[rows * width];
        var normalized = new float[rows * width];
        var inverseStd = new float[rows];
        RowKernels.LayerNorm(x, gamma, beta, y, rows, width, 1e-5f, normalized, inverseStd);
        for (int r = 0; r < rows; r++)
        {
            var row = x.Skip(r * width).Take(width).Select(v => (double)v).ToArray();
            double mean = row.Average(), variance = row.Sum(v => (v - mean) * (v - mean)) / width, rstd = 1 / Math.Sqrt(variance + 1e-5);
            Close(rstd, inverseStd[r], 1e-5);
            for (int j = 0; j < width; j++)
            {
                Close((row[j] - mean) * rstd, normalized[r * width + j], 1e-5);
                Close((row[j] - mean) * rstd * gamma[j] + beta[j], y[r * width + j], 1e-5);
            }
        }
    }

    private static void Close(double expected, double actual, double tolerance) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected}, got {actual}");

    [Fact]
    public void Sum_rows_and_relu_backward()
    {
        const int rows = 4, width = 19;
        var δy = Enumerable.Range(0, rows * width).Select(i => (float)(i % 7 - 3)).ToArray();
        var δbias = Enumerable.Repeat(1f, width).ToArray();
        RowKernels.SumRows<float>(δy, δbias, rows, width);
        for (int j = 0; j < width; j++) Assert.Equal(1 + Enumerable.Range(0, rows).Sum(r => δy[r * width + j]), δbias[j]);
        var columns = new float[3]; // columns 2..4 of the same rows, read at row stride 19
        RowKernels.SumRows<float>(δy.AsSpan(2), columns, rows, 3, stride: width);
        for (int j = 0; j < 3; j++) Assert.Equal(Enumerable.Range(0, rows).Sum(r => δy[r * width + 2 + j]), columns[j]);
        var output = Enumerable.Range(0, 40).Select(i => (float)(i % 3 - 1)).ToArray();
        var gradient = Enumerable.Repeat(2f, 40).ToArray();
        RowKernels.ReluBackward<float>(output, gradient);
        for (int i = 0; i < 40; i++) Assert.Equal(output[i] > 0 ? 2f : 0f, gradient[i]);
    }
}
