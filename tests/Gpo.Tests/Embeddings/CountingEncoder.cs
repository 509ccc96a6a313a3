using System.Security.Cryptography;
using System.Text;
using Gpo.Embeddings;

namespace Gpo.Tests.Embeddings;

/// <summary>A test double: deterministic vectors derived from each text's SHA-256, and a count of texts embedded.</summary>
internal sealed class CountingEncoder(int dimension = 8, string identity = "counting-test-encoder") : ITextEncoder
{
    public int Dimension => dimension;
    public string Identity => identity;
    public int EmbeddedTexts { get; private set; }
    public int Calls { get; private set; }
    /// <summary>Throw after this many calls (to simulate an interrupted run); −1 never.</summary>
    public int FailAfterCalls { get; set; } = -1;

    public float[] Embed(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        if (FailAfterCalls >= 0 && Calls >= FailAfterCalls) throw new OperationCanceledException("simulated interruption");
        Calls++;
        EmbeddedTexts += texts.Count;
        var result = new float[texts.Count * dimension];
        for (var i = 0; i < texts.Count; i++) VectorOf(texts[i], dimension).CopyTo(result, i * dimension);
        return result;
    }

    public static float[] VectorOf(string text, int dimension)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        return Enumerable.Range(0, dimension).Select(j => digest[j % 32] / 255f - 0.5f + j).ToArray();
    }
}
