using System.Globalization;
using System.Text.Json;
using Gpo.Data;
using Gpo.IO;

namespace Gpo.Embeddings;

/// <summary>What produced a set of option vectors, saved with them.</summary>
/// <param name="Encoder">The encoder's identity (model files' digest, or server URL and model).</param>
/// <param name="Template">The template's identity (name and pattern digest).</param>
/// <param name="TemplatePattern">The template's pattern, verbatim.</param>
/// <param name="Dimension">d_x.</param>
/// <param name="Postprocessing">The transforms applied (label of <see cref="FeaturePostprocessing"/>).</param>
/// <param name="FeatureMean">[Dimension] standardisation mean, when standardised.</param>
/// <param name="FeatureStandardDeviation">[Dimension] standardisation deviation, when standardised.</param>
public sealed record EmbeddingMetadata(string Encoder, string Template, string TemplatePattern, int Dimension, string Postprocessing,
    float[]? FeatureMean = null, float[]? FeatureStandardDeviation = null);

/// <summary>
/// The option vectors x of a set of questions (the embedding stage's output) with their metadata.
/// <see cref="Features"/> plugs into <see cref="PreferenceDataset.WithFeatures"/>.
/// </summary>
public sealed class QuestionEmbeddings
{
    public QuestionEmbeddings(OptionFeatureTable features, IReadOnlyList<string> questionIds, EmbeddingMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(questionIds);
        ArgumentNullException.ThrowIfNull(metadata);
        Features = features;
        QuestionIds = questionIds.ToArray();
        Metadata = metadata;
    }

    /// <summary>question id → [K_q, d_x] option vectors.</summary>
    public OptionFeatureTable Features { get; }

    /// <summary>The questions in their original order.</summary>
    public IReadOnlyList<string> QuestionIds { get; }

    public EmbeddingMetadata Metadata { get; }

    /// <summary>
    /// Saves as safetensors (atomically): one F32 tensor <c>features</c> [total options, d_x], questions in
    /// <see cref="QuestionIds"/> order, options in question order; <c>__metadata__</c> holds
    /// <c>question_ids</c> and <c>option_counts</c> (JSON arrays) and the <see cref="EmbeddingMetadata"/> fields.
    /// </summary>
    public void Save(string path)
    {
        var dimension = Features.Dimension;
        var counts = QuestionIds.Select(id => Features.ForQuestion(id).Length / dimension).ToArray();
        var all = new float[counts.Sum() * dimension];
        var offset = 0;
        foreach (var id in QuestionIds)
        {
            var rows = Features.ForQuestion(id);
            rows.CopyTo(all.AsSpan(offset));
            offset += rows.Length;
        }
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "gpo-embeddings-1",
            ["question_ids"] = JsonSerializer.Serialize(QuestionIds),
            ["option_counts"] = JsonSerializer.Serialize(counts),
            ["encoder"] = Metadata.Encoder,
            ["template"] = Metadata.Template,
            ["template_pattern"] = Metadata.TemplatePattern,
            ["postprocessing"] = Metadata.Postprocessing,
        };
        if (Metadata.FeatureMean is { } mean) metadata["feature_mean"] = JsonSerializer.Serialize(mean);
        if (Metadata.FeatureStandardDeviation is { } std) metadata["feature_std"] = JsonSerializer.Serialize(std);
        SafeTensors.Write(path, [("features", [counts.Sum(), dimension], all)], metadata);
    }

    /// <summary>Reads a file written by <see cref="Save"/>; inconsistencies are errors naming the file and field.</summary>
    public static QuestionEmbeddings Load(string path)
    {
        using var file = SafeTensors.Open(path);
        string Field(string name) => file.Metadata.TryGetValue(name, out var value) ? value : throw new InvalidDataException($"{path}: __metadata__.{name} is missing");
        if (Field("format") != "gpo-embeddings-1") throw new InvalidDataException($"{path}: __metadata__.format is '{Field("format")}', expected gpo-embeddings-1");
        if (!file.Contains("features")) throw new InvalidDataException($"{path}: no tensor 'features'");
        var info = file["features"];
        if (info.Shape.Count != 2) throw new InvalidDataException($"{path}: tensor 'features' has shape {info.ShapeText}, expected [options, dimension]");
        var dimension = checked((int)info.Shape[1]);
        string[] ids;
        int[] counts;
        try
        {
            ids = JsonSerializer.Deserialize<string[]>(Field("question_ids")) ?? [];
            counts = JsonSerializer.Deserialize<int[]>(Field("option_counts")) ?? [];
        }
        catch (JsonException e) { throw new InvalidDataException($"{path}: __metadata__.question_ids/option_counts is not a JSON array ({e.Message})", e); }
        if (ids.Length != counts.Length) throw new InvalidDataException($"{path}: {ids.Length} question ids but {counts.Length} option counts");
        if (counts.Any(c => c < 1) || counts.Sum() != info.Shape[0])
            throw new InvalidDataException($"{path}: option_counts sum to {counts.Sum()}, tensor 'features' has {info.Shape[0]} rows");
        var all = file.ReadFloats("features");
        var rows = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var offset = 0;
        for (var q = 0; q < ids.Length; q++)
        {
            if (!rows.TryAdd(ids[q], all.AsSpan(offset, counts[q] * dimension).ToArray())) throw new InvalidDataException($"{path}: question id '{ids[q]}' appears twice");
            offset += counts[q] * dimension;
        }
        float[]? Floats(string name) => file.Metadata.TryGetValue(name, out var value) ? JsonSerializer.Deserialize<float[]>(value) : null;
        var metadata = new EmbeddingMetadata(Field("encoder"), Field("template"), Field("template_pattern"), dimension, Field("postprocessing"),
            Floats("feature_mean"), Floats("feature_std"));
        return new QuestionEmbeddings(new OptionFeatureTable(dimension, rows), ids, metadata);
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{QuestionIds.Count} questions, d_x {Features.Dimension}, {Metadata.Encoder}, template {Metadata.Template}, {Metadata.Postprocessing}");
}
