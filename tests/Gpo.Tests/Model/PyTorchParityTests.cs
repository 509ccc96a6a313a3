using System.Numerics;
using Gpo.IO;
using Gpo.Model;
using Gpo.Training;

namespace Gpo.Tests.Model;

/// <summary>
/// The GPO module against the PyTorch reference (tools/gpo_reference.py, nn.TransformerEncoder with an
/// attention mask and key padding), on fixtures with PyTorch-made weights, padding and unequal groups.
/// Expected values are PyTorch float64 results. Norm: per tensor, relative L2 error
/// ‖ours − torch‖₂ / ‖torch‖₂; float32 must be within 1e-5 (measured ≤ 2e-7), float64 within 1e-12 (Adam steps: 1e-9).
/// </summary>
public class PyTorchParityTests
{
    private static string Fixture(string name) => TestData.Fixture("gpo_reference", name);

    internal static GpoBatch ReadBatch(SafeTensorsFile file)
    {
        var contextX = file["input.context_x"].Shape;
        var targetX = file["input.target_x"].Shape;
        int groups = (int)contextX[0], nc = (int)contextX[1], dx = (int)contextX[2], nt = (int)targetX[1];
        var realContext = file.ReadFloats("input.real_context").Select(v => (int)v).ToArray();
        var counts = file.ReadFloats("input.option_counts");
        int maxQuestions = (int)file["input.option_counts"].Shape[1];
        var options = Enumerable.Range(0, groups)
            .Select(g => counts.Skip(g * maxQuestions).Take(maxQuestions).Where(c => c > 0).Select(c => (int)c).ToArray()).ToArray();
        return new GpoBatch(groups, dx, nc, nt, file.ReadFloats("input.context_x"), file.ReadFloats("input.context_y"),
            file.ReadFloats("input.target_x"), file.ReadFloats("input.target_y"), realContext, options);
    }

    private static double RelativeL2<T>(ReadOnlySpan<T> actual, ReadOnlySpan<double> expected) where T : IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        double error = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double difference = double.CreateChecked(actual[i]) - expected[i];
            error += difference * difference;
            norm += expected[i] * expected[i];
        }
        return Math.Sqrt(error / norm);
    }

    private static void AssertClose<T>(string what, ReadOnlySpan<T> actual, ReadOnlySpan<double> expected, double tolerance) where T : IFloatingPointIeee754<T>
    {
        double relative = RelativeL2(actual, expected);
        Assert.True(relative <= tolerance, $"{what}: relative L2 error {relative:E2} > {tolerance:E0}");
    }

    private static GpoModel<T> SmallModel<T>(SafeTensorsFile file) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var config = GpoCheckpoint.ReadConfig(file);
        Assert.Equal(new GpoConfig(16, 16, 2, 2, 24), config);
        var model = new GpoModel<T>(config);
        GpoCheckpoint.LoadInto(model, file, strict: false);
        return model;
    }

    private static void CheckSmall<T>(double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var file = SafeTensors.Open(Fixture("small.safetensors"));
        var model = SmallModel<T>(file);
        var batch = ReadBatch(file);
        T loss = model.Forward(batch);
        AssertClose("loss", [loss], file.ReadDoubles("expected.loss"), tolerance);
        var outputs = model.Outputs.ToArray();
        AssertClose("μ", outputs.Where((_, i) => i % 2 == 0).ToArray(), file.ReadDoubles("expected.mu"), tolerance);
        AssertClose("s", outputs.Where((_, i) => i % 2 == 1).ToArray(), file.ReadDoubles("expected.s"), tolerance);
        AssertClose("p̂", model.Predictions, file.ReadDoubles("expected.predictions"), tolerance);
        // Grouped per question: group 1's second question is tokens 3..5 of its row.
        var grouped = model.QuestionPredictions();
        Assert.Equal(batch.TargetOptionCounts[1], grouped[1].Select(q => q.Length));
        Assert.Equal(model.Predictions.Slice(batch.TargetsPerGroup + 3, 3).ToArray(), grouped[1][1]);
        model.Backward();
        foreach (var tensor in model.Parameters.Tensors)
            AssertClose("δ" + tensor.Name, model.Parameters.Gradients.AsSpan(tensor.Offset, tensor.Length), file.ReadDoubles("grad." + tensor.Name), tolerance);
    }

    [Fact]
    public void Small_model_float32_matches_pytorch() => CheckSmall<float>(1e-5);

    [Fact]
    public void Small_model_float64_matches_pytorch() => CheckSmall<double>(1e-12);

    [Fact]
    public void Three_adam_steps_with_cosine_decay_match_torch_optim_adam()
    {
        using var file = SafeTensors.Open(Fixture("small.safetensors"));
        var model = SmallModel<double>(file);
        var batch = ReadBatch(file);
        var trainer = new GpoTrainer<double>(model, learningRate: 1e-2, totalSteps: 3);
        var losses = new double[3];
        for (int step = 0; step < 3; step++) losses[step] = trainer.Step(batch);
        AssertClose("losses", losses, file.ReadDoubles("adam.losses"), 1e-9);
        foreach (var tensor in model.Parameters.Tensors)
            AssertClose("θ " + tensor.Name, model.Parameters.Values.AsSpan(tensor.Offset, tensor.Length), file.ReadDoubles("adam." + tensor.Name), 1e-9);
    }

    /// <summary>Weights of the default-architecture fixture: value i of tensor t = bound·sin(1.7i + 0.3t) (see gpo_reference.py).</summary>
    private static void FormulaWeights(ParameterSet<float> parameters)
    {
        for (int t = 0; t < parameters.Tensors.Count; t++)
        {
            var tensor = parameters.Tensors[t];
            var values = parameters.Values.AsSpan(tensor.Offset, tensor.Length);
            bool norm = tensor.Name.EndsWith("norm1.weight", StringComparison.Ordinal) || tensor.Name.EndsWith("norm2.weight", StringComparison.Ordinal);
            double bound = 1.0 / Math.Sqrt(tensor.Shape.Length == 2 ? tensor.Shape[1] : 16);
            for (int i = 0; i < values.Length; i++)
                values[i] = norm ? (float)(1.0 + 0.1 * Math.Sin(1.7 * i + 0.3 * t)) : (float)(bound * Math.Sin(1.7 * i + 0.3 * t));
        }
    }

    [Fact]
    public void Default_widths_with_four_heads_match_pytorch_in_float32()
    {
        using var file = SafeTensors.Open(Fixture("default_arch.safetensors"));
        var model = new GpoModel<float>(new GpoConfig(DimX: 8, ModelWidth: 128, Heads: 4, Layers: 2, FeedForwardWidth: 128));
        FormulaWeights(model.Parameters);
        var batch = ReadBatch(file);
        float loss = model.Forward(batch);
        AssertClose("loss", [loss], file.ReadDoubles("expected.loss"), 1e-5);
        AssertClose("p̂", model.Predictions, file.ReadDoubles("expected.predictions"), 1e-5);
        model.Backward();
        int checkedTensors = 0;
        foreach (var tensor in model.Parameters.Tensors)
        {
            var gradient = model.Parameters.Gradients.AsSpan(tensor.Offset, tensor.Length);
            double norm = Math.Sqrt(gradient.ToArray().Sum(g => (double)g * g));
            AssertClose("‖δ" + tensor.Name + "‖", [norm], file.ReadDoubles("gradnorm." + tensor.Name), 1e-5);
            if (file.Contains("grad." + tensor.Name))
            {
                AssertClose("δ" + tensor.Name, gradient, file.ReadDoubles("grad." + tensor.Name), 1e-5);
                checkedTensors++;
            }
        }
        Assert.Equal(7, checkedTensors);
    }
}
