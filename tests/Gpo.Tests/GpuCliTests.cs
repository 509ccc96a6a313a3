using System.Text.Json;
using Gpo.Gpu;
using Gpo.Model;

namespace Gpo.Tests;

/// <summary><c>--device</c> through the command line: predict on ILGPU's CPU accelerator equals the CPU engine; bad and unavailable devices fail in one line.</summary>
[Collection("Console")]
public sealed class GpuCliTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("gpo-gpu-cli-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static float[][] Predictions(string stdout)
    {
        using var json = JsonDocument.Parse(stdout);
        return json.RootElement.GetProperty("predictions").EnumerateArray().Select(q => q.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
    }

    [Fact]
    public void Predict_on_ilgpu_cpu_equals_predict_on_cpu()
    {
        var model = new GpoModel<float>(new GpoConfig(DimX: 3, ModelWidth: 8, Heads: 2, Layers: 2, FeedForwardWidth: 8));
        model.Initialize(seed: 4);
        var checkpoint = Path.Combine(folder, "m.safetensors");
        GpoCheckpoint.Save(model, checkpoint);
        var input = Path.Combine(folder, "in.json");
        File.WriteAllText(input, """{"context":[{"x":[1,2,3],"y":0.5},{"x":[0,1,0],"y":0.25},{"x":[0,-1,2],"y":0.25}],"targets":[{"x":[[1,0,3],[4,5,6]],"y":[0.2,0.8]},{"x":[[1,1,1],[0,0,1],[2,2,2]],"y":[0.1,0.3,0.6]}]}""");

        var (cpuExit, cpuOut, cpuError) = CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", input, "--device", "cpu");
        var (deviceExit, deviceOut, deviceError) = CliRunner.Run("predict", "--checkpoint", checkpoint, "--input", input, "--device", "ilgpu-cpu");
        Assert.True(cpuExit == 0, cpuError);
        Assert.True(deviceExit == 0, deviceError);
        var (onCpu, onDevice) = (Predictions(cpuOut), Predictions(deviceOut));
        Assert.Equal(onCpu.Length, onDevice.Length);
        for (int q = 0; q < onCpu.Length; q++) GpuKernelTests.AssertClose(onCpu[q], onDevice[q], what: $"question {q}");
        using var cpuJson = JsonDocument.Parse(cpuOut);
        using var deviceJson = JsonDocument.Parse(deviceOut);
        Assert.Equal(cpuJson.RootElement.GetProperty("loss").GetDouble(), deviceJson.RootElement.GetProperty("loss").GetDouble(), 5);
    }

    [Fact]
    public void An_unknown_device_is_a_usage_error_and_a_missing_gpu_one_line()
    {
        var (exit, _, error) = CliRunner.Run("bench", "--device", "tpu");
        Assert.NotEqual(0, exit);
        Assert.Contains("tpu", error);
        if (GpuDevices.CudaProblem() is { } problem)
        {
            var (cudaExit, cudaOut, cudaError) = CliRunner.Run("bench", "--device", "cuda", "--steps", "1", "--warmup", "0");
            Assert.Equal(1, cudaExit);
            Assert.Equal("", cudaOut);
            Assert.Equal($"gpo bench: --device cuda: {problem}", cudaError.Trim());
            Assert.Equal(new CpuDevice().Name, GpuDevices.Resolve("auto").Name);
        }
    }

    [Fact]
    public void Version_lists_the_devices()
    {
        var (exit, stdout, _) = CliRunner.Run("version");
        Assert.Equal(0, exit);
        Assert.Contains("cpu: the built-in CPU engine", stdout);
        Assert.Contains("ilgpu-cpu:", stdout);
        Assert.Contains("cuda:", stdout);
    }

    [Fact]
    public void Bench_runs_on_ilgpu_cpu_and_names_the_device()
    {
        var (exit, stdout, error) = CliRunner.Run("bench", "--device", "ilgpu-cpu", "--groups", "2", "--questions", "3", "--options", "2", "--dim-x", "8", "--width", "16", "--layers", "1", "--steps", "1", "--warmup", "0");
        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(stdout);
        Assert.StartsWith("ilgpu-cpu", json.RootElement.GetProperty("device").GetString());
        Assert.True(json.RootElement.GetProperty("sec_per_step").GetDouble() > 0);
    }
}
