using System.Diagnostics;
using Gpo.Training;

namespace Gpo.Model;

/// <summary>The shape of the standard training-step benchmark: B groups, each with Q context and Q target questions of K options.</summary>
/// <param name="Groups">B.</param>
/// <param name="QuestionsPerSide">Context questions per group, and the same number of target questions.</param>
/// <param name="Options">Options per question.</param>
/// <param name="DimX">Embedding width.</param>
public sealed record BenchmarkShape(int Groups = 8, int QuestionsPerSide = 55, int Options = 4, int DimX = 384)
{
    /// <summary>Tokens per group on each side (context, targets).</summary>
    public int TokensPerSide => QuestionsPerSide * Options;
}

/// <summary>
/// Measured seconds per training step (forward + backward + Adam) on random inputs: the median and fastest wall time,
/// and the process's CPU time per step (all threads), which other processes sharing the cores inflate less.
/// </summary>
public sealed record BenchmarkResult(double SecondsPerStep, double FastestStepSeconds, double CpuSecondsPerStep, double Gflops, double FlopsPerStep, int Steps, BenchmarkShape Shape, GpoConfig Config,
    string Device = "cpu");

/// <summary>Times training steps of the default-architecture GPO module on random data (the CLI's <c>gpo bench</c>).</summary>
public static class GpoBenchmark
{
    /// <summary>A batch of random embeddings and random per-question distributions.</summary>
    public static GpoBatch RandomBatch(BenchmarkShape shape, int seed)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var random = new Random(seed);
        int n = shape.TokensPerSide, g = shape.Groups, dx = shape.DimX;
        var contextX = new float[g * n * dx];
        var targetX = new float[g * n * dx];
        for (int i = 0; i < contextX.Length; i++) contextX[i] = (float)(random.NextDouble() * 2 - 1);
        for (int i = 0; i < targetX.Length; i++) targetX[i] = (float)(random.NextDouble() * 2 - 1);
        var contextY = RandomShares(random, g * shape.QuestionsPerSide, shape.Options);
        var targetY = RandomShares(random, g * shape.QuestionsPerSide, shape.Options);
        var options = Enumerable.Range(0, g).Select(_ => Enumerable.Repeat(shape.Options, shape.QuestionsPerSide).ToArray()).ToArray();
        return new GpoBatch(g, dx, n, n, contextX, contextY, targetX, targetY, Enumerable.Repeat(n, g).ToArray(), options);
    }

    private static float[] RandomShares(Random random, int questions, int options)
    {
        var shares = new float[questions * options];
        for (int q = 0; q < questions; q++)
        {
            double sum = 0;
            for (int o = 0; o < options; o++) sum += shares[q * options + o] = (float)random.NextDouble() + 1e-3f;
            for (int o = 0; o < options; o++) shares[q * options + o] = (float)(shares[q * options + o] / sum);
        }
        return shares;
    }

    /// <summary>Runs <paramref name="warmup"/> untimed and <paramref name="steps"/> timed training steps; reports the median step time.</summary>
    /// <param name="device">Where the steps run (null: the CPU engine); a device step includes copying the batch to it.</param>
    public static BenchmarkResult Run(BenchmarkShape shape, GpoConfig config, int steps, int warmup, int seed = 1, IGpoDevice? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        var model = new GpoModel<float>(config);
        model.Initialize(seed);
        using var engine = device?.CreateEngine(config);
        var trainer = new GpoTrainer<float>(model, 3e-4, steps + warmup, engine);
        var batch = RandomBatch(shape, seed);
        for (int i = 0; i < warmup; i++) trainer.Step(batch);
        var times = new double[steps];
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        for (int i = 0; i < steps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            trainer.Step(batch);
            times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        double cpuPerStep = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalSeconds / steps;
        Array.Sort(times);
        double median = times[steps / 2];
        double flops = GpoFlops.TrainingStep(config, shape.Groups, shape.TokensPerSide, shape.TokensPerSide);
        return new BenchmarkResult(median, times[0], cpuPerStep, flops / median / 1e9, flops, steps, shape, config, engine?.Name ?? "cpu");
    }
}
