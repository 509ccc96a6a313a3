using System.Numerics;
using Gpo.Engine;

namespace Gpo.Model;

/// <summary>LayerNorm over the last dimension with learned scale and shift (views into a <see cref="ParameterSet{T}"/>).</summary>
public sealed class LayerNorm<T>(Memory<T> gamma, Memory<T> beta, Memory<T> δgamma, Memory<T> δbeta, T eps)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public static LayerNorm<T> FromParameters(ParameterSet<T> parameters, string prefix, double eps) =>
        new(parameters.Value(prefix + ".weight"), parameters.Value(prefix + ".bias"),
            parameters.Gradient(prefix + ".weight"), parameters.Gradient(prefix + ".bias"), T.CreateChecked(eps));

    public int Width => gamma.Length;

    /// <summary>y[rows, width] = LN(x); x̂ [rows, width] and 1/σ [rows] saved for <see cref="Backward"/>.</summary>
    public void Forward(IComputeBackend<T> backend, ReadOnlyMemory<T> x, Memory<T> y, Memory<T> normalized, Memory<T> inverseStd, int rows) =>
        backend.LayerNormForward(x[..(rows * Width)], gamma, beta, y[..(rows * Width)], normalized[..(rows * Width)], inverseStd[..rows], rows, Width, eps);

    /// <summary>δx[rows, width] from δy (may be the same buffer); accumulates δgamma, δbeta.</summary>
    public void Backward(IComputeBackend<T> backend, ReadOnlyMemory<T> normalized, ReadOnlyMemory<T> inverseStd, ReadOnlyMemory<T> δy, Memory<T> δx, int rows) =>
        backend.LayerNormBackward(normalized[..(rows * Width)], inverseStd[..rows], gamma, δy[..(rows * Width)], δx[..(rows * Width)], δgamma, δbeta, rows, Width);
}
