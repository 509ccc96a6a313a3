using System.Text.Json.Nodes;
using Gpo.Data;

namespace Gpo.Llm;

/// <summary>The paper's three prompting baselines for one dataset, ready to join a reproduction's methods.</summary>
public static class LlmBaselines
{
    /// <summary>
    /// Zero-shot, steered and few-shot predictors on <paramref name="client"/> for <paramref name="dataset"/>; the
    /// steering comes from <see cref="LlmSteering.For"/> (OpinionQA's steer-portray.csv under the data root, country
    /// sentences for GlobalOpinionQA, a generic sentence otherwise).
    /// </summary>
    public static IReadOnlyList<LlmPromptPredictor> Create(OpenAiLlmClient client, PreferenceDataset dataset, string? dataRoot,
        int parallelism = 1, MissingLetterPolicy missingLetters = MissingLetterPolicy.Floor, SteeringStyle style = SteeringStyle.Portray)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(dataset);
        var steering = LlmSteering.For(dataset, dataRoot, style);
        return [.. Enum.GetValues<LlmBaseline>().Select(b => new LlmPromptPredictor(client, dataset, b, steering, missingLetters) { Parallelism = parallelism })];
    }

    /// <summary>The manifest entry naming the server, model and methods (and, after a run, what was odd in the answers).</summary>
    public static JsonObject Describe(OpenAiLlmClient client, IReadOnlyList<LlmPromptPredictor> methods)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(methods);
        var steering = methods.FirstOrDefault()?.Steering;
        return new JsonObject
        {
            ["llm_server"] = client.Endpoint.AbsoluteUri,
            ["llm_model"] = client.Options.Model,
            ["llm_api"] = client.Options.Api == LlmApi.Chat ? "chat" : "completions",
            ["top_logprobs"] = client.Options.TopLogprobs,
            ["methods"] = new JsonArray([.. methods.Select(m => (JsonNode)m.Name)]),
            ["steering"] = steering is null ? null : (steering.Countries ? "countries-" : "") + steering.Style.ToString().ToLowerInvariant(),
        };
    }
}
