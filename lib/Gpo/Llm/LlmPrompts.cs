using System.Globalization;
using System.Text;
using Gpo.Data;

namespace Gpo.Llm;

/// <summary>
/// The prompts of the paper's three prompting baselines, as the GPO reference code builds them
/// (<c>baselines/eval_basemodel.py</c>, <c>eval_basemodel_fewshot.py</c>, <c>data/anthropic_global_opinions.py</c>):
/// an instruction and an input, rendered in the Alpaca format for a completions endpoint or as system + user
/// messages for chat (<see cref="LlmPrompt"/>). Options are lettered A, B, … one per line.
/// </summary>
public static class LlmPrompts
{
    /// <summary>The zero-shot and steered instruction.</summary>
    public const string AnswerInstruction = "Answer the following question by selecting ONE of the listed options.";

    /// <summary>The few-shot instruction.</summary>
    public const string FewShotInstruction = "Given the answer distributions from a specific demographic group for certain questions in a public opinion survey, answer the subsequent new question by selecting ONE of the options, as if you are a member of this identified demographic group:";

    /// <summary>The lettered options, each on its own line after a newline: <c>"\nA. Yes\nB. No"</c> (the reference's <c>get_options_str</c>).</summary>
    public static string OptionLines(IReadOnlyList<string> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var text = new StringBuilder();
        for (var i = 0; i < options.Count; i++) text.Append('\n').Append(Gpo.Embeddings.EmbeddingTemplate.Letter(i)).Append(". ").Append(options[i]);
        return text.ToString();
    }

    /// <summary>Zero-shot ("LM base"): the question and its options, nothing about the group.</summary>
    public static LlmPrompt ZeroShot(Question question)
    {
        ArgumentNullException.ThrowIfNull(question);
        return new LlmPrompt(AnswerInstruction, Input(question));
    }

    /// <summary>Steered ("LM steered"): the zero-shot prompt with the group named in the instruction by <paramref name="steering"/>.</summary>
    public static LlmPrompt Steered(Question question, string group, LlmSteering steering)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(steering);
        return new LlmPrompt(steering.Instruction(group), Input(question));
    }

    /// <summary>
    /// Few-shot: the group's k context questions with their answer distributions (percentages rounded to two
    /// decimals, options in letter order — the reference shuffles that order at random, which this deterministic
    /// version does not), then the new question. For chat, "Your response:" ends the user message as in the
    /// reference's Llama-2 format.
    /// </summary>
    public static LlmPrompt FewShot(IReadOnlyList<(Question Question, IReadOnlyList<double> Distribution)> context, Question question, bool chat)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(question);
        var text = new StringBuilder("Context: Public Opinion Survey Answers from a Specific Demographic Group\n\n");
        for (var i = 0; i < context.Count; i++)
        {
            var (q, distribution) = context[i];
            if (distribution.Count != q.OptionCount) throw new ArgumentException($"context question {q.Id}: {distribution.Count} shares for {q.OptionCount} options");
            text.Append(CultureInfo.InvariantCulture, $"Question {i + 1}:\n{q.Text}\nOptions:\n{OptionLines(q.Options)}\n");
            text.Append("Answer Distribution of this group:\n");
            text.Append(string.Join(", ", distribution.Select((share, o) => $"{Gpo.Embeddings.EmbeddingTemplate.Letter(o)}: {Percent(share)}%")));
            text.Append("\n\n");
        }
        text.Append("\nBased on the above list of answered questions from a demographic group, answer the NEW question by selecting only ONE of the options, as if you are a member of this demographic group: \nNew question: \n\n");
        text.Append(question.Text).Append("\n\nOptions:\n").Append(OptionLines(question.Options));
        if (chat) text.Append("\nYour response: \n");
        return new LlmPrompt(FewShotInstruction, text.ToString());
    }

    /// <summary>A share as Python's <c>round(share * 100, 2)</c> prints: at least one decimal (<c>50.0</c>, <c>49.93</c>).</summary>
    public static string Percent(double share) => Math.Round(share * 100, 2, MidpointRounding.ToEven).ToString("0.0#", CultureInfo.InvariantCulture);

    private static string Input(Question question) => $"{question.Text}\n\nOptions:{OptionLines(question.Options)}";
}

/// <summary>How the steered prompt names the group (the reference code's <c>steer</c> setting; its default is <c>portray</c>).</summary>
public enum SteeringStyle
{
    /// <summary>"Answer the following question as if …" (OpinionQA's <c>steer-portray.csv</c>).</summary>
    Portray,

    /// <summary>A short self-description (OpinionQA's <c>steer-bio.csv</c>).</summary>
    Bio,

    /// <summary>A previously answered demographic question (OpinionQA's <c>steer-qa.csv</c>).</summary>
    Qa,
}

/// <summary>
/// The steered instruction for a group. OpinionQA groups take their text from OpinionQA's
/// <c>model_input/steer-{style}.csv</c> (tab-separated, columns <c>question</c>, <c>subgroup</c>), as the reference code
/// does; countries (GlobalOpinionQA) take the reference's country sentences. A group the steering file does not
/// list (e.g. <c>Independent</c>, which is not among GPO's 22 groups) gets a generic sentence naming it, and is
/// recorded in <see cref="FallbackGroups"/>.
/// </summary>
public sealed class LlmSteering
{
    private readonly IReadOnlyDictionary<string, string>? texts;
    private readonly HashSet<string> fallback = new(StringComparer.Ordinal);

    private LlmSteering(SteeringStyle style, IReadOnlyDictionary<string, string>? texts, bool countries)
    {
        Style = style;
        this.texts = texts;
        Countries = countries;
    }

    public SteeringStyle Style { get; }

    /// <summary>True for the country sentences (GlobalOpinionQA).</summary>
    public bool Countries { get; }

    /// <summary>Groups that had no steering text of their own and got the generic sentence.</summary>
    public IReadOnlyCollection<string> FallbackGroups { get { lock (fallback) return fallback.ToList(); } }

    /// <summary>Country sentences (GlobalOpinionQA).</summary>
    public static LlmSteering ForCountries(SteeringStyle style = SteeringStyle.Portray) => new(style, null, countries: true);

    /// <summary>The generic sentence for every group (data with no steering file).</summary>
    public static LlmSteering Generic(SteeringStyle style = SteeringStyle.Portray) => new(style, new Dictionary<string, string>(), countries: false);

    /// <summary>OpinionQA's steering file (<c>steer-portray.csv</c>, <c>steer-bio.csv</c> or <c>steer-qa.csv</c>).</summary>
    public static LlmSteering FromOpinionQaFile(string path, SteeringStyle style)
    {
        ArgumentNullException.ThrowIfNull(path);
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in CsvRows.Read(path, path, ["question", "subgroup"], '\t'))
        {
            if (string.IsNullOrWhiteSpace(row["subgroup"])) throw new DataFormatException(path, row.Line, "subgroup", "empty subgroup");
            texts[row["subgroup"]] = row["question"];
        }
        return new LlmSteering(style, texts, countries: false);
    }

    /// <summary>
    /// The steering for a dataset: country sentences for GlobalOpinionQA formats; for OpinionQA, the steering file
    /// <c>{dataRoot}/opinionqa/model_input/steer-{style}.csv</c> when it exists, else the generic sentence.
    /// </summary>
    public static LlmSteering For(PreferenceDataset dataset, string? dataRoot, SteeringStyle style = SteeringStyle.Portray)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var format = dataset.Provenance.Format;
        if (format.Contains("global", StringComparison.Ordinal)) return ForCountries(style);
        if (dataRoot is not null && format.Contains("opinionqa", StringComparison.Ordinal))
        {
            var file = Path.Combine(dataRoot, "opinionqa", "model_input", $"steer-{style.ToString().ToLowerInvariant()}.csv");
            if (File.Exists(file)) return FromOpinionQaFile(file, style);
        }
        return Generic(style);
    }

    /// <summary>The steered instruction for <paramref name="group"/>.</summary>
    public string Instruction(string group)
    {
        ArgumentException.ThrowIfNullOrEmpty(group);
        const string instruction = LlmPrompts.AnswerInstruction;
        if (Countries)
        {
            var lead = Style switch
            {
                SteeringStyle.Bio => "Below, you will be asked to provide a short description of the country you are from and then answer some questions. \n Description: I come from ",
                SteeringStyle.Qa => "For context, here is a question you previsouly answered: Which country are you from? ",
                _ => "Answer the following question by selecting ONE of the listed options as if you are from ",
            };
            return instruction + "\n" + lead + group;
        }
        if (texts!.TryGetValue(group, out var text))
            return Style == SteeringStyle.Qa
                ? instruction + ". \n For context, here is a question you previsouly answered:" + text + "\n" + group
                : instruction + ". \n" + text;
        lock (fallback) fallback.Add(group);
        return instruction + "\n" + $"Answer the following question as if you were a member of this group: {group}.";
    }
}
