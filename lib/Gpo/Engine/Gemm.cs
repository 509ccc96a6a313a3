using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Gpo.Engine;

/// <summary>
/// Single-precision matrix multiplication, row-major, for the three products a network needs:
/// <c>x·Wᵀ</c> (Linear forward, weights stored [out, in]), <c>δy·W</c> (input gradient) and
/// <c>δyᵀ·x</c> (weight gradient).
/// </summary>
/// <remarks>
/// One blocked algorithm serves all three. B is cut into panels of <see cref="PanelWidth"/> columns and
/// <see cref="KBlock"/> rows of the reduction dimension; a full panel of a row-major B is read in place,
/// a transposed or partial one is packed into a zero-padded, 64-byte aligned [k, 32] buffer. A is read in place through a (row stride, column stride) pair, so a transposed A costs
/// nothing. An 8×32 micro-kernel keeps 16 Vector512 accumulators in registers and issues one FMA per
/// broadcast × panel vector (Vector256 fallback: four 8×8 passes); the epilogue adds a bias and applies ReLU while storing. Large products are split over two
/// worker partitions by B panels (or by rows when there are few panels); small ones run on the
/// calling thread, so callers that parallelise over many small products (attention heads) pass
/// <c>parallel: false</c> through the strided overloads.
/// </remarks>
public static unsafe class Gemm
{
    /// <summary>Rows of C computed by one micro-kernel call.</summary>
    public const int TileRows = 8;

    /// <summary>Columns of a packed B panel (two Vector512 of floats).</summary>
    public const int PanelWidth = 32;

    /// <summary>Rows of the reduction dimension packed and reduced per pass (a panel is 48 KiB).</summary>
    public const int KBlock = 384;

    /// <summary>Rows of A swept against the packed panels before moving on (A block stays in L2).</summary>
    private const int RowBlock = 192;

    /// <summary>Below this many multiply-adds a product runs on the calling thread alone.</summary>
    private const long ParallelThreshold = 1L << 21;

    /// <summary><c>c[m,n] (+)= a[m,k] · b[n,k]ᵀ</c> (Linear forward with weights stored [out, in]).</summary>
    public static void MatMulTransB(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate = false)
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        fixed (float* pa = a, pb = b, pc = c)
            Run(pa, k, 1, pb, k, bTransposed: true, pc, n, m, n, k, accumulate, parallel: true, null, false);
    }

    /// <summary><c>c[m,n] (+)= a[m,k] · b[k,n]</c>.</summary>
    public static void MatMul(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate = false)
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        fixed (float* pa = a, pb = b, pc = c)
            Run(pa, k, 1, pb, n, bTransposed: false, pc, n, m, n, k, accumulate, parallel: true, null, false);
    }

    /// <summary><c>c[m,n] (+)= a[k,m]ᵀ · b[k,n]</c> (weight gradients).</summary>
    public static void MatMulTransA(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate = false)
    {
        CheckSizes(a.Length, b.Length, c.Length, m, n, k);
        fixed (float* pa = a, pb = b, pc = c)
            Run(pa, 1, m, pb, n, bTransposed: false, pc, n, m, n, k, accumulate, parallel: true, null, false);
    }

    /// <summary>
    /// The general form over sub-matrices: <c>C (+)= op(A) · op(B)</c> with C [m, n] at row stride
    /// <paramref name="ldc"/>; <c>op(A)[i,p] = a[i*lda + p]</c>, or <c>a[p*lda + i]</c> when
    /// <paramref name="transposeA"/>; <c>op(B)[p,j] = b[p*ldb + j]</c>, or <c>b[j*ldb + p]</c> when
    /// <paramref name="transposeB"/>. Spans start at the first element of each sub-matrix.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, int lda, bool transposeA, ReadOnlySpan<float> b, int ldb, bool transposeB,
        Span<float> c, int ldc, int m, int n, int k, bool accumulate, bool parallel) =>
        Multiply(a, lda, transposeA, b, ldb, transposeB, c, ldc, m, n, k, accumulate, parallel, default, relu: false);

    /// <summary>
    /// <see cref="Multiply(ReadOnlySpan{float}, int, bool, ReadOnlySpan{float}, int, bool, Span{float}, int, int, int, int, bool, bool)"/>
    /// with a fused epilogue: <c>C = (C +) op(A)·op(B) + bias[j]</c> (bias [n], or empty for none), then
    /// <c>max(C, 0)</c> when <paramref name="relu"/>.
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> a, int lda, bool transposeA, ReadOnlySpan<float> b, int ldb, bool transposeB,
        Span<float> c, int ldc, int m, int n, int k, bool accumulate, bool parallel, ReadOnlySpan<float> bias, bool relu)
    {
        if (m <= 0 || n <= 0) return;
        if (!bias.IsEmpty && bias.Length < n) throw new ArgumentException($"Gemm: bias holds {bias.Length} floats, needs n = {n}");
        if (k == 0 && (!bias.IsEmpty || relu)) throw new ArgumentException("Gemm: an epilogue needs k > 0");
        long aNeed = transposeA ? (long)(k - 1) * lda + m : (long)(m - 1) * lda + k;
        long bNeed = transposeB ? (long)(n - 1) * ldb + k : (long)(k - 1) * ldb + n;
        long cNeed = (long)(m - 1) * ldc + n;
        if (k > 0 && (a.Length < aNeed || b.Length < bNeed)) throw new ArgumentException($"Gemm: operand too short for m={m} n={n} k={k}");
        if (c.Length < cNeed) throw new ArgumentException($"Gemm: c holds {c.Length} floats, needs {cNeed}");
        fixed (float* pa = a, pb = b, pc = c, pbias = bias)
        {
            float* biasPointer = bias.IsEmpty ? null : pbias;
            if (transposeA) Run(pa, 1, lda, pb, ldb, transposeB, pc, ldc, m, n, k, accumulate, parallel, biasPointer, relu);
            else Run(pa, lda, 1, pb, ldb, transposeB, pc, ldc, m, n, k, accumulate, parallel, biasPointer, relu);
        }
    }

    private static void CheckSizes(int aLength, int bLength, int cLength, int m, int n, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (aLength < (long)m * k) throw new ArgumentException($"Gemm: a holds {aLength} floats, needs m*k = {(long)m * k}");
        if (bLength < (long)n * k) throw new ArgumentException($"Gemm: b holds {bLength} floats, needs n*k = {(long)n * k}");
        if (cLength < (long)m * n) throw new ArgumentException($"Gemm: c holds {cLength} floats, needs m*n = {(long)m * n}");
    }

    /// <summary>A[i,p] = a[i*aRowStride + p*aColStride]; B[p,j] = b[p*ldb + j] (or b[j*ldb + p] when transposed).</summary>
    private static void Run(float* a, nint aRowStride, nint aColStride, float* b, int ldb, bool bTransposed,
        float* c, int ldc, int m, int n, int k, bool accumulate, bool parallel, float* bias, bool relu)
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) new Span<float>(c + (nint)i * ldc, n).Clear();
            return;
        }
        int panels = (n + PanelWidth - 1) / PanelWidth;
        var job = new Job(a, aRowStride, aColStride, b, ldb, bTransposed, c, ldc, n, k, accumulate, bias, relu);
        bool split = parallel && ForkJoin.Available && (long)m * n * k >= ParallelThreshold;
        if (!split) job.Compute(0, m, 0, panels);
        else Split(job, m, panels);
    }

    /// <summary>Computes a product on both cores: by B panels when there are enough, else by rows (kept apart so a product on one core allocates no closure).</summary>
    private static void Split(Job job, int m, int panels)
    {
        if (panels >= 4)
        {
            int half = panels / 2;
            ForkJoin.Run(part => { if (part == 0) job.Compute(0, m, 0, half); else job.Compute(0, m, half, panels); });
        }
        else
        {
            int half = (m / 2 + TileRows - 1) / TileRows * TileRows;
            ForkJoin.Run(part => { if (part == 0) job.Compute(0, half, 0, panels); else job.Compute(half, m, 0, panels); });
        }
    }

    /// <summary>One product's operands; <see cref="Compute"/> does a rectangle of tiles with its thread's pack buffer.</summary>
    private readonly struct Job(float* a, nint aRowStride, nint aColStride, float* b, int ldb, bool bTransposed,
        float* c, int ldc, int n, int k, bool accumulate, float* bias, bool relu)
    {
        /// <summary>Computes rows [rowStart, rowEnd) of C over B panels [panelStart, panelEnd).</summary>
        public void Compute(int rowStart, int rowEnd, int panelStart, int panelEnd)
        {
            int panelCount = panelEnd - panelStart;
            if (panelCount <= 0 || rowEnd <= rowStart) return;
            // Panels packed at once: bounded so the packed block stays within ~1 MiB of L2.
            int panelsPerChunk = Math.Max(1, Math.Min(panelCount, (1 << 18) / (KBlock * PanelWidth)));
            float* packed = PackBuffer.Get(panelsPerChunk * KBlock * PanelWidth);
            for (int chunk = panelStart; chunk < panelEnd; chunk += panelsPerChunk)
            {
                int chunkEnd = Math.Min(panelEnd, chunk + panelsPerChunk);
                // Equal reduction blocks of at most KBlock (k = 385 → 193 + 192, not 384 + 1).
                int kBlocks = (k + KBlock - 1) / KBlock, kStep = (k + kBlocks - 1) / kBlocks;
                for (int p0 = 0; p0 < k; p0 += kStep)
                {
                    int kc = Math.Min(kStep, k - p0);
                    bool add = accumulate || p0 > 0;
                    var epilogue = p0 + kc == k ? new Epilogue(bias, relu) : default;
                    for (int panel = chunk; panel < chunkEnd; panel++)
                        if (!Direct(panel)) PackPanel(packed + (nint)(panel - chunk) * kc * PanelWidth, panel * PanelWidth, p0, kc);
                    for (int i0 = rowStart; i0 < rowEnd; i0 += RowBlock)
                    {
                        int i1 = Math.Min(rowEnd, i0 + RowBlock);
                        for (int panel = chunk; panel < chunkEnd; panel++)
                        {
                            int j0 = panel * PanelWidth;
                            int cols = Math.Min(PanelWidth, n - j0);
                            // A full-width panel of a row-major B is read in place (row stride ldb); others were packed.
                            bool direct = Direct(panel);
                            float* bPanel = direct ? b + (nint)p0 * ldb + j0 : packed + (nint)(panel - chunk) * kc * PanelWidth;
                            nint bStride = direct ? ldb : PanelWidth;
                            for (int i = i0; i < i1; i += TileRows)
                            {
                                int rows = Math.Min(TileRows, i1 - i);
                                float* aTile = a + i * aRowStride + p0 * aColStride;
                                float* cTile = c + (nint)i * ldc + j0;
                                if (Avx512F.IsSupported)
                                    Kernel512(aTile, aRowStride, aColStride, bPanel, bStride, kc, cTile, ldc, rows, cols, add, epilogue.At(j0));
                                else
                                    Kernel256(aTile, aRowStride, aColStride, bPanel, bStride, kc, cTile, ldc, rows, cols, add, epilogue.At(j0));
                            }
                        }
                    }
                }
            }
        }

        /// <summary>
        /// Whether a panel is read in place: B not transposed, all 32 columns inside n, and every panel row
        /// 64-byte aligned (unaligned 64-byte loads split cache lines and halve the kernel's speed).
        /// </summary>
        private bool Direct(int panel) =>
            !bTransposed && panel * PanelWidth + PanelWidth <= n && ldb % 16 == 0 && ((nint)(b + panel * PanelWidth) & 63) == 0;

        /// <summary>Packs B[p0..p0+kc, j0..j0+32] into <paramref name="dst"/> as [kc, 32], zero beyond column n.</summary>
        private void PackPanel(float* dst, int j0, int p0, int kc)
        {
            int cols = Math.Min(PanelWidth, n - j0);
            if (!bTransposed)
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (nint)(p0 + p) * ldb + j0;
                    float* row = dst + (nint)p * PanelWidth;
                    if (cols == PanelWidth)
                    {
                        Vector256.Store(Vector256.Load(src), row);
                        Vector256.Store(Vector256.Load(src + 8), row + 8);
                        Vector256.Store(Vector256.Load(src + 16), row + 16);
                        Vector256.Store(Vector256.Load(src + 24), row + 24);
                    }
                    else
                    {
                        int j = 0;
                        for (; j < cols; j++) row[j] = src[j];
                        for (; j < PanelWidth; j++) row[j] = 0f;
                    }
                }
            }
            else
            {
                // B[p, j] = b[j*ldb + p]: walk each source row (one output column) contiguously.
                for (int j = 0; j < cols; j++)
                {
                    float* src = b + (nint)(j0 + j) * ldb + p0;
                    float* col = dst + j;
                    for (int p = 0; p < kc; p++) col[(nint)p * PanelWidth] = src[p];
                }
                for (int j = cols; j < PanelWidth; j++)
                    for (int p = 0; p < kc; p++) dst[(nint)p * PanelWidth + j] = 0f;
            }
        }
    }

    /// <summary>What to do after the last reduction block: add a bias slice, clamp at zero.</summary>
    private readonly struct Epilogue(float* bias, bool relu)
    {
        /// <summary>Bias values from column j0 on (null when none).</summary>
        public readonly float* Bias = bias;
        public readonly bool Relu = relu;

        public Epilogue At(int j0) => new(Bias == null ? null : Bias + j0, Relu);
    }

    /// <summary>
    /// C[8, 32] (+)= A[8, kc] · panel[kc, 32] (panel rows <paramref name="panelStride"/> floats apart), then
    /// the epilogue. Rows beyond <paramref name="rows"/> re-read the last valid row of A and are not
    /// written; columns beyond <paramref name="cols"/> are computed against zero padding and masked off.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512(float* a, nint rowStride, nint colStride, float* panel, nint panelStride, int kc, float* c, int ldc, int rows, int cols, bool add, Epilogue epilogue)
    {
        float* a0 = a;
        float* a1 = a + Math.Min(1, rows - 1) * rowStride;
        float* a2 = a + Math.Min(2, rows - 1) * rowStride;
        float* a3 = a + Math.Min(3, rows - 1) * rowStride;
        float* a4 = a + Math.Min(4, rows - 1) * rowStride;
        float* a5 = a + Math.Min(5, rows - 1) * rowStride;
        float* a6 = a + Math.Min(6, rows - 1) * rowStride;
        float* a7 = a + Math.Min(7, rows - 1) * rowStride;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        nint offset = 0;
        float* bp = panel;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(bp);
            var b1 = Vector512.Load(bp + 16);
            bp += panelStride;
            var x = Vector512.Create(a0[offset]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00); c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a1[offset]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10); c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a2[offset]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20); c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a3[offset]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30); c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a4[offset]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40); c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a5[offset]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50); c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a6[offset]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60); c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a7[offset]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70); c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            offset += colStride;
        }
        // Column masks (all lanes for a full panel) and the bias slice.
        var lanes = Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var mask0 = Vector512.LessThan(lanes, Vector512.Create((float)cols));
        var mask1 = Vector512.LessThan(lanes + Vector512.Create(16f), Vector512.Create((float)cols));
        Vector512<float> bias0 = default, bias1 = default;
        if (epilogue.Bias != null)
        {
            bias0 = Avx512F.MaskLoad(epilogue.Bias, mask0, Vector512<float>.Zero);
            bias1 = Avx512F.MaskLoad(epilogue.Bias + 16, mask1, Vector512<float>.Zero);
        }
        bool relu = epilogue.Relu;
        if (cols == PanelWidth)
        {
            StoreRow(c, c00, c01, add, bias0, bias1, relu);
            if (rows > 1) StoreRow(c + ldc, c10, c11, add, bias0, bias1, relu);
            if (rows > 2) StoreRow(c + 2 * (nint)ldc, c20, c21, add, bias0, bias1, relu);
            if (rows > 3) StoreRow(c + 3 * (nint)ldc, c30, c31, add, bias0, bias1, relu);
            if (rows > 4) StoreRow(c + 4 * (nint)ldc, c40, c41, add, bias0, bias1, relu);
            if (rows > 5) StoreRow(c + 5 * (nint)ldc, c50, c51, add, bias0, bias1, relu);
            if (rows > 6) StoreRow(c + 6 * (nint)ldc, c60, c61, add, bias0, bias1, relu);
            if (rows > 7) StoreRow(c + 7 * (nint)ldc, c70, c71, add, bias0, bias1, relu);
            return;
        }
        StoreRowMasked(c, c00, c01, add, bias0, bias1, relu, mask0, mask1);
        if (rows > 1) StoreRowMasked(c + ldc, c10, c11, add, bias0, bias1, relu, mask0, mask1);
        if (rows > 2) StoreRowMasked(c + 2 * (nint)ldc, c20, c21, add, bias0, bias1, relu, mask0, mask1);
        if (rows > 3) StoreRowMasked(c + 3 * (nint)ldc, c30, c31, add, bias0, bias1, relu, mask0, mask1);
        if (rows > 4) StoreRowMasked(c + 4 * (nint)ldc, c40, c41, add, bias0, bias1, relu, mask0, mask1);
        if (rows > 5) StoreRowMasked(c + 5 * (nint)ldc, c50, c51, add, bias0, bias1, relu, mask0, mask1);
        if (rows > 6) StoreRowMasked(c + 6 * (nint)ldc, c60, c61, add, bias0, bias1, relu, mask0, mask1);
        if (rows > 7) StoreRowMasked(c + 7 * (nint)ldc, c70, c71, add, bias0, bias1, relu, mask0, mask1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector512<float> left, Vector512<float> right, bool add, Vector512<float> bias0, Vector512<float> bias1, bool relu)
    {
        if (add)
        {
            left += Vector512.Load(c);
            right += Vector512.Load(c + 16);
        }
        left += bias0;
        right += bias1;
        if (relu)
        {
            left = Vector512.Max(left, Vector512<float>.Zero);
            right = Vector512.Max(right, Vector512<float>.Zero);
        }
        left.Store(c);
        right.Store(c + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRowMasked(float* c, Vector512<float> left, Vector512<float> right, bool add, Vector512<float> bias0, Vector512<float> bias1, bool relu,
        Vector512<float> mask0, Vector512<float> mask1)
    {
        if (add)
        {
            left += Avx512F.MaskLoad(c, mask0, Vector512<float>.Zero);
            right += Avx512F.MaskLoad(c + 16, mask1, Vector512<float>.Zero);
        }
        left += bias0;
        right += bias1;
        if (relu)
        {
            left = Vector512.Max(left, Vector512<float>.Zero);
            right = Vector512.Max(right, Vector512<float>.Zero);
        }
        Avx512F.MaskStore(c, mask0, left);
        Avx512F.MaskStore(c + 16, mask1, right);
    }

    private static void WritePartial(float* tile, float* c, int ldc, int rows, int cols, bool add, Epilogue epilogue)
    {
        for (int r = 0; r < rows; r++)
        {
            float* dst = c + (nint)r * ldc;
            float* src = tile + r * PanelWidth;
            for (int j = 0; j < cols; j++)
            {
                float value = (add ? dst[j] : 0f) + src[j] + (epilogue.Bias == null ? 0f : epilogue.Bias[j]);
                dst[j] = epilogue.Relu ? Math.Max(value, 0f) : value;
            }
        }
    }

    /// <summary>The same tile as <see cref="Kernel512"/> with Vector256: four passes of 8 rows × 8 columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256(float* a, nint rowStride, nint colStride, float* panel, nint panelStride, int kc, float* c, int ldc, int rows, int cols, bool add, Epilogue epilogue)
    {
        float* tile = stackalloc float[TileRows * PanelWidth];
        float** rowPointers = stackalloc float*[TileRows];
        for (int r = 0; r < TileRows; r++) rowPointers[r] = a + Math.Min(r, rows - 1) * rowStride;
        float* a0 = rowPointers[0], a1 = rowPointers[1], a2 = rowPointers[2], a3 = rowPointers[3];
        float* a4 = rowPointers[4], a5 = rowPointers[5], a6 = rowPointers[6], a7 = rowPointers[7];
        for (int quarter = 0; quarter < 4; quarter++)
        {
            Vector256<float> s0 = default, s1 = default, s2 = default, s3 = default, s4 = default, s5 = default, s6 = default, s7 = default;
            float* bp = panel + quarter * 8;
            nint offset = 0;
            for (int p = 0; p < kc; p++)
            {
                var bv = Vector256.Load(bp);
                bp += panelStride;
                s0 = Vector256.FusedMultiplyAdd(Vector256.Create(a0[offset]), bv, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Create(a1[offset]), bv, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Create(a2[offset]), bv, s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.Create(a3[offset]), bv, s3);
                s4 = Vector256.FusedMultiplyAdd(Vector256.Create(a4[offset]), bv, s4);
                s5 = Vector256.FusedMultiplyAdd(Vector256.Create(a5[offset]), bv, s5);
                s6 = Vector256.FusedMultiplyAdd(Vector256.Create(a6[offset]), bv, s6);
                s7 = Vector256.FusedMultiplyAdd(Vector256.Create(a7[offset]), bv, s7);
                offset += colStride;
            }
            float* t = tile + quarter * 8;
            s0.Store(t); s1.Store(t + 32); s2.Store(t + 64); s3.Store(t + 96);
            s4.Store(t + 128); s5.Store(t + 160); s6.Store(t + 192); s7.Store(t + 224);
        }
        WritePartial(tile, c, ldc, rows, cols, add, epilogue);
    }

    /// <summary>A per-thread, 64-byte aligned scratch buffer for packed B panels (grown, never shrunk).</summary>
    private static class PackBuffer
    {
        [ThreadStatic] private static float[]? buffer;
        [ThreadStatic] private static nint alignedOffset;

        public static float* Get(int floats)
        {
            if (buffer is null || buffer.Length - 16 < floats)
            {
                buffer = GC.AllocateUninitializedArray<float>(floats + 16, pinned: true);
                nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
                alignedOffset = ((64 - (address & 63)) & 63) / sizeof(float);
            }
            return (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer)) + alignedOffset;
        }
    }
}
