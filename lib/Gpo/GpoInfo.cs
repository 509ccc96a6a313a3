using System.Numerics;
using System.Runtime.Intrinsics;

namespace Gpo;

/// <summary>Facts about this build and machine, recorded with every run.</summary>
public static class GpoInfo
{
    /// <summary>The widest SIMD vector this process uses, e.g. "Vector512 (AVX-512F)" or "Vector256 (AVX2+FMA)".</summary>
    public static string SimdDescription =>
        Vector512.IsHardwareAccelerated ? "Vector512 (AVX-512F)" :
        Vector256.IsHardwareAccelerated ? "Vector256 (AVX2+FMA)" :
        Vector128.IsHardwareAccelerated ? "Vector128" : $"Vector<T> {Vector<float>.Count} floats";
}
