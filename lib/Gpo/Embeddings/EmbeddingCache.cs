using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gpo.IO;

namespace Gpo.Embeddings;

/// <summary>
/// Embeddings computed once and kept on disk, per encoder. The folder for an encoder is
/// <c>{root}/embeddings/{first 16 hex of SHA-256(encoder identity)}/</c>; it holds <c>encoder.txt</c> (the
/// identity, for people) and chunk files <c>*.gpoemb</c>, each written atomically and never modified:
/// <code>
/// "GPOEMB01"                      8 bytes, magic and format version
/// headerLength                    int32 little-endian
/// header                          UTF-8 JSON: {"encoder", "template", "dimension", "count", "payload_sha256"}
/// textHashes [count, 32]          SHA-256 of each text's UTF-8 bytes
/// vectors    [count, dimension]   float32 little-endian
/// </code>
/// A vector is found by the SHA-256 of the exact text that was embedded. The text is what a template
/// rendered, so a different template (or an edited one) gives different texts and new vectors, and a
/// different model gives a different folder. A file whose length, header, encoder, or payload checksum
/// does not match is reported in <see cref="Problems"/>, deleted and its entries recomputed — never used.
/// Writers add whole chunks, so an interrupted run keeps every finished chunk and resumes after it.
/// </summary>
public sealed class EmbeddingCache
{
    private const string Extension = ".gpoemb";
    private static readonly byte[] Magic = "GPOEMB01"u8.ToArray();

    /// <summary>Where each cached text's vector lives: chunk vectors and the row in them.</summary>
    private readonly Dictionary<HashKey, (float[] Vectors, int Row)> entries = [];
    private readonly List<string> problems = [];
    /// <summary>Chunk files whose entries this instance holds (only these may be merged away by <see cref="Compact"/>).</summary>
    private readonly HashSet<string> knownChunks = new(StringComparer.Ordinal);

    /// <summary>Opens (and creates) the cache of one encoder, reading and checking every chunk file in it.</summary>
    public EmbeddingCache(string root, string encoderIdentity, int dimension)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        ArgumentException.ThrowIfNullOrEmpty(encoderIdentity);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        EncoderIdentity = encoderIdentity;
        Dimension = dimension;
        Folder = Path.Combine(Path.GetFullPath(root), "embeddings", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(encoderIdentity)))[..16]);
        Directory.CreateDirectory(Folder);
        var identityFile = Path.Combine(Folder, "encoder.txt");
        if (!File.Exists(identityFile)) AtomicFile.WriteAllText(identityFile, encoderIdentity + "\n");
        foreach (var path in Directory.GetFiles(Folder, "*" + Extension).Order(StringComparer.Ordinal)) LoadChunk(path);
    }

    /// <summary>Opens the cache for <paramref name="encoder"/> under <paramref name="root"/> (default: <see cref="DefaultRoot"/>).</summary>
    public static EmbeddingCache For(ITextEncoder encoder, string? root = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        return new EmbeddingCache(root ?? DefaultRoot(), encoder.Identity, encoder.Dimension);
    }

    /// <summary>The cache root: env <c>GPO_CACHE</c>, else <c>$XDG_CACHE_HOME/gpo</c>, else <c>~/.cache/gpo</c> (<see cref="Gpo.IO.CacheFolder.Root"/>).</summary>
    public static string DefaultRoot() => Gpo.IO.CacheFolder.Root();

    public string EncoderIdentity { get; }
    public int Dimension { get; }

    /// <summary>This encoder's folder of chunk files.</summary>
    public string Folder { get; }

    /// <summary>Number of distinct texts with a cached vector.</summary>
    public int Count => entries.Count;

    /// <summary>Damaged or foreign chunk files found while opening (each was deleted; its texts will be recomputed).</summary>
    public IReadOnlyList<string> Problems => problems;

    /// <summary>Copies the cached vector of <paramref name="text"/> into <paramref name="destination"/> [Dimension]; false when absent.</summary>
    public bool TryGet(string text, Span<float> destination)
    {
        if (!entries.TryGetValue(HashKey.Of(text), out var entry)) return false;
        entry.Vectors.AsSpan(entry.Row * Dimension, Dimension).CopyTo(destination);
        return true;
    }

    public bool Contains(string text) => entries.ContainsKey(HashKey.Of(text));

    /// <summary>Writes one chunk file (atomically) with these texts' vectors and makes them available.</summary>
    /// <param name="texts">The embedded texts.</param>
    /// <param name="vectors">[texts.Count, Dimension].</param>
    /// <param name="templateIdentity">The template that produced the texts (recorded in the header; not part of the lookup).</param>
    public void Add(IReadOnlyList<string> texts, ReadOnlySpan<float> vectors, string templateIdentity = "")
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (vectors.Length != texts.Count * Dimension)
            throw new ArgumentException($"{texts.Count} texts need {texts.Count * Dimension} floats, got {vectors.Length}", nameof(vectors));
        if (texts.Count == 0) return;
        var hashes = new byte[texts.Count * HashKey.Size];
        for (var i = 0; i < texts.Count; i++) SHA256.HashData(Encoding.UTF8.GetBytes(texts[i]), hashes.AsSpan(i * HashKey.Size, HashKey.Size));
        var copy = vectors.ToArray();
        WriteChunk(hashes, copy, templateIdentity);
        for (var i = 0; i < texts.Count; i++) entries[new HashKey(hashes.AsSpan(i * HashKey.Size, HashKey.Size))] = (copy, i);
    }

    /// <summary>
    /// Merges every chunk file into one (written atomically before the old ones are deleted), so that a
    /// cache filled over many interrupted runs opens quickly.
    /// </summary>
    public void Compact(string templateIdentity = "")
    {
        // Only files this instance has read or written: a chunk another process added meanwhile is left alone.
        var files = knownChunks.Where(File.Exists).ToList();
        if (files.Count <= 1) return;
        var keys = entries.Keys.ToList();
        var vectors = new float[keys.Count * Dimension];
        var hashes = new byte[keys.Count * HashKey.Size];
        for (var i = 0; i < keys.Count; i++)
        {
            keys[i].CopyTo(hashes.AsSpan(i * HashKey.Size, HashKey.Size));
            var (chunk, row) = entries[keys[i]];
            chunk.AsSpan(row * Dimension, Dimension).CopyTo(vectors.AsSpan(i * Dimension, Dimension));
        }
        var merged = WriteChunk(hashes, vectors, templateIdentity);
        foreach (var file in files.Where(f => f != merged)) File.Delete(file);
        knownChunks.Clear();
        knownChunks.Add(merged);
        for (var i = 0; i < keys.Count; i++) entries[keys[i]] = (vectors, i);
    }

    /// <summary>Writes one chunk file atomically; returns its path (named by the payload digest).</summary>
    /// <param name="hashes">[count, 32] text digests.</param>
    /// <param name="vectors">[count, Dimension].</param>
    /// <param name="templateIdentity">Recorded in the header.</param>
    private string WriteChunk(byte[] hashes, float[] vectors, string templateIdentity)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the embedding cache is written little-endian");
        var count = hashes.Length / HashKey.Size;
        var vectorBytes = MemoryMarshal.AsBytes(vectors.AsSpan()).ToArray();
        var payloadDigest = PayloadDigest(hashes, vectorBytes);
        var header = JsonSerializer.SerializeToUtf8Bytes(new ChunkHeader(EncoderIdentity, templateIdentity, Dimension, count, payloadDigest));
        var path = Path.Combine(Folder, payloadDigest[..24] + Extension);
        AtomicFile.Write(path, stream =>
        {
            stream.Write(Magic);
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, header.Length);
            stream.Write(length);
            stream.Write(header);
            stream.Write(hashes);
            stream.Write(vectorBytes);
        });
        knownChunks.Add(path);
        return path;
    }

    private sealed record ChunkHeader(
        [property: JsonPropertyName("encoder")] string Encoder,
        [property: JsonPropertyName("template")] string Template,
        [property: JsonPropertyName("dimension")] int Dimension,
        [property: JsonPropertyName("count")] int Count,
        [property: JsonPropertyName("payload_sha256")] string PayloadSha256);

    private static string PayloadDigest(byte[] hashes, byte[] vectorBytes)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(hashes);
        hash.AppendData(vectorBytes);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Reads and checks one chunk file; a bad one is recorded in <see cref="Problems"/> and deleted.</summary>
    private void LoadChunk(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length < Magic.Length + 4 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
                throw new InvalidDataException("not a gpo embedding chunk (bad magic or too short)");
            var headerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(Magic.Length, 4));
            var headerStart = Magic.Length + 4;
            if (headerLength <= 0 || headerLength > bytes.Length - headerStart) throw new InvalidDataException($"header length {headerLength} runs past the end of the file");
            ChunkHeader header;
            try { header = JsonSerializer.Deserialize<ChunkHeader>(bytes.AsSpan(headerStart, headerLength)) ?? throw new InvalidDataException("empty header"); }
            catch (JsonException e) { throw new InvalidDataException($"header is not valid JSON ({e.Message})", e); }
            if (header.Encoder != EncoderIdentity) throw new InvalidDataException($"written by encoder '{header.Encoder}', this folder is for '{EncoderIdentity}'");
            if (header.Dimension != Dimension) throw new InvalidDataException($"dimension {header.Dimension}, expected {Dimension}");
            if (header.Count < 0) throw new InvalidDataException($"negative count {header.Count}");
            var hashesStart = headerStart + headerLength;
            var vectorsStart = hashesStart + (long)header.Count * HashKey.Size;
            var expectedLength = vectorsStart + (long)header.Count * Dimension * sizeof(float);
            if (bytes.Length != expectedLength) throw new InvalidDataException($"{bytes.Length} bytes, the header implies {expectedLength} (truncated or padded)");
            var hashes = bytes.AsSpan(hashesStart, header.Count * HashKey.Size).ToArray();
            var vectorBytes = bytes.AsSpan((int)vectorsStart).ToArray();
            if (PayloadDigest(hashes, vectorBytes) != header.PayloadSha256) throw new InvalidDataException("payload checksum does not match the header (corrupted)");
            var vectors = MemoryMarshal.Cast<byte, float>(vectorBytes).ToArray();
            var bad = Array.FindIndex(vectors, v => !float.IsFinite(v));
            if (bad >= 0)
                throw new InvalidDataException($"vector {bad / Math.Max(1, Dimension)} holds {vectors[bad]} (not finite) although the checksum matches (written so, or forged)");
            for (var i = 0; i < header.Count; i++) entries[new HashKey(hashes.AsSpan(i * HashKey.Size, HashKey.Size))] = (vectors, i);
            knownChunks.Add(path);
        }
        catch (InvalidDataException e)
        {
            problems.Add($"{path}: {e.Message}; deleted, its texts will be recomputed");
            File.Delete(path);
        }
    }

    /// <summary>A SHA-256 digest as a dictionary key.</summary>
    private readonly struct HashKey : IEquatable<HashKey>
    {
        public const int Size = 32;
        private readonly ulong a, b, c, d;

        public HashKey(ReadOnlySpan<byte> digest)
        {
            a = BinaryPrimitives.ReadUInt64LittleEndian(digest);
            b = BinaryPrimitives.ReadUInt64LittleEndian(digest[8..]);
            c = BinaryPrimitives.ReadUInt64LittleEndian(digest[16..]);
            d = BinaryPrimitives.ReadUInt64LittleEndian(digest[24..]);
        }

        public static HashKey Of(string text)
        {
            Span<byte> digest = stackalloc byte[Size];
            SHA256.HashData(Encoding.UTF8.GetBytes(text), digest);
            return new HashKey(digest);
        }

        public void CopyTo(Span<byte> destination)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination, a);
            BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], b);
            BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], c);
            BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], d);
        }

        public bool Equals(HashKey other) => a == other.a && b == other.b && c == other.c && d == other.d;
        public override bool Equals(object? obj) => obj is HashKey other && Equals(other);
        public override int GetHashCode() => (int)a;
    }
}
