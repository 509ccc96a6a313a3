using System.Numerics.Tensors;

namespace Gpo.Embeddings;

/// <summary>
/// Optional transforms of the raw option vectors, applied in this order:
/// <list type="number">
/// <item><b>Per-question centring</b>: subtract, from each option vector, the mean of that question's option
/// vectors. Mean-pooled "question + option" texts of one question are nearly collinear (cosine 0.95–0.99
/// for MiniLM); centring keeps only what distinguishes the options.</item>
/// <item><b>Standardisation</b>: per feature, subtract the mean and divide by the (population) standard
/// deviation over all option vectors of the dataset (a feature with deviation below 1e-8 is only centred).
/// The statistics use no preference labels; they are returned so that new questions can be transformed alike.</item>
/// </list>
/// </summary>
public sealed record FeaturePostprocessing(bool CenterPerQuestion = false, bool Standardize = false)
{
    /// <summary>No transform: the encoder's vectors as they are (GPO's setting).</summary>
    public static FeaturePostprocessing None { get; } = new();

    /// <summary>A short label for metadata and logs: <c>none</c>, <c>center</c>, <c>standardize</c> or <c>center+standardize</c>.</summary>
    public string Label => (CenterPerQuestion, Standardize) switch
    {
        (false, false) => "none",
        (true, false) => "center",
        (false, true) => "standardize",
        _ => "center+standardize",
    };

    /// <summary>Transforms the vectors in place and returns the standardisation statistics (null when not standardising).</summary>
    /// <param name="vectors">[optionCount, dimension]: all options of all questions, question after question.</param>
    /// <param name="optionCounts">[questionCount]: options per question, summing to optionCount.</param>
    /// <param name="dimension">Width of a vector.</param>
    public (float[] Mean, float[] StandardDeviation)? Apply(Span<float> vectors, IReadOnlyList<int> optionCounts, int dimension)
    {
        ArgumentNullException.ThrowIfNull(optionCounts);
        var rowCount = optionCounts.Sum();
        if (vectors.Length != rowCount * dimension) throw new ArgumentException($"{rowCount} options of dimension {dimension} need {rowCount * dimension} floats, got {vectors.Length}");
        if (CenterPerQuestion)
        {
            var mean = new float[dimension];
            var row = 0;
            foreach (var count in optionCounts)
            {
                var block = vectors.Slice(row * dimension, count * dimension);
                mean.AsSpan().Clear();
                for (var o = 0; o < count; o++) TensorPrimitives.Add(mean, block.Slice(o * dimension, dimension), mean);
                TensorPrimitives.Multiply(mean, 1f / count, mean);
                for (var o = 0; o < count; o++) TensorPrimitives.Subtract(block.Slice(o * dimension, dimension), mean, block.Slice(o * dimension, dimension));
                row += count;
            }
        }
        if (!Standardize || rowCount == 0) return null;
        // Statistics in double: thousands of rows of float32 summed in float would lose digits.
        var sum = new double[dimension];
        var sumSquares = new double[dimension];
        for (var r = 0; r < rowCount; r++)
        {
            var v = vectors.Slice(r * dimension, dimension);
            for (var j = 0; j < dimension; j++) { sum[j] += v[j]; sumSquares[j] += (double)v[j] * v[j]; }
        }
        var featureMean = new float[dimension];
        var featureStd = new float[dimension];
        for (var j = 0; j < dimension; j++)
        {
            var m = sum[j] / rowCount;
            featureMean[j] = (float)m;
            featureStd[j] = (float)Math.Sqrt(Math.Max(0, sumSquares[j] / rowCount - m * m));
        }
        ApplyStandardization(vectors, featureMean, featureStd);
        return (featureMean, featureStd);
    }

    /// <summary>x ← (x − mean) / std per feature (std below 1e-8 counts as 1), for every row of <paramref name="vectors"/>.</summary>
    public static void ApplyStandardization(Span<float> vectors, ReadOnlySpan<float> mean, ReadOnlySpan<float> standardDeviation)
    {
        var dimension = mean.Length;
        var scale = new float[dimension];
        for (var j = 0; j < dimension; j++) scale[j] = standardDeviation[j] > 1e-8f ? 1f / standardDeviation[j] : 1f;
        for (var r = 0; r < vectors.Length / dimension; r++)
        {
            var v = vectors.Slice(r * dimension, dimension);
            TensorPrimitives.Subtract(v, mean, v);
            TensorPrimitives.Multiply(v, scale, v);
        }
    }
}
