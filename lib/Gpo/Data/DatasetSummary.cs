namespace Gpo.Data;

/// <summary>What <c>gpo data inspect</c> shows: sizes, options-per-question histogram, coverage and issues.</summary>
public sealed record DatasetSummary(
    string Name,
    string Format,
    string Version,
    IReadOnlyList<string> SourceFiles,
    IReadOnlyList<string> Groups,
    int QuestionCount,
    int PairCount,
    bool IsDense,
    int QuestionsWithOrdinals,
    int? FeatureDimension,
    IReadOnlyList<(int Options, int Questions)> OptionHistogram,
    IReadOnlyList<(string Group, int Questions)> QuestionsPerGroup,
    IReadOnlyList<DataIssue> Issues)
{
    public static DatasetSummary Of(PreferenceDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return new DatasetSummary(
            dataset.Name, dataset.Provenance.Format, dataset.Provenance.Version, dataset.Provenance.SourceFiles, dataset.Groups,
            dataset.Questions.Count, dataset.PairCount, dataset.IsDense, dataset.Questions.Count(q => q.Ordinals is not null),
            dataset.Features?.Dimension,
            dataset.Questions.GroupBy(q => q.OptionCount).OrderBy(g => g.Key).Select(g => (g.Key, g.Count())).ToList(),
            dataset.Groups.Select((g, i) => (g, dataset.QuestionIndicesOf(i).Count)).ToList(),
            dataset.Issues);
    }
}
