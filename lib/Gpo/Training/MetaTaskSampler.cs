using Gpo.Data;
using Gpo.Evaluation;
using Gpo.Model;

namespace Gpo.Training;

/// <summary>Bounds of the per-step question draws (spec gpo.md §4), in questions, not tokens.</summary>
/// <param name="ContextMin">Fewest context questions per step (paper: 10).</param>
/// <param name="ContextMax">Most context questions per step (paper: 100).</param>
/// <param name="TargetMin">Fewest target questions per step (paper: 10).</param>
/// <param name="TargetMax">Most target questions per step (paper: 100).</param>
public sealed record QuestionDrawBounds(int ContextMin = 10, int ContextMax = 100, int TargetMin = 10, int TargetMax = 100)
{
    /// <summary>
    /// The bounds scaled down for a group with <paramref name="questionCount"/> questions: the
    /// context takes at most half, and at least one question is always left as a target.
    /// </summary>
    public QuestionDrawBounds FitTo(int questionCount)
    {
        if (questionCount < 2)
            throw new ArgumentOutOfRangeException(nameof(questionCount), questionCount, "A group needs at least 2 questions (1 context, 1 target).");
        var contextMax = Math.Clamp(Math.Min(ContextMax, questionCount / 2), 1, questionCount - 1);
        var contextMin = Math.Clamp(ContextMin, 1, contextMax);
        var targetMax = Math.Max(1, Math.Min(TargetMax, questionCount - contextMin));
        var targetMin = Math.Clamp(TargetMin, 1, targetMax);
        return new QuestionDrawBounds(contextMin, contextMax, targetMin, targetMax);
    }
}

/// <summary>
/// One group's share of a meta-training step: which questions are context and which are targets, and how its tokens'
/// inputs are written (null: the text embeddings alone, the paper's module).
/// </summary>
public sealed record GroupTask(string Group, IReadOnlyList<EpisodeQuestion> Context, IReadOnlyList<EpisodeQuestion> Targets, ITokenInputs? Inputs = null);

/// <summary>
/// Draws the context/target questions of each meta-training step (spec gpo.md §4): every
/// meta-train group takes part in every step; n_ctx ~ U{min..max} context questions and
/// n_tar ~ U{min..min(max, remaining)} target questions; all options of a chosen question become
/// tokens. When the groups share their questions (OpinionQA: the common questions are at least
/// <see cref="ContextDraw.SharedOverlap"/> of the smallest group's), one permutation of the common
/// questions is shared by all groups of the step; otherwise each group draws its own permutation
/// (GlobalOpinionQA), the bounds follow the largest group, and a smaller group's counts are clipped to
/// what it has (at most half of its questions as context), so the batch is padded.
/// </summary>
public sealed class MetaTaskSampler
{
    private readonly IReadOnlyList<(string Group, IReadOnlyList<EpisodeQuestion> Questions)> _groups;
    private readonly QuestionDrawBounds _bounds;
    private readonly IReadOnlyList<string>? _commonQuestions;

    /// <param name="groups">Each meta-train group's questions, all with distributions.</param>
    /// <param name="bounds">The paper's bounds; scaled down to the data.</param>
    public MetaTaskSampler(IReadOnlyList<(string Group, IReadOnlyList<EpisodeQuestion> Questions)> groups, QuestionDrawBounds bounds)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(bounds);
        if (groups.Count == 0) throw new ArgumentException("Meta-training needs at least one group.", nameof(groups));
        foreach (var (group, questions) in groups)
            foreach (var question in questions)
                if (question.Distribution is null)
                    throw new ArgumentException($"Group '{group}', question '{question.QuestionId}': no distribution to train on.", nameof(groups));
        var common = groups[0].Questions.Select(q => q.QuestionId).ToHashSet(StringComparer.Ordinal);
        foreach (var (_, questions) in groups.Skip(1)) common.IntersectWith(questions.Select(q => q.QuestionId));
        var smallest = groups.Min(g => g.Questions.Count);
        if (common.Count >= ContextDraw.SharedOverlap * smallest && common.Count >= 2)
        {
            // Shared mode: every group works on the common questions, in one order.
            _commonQuestions = groups[0].Questions.Select(q => q.QuestionId).Where(common.Contains).ToList();
            _groups = groups.Select(g =>
            {
                var byId = g.Questions.ToDictionary(q => q.QuestionId, StringComparer.Ordinal);
                return (g.Group, (IReadOnlyList<EpisodeQuestion>)_commonQuestions.Select(id => byId[id]).ToArray());
            }).ToList();
        }
        else
        {
            _groups = groups;
        }
        _bounds = bounds.FitTo(_groups.Max(g => g.Questions.Count));
    }

    /// <summary>True when the groups share their questions, so one permutation of the common questions serves all.</summary>
    public bool SharesQuestions => _commonQuestions is not null;

    /// <summary>The bounds after scaling to the data.</summary>
    public QuestionDrawBounds Bounds => _bounds;

    /// <summary>Draws one step's tasks, one per group, in group order.</summary>
    public List<GroupTask> Draw(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var contextCount = random.Next(_bounds.ContextMin, _bounds.ContextMax + 1);
        var targetMax = Math.Min(_bounds.TargetMax, _groups.Max(g => g.Questions.Count) - contextCount);
        var targetCount = random.Next(Math.Min(_bounds.TargetMin, targetMax), targetMax + 1);
        var tasks = new List<GroupTask>(_groups.Count);
        var sharedOrder = SharesQuestions ? Permutation(_groups[0].Questions.Count, random) : null;
        foreach (var (group, questions) in _groups)
        {
            var order = sharedOrder ?? Permutation(questions.Count, random);
            var groupContext = Math.Min(contextCount, questions.Count / 2);
            var groupTargets = Math.Min(targetCount, questions.Count - groupContext);
            tasks.Add(new GroupTask(group,
                order.Take(groupContext).Select(i => questions[i]).ToArray(),
                order.Skip(groupContext).Take(groupTargets).Select(i => questions[i]).ToArray()));
        }
        return tasks;
    }

    private static List<int> Permutation(int n, Random random) => SeededRandom.Shuffled(Enumerable.Range(0, n), random);
}
