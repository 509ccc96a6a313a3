using Gpo.Data;
using Gpo.Evaluation;
using Gpo.Gpu;
using Gpo.Model;
using Gpo.Training;

namespace Gpo.Tests;

/// <summary>
/// Whole GPO steps on ILGPU's CPU accelerator (<see cref="IlgpuEngine"/>) against the CPU engine (<see cref="GpoModel{T}"/> +
/// <see cref="Adam{T}"/>): loss, every gradient, three Adam steps, predictions, the per-target offset, determinism, and a
/// meta-training run resumed on the device.
/// </summary>
/// <summary>ILGPU's CPU accelerator runs every thread of a group as an OS thread: these tests run alone, not beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IlgpuCpuAlone
{
    public const string Name = "ilgpu-cpu alone";
}

[Collection(IlgpuCpuAlone.Name)]
public sealed class GpuEngineTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("gpo-gpu-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static readonly GpoConfig Config = new(DimX: 10, ModelWidth: 16, Heads: 2, Layers: 2, FeedForwardWidth: 12);

    internal static GpoBatch PaddedBatch(int dimX, bool withShares = true, int seed = 31) => DeviceParity.PaddedBatch(dimX, withShares, seed);

    private static GpoModel<float> Model(int seed = 7)
    {
        var model = new GpoModel<float>(Config);
        model.Initialize(seed);
        return model;
    }

    private static IlgpuEngine Engine(GpoModel<float> model)
    {
        var engine = (IlgpuEngine)IlgpuDevice.IlgpuCpu.CreateEngine(model.Config);
        engine.LoadParameters(model.Parameters.Values);
        return engine;
    }

    private static int[] Meaningful(GpoConfig config) => DeviceParity.Meaningful(config);

    private static float[] Pick(float[] values, int[] indices) => indices.Select(i => values[i]).ToArray();

    [Fact]
    public void One_step_gives_the_cpu_engines_loss_and_every_gradient()
    {
        var batch = PaddedBatch(Config.DimX);
        var model = Model();
        using var engine = Engine(model);
        float cpuLoss = model.Forward(batch);
        model.Backward();
        float deviceLoss = engine.TrainStep(batch, learningRate: 1e-3);
        Assert.True(Math.Abs(cpuLoss - deviceLoss) <= 1e-5 * Math.Abs(cpuLoss), $"loss {deviceLoss} vs {cpuLoss}");

        var gradients = new float[model.Parameters.Count];
        engine.ReadGradients(gradients);
        GpuKernelTests.AssertClose(model.Parameters.Gradients, gradients, what: "all gradients");
        foreach (var tensor in model.Parameters.Tensors)
        {
            var expected = model.Parameters.Gradients.AsSpan(tensor.Offset, tensor.Length).ToArray();
            var actual = gradients.AsSpan(tensor.Offset, tensor.Length).ToArray();
            if (tensor.Name.EndsWith("in_proj_bias", StringComparison.Ordinal))
            {
                // Q and V parts compared; the K part is noise around 0 on both engines (see DeviceParity.IsNoise).
                int d = Config.ModelWidth;
                GpuKernelTests.AssertClose([.. expected[..d], .. expected[(2 * d)..]], [.. actual[..d], .. actual[(2 * d)..]], what: tensor.Name);
                Assert.All(actual[d..(2 * d)], v => Assert.True(Math.Abs(v) < 1e-6, $"{tensor.Name}: K-bias gradient {v}"));
                continue;
            }
            GpuKernelTests.AssertClose(expected, actual, what: tensor.Name);
        }
    }

    [Fact]
    public void Three_adam_steps_match_the_cpu_engine()
    {
        var batches = new[] { PaddedBatch(Config.DimX, seed: 1), PaddedBatch(Config.DimX, seed: 2), PaddedBatch(Config.DimX, seed: 3) };
        var cpuModel = Model();
        var deviceModel = Model();
        var initial = (float[])cpuModel.Parameters.Values.Clone();
        var cpuTrainer = new GpoTrainer<float>(cpuModel, learningRate: 1e-3, totalSteps: 5);
        using var engine = IlgpuDevice.IlgpuCpu.CreateEngine(Config);
        var deviceTrainer = new GpoTrainer<float>(deviceModel, learningRate: 1e-3, totalSteps: 5, engine);
        foreach (var batch in batches)
        {
            float expected = cpuTrainer.Step(batch), actual = deviceTrainer.Step(batch);
            Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Abs(expected), $"loss {actual} vs {expected}");
        }
        deviceTrainer.Synchronize();
        Assert.Equal(3, deviceTrainer.Optimizer.StepCount);
        // Compare the updates θ₃ − θ₀ and the moments, leaving out the K biases whose gradient is rounding noise (Adam scales noise up to ±lr).
        var keep = Meaningful(Config);
        float[] Update(float[] values) => keep.Select(i => values[i] - initial[i]).ToArray();
        GpuKernelTests.AssertClose(Update(cpuModel.Parameters.Values), Update(deviceModel.Parameters.Values), what: "θ₃ − θ₀");
        GpuKernelTests.AssertClose(Pick(cpuTrainer.Optimizer.FirstMoment, keep), Pick(deviceTrainer.Optimizer.FirstMoment, keep), what: "m");
        GpuKernelTests.AssertClose(Pick(cpuTrainer.Optimizer.SecondMoment, keep), Pick(deviceTrainer.Optimizer.SecondMoment, keep), what: "v");
        GpuKernelTests.AssertClose(Pick(cpuModel.Parameters.Values, keep), Pick(deviceModel.Parameters.Values, keep), 1e-6, what: "θ₃");
    }

    [Fact]
    public void Forward_predictions_match_the_cpu_engine_with_and_without_shares()
    {
        var model = Model();
        using var engine = Engine(model);
        foreach (var withShares in new[] { true, false })
        {
            var batch = PaddedBatch(Config.DimX, withShares);
            float cpuLoss = model.Forward(batch);
            var p = new float[batch.Groups * batch.TargetsPerGroup];
            float deviceLoss = engine.Forward(batch, p);
            GpuKernelTests.AssertClose(model.Predictions.ToArray(), p, what: "p̂");
            if (withShares) Assert.True(Math.Abs(cpuLoss - deviceLoss) <= 1e-5 * Math.Abs(cpuLoss), $"loss {deviceLoss} vs {cpuLoss}");
            else Assert.True(float.IsNaN(deviceLoss));
        }
    }

    [Fact]
    public void A_target_offset_shifts_mu_before_the_per_question_softmax()
    {
        var model = Model();
        using var engine = Engine(model);
        var batch = PaddedBatch(Config.DimX);
        int targets = batch.Groups * batch.TargetsPerGroup;
        model.Forward(batch);
        var mu = Enumerable.Range(0, targets).Select(t => (double)model.Outputs[2 * t]).ToArray();
        var offsets = GpuKernelTests.Random(targets, 41, 2f);
        var p = new float[targets];
        engine.ForwardWithOffsets(batch, offsets, p);
        // Hand-computed: p = softmax over each question's options of μ + offset.
        for (int g = 0; g < batch.Groups; g++)
        {
            int token = g * batch.TargetsPerGroup;
            foreach (var count in batch.TargetOptionCounts[g])
            {
                var shifted = Enumerable.Range(token, count).Select(t => mu[t] + offsets[t]).ToArray();
                double max = shifted.Max(), sum = shifted.Sum(v => Math.Exp(v - max));
                for (int o = 0; o < count; o++) Assert.Equal(Math.Exp(shifted[o] - max) / sum, p[token + o], 5);
                token += count;
            }
            for (int t = token; t < (g + 1) * batch.TargetsPerGroup; t++) Assert.Equal(0f, p[t]);
        }
        var none = new float[targets];
        engine.ForwardWithOffsets(batch, null, none);
        GpuKernelTests.AssertClose(model.Predictions.ToArray(), none, what: "p̂ without offsets");
    }

    [Fact]
    public void Steps_on_the_device_are_deterministic()
    {
        float[] Run()
        {
            var model = Model();
            using var engine = IlgpuDevice.IlgpuCpu.CreateEngine(Config);
            var trainer = new GpoTrainer<float>(model, 1e-3, 3, engine);
            var losses = Enumerable.Range(0, 3).Select(i => trainer.Step(PaddedBatch(Config.DimX, seed: i))).ToList();
            trainer.Synchronize();
            return [.. losses, .. model.Parameters.Values];
        }
        Assert.Equal(Run(), Run());
    }

    private static readonly PreferenceDataset Data = SyntheticBenchmark.Generate(new SyntheticSettings { Groups = 6, Questions = 30, Dimension = 8, Seed = 3 });

    private static MetaTrainer Trainer(IGpoDevice device) => new(Data, GroupSplit.ByFraction(Data.Groups, 0.6, seed: 1),
        new GpoConfig(DimX: 8, ModelWidth: 16, Heads: 2, Layers: 1, FeedForwardWidth: 16),
        new TrainingOptions { Steps = 6, EvaluateEvery = 2, Seed = 5, LearningRate = 1e-3, Bounds = new QuestionDrawBounds(2, 5, 2, 5), ValidationContextQuestions = 3 },
        device);

    [Fact]
    public void A_run_resumed_on_the_device_ends_where_an_uninterrupted_one_does_and_near_the_cpu_run()
    {
        var whole = new RunFolder(Path.Combine(folder, "whole"));
        Trainer(IlgpuDevice.IlgpuCpu).Train(whole);

        var interrupted = new RunFolder(Path.Combine(folder, "interrupted"));
        using var stop = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer(IlgpuDevice.IlgpuCpu).Train(interrupted, p => { if (p.Step == 4) stop.Cancel(); }, stop.Token));
        Assert.True(Trainer(IlgpuDevice.IlgpuCpu).Train(interrupted).Resumed);
        Assert.Equal(File.ReadAllBytes(whole.LastCheckpoint), File.ReadAllBytes(interrupted.LastCheckpoint));
        Assert.Equal(File.ReadAllBytes(whole.LastOptimizer), File.ReadAllBytes(interrupted.LastOptimizer));

        // Resuming across devices: the first half on the CPU engine, the rest on the device.
        var crossed = new RunFolder(Path.Combine(folder, "crossed"));
        using var stopCpu = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer(new CpuDevice()).Train(crossed, p => { if (p.Step == 4) stopCpu.Cancel(); }, stopCpu.Token));
        Trainer(IlgpuDevice.IlgpuCpu).Train(crossed);
        var cpu = new RunFolder(Path.Combine(folder, "cpu"));
        Trainer(new CpuDevice()).Train(cpu);
        var keep = Meaningful(GpoCheckpoint.Load<float>(cpu.LastCheckpoint).Config);
        float[] Saved(RunFolder run) => Pick(GpoCheckpoint.Load<float>(run.LastCheckpoint).Parameters.Values, keep);
        GpuKernelTests.AssertClose(Saved(cpu), Saved(crossed), 1e-5, "cpu → device resume vs cpu");
        GpuKernelTests.AssertClose(Saved(cpu), Saved(whole), 1e-5, "device vs cpu run");
    }

    [Fact]
    public void Predictions_through_a_device_engine_match_the_cpu_model()
    {
        var model = Model();
        using var engine = Engine(model);
        var episode = EpisodeFactory.Episode(SyntheticWith10(), ContextDraw.For(SyntheticWith10(), [SyntheticWith10().Groups[0]], 4, seed: 1)[0]);
        var onCpu = new GpoPredictor(model).Predict(episode);
        var onDevice = new GpoPredictor(model, engine: engine).Predict(episode);
        GpuKernelTests.AssertClose(onCpu.SelectMany(p => p).Select(v => (float)v).ToArray(), onDevice.SelectMany(p => p).Select(v => (float)v).ToArray(), what: "p̂");
    }

    private static readonly Lazy<PreferenceDataset> Synthetic10 = new(() => SyntheticBenchmark.Generate(new SyntheticSettings { Groups = 4, Questions = 20, Dimension = 10, Seed = 2 }));

    private static PreferenceDataset SyntheticWith10() => Synthetic10.Value;
}

/// <summary>The framework-free parity check that <c>gpo bench --parity</c> runs on a GPU machine passes on ILGPU's CPU accelerator.</summary>
[Collection(IlgpuCpuAlone.Name)]
public sealed class GpuParityTests
{
    [Fact]
    public void Parity_rows_pass_on_ilgpu_cpu_and_fail_for_a_perturbed_engine()
    {
        var rows = DeviceParity.Run(IlgpuDevice.IlgpuCpu, new GpoConfig(DimX: 6, ModelWidth: 8, Heads: 2, Layers: 1, FeedForwardWidth: 8));
        Assert.Equal(8, rows.Count);
        Assert.InRange(rows.Single(r => r.Quantity.Contains("float64", StringComparison.Ordinal)).RelativeL2, 1e-9, 1e-3); // the CPU engine's own float32 error, measured
        Assert.All(rows, row => Assert.True(row.Passed, $"{row.Quantity}: {row.RelativeL2:E2}"));
        Assert.True(DeviceParity.RelativeL2([1f, 2f], [1f, 2.001f]) > DeviceParity.Tolerance);
    }
}
