using System.Numerics;
using Gpo.Engine;

namespace Gpo.Model;

/// <summary>
/// A fully connected layer <c>y[rows, out] = x[rows, in] · W[out, in]ᵀ + b</c>, optionally followed by a
/// fused ReLU. Weight and bias are views into a <see cref="ParameterSet{T}"/>.
/// </summary>
public sealed class Linear<T>(Memory<T> weight, Memory<T> bias, Memory<T> δweight, Memory<T> δbias, int inFeatures, int outFeatures, bool relu)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The layer stored under <paramref name="prefix"/>.weight / .bias.</summary>
    public static Linear<T> FromParameters(ParameterSet<T> parameters, string prefix, bool relu)
    {
        var shape = parameters[prefix + ".weight"].Shape;
        return new Linear<T>(parameters.Value(prefix + ".weight"), parameters.Value(prefix + ".bias"),
            parameters.Gradient(prefix + ".weight"), parameters.Gradient(prefix + ".bias"), shape[1], shape[0], relu);
    }

    public int InFeatures => inFeatures;

    public int OutFeatures => outFeatures;

    /// <summary>y[rows, out] = (ReLU)(x[rows, in] · Wᵀ + b).</summary>
    public void Forward(IComputeBackend<T> backend, ReadOnlyMemory<T> x, Memory<T> y, int rows) =>
        backend.LinearForward(x[..(rows * inFeatures)], weight, bias, y[..(rows * outFeatures)], rows, inFeatures, outFeatures, relu);

    /// <summary>
    /// Accumulates δW and δb and writes (or adds to) δx. <paramref name="δy"/> is the gradient of this
    /// layer's output; with ReLU it is masked in place by <paramref name="y"/> (the forward output) first.
    /// </summary>
    /// <param name="x">[rows, in] the forward input.</param>
    /// <param name="y">[rows, out] the forward output (read only with ReLU).</param>
    /// <param name="δy">[rows, out] gradient of the output; modified in place with ReLU.</param>
    /// <param name="δx">[rows, in] gradient of the input; empty to skip.</param>
    public void Backward(IComputeBackend<T> backend, ReadOnlyMemory<T> x, ReadOnlyMemory<T> y, Memory<T> δy, Memory<T> δx, int rows, bool accumulateInput = false)
    {
        if (relu) backend.ReluBackward(y[..(rows * outFeatures)], δy[..(rows * outFeatures)]);
        backend.LinearBackward(x[..(rows * inFeatures)], weight, δy[..(rows * outFeatures)], δx.IsEmpty ? δx : δx[..(rows * inFeatures)],
            δweight, δbias, rows, inFeatures, outFeatures, accumulateInput);
    }
}
