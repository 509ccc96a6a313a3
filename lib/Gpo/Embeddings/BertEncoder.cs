using System.Numerics.Tensors;
using System.Security.Cryptography;

namespace Gpo.Embeddings;

/// <summary>
/// The built-in text encoder: a BERT-family model folder (<c>config.json</c>, <c>tokenizer.json</c>, one
/// safetensors file) run on the CPU. A text's vector is the mean of the last hidden layer over its
/// tokens (<c>[CLS]</c> and <c>[SEP]</c> included), optionally L2-normalised (sentence-transformers does;
/// GPO does not). Texts are sorted by token count and packed into batches of similar length, so
/// batches waste no work on padding.
/// </summary>
public sealed class BertEncoder : ITextEncoder
{
    private readonly BertModel.Workspace workspace = new();
    private readonly Lock gate = new();
    private readonly Lazy<string> identity;

    /// <summary>Loads the model folder.</summary>
    /// <param name="folder">Holds config.json, tokenizer.json and the weights.</param>
    /// <param name="normalize">L2-normalise every vector (off for GPO).</param>
    /// <param name="maxTokens">Truncation length, [CLS] and [SEP] included (sentence-transformers uses 256).</param>
    /// <param name="batchTokens">About how many tokens one forward pass packs together.</param>
    public BertEncoder(string folder, bool normalize = false, int maxTokens = 256, int batchTokens = 4096)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"model folder '{folder}' does not exist");
        Folder = folder;
        Model = BertModel.Load(folder);
        Tokenizer = WordPieceTokenizer.Load(Path.Combine(folder, "tokenizer.json"), Math.Min(maxTokens, Model.Config.MaxPositions));
        if (Tokenizer.VocabularySize > Model.Config.VocabularySize)
            throw new InvalidDataException($"{folder}: tokenizer.json has {Tokenizer.VocabularySize} ids but the word embeddings only {Model.Config.VocabularySize} rows");
        Normalize = normalize;
        BatchTokens = Math.Max(batchTokens, Tokenizer.MaxTokens);
        identity = new Lazy<string>(ComputeIdentity);
    }

    public string Folder { get; }
    public BertModel Model { get; }
    public WordPieceTokenizer Tokenizer { get; }
    public bool Normalize { get; }
    public int BatchTokens { get; }
    public int Dimension => Model.Config.HiddenSize;

    /// <summary>
    /// Version of this implementation's numerics, part of <see cref="Identity"/>: raise it when a change to the
    /// tokenizer or forward pass changes vectors, so that caches filled by the old code are not reused.
    /// </summary>
    public const int ImplementationVersion = 1;

    /// <summary><c>bert-mean[-l2]/max{N}/v{ImplementationVersion}/sha256:{digest of config.json, tokenizer.json and the weights file}</c>.</summary>
    public string Identity => identity.Value;

    /// <summary>
    /// SHA-256 over the three model files, each entered as its name, its length and its bytes, so the
    /// key changes when any file does (and is the same for byte-identical copies of the folder).
    /// </summary>
    private string ComputeIdentity()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in new[] { Path.Combine(Folder, "config.json"), Path.Combine(Folder, "tokenizer.json"), Model.WeightsPath })
        {
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(path) + "\n" + new FileInfo(path).Length + "\n"));
            using var stream = File.OpenRead(path);
            var buffer = new byte[1 << 20];
            int read;
            while ((read = stream.Read(buffer)) > 0) hash.AppendData(buffer, 0, read);
        }
        var digest = Convert.ToHexStringLower(hash.GetHashAndReset());
        return $"bert-mean{(Normalize ? "-l2" : "")}/max{Tokenizer.MaxTokens}/v{ImplementationVersion}/sha256:{digest}";
    }

    /// <inheritdoc/>
    public float[] Embed(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var ids = new int[texts.Count][];
        Parallel.For(0, texts.Count, i => ids[i] = Tokenizer.Encode(texts[i] ?? throw new ArgumentException($"texts[{i}] is null", nameof(texts))));
        return EmbedTokenized(ids, progress, cancellationToken);
    }

    /// <summary>Vectors of already tokenized sequences ([CLS] … [SEP] each): [sequences.Count, Dimension].</summary>
    public float[] EmbedTokenized(IReadOnlyList<int[]> sequences, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        var dimension = Dimension;
        var result = new float[(long)sequences.Count * dimension];
        // Longest first, so the first batch sizes the workspace once; ties keep input order (stable sort).
        var order = Enumerable.Range(0, sequences.Count).OrderByDescending(i => sequences[i].Length).ToArray();
        var done = 0;
        lock (gate)
        {
            var position = 0;
            while (position < order.Length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batchEnd = position;
                var tokenCount = 0;
                while (batchEnd < order.Length && (batchEnd == position || tokenCount + sequences[order[batchEnd]].Length <= BatchTokens))
                    tokenCount += sequences[order[batchEnd++]].Length;
                var packed = new int[tokenCount];
                var lengths = new int[batchEnd - position];
                var offset = 0;
                for (var b = position; b < batchEnd; b++)
                {
                    var sequence = sequences[order[b]];
                    sequence.CopyTo(packed, offset);
                    offset += sequence.Length;
                    lengths[b - position] = sequence.Length;
                }
                var pooled = new float[lengths.Length * dimension];
                Model.Forward(packed, lengths, pooled, workspace);
                for (var b = position; b < batchEnd; b++)
                {
                    var vector = pooled.AsSpan((b - position) * dimension, dimension);
                    if (Normalize) L2Normalize(vector);
                    vector.CopyTo(result.AsSpan((int)((long)order[b] * dimension), dimension));
                }
                done += lengths.Length;
                progress?.Report(done);
                position = batchEnd;
            }
        }
        return result;
    }

    /// <summary>Scales <paramref name="vector"/> to unit Euclidean length (a zero vector stays zero).</summary>
    public static void L2Normalize(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0) TensorPrimitives.Multiply(vector, 1f / norm, vector);
    }
}
