using System.Numerics;
using System.Runtime.InteropServices;

namespace Gpo.Engine;

/// <summary>
/// The CPU implementation of <see cref="IComputeBackend{T}"/>: float32 matrix products go to the blocked
/// <see cref="Gemm"/>; float64 (gradient checks only) uses a plain loop. Row kernels are shared
/// (<see cref="RowKernels"/>). Work is split over up to two cores: large products inside
/// <see cref="Gemm"/>, row kernels by row ranges, attention by (group, head) pairs.
/// </summary>
public sealed class CpuBackend<T> : IComputeBackend<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rows below which a row kernel stays on the calling thread.</summary>
    private const int MinRowsPerPart = 256;

    private T[] partialGamma = [];
    private T[] partialBeta = [];

    public string Name => $"cpu {(typeof(T) == typeof(float) ? "float32" : typeof(T).Name)}, {Parts} threads, {GpoInfo.SimdDescription}";

    private static int Parts => Math.Min(2, Environment.ProcessorCount);

    public void LinearForward(ReadOnlyMemory<T> x, ReadOnlyMemory<T> weight, ReadOnlyMemory<T> bias, Memory<T> y, int rows, int inFeatures, int outFeatures, bool relu)
    {
        if (typeof(T) == typeof(float))
        {
            // Bias and ReLU fused into the product's store.
            Gemm.Multiply(MemoryMarshal.Cast<T, float>(x.Span), inFeatures, false, MemoryMarshal.Cast<T, float>(weight.Span), inFeatures, true,
                MemoryMarshal.Cast<T, float>(y.Span), outFeatures, rows, outFeatures, inFeatures, accumulate: false, parallel: true,
                MemoryMarshal.Cast<T, float>(bias.Span), relu);
            return;
        }
        Multiply(x.Span, inFeatures, false, weight.Span, inFeatures, true, y.Span, outFeatures, rows, outFeatures, inFeatures, accumulate: false, parallel: true);
        RowKernels.AddBias(y.Span, bias.Span, rows, outFeatures, relu);
    }

    public void LinearBackward(ReadOnlyMemory<T> x, ReadOnlyMemory<T> weight, ReadOnlyMemory<T> δy, Memory<T> δx, Memory<T> δweight, Memory<T> δbias,
        int rows, int inFeatures, int outFeatures, bool accumulateInput)
    {
        // δW[out, in] += δy[rows, out]ᵀ · x[rows, in]
        Multiply(δy.Span, outFeatures, true, x.Span, inFeatures, false, δweight.Span, inFeatures, outFeatures, inFeatures, rows, accumulate: true, parallel: true);
        SumRows(δy, δbias, rows, outFeatures);
        // δx[rows, in] (+)= δy[rows, out] · W[out, in]
        if (!δx.IsEmpty)
            Multiply(δy.Span, outFeatures, false, weight.Span, inFeatures, false, δx.Span, inFeatures, rows, inFeatures, outFeatures, accumulateInput, parallel: true);
    }

    /// <summary>δbias[width] += Σ_rows δy[rows, width], the two cores taking half the columns each.</summary>
    private static void SumRows(ReadOnlyMemory<T> δy, Memory<T> δbias, int rows, int width)
    {
        int half = width / 2 / 16 * 16;
        if (rows < 2 * MinRowsPerPart || half == 0 || Parts < 2)
        {
            RowKernels.SumRows(δy.Span, δbias.Span, rows, width);
            return;
        }
        ForkJoin.Run(part =>
        {
            int start = part == 0 ? 0 : half, count = part == 0 ? half : width - half;
            RowKernels.SumRows(δy.Span[start..], δbias.Span.Slice(start, count), rows, count, width);
        });
    }

    public void ReluBackward(ReadOnlyMemory<T> y, Memory<T> δ) =>
        ForRows(δ.Length, (start, end) => RowKernels.ReluBackward(y.Span[start..end], δ.Span[start..end]), MinRowsPerPart * 128);

    public void Add(ReadOnlyMemory<T> a, ReadOnlyMemory<T> b, Memory<T> sum) =>
        ForRows(sum.Length, (start, end) => System.Numerics.Tensors.TensorPrimitives.Add(a.Span[start..end], b.Span[start..end], sum.Span[start..end]), MinRowsPerPart * 128);

    public void LayerNormForward(ReadOnlyMemory<T> x, ReadOnlyMemory<T> gamma, ReadOnlyMemory<T> beta, Memory<T> y, Memory<T> normalized, Memory<T> inverseStd,
        int rows, int width, T eps) =>
        ForRows(rows, (start, end) => RowKernels.LayerNorm(x.Span.Slice(start * width, (end - start) * width), gamma.Span, beta.Span,
            y.Span.Slice(start * width, (end - start) * width), end - start, width, eps,
            normalized.Span.Slice(start * width, (end - start) * width), inverseStd.Span[start..end]));

    public void LayerNormBackward(ReadOnlyMemory<T> normalized, ReadOnlyMemory<T> inverseStd, ReadOnlyMemory<T> gamma, ReadOnlyMemory<T> δy,
        Memory<T> δx, Memory<T> δgamma, Memory<T> δbeta, int rows, int width)
    {
        if (rows < 2 * MinRowsPerPart || Parts < 2)
        {
            RowKernels.LayerNormBackward(normalized.Span, inverseStd.Span, gamma.Span, δy.Span, δx.Span, δgamma.Span, δbeta.Span, rows, width);
            return;
        }
        // The second half accumulates its parameter gradients privately, then adds them in.
        if (partialGamma.Length < width) { partialGamma = new T[width]; partialBeta = new T[width]; }
        var gammaPart = partialGamma.AsMemory(0, width);
        var betaPart = partialBeta.AsMemory(0, width);
        gammaPart.Span.Clear();
        betaPart.Span.Clear();
        int half = rows / 2;
        ForkJoin.Run(part =>
        {
            int start = part == 0 ? 0 : half, end = part == 0 ? half : rows;
            var slice = (start * width, (end - start) * width);
            RowKernels.LayerNormBackward(normalized.Span.Slice(slice.Item1, slice.Item2), inverseStd.Span[start..end], gamma.Span,
                δy.Span.Slice(slice.Item1, slice.Item2), δx.Span.Slice(slice.Item1, slice.Item2),
                part == 0 ? δgamma.Span : gammaPart.Span, part == 0 ? δbeta.Span : betaPart.Span, end - start, width);
        });
        System.Numerics.Tensors.TensorPrimitives.Add(δgamma.Span, gammaPart.Span, δgamma.Span);
        System.Numerics.Tensors.TensorPrimitives.Add(δbeta.Span, betaPart.Span, δbeta.Span);
    }

    public void AttentionForward(ReadOnlyMemory<T> queries, ReadOnlyMemory<T> keysValues, Memory<T> probabilities, Memory<T> output, AttentionLayout layout)
    {
        CheckAttention(layout, queries.Length, keysValues.Length, probabilities.Length);
        int nc = layout.ContextPerGroup, width = layout.Width, headWidth = layout.HeadWidth;
        T scale = T.One / T.Sqrt(T.CreateChecked(headWidth));
        ForItems(layout.Groups * layout.Heads, item =>
        {
            var (group, head, keys, keyOffset, valueOffset, block) = HeadItem.Of(layout, item);
            var q = queries.Span;
            var kv = keysValues.Span;
            var p = probabilities.Span.Slice(block, layout.QueriesPerGroup * nc);
            var o = output.Span;
            var keysTransposed = TransposeHead(kv[keyOffset..], 2 * width, keys, headWidth, out int keysStride);
            for (int segment = FirstSegment(layout); segment < 2; segment++)
            {
                var (queryRow, rows, pRow) = QuerySegment(layout, group, segment);
                // S[rows, keys] = Q_h[rows, hw] · K_hᵀ[hw, keys]
                Multiply(q[(queryRow * width + head * headWidth)..], width, false, keysTransposed, keysStride, false,
                    p[(pRow * nc)..], nc, rows, keys, headWidth, accumulate: false, parallel: false);
                RowKernels.Softmax(p[(pRow * nc)..], rows, keys, nc, scale);
                // O_h[rows, hw] = P[rows, keys] · V_h[keys, hw]
                Multiply(p[(pRow * nc)..], nc, false, kv[valueOffset..], 2 * width, false,
                    o[(queryRow * width + head * headWidth)..], width, rows, headWidth, keys, accumulate: false, parallel: false);
            }
        });
    }

    public void AttentionBackward(ReadOnlyMemory<T> queries, ReadOnlyMemory<T> keysValues, ReadOnlyMemory<T> probabilities, ReadOnlyMemory<T> δoutput,
        Memory<T> δqueries, Memory<T> δkeysValues, Memory<T> scratch, AttentionLayout layout)
    {
        CheckAttention(layout, queries.Length, keysValues.Length, probabilities.Length);
        int nc = layout.ContextPerGroup, width = layout.Width, headWidth = layout.HeadWidth;
        T scale = T.One / T.Sqrt(T.CreateChecked(headWidth));
        ForItems(layout.Groups * layout.Heads, item =>
        {
            var (group, head, keys, keyOffset, valueOffset, block) = HeadItem.Of(layout, item);
            var q = queries.Span;
            var kv = keysValues.Span;
            var δq = δqueries.Span;
            var δkv = δkeysValues.Span;
            var δo = δoutput.Span;
            var p = probabilities.Span.Slice(block, layout.QueriesPerGroup * nc);
            var δs = scratch.Span.Slice(block, layout.QueriesPerGroup * nc);
            var valuesTransposed = TransposeHead(kv[valueOffset..], 2 * width, keys, headWidth, out int valuesStride);
            for (int segment = FirstSegment(layout); segment < 2; segment++)
            {
                var (queryRow, rows, pRow) = QuerySegment(layout, group, segment);
                bool first = segment == FirstSegment(layout);
                int qOffset = queryRow * width + head * headWidth;
                // δP[rows, keys] = δO_h · V_hᵀ ;  δV_h[keys, hw] (+)= Pᵀ · δO_h
                Multiply(δo[qOffset..], width, false, valuesTransposed, valuesStride, false, δs[(pRow * nc)..], nc, rows, keys, headWidth, false, false);
                Multiply(p[(pRow * nc)..], nc, true, δo[qOffset..], width, false, δkv[valueOffset..], 2 * width, keys, headWidth, rows, !first, false);
                RowKernels.SoftmaxBackward(p[(pRow * nc)..], δs[(pRow * nc)..], rows, keys, nc, scale);
                // δQ_h = δS · K_h ;  δK_h (+)= δSᵀ · Q_h
                Multiply(δs[(pRow * nc)..], nc, false, kv[keyOffset..], 2 * width, false, δq[qOffset..], width, rows, headWidth, keys, false, false);
                Multiply(δs[(pRow * nc)..], nc, true, q[qOffset..], width, false, δkv[keyOffset..], 2 * width, keys, headWidth, rows, !first, false);
            }
            // Padding context tokens are not keys: their K and V gradients are zero.
            for (int row = keys; row < nc; row++)
            {
                δkv.Slice(keyOffset + row * 2 * width, headWidth).Clear();
                δkv.Slice(valueOffset + row * 2 * width, headWidth).Clear();
            }
        });
    }

    [ThreadStatic] private static T[]? headScratch;
    [ThreadStatic] private static int headScratchOffset;

    /// <summary>
    /// One head's keys (or values) [keys, headWidth] at row stride <paramref name="stride"/>, transposed into
    /// this thread's 64-byte aligned scratch as [headWidth, keys] with row stride <paramref name="transposedStride"/>
    /// (keys rounded up to a cache line), so the score products read a row-major B in place.
    /// </summary>
    private static unsafe ReadOnlySpan<T> TransposeHead(ReadOnlySpan<T> source, int stride, int keys, int headWidth, out int transposedStride)
    {
        int perLine = 64 / sizeof(T);
        transposedStride = (keys + perLine - 1) / perLine * perLine;
        int length = headWidth * transposedStride;
        if (headScratch is null || headScratch.Length - headScratchOffset < length)
        {
            headScratch = GC.AllocateArray<T>(length + perLine, pinned: true);
            nint address = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(headScratch));
            headScratchOffset = (int)((64 - (address & 63)) & 63) / sizeof(T);
        }
        var transposed = headScratch.AsSpan(headScratchOffset, length);
        for (int j = 0; j < keys; j++)
        {
            var row = source.Slice(j * stride, headWidth);
            for (int p = 0; p < headWidth; p++) transposed[p * transposedStride + j] = row[p];
        }
        return transposed;
    }

    /// <summary>
    /// One (group, head) work item of the attention: its real key count, where its K and V columns start in
    /// the [groups·Nc, 2·width] key/value buffer, and where its [Nc + Nt, Nc] probability block starts.
    /// </summary>
    private readonly record struct HeadItem(int Group, int Head, int Keys, int KeyOffset, int ValueOffset, int ProbabilityOffset)
    {
        public static HeadItem Of(AttentionLayout layout, int item)
        {
            int group = item / layout.Heads, head = item % layout.Heads;
            int keyOffset = group * layout.ContextPerGroup * 2 * layout.Width + head * layout.HeadWidth;
            return new HeadItem(group, head, layout.RealContext[group], keyOffset, keyOffset + layout.Width, item * layout.QueriesPerGroup * layout.ContextPerGroup);
        }
    }

    /// <summary>Segment 1 (targets) only, or 0 (context) then 1.</summary>
    private static int FirstSegment(AttentionLayout layout) => layout.TargetQueriesOnly ? 1 : 0;

    /// <summary>Query segment 0 (context tokens) or 1 (target tokens) of a group: (first query row, row count, first row in the group's P block).</summary>
    private static (int QueryRow, int Rows, int ProbabilityRow) QuerySegment(AttentionLayout layout, int group, int segment) => segment == 0
        ? (group * layout.ContextPerGroup, layout.ContextPerGroup, 0)
        : ((layout.TargetQueriesOnly ? 0 : layout.ContextTokens) + group * layout.TargetsPerGroup, layout.TargetsPerGroup, layout.ContextPerGroup);

    private static void CheckAttention(AttentionLayout layout, int queries, int keysValues, int probabilities)
    {
        if (layout.Width % layout.Heads != 0) throw new ArgumentException($"attention: width {layout.Width} is not divisible by {layout.Heads} heads");
        if (layout.RealContext.Count != layout.Groups) throw new ArgumentException("attention: RealContext needs one count per group");
        foreach (var count in layout.RealContext)
            if (count < 1 || count > layout.ContextPerGroup) throw new ArgumentException($"attention: a group has {count} real context tokens; needs 1..{layout.ContextPerGroup}");
        if (queries < layout.QueryTokens * layout.Width || keysValues < layout.Groups * layout.ContextPerGroup * 2 * layout.Width || probabilities < layout.ProbabilityLength)
            throw new ArgumentException("attention: a buffer is smaller than the layout needs");
    }

    /// <summary>Runs body over [0, count) in up to two contiguous ranges.</summary>
    private static void ForRows(int count, Action<int, int> body, int minPerPart = MinRowsPerPart)
    {
        if (count < 2 * minPerPart || Parts < 2)
        {
            body(0, count);
            return;
        }
        int half = count / 2;
        ForkJoin.Run(part => { if (part == 0) body(0, half); else body(half, count); });
    }

    /// <summary>Runs body for each item in [0, count), items spread over the cores.</summary>
    private static void ForItems(int count, Action<int> body)
    {
        if (count == 1 || Parts < 2)
        {
            for (int i = 0; i < count; i++) body(i);
            return;
        }
        ForkJoin.ForEach(count, body);
    }

    /// <summary>The strided product of <c>Gemm.Multiply</c> for T: float32 goes to the blocked GEMM, anything else to a plain loop.</summary>
    private static void Multiply(ReadOnlySpan<T> a, int lda, bool transposeA, ReadOnlySpan<T> b, int ldb, bool transposeB,
        Span<T> c, int ldc, int m, int n, int k, bool accumulate, bool parallel)
    {
        if (typeof(T) == typeof(float))
        {
            Gemm.Multiply(MemoryMarshal.Cast<T, float>(a), lda, transposeA, MemoryMarshal.Cast<T, float>(b), ldb, transposeB,
                MemoryMarshal.Cast<T, float>(c), ldc, m, n, k, accumulate, parallel);
            return;
        }
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                T sum = accumulate ? c[i * ldc + j] : T.Zero;
                for (int p = 0; p < k; p++)
                    sum += (transposeA ? a[p * lda + i] : a[i * lda + p]) * (transposeB ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * ldc + j] = sum;
            }
    }
}
