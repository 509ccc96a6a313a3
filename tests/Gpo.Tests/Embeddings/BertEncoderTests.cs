using System.Text.Json;
using Gpo.Embeddings;

namespace Gpo.Tests.Embeddings;

/// <summary>The MiniLM forward pass against PyTorch (tools/minilm_reference.py) and the spec's reference values.</summary>
public class BertEncoderTests
{
    private static readonly Lazy<BertEncoder?> Shared = new(() => ModelFolder.Path is { } folder ? new BertEncoder(folder) : null);

    private static BertEncoder Encoder()
    {
        ModelFolder.Require();
        return Shared.Value!;
    }

    private sealed record ReferenceCase(string Label, int[] Ids, float[] MeanPooled);

    private static List<ReferenceCase> ReferenceCases()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "minilm_reference.json")));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => new ReferenceCase(
            c.GetProperty("label").GetString()!,
            c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
            c.GetProperty("mean_pooled").EnumerateArray().Select(e => e.GetSingle()).ToArray())).ToList();
    }

    private static float MaxAbsDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        var max = 0f;
        for (var i = 0; i < a.Length; i++) max = MathF.Max(max, MathF.Abs(a[i] - b[i]));
        return max;
    }

    private static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a, b);

    [SkippableFact]
    public void Mean_pooled_vectors_match_pytorch_one_at_a_time_and_packed()
    {
        var encoder = Encoder();
        var cases = ReferenceCases();
        var dimension = encoder.Dimension;
        // Packed together in one batch (mixed lengths, longest first inside).
        var packed = encoder.EmbedTokenized(cases.Select(c => c.Ids).ToList());
        for (var i = 0; i < cases.Count; i++)
        {
            var alone = encoder.EmbedTokenized([cases[i].Ids]);
            // Unnormalised values are O(0.1–1); PyTorch fp32 vs this fp32 with other summation orders.
            Assert.True(MaxAbsDifference(alone, cases[i].MeanPooled) < 2e-5f, $"{cases[i].Label}: alone differs from PyTorch by {MaxAbsDifference(alone, cases[i].MeanPooled)}");
            var inBatch = packed.AsSpan(i * dimension, dimension);
            Assert.True(MaxAbsDifference(inBatch, alone) < 1e-5f, $"{cases[i].Label}: batch vs alone differ by {MaxAbsDifference(inBatch, alone)}");
        }
    }

    [SkippableFact]
    public void Normalised_vectors_match_the_spec_reference_values()
    {
        ModelFolder.Require();
        var normalized = new BertEncoder(ModelFolder.Path!, normalize: true);
        var vectors = normalized.Embed(["A man is eating food.", "Question: Do you support same-sex marriage? Answer: Strongly agree"]);
        float[] first = [0.03317f, 0.00444f, -0.00624f, 0.04839f, -0.13878f, -0.03363f, 0.10119f, -0.05436f];
        float[] second = [-0.03547f, 0.06973f, 0.02672f, -0.10696f, -0.00285f, 0.0778f, 0.03417f, -0.00026f];
        Assert.True(MaxAbsDifference(vectors.AsSpan(0, 8), first) < 1e-3f);
        Assert.True(MaxAbsDifference(vectors.AsSpan(384, 8), second) < 1e-3f);
        Assert.Equal(0.22669, System.Numerics.Tensors.TensorPrimitives.Sum(vectors.AsSpan(0, 384)), 1e-3);
        Assert.Equal(0.12879, System.Numerics.Tensors.TensorPrimitives.Sum(vectors.AsSpan(384, 384)), 1e-3);
    }

    [SkippableFact]
    public void Cosines_match_sentence_transformers()
    {
        var encoder = Encoder();
        var vectors = encoder.Embed(["A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse."]);
        Assert.Equal(0.7553, Cosine(vectors.AsSpan(0, 384), vectors.AsSpan(384, 384)), 1e-3);
        Assert.Equal(0.2475, Cosine(vectors.AsSpan(0, 384), vectors.AsSpan(768, 384)), 1e-3);
    }

    [SkippableFact]
    public void A_text_gets_the_same_vector_alone_and_among_others_in_any_order()
    {
        var encoder = Encoder();
        string[] texts = ["Short.", "A much longer sentence about survey questions and their many answer options, with commas.", "Medium length text here.", "Short."];
        var together = encoder.Embed(texts);
        var reversed = encoder.Embed(texts.Reverse().ToList());
        for (var i = 0; i < texts.Length; i++)
        {
            var alone = encoder.Embed([texts[i]]);
            Assert.True(MaxAbsDifference(together.AsSpan(i * 384, 384), alone) < 1e-5f);
            Assert.True(MaxAbsDifference(reversed.AsSpan((texts.Length - 1 - i) * 384, 384), alone) < 1e-5f);
        }
        // Small batches force several forward passes; results must not depend on how texts were grouped.
        var smallBatches = new BertEncoder(ModelFolder.Path!, batchTokens: 1).Embed(texts);
        Assert.True(MaxAbsDifference(smallBatches, together) < 1e-5f);
    }

    [Fact]
    public void Gelu_matches_the_erf_definition()
    {
        // erf reference values (Abramowitz & Stegun table 7.1): erf(0.5) = 0.5204998778, erf(1) = 0.8427007929, erf(2) = 0.9953222650.
        Assert.Equal(0.5204998778, Gelu.Erf(0.5f), 1e-6);
        Assert.Equal(0.8427007929, Gelu.Erf(1f), 1e-6);
        Assert.Equal(-0.9953222650, Gelu.Erf(-2f), 1e-6);
        // 1,101 values from −6 to 6 (more than one internal block of 512), including 0 and large |x|.
        float[] x = [.. Enumerable.Range(-550, 1101).Select(i => i * 0.011f), -20f, 20f];
        var y = x.ToArray();
        Gelu.InPlace(y);
        for (var i = 0; i < x.Length; i++)
        {
            var expected = 0.5 * x[i] * (1 + ErfDouble(x[i] / Math.Sqrt(2)));
            Assert.True(Math.Abs(y[i] - expected) < 2e-6 * Math.Max(1, Math.Abs(x[i])), $"gelu({x[i]}) = {y[i]}, expected {expected}");
        }
    }

    /// <summary>
    /// erf by its Maclaurin series in double, an independent reference; the series loses digits to cancellation
    /// beyond |z| ≈ 5, where 1 − |erf(z)| &lt; 2e-12 and ±1 is exact to double precision for this purpose.
    /// </summary>
    private static double ErfDouble(double z)
    {
        if (Math.Abs(z) > 5) return Math.Sign(z);
        double sum = 0, term = z;
        for (var n = 0; n < 200; n++)
        {
            sum += term / (2 * n + 1);
            term *= -z * z / (n + 1);
        }
        return 2 / Math.Sqrt(Math.PI) * sum;
    }
}
