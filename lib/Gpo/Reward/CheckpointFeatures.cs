using System.Text.Json.Nodes;
using Gpo.Embeddings;

namespace Gpo.Reward;

/// <summary>
/// How a checkpoint's training features were made, read from its run's <c>config.json</c> (written by
/// <c>gpo train</c> and <c>gpo reproduce</c>): the template, the post-processing and the encoder's identity. A new
/// text must be embedded the same way, or GPO sees features it was never trained on.
/// </summary>
/// <param name="ConfigFile">The config.json read.</param>
/// <param name="Dataset">The training dataset's name.</param>
/// <param name="Source"><c>encoder</c> (the built-in encoder or a server), <c>dataset</c> (the synthetic benchmark's own features).</param>
/// <param name="Template">The training template (null when the features did not come from an encoder).</param>
/// <param name="Postprocessing">The training post-processing.</param>
/// <param name="EncoderIdentity">The encoder's identity (null when not from an encoder).</param>
public sealed record CheckpointFeatures(string ConfigFile, string? Dataset, string Source, EmbeddingTemplate? Template,
    FeaturePostprocessing Postprocessing, string? EncoderIdentity)
{
    /// <summary>
    /// The features of the run a checkpoint belongs to: <c>config.json</c> next to the checkpoint or one folder up
    /// (<c>runs/a/checkpoints/best.safetensors</c> → <c>runs/a/config.json</c>); null when there is none.
    /// </summary>
    public static CheckpointFeatures? ForCheckpoint(string checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var folder = Path.GetDirectoryName(Path.GetFullPath(checkpoint))!;
        foreach (var candidate in new[] { Path.Combine(folder, "config.json"), Path.Combine(Path.GetDirectoryName(folder) ?? folder, "config.json") })
            if (File.Exists(candidate)) return Read(candidate);
        return null;
    }

    /// <summary>Reads the <c>features</c> entry of a run's config.json.</summary>
    public static CheckpointFeatures Read(string configFile)
    {
        ArgumentNullException.ThrowIfNull(configFile);
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(configFile)); }
        catch (System.Text.Json.JsonException e) { throw new InvalidDataException($"{configFile}: not valid JSON ({e.Message})", e); }
        var features = root?["features"] as JsonObject ?? throw new InvalidDataException($"{configFile}: no 'features' entry (not a run's config.json?)");
        var source = (string?)features["source"] ?? throw new InvalidDataException($"{configFile}: features.source is missing");
        var dataset = (string?)root!["dataset"]?["name"];
        if (source != "encoder") return new CheckpointFeatures(configFile, dataset, source, null, FeaturePostprocessing.None, null);
        var templateId = (string?)features["template"] ?? throw new InvalidDataException($"{configFile}: features.template is missing");
        var pattern = (string?)features["template_pattern"] ?? throw new InvalidDataException($"{configFile}: features.template_pattern is missing");
        var name = templateId.Split('/')[0];
        var template = new EmbeddingTemplate(name, pattern);
        var post = (string?)features["postprocessing"] switch
        {
            null or "none" => FeaturePostprocessing.None,
            "center" => new FeaturePostprocessing(CenterPerQuestion: true),
            "standardize" => new FeaturePostprocessing(Standardize: true),
            "center+standardize" => new FeaturePostprocessing(true, true),
            var other => throw new InvalidDataException($"{configFile}: features.postprocessing '{other}' is unknown"),
        };
        return new CheckpointFeatures(configFile, dataset, source, template, post, (string?)features["encoder"]);
    }
}
