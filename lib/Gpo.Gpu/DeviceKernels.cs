using Gpo.Engine;
using ILGPU;
using ILGPU.Runtime;

namespace Gpo.Gpu;

/// <summary>
/// The GPO step's building blocks on one ILGPU accelerator, over device views: the operations of
/// <see cref="IComputeBackend{T}"/> (linear layers through the tiled <see cref="Kernels.Gemm{TTile}"/> with split-K weight
/// gradients, LayerNorm, ReLU, addition, the GPO-masked attention over only its (Nc + Nt) × Nc blocks) plus column sums.
/// Scratch for split-K slices and column partial sums grows to the largest size asked for and is then reused.
/// Launches are queued on the accelerator's default stream; nothing here waits for the device.
/// </summary>
public sealed class DeviceKernels : IDisposable
{
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs> gemm;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int> sumSlices;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int> columnPartialSums;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int> columnReduce;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>> reluBackward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> add;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float> layerNormForward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> layerNormBackward;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<int>, int, int, int, int, float> attentionSoftmax;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, float> attentionSoftmaxBackward;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> dummy;
    private readonly int threads;
    private MemoryBuffer1D<float, Stride1D.Dense>? splitScratch, columnScratch;

    public DeviceKernels(Accelerator accelerator)
    {
        Accelerator = accelerator ?? throw new ArgumentNullException(nameof(accelerator));
        threads = accelerator.AcceleratorType == AcceleratorType.CPU ? default(CpuTile).Threads : default(GpuTile).Threads;
        gemm = accelerator.AcceleratorType == AcceleratorType.CPU
            ? accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs>(Kernels.Gemm<CpuTile>)
            : accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmArgs>(Kernels.Gemm<GpuTile>);
        sumSlices = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(Kernels.SumSlices);
        columnPartialSums = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(Kernels.ColumnPartialSums);
        columnReduce = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(Kernels.ColumnReduce);
        reluBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(Kernels.ReluBackward);
        add = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(Kernels.Add);
        layerNormForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(Kernels.LayerNormForward);
        layerNormBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(Kernels.LayerNormBackward);
        attentionSoftmax = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, int, int, int, int, float>(Kernels.AttentionSoftmax);
        attentionSoftmaxBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, float>(Kernels.AttentionSoftmaxBackward);
        dummy = accelerator.Allocate1D<float>(1);
    }

    public Accelerator Accelerator { get; }

    /// <summary>
    /// <c>C[m, n] (+)= op(A)[m, k] · op(B)[k, n]</c> (+ bias[n], then ReLU), batched over <paramref name="batch"/> blocks whose
    /// offsets come from <paramref name="args"/> (see <see cref="GemmArgs"/>).
    /// </summary>
    public void Gemm(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, GemmArgs args, int batch = 1, ArrayView<float> bias = default)
    {
        if (args.M == 0 || args.N == 0) return;
        args.HasBias = bias.IsValid && bias.Length > 0 ? 1 : 0;
        if (args.Heads == 0) args.Heads = 1;
        int tile = 4 * threads;
        var grid = new Index3D((args.N + tile - 1) / tile, (args.M + tile - 1) / tile, batch);
        gemm(new KernelConfig(grid, new Index3D(threads, threads, 1)), a, b, c, args.HasBias != 0 ? bias : dummy.View, args);
    }

    /// <summary>A plain product C (+)= op(A)·op(B).</summary>
    public void Multiply(ArrayView<float> a, int lda, bool transposeA, ArrayView<float> b, int ldb, bool transposeB, ArrayView<float> c, int ldc,
        int m, int n, int k, bool accumulate) =>
        Gemm(a, b, c, new GemmArgs { M = m, N = n, K = k, Lda = lda, Ldb = ldb, Ldc = ldc, TransA = transposeA ? 1 : 0, TransB = transposeB ? 1 : 0, Accumulate = accumulate ? 1 : 0 });

    /// <summary><c>y[rows, out] = x[rows, in] · W[out, in]ᵀ + b</c>, then ReLU when <paramref name="relu"/>.</summary>
    public void LinearForward(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> bias, ArrayView<float> y, int rows, int inFeatures, int outFeatures, bool relu) =>
        Gemm(x, weight, y, new GemmArgs { M = rows, N = outFeatures, K = inFeatures, Lda = inFeatures, Ldb = inFeatures, Ldc = outFeatures, TransB = 1, Relu = relu ? 1 : 0 },
            1, bias);

    /// <summary>
    /// <c>δW[out, in] += δyᵀ · x</c> (split over the rows when they are many), <c>δb += Σ_rows δy</c>, and <c>δx (+)= δy · W</c> unless
    /// <paramref name="δx"/> is not valid.
    /// </summary>
    public void LinearBackward(ArrayView<float> x, ArrayView<float> weight, ArrayView<float> δy, ArrayView<float> δx, ArrayView<float> δweight, ArrayView<float> δbias,
        int rows, int inFeatures, int outFeatures, bool accumulateInput)
    {
        WeightGradient(δy, x, δweight, rows, inFeatures, outFeatures);
        ColumnSums(δy, default, δbias, rows, outFeatures, outFeatures, accumulate: true);
        if (δx.IsValid && δx.Length > 0) Multiply(δy, outFeatures, false, weight, inFeatures, false, δx, inFeatures, rows, inFeatures, outFeatures, accumulateInput);
    }

    /// <summary>δW[out, in] += δy[rows, out]ᵀ · x[rows, in], with the rows split into slices summed in order when there are few output tiles.</summary>
    private void WeightGradient(ArrayView<float> δy, ArrayView<float> x, ArrayView<float> δweight, int rows, int inFeatures, int outFeatures)
    {
        int tile = 4 * threads, tiles = ((outFeatures + tile - 1) / tile) * ((inFeatures + tile - 1) / tile);
        int splits = Math.Clamp(Math.Min((rows + 511) / 512, (1024 + tiles - 1) / tiles), 1, 64);
        var args = new GemmArgs { M = outFeatures, N = inFeatures, K = rows, Lda = outFeatures, Ldb = inFeatures, Ldc = inFeatures, TransA = 1 };
        if (splits == 1)
        {
            args.Accumulate = 1;
            Gemm(δy, x, δweight, args);
            return;
        }
        int chunk = ((rows + splits - 1) / splits + Kernels.TileK - 1) / Kernels.TileK * Kernels.TileK;
        splits = (rows + chunk - 1) / chunk;
        long length = (long)outFeatures * inFeatures;
        var scratch = Scratch(ref splitScratch, splits * length);
        args.KChunk = chunk;
        args.COuter = length;
        Gemm(δy, x, scratch, args, splits);
        sumSlices((int)length, scratch, δweight, (int)length, splits, 1);
    }

    /// <summary>destination[width] (+)= Σ_rows x[row, :] (⊙ y[row, :] when y is valid), rows at <paramref name="stride"/>; fixed summation order.</summary>
    public void ColumnSums(ArrayView<float> x, ArrayView<float> y, ArrayView<float> destination, int rows, int width, int stride, bool accumulate)
    {
        int chunks = Math.Max(1, (rows + Kernels.RowsPerChunk - 1) / Kernels.RowsPerChunk);
        var partial = Scratch(ref columnScratch, (long)chunks * width);
        bool product = y.IsValid && y.Length > 0;
        columnPartialSums(chunks * width, x, product ? y : x, partial, rows, width, stride, product ? 1 : 0);
        columnReduce(width, partial, destination, width, chunks, accumulate ? 1 : 0);
    }

    /// <summary>δ = δ ⊙ [y &gt; 0], in place.</summary>
    public void ReluBackward(ArrayView<float> y, ArrayView<float> δ) => reluBackward((int)δ.Length, y, δ);

    /// <summary>sum = a + b (sum may alias either).</summary>
    public void Add(ArrayView<float> a, ArrayView<float> b, ArrayView<float> sum) => add((int)sum.Length, a, b, sum);

    /// <summary>LayerNorm over rows of [rows, width], saving x̂ and 1/σ.</summary>
    public void LayerNormForward(ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y, ArrayView<float> normalized,
        ArrayView<float> inverseStd, int rows, int width, float eps) =>
        layerNormForward(rows, x, gamma, beta, y, normalized, inverseStd, width, eps);

    /// <summary>Backward of LayerNorm: δγ += Σ δy ⊙ x̂, δβ += Σ δy, then δx (may alias δy).</summary>
    public void LayerNormBackward(ArrayView<float> normalized, ArrayView<float> inverseStd, ArrayView<float> gamma, ArrayView<float> δy,
        ArrayView<float> δx, ArrayView<float> δgamma, ArrayView<float> δbeta, int rows, int width)
    {
        ColumnSums(δy, normalized, δgamma, rows, width, width, accumulate: true);
        ColumnSums(δy, default, δbeta, rows, width, width, accumulate: true);
        layerNormBackward(rows, normalized, inverseStd, gamma, δy, δx, width);
    }

    /// <summary>
    /// GPO-masked attention (as <see cref="IComputeBackend{T}.AttentionForward"/>): per group, head and query segment, scores
    /// over all Nc context columns, a softmax over the group's real keys (0 in padding columns), then P·V.
    /// </summary>
    /// <param name="realContext">[groups] real context tokens on the device.</param>
    public void AttentionForward(ArrayView<float> queries, ArrayView<float> keysValues, ArrayView<float> probabilities, ArrayView<float> output,
        AttentionLayout layout, ArrayView<int> realContext)
    {
        int nc = layout.ContextPerGroup, w = layout.Width, hw = layout.HeadWidth, heads = layout.Heads, q = layout.QueriesPerGroup;
        for (int segment = layout.TargetQueriesOnly ? 1 : 0; segment < 2; segment++)
        {
            var (queryBase, rows, probabilityRow) = Segment(layout, segment);
            // S = Q_h · K_hᵀ
            Gemm(queries.SubView((long)queryBase * w), keysValues, probabilities.SubView((long)probabilityRow * nc), new GemmArgs
            {
                M = rows, N = nc, K = hw, Lda = w, Ldb = 2 * w, Ldc = nc, TransB = 1, Heads = heads,
                AOuter = (long)rows * w, AInner = hw, BOuter = (long)nc * 2 * w, BInner = hw, COuter = (long)heads * q * nc, CInner = (long)q * nc,
            }, layout.Groups * heads);
        }
        float scale = 1f / MathF.Sqrt(hw);
        attentionSoftmax(layout.Groups * heads * q, probabilities, realContext, heads, q, nc, layout.TargetQueriesOnly ? nc : 0, scale);
        for (int segment = layout.TargetQueriesOnly ? 1 : 0; segment < 2; segment++)
        {
            var (queryBase, rows, probabilityRow) = Segment(layout, segment);
            // O_h = P · V_h
            Gemm(probabilities.SubView((long)probabilityRow * nc), keysValues.SubView(w), output.SubView((long)queryBase * w), new GemmArgs
            {
                M = rows, N = hw, K = nc, Lda = nc, Ldb = 2 * w, Ldc = w, Heads = heads,
                AOuter = (long)heads * q * nc, AInner = (long)q * nc, BOuter = (long)nc * 2 * w, BInner = hw, COuter = (long)rows * w, CInner = hw,
            }, layout.Groups * heads);
        }
    }

    /// <summary>Backward of <see cref="AttentionForward"/>: δqueries and δkeysValues overwritten; <paramref name="scoreGradient"/> is scratch of the probabilities' size.</summary>
    public void AttentionBackward(ArrayView<float> queries, ArrayView<float> keysValues, ArrayView<float> probabilities, ArrayView<float> δoutput,
        ArrayView<float> δqueries, ArrayView<float> δkeysValues, ArrayView<float> scoreGradient, AttentionLayout layout)
    {
        int nc = layout.ContextPerGroup, w = layout.Width, hw = layout.HeadWidth, heads = layout.Heads, q = layout.QueriesPerGroup, batch = layout.Groups * heads;
        int first = layout.TargetQueriesOnly ? 1 : 0;
        long pOuter = (long)heads * q * nc, pInner = (long)q * nc, kvOuter = (long)nc * 2 * w;
        for (int segment = first; segment < 2; segment++)
        {
            var (queryBase, rows, probabilityRow) = Segment(layout, segment);
            var qView = queries.SubView((long)queryBase * w);
            var δoView = δoutput.SubView((long)queryBase * w);
            var δqView = δqueries.SubView((long)queryBase * w);
            var pView = probabilities.SubView((long)probabilityRow * nc);
            var δsView = scoreGradient.SubView((long)probabilityRow * nc);
            long rowOuter = (long)rows * w;
            int accumulate = segment == first ? 0 : 1;
            // δP = δO_h · V_hᵀ
            Gemm(δoView, keysValues.SubView(w), δsView, new GemmArgs
            {
                M = rows, N = nc, K = hw, Lda = w, Ldb = 2 * w, Ldc = nc, TransB = 1, Heads = heads,
                AOuter = rowOuter, AInner = hw, BOuter = kvOuter, BInner = hw, COuter = pOuter, CInner = pInner,
            }, batch);
            attentionSoftmaxBackward(batch * q, probabilities, scoreGradient, q, nc, probabilityRow, probabilityRow + rows, 1f / MathF.Sqrt(hw));
            // δV_h (+)= Pᵀ · δO_h
            Gemm(pView, δoView, δkeysValues.SubView(w), new GemmArgs
            {
                M = nc, N = hw, K = rows, Lda = nc, Ldb = w, Ldc = 2 * w, TransA = 1, Heads = heads, Accumulate = accumulate,
                AOuter = pOuter, AInner = pInner, BOuter = rowOuter, BInner = hw, COuter = kvOuter, CInner = hw,
            }, batch);
            // δQ_h = δS · K_h
            Gemm(δsView, keysValues, δqView, new GemmArgs
            {
                M = rows, N = hw, K = nc, Lda = nc, Ldb = 2 * w, Ldc = w, Heads = heads,
                AOuter = pOuter, AInner = pInner, BOuter = kvOuter, BInner = hw, COuter = rowOuter, CInner = hw,
            }, batch);
            // δK_h (+)= δSᵀ · Q_h
            Gemm(δsView, qView, δkeysValues, new GemmArgs
            {
                M = nc, N = hw, K = rows, Lda = nc, Ldb = w, Ldc = 2 * w, TransA = 1, Heads = heads, Accumulate = accumulate,
                AOuter = pOuter, AInner = pInner, BOuter = rowOuter, BInner = hw, COuter = kvOuter, CInner = hw,
            }, batch);
        }
    }

    /// <summary>Query segment 0 (context) or 1 (targets): first query-buffer row, rows per group, first row in a group's P block.</summary>
    private static (int QueryBase, int Rows, int ProbabilityRow) Segment(AttentionLayout layout, int segment) => segment == 0
        ? (0, layout.ContextPerGroup, 0)
        : (layout.TargetQueriesOnly ? 0 : layout.ContextTokens, layout.TargetsPerGroup, layout.ContextPerGroup);

    private ArrayView<float> Scratch(ref MemoryBuffer1D<float, Stride1D.Dense>? buffer, long length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer?.Dispose();
            buffer = Accelerator.Allocate1D<float>(Math.Max(length, 1));
        }
        return buffer.View.SubView(0, length);
    }

    public void Dispose()
    {
        dummy.Dispose();
        splitScratch?.Dispose();
        columnScratch?.Dispose();
    }
}
