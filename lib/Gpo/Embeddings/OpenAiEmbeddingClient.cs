using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gpo.Llm;

namespace Gpo.Embeddings;

/// <summary>Settings of an OpenAI-compatible embeddings server (llama.cpp <c>llama-server --embeddings</c>, vLLM, Ollama, TEI).</summary>
/// <param name="BaseUrl">Server root, e.g. <c>http://127.0.0.1:8080</c> (a trailing <c>/v1</c> is accepted).</param>
/// <param name="Model">The <c>model</c> field of each request.</param>
public sealed record EmbeddingServerOptions(Uri BaseUrl, string Model)
{
    /// <summary>Name of the environment variable holding the API key (sent as <c>Authorization: Bearer</c>); unset or empty: no key.</summary>
    public string? ApiKeyVariable { get; init; } = "GPO_EMBEDDINGS_API_KEY";

    /// <summary>Texts per request.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Time limit of one request.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Further attempts after a failed one (429, 5xx, timeout, connection error); other errors are not retried.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>Wait before the first retry; doubles with each further one, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between attempts, also the cap on a server's Retry-After.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The expected vector width; null learns it from the first response (every later one must agree).</summary>
    public int? Dimension { get; init; }

    /// <summary>
    /// More fields for every request body, e.g. llama.cpp's <c>"embd_normalize": -1</c> (its default, 2, L2-normalises
    /// each vector). They change the vectors, so they are part of <see cref="OpenAiEmbeddingClient.Identity"/>.
    /// </summary>
    public IReadOnlyDictionary<string, JsonNode?> ExtraFields { get; init; } = new Dictionary<string, JsonNode?>();
}

/// <summary>
/// An <see cref="ITextEncoder"/> backed by <c>POST {base}/v1/embeddings</c> with
/// <c>{"model": ..., "input": [texts]}</c>, answered by <c>{"data": [{"index": i, "embedding": [...]}, ...]}</c>.
/// Texts are sent in batches; results are put in input order by <c>index</c>. Rate limits (429) and server
/// errors (5xx), time-outs and dropped connections are retried with exponential back-off (a Retry-After
/// header is honoured, capped); a response with the wrong count, wrong or repeated indices, a wrong
/// dimension, non-numbers or malformed JSON is an error that says so.
/// What the server computes (pooling, normalisation) is its business: for GPO's mean-pooled vectors start
/// llama.cpp with <c>--pooling mean</c>.
/// </summary>
public sealed class OpenAiEmbeddingClient : ITextEncoder, IDisposable
{
    private readonly OpenAiHttp http;
    private readonly Uri endpoint;
    private int? dimension;

    /// <param name="options">Server, model and retry settings.</param>
    /// <param name="handler">Transport override (tests); default a fresh <see cref="SocketsHttpHandler"/>.</param>
    /// <param name="delay">How to wait between attempts (tests substitute a recorder); default <see cref="Thread.Sleep(TimeSpan)"/>.</param>
    public OpenAiEmbeddingClient(EmbeddingServerOptions options, HttpMessageHandler? handler = null, Action<TimeSpan>? delay = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Model);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxRetries);
        if (options.BaseUrl.Scheme is not ("http" or "https")) throw new ArgumentException($"server URL '{options.BaseUrl}' is not http(s)", nameof(options));
        Options = options;
        http = new OpenAiHttp(options.BaseUrl, new OpenAiHttpSettings
        {
            ApiKeyVariable = options.ApiKeyVariable,
            Timeout = options.Timeout,
            MaxRetries = options.MaxRetries,
            InitialBackoff = options.InitialBackoff,
            MaxBackoff = options.MaxBackoff,
        }, (message, inner) => inner is null ? new EmbeddingServerException(message) : new EmbeddingServerException(message, inner), handler, delay);
        endpoint = http.Endpoint("embeddings");
        dimension = options.Dimension;
    }

    public EmbeddingServerOptions Options { get; }

    /// <summary>The URL requests go to.</summary>
    public Uri Endpoint => endpoint;

    /// <summary>
    /// <c>openai-embeddings/{endpoint}/{model}</c>, plus <c>?{extra fields as JSON}</c> when there are any:
    /// vectors from another server, model or request setting never share a cache.
    /// </summary>
    public string Identity => Options.ExtraFields.Count == 0
        ? $"openai-embeddings/{endpoint.AbsoluteUri}/{Options.Model}"
        : $"openai-embeddings/{endpoint.AbsoluteUri}/{Options.Model}?{ExtraFieldsJson()}";

    private string ExtraFieldsJson()
    {
        var fields = new JsonObject();
        foreach (var (name, value) in Options.ExtraFields.OrderBy(f => f.Key, StringComparer.Ordinal)) fields[name] = value?.DeepClone();
        return fields.ToJsonString();
    }

    /// <summary>The vector width: <see cref="EmbeddingServerOptions.Dimension"/>, else learned by embedding one short probe text.</summary>
    public int Dimension
    {
        get
        {
            if (dimension is null) _ = Embed(["dimension probe"]);
            return dimension!.Value;
        }
    }

    /// <inheritdoc/>
    public float[] Embed(IReadOnlyList<string> texts, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var batches = new List<float[][]>();
        var done = 0;
        for (var start = 0; start < texts.Count; start += Options.BatchSize)
        {
            var batch = texts.Skip(start).Take(Options.BatchSize).ToList();
            batches.Add(Request(batch, cancellationToken));
            done += batch.Count;
            progress?.Report(done);
        }
        var width = dimension ?? 0;
        var result = new float[(long)texts.Count * width];
        var row = 0;
        foreach (var vector in batches.SelectMany(b => b)) vector.CopyTo(result, (row++) * width);
        return result;
    }

    /// <summary>One request with retries; returns the vectors in input order.</summary>
    private float[][] Request(List<string> batch, CancellationToken cancellationToken)
    {
        var request = new JsonObject { ["model"] = Options.Model, ["input"] = new JsonArray(batch.Select(t => (JsonNode?)t).ToArray()) };
        foreach (var (name, value) in Options.ExtraFields)
        {
            if (name is "model" or "input") throw new ArgumentException($"extra request field '{name}' would replace a required one");
            request[name] = value?.DeepClone();
        }
        var body = Encoding.UTF8.GetBytes(request.ToJsonString());
        return Parse(http.PostJson(endpoint, body, cancellationToken), batch.Count);
    }

    /// <summary>Checks and orders one response: <c>data</c> has one entry per input, indices 0..n−1 once each, equal widths.</summary>
    private float[][] Parse(string text, int expectedCount)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(text); }
        catch (JsonException e) { throw new EmbeddingServerException($"{endpoint}: the response is not valid JSON ({e.Message}): {Excerpt(text)}", e); }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                throw new EmbeddingServerException($"{endpoint}: the response has no 'data' array: {Excerpt(text)}");
            var count = data.GetArrayLength();
            if (count != expectedCount) throw new EmbeddingServerException($"{endpoint}: sent {expectedCount} texts, got {count} embeddings back");
            var vectors = new float[count][];
            var position = 0;
            foreach (var item in data.EnumerateArray())
            {
                var where = $"data[{position}]";
                if (item.ValueKind != JsonValueKind.Object) throw new EmbeddingServerException($"{endpoint}: {where} is not an object");
                // A missing index means "in order" (some servers omit it); a present one must be a valid, unused position.
                var index = position;
                if (item.TryGetProperty("index", out var indexElement))
                {
                    if (indexElement.ValueKind != JsonValueKind.Number || !indexElement.TryGetInt32(out index) || index < 0 || index >= count)
                        throw new EmbeddingServerException($"{endpoint}: {where}.index is {Excerpt(indexElement.GetRawText())}, expected 0..{count - 1}");
                }
                if (vectors[index] is not null) throw new EmbeddingServerException($"{endpoint}: {where}.index {index} appears twice");
                if (!item.TryGetProperty("embedding", out var embedding) || embedding.ValueKind != JsonValueKind.Array)
                    throw new EmbeddingServerException($"{endpoint}: {where}.embedding is missing or not an array (base64 encoding is not supported)");
                var vector = new float[embedding.GetArrayLength()];
                var j = 0;
                foreach (var value in embedding.EnumerateArray())
                {
                    if (value.ValueKind != JsonValueKind.Number || !value.TryGetSingle(out vector[j]) || !float.IsFinite(vector[j]))
                        throw new EmbeddingServerException($"{endpoint}: {where}.embedding[{j}] is {Excerpt(value.GetRawText())}, not a finite number");
                    j++;
                }
                if (vector.Length == 0) throw new EmbeddingServerException($"{endpoint}: {where}.embedding is empty");
                dimension ??= vector.Length;
                if (vector.Length != dimension)
                    throw new EmbeddingServerException($"{endpoint}: {where}.embedding has {vector.Length} numbers, expected dimension {dimension}");
                vectors[index] = vector;
                position++;
            }
            return vectors;
        }
    }

    private static string Excerpt(string text) => OpenAiHttp.Excerpt(text);

    public void Dispose() => http.Dispose();
}

/// <summary>The embeddings server failed or answered something unusable; the message says which and how.</summary>
public sealed class EmbeddingServerException : Exception
{
    public EmbeddingServerException() { }
    public EmbeddingServerException(string message) : base(message) { }
    public EmbeddingServerException(string message, Exception inner) : base(message, inner) { }
}
