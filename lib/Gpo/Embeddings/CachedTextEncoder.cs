namespace Gpo.Embeddings;

/// <summary>
/// An encoder in front of an <see cref="EmbeddingCache"/>: texts with a cached vector are read back,
/// the others are embedded in chunks of <see cref="ChunkSize"/> distinct texts, and each finished chunk
/// is written to the cache at once, so an interrupted run loses at most one chunk of work.
/// </summary>
public sealed class CachedTextEncoder : ITextEncoder
{
    public CachedTextEncoder(ITextEncoder inner, EmbeddingCache cache, int chunkSize = 512, string templateIdentity = "")
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        if (cache.EncoderIdentity != inner.Identity) throw new ArgumentException($"the cache is for '{cache.EncoderIdentity}', the encoder is '{inner.Identity}'", nameof(cache));
        Inner = inner;
        Cache = cache;
        ChunkSize = chunkSize;
        TemplateIdentity = templateIdentity;
    }

    public ITextEncoder Inner { get; }
    public EmbeddingCache Cache { get; }
    public int ChunkSize { get; }

    /// <summary>Recorded in the chunk files written (provenance only).</summary>
    public string TemplateIdentity { get; }

    public int Dimension => Inner.Dimension;
    public string Identity => Inner.Identity;

    /// <summary>Texts found in the cache by the last <see cref="Embed"/> call.</summary>
    public int LastCachedCount { get; private set; }

    /// <summary>Texts embedded by the encoder in the last <see cref="Embed"/> call (distinct texts).</summary>
    public int LastComputedCount { get; private set; }

    /// <inheritdoc/>
    public float[] Embed(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var dimension = Dimension;
        var result = new float[(long)texts.Count * dimension];
        var missing = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var cached = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            if (Cache.TryGet(texts[i], result.AsSpan(i * dimension, dimension))) { cached++; continue; }
            if (!missing.TryGetValue(texts[i], out var positions)) missing[texts[i]] = positions = [];
            positions.Add(i);
        }
        LastCachedCount = cached;
        LastComputedCount = missing.Count;
        var done = cached;
        progress?.Report(done);
        var pending = missing.Keys.ToList();
        for (var start = 0; start < pending.Count; start += ChunkSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = pending.GetRange(start, Math.Min(ChunkSize, pending.Count - start));
            var vectors = Inner.Embed(chunk, progress: null, cancellationToken);
            if (vectors.Length != chunk.Count * dimension)
                throw new InvalidOperationException($"encoder {Identity} returned {vectors.Length} floats for {chunk.Count} texts of dimension {dimension}");
            Cache.Add(chunk, vectors, TemplateIdentity);
            for (var c = 0; c < chunk.Count; c++)
            {
                foreach (var position in missing[chunk[c]]) vectors.AsSpan(c * dimension, dimension).CopyTo(result.AsSpan(position * dimension, dimension));
                done += missing[chunk[c]].Count;
            }
            progress?.Report(done);
        }
        return result;
    }
}
