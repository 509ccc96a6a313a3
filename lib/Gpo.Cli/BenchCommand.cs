using System.CommandLine;
using System.Text.Json;
using Gpo.Gpu;
using Gpo.Model;
using Gpo.Training;

namespace Gpo.Cli;

/// <summary><c>gpo bench</c>: seconds per training step (forward + backward + Adam) of the default GPO module on random data, as one JSON object.</summary>
internal sealed class BenchCommand : ICliCommand
{
    public Command Build()
    {
        var steps = new Option<int>("--steps") { Description = "timed steps (the median is reported)", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "untimed steps first", DefaultValueFactory = _ => 5 };
        var groups = new Option<int>("--groups") { Description = "groups per batch", DefaultValueFactory = _ => 8 };
        var questions = new Option<int>("--questions") { Description = "context questions per group (and as many target questions)", DefaultValueFactory = _ => 55 };
        var options = new Option<int>("--options") { Description = "options per question", DefaultValueFactory = _ => 4 };
        var dimX = new Option<int>("--dim-x") { Description = "embedding width", DefaultValueFactory = _ => 384 };
        var width = new Option<int>("--width") { Description = "d_model", DefaultValueFactory = _ => 128 };
        var layers = new Option<int>("--layers") { Description = "encoder layers", DefaultValueFactory = _ => 6 };
        var device = new DeviceOption();
        var parity = new Option<bool>("--parity") { Description = "instead of timing: compare the device with the CPU engine (loss, every gradient, predictions, three Adam steps; 1e-5 relative L2) and exit 1 on a failure" };
        var command = new Command("bench", "Time one GPO training step (8 groups × (220 + 220) tokens, dim_x 384, default architecture) and print {sec_per_step, gflops, shape}.");
        foreach (var option in new[] { steps, warmup, groups, questions, options, dimX, width, layers }) command.Options.Add(option);
        device.AddTo(command);
        command.Options.Add(parity);
        command.SetAction(parseResult => Terminal.Guard("bench", () =>
        {
            var shape = new BenchmarkShape(parseResult.GetValue(groups), parseResult.GetValue(questions), parseResult.GetValue(options), parseResult.GetValue(dimX));
            var config = new GpoConfig(shape.DimX, parseResult.GetValue(width), Layers: parseResult.GetValue(layers));
            var computeDevice = device.Resolve(parseResult);
            if (parseResult.GetValue(parity)) return Parity(computeDevice);
            var result = GpoBenchmark.Run(shape, config, Math.Max(1, parseResult.GetValue(steps)), Math.Max(0, parseResult.GetValue(warmup)), device: computeDevice);
            using var stdout = new MemoryStream();
            using (var json = new Utf8JsonWriter(stdout))
            {
                json.WriteStartObject();
                json.WriteNumber("sec_per_step", Math.Round(result.SecondsPerStep, 5));
                json.WriteNumber("gflops", Math.Round(result.Gflops, 2));
                json.WriteNumber("fastest_sec_per_step", Math.Round(result.FastestStepSeconds, 5));
                json.WriteNumber("cpu_sec_per_step", Math.Round(result.CpuSecondsPerStep, 5));
                json.WriteNumber("gflop_per_step", Math.Round(result.FlopsPerStep / 1e9, 3));
                json.WriteNumber("steps", result.Steps);
                json.WriteStartObject("shape");
                json.WriteNumber("groups", shape.Groups);
                json.WriteNumber("context_tokens_per_group", shape.TokensPerSide);
                json.WriteNumber("target_tokens_per_group", shape.TokensPerSide);
                json.WriteNumber("options_per_question", shape.Options);
                json.WriteNumber("dim_x", shape.DimX);
                json.WriteNumber("d_model", config.ModelWidth);
                json.WriteNumber("heads", config.Heads);
                json.WriteNumber("layers", config.Layers);
                json.WriteNumber("parameters", config.ParameterCount);
                json.WriteEndObject();
                json.WriteString("device", result.Device);
                json.WriteNumber("threads", Math.Min(2, Environment.ProcessorCount));
                json.WriteString("simd", GpoInfo.SimdDescription);
                // Other processes share the cores: the 1-minute load average says how much (Linux only).
                if (File.Exists("/proc/loadavg")) json.WriteString("load_average", File.ReadAllText("/proc/loadavg").Split(' ')[0]);
                json.WriteEndObject();
            }
            Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stdout.ToArray()));
            return 0;
        }));
        return command;
    }

    /// <summary><c>--parity</c>: every check of <see cref="DeviceParity"/> as one JSON object; exit 1 when one fails.</summary>
    private static int Parity(IGpoDevice device)
    {
        if (device is CpuDevice) throw new ArgumentException("--parity compares a device with the CPU engine: choose --device cuda or ilgpu-cpu");
        var rows = DeviceParity.Run(device);
        using var stdout = new MemoryStream();
        using (var json = new Utf8JsonWriter(stdout))
        {
            json.WriteStartObject();
            json.WriteString("device", device.Name);
            json.WriteBoolean("passed", rows.All(r => r.Passed));
            json.WriteStartArray("checks");
            foreach (var row in rows)
            {
                json.WriteStartObject();
                json.WriteString("config", row.Config);
                json.WriteString("quantity", row.Quantity);
                json.WriteNumber("relative_l2", row.RelativeL2);
                if (double.IsFinite(row.Tolerance)) json.WriteNumber("tolerance", row.Tolerance);
                else json.WriteNull("tolerance"); // a reference row, no bound
                json.WriteBoolean("passed", row.Passed);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stdout.ToArray()));
        return rows.All(r => r.Passed) ? 0 : 1;
    }
}
