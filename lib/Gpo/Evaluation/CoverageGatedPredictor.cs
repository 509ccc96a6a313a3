using Gpo.Evaluation.Baselines;

namespace Gpo.Evaluation;

/// <summary>
/// Predicts each query question with one of two methods by whether the training-side population answered it: a question
/// some training-side group answered (a covered pair) goes to <paramref name="covered"/>, the rest to
/// <paramref name="uncovered"/>. The group itself never counts towards its own coverage (a validation group is in the
/// population). Both methods see the same context; each is asked only for its own queries, which is exact for every
/// method here (a query's prediction reads the context and that query only).
/// </summary>
/// <remarks>
/// The reproduction's <c>gpo-gated</c> pairs the paper's module (uncovered pairs, from the question text and the context)
/// with the context-fitted population method that scores best on the validation groups (covered pairs): on GlobalOpinionQA a
/// third to a half of a held-out country's questions were answered by no training-side country, and there the paper module
/// beats the population prior while its offset variant loses to it on the covered ones.
/// </remarks>
public sealed class CoverageGatedPredictor(string name, IPreferencePredictor covered, IPreferencePredictor uncovered, TrainingPopulation population)
    : IPreferencePredictor
{
    public string Name { get; } = name ?? throw new ArgumentNullException(nameof(name));

    /// <summary>The method of covered pairs.</summary>
    public IPreferencePredictor Covered { get; } = covered ?? throw new ArgumentNullException(nameof(covered));

    /// <summary>The method of uncovered pairs.</summary>
    public IPreferencePredictor Uncovered { get; } = uncovered ?? throw new ArgumentNullException(nameof(uncovered));

    private readonly TrainingPopulation _population = population ?? throw new ArgumentNullException(nameof(population));

    /// <summary>Whether a training-side group other than <paramref name="group"/> answered <paramref name="questionId"/>.</summary>
    public bool IsCovered(string questionId, string group) => _population.Covers(questionId, group);

    public double[][] Predict(Episode episode)
    {
        ArgumentNullException.ThrowIfNull(episode);
        var isCovered = episode.Queries.Select(q => IsCovered(q.QuestionId, episode.Group)).ToArray();
        var result = new double[episode.Queries.Count][];
        Fill(Covered, true);
        Fill(Uncovered, false);
        return result;

        void Fill(IPreferencePredictor method, bool coveredPart)
        {
            var indices = Enumerable.Range(0, isCovered.Length).Where(i => isCovered[i] == coveredPart).ToArray();
            if (indices.Length == 0) return;
            var predicted = method.Predict(episode with { Queries = [.. indices.Select(i => episode.Queries[i])] });
            if (predicted.Length != indices.Length)
                throw new InvalidOperationException($"{method.Name} predicted {predicted.Length} questions for {indices.Length} queries of '{episode.Group}'.");
            for (var j = 0; j < indices.Length; j++) result[indices[j]] = predicted[j];
        }
    }
}
