using ILGPU;
using ILGPU.Runtime;

namespace Gpo.Gpu;

/// <summary>
/// A device buffer that grows to the largest size asked for and is then reused, so steps of varying shape allocate only
/// when they exceed every earlier one (the device counterpart of the model's host workspaces).
/// </summary>
internal sealed class DeviceWorkspace<T>(Accelerator accelerator) : IDisposable where T : unmanaged
{
    private MemoryBuffer1D<T, Stride1D.Dense>? buffer;

    /// <summary>The first <paramref name="length"/> elements (contents unspecified).</summary>
    public ArrayView<T> Get(long length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer?.Dispose();
            buffer = accelerator.Allocate1D<T>(Math.Max(1, length));
        }
        return buffer.View.SubView(0, length);
    }

    public void Dispose() => buffer?.Dispose();
}
