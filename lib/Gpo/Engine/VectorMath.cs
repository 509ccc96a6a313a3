using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gpo.Engine;

/// <summary>Vectorised float math for the hot loops (softmax) where the library's general versions are too slow.</summary>
internal static class VectorMath
{
    /// <summary>
    /// e^x for 16 floats (needs AVX-512F): Cody–Waite reduction x = n·ln2 + r, a degree-6 polynomial for e^r on
    /// |r| ≤ ln2/2 (the Cephes expf coefficients, ~1 ulp), and 2ⁿ through the exponent bits. Inputs are
    /// clamped to [−87.3, 88.7], so results stay normal floats (e^−87.3 ≈ 1.2e−38 instead of 0).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(-87.3f)), Vector512.Create(88.7f));
        // n = round(x·log2 e) in one conversion (round-to-nearest; no saturation handling needed after the clamp).
        var nInteger = Avx512F.ConvertToVector512Int32(x * Vector512.Create(1.44269504088896341f));
        var n = Avx512F.ConvertToVector512Single(nInteger);
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r);
        var p = Vector512.Create(1.9875691500e-4f);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.3981999507e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One;
        var scale = Vector512.ShiftLeft(nInteger + Vector512.Create(127), 23).AsSingle();
        return p * scale;
    }
}
