using Gpo.Model;
using Gpo.Training;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;

namespace Gpo.Gpu;

/// <summary>A device that was asked for but cannot be used here (no NVIDIA driver or GPU, an unknown name); the message is one line.</summary>
public sealed class DeviceUnavailableException(string message, Exception? inner = null) : InvalidOperationException(message, inner);

/// <summary>The CPU engine of lib/Gpo (today's engine): creates no device engine.</summary>
public sealed class CpuDevice : IGpoDevice
{
    public string Name => "cpu";

    public IGpoEngine? CreateEngine(GpoConfig config) => null;
}

/// <summary>An ILGPU accelerator: the first CUDA GPU, or ILGPU's CPU accelerator (the same kernels on the CPU, for tests and checks).</summary>
public sealed class IlgpuDevice : IGpoDevice
{
    private IlgpuDevice(string name) => Name = name;

    /// <summary>The first CUDA GPU.</summary>
    public static IlgpuDevice Cuda { get; } = new(GpuDevices.Cuda);

    /// <summary>ILGPU's CPU accelerator.</summary>
    public static IlgpuDevice IlgpuCpu { get; } = new(GpuDevices.IlgpuCpu);

    public string Name { get; }

    /// <summary>An engine on a fresh context and accelerator, which the engine owns.</summary>
    public IGpoEngine CreateEngine(GpoConfig config)
    {
        var (context, accelerator) = GpuDevices.Open(Name);
        try
        {
            return new IlgpuEngine(config, accelerator, context);
        }
        catch
        {
            accelerator.Dispose();
            context.Dispose();
            throw;
        }
    }

    IGpoEngine? IGpoDevice.CreateEngine(GpoConfig config) => CreateEngine(config);
}

/// <summary>Finding and opening devices by the names the command line uses: auto, cpu, cuda, ilgpu-cpu.</summary>
public static class GpuDevices
{
    public const string Auto = "auto", Cpu = "cpu", Cuda = "cuda", IlgpuCpu = "ilgpu-cpu";

    /// <summary>Every accepted device name.</summary>
    public static IReadOnlyList<string> Names { get; } = [Auto, Cpu, Cuda, IlgpuCpu];

    /// <summary>
    /// The device called <paramref name="name"/>: <c>auto</c> is <c>cuda</c> when an NVIDIA GPU and driver are present, else
    /// <c>cpu</c>. Throws <see cref="DeviceUnavailableException"/> for an unknown name or a CUDA request without a usable GPU.
    /// </summary>
    public static IGpoDevice Resolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        switch (name.Trim().ToLowerInvariant())
        {
            case Cpu: return new CpuDevice();
            case IlgpuCpu: return IlgpuDevice.IlgpuCpu;
            case Cuda:
                if (CudaProblem() is { } problem) throw new DeviceUnavailableException($"--device cuda: {problem}");
                return IlgpuDevice.Cuda;
            case Auto: return CudaProblem() is null ? IlgpuDevice.Cuda : new CpuDevice();
            default: throw new DeviceUnavailableException($"--device: unknown device '{name}'; use {string.Join(", ", Names)}");
        }
    }

    /// <summary>Why CUDA cannot be used here (no driver, no GPU), or null when a CUDA GPU is present.</summary>
    public static string? CudaProblem()
    {
        try
        {
            using var context = Context.Create(builder => builder.Cuda());
            return context.GetCudaDevices().Count > 0 ? null : "no NVIDIA GPU with a working driver was found (ILGPU saw no CUDA device)";
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or NotSupportedException or InvalidOperationException or EntryPointNotFoundException)
        {
            return $"the NVIDIA driver could not be loaded ({e.GetType().Name}: {e.Message.Split('\n')[0]})";
        }
    }

    /// <summary>One line per device this machine offers, for <c>gpo version</c>.</summary>
    public static IReadOnlyList<string> Describe()
    {
        var lines = new List<string> { $"{Cpu}: the built-in CPU engine ({Environment.ProcessorCount} cores)", $"{IlgpuCpu}: ILGPU's CPU accelerator (the GPU kernels on the CPU; for tests, slow)" };
        if (CudaProblem() is { } problem)
        {
            lines.Add($"{Cuda}: unavailable — {problem}");
            return lines;
        }
        using var context = Context.Create(builder => builder.Cuda());
        foreach (var device in context.GetCudaDevices())
            lines.Add($"{Cuda}: {device.Name}, {device.MemorySize / (1024.0 * 1024 * 1024):F0} GiB, compute capability {device.Architecture}, driver {device.DriverVersion}");
        return lines;
    }

    /// <summary>A context and accelerator for <c>cuda</c> (the first GPU) or <c>ilgpu-cpu</c>; the caller disposes both.</summary>
    public static (Context Context, Accelerator Accelerator) Open(string name)
    {
        if (name == Cuda)
        {
            if (CudaProblem() is { } problem) throw new DeviceUnavailableException($"--device cuda: {problem}");
            var context = Context.Create(builder => builder.Cuda().Optimize(OptimizationLevel.O2));
            return (context, context.GetCudaDevice(0).CreateAccelerator(context));
        }
        if (name == IlgpuCpu)
        {
            // Groups of up to 4 × 4 threads (the CPU tile of the matrix product), each an OS thread; one simulated multiprocessor.
            var context = Context.Create(builder => builder.CPU(new CPUDevice(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 4, numMultiprocessors: 1)).Optimize(OptimizationLevel.O1));
            return (context, context.GetCPUDevice(0).CreateAccelerator(context));
        }
        throw new DeviceUnavailableException($"--device: '{name}' is not an ILGPU device; use {Cuda} or {IlgpuCpu}");
    }
}
