using ILGPU;

namespace Gpo.Gpu;

/// <summary>
/// Shape of one (possibly batched or split) matrix product <c>C[M, N] (+)= op(A)[M, K] · op(B)[K, N] (+ bias, ReLU)</c>
/// for <see cref="Kernels.Gemm{TTile}"/>. Row-major with leading dimensions; op = transpose when the flag is 1.
/// Grid z indexes either a batch item — split as (z / Heads, z % Heads), each part adding its own element offset to A, B
/// and C (the attention's (group, head) blocks) — or, when <see cref="KChunk"/> &gt; 0, a slice of K whose partial
/// product goes to C + z·<see cref="COuter"/> (split-K; a reduction adds the slices up).
/// </summary>
public struct GemmArgs
{
    public int M, N, K, Lda, Ldb, Ldc, TransA, TransB, Accumulate, Relu, HasBias, Heads, KChunk;
    public long AOuter, AInner, BOuter, BInner, COuter, CInner;
}

/// <summary>The thread-group side T of <see cref="Kernels.Gemm{TTile}"/> (a type argument, so each accelerator gets its own compiled kernel).</summary>
public interface IGemmTile
{
    /// <summary>T: the group is T × T threads and computes a 4T × 4T tile (T ≤ <see cref="Kernels.MaxThreads"/>).</summary>
    int Threads { get; }
}

/// <summary>16 × 16 threads, 64 × 64 tiles: for GPUs.</summary>
public struct GpuTile : IGemmTile
{
    public readonly int Threads => 16;
}

/// <summary>4 × 4 threads, 16 × 16 tiles: for ILGPU's CPU accelerator, which runs each thread of a group on its own OS thread.</summary>
public struct CpuTile : IGemmTile
{
    public readonly int Threads => 4;
}

/// <summary>Scalars of one Adam update (computed on the host in double, as <c>Adam&lt;float&gt;</c> does).</summary>
public struct AdamArgs
{
    public float Beta1, Beta2, OneMinusBeta1, OneMinusBeta2, StepSize, InverseCorrection2, Eps;
}

/// <summary>
/// The ILGPU kernels of the GPO step. Each runs unchanged on a CUDA GPU (compiled to PTX) and on ILGPU's CPU
/// accelerator. Every reduction has a fixed order (no atomics), so results are deterministic on a device.
/// </summary>
public static class Kernels
{
    /// <summary>K step of <see cref="Gemm{TTile}"/>.</summary>
    public const int TileK = 16;

    /// <summary>Largest thread-group side of <see cref="Gemm{TTile}"/> (16 × 16 threads on a GPU), which sizes its shared tiles.</summary>
    public const int MaxThreads = 16;

    /// <summary>Rows summed by one thread of <see cref="ColumnPartialSums"/>.</summary>
    public const int RowsPerChunk = 256;

    /// <summary>
    /// Tiled matrix product (see <see cref="GemmArgs"/>). A group of T × T threads (T from <typeparamref name="TTile"/>: 16 on a
    /// GPU, 4 on ILGPU's CPU accelerator, where every thread of a group is an OS thread) computes a 4T × 4T tile of C, K in
    /// steps of 16 through shared memory; each thread owns rows ty + T·i and columns tx + T·j (i, j &lt; 4). The code is the
    /// same for every T.
    /// </summary>
    public static void Gemm<TTile>(ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, ArrayView<float> bias, GemmArgs g) where TTile : struct, IGemmTile
    {
        int t = default(TTile).Threads, tile = 4 * t;
        var tileA = SharedMemory.Allocate<float>(TileK * 4 * MaxThreads);
        var tileB = SharedMemory.Allocate<float>(TileK * 4 * MaxThreads);
        int tx = Group.IdxX, ty = Group.IdxY, thread = ty * t + tx;
        int row0 = Grid.IdxY * tile, col0 = Grid.IdxX * tile, z = Grid.IdxZ;
        long aOffset, bOffset, cOffset;
        int kBegin = 0, kEnd = g.K;
        if (g.KChunk > 0)
        {
            kBegin = z * g.KChunk;
            kEnd = IntrinsicMath.Min(g.K, kBegin + g.KChunk);
            aOffset = 0;
            bOffset = 0;
            cOffset = z * g.COuter;
        }
        else
        {
            int outer = z / g.Heads, inner = z % g.Heads;
            aOffset = outer * g.AOuter + inner * g.AInner;
            bOffset = outer * g.BOuter + inner * g.BInner;
            cOffset = outer * g.COuter + inner * g.CInner;
        }
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int k0 = kBegin; k0 < kEnd; k0 += TileK)
        {
            for (int e = thread; e < tile * TileK; e += t * t)
            {
                // A(m, k): consecutive threads walk the contiguous dimension.
                int ml = g.TransA != 0 ? e % tile : e / TileK, kl = g.TransA != 0 ? e / tile : e % TileK;
                int m = row0 + ml, k = k0 + kl;
                float value = 0;
                if (m < g.M && k < kEnd) value = g.TransA != 0 ? a[aOffset + (long)k * g.Lda + m] : a[aOffset + (long)m * g.Lda + k];
                tileA[kl * tile + ml] = value;
                // B(k, n).
                int nl = g.TransB != 0 ? e / TileK : e % tile;
                int kb = g.TransB != 0 ? e % TileK : e / tile;
                int n = col0 + nl;
                k = k0 + kb;
                value = 0;
                if (n < g.N && k < kEnd) value = g.TransB != 0 ? b[bOffset + (long)n * g.Ldb + k] : b[bOffset + (long)k * g.Ldb + n];
                tileB[kb * tile + nl] = value;
            }
            Group.Barrier();
            for (int kk = 0; kk < TileK; kk++)
            {
                int ra = kk * tile + ty, rb = kk * tile + tx;
                float a0 = tileA[ra], a1 = tileA[ra + t], a2 = tileA[ra + 2 * t], a3 = tileA[ra + 3 * t];
                float b0 = tileB[rb], b1 = tileB[rb + t], b2 = tileB[rb + 2 * t], b3 = tileB[rb + 3 * t];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }
        Store(c, bias, g, cOffset, row0 + ty, col0 + tx, t, c00, c01, c02, c03);
        Store(c, bias, g, cOffset, row0 + ty + t, col0 + tx, t, c10, c11, c12, c13);
        Store(c, bias, g, cOffset, row0 + ty + 2 * t, col0 + tx, t, c20, c21, c22, c23);
        Store(c, bias, g, cOffset, row0 + ty + 3 * t, col0 + tx, t, c30, c31, c32, c33);
    }

    private static void Store(ArrayView<float> c, ArrayView<float> bias, GemmArgs g, long cOffset, int m, int n, int t, float v0, float v1, float v2, float v3)
    {
        if (m >= g.M) return;
        Store(c, bias, g, cOffset, m, n, v0);
        Store(c, bias, g, cOffset, m, n + t, v1);
        Store(c, bias, g, cOffset, m, n + 2 * t, v2);
        Store(c, bias, g, cOffset, m, n + 3 * t, v3);
    }

    private static void Store(ArrayView<float> c, ArrayView<float> bias, GemmArgs g, long cOffset, int m, int n, float value)
    {
        if (n >= g.N) return;
        long index = cOffset + (long)m * g.Ldc + n;
        if (g.Accumulate != 0) value = c[index] + value;
        if (g.HasBias != 0) value += bias[n];
        if (g.Relu != 0) value = IntrinsicMath.Max(value, 0f);
        c[index] = value;
    }

    /// <summary>destination[i] (+)= Σ_s slices[s·length + i]: the reduction of split-K partial products, slices in order.</summary>
    public static void SumSlices(Index1D i, ArrayView<float> slices, ArrayView<float> destination, int length, int count, int accumulate)
    {
        float sum = accumulate != 0 ? destination[i] : 0f;
        for (int s = 0; s < count; s++) sum += slices[(long)s * length + i];
        destination[i] = sum;
    }

    /// <summary>
    /// partial[chunk, column] = Σ over the chunk's rows of x[row, column] (times y[row, column] when <paramref name="product"/>);
    /// thread i is (chunk i / width, column i % width).
    /// </summary>
    public static void ColumnPartialSums(Index1D i, ArrayView<float> x, ArrayView<float> y, ArrayView<float> partial, int rows, int width, int stride, int product)
    {
        int chunk = i / width, column = i % width;
        int end = IntrinsicMath.Min(rows, (chunk + 1) * RowsPerChunk);
        float sum = 0;
        for (int r = chunk * RowsPerChunk; r < end; r++)
        {
            long index = (long)r * stride + column;
            sum += product != 0 ? x[index] * y[index] : x[index];
        }
        partial[i] = sum;
    }

    /// <summary>destination[column] (+)= Σ_chunk partial[chunk, column], chunks in order.</summary>
    public static void ColumnReduce(Index1D column, ArrayView<float> partial, ArrayView<float> destination, int width, int chunks, int accumulate)
    {
        float sum = 0;
        for (int c = 0; c < chunks; c++) sum += partial[(long)c * width + column];
        destination[column] = accumulate != 0 ? destination[column] + sum : sum;
    }

    /// <summary>δ = δ ⊙ [y &gt; 0], in place.</summary>
    public static void ReluBackward(Index1D i, ArrayView<float> y, ArrayView<float> gradient)
    {
        if (y[i] <= 0f) gradient[i] = 0f;
    }

    /// <summary>sum = a + b, element-wise (sum may alias a or b).</summary>
    public static void Add(Index1D i, ArrayView<float> a, ArrayView<float> b, ArrayView<float> sum) => sum[i] = a[i] + b[i];

    /// <summary>LayerNorm of row i of x [rows, width] (biased variance, as nn.LayerNorm); saves x̂ and 1/σ.</summary>
    public static void LayerNormForward(Index1D row, ArrayView<float> x, ArrayView<float> gamma, ArrayView<float> beta, ArrayView<float> y,
        ArrayView<float> normalized, ArrayView<float> inverseStd, int width, float eps)
    {
        long start = (long)(int)row * width;
        float mean = 0;
        for (int j = 0; j < width; j++) mean += x[start + j];
        mean /= width;
        float variance = 0;
        for (int j = 0; j < width; j++)
        {
            float d = x[start + j] - mean;
            variance += d * d;
        }
        variance /= width;
        float rstd = 1f / MathF.Sqrt(variance + eps);
        inverseStd[row] = rstd;
        for (int j = 0; j < width; j++)
        {
            float xhat = (x[start + j] - mean) * rstd;
            normalized[start + j] = xhat;
            y[start + j] = xhat * gamma[j] + beta[j];
        }
    }

    /// <summary>δx of one row of LayerNorm: <c>rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂))</c>, g = δy ⊙ γ (δx may alias δy).</summary>
    public static void LayerNormBackward(Index1D row, ArrayView<float> normalized, ArrayView<float> inverseStd, ArrayView<float> gamma,
        ArrayView<float> gradientOut, ArrayView<float> gradientIn, int width)
    {
        long start = (long)(int)row * width;
        float sumG = 0, sumGx = 0;
        for (int j = 0; j < width; j++)
        {
            float g = gradientOut[start + j] * gamma[j];
            sumG += g;
            sumGx += g * normalized[start + j];
        }
        float rstd = inverseStd[row], meanG = sumG / width, meanGx = sumGx / width;
        for (int j = 0; j < width; j++)
            gradientIn[start + j] = rstd * (gradientOut[start + j] * gamma[j] - meanG - normalized[start + j] * meanGx);
    }

    /// <summary>
    /// Masked softmax of one row of the attention scores [groups, heads, Nc + Nt, Nc]: over the group's first
    /// realContext[g] keys after scaling, 0 in the padding columns. Rows before <paramref name="firstQuery"/> (within a block) are skipped.
    /// </summary>
    public static void AttentionSoftmax(Index1D row, ArrayView<float> scores, ArrayView<int> realContext, int heads, int queriesPerGroup, int contextPerGroup,
        int firstQuery, float scale)
    {
        int group = row / (heads * queriesPerGroup);
        if (row % queriesPerGroup < firstQuery) return;
        int keys = realContext[group];
        long start = (long)(int)row * contextPerGroup;
        float max = float.NegativeInfinity;
        for (int j = 0; j < keys; j++) max = IntrinsicMath.Max(max, scores[start + j]);
        float sum = 0;
        for (int j = 0; j < keys; j++)
        {
            float e = MathF.Exp(scores[start + j] * scale - max * scale);
            scores[start + j] = e;
            sum += e;
        }
        float inverse = 1f / sum;
        for (int j = 0; j < keys; j++) scores[start + j] *= inverse;
        for (int j = keys; j < contextPerGroup; j++) scores[start + j] = 0f;
    }

    /// <summary>Backward of <see cref="AttentionSoftmax"/> on one row of the query range [firstQuery, endQuery) of a block: <c>δs = scale · p ⊙ (δp − Σ p ⊙ δp)</c>, in place over δp.</summary>
    public static void AttentionSoftmaxBackward(Index1D row, ArrayView<float> probabilities, ArrayView<float> gradient, int queriesPerGroup, int contextPerGroup,
        int firstQuery, int endQuery, float scale)
    {
        int query = row % queriesPerGroup;
        if (query < firstQuery || query >= endQuery) return;
        long start = (long)(int)row * contextPerGroup;
        float dot = 0;
        for (int j = 0; j < contextPerGroup; j++) dot += probabilities[start + j] * gradient[start + j];
        for (int j = 0; j < contextPerGroup; j++) gradient[start + j] = (gradient[start + j] - dot) * probabilities[start + j] * scale;
    }

    /// <summary>
    /// Token inputs [tokens, dx+1] from a batch's raw arrays: context rows [x; y] of every group, then target rows [x; 0];
    /// padding rows 0. Thread i is element i.
    /// </summary>
    public static void AssembleInput(Index1D i, ArrayView<float> contextX, ArrayView<float> contextY, ArrayView<float> targetX,
        ArrayView<int> realContext, ArrayView<int> realTargets, ArrayView<float> input, int groups, int contextPerGroup, int targetsPerGroup, int dimX)
    {
        int width = dimX + 1;
        int token = (int)(i / width), column = (int)(i % width);
        int contextTokens = groups * contextPerGroup;
        float value = 0;
        if (token < contextTokens)
        {
            if (token % contextPerGroup < realContext[token / contextPerGroup])
                value = column < dimX ? contextX[(long)token * dimX + column] : contextY[token];
        }
        else
        {
            int target = token - contextTokens;
            if (column < dimX && target % targetsPerGroup < realTargets[target / targetsPerGroup]) value = targetX[(long)target * dimX + column];
        }
        input[i] = value;
    }

    /// <summary>
    /// Per-question softmax of μ' = μ + offset (outputs [B·Nt, 2] hold (μ, s)) into p̂ [B·Nt], and each real target's loss
    /// term <c>(y − p̂)²/(2σ²) + s + ½log 2π</c> (σ = eˢ) into terms [B·Nt]; padding targets get 0 in both. A token's
    /// question starts at questionStart[t] and has questionOptions[t] options (0 for padding).
    /// </summary>
    public static void LossForward(Index1D t, ArrayView<float> outputs, ArrayView<float> offsets, ArrayView<int> questionStart, ArrayView<int> questionOptions,
        ArrayView<float> targetY, ArrayView<float> probabilities, ArrayView<float> terms, int hasOffsets, int hasTargets, float halfLogTwoPi)
    {
        int options = questionOptions[t];
        if (options == 0)
        {
            probabilities[t] = 0f;
            terms[t] = 0f;
            return;
        }
        int start = questionStart[t];
        float max = float.NegativeInfinity;
        for (int o = 0; o < options; o++) max = IntrinsicMath.Max(max, Mu(outputs, offsets, start + o, hasOffsets));
        float sum = 0;
        for (int o = 0; o < options; o++) sum += MathF.Exp(Mu(outputs, offsets, start + o, hasOffsets) - max);
        float p = MathF.Exp(Mu(outputs, offsets, t, hasOffsets) - max) / sum;
        probabilities[t] = p;
        float term = 0;
        if (hasTargets != 0)
        {
            float s = outputs[2 * t + 1];
            float error = targetY[t] - p;
            term = error * error * MathF.Exp(-(s + s)) / 2f + s + halfLogTwoPi;
        }
        terms[t] = term;
    }

    private static float Mu(ArrayView<float> outputs, ArrayView<float> offsets, int token, int hasOffsets) =>
        hasOffsets != 0 ? outputs[2 * token] + offsets[token] : outputs[2 * token];

    /// <summary>
    /// Gradient of the loss with respect to (μ, s) of target t: <c>∂/∂s = scale·(1 − (p̂ − y)²/σ²)</c>,
    /// <c>∂/∂μ = p̂·(∂ℓ/∂p̂ − Σ_question p̂ ∂ℓ/∂p̂)</c> with <c>∂ℓ/∂p̂ = scale·(p̂ − y)/σ²</c>; the offset is a constant.
    /// </summary>
    public static void LossBackward(Index1D t, ArrayView<float> outputs, ArrayView<int> questionStart, ArrayView<int> questionOptions,
        ArrayView<float> targetY, ArrayView<float> probabilities, ArrayView<float> gradient, float scale)
    {
        int options = questionOptions[t];
        if (options == 0)
        {
            gradient[2 * t] = 0f;
            gradient[2 * t + 1] = 0f;
            return;
        }
        int start = questionStart[t];
        float weighted = 0, own = 0;
        for (int o = 0; o < options; o++)
        {
            int k = start + o;
            float inverseVariance = MathF.Exp(-(outputs[2 * k + 1] + outputs[2 * k + 1]));
            float error = probabilities[k] - targetY[k];
            float dp = scale * error * inverseVariance;
            weighted += probabilities[k] * dp;
            if (k == t)
            {
                own = dp;
                gradient[2 * t + 1] = scale * (1f - error * error * inverseVariance);
            }
        }
        gradient[2 * t] = probabilities[t] * (own - weighted);
    }

    /// <summary>One Adam update of parameter i, in the order of <c>Adam&lt;float&gt;.Step</c>.</summary>
    public static void Adam(Index1D i, ArrayView<float> parameters, ArrayView<float> gradients, ArrayView<float> firstMoment, ArrayView<float> secondMoment, AdamArgs a)
    {
        float g = gradients[i];
        float m = firstMoment[i] * a.Beta1 + g * a.OneMinusBeta1;
        float v = secondMoment[i] * a.Beta2 + g * g * a.OneMinusBeta2;
        firstMoment[i] = m;
        secondMoment[i] = v;
        parameters[i] = parameters[i] - a.StepSize * m / (MathF.Sqrt(v) * a.InverseCorrection2 + a.Eps);
    }
}
