using System.Globalization;

namespace Gpo.Data;

/// <summary>
/// Groups split into meta-train, validation (carved from the meta-train side, for checkpoint selection) and
/// meta-test. <see cref="MetaTrainFraction"/> is the paper's fraction: meta-train + validation together are
/// ⌊fraction × groups⌋ (OpinionQA 22 groups: 8/13/17; GlobalOpinionQA 14 countries: 5/8/11).
/// </summary>
public sealed record GroupSplit(string Name, double MetaTrainFraction, int Seed, IReadOnlyList<string> MetaTrain, IReadOnlyList<string> Validation, IReadOnlyList<string> MetaTest)
{
    /// <summary>
    /// Selection groups (nested selection; empty by default): training-side groups that neither train nor choose checkpoints,
    /// kept to choose between trained variants, so that choice is not made on the episodes that chose their checkpoints.
    /// </summary>
    public IReadOnlyList<string> Selection { get; init; } = [];

    /// <summary>Every training-side group — meta-train, validation and selection — whose answers form the population.</summary>
    public IEnumerable<string> TrainingSide => MetaTrain.Concat(Validation).Concat(Selection);

    /// <summary>GPO's seed-0 GlobalOpinionQA split, by fraction 0.4/0.6/0.8.</summary>
    public const string GpoSeed0 = "gpo-seed0";

    /// <summary>The paper's meta-train fractions.</summary>
    public static readonly IReadOnlyList<double> PaperFractions = [0.4, 0.6, 0.8];

    /// <summary>Default number of validation groups: 1 when the meta-train side has fewer than 10 groups, else 2 (never all of it).</summary>
    public static int DefaultValidationCount(int trainSideCount) => trainSideCount <= 1 ? 0 : trainSideCount < 10 ? 1 : 2;

    /// <summary>
    /// A seeded random split: the groups are shuffled (stream "split"), the first ⌊fraction × n⌋ form the
    /// meta-train side and the rest meta-test; the last <paramref name="validationCount"/> of the meta-train
    /// side (default <see cref="DefaultValidationCount"/>) become validation groups, and the <paramref name="selectionCount"/>
    /// before them selection groups (<see cref="Selection"/>; the name then ends in <c>-select-N</c>). Without selection
    /// groups the split is the same as before they existed.
    /// </summary>
    public static GroupSplit ByFraction(IReadOnlyList<string> groups, double metaTrainFraction, int seed, int? validationCount = null, int selectionCount = 0)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (!(metaTrainFraction > 0 && metaTrainFraction < 1)) throw new ArgumentOutOfRangeException(nameof(metaTrainFraction), "must be in (0, 1)");
        if (groups.Distinct().Count() != groups.Count) throw new ArgumentException("group names must be distinct");
        int trainSide = (int)Math.Floor(metaTrainFraction * groups.Count + 1e-9);
        if (trainSide < 1 || trainSide >= groups.Count)
            throw new ArgumentException($"fraction {metaTrainFraction} of {groups.Count} groups leaves no meta-train or no meta-test group");
        var shuffled = SeededRandom.Shuffled(groups, SeededRandom.Create(seed, "split"));
        var trainSideGroups = shuffled.Take(trainSide).ToList();
        return Carve($"fraction-{metaTrainFraction.ToString(CultureInfo.InvariantCulture)}-seed-{seed}", metaTrainFraction, seed,
            trainSideGroups, shuffled.Skip(trainSide).ToList(), validationCount, selectionCount);
    }

    /// <summary>
    /// A named split. <c>gpo-seed0</c> (GlobalOpinionQA's 14 countries): GPO's own seed-0 meta-train lists for
    /// fractions 0.4/0.6/0.8, every other country of <paramref name="groups"/> is meta-test (Nigeria always).
    /// Validation groups are carved from the meta-train list with <paramref name="seed"/>.
    /// </summary>
    public static GroupSplit Named(string name, double metaTrainFraction, IReadOnlyList<string> groups, int? validationCount = null, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(groups);
        if (name != GpoSeed0) throw new ArgumentException($"unknown split '{name}'; known: {GpoSeed0}");
        IReadOnlyList<string> train = metaTrainFraction switch
        {
            0.4 => ["United States", "France", "Japan", "Argentina", "India (Current national sample)"],
            0.6 => ["United States", "France", "Japan", "Argentina", "India (Current national sample)", "New Zealand", "Canada", "Egypt"],
            0.8 => ["United States", "France", "Japan", "Argentina", "India (Current national sample)", "New Zealand", "Canada", "Egypt", "Spain", "Brazil", "China"],
            _ => throw new ArgumentException($"{GpoSeed0} is defined for fractions 0.4, 0.6 and 0.8, not {metaTrainFraction}"),
        };
        var missing = train.Where(g => !groups.Contains(g)).ToList();
        if (missing.Count > 0) throw new ArgumentException($"{GpoSeed0}: the dataset lacks {string.Join(", ", missing)}");
        var shuffledTrain = SeededRandom.Shuffled(train, SeededRandom.Create(seed, "split/validation"));
        return Carve($"{GpoSeed0}-{metaTrainFraction.ToString(CultureInfo.InvariantCulture)}", metaTrainFraction, seed,
            shuffledTrain, groups.Where(g => !train.Contains(g)).ToList(), validationCount);
    }

    private static GroupSplit Carve(string name, double fraction, int seed, List<string> trainSide, List<string> test, int? validationCount, int selectionCount = 0)
    {
        int validation = validationCount ?? DefaultValidationCount(trainSide.Count);
        if (validation < 0 || validation >= trainSide.Count)
            throw new ArgumentException($"{validation} validation groups would leave no meta-train group of {trainSide.Count}");
        if (selectionCount < 0 || (selectionCount > 0 && validation == 0) || validation + selectionCount >= trainSide.Count)
            throw new ArgumentException(selectionCount < 0 ? "the number of selection groups must be 0 or more"
                : validation == 0 ? "selection groups need validation groups to choose the checkpoints"
                : $"{validation} validation and {selectionCount} selection groups would leave no meta-train group of {trainSide.Count}");
        var metaTrain = trainSide.Count - validation - selectionCount;
        return new GroupSplit(selectionCount == 0 ? name : $"{name}-select-{selectionCount}", fraction, seed, trainSide.Take(metaTrain).ToList(),
            trainSide.Skip(trainSide.Count - validation).ToList(), test)
        {
            Selection = trainSide.Skip(metaTrain).Take(selectionCount).ToList(),
        };
    }
}

/// <summary>A group's k context questions (known distributions, shown to the model) and its query questions (to predict).</summary>
public sealed record ContextQuerySplit(string Group, IReadOnlyList<string> ContextQuestionIds, IReadOnlyList<string> QueryQuestionIds);

/// <summary>
/// Context/query question draws for few-shot adaptation (gpo.md §5), deterministic by seed:
/// <see cref="Shared"/> (OpinionQA: the same k context questions for every group) and
/// <see cref="PerGroup"/> (GlobalOpinionQA: drawn per group, each group's own stream so adding a group changes no other draw).
/// Every question of the group not in its context is a query question.
/// </summary>
public static class ContextDraw
{
    /// <summary>Groups "share" their questions when the questions they all have are at least this fraction of the smallest group's.</summary>
    public const double SharedOverlap = 0.9;

    /// <summary>
    /// The questions every one of <paramref name="groups"/> has, in dataset order. OpinionQA's groups share
    /// nearly all (opinionqa-500: 491 of 494, a few questions were asked of one party or sex only);
    /// GlobalOpinionQA's countries share few.
    /// </summary>
    public static IReadOnlyList<string> CommonQuestions(PreferenceDataset dataset, IReadOnlyList<string> groups)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(groups);
        if (groups.Count == 0) return [];
        var common = dataset.QuestionIdsOf(groups[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var g in groups.Skip(1)) common.IntersectWith(dataset.QuestionIdsOf(g));
        return dataset.Questions.Select(q => q.Id).Where(common.Contains).ToList();
    }

    /// <summary>True when the groups' common questions are at least <see cref="SharedOverlap"/> of the smallest group's: draw one shared context (OpinionQA); else one per group (GlobalOpinionQA).</summary>
    public static bool SharesQuestions(PreferenceDataset dataset, IReadOnlyList<string> groups)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(groups);
        return groups.Count > 0 && CommonQuestions(dataset, groups).Count >= SharedOverlap * groups.Min(g => dataset.QuestionIdsOf(g).Count);
    }

    /// <summary><see cref="Shared"/> when the groups share their questions (<see cref="SharesQuestions"/>), else <see cref="PerGroup"/>.</summary>
    public static IReadOnlyList<ContextQuerySplit> For(PreferenceDataset dataset, IReadOnlyList<string> groups, int contextQuestions, int seed) =>
        SharesQuestions(dataset, groups) ? Shared(dataset, groups, contextQuestions, seed) : PerGroup(dataset, groups, contextQuestions, seed);

    /// <summary>The same k context questions for all <paramref name="groups"/>, drawn from the questions they all have.</summary>
    public static IReadOnlyList<ContextQuerySplit> Shared(PreferenceDataset dataset, IReadOnlyList<string> groups, int contextQuestions, int seed)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextQuestions, 1);
        if (groups.Count == 0) throw new ArgumentException("no groups to draw for");
        var candidates = CommonQuestions(dataset, groups).ToList(); // dataset order
        if (candidates.Count <= contextQuestions)
            throw new ArgumentException($"the groups share {candidates.Count} questions: cannot draw {contextQuestions} context questions and keep any query");
        var context = SeededRandom.Shuffled(candidates, SeededRandom.Create(seed, "context/shared")).Take(contextQuestions).ToList();
        var contextSet = context.ToHashSet(StringComparer.Ordinal);
        return groups.Select(g => new ContextQuerySplit(g, context, dataset.QuestionIdsOf(g).Where(q => !contextSet.Contains(q)).ToList())).ToList();
    }

    /// <summary>k context questions per group from that group's own questions.</summary>
    public static IReadOnlyList<ContextQuerySplit> PerGroup(PreferenceDataset dataset, IReadOnlyList<string> groups, int contextQuestions, int seed)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextQuestions, 1);
        return groups.Select(g =>
        {
            var own = dataset.QuestionIdsOf(g);
            if (own.Count <= contextQuestions)
                throw new ArgumentException($"group '{g}' has {own.Count} questions: cannot draw {contextQuestions} context questions and keep any query");
            var context = SeededRandom.Shuffled(own, SeededRandom.Create(seed, "context/group/" + g)).Take(contextQuestions).ToList();
            var contextSet = context.ToHashSet(StringComparer.Ordinal);
            return new ContextQuerySplit(g, context, own.Where(q => !contextSet.Contains(q)).ToList());
        }).ToList();
    }
}
