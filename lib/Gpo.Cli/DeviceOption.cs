using System.CommandLine;
using Gpo.Gpu;
using Gpo.Model;
using Gpo.Training;

namespace Gpo.Cli;

/// <summary><c>--device auto|cpu|cuda|ilgpu-cpu</c>, shared by train, adapt, predict, bench and reproduce.</summary>
internal sealed class DeviceOption
{
    public Option<string> Device { get; } = new Option<string>("--device")
    {
        Description = "Where to compute: auto (cuda when an NVIDIA GPU and driver are present, else cpu), cpu (the built-in engine), cuda, "
            + "or ilgpu-cpu (the GPU kernels on ILGPU's CPU accelerator; for checks, slow).",
        DefaultValueFactory = _ => GpuDevices.Auto,
    };

    public DeviceOption() => Device.AcceptOnlyFromAmong([.. GpuDevices.Names]);

    public void AddTo(Command command) => command.Options.Add(Device);

    /// <summary>The chosen device; a CUDA request without a usable GPU throws a one-line <see cref="DeviceUnavailableException"/>.</summary>
    public IGpoDevice Resolve(ParseResult parseResult) => GpuDevices.Resolve(parseResult.GetValue(Device)!);

    /// <summary>An engine holding <paramref name="model"/>'s parameters on the chosen device, or null for the CPU engine.</summary>
    public IGpoEngine? EngineFor(ParseResult parseResult, GpoModel<float> model)
    {
        var engine = Resolve(parseResult).CreateEngine(model.Config);
        engine?.LoadParameters(model.Parameters.Values);
        return engine;
    }
}
