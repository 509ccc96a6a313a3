using System.Numerics;

namespace Gpo.Model;

/// <summary>A buffer that grows to the largest size asked for and is then reused, so steps of varying shape allocate only when they exceed every earlier one.</summary>
internal sealed class Workspace<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] array = [];

    /// <summary>The first <paramref name="length"/> elements (contents unspecified).</summary>
    public Memory<T> Get(int length)
    {
        if (array.Length < length) array = new T[length];
        return array.AsMemory(0, length);
    }
}
