using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gpo.Data;
using Gpo.Embeddings;
using Spectre.Console;

namespace Gpo.Cli;

/// <summary>
/// <c>gpo embed</c>: vectors for ad-hoc texts (<c>--text</c>, printed as a JSON array), for every
/// (question, option) of a dataset (<c>--data</c>, saved with <c>--out</c>, cached and resumable), or a
/// throughput measurement (<c>--bench</c>). The encoder is the built-in BERT model folder or an
/// OpenAI-compatible server (<c>--server</c>).
/// </summary>
internal sealed class EmbedCommand : ICliCommand
{
    public Command Build()
    {
        var command = new Command("embed", "Embed texts or a dataset's (question, option) pairs with the built-in encoder or an embeddings server.");
        // The dataset, encoder folder, template, post-processing and cache options are the ones every modelling command shares.
        var shared = new FeatureSource();
        var (model, format, dataRoot, template, center, standardize, cacheFolder) =
            (shared.Model, shared.Format, shared.DataRoot, shared.Template, shared.Center, shared.Standardize, shared.Cache);
        var texts = new Option<string[]>("--text") { Description = "A text to embed (repeatable); prints a JSON array of vectors." };
        var normalize = new Option<bool>("--normalize") { Description = "L2-normalise the vectors (off by default: GPO uses raw mean pooling)." };
        var data = new Option<string?>("--data") { Description = "Dataset: preset (" + string.Join(", ", DatasetLoader.Presets) + ") or path." };
        var output = new Option<string?>("--out") { Description = "Where to save a dataset's embeddings (safetensors with metadata)." };
        var noCache = new Option<bool>("--no-cache") { Description = "Neither read nor write the embedding cache." };
        var chunkSize = new Option<int>("--chunk-size") { Description = "Texts per cache chunk (the unit of resumption).", DefaultValueFactory = _ => 512 }.AtLeast(1, 1_000_000);
        var server = new Option<string?>("--server") { Description = "OpenAI-compatible embeddings server, e.g. http://127.0.0.1:8080 (llama-server --embeddings --pooling mean)." };
        var serverModel = new Option<string?>("--server-model") { Description = "The model name sent to the server." };
        var apiKeyVariable = new Option<string>("--api-key-env") { Description = "Environment variable holding the server's API key.", DefaultValueFactory = _ => "GPO_EMBEDDINGS_API_KEY" };
        var serverBatch = new Option<int>("--server-batch") { Description = "Texts per server request.", DefaultValueFactory = _ => 32 }.AtLeast(1, 100_000);
        var serverTimeout = new Option<double>("--server-timeout") { Description = "Seconds before a server request is abandoned (and retried).", DefaultValueFactory = _ => 120 }.FinitePositive(maximum: 86_400);
        var serverRetries = new Option<int>("--server-retries") { Description = "Retries after 429/5xx/time-outs.", DefaultValueFactory = _ => 5 }.AtLeast(0, 100);
        var serverFields = new Option<string[]>("--server-field") { Description = "Extra request field name=JSON value (repeatable), e.g. embd_normalize=-1 for llama.cpp's unnormalised vectors." };
        var batchTokens = new Option<int>("--batch-tokens") { Description = "Built-in encoder: about how many tokens one forward pass packs.", DefaultValueFactory = _ => 4096 }.AtLeast(1, 1_000_000);
        var bench = new Option<bool>("--bench") { Description = "Measure throughput (no cache): texts/s and tokens/s on --bench-texts texts (from --data, else made up)." };
        var benchTexts = new Option<int>("--bench-texts") { Description = "How many texts --bench embeds.", DefaultValueFactory = _ => 10_000 }.AtLeast(1, 10_000_000);
        foreach (var option in new Option[] { model, texts, normalize, data, format, dataRoot, template, center, standardize, output, cacheFolder, noCache, chunkSize,
                     server, serverModel, apiKeyVariable, serverBatch, serverTimeout, serverRetries, serverFields, batchTokens, bench, benchTexts })
            command.Options.Add(option);

        command.SetAction((parseResult, cancellation) =>
        {
            return Task.FromResult(Terminal.Guard("embed", () =>
            {
                var adHoc = parseResult.GetValue(texts) ?? [];
                var dataSource = parseResult.GetValue(data);
                var isBench = parseResult.GetValue(bench);
                if (adHoc.Length == 0 && dataSource is null && !isBench)
                    throw new ArgumentException("give --text, --data or --bench (see gpo embed --help)");
                var embeddingTemplate = EmbeddingTemplate.FromNameOrPattern(parseResult.GetValue(template)!);
                PreferenceDataset? dataset = dataSource is null ? null : DatasetLoader.Load(dataSource, parseResult.GetValue(format), parseResult.GetValue(dataRoot));
                using var encoder = Encoder(parseResult.GetValue(model), parseResult.GetValue(normalize), parseResult.GetValue(server), parseResult.GetValue(serverModel),
                    parseResult.GetValue(apiKeyVariable)!, parseResult.GetValue(serverBatch), parseResult.GetValue(serverTimeout), parseResult.GetValue(serverRetries),
                    parseResult.GetValue(serverFields) ?? [], parseResult.GetValue(batchTokens));
                if (isBench) return Bench(encoder.Value, dataset, embeddingTemplate, parseResult.GetValue(benchTexts));
                EmbeddingCache? cache = parseResult.GetValue(noCache) ? null : OpenCache(encoder.Value, parseResult.GetValue(cacheFolder));
                if (adHoc.Length > 0) return PrintVectors(cache is null ? encoder.Value : new CachedTextEncoder(encoder.Value, cache), adHoc);
                var postprocessing = new FeaturePostprocessing(parseResult.GetValue(center), parseResult.GetValue(standardize));
                return EmbedDataset(dataset!, encoder.Value, embeddingTemplate, postprocessing, cache, parseResult.GetValue(chunkSize), parseResult.GetValue(output), cancellation);
            }));
        });
        return command;
    }

    /// <summary>An encoder and whatever must be disposed with it.</summary>
    private sealed class EncoderHandle(ITextEncoder value) : IDisposable
    {
        public ITextEncoder Value { get; } = value;
        public void Dispose() => (Value as IDisposable)?.Dispose();
    }

    private static EncoderHandle Encoder(string? modelFolder, bool normalize, string? serverUrl, string? serverModel, string apiKeyVariable,
        int serverBatch, double serverTimeout, int serverRetries, string[] serverFields, int batchTokens)
    {
        if (serverUrl is not null)
        {
            if (string.IsNullOrEmpty(serverModel)) throw new ArgumentException("--server needs --server-model (the model name the server expects)");
            if (normalize) throw new ArgumentException("--normalize applies to the built-in encoder; configure normalisation on the server");
            if (!Uri.TryCreate(serverUrl, UriKind.Absolute, out var url)) throw new ArgumentException($"--server '{serverUrl}' is not an absolute URL");
            return new EncoderHandle(new OpenAiEmbeddingClient(new EmbeddingServerOptions(url, serverModel)
            {
                ApiKeyVariable = apiKeyVariable,
                BatchSize = serverBatch,
                Timeout = TimeSpan.FromSeconds(serverTimeout),
                MaxRetries = serverRetries,
                ExtraFields = serverFields.ToDictionary(f => f.Split('=', 2)[0], ParseFieldValue, StringComparer.Ordinal),
            }));
        }
        var folder = ModelFetcher.ResolveModelFolder(modelFolder)
            ?? throw new ArgumentException("no model folder: give --model, set GPO_MODEL, or run `gpo models fetch` first");
        return new EncoderHandle(new BertEncoder(folder, normalize, batchTokens: batchTokens));
    }

    /// <summary>The value of <c>name=value</c>: JSON when it parses (numbers, true, objects), else the text as a string.</summary>
    private static JsonNode? ParseFieldValue(string field)
    {
        var parts = field.Split('=', 2);
        if (parts.Length != 2 || parts[0].Length == 0) throw new ArgumentException($"--server-field '{field}' is not name=value");
        try { return JsonNode.Parse(parts[1]); }
        catch (JsonException) { return JsonValue.Create(parts[1]); }
    }

    private static EmbeddingCache OpenCache(ITextEncoder encoder, string? root)
    {
        var cache = EmbeddingCache.For(encoder, root);
        foreach (var problem in cache.Problems) Console.Error.WriteLine($"gpo embed: cache: {problem}");
        return cache;
    }

    private static int PrintVectors(ITextEncoder encoder, string[] texts)
    {
        var vectors = encoder.Embed(texts);
        var dimension = encoder.Dimension;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = 0; i < texts.Length; i++)
            {
                writer.WriteStartArray();
                foreach (var value in vectors.AsSpan(i * dimension, dimension)) writer.WriteNumberValue(value);
                writer.WriteEndArray();
            }
            writer.WriteEndArray();
        }
        Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        return 0;
    }

    private static int EmbedDataset(PreferenceDataset dataset, ITextEncoder encoder, EmbeddingTemplate template, FeaturePostprocessing postprocessing,
        EmbeddingCache? cache, int chunkSize, string? output, CancellationToken cancellation)
    {
        var console = Terminal.Error;
        var totalTexts = dataset.Questions.Sum(q => q.OptionCount);
        console.MarkupLine($"{Markup.Escape(dataset.Name)}: {dataset.Questions.Count} questions, {totalTexts} (question, option) texts; encoder {Markup.Escape(encoder.Identity)}; template {Markup.Escape(template.Identity)}");
        var stopwatch = Stopwatch.StartNew();
        QuestionEmbeddings? embeddings = null;
        var cached = cache is null ? null : new CachedTextEncoder(encoder, cache, chunkSize, template.Identity);
        Terminal.WithProgress(console, "embedding", report =>
        {
            // Stops between chunks on SIGINT/SIGTERM: the chunks already cached are kept for a rerun.
            embeddings = DatasetEmbedder.Embed(dataset, cached ?? encoder, template, postprocessing, cache: null, chunkSize,
                new InlineProgress<(int Done, int Total)>(p =>
                {
                    cancellation.ThrowIfCancellationRequested();
                    report(p.Done, Math.Max(1, totalTexts), "");
                }));
        });
        if (cached is not null) console.MarkupLine($"{cached.LastCachedCount} texts from the cache, {cached.LastComputedCount} computed");
        cache?.Compact(template.Identity);
        console.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"done in {stopwatch.Elapsed.TotalSeconds:0.0} s; d_x = {embeddings!.Features.Dimension}; postprocessing {postprocessing.Label}"));
        if (output is not null)
        {
            embeddings.Save(output);
            console.MarkupLine($"saved {Markup.Escape(output)}");
        }
        else console.MarkupLine("[yellow]no --out given: vectors are in the cache only[/]");
        return 0;
    }

    /// <summary>Throughput of the encoder on <paramref name="count"/> templated texts of the dataset (cycled), else made-up survey-like ones.</summary>
    private static int Bench(ITextEncoder encoder, PreferenceDataset? dataset, EmbeddingTemplate template, int count)
    {
        var texts = EncoderThroughput.SampleTexts(template, count, dataset?.Questions);
        var measured = EncoderThroughput.Measure(encoder, texts);
        var result = new Dictionary<string, object>
        {
            ["texts"] = measured.Texts,
            ["seconds"] = Math.Round(measured.Seconds, 3),
            ["texts_per_second"] = Math.Round(measured.TextsPerSecond, 1),
            ["encoder"] = encoder.Identity,
            ["template"] = template.Identity,
            ["source"] = dataset?.Name ?? "made-up survey texts",
            ["cores"] = Environment.ProcessorCount,
        };
        if (measured.Tokens > 0)
        {
            result["tokens"] = measured.Tokens;
            result["mean_tokens_per_text"] = Math.Round((double)measured.Tokens / measured.Texts, 1);
            result["tokens_per_second"] = Math.Round(measured.TokensPerSecond, 0);
        }
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }
}
