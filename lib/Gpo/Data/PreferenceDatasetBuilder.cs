using System.Globalization;

namespace Gpo.Data;

/// <summary>Where a value was read: file, 1-based line, field. Used in issues and errors.</summary>
public readonly record struct SourceRef(string File, int? Line, string? Field)
{
    public DataFormatException Error(string problem, Exception? inner = null) => new(File, Line, Field, problem, inner);
    public DataIssue Issue(string message) => new(File, Line, Field, message);
}

/// <summary>What <see cref="PreferenceDatasetBuilder.AddDistribution"/> did with a vector.</summary>
public enum DistributionOutcome
{
    /// <summary>Stored (renormalised if it was within tolerance of 1).</summary>
    Added,
    /// <summary>Rejected with an issue: NaN, infinite, negative, or a sum too far from 1.</summary>
    Rejected,
    /// <summary>Empty or all-zero: not stored, remembered in <see cref="PreferenceDatasetBuilder.EmptyVectors"/>.</summary>
    Empty,
    /// <summary>The pair already had a distribution; the first one is kept (an issue when they differ).</summary>
    Duplicate,
}

/// <summary>
/// Collects questions, groups and validated distributions from a loader, then builds a <see cref="PreferenceDataset"/>.
/// Validation policy (one place for every loader):
/// a vector of the wrong length is malformed input (<see cref="DataFormatException"/>);
/// NaN, infinite or negative shares, and sums outside 1 ± <see cref="SumTolerance"/>, reject that row with an issue;
/// sums within the tolerance are renormalised, and counted in one issue per file when the deviation exceeds 1e-6;
/// counts (<c>isCounts</c>) are normalised by their total.
/// </summary>
public sealed class PreferenceDatasetBuilder
{
    /// <summary>Largest |sum − 1| that is renormalised instead of rejected.</summary>
    public const double SumTolerance = 0.02;

    private const double SilentDeviation = 1e-6;

    private readonly string _name;
    private readonly List<string> _groups = [];
    private readonly Dictionary<string, int> _groupIndex = new(StringComparer.Ordinal);
    private readonly List<Question> _questions = [];
    private readonly Dictionary<string, int> _questionIndex = new(StringComparer.Ordinal);
    private readonly Dictionary<(int, int), double[]> _distributions = [];
    private readonly Dictionary<string, (int Count, double MaxDeviation)> _renormalisedByFile = new(StringComparer.Ordinal);
    private readonly List<(string Group, string QuestionId, SourceRef Where)> _emptyVectors = [];
    private readonly HashSet<(string Id, string MatchKey)> _reportedVariants = [];

    public PreferenceDatasetBuilder(string name) => _name = name;

    /// <summary>Largest per-share difference between two distributions of one (group, question) that is not reported as a conflict.</summary>
    public double DuplicateTolerance { get; init; } = 1e-6;

    /// <summary>Issues found so far; loaders add their own here too.</summary>
    public List<DataIssue> Issues { get; } = [];

    /// <summary>(group, question) pairs whose vector was empty or all zero.</summary>
    public IReadOnlyList<(string Group, string QuestionId, SourceRef Where)> EmptyVectors => _emptyVectors;

    public IReadOnlyList<Question> Questions => _questions;

    public IReadOnlyList<string> Groups => _groups;

    public bool HasQuestion(string id) => _questionIndex.ContainsKey(id);

    public Question GetQuestion(string id) => _questions[_questionIndex[id]];

    /// <summary>Adds a question; if its id exists already, keeps the first and reports a differing text/options as an issue.</summary>
    public Question AddQuestion(Question question, SourceRef where)
    {
        ArgumentNullException.ThrowIfNull(question);
        if (_questionIndex.TryGetValue(question.Id, out int existing))
        {
            var first = _questions[existing];
            var key = QuestionIdentity.MatchKey(question.Text, question.Options);
            if (QuestionIdentity.MatchKey(first.Text, first.Options) != key && _reportedVariants.Add((question.Id, key)))
                Issues.Add(where.Issue($"question {question.Id} appears again with different text or options (\"{Shorten(question.Text)}\"); the first version (\"{Shorten(first.Text)}\") is kept"));
            return first;
        }
        _questionIndex[question.Id] = _questions.Count;
        _questions.Add(question);
        return question;
    }

    /// <summary>Adds a group name (no-op when present).</summary>
    public void AddGroup(string group)
    {
        if (_groupIndex.TryAdd(group, _groups.Count)) _groups.Add(group);
    }

    /// <summary>Validates and stores p_g(q). See the class comment for the policy.</summary>
    public DistributionOutcome AddDistribution(string group, string questionId, IReadOnlyList<double> values, SourceRef where, bool isCounts = false)
    {
        ArgumentNullException.ThrowIfNull(values);
        var question = _questions[_questionIndex.TryGetValue(questionId, out var qi) ? qi : throw new KeyNotFoundException($"unknown question {questionId}")];
        if (values.Count == 0)
        {
            _emptyVectors.Add((group, questionId, where));
            return DistributionOutcome.Empty;
        }
        if (values.Count != question.OptionCount)
            throw where.Error($"{values.Count} values for {question.OptionCount} options of question {questionId} (group '{group}')");
        double sum = 0;
        for (int i = 0; i < values.Count; i++)
        {
            double v = values[i];
            if (double.IsNaN(v) || double.IsInfinity(v) || v < 0)
            {
                Issues.Add(where.Issue($"group '{group}', question {questionId}: share {i} is {Format(v)}; row rejected"));
                return DistributionOutcome.Rejected;
            }
            sum += v;
        }
        if (!double.IsFinite(sum))
        {
            Issues.Add(where.Issue($"group '{group}', question {questionId}: the {(isCounts ? "counts" : "shares")} sum to {Format(sum)} (beyond the range of a double); row rejected"));
            return DistributionOutcome.Rejected;
        }
        if (sum == 0)
        {
            _emptyVectors.Add((group, questionId, where));
            return DistributionOutcome.Empty;
        }
        if (!isCounts)
        {
            double deviation = Math.Abs(sum - 1);
            if (deviation > SumTolerance)
            {
                Issues.Add(where.Issue($"group '{group}', question {questionId}: shares sum to {Format(sum)}, more than {SumTolerance} from 1; row rejected"));
                return DistributionOutcome.Rejected;
            }
            if (deviation > SilentDeviation)
            {
                _renormalisedByFile.TryGetValue(where.File, out var seen);
                _renormalisedByFile[where.File] = (seen.Count + 1, Math.Max(seen.MaxDeviation, deviation));
            }
        }
        var p = new double[values.Count];
        bool exact = Math.Abs(sum - 1) <= 1e-12; // keep the file's values bit for bit when they already sum to 1
        for (int i = 0; i < p.Length; i++) p[i] = exact ? values[i] : values[i] / sum;
        AddGroup(group);
        var key = (_groupIndex[group], _questionIndex[questionId]);
        if (_distributions.TryGetValue(key, out var firstP))
        {
            double diff = 0;
            for (int i = 0; i < p.Length; i++) diff = Math.Max(diff, Math.Abs(p[i] - firstP[i]));
            if (diff > DuplicateTolerance)
                Issues.Add(where.Issue($"group '{group}', question {questionId}: conflicting values: a second distribution differs from the first by up to {Format(diff)}; the first is kept"));
            return DistributionOutcome.Duplicate;
        }
        _distributions[key] = p;
        return DistributionOutcome.Added;
    }

    /// <summary>
    /// GlobalOpinionQA's filter: drops every question where one of <paramref name="selectedGroups"/> (all groups when null)
    /// has an empty or all-zero vector, with one issue per dropped question.
    /// </summary>
    public void DropQuestionsWithEmptyVectors(IReadOnlyCollection<string>? selectedGroups)
    {
        var selected = selectedGroups is null ? null : new HashSet<string>(selectedGroups, StringComparer.Ordinal);
        foreach (var byQuestion in _emptyVectors.Where(e => selected is null || selected.Contains(e.Group)).GroupBy(e => e.QuestionId))
        {
            if (!_questionIndex.TryGetValue(byQuestion.Key, out int q)) continue;
            foreach (var key in _distributions.Keys.Where(k => k.Item2 == q).ToList()) _distributions.Remove(key);
            var first = byQuestion.First();
            Issues.Add(first.Where.Issue($"question {byQuestion.Key} dropped: empty or all-zero vector for {string.Join(", ", byQuestion.Select(e => $"'{e.Group}'").Distinct())}"));
        }
    }

    /// <summary>
    /// Builds the dataset: groups in first-seen order (or <paramref name="groupOrder"/>, which also selects),
    /// questions in first-seen order, keeping only questions at least one kept group has.
    /// </summary>
    public PreferenceDataset Build(DatasetProvenance provenance, IReadOnlyList<string>? groupOrder = null, OptionFeatureTable? features = null)
    {
        foreach (var (file, (count, maxDeviation)) in _renormalisedByFile)
            Issues.Add(new DataIssue(file, null, null, $"{count} vectors renormalised: their sums were within {SumTolerance} of 1 (largest |sum − 1| = {Format(maxDeviation)})"));
        _renormalisedByFile.Clear();
        var groupsWithData = _distributions.Keys.Select(k => _groups[k.Item1]).ToHashSet(StringComparer.Ordinal);
        var groups = (groupOrder ?? _groups).Where(groupsWithData.Contains).ToList();
        foreach (var missing in (groupOrder ?? _groups).Where(g => !groupsWithData.Contains(g)))
            Issues.Add(new DataIssue(provenance.SourceFiles.FirstOrDefault() ?? _name, null, null, $"group '{missing}' has no data{(groupOrder is null ? " left" : "")}; not in the dataset"));
        var newGroupIndex = groups.Select((g, i) => (g, i)).ToDictionary(t => _groupIndex[t.g], t => t.i);
        var usedQuestions = _distributions.Keys.Where(k => newGroupIndex.ContainsKey(k.Item1)).Select(k => k.Item2).ToHashSet();
        var singleOption = Enumerable.Range(0, _questions.Count).Where(q => usedQuestions.Contains(q) && _questions[q].OptionCount < 2).ToList();
        if (singleOption.Count > 0)
            Issues.Add(new DataIssue(provenance.SourceFiles.LastOrDefault() ?? _name, null, null,
                $"{singleOption.Count} question(s) with a single option dropped (nothing to predict): {string.Join(", ", singleOption.Take(5).Select(q => _questions[q].Id))}{(singleOption.Count > 5 ? ", ..." : "")}"));
        var keptQuestions = Enumerable.Range(0, _questions.Count).Where(q => usedQuestions.Contains(q) && _questions[q].OptionCount >= 2).ToList();
        var newQuestionIndex = keptQuestions.Select((q, i) => (q, i)).ToDictionary(t => t.q, t => t.i);
        var distributions = new Dictionary<(int, int), double[]>();
        foreach (var ((g, q), p) in _distributions)
            if (newGroupIndex.TryGetValue(g, out int ng) && newQuestionIndex.TryGetValue(q, out int nq)) distributions[(ng, nq)] = p;
        return new PreferenceDataset(_name, groups, keptQuestions.Select(q => _questions[q]).ToArray(), distributions, Issues, provenance, features);
    }

    private static string Format(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
