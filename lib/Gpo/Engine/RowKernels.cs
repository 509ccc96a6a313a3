using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gpo.Engine;

/// <summary>
/// Kernels that work one row at a time on row-major [rows, width] buffers (vectorised through
/// <see cref="TensorPrimitives"/>): layer normalisation, softmax, bias and ReLU, and their backward
/// passes. Generic over float and double so the float64 gradient checks run the same code as training.
/// Single-threaded; callers split rows across cores.
/// </summary>
public static class RowKernels
{
    /// <summary>
    /// Layer normalisation over the last dimension: <c>y = (x − mean) / √(var + eps) · gamma + beta</c>,
    /// biased variance, as PyTorch's <c>nn.LayerNorm</c>.
    /// </summary>
    /// <param name="x">[rows, width] input.</param>
    /// <param name="gamma">[width] scale.</param>
    /// <param name="beta">[width] shift.</param>
    /// <param name="y">[rows, width] output (may alias <paramref name="x"/>).</param>
    /// <param name="eps">Added to the variance (PyTorch default 1e-5; BERT uses 1e-12).</param>
    /// <param name="normalized">Optional [rows, width]: receives <c>(x − mean)/σ</c> for the backward pass.</param>
    /// <param name="inverseStd">Optional [rows]: receives <c>1/√(var + eps)</c> for the backward pass.</param>
    public static void LayerNorm<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> gamma, ReadOnlySpan<T> beta, Span<T> y, int rows, int width, T eps,
        Span<T> normalized = default, Span<T> inverseStd = default) where T : IFloatingPointIeee754<T>
    {
        CheckRows(x.Length, rows, width, nameof(x));
        CheckRows(y.Length, rows, width, nameof(y));
        if (gamma.Length < width || beta.Length < width) throw new ArgumentException("LayerNorm: gamma and beta need [width] values");
        bool saveNormalized = !normalized.IsEmpty;
        if (saveNormalized) CheckRows(normalized.Length, rows, width, nameof(normalized));
        if (!inverseStd.IsEmpty && inverseStd.Length < rows) throw new ArgumentException("LayerNorm: inverseStd needs [rows] values");
        T count = T.CreateChecked(width);
        for (int r = 0; r < rows; r++)
        {
            var input = x.Slice(r * width, width);
            T mean = Sum(input) / count;
            T variance = SumOfSquaredDeviations(input, mean) / count;
            T rstd = T.One / T.Sqrt(variance + eps);
            if (!inverseStd.IsEmpty) inverseStd[r] = rstd;
            // y = (x − mean)·rstd·γ + β, x̂ saved alongside.
            var output = y.Slice(r * width, width);
            var saved = saveNormalized ? normalized.Slice(r * width, width) : default;
            int i = 0;
            if (Vectorized<T>())
            {
                var meanVector = Vector512.Create(mean);
                var rstdVector = Vector512.Create(rstd);
                for (; i <= width - Vector512<T>.Count; i += Vector512<T>.Count)
                {
                    var xhat = (Load(input, i) - meanVector) * rstdVector;
                    if (saveNormalized) Store(xhat, saved, i);
                    Store(xhat * Load(gamma, i) + Load(beta, i), output, i);
                }
            }
            for (; i < width; i++)
            {
                T xhat = (input[i] - mean) * rstd;
                if (saveNormalized) saved[i] = xhat;
                output[i] = xhat * gamma[i] + beta[i];
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="LayerNorm"/>: <c>δx = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂))</c> with
    /// <c>g = δy ⊙ gamma</c>; <c>δgamma += Σ δy ⊙ x̂</c>, <c>δbeta += Σ δy</c> over rows.
    /// </summary>
    /// <param name="normalized">[rows, width] x̂ saved by the forward pass.</param>
    /// <param name="inverseStd">[rows] saved by the forward pass.</param>
    /// <param name="gamma">[width].</param>
    /// <param name="δy">[rows, width] gradient of the output.</param>
    /// <param name="δx">[rows, width] gradient of the input (overwritten; may alias <paramref name="δy"/>).</param>
    /// <param name="δgamma">[width], accumulated.</param>
    /// <param name="δbeta">[width], accumulated.</param>
    public static void LayerNormBackward<T>(ReadOnlySpan<T> normalized, ReadOnlySpan<T> inverseStd, ReadOnlySpan<T> gamma, ReadOnlySpan<T> δy,
        Span<T> δx, Span<T> δgamma, Span<T> δbeta, int rows, int width) where T : IFloatingPointIeee754<T>
    {
        CheckRows(normalized.Length, rows, width, nameof(normalized));
        CheckRows(δy.Length, rows, width, nameof(δy));
        CheckRows(δx.Length, rows, width, nameof(δx));
        if (gamma.Length < width || δgamma.Length < width || δbeta.Length < width || inverseStd.Length < rows)
            throw new ArgumentException("LayerNormBackward: gamma, δgamma, δbeta need [width] and inverseStd [rows] values");
        T count = T.CreateChecked(width);
        bool vectorized = Vectorized<T>();
        int n = Vector512<T>.Count;
        for (int r = 0; r < rows; r++)
        {
            var xhat = normalized.Slice(r * width, width);
            var gradOut = δy.Slice(r * width, width);
            var gradIn = δx.Slice(r * width, width);
            // Pass 1: parameter gradients and the two means of g = δy ⊙ γ.
            T sumG = T.Zero, sumGx = T.Zero;
            int i = 0;
            if (vectorized)
            {
                var accG = Vector512<T>.Zero;
                var accGx = Vector512<T>.Zero;
                for (; i <= width - n; i += n)
                {
                    var dy = Load(gradOut, i);
                    var xh = Load(xhat, i);
                    Store(Load(δgamma, i) + dy * xh, δgamma, i);
                    Store(Load(δbeta, i) + dy, δbeta, i);
                    var g = dy * Load(gamma, i);
                    accG += g;
                    accGx += g * xh;
                }
                sumG = Vector512.Sum(accG);
                sumGx = Vector512.Sum(accGx);
            }
            for (; i < width; i++)
            {
                δgamma[i] += gradOut[i] * xhat[i];
                δbeta[i] += gradOut[i];
                T g = gradOut[i] * gamma[i];
                sumG += g;
                sumGx += g * xhat[i];
            }
            // Pass 2: δx = rstd·(g − mean(g)) − rstd·mean(g x̂)·x̂.
            T rstd = inverseStd[r], meanG = sumG / count, meanGx = sumGx / count;
            i = 0;
            if (vectorized)
            {
                var rstdVector = Vector512.Create(rstd);
                var meanGVector = Vector512.Create(meanG);
                var meanGxVector = Vector512.Create(meanGx);
                for (; i <= width - n; i += n)
                {
                    var g = Load(gradOut, i) * Load(gamma, i);
                    Store(rstdVector * (g - meanGVector - Load(xhat, i) * meanGxVector), gradIn, i);
                }
            }
            for (; i < width; i++) gradIn[i] = rstd * (gradOut[i] * gamma[i] - meanG - xhat[i] * meanGx);
        }
    }

    /// <summary>
    /// Softmax of each row of <paramref name="scores"/> after scaling: <c>p = softmax(scale · s)</c>, in
    /// place, numerically stabilised by the row maximum. Rows hold <paramref name="width"/> values at
    /// stride <paramref name="stride"/> (≥ width).
    /// </summary>
    /// <param name="scores">[rows, stride] scores in, probabilities out (columns ≥ width untouched).</param>
    public static void Softmax<T>(Span<T> scores, int rows, int width, int stride, T scale) where T : IFloatingPointIeee754<T>
    {
        if (rows > 0 && scores.Length < (rows - 1) * stride + width) throw new ArgumentException("Softmax: scores shorter than rows × stride");
        if (typeof(T) == typeof(float) && Avx512F.IsSupported)
        {
            SoftmaxFloat(MemoryMarshal.CreateSpan(ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(scores)), scores.Length), rows, width, stride, float.CreateChecked(scale));
            return;
        }
        bool vectorized = Vectorized<T>() && (typeof(T) == typeof(float) || typeof(T) == typeof(double));
        int n = Vector512<T>.Count;
        for (int r = 0; r < rows; r++)
        {
            var row = scores.Slice(r * stride, width);
            T max = Max(row);
            T sum = T.Zero;
            int i = 0;
            if (vectorized)
            {
                var shift = Vector512.Create(max * scale);
                var scaleVector = Vector512.Create(scale);
                var acc = Vector512<T>.Zero;
                for (; i <= width - n; i += n)
                {
                    var e = Exp(Load(row, i) * scaleVector - shift);
                    Store(e, row, i);
                    acc += e;
                }
                sum = Vector512.Sum(acc);
            }
            for (; i < width; i++)
            {
                row[i] = T.Exp(row[i] * scale - max * scale);
                sum += row[i];
            }
            Scale(row, T.One / sum);
        }
    }

    /// <summary>The float32 softmax with AVX-512: <see cref="VectorMath.Exp"/> and a masked tail, no scalar work per element.</summary>
    private static unsafe void SoftmaxFloat(Span<float> scores, int rows, int width, int stride, float scale)
    {
        const int n = 16;
        int full = width / n * n;
        var lanes = Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var tailMask = Vector512.LessThan(lanes, Vector512.Create((float)(width - full)));
        var negativeInfinity = Vector512.Create(float.NegativeInfinity);
        var scaleVector = Vector512.Create(scale);
        fixed (float* start = scores)
        {
            for (int r = 0; r < rows; r++)
            {
                float* row = start + (nint)r * stride;
                var maxVector = negativeInfinity;
                for (int i = 0; i < full; i += n) maxVector = Vector512.Max(maxVector, Vector512.Load(row + i));
                if (full < width) maxVector = Vector512.Max(maxVector, Avx512F.MaskLoad(row + full, tailMask, negativeInfinity));
                var max256 = Vector256.Max(maxVector.GetLower(), maxVector.GetUpper());
                var max128 = Vector128.Max(max256.GetLower(), max256.GetUpper());
                float max = MathF.Max(MathF.Max(max128[0], max128[1]), MathF.Max(max128[2], max128[3]));
                var shift = Vector512.Create(max * scale);
                var sumVector = Vector512<float>.Zero;
                for (int i = 0; i < full; i += n)
                {
                    var e = VectorMath.Exp(Vector512.FusedMultiplyAdd(Vector512.Load(row + i), scaleVector, -shift));
                    e.Store(row + i);
                    sumVector += e;
                }
                if (full < width)
                {
                    var e = VectorMath.Exp(Vector512.FusedMultiplyAdd(Avx512F.MaskLoad(row + full, tailMask, Vector512<float>.Zero), scaleVector, -shift));
                    e = Vector512.ConditionalSelect(tailMask, e, Vector512<float>.Zero);
                    Avx512F.MaskStore(row + full, tailMask, e);
                    sumVector += e;
                }
                var inverse = Vector512.Create(1f / Vector512.Sum(sumVector));
                for (int i = 0; i < full; i += n) (Vector512.Load(row + i) * inverse).Store(row + i);
                if (full < width) Avx512F.MaskStore(row + full, tailMask, Avx512F.MaskLoad(row + full, tailMask, Vector512<float>.Zero) * inverse);
            }
        }
    }

    /// <summary>
    /// Backward of <see cref="Softmax"/>: <c>δs = scale · p ⊙ (δp − Σ p ⊙ δp)</c>, in place over
    /// <paramref name="gradient"/> (δp in, δs out).
    /// </summary>
    /// <param name="probabilities">[rows, stride] the forward output.</param>
    /// <param name="gradient">[rows, stride] δp in, δs out.</param>
    public static void SoftmaxBackward<T>(ReadOnlySpan<T> probabilities, Span<T> gradient, int rows, int width, int stride, T scale)
        where T : IFloatingPointIeee754<T>
    {
        if (rows > 0 && (probabilities.Length < (rows - 1) * stride + width || gradient.Length < (rows - 1) * stride + width))
            throw new ArgumentException("SoftmaxBackward: buffers shorter than rows × stride");
        bool vectorized = Vectorized<T>();
        int n = Vector512<T>.Count;
        for (int r = 0; r < rows; r++)
        {
            var p = probabilities.Slice(r * stride, width);
            var g = gradient.Slice(r * stride, width);
            T dot = TensorPrimitives.Dot(p, (ReadOnlySpan<T>)g);
            int i = 0;
            if (vectorized)
            {
                var dotVector = Vector512.Create(dot);
                var scaleVector = Vector512.Create(scale);
                for (; i <= width - n; i += n) Store((Load(g, i) - dotVector) * Load(p, i) * scaleVector, g, i);
            }
            for (; i < width; i++) g[i] = (g[i] - dot) * p[i] * scale;
        }
    }

    private static bool Vectorized<T>() => Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported;

    private static void CheckRows(int length, int rows, int width, string name)
    {
        if (length < (long)rows * width) throw new ArgumentException($"{name} holds {length} values, needs rows × width = {(long)rows * width}");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Load<T>(ReadOnlySpan<T> span, int index) => Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(span), (nuint)index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(Vector512<T> value, Span<T> span, int index) => value.StoreUnsafe(ref MemoryMarshal.GetReference(span), (nuint)index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Exp<T>(Vector512<T> x)
    {
        if (typeof(T) == typeof(float)) return Vector512.Exp(x.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.Exp(x.As<T, double>()).As<double, T>();
        throw new NotSupportedException($"Exp of {typeof(T).Name} vectors");
    }

    private static T Sum<T>(ReadOnlySpan<T> x) where T : IFloatingPointIeee754<T>
    {
        int i = 0;
        T sum = T.Zero;
        if (Vectorized<T>())
        {
            var acc = Vector512<T>.Zero;
            for (; i <= x.Length - Vector512<T>.Count; i += Vector512<T>.Count) acc += Load(x, i);
            sum = Vector512.Sum(acc);
        }
        for (; i < x.Length; i++) sum += x[i];
        return sum;
    }

    private static T SumOfSquaredDeviations<T>(ReadOnlySpan<T> x, T mean) where T : IFloatingPointIeee754<T>
    {
        int i = 0;
        T sum = T.Zero;
        if (Vectorized<T>())
        {
            var acc = Vector512<T>.Zero;
            var meanVector = Vector512.Create(mean);
            for (; i <= x.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var d = Load(x, i) - meanVector;
                acc += d * d;
            }
            sum = Vector512.Sum(acc);
        }
        for (; i < x.Length; i++) sum += (x[i] - mean) * (x[i] - mean);
        return sum;
    }

    private static T Max<T>(ReadOnlySpan<T> x) where T : IFloatingPointIeee754<T>
    {
        int i = 0;
        T max = T.NegativeInfinity;
        if (Vectorized<T>() && x.Length >= Vector512<T>.Count)
        {
            var acc = Vector512.Create(T.NegativeInfinity);
            for (; i <= x.Length - Vector512<T>.Count; i += Vector512<T>.Count) acc = Vector512.Max(acc, Load(x, i));
            for (int lane = 0; lane < Vector512<T>.Count; lane++) max = T.Max(max, acc[lane]);
        }
        for (; i < x.Length; i++) max = T.Max(max, x[i]);
        return max;
    }

    private static void Scale<T>(Span<T> x, T factor) where T : IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vectorized<T>())
        {
            var factorVector = Vector512.Create(factor);
            for (; i <= x.Length - Vector512<T>.Count; i += Vector512<T>.Count) Store(Load(x, i) * factorVector, x, i);
        }
        for (; i < x.Length; i++) x[i] *= factor;
    }

    /// <summary><c>y[r, :] += bias</c>, then <c>y = max(y, 0)</c> when <paramref name="relu"/>.</summary>
    /// <param name="y">[rows, width], in place.</param>
    /// <param name="bias">[width].</param>
    public static void AddBias<T>(Span<T> y, ReadOnlySpan<T> bias, int rows, int width, bool relu) where T : IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++)
        {
            var row = y.Slice(r * width, width);
            TensorPrimitives.Add(row, bias, row);
            if (relu) TensorPrimitives.Max(row, T.Zero, row);
        }
    }

    /// <summary>Backward of ReLU from its output: <c>δ = δ ⊙ [y &gt; 0]</c>, in place.</summary>
    public static void ReluBackward<T>(ReadOnlySpan<T> y, Span<T> δ) where T : IFloatingPointIeee754<T>
    {
        if (y.Length < δ.Length) throw new ArgumentException("ReluBackward: y shorter than δ");
        int i = 0;
        if (Vector512.IsHardwareAccelerated && Vector512<T>.IsSupported)
        {
            ref T yStart = ref MemoryMarshal.GetReference(y);
            ref T δStart = ref MemoryMarshal.GetReference(δ);
            for (; i <= δ.Length - Vector512<T>.Count; i += Vector512<T>.Count)
            {
                var active = Vector512.GreaterThan(Vector512.LoadUnsafe(ref yStart, (nuint)i), Vector512<T>.Zero);
                Vector512.ConditionalSelect(active, Vector512.LoadUnsafe(ref δStart, (nuint)i), Vector512<T>.Zero).StoreUnsafe(ref δStart, (nuint)i);
            }
        }
        for (; i < δ.Length; i++)
            if (y[i] <= T.Zero) δ[i] = T.Zero;
    }

    /// <summary><c>δbias += Σ_rows δy[r, :]</c>.</summary>
    /// <param name="δy">[rows, stride] (columns ≥ width ignored).</param>
    /// <param name="δbias">[width], accumulated.</param>
    public static void SumRows<T>(ReadOnlySpan<T> δy, Span<T> δbias, int rows, int width, int stride = -1) where T : IFloatingPointIeee754<T>
    {
        if (stride < 0) stride = width;
        if (rows > 0 && δy.Length < (rows - 1) * stride + width) throw new ArgumentException("SumRows: δy shorter than rows × stride");
        int j = 0;
        if (Vectorized<T>())
        {
            // One column block at a time, summed down the rows in a register.
            for (; j <= width - Vector512<T>.Count; j += Vector512<T>.Count)
            {
                var acc = Vector512<T>.Zero;
                for (int r = 0; r < rows; r++) acc += Load(δy, r * stride + j);
                Store(Load(δbias, j) + acc, δbias, j);
            }
        }
        for (; j < width; j++)
        {
            T sum = T.Zero;
            for (int r = 0; r < rows; r++) sum += δy[r * stride + j];
            δbias[j] += sum;
        }
    }
}
