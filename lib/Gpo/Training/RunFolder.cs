using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gpo.IO;
using Gpo.Model;

namespace Gpo.Training;

/// <summary>Where a run's state was last saved: everything needed to continue it exactly.</summary>
/// <param name="Step">Steps completed when the checkpoint was written.</param>
/// <param name="BestStep">Step of the best validation score so far (0 when none yet).</param>
/// <param name="BestScore">That score (NaN when none yet).</param>
/// <param name="Seconds">Training seconds spent up to <paramref name="Step"/> (over all sessions of the run).</param>
public sealed record RunState(int Step, int BestStep, double BestScore, double Seconds);

/// <summary>
/// A training run's folder:
/// <c>config.json</c> (everything needed to rerun: data identity, split, model, options),
/// <c>metrics.jsonl</c> (one line per evaluation), <c>state.json</c> (<see cref="RunState"/>),
/// <c>checkpoints/last.safetensors</c> + <c>checkpoints/last.optimizer.safetensors</c> (resume), and
/// <c>checkpoints/best.safetensors</c> (selected by validation). Every file is written atomically and
/// <c>state.json</c> last, so an interrupted run resumes from a consistent point.
/// </summary>
public sealed class RunFolder(string path)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public string ConfigFile => System.IO.Path.Combine(Path, "config.json");
    public string MetricsFile => System.IO.Path.Combine(Path, "metrics.jsonl");
    public string StateFile => System.IO.Path.Combine(Path, "state.json");
    public string LastCheckpoint => System.IO.Path.Combine(Path, "checkpoints", "last.safetensors");
    public string LastOptimizer => System.IO.Path.Combine(Path, "checkpoints", "last.optimizer.safetensors");
    public string BestCheckpoint => System.IO.Path.Combine(Path, "checkpoints", "best.safetensors");

    /// <summary>Writes config.json, or, when the folder already has one, checks it is the same run.</summary>
    /// <returns>True when the folder already held this run (so it may be resumed).</returns>
    public bool Prepare(JsonObject config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var text = config.ToJsonString(Indented) + "\n";
        if (File.Exists(ConfigFile))
        {
            var existing = File.ReadAllText(ConfigFile);
            if (!JsonNode.DeepEquals(JsonNode.Parse(existing), JsonNode.Parse(text)))
                throw new InvalidOperationException($"{ConfigFile}: the folder holds a run with another configuration; choose another --run folder or delete it.");
            return true;
        }
        Directory.CreateDirectory(Path);
        AtomicFile.WriteAllText(ConfigFile, text);
        return false;
    }

    /// <summary>The saved state, or null when the run has not reached its first checkpoint.</summary>
    public RunState? ReadState()
    {
        if (!File.Exists(StateFile)) return null;
        try
        {
            return JsonSerializer.Deserialize<RunState>(File.ReadAllText(StateFile))
                ?? throw new InvalidDataException($"{StateFile}: empty state.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{StateFile}: not a valid run state ({e.Message}).", e);
        }
    }

    /// <summary>Saves the model and optimiser, the best model when it improved, then the state.</summary>
    public void SaveCheckpoint(GpoModel<float> model, Adam<float> optimizer, RunState state, bool improved, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);
        var withStep = new Dictionary<string, string>(metadata) { ["step"] = state.Step.ToString(CultureInfo.InvariantCulture) };
        GpoCheckpoint.Save(model, LastCheckpoint, withStep);
        SafeTensors.Write(LastOptimizer,
        [
            ("adam.m", [optimizer.FirstMoment.Length], optimizer.FirstMoment),
            ("adam.v", [optimizer.SecondMoment.Length], optimizer.SecondMoment),
        ], new Dictionary<string, string> { ["step_count"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture), ["step"] = withStep["step"] });
        if (improved) GpoCheckpoint.Save(model, BestCheckpoint, withStep);
        AtomicFile.WriteAllText(StateFile, JsonSerializer.Serialize(state, Indented) + "\n");
    }

    /// <summary>Loads the last checkpoint and optimiser state into a model and optimiser built for this run.</summary>
    public void LoadCheckpoint(GpoModel<float> model, Adam<float> optimizer, RunState state)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);
        using (var file = SafeTensors.Open(LastCheckpoint))
        {
            CheckStep(file, state.Step);
            GpoCheckpoint.LoadInto(model, file, strict: true);
        }
        using var moments = SafeTensors.Open(LastOptimizer);
        CheckStep(moments, state.Step);
        if (!int.TryParse(moments.Metadata.GetValueOrDefault("step_count"), NumberStyles.None, CultureInfo.InvariantCulture, out var stepCount))
            throw new InvalidDataException($"{LastOptimizer}: __metadata__.step_count is missing or not a number.");
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
        AtomicFile.WriteAllText(MetricsFile, existing + line.ToJsonString() + "\n");
    }

    /// <summary>Drops metrics lines written after <paramref name="step"/> (by a run interrupted before its checkpoint).</summary>
    public void TruncateMetrics(int step)
    {
        if (!File.Exists(MetricsFile)) return;
        var kept = File.ReadAllLines(MetricsFile).Where(line => line.Length > 0 && (JsonNode.Parse(line)?["step"]?.GetValue<int>() ?? int.MaxValue) <= step);
        AtomicFile.WriteAllText(MetricsFile, string.Concat(kept.Select(l => l + "\n")));
    }

    /// <summary>Reads metrics.jsonl back (for training-curve figures).</summary>
    public List<JsonObject> ReadMetrics() =>
        File.Exists(MetricsFile)
            ? File.ReadAllLines(MetricsFile).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!.AsObject()).ToList()
            : [];
}
