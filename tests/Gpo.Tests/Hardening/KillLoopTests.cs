using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Gpo.Training;

namespace Gpo.Tests.Hardening;

/// <summary>
/// Issue 11's kill loop: the built CLI trains in a child process and is killed (SIGKILL) at random instants and
/// right inside checkpoint saves, then resumed, again and again; the run must end byte-identical to an uninterrupted
/// one. SIGTERM and SIGINT must stop it cleanly (exit 130, a consistent folder). Progress off a terminal is one plain
/// line per update.
/// </summary>
public sealed class KillLoopTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("gpo-killloop-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static readonly object ReferenceLock = new();
    private static (RunFolder Run, TimeSpan Wall, string Error)? reference;

    /// <summary>One uninterrupted run (shared by the tests of this class), its wall time and its stderr.</summary>
    private static (RunFolder Run, TimeSpan Wall, string Error) Reference(string dll)
    {
        lock (ReferenceLock)
        {
            if (reference is { } done) return done;
            var run = new RunFolder(Path.Combine(Directory.CreateTempSubdirectory("gpo-killloop-reference-").FullName, "run"));
            var clock = Stopwatch.StartNew();
            var (exit, error) = RunToEnd(dll, run.Path);
            Assert.True(exit == 0, error);
            reference = (run, clock.Elapsed, error);
            return reference.Value;
        }
    }

    /// <summary>The CLI built in the same configuration as this test assembly (test.sh builds Release).</summary>
    private static string? CliDll()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Gpo.slnx")))
            {
                var dll = Path.Combine(dir.FullName, "lib", "Gpo.Cli", "bin", configuration, "net10.0", "Gpo.Cli.dll");
                return File.Exists(dll) ? dll : null;
            }
        return null;
    }

    private static readonly string[] Training =
        ["train", "--data", "synthetic", "--steps", "16", "--eval-every", "2", "--seed", "3", "--width", "8", "--layers", "1", "--heads", "2", "--ffn", "8", "--max-questions", "10"];

    /// <summary>
    /// Whether this process ignores SIGINT (bit 2 of SigIgn in /proc/self/status): a shell without job control starts background
    /// jobs that way, children inherit it, and .NET then leaves SIGINT ignored — as a program should.
    /// </summary>
    private static bool SigintIgnored()
    {
        var line = File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal)) : null;
        return line is not null && (ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & 0b10) != 0;
    }

    private static Process Start(string dll, string run, int pauseMilliseconds)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        // Started from a background job, the training process would inherit an ignored SIGINT; it gets the default back, as
        // when started from a terminal (coreutils env).
        if (SigintIgnored())
        {
            start.FileName = "env";
            start.ArgumentList.Add("--default-signal=INT");
            start.ArgumentList.Add("dotnet");
        }
        foreach (var argument in new List<string> { dll } .Concat(Training).Concat(["--run", run])) start.ArgumentList.Add(argument);
        start.Environment[RunFolder.SavePauseVariable] = pauseMilliseconds.ToString(CultureInfo.InvariantCulture);
        start.Environment["GPO_CACHE"] = Path.Combine(Path.GetTempPath(), "gpo-killloop-cache");
        return Process.Start(start)!;
    }

    /// <summary>Runs to the end; returns exit code and stderr.</summary>
    private static (int Exit, string Error) RunToEnd(string dll, string run, int pauseMilliseconds = 0)
    {
        using var process = Start(dll, run, pauseMilliseconds);
        var error = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "training did not finish in 2 minutes");
        return (process.ExitCode, error.Result);
    }

    /// <summary>The committed step (0 when none) and whether an uncommitted step file or a temporary is on disk (a save in flight).</summary>
    private static (int Committed, bool SaveInFlight) Inspect(RunFolder run)
    {
        int committed;
        try { committed = run.ReadState()?.Step ?? 0; }
        catch (InvalidDataException) { committed = -1; }
        catch (IOException) { committed = -1; }
        if (!Directory.Exists(run.CheckpointFolder)) return (committed, false);
        var files = Directory.GetFiles(run.CheckpointFolder).Select(Path.GetFileName).ToList();
        var inFlight = files.Any(f => f!.EndsWith(".tmp", StringComparison.Ordinal))
            || files.Any(f => f!.StartsWith("step-", StringComparison.Ordinal) && int.TryParse(f.AsSpan(5, 8), CultureInfo.InvariantCulture, out var s) && s > committed);
        return (committed, inFlight);
    }

    private static void AssertSameEnd(RunFolder expected, RunFolder actual)
    {
        RunFolderFaultTests.AssertSameEnd(expected, actual);
        Assert.Empty(Directory.GetFiles(actual.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [SkippableFact]
    public void Training_killed_at_random_instants_and_inside_saves_resumes_to_the_identical_final_checkpoint()
    {
        Skip.If(OperatingSystem.IsWindows(), "kill -9 semantics and the shell-free child are Unix-specific here");
        var dll = CliDll();
        Skip.If(dll is null, "the CLI is not built (run ./test.sh, which builds it)");

        var (reference, wall, referenceError) = Reference(dll!);

        // Progress off a terminal: one plain line per evaluation, none repeated, no cursor movement or colour.
        var lines = referenceError.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("training step", StringComparison.Ordinal)).ToList();
        Assert.Equal(8, lines.Count);
        Assert.Equal(lines.Count, lines.Distinct().Count());
        Assert.DoesNotContain('\u001b', referenceError);
        Assert.DoesNotContain('\r', referenceError);

        var killed = new RunFolder(Path.Combine(folder, "killed"));
        var random = new Random(11);
        int kills = 0, insideSave = 0, atRandom = 0;
        const int PauseMilliseconds = 15; // twice per save: the window between the step's files and the commit
        const int LastBeforeFinalSave = 14; // 16 steps, a save every 2
        while (kills < 8)
        {
            using var process = Start(dll!, killed.Path, PauseMilliseconds);
            _ = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            var aimInsideSave = kills % 2 == 0;
            var deadline = Stopwatch.StartNew();
            var limit = TimeSpan.FromSeconds(random.NextDouble() * wall.TotalSeconds * 0.6);
            var startedAt = Inspect(killed).Committed;
            while (!process.HasExited)
            {
                // A random instant is drawn from the reference run's wall time, which a loaded machine (the suite's start) can stretch
                // past this run's own length: a kill is also due once this run has committed a new step and it is the last before the final save.
                if (aimInsideSave ? Inspect(killed).SaveInFlight && deadline.Elapsed > TimeSpan.FromMilliseconds(random.Next(0, 20))
                    : deadline.Elapsed >= limit || Inspect(killed).Committed is var committed && committed > startedAt && committed >= LastBeforeFinalSave) break;
                if (deadline.Elapsed > TimeSpan.FromSeconds(60)) break;
                Thread.Sleep(aimInsideSave ? 1 : 5);
            }
            if (process.HasExited) break; // it finished before the kill: the loop is over
            process.Kill(); // SIGKILL
            process.WaitForExit();
            kills++;
            if (Inspect(killed).SaveInFlight) insideSave++;
            else atRandom++;
        }
        var (finalExit, finalError) = RunToEnd(dll!, killed.Path);
        Assert.True(finalExit == 0, finalError);
        Assert.True(kills >= 5, $"only {kills} kills happened before the run finished");
        Assert.True(insideSave >= 2, $"{insideSave} of {kills} kills landed inside a checkpoint save");
        AssertSameEnd(reference, killed);
        output.WriteLine($"{kills} kills ({insideSave} inside a save, {atRandom} elsewhere); uninterrupted run {wall.TotalSeconds:F1} s");
    }

    [SkippableFact]
    public void SIGTERM_and_SIGINT_stop_training_cleanly_and_a_rerun_ends_identical()
    {
        Skip.If(OperatingSystem.IsWindows(), "POSIX signals");
        var dll = CliDll();
        Skip.If(dll is null, "the CLI is not built (run ./test.sh, which builds it)");
        var (reference, _, _) = Reference(dll!);

        var run = new RunFolder(Path.Combine(folder, "signalled"));
        foreach (var signal in new[] { "TERM", "INT" })
        {
            using var process = Start(dll!, run.Path, pauseMilliseconds: 30);
            var error = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            var before = Inspect(run).Committed;
            var waited = Stopwatch.StartNew();
            while (!process.HasExited && Inspect(run).Committed <= before && waited.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(5);
            Assert.False(process.HasExited, "training ended before the signal");
            using (var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-" + signal, process.Id.ToString(CultureInfo.InvariantCulture) } })!) kill.WaitForExit();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), $"SIG{signal} did not stop training");
            Assert.Equal(130, process.ExitCode);
            Assert.Contains("interrupted", error.Result, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", error.Result, StringComparison.Ordinal);
            var state = run.ReadState()!;
            Assert.InRange(state.Step, 1, 15);
            Assert.True(File.Exists(run.ModelFile(state.Step)) && File.Exists(run.OptimizerFile(state.Step)));
            Assert.Null(JsonNode.Parse(File.ReadAllText(run.MetricsFile).Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!["missing"]);
        }
        Assert.Equal(0, RunToEnd(dll!, run.Path).Exit);
        AssertSameEnd(reference, run);
    }
}
