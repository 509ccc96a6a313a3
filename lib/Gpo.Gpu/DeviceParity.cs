using Gpo.Model;
using Gpo.Training;

namespace Gpo.Gpu;

/// <summary>One comparison of a device with the CPU engine: the relative L2 difference of a quantity and its bound.</summary>
public sealed record ParityRow(string Config, string Quantity, double RelativeL2, double Tolerance)
{
    public bool Passed => RelativeL2 <= Tolerance;
}

/// <summary>
/// The device-versus-CPU-engine checks that need no test framework (for <c>gpo bench --parity</c> on a GPU machine without
/// the .NET SDK): on a padded batch, one step's loss and every gradient, the predictions, and the update after three Adam
/// steps, float32, within 1e-5 relative L2. Parameters whose gradient is 0 in exact arithmetic (see <see cref="IsNoise"/>)
/// are left out of the gradient and update comparisons.
/// </summary>
public static class DeviceParity
{
    /// <summary>The bound on every relative L2 difference.</summary>
    public const double Tolerance = 1e-5;

    /// <summary>
    /// A batch with padding on both sides: 3 groups with 9, 4 and 6 real context tokens of 9; target questions of 1–5 options
    /// in 11 target slots; random x in [−1, 1], shares that sum to 1 per question.
    /// </summary>
    public static GpoBatch PaddedBatch(int dimX, bool withShares = true, int seed = 31)
    {
        int groups = 3, nc = 9, nt = 11;
        int[][] options = [[4, 3, 2], [5], [3, 3, 1, 2]];
        var random = new Random(seed);
        float Next() => (float)(random.NextDouble() * 2 - 1);
        var contextX = Enumerable.Range(0, groups * nc * dimX).Select(_ => Next()).ToArray();
        var contextY = Enumerable.Range(0, groups * nc).Select(_ => (float)random.NextDouble()).ToArray();
        var targetX = Enumerable.Range(0, groups * nt * dimX).Select(_ => Next()).ToArray();
        var targetY = new float[groups * nt];
        for (int g = 0; g < groups; g++)
        {
            int token = g * nt;
            foreach (var count in options[g])
            {
                var shares = Enumerable.Range(0, count).Select(_ => random.NextDouble() + 0.05).ToArray();
                for (int o = 0; o < count; o++) targetY[token + o] = (float)(shares[o] / shares.Sum());
                token += count;
            }
        }
        return new GpoBatch(groups, dimX, nc, nt, contextX, contextY, targetX, withShares ? targetY : null, [9, 4, 6], options);
    }

    /// <summary>
    /// Whether parameter <paramref name="index"/> of <paramref name="tensor"/> has a gradient that is 0 in exact arithmetic, so
    /// that every engine returns rounding noise there (and Adam scales the noise up to ±lr): the K part of each in_proj_bias
    /// (each softmax row's δS sums to 0) and the μ bias of predictor.2 (the per-question softmax is shift-invariant).
    /// </summary>
    public static bool IsNoise(ParameterTensor tensor, int index, GpoConfig config)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(config);
        return (tensor.Name.EndsWith("in_proj_bias", StringComparison.Ordinal) && index >= config.ModelWidth && index < 2 * config.ModelWidth)
            || (tensor.Name == "predictor.2.bias" && index == 0);
    }

    /// <summary>Flat indices of every parameter but the <see cref="IsNoise"/> ones.</summary>
    public static int[] Meaningful(GpoConfig config) =>
        new ParameterSet<float>(config.ParameterShapes()).Tensors
            .SelectMany(t => Enumerable.Range(0, t.Length).Where(i => !IsNoise(t, i, config)).Select(i => t.Offset + i)).ToArray();

    /// <summary>‖actual − expected‖ / ‖expected‖ over the given indices (all when null).</summary>
    public static double RelativeL2(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, int[]? indices = null)
    {
        if (expected.Length != actual.Length) throw new ArgumentException($"lengths differ: {expected.Length} vs {actual.Length}");
        double difference = 0, norm = 0;
        int count = indices?.Length ?? expected.Length;
        for (int n = 0; n < count; n++)
        {
            int i = indices is null ? n : indices[n];
            if (float.IsNaN(actual[i])) return double.PositiveInfinity;
            difference += Math.Pow(expected[i] - actual[i], 2);
            norm += Math.Pow(expected[i], 2);
        }
        return Math.Sqrt(difference) / Math.Max(Math.Sqrt(norm), 1e-30);
    }

    /// <summary>Runs the checks on <paramref name="device"/> for a small architecture and the default one (d 128 × 6 layers, dim_x 384).</summary>
    public static IReadOnlyList<ParityRow> Run(IGpoDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var rows = new List<ParityRow>();
        foreach (var config in new[] { new GpoConfig(DimX: 10, ModelWidth: 16, Heads: 2, Layers: 2, FeedForwardWidth: 12), new GpoConfig(DimX: 384) })
            rows.AddRange(Run(device, config));
        return rows;
    }

    /// <summary>The checks for one architecture.</summary>
    public static IReadOnlyList<ParityRow> Run(IGpoDevice device, GpoConfig config)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(config);
        string name = $"d{config.ModelWidth}x{config.Layers} dim_x {config.DimX}";
        var rows = new List<ParityRow>();
        var keep = Meaningful(config);
        GpoModel<float> Model()
        {
            var model = new GpoModel<float>(config);
            model.Initialize(7);
            return model;
        }

        // One step: loss and every gradient; predictions without shares.
        var cpu = Model();
        using (var engine = device.CreateEngine(config) ?? throw new ArgumentException($"{device.Name} is the CPU engine; nothing to compare"))
        {
            engine.LoadParameters(cpu.Parameters.Values);
            var batch = PaddedBatch(config.DimX);
            float expectedLoss = cpu.Forward(batch);
            cpu.Backward();
            float loss = engine.TrainStep(batch, 1e-3);
            rows.Add(new ParityRow(name, "loss", Math.Abs(loss - expectedLoss) / Math.Abs(expectedLoss), Tolerance));
            var gradients = new float[cpu.Parameters.Count];
            engine.ReadGradients(gradients);
            rows.Add(new ParityRow(name, "gradients", RelativeL2(cpu.Parameters.Gradients, gradients, keep), Tolerance));

            var fresh = Model();
            engine.LoadParameters(fresh.Parameters.Values);
            var inference = PaddedBatch(config.DimX, withShares: false, seed: 5);
            fresh.Forward(inference);
            var p = new float[inference.Groups * inference.TargetsPerGroup];
            engine.Forward(inference, p);
            rows.Add(new ParityRow(name, "predictions", RelativeL2(fresh.Predictions, p), Tolerance));
        }

        // Three Adam steps.
        var cpuModel = Model();
        var deviceModel = Model();
        var initial = (float[])cpuModel.Parameters.Values.Clone();
        var cpuTrainer = new GpoTrainer<float>(cpuModel, 1e-3, 5);
        using (var engine = device.CreateEngine(config))
        {
            var deviceTrainer = new GpoTrainer<float>(deviceModel, 1e-3, 5, engine);
            double worstLoss = 0;
            for (int step = 1; step <= 3; step++)
            {
                var batch = PaddedBatch(config.DimX, seed: step);
                float expected = cpuTrainer.Step(batch), actual = deviceTrainer.Step(batch);
                worstLoss = Math.Max(worstLoss, Math.Abs(expected - actual) / Math.Abs(expected));
            }
            deviceTrainer.Synchronize();
            rows.Add(new ParityRow(name, "3 Adam steps: losses", worstLoss, Tolerance));
            float[] Update(float[] values) => values.Select((v, i) => v - initial[i]).ToArray();
            rows.Add(new ParityRow(name, "3 Adam steps: θ₃ − θ₀", RelativeL2(Update(cpuModel.Parameters.Values), Update(deviceModel.Parameters.Values), keep), Tolerance));
            // For reference, no bound: Adam divides by √v, so where a gradient is tiny its update carries float32's relative
            // rounding at full size; the CPU engine's own float32 update differs from the exact (float64) one by about 1e-5 at
            // small widths and more at the default one, and the row above is read next to it.
            var floor = RelativeL2(ExactUpdate(config, initial), Update(cpuModel.Parameters.Values), keep);
            rows.Add(new ParityRow(name, "3 Adam steps: θ₃ − θ₀, CPU engine vs float64 (reference)", floor, double.PositiveInfinity));
            rows.Add(new ParityRow(name, "3 Adam steps: moments m", RelativeL2(cpuTrainer.Optimizer.FirstMoment, deviceTrainer.Optimizer.FirstMoment, keep), Tolerance));
            rows.Add(new ParityRow(name, "3 Adam steps: moments v", RelativeL2(cpuTrainer.Optimizer.SecondMoment, deviceTrainer.Optimizer.SecondMoment, keep), Tolerance));
        }
        return rows;
    }

    /// <summary>θ₃ − θ₀ of the same three Adam steps in float64 from the same float32 start, as float32.</summary>
    private static float[] ExactUpdate(GpoConfig config, float[] initial)
    {
        var model = new GpoModel<double>(config);
        for (int i = 0; i < initial.Length; i++) model.Parameters.Values[i] = initial[i];
        var trainer = new GpoTrainer<double>(model, 1e-3, 5);
        for (int step = 1; step <= 3; step++) trainer.Step(PaddedBatch(config.DimX, seed: step));
        return model.Parameters.Values.Select((v, i) => (float)(v - initial[i])).ToArray();
    }
}
