using Gpo.Data;

namespace Gpo.Evaluation.Baselines;

/// <summary>
/// The training-side groups' answers (meta-train ∪ validation in the reproduction), by question: what the
/// population prior and the context-using baselines read. Groups are numbered by their position in
/// <see cref="Groups"/>; a group may lack questions (GlobalOpinionQA). Shares are validated on the way in
/// (finite, non-negative, not all zero, one per option, the same option count for every group of a question).
/// </summary>
public sealed class TrainingPopulation
{
    private static readonly IReadOnlyList<(int Group, double[] Distribution)> NoAnswers = [];

    private readonly Dictionary<string, List<(int Group, double[] Distribution)>> _answers;
    private readonly Dictionary<string, double[]> _priors = new(StringComparer.Ordinal);

    private TrainingPopulation(IReadOnlyList<string> groups, Dictionary<string, List<(int Group, double[] Distribution)>> answers)
    {
        Groups = groups;
        _answers = answers;
        foreach (var (questionId, list) in _answers)
            _priors[questionId] = Mean(list, exclude: -1)!;
    }

    /// <summary>The training-side groups' names; an answer's group index points into this list.</summary>
    public IReadOnlyList<string> Groups { get; }

    /// <summary>Ids of the questions at least one group answered (no particular order).</summary>
    public IEnumerable<string> QuestionIds => _answers.Keys;

    /// <summary>Whether every group answered every question that any group answered.</summary>
    public bool IsDense => _answers.Values.All(list => list.Count == Groups.Count);

    /// <summary>The answers of <paramref name="groups"/> in <paramref name="dataset"/> (every question each one has).</summary>
    public static TrainingPopulation FromDataset(PreferenceDataset dataset, IEnumerable<string> groups)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(groups);
        return FromGroups(groups.Select(g =>
        {
            if (!dataset.HasGroup(g)) throw new InvalidOperationException($"Dataset '{dataset.Name}' has no group '{g}'.");
            return (g, dataset.AnswersOf(g).Select(a => (a.Question.Id, a.Distribution.ToArray())));
        }));
    }

    /// <summary>
    /// A population from named groups' (question id, distribution) answers. The distributions are copied.
    /// Throws <see cref="InvalidOperationException"/> naming the group and question for a duplicate group, a
    /// question answered twice by one group, a share that is not finite or is negative, all-zero shares, or
    /// groups that disagree on a question's option count.
    /// </summary>
    public static TrainingPopulation FromGroups(IEnumerable<(string Group, IEnumerable<(string QuestionId, double[] Distribution)> Answers)> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var names = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var answers = new Dictionary<string, List<(int Group, double[] Distribution)>>(StringComparer.Ordinal);
        foreach (var (group, groupAnswers) in groups)
        {
            ArgumentNullException.ThrowIfNull(group);
            ArgumentNullException.ThrowIfNull(groupAnswers);
            if (!seen.Add(group)) throw new InvalidOperationException($"Group '{group}' appears twice in the training population.");
            var index = names.Count;
            names.Add(group);
            var answered = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (questionId, distribution) in groupAnswers)
            {
                ArgumentNullException.ThrowIfNull(questionId);
                if (!answered.Add(questionId)) throw new InvalidOperationException($"Group '{group}' answers question '{questionId}' twice.");
                Validate(group, questionId, distribution);
                if (!answers.TryGetValue(questionId, out var list)) answers[questionId] = list = [];
                else if (list[0].Distribution.Length != distribution.Length)
                    throw new InvalidOperationException($"Question '{questionId}': groups disagree on the option count ('{names[list[0].Group]}' has {list[0].Distribution.Length}, '{group}' has {distribution.Length}).");
                list.Add((index, (double[])distribution.Clone()));
            }
        }
        return new TrainingPopulation(names, answers);
    }

    /// <summary>The groups that answered <paramref name="questionId"/>, with their shares, in group order; empty if none.</summary>
    public IReadOnlyList<(int Group, double[] Distribution)> Answers(string questionId)
    {
        ArgumentNullException.ThrowIfNull(questionId);
        return _answers.TryGetValue(questionId, out var list) ? list : NoAnswers;
    }

    /// <summary>
    /// The population prior of a question: the mean distribution of the groups that answered it, leaving out
    /// <paramref name="excludeGroup"/> when given (a name not in the population excludes nothing); null when no
    /// (remaining) group answered it. A fresh array each call.
    /// </summary>
    public double[]? Prior(string questionId, string? excludeGroup = null)
    {
        ArgumentNullException.ThrowIfNull(questionId);
        if (!_answers.TryGetValue(questionId, out var list)) return null;
        var exclude = excludeGroup is null ? -1 : IndexOf(excludeGroup);
        return exclude < 0 ? (double[])_priors[questionId].Clone() : Mean(list, exclude);
    }

    /// <summary>
    /// Whether a group other than <paramref name="excludeGroup"/> answered <paramref name="questionId"/> — whether
    /// <see cref="Prior"/> with that exclusion is defined, without computing it.
    /// </summary>
    public bool Covers(string questionId, string? excludeGroup = null)
    {
        ArgumentNullException.ThrowIfNull(questionId);
        if (!_answers.TryGetValue(questionId, out var list)) return false;
        var exclude = excludeGroup is null ? -1 : IndexOf(excludeGroup);
        return list.Exists(a => a.Group != exclude);
    }

    /// <summary>The index of <paramref name="group"/> in <see cref="Groups"/>, or −1.</summary>
    public int IndexOf(string group)
    {
        for (var g = 0; g < Groups.Count; g++)
            if (string.Equals(Groups[g], group, StringComparison.Ordinal)) return g;
        return -1;
    }

    /// <summary>The same population less <paramref name="group"/> (the same population when it is not in it); groups are renumbered.</summary>
    public TrainingPopulation Without(string group)
    {
        ArgumentNullException.ThrowIfNull(group);
        var removed = IndexOf(group);
        if (removed < 0) return this;
        var answers = new Dictionary<string, List<(int Group, double[] Distribution)>>(StringComparer.Ordinal);
        foreach (var (questionId, list) in _answers)
        {
            var kept = list.Where(a => a.Group != removed).Select(a => (a.Group > removed ? a.Group - 1 : a.Group, a.Distribution)).ToList();
            if (kept.Count > 0) answers[questionId] = kept;
        }
        return new TrainingPopulation(Groups.Where((_, g) => g != removed).ToArray(), answers);
    }

    private static double[]? Mean(List<(int Group, double[] Distribution)> answers, int exclude)
    {
        double[]? sum = null;
        var count = 0;
        foreach (var (group, distribution) in answers)
        {
            if (group == exclude) continue;
            sum ??= new double[distribution.Length];
            for (var o = 0; o < sum.Length; o++) sum[o] += distribution[o];
            count++;
        }
        if (sum is null) return null;
        for (var o = 0; o < sum.Length; o++) sum[o] /= count;
        return sum;
    }

    private static void Validate(string group, string questionId, double[] distribution)
    {
        if (distribution is null || distribution.Length == 0)
            throw new InvalidOperationException($"Group '{group}', question '{questionId}': no shares.");
        var sum = 0.0;
        for (var o = 0; o < distribution.Length; o++)
        {
            var share = distribution[o];
            if (!double.IsFinite(share) || share < 0)
                throw new InvalidOperationException($"Group '{group}', question '{questionId}': share {o} is {share} (must be finite and ≥ 0).");
            sum += share;
        }
        if (sum <= 0) throw new InvalidOperationException($"Group '{group}', question '{questionId}': every share is 0.");
    }
}
