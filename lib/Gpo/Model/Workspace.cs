using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Gpo.Model;

/// <summary>
/// A buffer that grows to the largest size asked for and is then reused, so steps of varying shape
/// allocate only when they exceed every earlier one. Pinned and 64-byte aligned, so that matrix
/// products can read its rows in place with aligned vector loads.
/// </summary>
internal sealed unsafe class Workspace<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] array = [];
    private int offset;

    /// <summary>The first <paramref name="length"/> elements (contents unspecified).</summary>
    public Memory<T> Get(int length)
    {
        if (array.Length - offset < length)
        {
            int elementsPerLine = 64 / Unsafe.SizeOf<T>();
            array = GC.AllocateArray<T>(length + elementsPerLine, pinned: true);
            nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
            offset = (int)((64 - (address & 63)) & 63) / Unsafe.SizeOf<T>();
        }
        return array.AsMemory(offset, length);
    }
}
