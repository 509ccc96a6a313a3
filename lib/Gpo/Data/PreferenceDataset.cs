namespace Gpo.Data;

/// <summary>A group's distribution over one question's options (shares sum to 1, one per option).</summary>
public readonly record struct GroupAnswer(Question Question, IReadOnlyList<double> Distribution);

/// <summary>
/// The one dataset type every loader produces and every later stage consumes:
/// groups × questions × options, with a distribution p_g(q) for the (group, question) pairs the data has.
/// Sparse: a group may lack a question (GlobalOpinionQA). Distributions are validated and sum to 1.
/// </summary>
public sealed class PreferenceDataset
{
    private readonly Dictionary<string, int> _groupIndex;
    private readonly Dictionary<string, int> _questionIndex;
    private readonly Dictionary<(int Group, int Question), double[]> _distributions;
    private readonly int[][] _questionsOfGroup;

    public PreferenceDataset(
        string name,
        IReadOnlyList<string> groups,
        IReadOnlyList<Question> questions,
        IReadOnlyDictionary<(int Group, int Question), double[]> distributions,
        IReadOnlyList<DataIssue> issues,
        DatasetProvenance provenance,
        OptionFeatureTable? features = null)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(questions);
        ArgumentNullException.ThrowIfNull(distributions);
        Name = name;
        Groups = groups.ToArray();
        Questions = questions.ToArray();
        Issues = issues.ToArray();
        Provenance = provenance;
        Features = features;
        _groupIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int g = 0; g < Groups.Count; g++)
            if (!_groupIndex.TryAdd(Groups[g], g)) throw new ArgumentException($"duplicate group name '{Groups[g]}'");
        _questionIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int q = 0; q < Questions.Count; q++)
            if (!_questionIndex.TryAdd(Questions[q].Id, q)) throw new ArgumentException($"duplicate question id '{Questions[q].Id}'");
        _distributions = new Dictionary<(int, int), double[]>(distributions.Count);
        var lists = Enumerable.Range(0, Groups.Count).Select(_ => new List<int>()).ToArray();
        foreach (var ((g, q), p) in distributions)
        {
            if ((uint)g >= (uint)Groups.Count || (uint)q >= (uint)Questions.Count) throw new ArgumentException($"distribution for unknown group/question index ({g}, {q})");
            if (p.Length != Questions[q].OptionCount)
                throw new ArgumentException($"group '{Groups[g]}', question {Questions[q].Id}: {p.Length} shares for {Questions[q].OptionCount} options");
            _distributions[(g, q)] = p;
            lists[g].Add(q);
        }
        _questionsOfGroup = lists.Select(l => { l.Sort(); return l.ToArray(); }).ToArray();
        if (features is not null)
            foreach (var question in Questions)
                if (features.Contains(question.Id) && features.ForQuestion(question.Id).Length != question.OptionCount * features.Dimension)
                    throw new ArgumentException($"features of question {question.Id} do not have {question.OptionCount} rows");
    }

    /// <summary>A short name (preset name or file name).</summary>
    public string Name { get; }

    /// <summary>Group names (countries, demographic groups) in a fixed order.</summary>
    public IReadOnlyList<string> Groups { get; }

    /// <summary>All questions, in a fixed order.</summary>
    public IReadOnlyList<Question> Questions { get; }

    /// <summary>Warnings found while loading (renormalised or rejected vectors, dropped questions, conflicts).</summary>
    public IReadOnlyList<DataIssue> Issues { get; }

    public DatasetProvenance Provenance { get; }

    /// <summary>Per-option feature vectors x when the dataset carries its own (synthetic); null for real data (use the embedding stage).</summary>
    public OptionFeatureTable? Features { get; }

    /// <summary>Number of (group, question) pairs with a distribution.</summary>
    public int PairCount => _distributions.Count;

    /// <summary>True when every group has every question.</summary>
    public bool IsDense => PairCount == Groups.Count * Questions.Count;

    public int GroupIndex(string group) =>
        _groupIndex.TryGetValue(group, out var g) ? g : throw new KeyNotFoundException($"dataset '{Name}' has no group '{group}'");

    public int QuestionIndex(string questionId) =>
        _questionIndex.TryGetValue(questionId, out var q) ? q : throw new KeyNotFoundException($"dataset '{Name}' has no question '{questionId}'");

    public bool HasGroup(string group) => _groupIndex.ContainsKey(group);

    public Question GetQuestion(string questionId) => Questions[QuestionIndex(questionId)];

    /// <summary>Indices (into <see cref="Questions"/>) of the questions group <paramref name="groupIndex"/> has, ascending.</summary>
    public IReadOnlyList<int> QuestionIndicesOf(int groupIndex) => _questionsOfGroup[groupIndex];

    /// <summary>Ids of the questions a group has, in dataset order.</summary>
    public IReadOnlyList<string> QuestionIdsOf(string group) =>
        _questionsOfGroup[GroupIndex(group)].Select(q => Questions[q].Id).ToArray();

    /// <summary>The group's answers (question + distribution) in dataset question order.</summary>
    public IReadOnlyList<GroupAnswer> AnswersOf(string group)
    {
        int g = GroupIndex(group);
        return _questionsOfGroup[g].Select(q => new GroupAnswer(Questions[q], _distributions[(g, q)])).ToArray();
    }

    /// <summary>p_g(q) by indices, or false when the group lacks the question. Shares sum to 1.</summary>
    public bool TryGetDistribution(int groupIndex, int questionIndex, out IReadOnlyList<double> distribution)
    {
        if (_distributions.TryGetValue((groupIndex, questionIndex), out var p)) { distribution = p; return true; }
        distribution = [];
        return false;
    }

    /// <summary>p_g(q) by names, or false when the group lacks the question.</summary>
    public bool TryGetDistribution(string group, string questionId, out IReadOnlyList<double> distribution)
    {
        if (_groupIndex.TryGetValue(group, out var g) && _questionIndex.TryGetValue(questionId, out var q))
            return TryGetDistribution(g, q, out distribution);
        distribution = [];
        return false;
    }

    /// <summary>p_g(q); throws when the group lacks the question.</summary>
    public IReadOnlyList<double> GetDistribution(string group, string questionId) =>
        TryGetDistribution(group, questionId, out var p) ? p : throw new KeyNotFoundException($"group '{group}' has no distribution for question {questionId}");

    /// <summary>
    /// The dataset restricted to <paramref name="groups"/> (in the given order) and, if given, to
    /// <paramref name="questionIds"/>; questions none of the kept groups has are dropped. Issues and
    /// provenance are kept; features are restricted to the kept questions.
    /// </summary>
    public PreferenceDataset Subset(IEnumerable<string> groups, IEnumerable<string>? questionIds = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var keptGroups = groups.Distinct(StringComparer.Ordinal).ToArray();
        var groupIndices = keptGroups.Select(GroupIndex).ToArray();
        HashSet<int>? questionFilter = questionIds?.Select(QuestionIndex).ToHashSet();
        var keptQuestions = new List<int>();
        for (int q = 0; q < Questions.Count; q++)
        {
            if (questionFilter is not null && !questionFilter.Contains(q)) continue;
            if (groupIndices.Any(g => _distributions.ContainsKey((g, q)))) keptQuestions.Add(q);
        }
        var newQuestionIndex = new Dictionary<int, int>();
        for (int i = 0; i < keptQuestions.Count; i++) newQuestionIndex[keptQuestions[i]] = i;
        var distributions = new Dictionary<(int, int), double[]>();
        for (int gi = 0; gi < groupIndices.Length; gi++)
            foreach (int q in _questionsOfGroup[groupIndices[gi]])
                if (newQuestionIndex.TryGetValue(q, out int nq)) distributions[(gi, nq)] = _distributions[(groupIndices[gi], q)];
        var questions = keptQuestions.Select(q => Questions[q]).ToArray();
        return new PreferenceDataset(name ?? Name, keptGroups, questions, distributions, Issues, Provenance,
            Features?.Subset(questions.Select(q => q.Id)));
    }

    /// <summary>The same dataset with more issues appended (used by filters that drop data).</summary>
    public PreferenceDataset WithIssues(IEnumerable<DataIssue> moreIssues, string? name = null) =>
        new(name ?? Name, Groups, Questions, _distributions.ToDictionary(kv => kv.Key, kv => kv.Value), Issues.Concat(moreIssues).ToArray(), Provenance, Features);

    /// <summary>The same data with a feature table attached (e.g. from the embedding stage).</summary>
    public PreferenceDataset WithFeatures(OptionFeatureTable features) =>
        new(Name, Groups, Questions, _distributions.ToDictionary(kv => kv.Key, kv => kv.Value), Issues, Provenance, features);

    public override string ToString() => $"{Name}: {Groups.Count} groups, {Questions.Count} questions, {PairCount} (group, question) pairs";
}
