namespace Gpo.Data;

/// <summary>
/// One survey question: its text, its K answer options (2..12 in the real data) and, for OpinionQA,
/// the ordinal value of each option (its position on the answer scale; not always sorted, e.g. [1, 2, 1.5]).
/// </summary>
public sealed class Question
{
    public Question(string id, string text, IReadOnlyList<string> options, IReadOnlyList<double>? ordinals = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Count == 0) throw new ArgumentException($"question {id} has no options", nameof(options));
        if (ordinals is not null && ordinals.Count != options.Count)
            throw new ArgumentException($"question {id}: {ordinals.Count} ordinals for {options.Count} options", nameof(ordinals));
        Id = id;
        Text = text;
        Options = options.ToArray();
        Ordinals = ordinals?.ToArray();
    }

    /// <summary>Stable id: OpinionQA's qkey (e.g. <c>WORRYB_W26</c>), otherwise <see cref="QuestionIdentity.Hash"/> of text + options.</summary>
    public string Id { get; }

    /// <summary>The bare question text (no options, no "Answer:" suffix).</summary>
    public string Text { get; }

    /// <summary>The option texts in survey order; a distribution over this question has one share per option.</summary>
    public IReadOnlyList<string> Options { get; }

    /// <summary>Ordinal value per option, or null when the source has none (GlobalOpinionQA).</summary>
    public IReadOnlyList<double>? Ordinals { get; }

    /// <summary>K_q, the number of options (= tokens this question contributes).</summary>
    public int OptionCount => Options.Count;

    public override string ToString() => $"{Id}: {Text} [{string.Join(" | ", Options)}]";
}
