namespace Gpo.Embeddings;

/// <summary>
/// Turns texts into fixed-width vectors: the built-in BERT encoder (<see cref="BertEncoder"/>) or an
/// OpenAI-compatible embeddings server (<see cref="OpenAiEmbeddingClient"/>).
/// </summary>
public interface ITextEncoder
{
    /// <summary>Width of every vector.</summary>
    int Dimension { get; }

    /// <summary>
    /// A stable name of everything that determines the vectors (model files' SHA-256, server URL and model
    /// name, pooling, truncation), used to key the embedding cache.
    /// </summary>
    string Identity { get; }

    /// <summary>The vectors of <paramref name="texts"/>, in order: [texts.Count, Dimension], row-major.</summary>
    /// <param name="texts">The texts to embed.</param>
    /// <param name="progress">Receives the number of texts finished so far (optional).</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    float[] Embed(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default);
}
