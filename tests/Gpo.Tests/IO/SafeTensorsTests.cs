using System.Buffers.Binary;
using System.Text;
using Gpo.IO;

namespace Gpo.Tests.IO;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("gpo-safetensors-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    /// <summary>A hand-made file: 8-byte length, the header text as given, then the data bytes.</summary>
    private string HandMade(string header, byte[] data, string name = "hand.safetensors", long? claimedHeaderLength = null)
    {
        var headerBytes = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + headerBytes.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(claimedHeaderLength ?? headerBytes.Length));
        headerBytes.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + headerBytes.Length);
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void Written_tensors_and_metadata_read_back_exactly()
    {
        var path = Path.Combine(folder, "w.safetensors");
        var weight = new float[] { 1.5f, -2f, 3.25f, 0f, 1e-30f, float.MaxValue };
        SafeTensors.Write(path, [("layer.weight", [2, 3], weight), ("layer.bias", [2], new float[] { 7f, -8f }), ("scalar", [], new float[] { 42f })],
            new Dictionary<string, string> { ["heads"] = "4" });
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
        Assert.Equal(0, (new FileInfo(path).Length - 8 - (long)BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path))) % 4);
        using var file = SafeTensors.Open(path);
        Assert.Equal(["layer.weight", "layer.bias", "scalar"], file.Tensors.Select(t => t.Name));
        Assert.Equal([2L, 3L], file["layer.weight"].Shape);
        Assert.Equal("F32", file["layer.bias"].DType);
        Assert.Equal(weight, file.ReadFloats("layer.weight"));
        Assert.Equal([7f, -8f], file.ReadFloats("layer.bias"));
        Assert.Equal([42f], file.ReadFloats("scalar"));
        Assert.Equal("4", file.Metadata["heads"]);
        var missing = Assert.Throws<KeyNotFoundException>(() => file.ReadFloats("nope"));
        Assert.Contains("nope", missing.Message);
    }

    [Fact]
    public void Half_and_bfloat16_convert_to_float()
    {
        // F16 1.0 = 0x3C00, -2.0 = 0xC000; BF16 1.0 = 0x3F80, 0.5 = 0x3F00 (little-endian bytes).
        var data = new byte[] { 0x00, 0x3C, 0x00, 0xC0, 0x80, 0x3F, 0x00, 0x3F };
        var path = HandMade("""{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1,2],"data_offsets":[4,8]}}""", data);
        using var file = SafeTensors.Open(path);
        Assert.Equal([1f, -2f], file.ReadFloats("h"));
        Assert.Equal([1f, 0.5f], file.ReadFloats("b"));
        Assert.Empty(file.Metadata);
    }

    public static TheoryData<string, string> Malformed => new()
    {
        { """{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]""", "JSON" },
        { """{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", "'t'" },
        { """{"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", "outside the data section" },
        { """{"t":{"dtype":"Q4","shape":[2],"data_offsets":[0,8]}}""", "unknown dtype" },
        { """{"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", "non-negative" },
        { """{"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", "outside" },
        { """{"t":{"shape":[2],"data_offsets":[0,8]}}""", "dtype" },
        { """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", "overlaps" },
        { """{"__metadata__":{"x":1}}""", "__metadata__" },
        { """[1,2]""", "object" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_headers_are_rejected_naming_the_file(string header, string expectedFragment)
    {
        var path = HandMade(header, new byte[8]);
        var error = Assert.Throws<InvalidDataException>(() => SafeTensors.Open(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(expectedFragment, error.Message);
    }

    [Fact]
    public void Truncated_files_are_rejected()
    {
        var path = Path.Combine(folder, "t.safetensors");
        SafeTensors.Write(path, [("w", [4], new float[] { 1, 2, 3, 4 })]);
        var bytes = File.ReadAllBytes(path);
        var cut = Path.Combine(folder, "cut.safetensors");
        File.WriteAllBytes(cut, bytes[..^4]);
        Assert.Contains("outside the data section", Assert.Throws<InvalidDataException>(() => SafeTensors.Open(cut)).Message);
        File.WriteAllBytes(cut, bytes[..5]);
        Assert.Contains("shorter than", Assert.Throws<InvalidDataException>(() => SafeTensors.Open(cut)).Message);
        File.WriteAllBytes(cut, bytes[..20]);
        Assert.Contains("header length", Assert.Throws<InvalidDataException>(() => SafeTensors.Open(cut)).Message);
        var lying = HandMade("{}", [], "lying.safetensors", claimedHeaderLength: 1L << 40);
        Assert.Contains("header length", Assert.Throws<InvalidDataException>(() => SafeTensors.Open(lying)).Message);
    }

    [Fact]
    public void Writer_rejects_shape_and_data_mismatch()
    {
        var path = Path.Combine(folder, "bad.safetensors");
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [("w", [3], new float[] { 1, 2 })]));
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [("w", [1], new float[] { 1 }), ("w", [1], new float[] { 2 })]));
        Assert.False(File.Exists(path));
    }
}
