namespace Gpo.Llm;

/// <summary>What to do with an option letter that is not among the server's top logprobs.</summary>
public enum MissingLetterPolicy
{
    /// <summary>
    /// Give it the probability of the least likely token the server did list (the most it can have, since it was
    /// not listed; the GPO reference code does the same), then renormalise. At least one option letter must be
    /// listed, otherwise it is an error (never a silent uniform).
    /// </summary>
    Floor,

    /// <summary>Any missing option letter is an error.</summary>
    Error,
}

/// <summary>A distribution over a question's option letters read off a first token's top logprobs, with what was odd about it.</summary>
/// <param name="Distribution">[optionCount] probabilities, summing to 1.</param>
/// <param name="MissingLetters">Option letters that were not among the top tokens (filled by <see cref="MissingLetterPolicy.Floor"/>).</param>
/// <param name="OutsideLetters">Letters the model ranked that name no option of this question (e.g. "E" for four options); ignored.</param>
/// <param name="LetterMass">Total probability of the option-letter tokens before renormalising (how much the model put on a valid answer).</param>
public sealed record LetterDistribution(double[] Distribution, IReadOnlyList<char> MissingLetters, IReadOnlyList<char> OutsideLetters, double LetterMass);

/// <summary>
/// The paper's way of reading an LLM's answer distribution: the probability of each option letter as the first
/// generated token, renormalised over the question's letters. A token counts for letter L when, with surrounding
/// white space removed, it is exactly L (upper case): " A" and "A" both count, and their probabilities add up
/// (they are different tokens for the same answer). Other tokens ("The", "a", "A.") are ignored.
/// </summary>
public static class OptionLetterDistribution
{
    /// <summary>The distribution over <paramref name="optionCount"/> letters A, B, … from the top logprobs.</summary>
    /// <exception cref="LlmResponseException">No option letter among the tokens, or a letter missing under <see cref="MissingLetterPolicy.Error"/>.</exception>
    public static LetterDistribution FromTopLogprobs(IReadOnlyList<TokenLogprob> top, int optionCount, MissingLetterPolicy policy = MissingLetterPolicy.Floor)
    {
        ArgumentNullException.ThrowIfNull(top);
        ArgumentOutOfRangeException.ThrowIfLessThan(optionCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(optionCount, 26);
        if (top.Count == 0) throw new LlmResponseException("the server listed no top tokens");
        var mass = new double[optionCount];
        var found = new bool[optionCount];
        var outside = new SortedSet<char>();
        foreach (var entry in top)
        {
            var token = entry.Token.Trim();
            if (token.Length != 1 || token[0] is < 'A' or > 'Z') continue;
            var index = token[0] - 'A';
            if (index >= optionCount) { outside.Add(token[0]); continue; }
            mass[index] += Math.Exp(entry.Logprob);
            found[index] = true;
        }
        var missing = Enumerable.Range(0, optionCount).Where(i => !found[i]).Select(i => (char)('A' + i)).ToList();
        var letters = string.Join(", ", Enumerable.Range(0, optionCount).Select(i => (char)('A' + i)));
        if (missing.Count == optionCount)
            throw new LlmResponseException($"none of the option letters {letters} is among the {top.Count} most likely first tokens ({Listed(top)})");
        if (missing.Count > 0 && policy == MissingLetterPolicy.Error)
            throw new LlmResponseException($"option letter(s) {string.Join(", ", missing)} not among the {top.Count} most likely first tokens ({Listed(top)})");
        var letterMass = mass.Sum();
        if (missing.Count > 0)
        {
            var floor = Math.Exp(top.Min(t => t.Logprob));
            foreach (var i in Enumerable.Range(0, optionCount).Where(i => !found[i])) mass[i] = floor;
        }
        var total = mass.Sum();
        if (!(total > 0) || !double.IsFinite(total))
            throw new LlmResponseException($"the option letters' probabilities sum to {total} ({Listed(top)})");
        return new LetterDistribution(mass.Select(m => m / total).ToArray(), missing, [.. outside], letterMass);
    }

    private static string Listed(IReadOnlyList<TokenLogprob> top) =>
        string.Join(", ", top.Take(8).Select(t => $"'{t.Token}'")) + (top.Count > 8 ? ", …" : "");
}

/// <summary>The server answered, but its answer cannot be read as a distribution over the options; the message says why.</summary>
public sealed class LlmResponseException : Exception
{
    public LlmResponseException() { }
    public LlmResponseException(string message) : base(message) { }
    public LlmResponseException(string message, Exception inner) : base(message, inner) { }
}
