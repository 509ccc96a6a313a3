using System.Numerics.Tensors;
using Gpo.Engine;
using Gpo.IO;

namespace Gpo.Embeddings;

/// <summary>
/// A post-LayerNorm BERT encoder (Hugging Face <c>BertModel</c> weights, fp32 compute) that turns token-id
/// sequences into mean-pooled vectors. Sequences are <b>packed</b>, not padded: the tokens of a batch
/// are the rows of one matrix [tokenCount, hidden], so every projection is one GEMM over all of them,
/// and attention runs per (sequence, head) on that sequence's rows only. No padding exists, so no
/// padding can change a result.
/// <code>
/// h = LN(word[id] + position[i] + type[0])
/// per layer: q,k,v = h·Wqkvᵀ + b;  ctx = softmax(q·kᵀ/√headSize)·v per head;  h = LN(h + ctx·Woᵀ + bo)
///            h = LN(h + GELU(h·W1ᵀ + b1)·W2ᵀ + b2)
/// pooled = mean of h over each sequence's tokens ([CLS] and [SEP] included)
/// </code>
/// </summary>
public sealed class BertModel
{
    /// <summary>One encoder layer's weights; Linear weights are [out, in].</summary>
    private sealed class Layer
    {
        /// <summary>[3·hidden, hidden]: the query, key and value projections stacked in that order.</summary>
        public required float[] QkvWeight;
        /// <summary>[3·hidden].</summary>
        public required float[] QkvBias;
        /// <summary>[hidden, hidden].</summary>
        public required float[] AttentionOutWeight;
        public required float[] AttentionOutBias;
        public required float[] AttentionNormGamma;
        public required float[] AttentionNormBeta;
        /// <summary>[intermediate, hidden].</summary>
        public required float[] FeedForwardInWeight;
        public required float[] FeedForwardInBias;
        /// <summary>[hidden, intermediate].</summary>
        public required float[] FeedForwardOutWeight;
        public required float[] FeedForwardOutBias;
        public required float[] OutputNormGamma;
        public required float[] OutputNormBeta;
    }

    /// <summary>[vocabulary, hidden].</summary>
    private readonly float[] wordEmbeddings;
    /// <summary>[maxPositions, hidden].</summary>
    private readonly float[] positionEmbeddings;
    /// <summary>[hidden]: token type 0, the only type single sentences use.</summary>
    private readonly float[] tokenTypeEmbedding;
    private readonly float[] embeddingNormGamma;
    private readonly float[] embeddingNormBeta;
    private readonly Layer[] layers;
    private readonly float layerNormEps;

    public BertConfig Config { get; }

    /// <summary>The weights file this model was read from.</summary>
    public string WeightsPath { get; }

    private BertModel(BertConfig config, string weightsPath, float[] wordEmbeddings, float[] positionEmbeddings, float[] tokenTypeEmbedding,
        float[] embeddingNormGamma, float[] embeddingNormBeta, Layer[] layers)
    {
        Config = config;
        WeightsPath = weightsPath;
        this.wordEmbeddings = wordEmbeddings;
        this.positionEmbeddings = positionEmbeddings;
        this.tokenTypeEmbedding = tokenTypeEmbedding;
        this.embeddingNormGamma = embeddingNormGamma;
        this.embeddingNormBeta = embeddingNormBeta;
        this.layers = layers;
        layerNormEps = (float)config.LayerNormEps;
    }

    /// <summary>
    /// The weights file of a model folder: <c>model.safetensors</c>, else <c>model.fp16.safetensors</c>,
    /// else the folder's only <c>*.safetensors</c> file.
    /// </summary>
    public static string FindWeightsFile(string folder)
    {
        foreach (var name in new[] { "model.safetensors", "model.fp16.safetensors" })
        {
            var path = Path.Combine(folder, name);
            if (File.Exists(path)) return path;
        }
        var candidates = Directory.Exists(folder) ? Directory.GetFiles(folder, "*.safetensors") : [];
        return candidates.Length switch
        {
            1 => candidates[0],
            0 => throw new FileNotFoundException($"{folder}: no model.safetensors, model.fp16.safetensors or other *.safetensors file"),
            _ => throw new InvalidDataException($"{folder}: several *.safetensors files and none is named model.safetensors or model.fp16.safetensors"),
        };
    }

    /// <summary>Loads <c>config.json</c> and the weights (F32, F16 or BF16; names with or without a <c>bert.</c> prefix) of a BERT folder.</summary>
    public static BertModel Load(string folder)
    {
        var config = BertConfig.Load(Path.Combine(folder, "config.json"));
        var weightsPath = FindWeightsFile(folder);
        using var file = SafeTensors.Open(weightsPath);
        var prefix = file.Contains("embeddings.word_embeddings.weight") ? "" : file.Contains("bert.embeddings.word_embeddings.weight") ? "bert." : null;
        if (prefix is null) throw new InvalidDataException($"{weightsPath}: no tensor 'embeddings.word_embeddings.weight' (is this a BERT model?)");
        int hidden = config.HiddenSize, intermediate = config.IntermediateSize;

        float[] Read(string name, params long[] shape)
        {
            var fullName = prefix + name;
            if (!file.Contains(fullName)) throw new InvalidDataException($"{weightsPath}: tensor '{fullName}' is missing");
            var info = file[fullName];
            if (!info.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"{weightsPath}: tensor '{fullName}' has shape {info.ShapeText}, config.json implies [{string.Join(", ", shape)}]");
            return file.ReadFloats(fullName);
        }

        var word = file[prefix + "embeddings.word_embeddings.weight"];
        if (word.Shape.Count != 2 || word.Shape[1] != hidden)
            throw new InvalidDataException($"{weightsPath}: embeddings.word_embeddings.weight has shape {word.ShapeText}, expected [vocabulary, {hidden}]");
        var wordEmbeddings = Read("embeddings.word_embeddings.weight", word.Shape[0], hidden);
        var positions = Read("embeddings.position_embeddings.weight", config.MaxPositions, hidden);
        var types = file[prefix + "embeddings.token_type_embeddings.weight"];
        var typeEmbeddings = Read("embeddings.token_type_embeddings.weight", types.Shape[0], hidden);
        var layers = new Layer[config.LayerCount];
        for (var i = 0; i < layers.Length; i++)
        {
            var p = $"encoder.layer.{i}.";
            layers[i] = new Layer
            {
                QkvWeight = [.. Read(p + "attention.self.query.weight", hidden, hidden), .. Read(p + "attention.self.key.weight", hidden, hidden),
                    .. Read(p + "attention.self.value.weight", hidden, hidden)],
                QkvBias = [.. Read(p + "attention.self.query.bias", hidden), .. Read(p + "attention.self.key.bias", hidden),
                    .. Read(p + "attention.self.value.bias", hidden)],
                AttentionOutWeight = Read(p + "attention.output.dense.weight", hidden, hidden),
                AttentionOutBias = Read(p + "attention.output.dense.bias", hidden),
                AttentionNormGamma = Read(p + "attention.output.LayerNorm.weight", hidden),
                AttentionNormBeta = Read(p + "attention.output.LayerNorm.bias", hidden),
                FeedForwardInWeight = Read(p + "intermediate.dense.weight", intermediate, hidden),
                FeedForwardInBias = Read(p + "intermediate.dense.bias", intermediate),
                FeedForwardOutWeight = Read(p + "output.dense.weight", hidden, intermediate),
                FeedForwardOutBias = Read(p + "output.dense.bias", hidden),
                OutputNormGamma = Read(p + "output.LayerNorm.weight", hidden),
                OutputNormBeta = Read(p + "output.LayerNorm.bias", hidden),
            };
        }
        return new BertModel(config with { VocabularySize = (int)word.Shape[0] }, weightsPath, wordEmbeddings, positions,
            typeEmbeddings.AsSpan(0, hidden).ToArray(), Read("embeddings.LayerNorm.weight", hidden), Read("embeddings.LayerNorm.bias", hidden), layers);
    }

    /// <summary>Buffers for one packed batch, reused across calls; grows when a larger batch comes.</summary>
    public sealed class Workspace
    {
        internal float[] Hidden = [];
        internal float[] Qkv = [];
        internal float[] Context = [];
        internal float[] Projected = [];
        internal float[] Intermediate = [];
        /// <summary>Per worker: [maxLength, maxLength] attention scores.</summary>
        internal float[][] Scores = [];

        internal void Ensure(BertConfig config, int tokenCount, int maxLength, int workerCount)
        {
            static void Grow(ref float[] buffer, long size)
            {
                if (buffer.Length < size) buffer = new float[size];
            }
            Grow(ref Hidden, (long)tokenCount * config.HiddenSize);
            Grow(ref Qkv, (long)tokenCount * 3 * config.HiddenSize);
            Grow(ref Context, (long)tokenCount * config.HiddenSize);
            Grow(ref Projected, (long)tokenCount * config.HiddenSize);
            Grow(ref Intermediate, (long)tokenCount * config.IntermediateSize);
            if (Scores.Length < workerCount || Scores[0].Length < maxLength * maxLength)
                Scores = Enumerable.Range(0, workerCount).Select(_ => new float[maxLength * maxLength]).ToArray();
        }
    }

    /// <summary>
    /// Runs the encoder on packed sequences and writes each sequence's mean-pooled last hidden state.
    /// </summary>
    /// <param name="tokenIds">[tokenCount]: the sequences' ids one after another.</param>
    /// <param name="sequenceLengths">[sequenceCount]: their lengths (each 1..MaxPositions), summing to tokenCount.</param>
    /// <param name="pooled">[sequenceCount, hidden]: the mean over each sequence's tokens of the last layer.</param>
    /// <param name="workspace">Buffers to reuse between calls (one per concurrent caller).</param>
    public void Forward(ReadOnlySpan<int> tokenIds, ReadOnlySpan<int> sequenceLengths, Span<float> pooled, Workspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        int hidden = Config.HiddenSize, tokenCount = tokenIds.Length, maxLength = 0, total = 0;
        foreach (var length in sequenceLengths)
        {
            if (length < 1 || length > Config.MaxPositions)
                throw new ArgumentException($"sequence length {length} is outside 1..{Config.MaxPositions}", nameof(sequenceLengths));
            maxLength = Math.Max(maxLength, length);
            total += length;
        }
        if (total != tokenCount) throw new ArgumentException($"sequence lengths sum to {total}, but there are {tokenCount} token ids", nameof(sequenceLengths));
        if (pooled.Length != sequenceLengths.Length * hidden) throw new ArgumentException($"pooled holds {pooled.Length} floats, needs {sequenceLengths.Length * hidden}", nameof(pooled));
        var workerCount = Math.Max(1, Environment.ProcessorCount);
        workspace.Ensure(Config, tokenCount, maxLength, workerCount);
        var sequenceStarts = new int[sequenceLengths.Length + 1];
        for (var s = 0; s < sequenceLengths.Length; s++) sequenceStarts[s + 1] = sequenceStarts[s] + sequenceLengths[s];

        var h = workspace.Hidden.AsSpan(0, tokenCount * hidden);
        Embed(tokenIds, sequenceStarts, h);
        foreach (var layer in layers) ForwardLayer(layer, tokenCount, sequenceStarts, workspace, workerCount);
        MeanPool(workspace.Hidden, sequenceStarts, pooled);
    }

    /// <summary>h[t] = LN(word[id_t] + position[t − start of its sequence] + type[0]); h is [tokenCount, hidden].</summary>
    private void Embed(ReadOnlySpan<int> tokenIds, int[] sequenceStarts, Span<float> h)
    {
        var hidden = Config.HiddenSize;
        for (var s = 0; s + 1 < sequenceStarts.Length; s++)
        {
            for (var t = sequenceStarts[s]; t < sequenceStarts[s + 1]; t++)
            {
                var id = tokenIds[t];
                if ((uint)id >= (uint)Config.VocabularySize) throw new ArgumentException($"token id {id} is outside the vocabulary (0..{Config.VocabularySize - 1})", nameof(tokenIds));
                var row = h.Slice(t * hidden, hidden);
                TensorPrimitives.Add(wordEmbeddings.AsSpan(id * hidden, hidden), positionEmbeddings.AsSpan((t - sequenceStarts[s]) * hidden, hidden), row);
                TensorPrimitives.Add(row, tokenTypeEmbedding, row);
                RowKernels.LayerNorm<float>(row, embeddingNormGamma, embeddingNormBeta, row, 1, hidden, layerNormEps);
            }
        }
    }

    private void ForwardLayer(Layer layer, int tokenCount, int[] sequenceStarts, Workspace workspace, int workerCount)
    {
        int hidden = Config.HiddenSize, intermediate = Config.IntermediateSize;
        var h = workspace.Hidden.AsSpan(0, tokenCount * hidden);
        var qkv = workspace.Qkv.AsSpan(0, tokenCount * 3 * hidden);
        var projected = workspace.Projected.AsSpan(0, tokenCount * hidden);
        var ffn = workspace.Intermediate.AsSpan(0, tokenCount * intermediate);

        // q, k, v for all tokens at once: [T, 3·hidden].
        Gemm.MatMulTransB(h, layer.QkvWeight, qkv, tokenCount, 3 * hidden, hidden);
        RowKernels.AddBias(qkv, layer.QkvBias, tokenCount, 3 * hidden, relu: false);
        Attention(sequenceStarts, workspace, workerCount);

        // h = LN(h + ctx·Woᵀ + bo)
        Gemm.MatMulTransB(workspace.Context.AsSpan(0, tokenCount * hidden), layer.AttentionOutWeight, projected, tokenCount, hidden, hidden);
        AddBiasResidualNorm(h, projected, layer.AttentionOutBias, layer.AttentionNormGamma, layer.AttentionNormBeta);

        // h = LN(h + GELU(h·W1ᵀ + b1)·W2ᵀ + b2)
        Gemm.MatMulTransB(h, layer.FeedForwardInWeight, ffn, tokenCount, intermediate, hidden);
        var ffnBuffer = workspace.Intermediate;
        var bias = layer.FeedForwardInBias;
        ParallelRows(tokenCount, workerCount, (first, end) =>
        {
            for (var t = first; t < end; t++)
            {
                var row = ffnBuffer.AsSpan(t * intermediate, intermediate);
                TensorPrimitives.Add(row, bias, row);
                Gelu.InPlace(row);
            }
        });
        Gemm.MatMulTransB(ffn, layer.FeedForwardOutWeight, projected, tokenCount, hidden, intermediate);
        AddBiasResidualNorm(h, projected, layer.FeedForwardOutBias, layer.OutputNormGamma, layer.OutputNormBeta);
    }

    /// <summary>
    /// Multi-head self-attention within each sequence: for sequence s and head j, with Q, K, V the
    /// head's [L, headSize] column slices of qkv, ctx = softmax(Q·Kᵀ/√headSize)·V written into the
    /// head's columns of Context [T, hidden]. (sequence, head) pairs are spread over the workers.
    /// </summary>
    private void Attention(int[] sequenceStarts, Workspace workspace, int workerCount)
    {
        int hidden = Config.HiddenSize, headSize = Config.HeadSize, heads = Config.HeadCount, stride = 3 * hidden;
        var sequenceCount = sequenceStarts.Length - 1;
        var pairCount = sequenceCount * heads;
        var scale = 1f / MathF.Sqrt(headSize);
        var qkv = workspace.Qkv;
        var context = workspace.Context;
        var workers = Math.Min(workerCount, pairCount);

        void Work(int worker)
        {
            var scores = workspace.Scores[worker];
            for (var pair = worker; pair < pairCount; pair += workers)
            {
                int s = pair / heads, head = pair % heads, start = sequenceStarts[s], length = sequenceStarts[s + 1] - start;
                var q = qkv.AsSpan(start * stride + head * headSize);
                var k = qkv.AsSpan(start * stride + hidden + head * headSize);
                var v = qkv.AsSpan(start * stride + 2 * hidden + head * headSize);
                var block = scores.AsSpan(0, length * length);
                // scores[L, L] = Q·Kᵀ
                Gemm.Multiply(q, stride, false, k, stride, true, block, length, length, length, headSize, accumulate: false, parallel: false);
                RowKernels.Softmax(block, length, length, length, scale);
                // ctx[L, headSize] = P·V, into the head's columns of Context.
                Gemm.Multiply(block, length, false, v, stride, false, context.AsSpan(start * hidden + head * headSize), hidden,
                    length, headSize, length, accumulate: false, parallel: false);
            }
        }

        if (workers <= 1) Work(0);
        else Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, Work);
    }

    /// <summary>h = LN(h + x + bias), row by row; h and x are [T, hidden].</summary>
    private void AddBiasResidualNorm(Span<float> h, Span<float> x, float[] bias, float[] gamma, float[] beta)
    {
        var hidden = Config.HiddenSize;
        for (var t = 0; t < h.Length / hidden; t++)
        {
            var row = h.Slice(t * hidden, hidden);
            TensorPrimitives.Add(row, x.Slice(t * hidden, hidden), row);
            TensorPrimitives.Add(row, bias, row);
            RowKernels.LayerNorm<float>(row, gamma, beta, row, 1, hidden, layerNormEps);
        }
    }

    /// <summary>pooled[s] = mean over t in sequence s of h[t]; h is [T, hidden], pooled [S, hidden].</summary>
    private void MeanPool(float[] h, int[] sequenceStarts, Span<float> pooled)
    {
        var hidden = Config.HiddenSize;
        for (var s = 0; s + 1 < sequenceStarts.Length; s++)
        {
            var sum = pooled.Slice(s * hidden, hidden);
            sum.Clear();
            for (var t = sequenceStarts[s]; t < sequenceStarts[s + 1]; t++) TensorPrimitives.Add(sum, h.AsSpan(t * hidden, hidden), sum);
            TensorPrimitives.Multiply(sum, 1f / (sequenceStarts[s + 1] - sequenceStarts[s]), sum);
        }
    }

    /// <summary>Runs <paramref name="body"/>(first, end) over row ranges split evenly among the workers.</summary>
    private static void ParallelRows(int rowCount, int workerCount, Action<int, int> body)
    {
        var workers = Math.Min(workerCount, Math.Max(1, rowCount / 16));
        if (workers <= 1) { body(0, rowCount); return; }
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers },
            w => body((int)((long)rowCount * w / workers), (int)((long)rowCount * (w + 1) / workers)));
    }
}
