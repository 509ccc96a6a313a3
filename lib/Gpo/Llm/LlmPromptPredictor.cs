using Gpo.Data;
using Gpo.Evaluation;

namespace Gpo.Llm;

/// <summary>The paper's three prompting baselines.</summary>
public enum LlmBaseline
{
    /// <summary>"LM base": the question alone.</summary>
    ZeroShot,

    /// <summary>"LM steered": the group named in the instruction.</summary>
    Steered,

    /// <summary>"Few-shot prompt": the group's k context questions with their answer distributions in the prompt.</summary>
    FewShot,
}

/// <summary>What an <see cref="LlmPromptPredictor"/> noticed while predicting (counts over all its queries so far).</summary>
/// <param name="Queries">Questions predicted.</param>
/// <param name="WithMissingLetters">Questions where at least one option letter was not among the top tokens (filled by the floor).</param>
/// <param name="WithOutsideLetters">Questions where the model ranked a letter that names no option.</param>
/// <param name="MeanLetterMass">Mean probability the model put on the option letters before renormalising.</param>
public sealed record LlmDiagnostics(int Queries, int WithMissingLetters, int WithOutsideLetters, double MeanLetterMass);

/// <summary>
/// One of the paper's LLM prompting baselines as an <see cref="IPreferencePredictor"/>: for every query question of
/// an episode, the prompt of <see cref="LlmPrompts"/> goes to an OpenAI-compatible server, and the distribution is the
/// first token's top logprobs renormalised over the option letters (<see cref="OptionLetterDistribution"/>). The
/// question texts come from <paramref name="dataset"/> (an episode carries only ids and features). Zero-shot and
/// steered ignore the context; few-shot puts all of the episode's context questions into the prompt.
/// A server or response failure is an exception naming the group and question — never a uniform guess.
/// </summary>
public sealed class LlmPromptPredictor(OpenAiLlmClient client, PreferenceDataset dataset, LlmBaseline baseline,
    LlmSteering? steering = null, MissingLetterPolicy missingLetters = MissingLetterPolicy.Floor) : IPreferencePredictor
{
    private readonly object gate = new();
    private int queries, withMissing, withOutside;
    private double letterMass;

    /// <summary><c>llm_zero_shot</c>, <c>llm_steered</c> or <c>llm_few_shot</c>.</summary>
    public string Name => NameOf(baseline);

    /// <summary>The method name of a baseline in result files.</summary>
    public static string NameOf(LlmBaseline baseline) => baseline switch
    {
        LlmBaseline.ZeroShot => "llm_zero_shot",
        LlmBaseline.Steered => "llm_steered",
        _ => "llm_few_shot",
    };

    public LlmBaseline Baseline => baseline;

    /// <summary>The steering in use (steered baseline): generic unless given.</summary>
    public LlmSteering Steering { get; } = steering ?? LlmSteering.Generic();

    /// <summary>Concurrent requests (1: one at a time). Servers with several slots (llama.cpp <c>--parallel</c>, vLLM) answer faster with more.</summary>
    public int Parallelism { get; init; } = 1;

    /// <summary>Counts of what was odd in the answers so far.</summary>
    public LlmDiagnostics Diagnostics
    {
        get { lock (gate) return new LlmDiagnostics(queries, withMissing, withOutside, queries == 0 ? double.NaN : letterMass / queries); }
    }

    public double[][] Predict(Episode episode)
    {
        ArgumentNullException.ThrowIfNull(episode);
        var context = baseline == LlmBaseline.FewShot
            ? episode.Context.Select(q => (dataset.GetQuestion(q.QuestionId),
                (IReadOnlyList<double>)(q.Distribution ?? throw new InvalidOperationException($"Episode '{episode.Group}': context question '{q.QuestionId}' has no distribution.")))).ToList()
            : [];
        var result = new double[episode.Queries.Count][];
        void PredictQuery(int i)
        {
            var question = dataset.GetQuestion(episode.Queries[i].QuestionId);
            var prompt = baseline switch
            {
                LlmBaseline.ZeroShot => LlmPrompts.ZeroShot(question),
                LlmBaseline.Steered => LlmPrompts.Steered(question, episode.Group, Steering),
                _ => LlmPrompts.FewShot(context, question, client.Options.Api == LlmApi.Chat),
            };
            LetterDistribution letters;
            try
            {
                letters = OptionLetterDistribution.FromTopLogprobs(client.FirstTokenLogprobs(prompt), question.OptionCount, missingLetters);
            }
            catch (LlmResponseException e)
            {
                throw new LlmResponseException($"{Name}, group '{episode.Group}', question {question.Id}: {e.Message}", e);
            }
            catch (LlmServerException e)
            {
                throw new LlmServerException($"{Name}, group '{episode.Group}', question {question.Id}: {e.Message}", e);
            }
            result[i] = letters.Distribution;
            lock (gate)
            {
                queries++;
                if (letters.MissingLetters.Count > 0) withMissing++;
                if (letters.OutsideLetters.Count > 0) withOutside++;
                letterMass += letters.LetterMass;
            }
        }
        if (Parallelism <= 1)
        {
            for (var i = 0; i < result.Length; i++) PredictQuery(i);
            return result;
        }
        try
        {
            Parallel.For(0, result.Length, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, PredictQuery);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            // The first failure, as the sequential path would raise it.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
        return result;
    }
}
