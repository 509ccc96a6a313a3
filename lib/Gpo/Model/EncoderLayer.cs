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

    /// <summary>out[tokens, d] from x[tokens, d] (context rows first, as in <paramref name="attentionLayout"/>); x must stay unchanged until <see cref="Backward"/>.</summary>
    /// <param name="residual">[tokens, d] scratch.</param>
    public ReadOnlyMemory<T> Forward(IComputeBackend<T> backend, ReadOnlyMemory<T> x, AttentionLayout attentionLayout, Memory<T> residual)
    {
        layout = attentionLayout;
        input = x;
        int tokens = attentionLayout.Tokens, contextTokens = attentionLayout.Groups * attentionLayout.ContextPerGroup;
        var q = queries.Get(tokens * width);
        var kv = keysValues.Get(contextTokens * 2 * width);
        var p = probabilities.Get(attentionLayout.ProbabilityLength);
        var attended = attention.Get(tokens * width);
        var h = hidden.Get(tokens * width);
        var f = feedForwardHidden.Get(tokens * feedForward);
        var result = output.Get(tokens * width);

        queryProjection.Forward(backend, x, q, tokens);
        keyValueProjection.Forward(backend, x, kv, contextTokens);
        backend.AttentionForward(q, kv, p, attended, attentionLayout);
        outProjection.Forward(backend, attended, residual, tokens);
        backend.Add(x, residual, residual);
        norm1.Forward(backend, residual, h, normalized1.Get(tokens * width), inverseStd1.Get(tokens), tokens);
        linear1.Forward(backend, h, f, tokens);
        linear2.Forward(backend, f, residual, tokens);
        backend.Add(h, residual, residual);
        norm2.Forward(backend, residual, result, normalized2.Get(tokens * width), inverseStd2.Get(tokens), tokens);
        return result;
    }

    /// <summary>
    /// Backward through the layer: <paramref name="gradient"/> [tokens, d] holds δout on entry and δx on
    /// return; parameter gradients are accumulated.
    /// </summary>
    public void Backward(IComputeBackend<T> backend, Memory<T> gradient, BackwardScratch<T> scratch)
    {
        var attentionLayout = layout ?? throw new InvalidOperationException("encoder layer: Backward before Forward");
        int tokens = attentionLayout.Tokens, contextTokens = attentionLayout.Groups * attentionLayout.ContextPerGroup;
        var δout = gradient[..(tokens * width)];
        var δhidden = scratch.Hidden.Get(tokens * width);
        var δfeedForward = scratch.FeedForward.Get(tokens * feedForward);
        var δattention = scratch.Attention.Get(tokens * width);
        var δq = scratch.Queries.Get(tokens * width);
        var δkv = scratch.KeysValues.Get(contextTokens * 2 * width);
        var h = hidden.Get(tokens * width);

        norm2.Backward(backend, normalized2.Get(tokens * width), inverseStd2.Get(tokens), δout, δout, tokens);   // δout := δ(h + ffn)
        linear2.Backward(backend, feedForwardHidden.Get(tokens * feedForward), default, δout, δfeedForward, tokens);
        linear1.Backward(backend, h, feedForwardHidden.Get(tokens * feedForward), δfeedForward, δhidden, tokens);
        backend.Add(δhidden, δout, δhidden);                                                                      // δh
        norm1.Backward(backend, normalized1.Get(tokens * width), inverseStd1.Get(tokens), δhidden, δhidden, tokens); // δ(x + attn)
        outProjection.Backward(backend, attention.Get(tokens * width), default, δhidden, δattention, tokens);
        backend.AttentionBackward(queries.Get(tokens * width), keysValues.Get(contextTokens * 2 * width), probabilities.Get(attentionLayout.ProbabilityLength),
            δattention, δq, δkv, scratch.Probabilities.Get(attentionLayout.ProbabilityLength), attentionLayout);
        queryProjection.Backward(backend, input, default, δq, δout, tokens);
        keyValueProjection.Backward(backend, input, default, δkv, δout, contextTokens, accumulateInput: true);
        backend.Add(δout, δhidden, δout);                                                                         // + residual
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
