using System.Text.Json.Nodes;
using Gpo.Data;
using Gpo.Model;
using Gpo.Training;

namespace Gpo.Tests.Hardening;

/// <summary>
/// Run folders under faults (issue 11, data loss): damaged state, config and metrics files, temporaries and
/// uncommitted step files of killed saves, and the run lock. Resumed runs must end byte-identical to an uninterrupted one.
/// </summary>
[Collection("Console")]
public sealed class RunFolderFaultTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("gpo-runfault-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static readonly PreferenceDataset Data = SyntheticBenchmark.Generate(new SyntheticSettings { Groups = 8, Questions = 60, Dimension = 8, Seed = 3 });
    private static readonly GpoConfig Small = new(DimX: 8, ModelWidth: 16, Heads: 2, Layers: 1, FeedForwardWidth: 16);
    private static readonly TrainingOptions Options = new()
    {
        Steps = 12, EvaluateEvery = 3, Seed = 5, LearningRate = 1e-3,
        Bounds = new QuestionDrawBounds(3, 10, 3, 10), ValidationContextQuestions = 5,
    };

    private static MetaTrainer Trainer(TrainingOptions? options = null) => new(Data, GroupSplit.ByFraction(Data.Groups, 0.6, seed: 1), Small, options ?? Options);

    private RunFolder Reference()
    {
        var run = new RunFolder(Path.Combine(folder, "reference"));
        if (!File.Exists(run.StateFile)) Trainer().Train(run);
        return run;
    }

    /// <summary>A run stopped after its checkpoint at <paramref name="step"/>.</summary>
    private RunFolder StoppedAt(string name, int step, List<string>? log = null)
    {
        var run = new RunFolder(Path.Combine(folder, name)) { Log = log is null ? null : log.Add };
        using var stop = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => Trainer().Train(run, p => { if (p.Step == step) stop.Cancel(); }, stop.Token));
        return run;
    }

    /// <summary>The two runs ended in the same state: step, best step and score, model, optimizer, best model and metrics (timings aside).</summary>
    internal static void AssertSameEnd(RunFolder expected, RunFolder actual)
    {
        var (a, b) = (expected.ReadState()!, actual.ReadState()!);
        Assert.Equal((a.Step, a.BestStep, a.BestScore), (b.Step, b.BestStep, b.BestScore));
        Assert.Equal(File.ReadAllBytes(expected.LastCheckpoint), File.ReadAllBytes(actual.LastCheckpoint));
        Assert.Equal(File.ReadAllBytes(expected.LastOptimizer), File.ReadAllBytes(actual.LastOptimizer));
        Assert.Equal(File.ReadAllBytes(expected.BestCheckpoint), File.ReadAllBytes(actual.BestCheckpoint));
        Assert.Equal(MetricsWithoutTimings(expected), MetricsWithoutTimings(actual));
    }

    private static string[] MetricsWithoutTimings(RunFolder run) =>
        run.ReadMetrics().Select(m => { m.Remove("seconds"); m.Remove("steps_per_second"); return m.ToJsonString(); }).ToArray();

    [Fact]
    public void A_checkpoint_is_step_named_files_plus_state_json_and_old_steps_are_removed()
    {
        var run = Reference();
        var files = Directory.GetFiles(run.CheckpointFolder).Select(Path.GetFileName).Order().ToArray();
        var best = run.ReadState()!.BestStep;
        var expected = new[] { "best.safetensors", $"step-{12:D8}.optimizer.safetensors", $"step-{12:D8}.safetensors" }
            .Concat(best == 12 ? [] : [$"step-{best:D8}.safetensors", $"step-{best:D8}.optimizer.safetensors"]).Order().ToArray();
        Assert.Equal(expected, files);
        using var bestFile = Gpo.IO.SafeTensors.Open(run.BestCheckpoint);
        Assert.Equal(best.ToString(System.Globalization.CultureInfo.InvariantCulture), bestFile.Metadata["step"]);
    }

    [Fact]
    public void Temporaries_and_uncommitted_step_files_of_a_killed_save_are_removed_and_the_run_ends_identical()
    {
        var run = StoppedAt("killed-save", 6);
        // What a kill inside the save of step 9 leaves: step 9's model written, its optimizer half-written, no commit.
        File.Copy(run.ModelFile(6), run.ModelFile(9));
        File.WriteAllBytes(Path.Combine(run.CheckpointFolder, $".step-{9:D8}.optimizer.safetensors.12345.abc.tmp"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(run.Path, ".metrics.jsonl.12345.abc.tmp"), [1, 2, 3]);
        Trainer().Train(run);
        Assert.Empty(Directory.GetFiles(run.Path, "*.tmp", SearchOption.AllDirectories));
        AssertSameEnd(Reference(), run);
    }

    [Theory]
    [InlineData("{ \"Step\": 6, \"BestSt")]                                        // truncated
    [InlineData("{\"Step\": \"six\", \"BestStep\": 6, \"BestScore\": 0.5, \"Seconds\": 1}")] // wrong type
    [InlineData("{\"Step\": 9, \"BestStep\": 9, \"BestScore\": 0.5, \"Seconds\": 1}")]   // points at files that are not there
    [InlineData("[]")]
    public void A_damaged_state_json_falls_back_to_the_newest_consistent_step(string damaged)
    {
        var log = new List<string>();
        var run = StoppedAt("damaged-state", 6, log);
        File.WriteAllText(run.StateFile, damaged);
        var result = Trainer().Train(run);
        Assert.True(result.Resumed);
        Assert.Contains(log, line => line.Contains("resuming from step 6, the newest consistent checkpoint", StringComparison.Ordinal));
        AssertSameEnd(Reference(), run);
    }

    [Fact]
    public void A_damaged_step_file_falls_back_to_an_older_consistent_step_or_to_the_start()
    {
        var log = new List<string>();
        var run = StoppedAt("damaged-step", 6, log);
        var best = run.ReadState()!.BestStep; // kept on disk while it is the best
        var bytes = File.ReadAllBytes(run.ModelFile(6));
        File.WriteAllBytes(run.ModelFile(6), bytes[..(bytes.Length / 2)]); // truncated by a disk fault
        var result = Trainer().Train(run);
        if (best is > 0 and < 6)
        {
            Assert.True(result.Resumed);
            Assert.Contains(log, line => line.Contains($"resuming from step {best}, the newest consistent checkpoint", StringComparison.Ordinal));
        }
        else
        {
            Assert.False(result.Resumed); // nothing older was kept (or only step 0, the untrained model): training starts again, and ends where it should
            Assert.Contains(log, line => line.Contains("no consistent checkpoint", StringComparison.Ordinal));
        }
        AssertSameEnd(Reference(), run);
    }

    [Fact]
    public void A_truncated_last_metrics_line_is_dropped_and_a_damaged_one_is_a_clear_error()
    {
        var run = StoppedAt("metrics", 6);
        File.AppendAllText(run.MetricsFile, "{\"step\": 7, \"train_lo");
        Trainer().Train(run);
        AssertSameEnd(Reference(), run);

        var damaged = StoppedAt("metrics-damaged", 6);
        var lines = File.ReadAllLines(damaged.MetricsFile);
        File.WriteAllLines(damaged.MetricsFile, [lines[0], "{\"step\": garbage", .. lines[1..]]);
        var error = Assert.Throws<InvalidDataException>(() => Trainer().Train(damaged));
        Assert.Contains("metrics.jsonl, line 2: not valid JSON", error.Message, StringComparison.Ordinal);
        File.WriteAllLines(damaged.MetricsFile, [lines[0], "[1, 2]", .. lines[1..]]);
        Assert.Contains("line 2: expected a JSON object with an integer \"step\"", Assert.Throws<InvalidDataException>(() => Trainer().Train(damaged)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_damaged_config_json_is_a_clear_error_through_the_cli()
    {
        var run = Path.Combine(folder, "config");
        var args = new[] { "train", "--run", run, "--steps", "2", "--eval-every", "1", "--width", "8", "--layers", "1", "--heads", "2", "--ffn", "8", "--max-questions", "10" };
        Assert.Equal(0, CliRunner.Run(args).Exit);
        File.WriteAllText(Path.Combine(run, "config.json"), "{\"format\": \"gpo-run/1\", \"dataset\": {");
        var (exit, _, stderr) = CliRunner.Run(args);
        Assert.Equal(1, exit);
        Assert.Contains("config.json: not valid JSON", stderr, StringComparison.Ordinal);
        Assert.Contains("the run folder is damaged", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_process_on_a_locked_run_is_refused_naming_the_holder_and_a_dead_holder_is_taken_over()
    {
        var run = new RunFolder(Path.Combine(folder, "locked"));
        using (run.Lock())
        {
            var error = Assert.Throws<IOException>(() => Trainer().Train(new RunFolder(run.Path)));
            Assert.Contains($"in use by another process (pid {Environment.ProcessId} on host {Environment.MachineName})", error.Message, StringComparison.Ordinal);
            var (exit, _, stderr) = CliRunner.Run("train", "--run", run.Path, "--steps", "2");
            Assert.Equal(1, exit);
            Assert.Contains($"pid {Environment.ProcessId}", stderr, StringComparison.Ordinal);
        }
        // The lock file and owner note of a process that died (kill -9 leaves both behind) do not block a new run.
        File.WriteAllText(run.LockOwnerFile, "{\"pid\": 2147483000, \"host\": \"gone\", \"since\": \"2020-01-01T00:00:00Z\"}\n");
        Trainer().Train(run);
        Assert.Contains($"\"pid\": {Environment.ProcessId}", File.ReadAllText(run.LockOwnerFile), StringComparison.Ordinal);
        AssertSameEnd(Reference(), run);
    }

    [Fact]
    public void A_non_finite_learning_rate_is_refused_before_anything_is_written()
    {
        foreach (var rate in new[] { double.NaN, -1, 0, double.PositiveInfinity })
        {
            var error = Assert.Throws<ArgumentException>(() => Trainer(Options with { LearningRate = rate }));
            Assert.Contains("learning rate", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_run_without_validation_groups_saves_a_NaN_best_score_and_resumes()
    {
        var split = GroupSplit.ByFraction(Data.Groups, 0.6, seed: 1, validationCount: 0);
        var run = new RunFolder(Path.Combine(folder, "no-validation"));
        var result = new MetaTrainer(Data, split, Small, Options).Train(run);
        Assert.True(double.IsNaN(result.BestScore));
        Assert.Equal(12, run.ReadState()!.Step);
        var again = new MetaTrainer(Data, split, Small, Options).Train(run);
        Assert.True(again.Resumed);
        _ = JsonNode.Parse(File.ReadAllText(run.StateFile)); // stays readable JSON
    }
}
