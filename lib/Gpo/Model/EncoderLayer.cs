using System.Numerics;
using Gpo.Engine;

namespace Gpo.Model;

/// <summary>
/// One post-LayerNorm transformer encoder layer with the GPO attention mask (spec §3.3–3.4):
/// <c>h = LN1(x + OutProj(Attn(x)))</c>, <c>out = LN2(h + Linear2(ReLU(Linear1(h))))</c>.
/// Queries come from every token, keys and values from context tokens only, so the in-projection is
/// split into a Q part (rows [0, d) of <c>in_proj_weight</c>) over all tokens and a K/V part (rows
/// [d, 3d)) over the context rows, which lead the token buffer.
/// </summary>
public sealed class EncoderLayer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear<T> queryProjection, keyValueProjection, outProjection, linear1, linear2;
    private readonly LayerNorm<T> norm1, norm2;
    private readonly int width, feedForward;

    // Activations of the last forward pass, kept for the backward pass.
    private readonly Workspace<T> queries = new(), keysValues = new(), probabilities = new(), attention = new(), hidden = new(),
        normalized1 = new(), inverseStd1 = new(), feedForwardHidden = new(), normalized2 = new(), inverseStd2 = new(), output = new();
    private ReadOnlyMemory<T> input;
    private AttentionLayout? layout;

    public EncoderLayer(ParameterSet<T> parameters, string prefix, double eps)
    {
        width = parameters[prefix + "norm1.weight"].Length;
        feedForward = parameters[prefix + "linear1.weight"].Shape[0];
        int d = width;
        string inWeight = prefix + "self_attn.in_proj_weight", inBias = prefix + "self_attn.in_proj_bias";
        queryProjection = new Linear<T>(parameters.Value(inWeight, 0, d * d), parameters.Value(inBias, 0, d),
            parameters.Gradient(inWeight, 0, d * d), parameters.Gradient(inBias, 0, d), d, d, relu: false);
        keyValueProjection = new Linear<T>(parameters.Value(inWeight, d * d, 2 * d * d), parameters.Value(inBias, d, 2 * d),
            parameters.Gradient(inWeight, d * d, 2 * d * d), parameters.Gradient(inBias, d, 2 * d), d, 2 * d, relu: false);
        outProjection = Linear<T>.FromParameters(parameters, prefix + "self_attn.out_proj", relu: false);
        linear1 = Linear<T>.FromParameters(parameters, prefix + "linear1", relu: true);
        linear2 = Linear<T>.FromParameters(parameters, prefix + "linear2", relu: false);
        norm1 = LayerNorm<T>.FromParameters(parameters, prefix + "norm1", eps);
        norm2 = LayerNorm<T>.FromParameters(parameters, prefix + "norm2", eps);
    }

    /// <summary>
    /// out[queryTokens, d] from x[tokens, d] (context rows first, as in <paramref name="attentionLayout"/>):
    /// every token's output, or only the target tokens' with <see cref="AttentionLayout.TargetQueriesOnly"/>
    /// (context outputs of the last layer feed nothing). x must stay unchanged until <see cref="Backward"/>.
    /// </summary>
    /// <param name="residual">[tokens, d] scratch.</param>
    public ReadOnlyMemory<T> Forward(IComputeBackend<T> backend, ReadOnlyMemory<T> x, AttentionLayout attentionLayout, Memory<T> residual)
    {
        layout = attentionLayout;
        input = x;
        int rows = attentionLayout.QueryTokens, contextTokens = attentionLayout.ContextTokens;
        var xQueries = x[(QueryOffset(attentionLayout) * width)..];
        var q = queries.Get(rows * width);
        var kv = keysValues.Get(contextTokens * 2 * width);
        var p = probabilities.Get(attentionLayout.ProbabilityLength);
        var attended = attention.Get(rows * width);
        var h = hidden.Get(rows * width);
        var f = feedForwardHidden.Get(rows * feedForward);
        var result = output.Get(rows * width);
        residual = residual[..(rows * width)];

        queryProjection.Forward(backend, xQueries, q, rows);
        keyValueProjection.Forward(backend, x, kv, contextTokens);
        backend.AttentionForward(q, kv, p, attended, attentionLayout);
        outProjection.Forward(backend, attended, residual, rows);
        backend.Add(xQueries[..(rows * width)], residual, residual);
        norm1.Forward(backend, residual, h, normalized1.Get(rows * width), inverseStd1.Get(rows), rows);
        linear1.Forward(backend, h, f, rows);
        linear2.Forward(backend, f, residual, rows);
        backend.Add(h, residual, residual);
        norm2.Forward(backend, residual, result, normalized2.Get(rows * width), inverseStd2.Get(rows), rows);
        return result;
    }

    /// <summary>First token row that is a query: 0, or the first target row.</summary>
    private static int QueryOffset(AttentionLayout attentionLayout) => attentionLayout.TargetQueriesOnly ? attentionLayout.ContextTokens : 0;

    /// <summary>
    /// Backward through the layer. <paramref name="gradient"/> [tokens, d] holds δout in the query rows on
    /// entry (all rows, or the target rows) and δx in every row on return; parameter gradients are accumulated.
    /// </summary>
    public void Backward(IComputeBackend<T> backend, Memory<T> gradient, BackwardScratch<T> scratch)
    {
        var attentionLayout = layout ?? throw new InvalidOperationException("encoder layer: Backward before Forward");
        int rows = attentionLayout.QueryTokens, contextTokens = attentionLayout.ContextTokens, offset = QueryOffset(attentionLayout) * width;
        var δout = gradient.Slice(offset, rows * width);
        var δhidden = scratch.Hidden.Get(rows * width);
        var δfeedForward = scratch.FeedForward.Get(rows * feedForward);
        var δattention = scratch.Attention.Get(rows * width);
        var δq = scratch.Queries.Get(rows * width);
        var δkv = scratch.KeysValues.Get(contextTokens * 2 * width);
        var h = hidden.Get(rows * width);

        norm2.Backward(backend, normalized2.Get(rows * width), inverseStd2.Get(rows), δout, δout, rows);   // δout := δ(h + ffn)
        linear2.Backward(backend, feedForwardHidden.Get(rows * feedForward), default, δout, δfeedForward, rows);
        linear1.Backward(backend, h, feedForwardHidden.Get(rows * feedForward), δfeedForward, δhidden, rows);
        backend.Add(δhidden, δout, δhidden);                                                                  // δh
        norm1.Backward(backend, normalized1.Get(rows * width), inverseStd1.Get(rows), δhidden, δhidden, rows); // δ(x + attn)
        outProjection.Backward(backend, attention.Get(rows * width), default, δhidden, δattention, rows);
        backend.AttentionBackward(queries.Get(rows * width), keysValues.Get(contextTokens * 2 * width), probabilities.Get(attentionLayout.ProbabilityLength),
            δattention, δq, δkv, scratch.Probabilities.Get(attentionLayout.ProbabilityLength), attentionLayout);
        // δx: the query rows from Q, the context rows from K and V (added when they are query rows too), plus the residual.
        queryProjection.Backward(backend, input[offset..], default, δq, δout, rows);
        keyValueProjection.Backward(backend, input, default, δkv, gradient, contextTokens, accumulateInput: !attentionLayout.TargetQueriesOnly);
        backend.Add(δout, δhidden, δout);
    }
}

/// <summary>Gradient buffers shared by all encoder layers of a model during one backward pass.</summary>
public sealed class BackwardScratch<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    internal Workspace<T> Hidden { get; } = new();
    internal Workspace<T> FeedForward { get; } = new();
    internal Workspace<T> Attention { get; } = new();
    internal Workspace<T> Queries { get; } = new();
    internal Workspace<T> KeysValues { get; } = new();
    internal Workspace<T> Probabilities { get; } = new();
}
