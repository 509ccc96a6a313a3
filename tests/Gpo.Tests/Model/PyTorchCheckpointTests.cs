using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Gpo.Model;

namespace Gpo.Tests.Model;

/// <summary>
/// A checkpoint written here loads in the PyTorch reference (strict state_dict match) and predicts the
/// same distributions there. Needs a Python with torch (GPO_PYTHON, default /usr/bin/python3); skipped without.
/// </summary>
public sealed class PyTorchCheckpointTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("gpo-torch-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static string? FindScript()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var script = Path.Combine(directory.FullName, "tools", "gpo_reference.py");
            if (File.Exists(script)) return script;
        }
        return null;
    }

    private static (int Exit, string Output) RunPython(string python, params string[] arguments)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output);
    }

    [SkippableFact]
    public void Checkpoint_written_here_loads_and_predicts_the_same_in_pytorch()
    {
        string python = Environment.GetEnvironmentVariable("GPO_PYTHON") ?? "/usr/bin/python3";
        var script = FindScript();
        Skip.If(script is null, "tools/gpo_reference.py not found above the test output folder");
        Skip.If(!File.Exists(python) || RunPython(python, "-c", "import torch").Exit != 0, $"{python} with torch is not available");

        var model = new GpoModel<float>(new GpoConfig(DimX: 5, ModelWidth: 16, Heads: 4, Layers: 2, FeedForwardWidth: 12));
        model.Initialize(seed: 42);
        var checkpoint = Path.Combine(folder, "model.safetensors");
        GpoCheckpoint.Save(model, checkpoint);
        var random = new Random(3);
        float[] Vector() => Enumerable.Range(0, 5).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var context = Enumerable.Range(0, 6).Select(_ => new ContextToken(Vector(), (float)random.NextDouble())).ToList();
        var targets = new List<TargetQuestion> { new([Vector(), Vector(), Vector()], [0.1f, 0.3f, 0.6f]), new([Vector(), Vector()], [0.5f, 0.5f]) };
        var input = Path.Combine(folder, "input.json");
        File.WriteAllText(input, JsonSerializer.Serialize(new
        {
            context = context.Select(c => new { x = c.X, y = c.Y }),
            targets = targets.Select(t => new { x = t.Options, y = t.Shares }),
        }));
        var ours = GpoInference.Predict(model, context, targets);

        var (exit, output) = RunPython(python, script!, "check", checkpoint, input);
        Assert.True(exit == 0, output);
        Assert.Contains("strict state_dict match", output);
        using var json = JsonDocument.Parse(output.Split('\n').First(line => line.StartsWith('{')));
        var theirs = json.RootElement.GetProperty("predictions").EnumerateArray().Select(q => q.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        for (int q = 0; q < theirs.Length; q++)
            for (int o = 0; o < theirs[q].Length; o++)
                Assert.True(Math.Abs(theirs[q][o] - ours.Predictions[q][o]) < 1e-6, $"question {q} option {o}: torch {theirs[q][o]}, ours {ours.Predictions[q][o]}");
        double theirLoss = json.RootElement.GetProperty("loss").GetDouble();
        Assert.True(Math.Abs(theirLoss - ours.Loss!.Value) < 1e-5 * Math.Abs(theirLoss), string.Create(CultureInfo.InvariantCulture, $"loss: torch {theirLoss}, ours {ours.Loss}"));
    }
}
