using BenchmarkDotNet.Attributes;
using Gpo.Model;
using Gpo.Training;

namespace Gpo.Bench;

/// <summary>
/// One GPO training step (forward + backward + Adam) at the reference shape: 8 groups, each 55 context
/// and 55 target questions of 4 options (220 + 220 tokens), dim_x 384, default architecture.
/// ≈ 19.4 GFLOP of matrix products per step (<see cref="GpoFlops.TrainingStep"/>).
/// </summary>
[MemoryDiagnoser]
public class TrainingStepBenchmarks
{
    private GpoTrainer<float> trainer = null!;
    private GpoBatch batch = null!;

    [GlobalSetup]
    public void Setup()
    {
        var shape = new BenchmarkShape();
        var model = new GpoModel<float>(new GpoConfig(shape.DimX));
        model.Initialize(seed: 1);
        trainer = new GpoTrainer<float>(model, 3e-4, 1_000_000);
        batch = GpoBenchmark.RandomBatch(shape, seed: 1);
    }

    [Benchmark]
    public float TrainingStep() => trainer.Step(batch);

    [Benchmark]
    public float ForwardOnly() => trainer.Model.Forward(batch);
}
