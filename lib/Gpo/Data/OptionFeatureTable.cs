namespace Gpo.Data;

/// <summary>
/// Per-(question, option) feature vectors x, keyed by question id: the model's token inputs.
/// The synthetic benchmark makes them itself; for real data the embedding stage produces a table of the
/// same shape (one row of <see cref="Dimension"/> floats per option, options in the question's order).
/// </summary>
public sealed class OptionFeatureTable
{
    private readonly Dictionary<string, float[]> _rowsByQuestion;

    /// <param name="dimension">d_x, the width of every vector.</param>
    /// <param name="rowsByQuestion">question id → float[K_q × d_x], row-major, one row per option.</param>
    public OptionFeatureTable(int dimension, IReadOnlyDictionary<string, float[]> rowsByQuestion)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentNullException.ThrowIfNull(rowsByQuestion);
        Dimension = dimension;
        _rowsByQuestion = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (id, rows) in rowsByQuestion)
        {
            if (rows.Length == 0 || rows.Length % dimension != 0)
                throw new ArgumentException($"question {id}: {rows.Length} floats is not a whole number of {dimension}-wide rows");
            _rowsByQuestion[id] = rows;
        }
    }

    /// <summary>d_x, the width of every feature vector.</summary>
    public int Dimension { get; }

    /// <summary>Question ids that have features.</summary>
    public IEnumerable<string> QuestionIds => _rowsByQuestion.Keys;

    public bool Contains(string questionId) => _rowsByQuestion.ContainsKey(questionId);

    /// <summary>All option vectors of a question: [K_q, d_x] row-major.</summary>
    public ReadOnlySpan<float> ForQuestion(string questionId) =>
        _rowsByQuestion.TryGetValue(questionId, out var rows) ? rows : throw new KeyNotFoundException($"no features for question {questionId}");

    /// <summary>The vector x of one option: [d_x].</summary>
    public ReadOnlySpan<float> ForOption(string questionId, int optionIndex)
    {
        var rows = ForQuestion(questionId);
        int count = rows.Length / Dimension;
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)optionIndex, (uint)count, nameof(optionIndex));
        return rows.Slice(optionIndex * Dimension, Dimension);
    }

    /// <summary>The table restricted to the given question ids (those present).</summary>
    public OptionFeatureTable Subset(IEnumerable<string> questionIds) =>
        new(Dimension, questionIds.Where(_rowsByQuestion.ContainsKey).Distinct().ToDictionary(id => id, id => _rowsByQuestion[id]));
}
