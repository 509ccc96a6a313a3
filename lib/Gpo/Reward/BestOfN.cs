using Gpo.Llm;

namespace Gpo.Reward;

/// <summary>
/// Best-of-N with GPO as the reward: N responses to a prompt are sampled from an OpenAI-compatible server, and the
/// group's predicted preference share ranks them; the favourite is the group's best of N.
/// </summary>
public static class BestOfN
{
    /// <summary>Samples <paramref name="n"/> responses (plain prompt, no instruction wrapper) and ranks them for the group.</summary>
    public static CandidateRanking Run(OpenAiLlmClient client, GroupRewardModel reward, GroupProfile profile, string prompt, int n,
        double temperature = 1.0, int maxTokens = 256, int? seed = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(reward);
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 2);
        var samples = client.Sample(new LlmPrompt(null, prompt), n, temperature, maxTokens, seed, cancellationToken);
        var empty = samples.Select((s, i) => (s, i)).Where(x => string.IsNullOrWhiteSpace(x.s)).Select(x => x.i + 1).ToList();
        if (empty.Count > 0) throw new LlmResponseException($"{client.Endpoint}: sample(s) {string.Join(", ", empty)} of {n} are empty; raise max tokens or check the prompt");
        return reward.Rank(profile, prompt, samples);
    }
}
