using Gpo.Engine;
using Gpo.Model;

namespace Gpo.Tests.Model;

/// <summary>
/// Every layer's backward pass, and the whole model's, against central finite differences in float64.
/// The layers are generic; these checks run the same forward/backward code as float32 training, with
/// the float64 backend (plain-loop matrix products, shared row kernels).
/// </summary>
public class GradientCheckTests
{
    private static readonly CpuBackend<double> Backend = new();

    private static double[] Random(int count, Random random, double scale = 1)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++) values[i] = (random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    /// <summary>Compares analytic[i] with (f(v+h) − f(v−h)) / 2h for every element i of values (or a sample of them).</summary>
    private static void CheckAgainstFiniteDifferences(string what, double[] values, int offset, int length, ReadOnlySpan<double> analytic, Func<double> objective, int maxChecks = int.MaxValue)
    {
        const double h = 1e-6;
        int stride = Math.Max(1, length / maxChecks);
        double errorSquares = 0, numericSquares = 0;
        for (int i = 0; i < length; i += stride)
        {
            double saved = values[offset + i];
            values[offset + i] = saved + h;
            double plus = objective();
            values[offset + i] = saved - h;
            double minus = objective();
            values[offset + i] = saved;
            double numeric = (plus - minus) / (2 * h);
            double error = Math.Abs(numeric - analytic[i]);
            errorSquares += error * error;
            numericSquares += numeric * numeric;
            Assert.True(error <= 1e-7 + 1e-5 * Math.Abs(numeric), $"{what}[{i}]: analytic {analytic[i]:R}, finite difference {numeric:R}");
        }
        double relative = Math.Sqrt(errorSquares / numericSquares);
        Assert.True(relative < 1e-6, $"{what}: relative L2 error {relative}");
    }

    private static double Weighted(ReadOnlySpan<double> output, double[] weights)
    {
        double sum = 0;
        for (int i = 0; i < weights.Length; i++) sum += output[i] * weights[i];
        return sum;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Linear_with_and_without_relu(bool relu)
    {
        const int rows = 7, inF = 5, outF = 4;
        var random = new Random(1);
        var parameters = new ParameterSet<double>([("l.weight", [outF, inF]), ("l.bias", [outF])]);
        Random(parameters.Count, random).CopyTo(parameters.Values, 0);
        var layer = Linear<double>.FromParameters(parameters, "l", relu);
        var x = Random(rows * inF, random);
        var weights = Random(rows * outF, random);
        var y = new double[rows * outF];
        double Objective() { layer.Forward(Backend, x, y, rows); return Weighted(y, weights); }

        Objective();
        var δy = (double[])weights.Clone();
        var δx = new double[rows * inF];
        layer.Backward(Backend, x, y, δy, δx, rows);
        CheckAgainstFiniteDifferences("δx", x, 0, x.Length, δx, Objective);
        CheckAgainstFiniteDifferences("δparams", parameters.Values, 0, parameters.Count, parameters.Gradients, Objective);
        if (relu) Assert.Contains(0.0, y); // the mask was exercised
    }

    [Fact]
    public void LayerNorm_backward()
    {
        const int rows = 6, width = 8;
        var random = new Random(2);
        var parameters = new ParameterSet<double>([("n.weight", [width]), ("n.bias", [width])]);
        Random(parameters.Count, random).CopyTo(parameters.Values, 0);
        var norm = LayerNorm<double>.FromParameters(parameters, "n", 1e-5);
        var x = Random(rows * width, random, 3);
        var weights = Random(rows * width, random);
        var y = new double[rows * width];
        var normalized = new double[rows * width];
        var inverseStd = new double[rows];
        double Objective() { norm.Forward(Backend, x, y, normalized, inverseStd, rows); return Weighted(y, weights); }

        Objective();
        var δx = (double[])weights.Clone();
        norm.Backward(Backend, normalized, inverseStd, δx, δx, rows); // in place, as the encoder uses it
        CheckAgainstFiniteDifferences("δx", x, 0, x.Length, δx, Objective);
        CheckAgainstFiniteDifferences("δγβ", parameters.Values, 0, parameters.Count, parameters.Gradients, Objective);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Masked_attention_backward_with_padding_and_unequal_groups(bool targetQueriesOnly)
    {
        var layout = new AttentionLayout(Groups: 2, ContextPerGroup: 4, TargetsPerGroup: 3, Heads: 2, Width: 6, RealContext: [4, 2], targetQueriesOnly);
        var random = new Random(3);
        var q = Random(layout.QueryTokens * layout.Width, random);
        var kv = Random(layout.Groups * layout.ContextPerGroup * 2 * layout.Width, random);
        var p = new double[layout.ProbabilityLength];
        var o = new double[layout.QueryTokens * layout.Width];
        var weights = Random(o.Length, random);
        double Objective() { Backend.AttentionForward(q, kv, p, o, layout); return Weighted(o, weights); }

        Objective();
        var δq = new double[q.Length];
        var δkv = new double[kv.Length];
        Backend.AttentionBackward(q, kv, p, weights, δq, δkv, layout);
        CheckAgainstFiniteDifferences("δq", q, 0, q.Length, δq, Objective);
        CheckAgainstFiniteDifferences("δkv", kv, 0, kv.Length, δkv, Objective);
        // Padding context tokens of group 1 (rows 6, 7 of kv) are not keys: the output ignores them.
        Assert.All(δkv.AsSpan(6 * 12, 2 * 12).ToArray(), value => Assert.Equal(0.0, value));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Per_question_softmax_and_gaussian_loss(bool withOffset)
    {
        var batch = SmallBatch(dimX: 3, new Random(4));
        var random = new Random(5);
        if (withOffset)
        {
            // Constants added to μ before the softmax: the gradient with respect to μ keeps the same form.
            var offset = Random(batch.Groups * batch.TargetsPerGroup, new Random(9)).Select(v => (float)v).ToArray();
            batch = new GpoBatch(batch.Groups, batch.DimX, batch.ContextPerGroup, batch.TargetsPerGroup, batch.ContextX, batch.ContextY, batch.TargetX,
                batch.TargetY, batch.RealContext, batch.TargetOptionCounts, offset);
        }
        var outputs = Random(batch.Groups * batch.TargetsPerGroup * 2, random);
        var p = new double[batch.Groups * batch.TargetsPerGroup];
        double Objective() { GaussianPreferenceLoss.PerQuestionSoftmax<double>(outputs, p, batch); return GaussianPreferenceLoss.Loss<double>(outputs, p, batch); }

        Objective();
        var δ = new double[outputs.Length];
        GaussianPreferenceLoss.Backward<double>(outputs, p, batch, δ);
        CheckAgainstFiniteDifferences(withOffset ? "δ(μ, s) with offsets" : "δ(μ, s)", outputs, 0, outputs.Length, δ, Objective);
    }

    [Fact]
    public void A_target_offset_is_added_to_mu_before_the_softmax()
    {
        // One question of 2 options, μ = (0, 0), offset = (ln 1, ln 3) → p̂ = (1/4, 3/4); with μ = (ln 3, 0) → (1/2, 1/2).
        var batch = new GpoBatch(1, 1, 1, 2, [0f], [0f], [0f, 0f], [0.5f, 0.5f], [1], [[2]], [0f, (float)Math.Log(3)]);
        var p = new double[2];
        GaussianPreferenceLoss.PerQuestionSoftmax<double>([0, 0, 0, 0], p, batch);
        Assert.Equal(0.25, p[0], 6);
        Assert.Equal(0.75, p[1], 6);
        GaussianPreferenceLoss.PerQuestionSoftmax<double>([Math.Log(3), 0, 0, 0], p, batch);
        Assert.Equal(0.5, p[0], 6);
        Assert.Equal(0.5, p[1], 6);
        Assert.Throws<ArgumentException>(() => new GpoBatch(1, 1, 1, 2, [0f], [0f], [0f, 0f], null, [1], [[2]], [0f, float.NaN]));
    }

    [Fact]
    public void Gaussian_loss_matches_a_hand_computed_case()
    {
        // One group, one question of 2 options, μ = (0, ln 3) → p̂ = (1/4, 3/4); s = (0, ln 2) → σ = (1, 2); y = (0.5, 0.5).
        var batch = new GpoBatch(1, 1, 1, 2, [0f], [0f], [0f, 0f], [0.5f, 0.5f], [1], [[2]]);
        double[] outputs = [0, 0, Math.Log(3), Math.Log(2)]; // (μ, s) per token
        var p = new double[2];
        GaussianPreferenceLoss.PerQuestionSoftmax<double>(outputs, p, batch);
        Assert.Equal(0.25, p[0], 15);
        Assert.Equal(0.75, p[1], 15);
        double c = 0.5 * Math.Log(2 * Math.PI);
        double expected = ((0.25 * 0.25 / 2 + 0 + c) + (0.25 * 0.25 / 8 + Math.Log(2) + c)) / 2;
        Assert.Equal(expected, GaussianPreferenceLoss.Loss<double>(outputs, p, batch), 14);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Encoder_layer_backward(bool targetQueriesOnly)
    {
        var config = new GpoConfig(DimX: 3, ModelWidth: 6, Heads: 2, Layers: 1, FeedForwardWidth: 5);
        var random = new Random(6);
        var parameters = new ParameterSet<double>(config.ParameterShapes());
        Random(parameters.Count, random, 0.6).CopyTo(parameters.Values, 0);
        foreach (var name in new[] { "encoder.layers.0.norm1.weight", "encoder.layers.0.norm2.weight" })
            parameters.Value(name).Span.Fill(1.2);
        var layer = new EncoderLayer<double>(parameters, "encoder.layers.0.", 1e-5);
        var layout = new AttentionLayout(2, 3, 4, 2, 6, [3, 2], targetQueriesOnly);
        var x = Random(layout.Tokens * 6, random);
        var weights = Random(layout.QueryTokens * 6, random);
        var residual = new double[x.Length];
        double Objective() => Weighted(layer.Forward(Backend, x, layout, residual).Span, weights);

        Objective();
        var δ = new double[x.Length]; // δout in the query rows (all, or the target rows at the end)
        weights.CopyTo(δ, x.Length - weights.Length);
        layer.Backward(Backend, δ, new BackwardScratch<double>());
        var prefix = parameters["encoder.layers.0.self_attn.in_proj_weight"];
        int start = prefix.Offset, end = parameters["encoder.layers.0.norm2.bias"].Offset + 6;
        CheckAgainstFiniteDifferences("δx", x, 0, x.Length, δ, Objective);
        CheckAgainstFiniteDifferences("δparams", parameters.Values, start, end - start, parameters.Gradients.AsSpan(start), Objective);
    }

    [Fact]
    public void Whole_model_backward()
    {
        var config = new GpoConfig(DimX: 4, ModelWidth: 8, Heads: 2, Layers: 2, FeedForwardWidth: 6);
        var model = new GpoModel<double>(config, Backend);
        model.Initialize(seed: 7);
        var batch = SmallBatch(config.DimX, new Random(8));
        model.Forward(batch);
        model.Backward();
        var analytic = (double[])model.Parameters.Gradients.Clone();
        Assert.Contains(analytic, g => g != 0);
        CheckAgainstFiniteDifferences("δθ", model.Parameters.Values, 0, model.Parameters.Count, analytic, () => model.Forward(batch), maxChecks: 700);
    }

    /// <summary>Three groups with unequal, padded context and target counts and 1–4 options per question.</summary>
    internal static GpoBatch SmallBatch(int dimX, Random random)
    {
        const int groups = 3, nc = 5, nt = 7;
        int[] realContext = [5, 3, 4];
        int[][] options = [[2, 3], [4, 2, 1], [3]];
        var contextX = new float[groups * nc * dimX];
        var targetX = new float[groups * nt * dimX];
        var contextY = new float[groups * nc];
        var targetY = new float[groups * nt];
        for (int i = 0; i < contextX.Length; i++) contextX[i] = (float)(random.NextDouble() * 2 - 1);
        for (int i = 0; i < targetX.Length; i++) targetX[i] = (float)(random.NextDouble() * 2 - 1);
        for (int i = 0; i < contextY.Length; i++) contextY[i] = (float)random.NextDouble();
        for (int i = 0; i < targetY.Length; i++) targetY[i] = (float)random.NextDouble();
        return new GpoBatch(groups, dimX, nc, nt, contextX, contextY, targetX, targetY, realContext, options);
    }
}
