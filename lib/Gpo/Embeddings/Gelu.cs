using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Gpo.Embeddings;

/// <summary>
/// The exact (erf) GELU BERT uses: <c>gelu(x) = ½·x·(1 + erf(x/√2))</c>. .NET has no erf, so it is
/// Abramowitz &amp; Stegun's formula 7.1.26 (absolute error below 1.5e-7, under float32 resolution for
/// |erf| near 1), evaluated with Vector512 (or Vector256) and the vector exponential.
/// </summary>
public static class Gelu
{
    private const float P = 0.3275911f;
    private const float A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;
    private const float InvSqrt2 = 0.70710678118654752f;
    /// <summary>exp(−z²) is clamped at exp(−80) ≈ 1.8e-35: beyond it erf is 1 in float32 anyway, and denormal results are slow.</summary>
    private const float MaxSquare = 80f;

    /// <summary>erf(x), scalar (A&amp;S 7.1.26).</summary>
    public static float Erf(float x)
    {
        var z = MathF.Abs(x);
        var t = 1f / (1f + P * z);
        var polynomial = ((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t;
        var y = 1f - polynomial * MathF.Exp(-MathF.Min(z * z, MaxSquare));
        return x < 0 ? -y : y;
    }

    /// <summary>Replaces every value by its GELU, in place.</summary>
    public static void InPlace(Span<float> values)
    {
        ref var start = ref MemoryMarshal.GetReference(values);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= values.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                ref var slot = ref Unsafe.Add(ref start, i);
                Vector512.StoreUnsafe(Apply(Vector512.LoadUnsafe(ref slot)), ref slot);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= values.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                ref var slot = ref Unsafe.Add(ref start, i);
                Vector256.StoreUnsafe(Apply(Vector256.LoadUnsafe(ref slot)), ref slot);
            }
        }
        for (; i < values.Length; i++)
        {
            ref var slot = ref Unsafe.Add(ref start, i);
            slot = 0.5f * slot * (1f + Erf(slot * InvSqrt2));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Apply(Vector512<float> x)
    {
        var u = x * Vector512.Create(InvSqrt2);
        var z = Vector512.Abs(u);
        var t = Vector512<float>.One / (Vector512<float>.One + Vector512.Create(P) * z);
        var polynomial = Vector512.FusedMultiplyAdd(t, Vector512.Create(A5), Vector512.Create(A4));
        polynomial = Vector512.FusedMultiplyAdd(polynomial, t, Vector512.Create(A3));
        polynomial = Vector512.FusedMultiplyAdd(polynomial, t, Vector512.Create(A2));
        polynomial = Vector512.FusedMultiplyAdd(polynomial, t, Vector512.Create(A1));
        polynomial *= t;
        var erfAbs = Vector512<float>.One - polynomial * Vector512.Exp(-Vector512.Min(z * z, Vector512.Create(MaxSquare)));
        // erf is odd: give erf(|u|) the sign of u.
        var erf = Vector512.ConditionalSelect(Vector512.LessThan(u, Vector512<float>.Zero), -erfAbs, erfAbs);
        return Vector512.Create(0.5f) * x * (Vector512<float>.One + erf);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Apply(Vector256<float> x)
    {
        var u = x * Vector256.Create(InvSqrt2);
        var z = Vector256.Abs(u);
        var t = Vector256<float>.One / (Vector256<float>.One + Vector256.Create(P) * z);
        var polynomial = Vector256.FusedMultiplyAdd(t, Vector256.Create(A5), Vector256.Create(A4));
        polynomial = Vector256.FusedMultiplyAdd(polynomial, t, Vector256.Create(A3));
        polynomial = Vector256.FusedMultiplyAdd(polynomial, t, Vector256.Create(A2));
        polynomial = Vector256.FusedMultiplyAdd(polynomial, t, Vector256.Create(A1));
        polynomial *= t;
        var erfAbs = Vector256<float>.One - polynomial * Vector256.Exp(-Vector256.Min(z * z, Vector256.Create(MaxSquare)));
        var erf = Vector256.ConditionalSelect(Vector256.LessThan(u, Vector256<float>.Zero), -erfAbs, erfAbs);
        return Vector256.Create(0.5f) * x * (Vector256<float>.One + erf);
    }
}
