namespace Gpo.Model;

/// <summary>
/// Writes the model's input x for the options of one question as one group sees it — the text embedding alone for the
/// paper's module, or the text embedding followed by population features (<see cref="GpoInputs"/>) — and, for models
/// that predict an offset on a base distribution, the per-option offsets.
/// </summary>
public interface ITokenInputs
{
    /// <summary>Width of one token's x.</summary>
    int Width { get; }

    /// <summary>Whether <see cref="Write"/> fills offsets.</summary>
    bool HasOffset { get; }

    /// <summary>
    /// Writes x of every option of a question into <paramref name="x"/> [options·Width] and, when <see cref="HasOffset"/>,
    /// the offsets into <paramref name="offset"/> [options] (empty for context tokens, which have none).
    /// </summary>
    /// <param name="questionId">The question's id.</param>
    /// <param name="textFeatures">[options][text width] the options' text embeddings.</param>
    void Write(string questionId, IReadOnlyList<float[]> textFeatures, Span<float> x, Span<float> offset);
}

/// <summary>The paper's inputs: x is the text embedding, no offset.</summary>
public sealed class TextTokenInputs(int width) : ITokenInputs
{
    public int Width => width;

    public bool HasOffset => false;

    public void Write(string questionId, IReadOnlyList<float[]> textFeatures, Span<float> x, Span<float> offset)
    {
        ArgumentNullException.ThrowIfNull(textFeatures);
        for (int o = 0; o < textFeatures.Count; o++)
        {
            if (textFeatures[o].Length != width)
                throw new InvalidOperationException($"Question '{questionId}', option {o}: {textFeatures[o].Length} features, expected {width}.");
            textFeatures[o].CopyTo(x.Slice(o * width, width));
        }
    }
}
