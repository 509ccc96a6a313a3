using System.Diagnostics;
using System.Globalization;
using Gpo.Data;

namespace Gpo.Embeddings;

/// <summary>One throughput measurement of an encoder.</summary>
/// <param name="Texts">Texts embedded.</param>
/// <param name="Tokens">Their token count ([CLS]/[SEP] included) for the built-in encoder; 0 when unknown (server).</param>
/// <param name="Seconds">Wall-clock time of the embedding call (after a warm-up call).</param>
public sealed record EncoderThroughput(int Texts, long Tokens, double Seconds)
{
    public double TextsPerSecond => Texts / Seconds;
    public double TokensPerSecond => Tokens / Seconds;

    /// <summary>
    /// <paramref name="count"/> templated survey texts: the (question, option) texts of <paramref name="questions"/>
    /// cycled (a repeat gets a numbered suffix so it is a new text), or, without questions, made-up
    /// survey-like questions with 2–5 options.
    /// </summary>
    public static List<string> SampleTexts(EmbeddingTemplate template, int count, IReadOnlyList<Question>? questions = null)
    {
        ArgumentNullException.ThrowIfNull(template);
        var pool = questions is { Count: > 0 } ? questions.SelectMany(q => template.FormatAll(q.Text, q.Options)).ToList() : MadeUpSurveyTexts(template);
        return Enumerable.Range(0, count).Select(i => i < pool.Count ? pool[i] : string.Create(CultureInfo.InvariantCulture, $"{pool[i % pool.Count]} ({i / pool.Count})")).ToList();
    }

    /// <summary>Embeds the first 64 texts once (JIT, buffers), then times embedding all of them.</summary>
    public static EncoderThroughput Measure(ITextEncoder encoder, IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(texts);
        long tokens = encoder is BertEncoder bert ? texts.Sum(t => (long)bert.Tokenizer.Encode(t).Length) : 0;
        encoder.Embed(texts.Take(Math.Min(64, texts.Count)).ToList());
        var stopwatch = Stopwatch.StartNew();
        encoder.Embed(texts);
        return new EncoderThroughput(texts.Count, tokens, stopwatch.Elapsed.TotalSeconds);
    }

    private static List<string> MadeUpSurveyTexts(EmbeddingTemplate template)
    {
        string[] subjects = ["the national government", "your local schools", "large technology companies", "the news media", "scientists", "labor unions",
            "the police in your area", "elected officials", "religious organizations", "the military"];
        string[] stems = ["How much do you trust {0} to act in the public interest?",
            "Overall, do you think {0} have a positive or negative effect on the way things are going in this country today?",
            "In the next ten years, do you expect the influence of {0} to grow, shrink, or stay about the same?",
            "How well do you think {0} understand the problems of people like you?"];
        string[][] scales = [["A great deal", "A fair amount", "Not too much", "Not at all"], ["Positive", "Negative"], ["Grow", "Shrink", "Stay about the same"],
            ["Very well", "Somewhat well", "Not too well", "Not at all well", "Refused"]];
        var texts = new List<string>();
        foreach (var subject in subjects)
            for (var q = 0; q < stems.Length; q++)
                texts.AddRange(template.FormatAll(string.Format(CultureInfo.InvariantCulture, stems[q], subject), scales[q]));
        return texts;
    }
}
