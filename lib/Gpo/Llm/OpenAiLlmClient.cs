using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gpo.Llm;

/// <summary>Which OpenAI-compatible endpoint a <see cref="OpenAiLlmClient"/> talks to.</summary>
public enum LlmApi
{
    /// <summary><c>POST /v1/completions</c> with a raw prompt (the paper's Alpaca text for the baselines).</summary>
    Completions,

    /// <summary><c>POST /v1/chat/completions</c> with a system message (the instruction) and a user message (the input).</summary>
    Chat,
}

/// <summary>Settings of an OpenAI-compatible LLM server (llama.cpp <c>llama-server</c>, vLLM, Ollama).</summary>
/// <param name="BaseUrl">Server root, e.g. <c>http://127.0.0.1:8080</c> (a trailing <c>/v1</c> is accepted).</param>
/// <param name="Model">The <c>model</c> field of each request.</param>
public sealed record LlmServerOptions(Uri BaseUrl, string Model)
{
    /// <summary>Completions (default) or chat.</summary>
    public LlmApi Api { get; init; } = LlmApi.Completions;

    /// <summary>How many most likely first tokens to ask for (<c>logprobs</c> / <c>top_logprobs</c>); OpenAI allows up to 20.</summary>
    public int TopLogprobs { get; init; } = 20;

    /// <summary>Retries, time-out and API key (environment variable <c>GPO_LLM_API_KEY</c> by default).</summary>
    public OpenAiHttpSettings Http { get; init; } = new() { ApiKeyVariable = "GPO_LLM_API_KEY" };
}

/// <summary>One entry of a server's top-logprobs list: a token's text and its natural-log probability.</summary>
public sealed record TokenLogprob(string Token, double Logprob);

/// <summary>
/// A prompt as the paper's baselines build it: an instruction and an input. For the completions endpoint it is
/// rendered in the Alpaca format the paper used (<see cref="CompletionText"/>); for chat, the instruction is the
/// system message and the input the user message (as the reference code's Llama-2 format does). A prompt with no
/// instruction is sent as it is (a user's own prompt, for best-of-N sampling).
/// </summary>
/// <param name="Instruction">The task instruction, or null for a plain prompt.</param>
/// <param name="Input">The question and options (or the whole prompt when there is no instruction).</param>
public sealed record LlmPrompt(string? Instruction, string Input)
{
    /// <summary>The Alpaca prompt of the GPO reference code (<c>ALPACA_PROMPT</c>), or the input alone without an instruction.</summary>
    public string CompletionText => Instruction is null
        ? Input
        : "Below is an instruction that describes a task, paired with an input that provides further context. Write a response that appropriately completes the request.\n\n"
          + $"### Instruction:\n{Instruction}\n\n### Input:\n{Input}\n\n### Response:\n";

    /// <summary>The chat messages: a system message when there is an instruction, then the user message.</summary>
    public JsonArray ChatMessages()
    {
        var messages = new JsonArray();
        if (Instruction is not null) messages.Add(new JsonObject { ["role"] = "system", ["content"] = Instruction });
        messages.Add(new JsonObject { ["role"] = "user", ["content"] = Input });
        return messages;
    }
}

/// <summary>
/// A client of an OpenAI-compatible text-generation server: the top log-probabilities of the first generated
/// token (for the prompting baselines) and N sampled responses (for best-of-N). Transport, retries and
/// time-outs are <see cref="OpenAiHttp"/>'s. Both response shapes servers use for logprobs are read: the
/// legacy completions form (<c>logprobs.top_logprobs[0]</c> = <c>{token: logprob}</c>, vLLM, OpenAI) and the
/// chat form (<c>logprobs.content[0].top_logprobs</c> = <c>[{token, logprob}]</c>, chat endpoints and llama.cpp's
/// completions). A response without logprobs, with no choice, or not JSON is an <see cref="LlmServerException"/>
/// that says what was missing.
/// </summary>
public sealed class OpenAiLlmClient : IDisposable
{
    private readonly OpenAiHttp http;

    /// <param name="options">Server, model, endpoint kind and retry settings.</param>
    /// <param name="handler">Transport override (tests).</param>
    /// <param name="delay">How to wait between attempts (tests substitute a recorder).</param>
    public OpenAiLlmClient(LlmServerOptions options, HttpMessageHandler? handler = null, Action<TimeSpan>? delay = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Model);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.TopLogprobs, 1);
        Options = options;
        http = new OpenAiHttp(options.BaseUrl, options.Http,
            (message, inner) => inner is null ? new LlmServerException(message) : new LlmServerException(message, inner), handler, delay);
        Endpoint = http.Endpoint(options.Api == LlmApi.Chat ? "chat/completions" : "completions");
    }

    public LlmServerOptions Options { get; }

    /// <summary>The URL requests go to.</summary>
    public Uri Endpoint { get; }

    /// <summary><c>{api}:{model}@{endpoint}</c>, for manifests.</summary>
    public string Identity => $"{(Options.Api == LlmApi.Chat ? "chat" : "completions")}:{Options.Model}@{Endpoint.AbsoluteUri}";

    /// <summary>
    /// The most likely first tokens of the answer with their log-probabilities (greedy, one token, temperature 0),
    /// most likely first as the server lists them.
    /// </summary>
    public IReadOnlyList<TokenLogprob> FirstTokenLogprobs(LlmPrompt prompt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var request = Request(prompt, maxTokens: 1, temperature: 0);
        if (Options.Api == LlmApi.Chat)
        {
            request["logprobs"] = true;
            request["top_logprobs"] = Options.TopLogprobs;
        }
        else
        {
            request["logprobs"] = Options.TopLogprobs;
        }
        var text = http.PostJson(Endpoint, Encoding.UTF8.GetBytes(request.ToJsonString()), cancellationToken);
        using var document = ParseJson(text);
        var choice = Choices(document.RootElement, text).First();
        if (!choice.TryGetProperty("logprobs", out var logprobs) || logprobs.ValueKind != JsonValueKind.Object)
            throw new LlmServerException($"{Endpoint}: the response has no logprobs (does this server support '{(Options.Api == LlmApi.Chat ? "logprobs/top_logprobs" : "logprobs")}' on {(Options.Api == LlmApi.Chat ? "chat" : "completions")}?): {OpenAiHttp.Excerpt(text)}");
        var result = new List<TokenLogprob>();
        if (logprobs.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
        {
            // Chat form: content[0].top_logprobs = [{token, logprob}, ...]
            if (content.GetArrayLength() == 0 || !content[0].TryGetProperty("top_logprobs", out var top) || top.ValueKind != JsonValueKind.Array)
                throw new LlmServerException($"{Endpoint}: logprobs.content[0].top_logprobs is missing: {OpenAiHttp.Excerpt(text)}");
            var i = 0;
            foreach (var entry in top.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("token", out var token) || token.ValueKind != JsonValueKind.String
                    || !entry.TryGetProperty("logprob", out var logprob))
                    throw new LlmServerException($"{Endpoint}: logprobs.content[0].top_logprobs[{i}] is not {{\"token\", \"logprob\"}}: {OpenAiHttp.Excerpt(entry.GetRawText())}");
                result.Add(new TokenLogprob(token.GetString()!, Logprob(logprob, $"logprobs.content[0].top_logprobs[{i}].logprob")));
                i++;
            }
        }
        else if (logprobs.TryGetProperty("top_logprobs", out var legacy) && legacy.ValueKind == JsonValueKind.Array)
        {
            // Legacy completions form: top_logprobs[0] = {token: logprob, ...}
            if (legacy.GetArrayLength() == 0 || legacy[0].ValueKind != JsonValueKind.Object)
                throw new LlmServerException($"{Endpoint}: logprobs.top_logprobs[0] is missing or not an object: {OpenAiHttp.Excerpt(text)}");
            foreach (var property in legacy[0].EnumerateObject())
                result.Add(new TokenLogprob(property.Name, Logprob(property.Value, $"logprobs.top_logprobs[0].{property.Name}")));
        }
        else
        {
            throw new LlmServerException($"{Endpoint}: logprobs has neither 'content' nor 'top_logprobs': {OpenAiHttp.Excerpt(text)}");
        }
        if (result.Count == 0) throw new LlmServerException($"{Endpoint}: the top-logprobs list of the first token is empty");
        return result;
    }

    /// <summary>
    /// <paramref name="n"/> sampled responses to <paramref name="prompt"/>. Servers that return fewer choices than
    /// <c>n</c> (llama.cpp answers one per request) are asked again, with the seed advanced by one per request,
    /// until n responses are in.
    /// </summary>
    public IReadOnlyList<string> Sample(LlmPrompt prompt, int n, double temperature = 1.0, int maxTokens = 256, int? seed = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        var samples = new List<string>();
        for (var request = 0; samples.Count < n; request++)
        {
            if (request >= n) throw new LlmServerException($"{Endpoint}: {n} requests gave only {samples.Count} of {n} samples");
            var body = Request(prompt, maxTokens, temperature);
            body["n"] = n - samples.Count;
            if (seed is { } s) body["seed"] = s + request;
            var text = http.PostJson(Endpoint, Encoding.UTF8.GetBytes(body.ToJsonString()), cancellationToken);
            using var document = ParseJson(text);
            var index = 0;
            foreach (var choice in Choices(document.RootElement, text))
            {
                var where = $"choices[{index++}]";
                string? content = null;
                if (Options.Api == LlmApi.Chat)
                {
                    if (choice.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object
                        && message.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String) content = c.GetString();
                    if (content is null) throw new LlmServerException($"{Endpoint}: {where}.message.content is missing or not a string: {OpenAiHttp.Excerpt(text)}");
                }
                else
                {
                    if (choice.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String) content = t.GetString();
                    if (content is null) throw new LlmServerException($"{Endpoint}: {where}.text is missing or not a string: {OpenAiHttp.Excerpt(text)}");
                }
                if (samples.Count < n) samples.Add(content!);
            }
        }
        return samples;
    }

    private JsonObject Request(LlmPrompt prompt, int maxTokens, double temperature)
    {
        var request = new JsonObject { ["model"] = Options.Model };
        if (Options.Api == LlmApi.Chat) request["messages"] = prompt.ChatMessages();
        else request["prompt"] = prompt.CompletionText;
        request["max_tokens"] = maxTokens;
        request["temperature"] = temperature;
        return request;
    }

    private JsonDocument ParseJson(string text)
    {
        try { return JsonDocument.Parse(text); }
        catch (JsonException e) { throw new LlmServerException($"{Endpoint}: the response is not valid JSON ({e.Message}): {OpenAiHttp.Excerpt(text)}", e); }
    }

    private List<JsonElement> Choices(JsonElement root, string text)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
            throw new LlmServerException($"{Endpoint}: the response has no 'choices' array: {OpenAiHttp.Excerpt(text)}");
        var list = choices.EnumerateArray().ToList();
        if (list.Count == 0) throw new LlmServerException($"{Endpoint}: the response's 'choices' array is empty");
        if (list.Any(c => c.ValueKind != JsonValueKind.Object)) throw new LlmServerException($"{Endpoint}: a choice is not an object: {OpenAiHttp.Excerpt(text)}");
        return list;
    }

    private double Logprob(JsonElement value, string where)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var logprob) || double.IsNaN(logprob) || logprob > 1e-9)
            throw new LlmServerException($"{Endpoint}: {where} is {value.GetRawText()}, not a log-probability (a number ≤ 0)");
        return Math.Min(logprob, 0);
    }

    public void Dispose() => http.Dispose();
}

/// <summary>The LLM server failed or answered something unusable; the message says which and how.</summary>
public sealed class LlmServerException : Exception
{
    public LlmServerException() { }
    public LlmServerException(string message) : base(message) { }
    public LlmServerException(string message, Exception inner) : base(message, inner) { }
}
