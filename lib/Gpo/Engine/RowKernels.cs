using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
        T count = T.CreateChecked(width);
        for (int r = 0; r < rows; r++)
        {
            var input = x.Slice(r * width, width);
            var output = y.Slice(r * width, width);
            T mean = TensorPrimitives.Sum(input) / count;
            TensorPrimitives.Subtract(input, mean, output);
            T variance = TensorPrimitives.SumOfSquares((ReadOnlySpan<T>)output) / count;
            T rstd = T.One / T.Sqrt(variance + eps);
            TensorPrimitives.Multiply(output, rstd, output);
            if (!normalized.IsEmpty) output.CopyTo(normalized.Slice(r * width, width));
            if (!inverseStd.IsEmpty) inverseStd[r] = rstd;
            TensorPrimitives.MultiplyAdd(output, gamma, beta, output);
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
        T count = T.CreateChecked(width);
        for (int r = 0; r < rows; r++)
        {
            var xhat = normalized.Slice(r * width, width);
            var gradOut = δy.Slice(r * width, width);
            var gradIn = δx.Slice(r * width, width);
            TensorPrimitives.MultiplyAdd(gradOut, xhat, (ReadOnlySpan<T>)δgamma, δgamma);
            TensorPrimitives.Add(gradOut, (ReadOnlySpan<T>)δbeta, δbeta);
            TensorPrimitives.Multiply(gradOut, gamma, gradIn); // g (gradIn may alias gradOut: both read before written)
            T meanG = TensorPrimitives.Sum((ReadOnlySpan<T>)gradIn) / count;
            T meanGx = TensorPrimitives.Dot((ReadOnlySpan<T>)gradIn, xhat) / count;
            // δx = rstd·(g − meanG) − rstd·meanGx·x̂
            T rstd = inverseStd[r];
            TensorPrimitives.Subtract(gradIn, meanG, gradIn);
            TensorPrimitives.Multiply(gradIn, rstd, gradIn);
            TensorPrimitives.MultiplyAdd(xhat, -rstd * meanGx, (ReadOnlySpan<T>)gradIn, gradIn);
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
        for (int r = 0; r < rows; r++)
        {
            var row = scores.Slice(r * stride, width);
            T max = TensorPrimitives.Max((ReadOnlySpan<T>)row);
            TensorPrimitives.Subtract(row, max, row);
            TensorPrimitives.Multiply(row, scale, row);
            TensorPrimitives.Exp(row, row);
            T sum = TensorPrimitives.Sum((ReadOnlySpan<T>)row);
            TensorPrimitives.Multiply(row, T.One / sum, row);
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
        for (int r = 0; r < rows; r++)
        {
            var p = probabilities.Slice(r * stride, width);
            var g = gradient.Slice(r * stride, width);
            T dot = TensorPrimitives.Dot(p, (ReadOnlySpan<T>)g);
            TensorPrimitives.Subtract(g, dot, g);
            TensorPrimitives.Multiply(g, p, g);
            TensorPrimitives.Multiply(g, scale, g);
        }
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
    public static void SumRows<T>(ReadOnlySpan<T> δy, Span<T> δbias, int rows, int width) where T : IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(δy.Slice(r * width, width), (ReadOnlySpan<T>)δbias, δbias);
    }
}
