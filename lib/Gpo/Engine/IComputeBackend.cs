using System.Numerics;

namespace Gpo.Engine;

/// <summary>
/// How the tokens of a GPO batch sit in the attention buffers. Rows are ordered as all groups' context
/// tokens ([groups, contextPerGroup], padded), then all groups' target tokens ([groups, targetsPerGroup]).
/// Group g's first <c>RealContext[g]</c> context tokens are its keys; every token of g (context or
/// target, padding included) is a query against exactly those keys — or, with
/// <see cref="TargetQueriesOnly"/>, only the target tokens are queries (the last encoder layer, whose
/// context outputs feed nothing) and the query/output buffers hold just the target rows.
/// </summary>
/// <param name="Groups">B, the number of groups in the batch.</param>
/// <param name="ContextPerGroup">Nc, padded context tokens per group.</param>
/// <param name="TargetsPerGroup">Nt, padded target tokens per group.</param>
/// <param name="Heads">Attention heads; <see cref="Width"/> must divide evenly.</param>
/// <param name="Width">d_model.</param>
/// <param name="RealContext">[groups] real (non-padding) context tokens of each group, 1..Nc.</param>
/// <param name="TargetQueriesOnly">Whether only target tokens are queries (see above).</param>
public sealed record AttentionLayout(int Groups, int ContextPerGroup, int TargetsPerGroup, int Heads, int Width, IReadOnlyList<int> RealContext,
    bool TargetQueriesOnly = false)
{
    /// <summary>Width of one head (d_model / heads).</summary>
    public int HeadWidth => Width / Heads;

    /// <summary>Queries of one group: Nc + Nt.</summary>
    public int QueriesPerGroup => ContextPerGroup + TargetsPerGroup;

    /// <summary>All tokens: B·(Nc + Nt).</summary>
    public int Tokens => Groups * QueriesPerGroup;

    /// <summary>Context tokens, the key/value rows: B·Nc.</summary>
    public int ContextTokens => Groups * ContextPerGroup;

    /// <summary>Rows of the query and output buffers: B·(Nc + Nt), or B·Nt with <see cref="TargetQueriesOnly"/>.</summary>
    public int QueryTokens => TargetQueriesOnly ? Groups * TargetsPerGroup : Tokens;

    /// <summary>Length of the probability buffer [groups, heads, Nc + Nt, Nc].</summary>
    public int ProbabilityLength => Groups * Heads * QueriesPerGroup * ContextPerGroup;
}

/// <summary>
/// Every piece of heavy math the GPO model needs, behind one narrow interface so that another device
/// (a CUDA backend) can be added without touching the model code. Buffers are row-major; shapes are
/// given in brackets. Gradients are prefixed δ. Parameter order: sources, then destinations.
/// </summary>
/// <typeparam name="T">float for training and inference; double for the gradient checks.</typeparam>
public interface IComputeBackend<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A short description, e.g. "cpu float32, 2 threads, Vector512".</summary>
    string Name { get; }

    /// <summary><c>y[rows, out] = x[rows, in] · weight[out, in]ᵀ + bias[out]</c>, then ReLU when <paramref name="relu"/>.</summary>
    void LinearForward(ReadOnlyMemory<T> x, ReadOnlyMemory<T> weight, ReadOnlyMemory<T> bias, Memory<T> y, int rows, int inFeatures, int outFeatures, bool relu);

    /// <summary>
    /// Backward of a Linear layer: <c>δweight[out, in] += δyᵀ · x</c>, <c>δbias[out] += Σ_rows δy</c>, and
    /// <c>δx[rows, in] = δy · weight</c> (added to δx when <paramref name="accumulateInput"/>; skipped when δx is empty).
    /// </summary>
    void LinearBackward(ReadOnlyMemory<T> x, ReadOnlyMemory<T> weight, ReadOnlyMemory<T> δy, Memory<T> δx, Memory<T> δweight, Memory<T> δbias,
        int rows, int inFeatures, int outFeatures, bool accumulateInput);

    /// <summary>Backward of ReLU given its output y: <c>δ = δ ⊙ [y &gt; 0]</c>, in place.</summary>
    void ReluBackward(ReadOnlyMemory<T> y, Memory<T> δ);

    /// <summary><c>sum = a + b</c>, element-wise (sum may alias a or b).</summary>
    void Add(ReadOnlyMemory<T> a, ReadOnlyMemory<T> b, Memory<T> sum);

    /// <summary>LayerNorm over rows of [rows, width]; saves x̂ [rows, width] and 1/σ [rows] for the backward pass.</summary>
    void LayerNormForward(ReadOnlyMemory<T> x, ReadOnlyMemory<T> gamma, ReadOnlyMemory<T> beta, Memory<T> y, Memory<T> normalized, Memory<T> inverseStd,
        int rows, int width, T eps);

    /// <summary>Backward of <see cref="LayerNormForward"/>: δx overwritten (may alias δy), δgamma/δbeta [width] accumulated.</summary>
    void LayerNormBackward(ReadOnlyMemory<T> normalized, ReadOnlyMemory<T> inverseStd, ReadOnlyMemory<T> gamma, ReadOnlyMemory<T> δy,
        Memory<T> δx, Memory<T> δgamma, Memory<T> δbeta, int rows, int width);

    /// <summary>
    /// GPO-masked multi-head attention (spec §3.4): for every group and head,
    /// <c>P = softmax(Q·Kᵀ/√headWidth)</c> over the group's real context keys only, <c>O = P·V</c>.
    /// </summary>
    /// <param name="queries">[queryTokens, width] Q of every query token, rows ordered as in <see cref="AttentionLayout"/>.</param>
    /// <param name="keysValues">[groups·Nc, 2·width]: K in columns [0, width), V in [width, 2·width), context tokens only.</param>
    /// <param name="probabilities">[groups, heads, Nc + Nt, Nc] receives P (columns ≥ RealContext[g] unused).</param>
    /// <param name="output">[queryTokens, width] receives the heads' outputs, concatenated per token.</param>
    void AttentionForward(ReadOnlyMemory<T> queries, ReadOnlyMemory<T> keysValues, Memory<T> probabilities, Memory<T> output, AttentionLayout layout);

    /// <summary>Backward of <see cref="AttentionForward"/>: δqueries [queryTokens, width] and δkeysValues [groups·Nc, 2·width] are overwritten.</summary>
    /// <param name="scratch">[groups, heads, Nc + Nt, Nc] workspace.</param>
    void AttentionBackward(ReadOnlyMemory<T> queries, ReadOnlyMemory<T> keysValues, ReadOnlyMemory<T> probabilities, ReadOnlyMemory<T> δoutput,
        Memory<T> δqueries, Memory<T> δkeysValues, Memory<T> scratch, AttentionLayout layout);
}
