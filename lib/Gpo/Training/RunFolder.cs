using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gpo.IO;
using Gpo.Model;

namespace Gpo.Training;

/// <summary>Where a run's state was last saved: everything needed to continue it exactly.</summary>
/// <param name="Step">Steps completed when the checkpoint was written.</param>
/// <param name="BestStep">Step of the best validation score so far: 0 with a finite <paramref name="BestScore"/> is the untrained
/// model scored before the first step; 0 with a NaN score means none yet.</param>
/// <param name="BestScore">That score (NaN when none yet).</param>
/// <param name="Seconds">Training seconds spent up to <paramref name="Step"/> (over all sessions of the run).</param>
public sealed record RunState(int Step, int BestStep, double BestScore, double Seconds);

/// <summary>
/// A training run's folder:
/// <c>config.json</c> (everything needed to rerun: data identity, split, model, options),
/// <c>metrics.jsonl</c> (one line per evaluation), <c>state.json</c> (<see cref="RunState"/>: the pointer to the
/// committed step), <c>checkpoints/step-NNNNNNNN.safetensors</c> + <c>checkpoints/step-NNNNNNNN.optimizer.safetensors</c>
/// (the model and Adam moments of a step), <c>checkpoints/best.safetensors</c> (the model selected by validation,
/// a copy of its step's file) and <c>run.lock</c> (held by the process training in the folder).
/// <para>
/// A checkpoint is committed atomically: the step's files are written under step-named files first, then the small
/// <c>state.json</c> is renamed over the old one; only after that are the best model published and older step files
/// removed. A process killed at any instant leaves a folder that resumes from the newest consistent step
/// (<see cref="Recover"/>), and a rerun removes the temporary files a killed write left behind.
/// </para>
/// </summary>
public sealed class RunFolder(string path)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly JsonSerializerOptions StateJson = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Where <see cref="Recover"/> reports a fallback to an older step (one line); nothing when null.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>
    /// Test hook: milliseconds to pause inside every checkpoint save (between the step's files and the commit of
    /// <c>state.json</c>), so that a test killing the process at random instants lands inside saves too.
    /// </summary>
    public const string SavePauseVariable = "GPO_TEST_CHECKPOINT_PAUSE_MS";

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public string ConfigFile => System.IO.Path.Combine(Path, "config.json");
    public string MetricsFile => System.IO.Path.Combine(Path, "metrics.jsonl");
    public string StateFile => System.IO.Path.Combine(Path, "state.json");
    public string LockFile => System.IO.Path.Combine(Path, "run.lock");

    /// <summary>Who holds <see cref="LockFile"/>: pid, host and since when (JSON, written by the holder).</summary>
    public string LockOwnerFile => System.IO.Path.Combine(Path, "run.lock.owner");
    public string CheckpointFolder => System.IO.Path.Combine(Path, "checkpoints");
    public string BestCheckpoint => System.IO.Path.Combine(CheckpointFolder, "best.safetensors");

    /// <summary>The model file of the committed step (per state.json); a step-named file under <c>checkpoints/</c>.</summary>
    public string LastCheckpoint => ModelFile(ReadState()?.Step ?? 0);

    /// <summary>The Adam moments of the committed step.</summary>
    public string LastOptimizer => OptimizerFile(ReadState()?.Step ?? 0);

    /// <summary>The model file of step <paramref name="step"/>.</summary>
    public string ModelFile(int step) => System.IO.Path.Combine(CheckpointFolder, $"step-{step.ToString("D8", CultureInfo.InvariantCulture)}.safetensors");

    /// <summary>The optimiser file of step <paramref name="step"/>.</summary>
    public string OptimizerFile(int step) => System.IO.Path.Combine(CheckpointFolder, $"step-{step.ToString("D8", CultureInfo.InvariantCulture)}.optimizer.safetensors");

    /// <summary>
    /// Takes the folder's lock (<c>run.lock</c>, an exclusive OS lock that dies with its process) for as long as the
    /// returned handle lives. A second process gets an <see cref="IOException"/> naming the holder's pid and host; the
    /// lock of a process that died (even by <c>kill -9</c>) is taken over.
    /// </summary>
    public IDisposable Lock()
    {
        Directory.CreateDirectory(Path);
        FileStream stream;
        try
        {
            stream = new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"{Path}: the run is in use by another process ({Holder()}); wait for it to finish or stop it.", e);
        }
        try
        {
            AtomicFile.WriteAllText(LockOwnerFile, string.Create(CultureInfo.InvariantCulture,
                $"{{\"pid\": {Environment.ProcessId}, \"host\": {JsonSerializer.Serialize(Environment.MachineName)}, \"since\": \"{DateTime.UtcNow:O}\"}}\n"));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        return stream;
    }

    /// <summary>Who holds the lock, as its holder wrote in run.lock.owner (best effort: it may be writing it).</summary>
    private string Holder()
    {
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(LockOwnerFile));
            return string.Create(CultureInfo.InvariantCulture, $"pid {node?["pid"]} on host {node?["host"]}");
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or InvalidOperationException)
        {
            return $"see {LockOwnerFile}";
        }
    }

    /// <summary>Writes config.json, or, when the folder already has one, checks it is the same run.</summary>
    /// <returns>True when the folder already held this run (so it may be resumed).</returns>
    public bool Prepare(JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var text = config.ToJsonString(Indented) + "\n";
        if (File.Exists(ConfigFile))
        {
            JsonNode? existing;
            try { existing = JsonNode.Parse(File.ReadAllText(ConfigFile)); }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{ConfigFile}: not valid JSON ({FirstSentence(e.Message)}); the run folder is damaged: restore the file, or choose another --run folder.", e);
            }
            if (!JsonNode.DeepEquals(existing, JsonNode.Parse(text)))
                throw new InvalidOperationException($"{ConfigFile}: the folder holds a run with another configuration; choose another --run folder or delete it.");
            return true;
        }
        Directory.CreateDirectory(Path);
        AtomicFile.WriteAllText(ConfigFile, text);
        return false;
    }

    /// <summary>The committed state (state.json), or null when the run has not reached its first checkpoint.</summary>
    /// <exception cref="InvalidDataException">state.json is not a valid run state.</exception>
    public RunState? ReadState()
    {
        if (!File.Exists(StateFile)) return null;
        RunState? state;
        try
        {
            state = JsonSerializer.Deserialize<RunState>(File.ReadAllText(StateFile), StateJson);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{StateFile}: not a valid run state ({FirstSentence(e.Message)}).", e);
        }
        if (state is null || state.Step < 0 || state.BestStep < 0 || state.BestStep > state.Step || !(state.Seconds >= 0))
            throw new InvalidDataException($"{StateFile}: not a valid run state (Step {state?.Step}, BestStep {state?.BestStep}).");
        return state;
    }

    /// <summary>
    /// Brings the folder to its newest consistent step before training continues (call while holding <see cref="Lock"/>):
    /// removes temporary files of killed writes, uses state.json when its step's files are whole, else falls back to the
    /// newest step whose model and optimiser files load (rewriting state.json), republishes best.safetensors when a kill
    /// came between the commit and its copy, and removes step files no state refers to.
    /// </summary>
    /// <returns>The state to resume from, or null when no step was committed.</returns>
    public RunState? Recover()
    {
        if (!Directory.Exists(Path)) return null;
        foreach (var folder in new[] { Path, CheckpointFolder }.Where(Directory.Exists))
            foreach (var temporary in Directory.GetFiles(folder, ".*.tmp")) File.Delete(temporary);

        RunState? state;
        try
        {
            state = ReadState();
            if (state is not null) Verify(state);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            state = NewestConsistentStep();
            Log?.Invoke(state is null
                ? $"{Path}: no consistent checkpoint ({e.Message}); starting again from step 0."
                : $"{Path}: resuming from step {state.Step}, the newest consistent checkpoint ({e.Message}).");
            if (state is null) File.Delete(StateFile);
            else AtomicFile.WriteAllText(StateFile, JsonSerializer.Serialize(state, StateJson) + "\n");
        }
        if (state is not null) Publish(state);
        RemoveStepsOtherThan(state); // with no committed state: the files of a first save that was cut short
        return state;
    }

    /// <summary>Throws <see cref="InvalidDataException"/> unless the files of <paramref name="state"/> are whole and of its step.</summary>
    private void Verify(RunState state)
    {
        using (var model = SafeTensors.Open(ModelFile(state.Step))) CheckStep(model, state.Step);
        using (var moments = SafeTensors.Open(OptimizerFile(state.Step))) CheckStep(moments, state.Step);
        if (HasBest(state))
            using (var best = SafeTensors.Open(ModelFile(state.BestStep))) CheckStep(best, state.BestStep);
    }

    /// <summary>The newest step whose files load and agree, with the state stored in its metadata.</summary>
    private RunState? NewestConsistentStep()
    {
        foreach (var step in StepsOnDisk().OrderDescending())
        {
            try
            {
                RunState state;
                using (var model = SafeTensors.Open(ModelFile(step)))
                {
                    CheckStep(model, step);
                    var bestStep = int.Parse(model.Metadata.GetValueOrDefault("best_step") ?? "x", NumberStyles.None, CultureInfo.InvariantCulture);
                    var bestScore = double.Parse(model.Metadata.GetValueOrDefault("best_score") ?? "x", NumberStyles.Float | NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
                    state = new RunState(step, bestStep, bestScore, SecondsAt(step));
                }
                Verify(state);
                return state;
            }
            catch (Exception e) when (e is InvalidDataException or IOException or FormatException or OverflowException)
            {
                // an incomplete or damaged step: try an older one
            }
        }
        return null;
    }

    /// <summary>Steps with a model file under checkpoints/.</summary>
    private List<int> StepsOnDisk()
    {
        if (!Directory.Exists(CheckpointFolder)) return [];
        var steps = new List<int>();
        foreach (var file in Directory.GetFiles(CheckpointFolder, "step-*.safetensors"))
        {
            var name = System.IO.Path.GetFileName(file);
            if (name.EndsWith(".optimizer.safetensors", StringComparison.Ordinal)) continue;
            if (int.TryParse(name["step-".Length..^".safetensors".Length], NumberStyles.None, CultureInfo.InvariantCulture, out var step) && step > 0) steps.Add(step);
        }
        return steps;
    }

    /// <summary>The training seconds recorded in metrics.jsonl at <paramref name="step"/> (0 when not found).</summary>
    private double SecondsAt(int step)
    {
        try
        {
            return ReadMetrics().LastOrDefault(m => m["step"] is JsonValue v && v.TryGetValue<int>(out var s) && s == step)?["seconds"] is JsonValue seconds
                && seconds.TryGetValue<double>(out var value) && value >= 0 ? value : 0;
        }
        catch (InvalidDataException)
        {
            return 0;
        }
    }

    /// <summary>Makes best.safetensors the model of the best step when it is not already (a kill between the commit and the copy).</summary>
    private void Publish(RunState state)
    {
        if (!HasBest(state)) return;
        try
        {
            using var best = SafeTensors.Open(BestCheckpoint);
            if (best.Metadata.GetValueOrDefault("step") == state.BestStep.ToString(CultureInfo.InvariantCulture)) return;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // missing or damaged: copy it again
        }
        var bytes = File.ReadAllBytes(ModelFile(state.BestStep));
        AtomicFile.WriteAllBytes(BestCheckpoint, bytes);
    }

    /// <summary>Whether the state names a best checkpoint (step 0 counts when it was scored).</summary>
    private static bool HasBest(RunState state) => state.BestStep > 0 || double.IsFinite(state.BestScore);

    private void RemoveStepsOtherThan(RunState? state)
    {
        foreach (var step in StepsOnDisk())
        {
            if (state is not null && (step == state.Step || step == state.BestStep)) continue;
            File.Delete(ModelFile(step));
            File.Delete(OptimizerFile(step));
        }
        if (!Directory.Exists(CheckpointFolder)) return;
        foreach (var orphan in Directory.GetFiles(CheckpointFolder, "step-*.optimizer.safetensors"))
            if (!File.Exists(orphan.Replace(".optimizer.safetensors", ".safetensors", StringComparison.Ordinal))) File.Delete(orphan);
    }

    /// <summary>
    /// Saves the model and optimiser under the step's names, commits them by replacing state.json, then publishes
    /// best.safetensors when the model improved and removes the files of steps the new state no longer needs.
    /// </summary>
    public void SaveCheckpoint(GpoModel<float> model, Adam<float> optimizer, RunState state, bool improved, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);
        var step = state.Step.ToString(CultureInfo.InvariantCulture);
        var withStep = new Dictionary<string, string>(metadata)
        {
            ["step"] = step,
            ["best_step"] = state.BestStep.ToString(CultureInfo.InvariantCulture),
            ["best_score"] = state.BestScore.ToString("R", CultureInfo.InvariantCulture),
        };
        GpoCheckpoint.Save(model, ModelFile(state.Step), withStep);
        PauseForTests();
        SafeTensors.Write(OptimizerFile(state.Step),
        [
            ("adam.m", [optimizer.FirstMoment.Length], optimizer.FirstMoment),
            ("adam.v", [optimizer.SecondMoment.Length], optimizer.SecondMoment),
        ], new Dictionary<string, string> { ["step_count"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture), ["step"] = step });
        PauseForTests();
        AtomicFile.WriteAllText(StateFile, JsonSerializer.Serialize(state, StateJson) + "\n"); // the commit
        if (improved) Publish(state);
        RemoveStepsOtherThan(state);
    }

    private static void PauseForTests()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable(SavePauseVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds > 0)
            Thread.Sleep(milliseconds);
    }

    /// <summary>Loads the committed step's checkpoint and optimiser state into a model and optimiser built for this run.</summary>
    public void LoadCheckpoint(GpoModel<float> model, Adam<float> optimizer, RunState state)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);
        using (var file = SafeTensors.Open(ModelFile(state.Step)))
        {
            CheckStep(file, state.Step);
            GpoCheckpoint.LoadInto(model, file, strict: true);
        }
        using var moments = SafeTensors.Open(OptimizerFile(state.Step));
        CheckStep(moments, state.Step);
        if (!int.TryParse(moments.Metadata.GetValueOrDefault("step_count"), NumberStyles.None, CultureInfo.InvariantCulture, out var stepCount))
            throw new InvalidDataException($"{moments.Path}: __metadata__.step_count is missing or not a number.");
        optimizer.Restore(stepCount, moments.ReadFloats("adam.m"), moments.ReadFloats("adam.v"));
    }

    private static void CheckStep(SafeTensorsFile file, int step)
    {
        if (file.Metadata.GetValueOrDefault("step") != step.ToString(CultureInfo.InvariantCulture))
            throw new InvalidDataException($"{file.Path}: written at step {file.Metadata.GetValueOrDefault("step") ?? "?"}, but state.json says {step}; the run folder is inconsistent.");
    }

    /// <summary>Appends one evaluation line to metrics.jsonl (rewriting the file atomically).</summary>
    public void AppendMetrics(JsonObject line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var existing = File.Exists(MetricsFile) ? File.ReadAllText(MetricsFile) : "";
        if (existing.Length > 0 && existing[^1] != '\n') existing += "\n";
        AtomicFile.WriteAllText(MetricsFile, existing + line.ToJsonString() + "\n");
    }

    /// <summary>
    /// Drops metrics lines written after <paramref name="step"/> (by a run interrupted before its checkpoint), and a
    /// truncated last line (no newline and not JSON); any other damaged line is an error naming it.
    /// </summary>
    public void TruncateMetrics(int step)
    {
        if (!File.Exists(MetricsFile)) return;
        var kept = ReadMetricLines().Where(m => m.Step <= step).Select(m => m.Text + "\n");
        AtomicFile.WriteAllText(MetricsFile, string.Concat(kept));
    }

    /// <summary>Reads metrics.jsonl back (for training-curve figures); a truncated last line is left out.</summary>
    /// <exception cref="InvalidDataException">A line is not a JSON object with an integer "step" (the message names the line).</exception>
    public List<JsonObject> ReadMetrics() => ReadMetricLines().Select(m => m.Line).ToList();

    private List<(int Step, JsonObject Line, string Text)> ReadMetricLines()
    {
        if (!File.Exists(MetricsFile)) return [];
        var text = File.ReadAllText(MetricsFile);
        var lines = text.Split('\n');
        var result = new List<(int, JsonObject, string)>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0) continue;
            var isTruncatedTail = i == lines.Length - 1; // no newline after it: a write cut short
            try
            {
                if (JsonNode.Parse(line) is JsonObject o && o["step"] is JsonValue v && v.TryGetValue<int>(out var s))
                {
                    result.Add((s, o, line));
                    continue;
                }
            }
            catch (JsonException) when (isTruncatedTail)
            {
                continue;
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{MetricsFile}, line {i + 1}: not valid JSON ({FirstSentence(e.Message)}); the run folder is damaged: delete that line to resume.", e);
            }
            if (isTruncatedTail) continue;
            throw new InvalidDataException($"{MetricsFile}, line {i + 1}: expected a JSON object with an integer \"step\"; the run folder is damaged: delete that line to resume.");
        }
        return result;
    }

    private static string FirstSentence(string message) => message.Split(" Path:")[0].Split(" LineNumber:")[0];
}
