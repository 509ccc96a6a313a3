using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace Gpo.IO;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">The tensor's name, e.g. <c>encoder.layers.0.norm1.weight</c>.</param>
/// <param name="DType">The stored element type as written in the header: F32, F16, BF16, F64, I64, ...</param>
/// <param name="Shape">Dimensions, outermost first; empty for a scalar.</param>
/// <param name="Begin">Byte offset of the first element, relative to the start of the data section.</param>
/// <param name="End">Byte offset one past the last element, relative to the start of the data section.</param>
public sealed record SafeTensorInfo(string Name, string DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    /// <summary>Product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (product, dimension) => product * dimension);

    /// <summary>The shape written like <c>[384, 128]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}

/// <summary>
/// The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header mapping
/// each tensor name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (offsets relative to the
/// data section) plus an optional <c>"__metadata__"</c> string map, then the raw little-endian data.
/// <see cref="Open"/> reads and fully validates a file; <see cref="Write"/> writes float32 tensors atomically.
/// </summary>
public static class SafeTensors
{
    private static readonly Dictionary<string, int> ElementBytes = new(StringComparer.Ordinal)
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1,
        ["U64"] = 8, ["U32"] = 4, ["U16"] = 2, ["U8"] = 1, ["BOOL"] = 1, ["F8_E4M3"] = 1, ["F8_E5M2"] = 1,
    };

    /// <summary>Opens <paramref name="path"/> and validates its header; throws <see cref="InvalidDataException"/> naming the file (and tensor) on any inconsistency.</summary>
    public static SafeTensorsFile Open(string path) => SafeTensorsFile.OpenValidated(path);

    /// <summary>
    /// Writes float32 tensors, in the given order, to <paramref name="path"/> atomically (temporary file in
    /// the same folder, then rename). <paramref name="metadata"/> becomes the header's <c>__metadata__</c>.
    /// </summary>
    public static void Write(string path, IEnumerable<(string Name, IReadOnlyList<long> Shape, ReadOnlyMemory<float> Data)> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        using var headerStream = new MemoryStream();
        using (var json = new Utf8JsonWriter(headerStream))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, shape, data) in list)
            {
                if (name == "__metadata__" || !names.Add(name)) throw new ArgumentException($"safetensors: tensor name '{name}' is reserved or repeated");
                long count = shape.Aggregate(1L, (product, dimension) => product * dimension);
                if (shape.Any(dimension => dimension < 0) || count != data.Length)
                    throw new ArgumentException($"safetensors: tensor '{name}' has shape [{string.Join(", ", shape)}] but {data.Length} values");
                json.WriteStartObject(name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (var dimension in shape) json.WriteNumberValue(dimension);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + count * sizeof(float));
                json.WriteEndArray();
                json.WriteEndObject();
                offset += count * sizeof(float);
            }
            json.WriteEndObject();
        }
        // Pad the header with spaces to a multiple of 8 bytes so the data section stays aligned.
        var header = headerStream.ToArray();
        int padded = (header.Length + 7) / 8 * 8;
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(header);
            for (int i = header.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var (_, _, data) in list)
            {
                if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors: big-endian hosts are not supported");
                stream.Write(MemoryMarshal.AsBytes(data.Span));
            }
        });
    }

    internal static int BytesPerElement(string dtype) => ElementBytes.TryGetValue(dtype, out var size) ? size : 0;
}

/// <summary>An open, validated safetensors file. Tensors are read on demand; dispose to close the file.</summary>
public sealed class SafeTensorsFile : IDisposable
{
    private readonly SafeFileHandle handle;
    private readonly long dataStart;
    private readonly Dictionary<string, SafeTensorInfo> byName;

    private SafeTensorsFile(string path, SafeFileHandle handle, long dataStart, List<SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        this.handle = handle;
        this.dataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
        byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file this was opened from.</summary>
    public string Path { get; }

    /// <summary>Every tensor, in data order.</summary>
    public IReadOnlyList<SafeTensorInfo> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Whether a tensor of this name exists.</summary>
    public bool Contains(string name) => byName.ContainsKey(name);

    /// <summary>The entry of tensor <paramref name="name"/>; throws naming the file when absent.</summary>
    public SafeTensorInfo this[string name] =>
        byName.TryGetValue(name, out var info) ? info : throw new KeyNotFoundException($"{Path}: no tensor '{name}'");

    /// <summary>Reads tensor <paramref name="name"/> (F32, F16, BF16 or F64) converted to float32, row-major.</summary>
    public float[] ReadFloats(string name)
    {
        var (info, bytes) = ReadBytes(name);
        var values = new float[info.ElementCount];
        switch (info.DType)
        {
            case "F32":
                MemoryMarshal.Cast<byte, float>(bytes).CopyTo(values);
                break;
            case "F16":
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(bytes), values);
                break;
            case "BF16":
                var raw = MemoryMarshal.Cast<byte, ushort>(bytes);
                for (int i = 0; i < values.Length; i++) values[i] = BitConverter.Int32BitsToSingle(raw[i] << 16);
                break;
            case "F64":
                var doubles = MemoryMarshal.Cast<byte, double>(bytes);
                for (int i = 0; i < values.Length; i++) values[i] = (float)doubles[i];
                break;
            default:
                throw new InvalidDataException($"{Path}: tensor '{name}' has dtype {info.DType}; only F32, F16, BF16 and F64 read as numbers");
        }
        return values;
    }

    /// <summary>Reads tensor <paramref name="name"/> as float64 (F64 exactly; F32/F16/BF16 widened).</summary>
    public double[] ReadDoubles(string name)
    {
        if (this[name].DType != "F64") return Array.ConvertAll(ReadFloats(name), value => (double)value);
        var (_, bytes) = ReadBytes(name);
        return MemoryMarshal.Cast<byte, double>(bytes).ToArray();
    }

    private (SafeTensorInfo Info, byte[] Bytes) ReadBytes(string name)
    {
        var info = this[name];
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("safetensors: big-endian hosts are not supported");
        var bytes = new byte[info.End - info.Begin];
        int read = 0;
        while (read < bytes.Length)
        {
            int got = RandomAccess.Read(handle, bytes.AsSpan(read), dataStart + info.Begin + read);
            if (got <= 0) throw new InvalidDataException($"{Path}: tensor '{name}': file ended while reading its data");
            read += got;
        }
        return (info, bytes);
    }

    public void Dispose() => handle.Dispose();

    internal static SafeTensorsFile OpenValidated(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            var (dataStart, tensors, metadata) = ReadHeader(path, handle);
            return new SafeTensorsFile(path, handle, dataStart, tensors, metadata);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static (long DataStart, List<SafeTensorInfo> Tensors, Dictionary<string, string> Metadata) ReadHeader(string path, SafeFileHandle handle)
    {
        long fileLength = RandomAccess.GetLength(handle);
        Span<byte> lengthBytes = stackalloc byte[8];
        if (fileLength < 8 || RandomAccess.Read(handle, lengthBytes, 0) != 8)
            throw new InvalidDataException($"{path}: not a safetensors file: {fileLength} bytes, shorter than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > 100_000_000UL || (long)headerLength > fileLength - 8)
            throw new InvalidDataException($"{path}: header length {headerLength} exceeds the file ({fileLength} bytes) or the 100 MB limit");
        var header = new byte[headerLength];
        int read = 0;
        while (read < header.Length)
        {
            int got = RandomAccess.Read(handle, header.AsSpan(read), 8 + read);
            if (got <= 0) throw new InvalidDataException($"{path}: file ended inside the header");
            read += got;
        }
        long dataStart = 8 + (long)headerLength;
        long dataLength = fileLength - dataStart;

        JsonDocument document;
        try { document = JsonDocument.Parse(header); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: header is not well-formed JSON: {e.Message}", e); }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: header must be a JSON object");
            var tensors = new List<SafeTensorInfo>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name)) throw new InvalidDataException($"{path}: header names '{property.Name}' twice");
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: __metadata__ must be an object of strings");
                    foreach (var entry in property.Value.EnumerateObject())
                    {
                        if (entry.Value.ValueKind != JsonValueKind.String) throw new InvalidDataException($"{path}: __metadata__.{entry.Name} must be a string");
                        metadata[entry.Name] = entry.Value.GetString()!;
                    }
                    continue;
                }
                tensors.Add(ParseEntry(path, property, dataLength));
            }
            tensors.Sort((x, y) => x.Begin.CompareTo(y.Begin));
            for (int i = 1; i < tensors.Count; i++)
                if (tensors[i].Begin < tensors[i - 1].End)
                    throw new InvalidDataException($"{path}: tensor '{tensors[i].Name}' overlaps tensor '{tensors[i - 1].Name}' in the data section");
            return (dataStart, tensors, metadata);
        }
    }

    private static SafeTensorInfo ParseEntry(string path, JsonProperty property, long dataLength)
    {
        string name = property.Name;
        string where = $"{path}: tensor '{name}'";
        var entry = property.Value;
        if (entry.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{where}: entry must be an object");
        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{where}: missing string 'dtype'");
        string dtype = dtypeElement.GetString()!;
        int elementBytes = SafeTensors.BytesPerElement(dtype);
        if (elementBytes == 0) throw new InvalidDataException($"{where}: unknown dtype '{dtype}'");
        if (!entry.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{where}: missing array 'shape'");
        var shape = new List<long>();
        long count = 1;
        foreach (var dimension in shapeElement.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out var size) || size < 0)
                throw new InvalidDataException($"{where}: shape entries must be non-negative integers");
            shape.Add(size);
            count = size == 0 || count <= long.MaxValue / size ? count * size : throw new InvalidDataException($"{where}: shape overflows");
        }
        if (!entry.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw new InvalidDataException($"{where}: 'data_offsets' must be [begin, end]");
        if (offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
            || !offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end))
            throw new InvalidDataException($"{where}: 'data_offsets' must be integers");
        if (begin < 0 || end < begin || end > dataLength)
            throw new InvalidDataException($"{where}: data_offsets [{begin}, {end}] lie outside the data section ({dataLength} bytes)");
        if (count > long.MaxValue / elementBytes || end - begin != count * elementBytes)
            throw new InvalidDataException($"{where}: data_offsets span {end - begin} bytes but shape [{string.Join(", ", shape)}] × {dtype} needs {count * elementBytes}");
        if (count > Array.MaxLength) throw new InvalidDataException($"{where}: {count} elements exceed one array");
        return new SafeTensorInfo(name, dtype, shape, begin, end);
    }
}
