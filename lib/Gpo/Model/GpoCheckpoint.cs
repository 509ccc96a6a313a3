using System.Globalization;
using System.Numerics;
using Gpo.Engine;
using Gpo.IO;

namespace Gpo.Model;

/// <summary>
/// GPO checkpoints as safetensors with exactly the PyTorch reference's state_dict names and shapes
/// (<c>embedder.0.weight</c> [d, dx+1], ..., <c>predictor.2.bias</c> [2]), float32. The architecture is
/// read back from the shapes (dx, d_model, layer count, FFN width); the head count, which shapes cannot
/// tell, is stored in <c>__metadata__["heads"]</c> (default 4 when absent); a model that reads more than x records its
/// <see cref="GpoInputs"/> as <c>inputs.*</c> entries.
/// </summary>
public static class GpoCheckpoint
{
    /// <summary>Writes every parameter of <paramref name="model"/> (float32, state_dict order) atomically.</summary>
    public static void Save<T>(GpoModel<T> model, string path, IReadOnlyDictionary<string, string>? metadata = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        var allMetadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["heads"] = model.Config.Heads.ToString(CultureInfo.InvariantCulture), ["format"] = "gpo" };
        if (!model.Inputs.IsPlain) foreach (var (key, value) in model.Inputs.ToMetadata()) allMetadata[key] = value;
        if (metadata is not null) foreach (var (key, value) in metadata) allMetadata[key] = value;
        var tensors = model.Parameters.Tensors.Select(tensor =>
        {
            var values = new float[tensor.Length];
            var source = model.Parameters.Values.AsSpan(tensor.Offset, tensor.Length);
            for (int i = 0; i < values.Length; i++) values[i] = float.CreateChecked(source[i]);
            return (tensor.Name, (IReadOnlyList<long>)tensor.Shape.Select(size => (long)size).ToArray(), (ReadOnlyMemory<float>)values);
        });
        SafeTensors.Write(path, tensors, allMetadata);
    }

    /// <summary>The architecture stored in an open checkpoint, read from its tensor shapes and metadata.</summary>
    public static GpoConfig ReadConfig(SafeTensorsFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (!file.Contains("embedder.0.weight") || file["embedder.0.weight"].Shape.Count != 2)
            throw new InvalidDataException($"{file.Path}: not a GPO checkpoint (no 2-D 'embedder.0.weight')");
        var embedder = file["embedder.0.weight"].Shape;
        int layers = 0;
        while (file.Contains($"encoder.layers.{layers}.norm1.weight")) layers++;
        int feedForward = layers > 0 && file.Contains("encoder.layers.0.linear1.weight") ? (int)file["encoder.layers.0.linear1.weight"].Shape[0] : 128;
        int heads = 4;
        if (file.Metadata.TryGetValue("heads", out var headsText) && !int.TryParse(headsText, NumberStyles.None, CultureInfo.InvariantCulture, out heads))
            throw new InvalidDataException($"{file.Path}: __metadata__.heads is '{headsText}', not a number");
        var config = new GpoConfig((int)embedder[1] - 1, (int)embedder[0], heads, layers, feedForward);
        try { config.Validate(); }
        catch (ArgumentException e) { throw new InvalidDataException($"{file.Path}: {e.Message}", e); }
        return config;
    }

    /// <summary>Opens a checkpoint and builds the model it holds (float32 on the CPU backend unless given).</summary>
    public static GpoModel<T> Load<T>(string path, IComputeBackend<T>? backend = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var file = SafeTensors.Open(path);
        var config = ReadConfig(file);
        var model = new GpoModel<T>(config, backend) { Inputs = GpoInputs.FromMetadata(file.Metadata, config.DimX, file.Path) };
        LoadInto(model, file, strict: true);
        return model;
    }

    /// <summary>
    /// Copies every parameter of <paramref name="model"/> from <paramref name="file"/>, checking each
    /// shape. With <paramref name="strict"/>, a tensor the model does not have is an error too.
    /// </summary>
    public static void LoadInto<T>(GpoModel<T> model, SafeTensorsFile file, bool strict) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(file);
        foreach (var tensor in model.Parameters.Tensors)
        {
            if (!file.Contains(tensor.Name)) throw new InvalidDataException($"{file.Path}: missing tensor '{tensor.Name}'");
            var info = file[tensor.Name];
            if (!info.Shape.SequenceEqual(tensor.Shape.Select(size => (long)size)))
                throw new InvalidDataException($"{file.Path}: tensor '{tensor.Name}' has shape {info.ShapeText}, the model needs [{string.Join(", ", tensor.Shape)}]");
            var values = file.ReadFloats(tensor.Name);
            var destination = model.Parameters.Values.AsSpan(tensor.Offset, tensor.Length);
            for (int i = 0; i < values.Length; i++)
            {
                if (!float.IsFinite(values[i]))
                    throw new InvalidDataException($"{file.Path}: tensor '{tensor.Name}' holds {values[i]} at element {i}; a checkpoint must hold finite numbers (a diverged or damaged save?)");
                destination[i] = T.CreateChecked(values[i]);
            }
        }
        if (strict)
        {
            var unexpected = file.Tensors.Select(t => t.Name).Where(name => !model.Parameters.Tensors.Any(p => p.Name == name)).ToList();
            if (unexpected.Count > 0) throw new InvalidDataException($"{file.Path}: tensors the model does not have: {string.Join(", ", unexpected.Take(5))}");
        }
    }
}
