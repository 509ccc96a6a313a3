using System.Numerics;

namespace Gpo.Model;

/// <summary>One named tensor inside a <see cref="ParameterSet{T}"/>.</summary>
/// <param name="Name">PyTorch state_dict name.</param>
/// <param name="Shape">Dimensions, outermost first.</param>
/// <param name="Offset">First element in the flat buffers.</param>
public sealed record ParameterTensor(string Name, int[] Shape, int Offset)
{
    public int Length => Shape.Aggregate(1, (product, size) => product * size);
}

/// <summary>
/// All of a model's parameters in one flat buffer (and their gradients in a second of the same layout),
/// tensors in state_dict order. Layers hold <see cref="Memory{T}"/> views into both; the optimiser and
/// checkpoints work on the flat buffers.
/// </summary>
public sealed class ParameterSet<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<string, ParameterTensor> byName;

    public ParameterSet(IEnumerable<(string Name, int[] Shape)> shapes)
    {
        var tensors = new List<ParameterTensor>();
        int offset = 0;
        foreach (var (name, shape) in shapes)
        {
            var tensor = new ParameterTensor(name, shape, offset);
            tensors.Add(tensor);
            offset += tensor.Length;
        }
        Tensors = tensors;
        byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        Values = new T[offset];
        Gradients = new T[offset];
    }

    /// <summary>Tensors in state_dict order.</summary>
    public IReadOnlyList<ParameterTensor> Tensors { get; }

    /// <summary>[Count] every parameter value.</summary>
    public T[] Values { get; }

    /// <summary>[Count] every gradient, same layout as <see cref="Values"/>.</summary>
    public T[] Gradients { get; }

    public int Count => Values.Length;

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    public ParameterTensor this[string name] =>
        byName.TryGetValue(name, out var tensor) ? tensor : throw new KeyNotFoundException($"no parameter '{name}'");

    /// <summary>Values of a tensor, or of elements [start, start+length) of it.</summary>
    public Memory<T> Value(string name, int start = 0, int length = -1) => Slice(Values, this[name], start, length);

    /// <summary>Gradient of a tensor, or of elements [start, start+length) of it.</summary>
    public Memory<T> Gradient(string name, int start = 0, int length = -1) => Slice(Gradients, this[name], start, length);

    /// <summary>Sets every gradient to zero.</summary>
    public void ZeroGradients() => Array.Clear(Gradients);

    private static Memory<T> Slice(T[] buffer, ParameterTensor tensor, int start, int length) =>
        buffer.AsMemory(tensor.Offset + start, length < 0 ? tensor.Length - start : length);
}
