using System.Numerics.Tensors;

namespace Gpo.Embeddings;

/// <summary>
/// The exact (erf) GELU BERT uses: <c>gelu(x) = ½·x·(1 + erf(x/√2))</c>. .NET has no erf, so it is
/// Abramowitz &amp; Stegun's formula 7.1.26 (absolute error below 1.5e-7, under float32 resolution near
/// |erf| = 1): with z = |x|/√2 and t = 1/(1 + p·z), <c>1 − erf(z) = t·(a1 + t·(a2 + t·(a3 + t·(a4 + t·a5))))·exp(−z²)</c>.
/// Evaluated in blocks with <see cref="TensorPrimitives"/>, which use the widest vectors the CPU has.
/// </summary>
public static class Gelu
{
    private const float P = 0.3275911f;
    private const float A1 = 0.254829592f, A2 = -0.284496736f, A3 = 1.421413741f, A4 = -1.453152027f, A5 = 1.061405429f;
    private const float InvSqrt2 = 0.70710678118654752f;
    /// <summary>exp(−z²) is clamped at exp(−80) ≈ 1.8e-35: beyond it erf is 1 in float32 anyway, and denormal results are slow.</summary>
    private const float MaxSquare = 80f;
    /// <summary>Values per block: three scratch rows of this size live on the stack.</summary>
    private const int Block = 512;

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
        Span<float> z = stackalloc float[Block];
        Span<float> t = stackalloc float[Block];
        Span<float> e = stackalloc float[Block];
        for (var offset = 0; offset < values.Length; offset += Block)
        {
            var x = values.Slice(offset, Math.Min(Block, values.Length - offset));
            var n = x.Length;
            var zn = z[..n];
            var tn = t[..n];
            var en = e[..n];
            TensorPrimitives.Abs(x, zn);
            TensorPrimitives.Multiply(zn, InvSqrt2, zn);            // z = |x|/√2
            TensorPrimitives.Multiply(zn, zn, en);
            TensorPrimitives.Min(en, MaxSquare, en);
            TensorPrimitives.Negate(en, en);
            TensorPrimitives.Exp(en, en);                           // e = exp(−z²)
            TensorPrimitives.Multiply(zn, P, tn);
            TensorPrimitives.Add(tn, 1f, tn);
            TensorPrimitives.Reciprocal(tn, tn);                    // t = 1/(1 + p·z)
            TensorPrimitives.Multiply(tn, A5, zn);                  // z is free now: the polynomial, by Horner
            TensorPrimitives.Add(zn, A4, zn);
            TensorPrimitives.MultiplyAdd(zn, tn, A3, zn);
            TensorPrimitives.MultiplyAdd(zn, tn, A2, zn);
            TensorPrimitives.MultiplyAdd(zn, tn, A1, zn);
            TensorPrimitives.Multiply(zn, tn, zn);
            TensorPrimitives.Multiply(zn, en, zn);                  // 1 − erf(|x|/√2)
            TensorPrimitives.Subtract(1f, zn, zn);
            TensorPrimitives.CopySign(zn, x, zn);                   // erf(x/√2)
            TensorPrimitives.Add(zn, 1f, zn);
            TensorPrimitives.Multiply(zn, x, zn);
            TensorPrimitives.Multiply(zn, 0.5f, x);                 // ½·x·(1 + erf)
        }
    }
}
