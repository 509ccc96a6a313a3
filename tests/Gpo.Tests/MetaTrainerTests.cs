using Gpo.Data;
using Gpo.Model;
using Gpo.Training;

namespace Gpo.Tests;

public sealed class MetaTrainerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpo-train-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly PreferenceDataset Data = SyntheticBenchmark.Generate(new SyntheticSettings { Groups = 8, Questions = 60, Dimension = 8, Seed = 3 });
    private static readonly GpoConfig Small = new(DimX: 8, ModelWidth: 16, Heads: 2, Layers: 2, FeedForwardWidth: 16);
    private static readonly TrainingOptions Options = new()
    {
        Steps = 30, EvaluateEvery = 10, Seed = 5, LearningRate = 1e-3,
        Bounds = new QuestionDrawBounds(3, 10, 3, 10), ValidationContextQuestions = 5,
    };

    private MetaTrainer Trainer() => new(Data, GroupSplit.ByFraction(Data.Groups, 0.6, seed: 1), Small, Options);

    private static string[] MetricsWithoutTimings(RunFolder run) =>
        run.ReadMetrics().Select(m => { m.Remove("seconds"); m.Remove("steps_per_second"); return m.ToJsonString(); }).ToArray();

    [Fact]
    public void Same_seed_gives_identical_runs()
    {
        var a = new RunFolder(Path.Combine(_folder, "a"));
        var b = new RunFolder(Path.Combine(_folder, "b"));
        Trainer().Train(a);
        Trainer().Train(b);
        Assert.Equal(MetricsWithoutTimings(a), MetricsWithoutTimings(b));
        Assert.Equal(File.ReadAllBytes(a.LastCheckpoint), File.ReadAllBytes(b.LastCheckpoint));
        Assert.Equal(4, a.ReadMetrics().Count); // step 0 (before training) and the three evaluations
        Assert.Equal(0, a.ReadMetrics()[0]["step"]!.GetValue<int>());
    }

    [Fact]
    public void A_resumed_run_ends_exactly_where_an_uninterrupted_one_does()
    {
        var whole = new RunFolder(Path.Combine(_folder, "whole"));
        var whole_result = Trainer().Train(whole);

        var interrupted = new RunFolder(Path.Combine(_folder, "interrupted"));
        using var stop = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Trainer().Train(interrupted, p => { if (p.Step == 20) stop.Cancel(); }, stop.Token));
        Assert.Equal(20, interrupted.ReadState()!.Step);

        var resumed = Trainer().Train(interrupted);
        Assert.True(resumed.Resumed);
        Assert.Equal(MetricsWithoutTimings(whole), MetricsWithoutTimings(interrupted));
        Assert.Equal(File.ReadAllBytes(whole.LastCheckpoint), File.ReadAllBytes(interrupted.LastCheckpoint));
        Assert.Equal(File.ReadAllBytes(whole.BestCheckpoint), File.ReadAllBytes(interrupted.BestCheckpoint));
        Assert.Equal(whole_result.BestStep, resumed.BestStep);
    }

    [Fact]
    public void Recorded_seconds_are_the_time_spent_training_not_a_sum_over_evaluations()
    {
        var run = new RunFolder(Path.Combine(_folder, "timed"));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = new MetaTrainer(Data, GroupSplit.ByFraction(Data.Groups, 0.6, seed: 1), Small, Options with { EvaluateEvery = 1 }).Train(run);
        var wall = clock.Elapsed.TotalSeconds;

        var seconds = run.ReadMetrics().Select(m => m["seconds"]!.GetValue<double>()).ToList();
        Assert.Equal(31, seconds.Count); // step 0 and every step
        Assert.True(seconds.Zip(seconds.Skip(1)).All(p => p.First <= p.Second), "seconds never decrease");
        // Training time can never exceed the wall-clock time around Train (summing the elapsed time at every evaluation would, many times over).
        Assert.InRange(seconds[^1], 0, wall + 0.001);
        Assert.InRange(result.Seconds, 0, wall + 0.001);
    }

    [Fact]
    public void A_folder_of_another_run_is_refused()
    {
        var run = new RunFolder(Path.Combine(_folder, "c"));
        Trainer().Train(run);
        var other = new MetaTrainer(Data, GroupSplit.ByFraction(Data.Groups, 0.6, seed: 2), Small, Options);
        var error = Assert.Throws<InvalidOperationException>(() => other.Train(run));
        Assert.Contains("config.json", error.Message);
    }

    [Fact]
    public void The_best_checkpoint_loads_back_as_a_model()
    {
        var run = new RunFolder(Path.Combine(_folder, "d"));
        var result = Trainer().Train(run);
        var model = GpoCheckpoint.Load<float>(run.BestCheckpoint);
        Assert.Equal(Small, model.Config);
        Assert.InRange(result.BestStep, 10, 30);
        Assert.InRange(result.BestScore, 0.0, 1.0);
    }
}
