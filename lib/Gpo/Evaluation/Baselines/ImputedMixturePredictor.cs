using System.Collections.Concurrent;

namespace Gpo.Evaluation.Baselines;

/// <summary>
/// <c>imputed_mixture</c>: <c>group_mixture</c> fitted on a completed population. When the training-side groups
/// answered different questions (OpinionQA's 22 groups each answered about 180 of 890), each of them answered only two
/// or three of a held-out group's k = 20 context questions, so <c>group_mixture</c>'s weight for it rests on those few.
/// Here every training group h first gets a distribution for every question some other training group answered: its own
/// where it answered, else p̃_{h,q} = Σ_{h'} V_{h,h'} p_{h',q} / Σ_{h'} V_{h,h'} over the groups h' that answered q,
/// where V_h (simplex weights over the other groups, V_{h,h} = 0) is h's own mixture of the others, fitted exactly as
/// <c>group_mixture</c> fits a group to its context (<see cref="GroupMixturePredictor.FitMixture"/>: cross-entropy,
/// exponentiated gradient; the shrinkage by <see cref="ImputationFolds"/>-fold cross-validation) to all of h's answers that another group shares. The held-out
/// group's mixture w is then fitted on its context over the completed population, so each context question informs
/// every weight, and a query is predicted as Σ_h w_h p̃_{h,q}. Nothing of the episode's own group enters V (the
/// population is the episode's, its own group left out); a question no training group answered falls back to uniform
/// like every population method. On a dense population nothing is imputed and the predictions equal
/// <c>group_mixture</c>'s. Deterministic.
/// </summary>
public sealed class ImputedMixturePredictor(TrainingPopulation population) : PopulationContextPredictor(population)
{
    // V per population, keyed by its group list: the populations of one predictor differ only by the group left out.
    private readonly ConcurrentDictionary<string, double[][]> _imputations = new(StringComparer.Ordinal);

    public override string Name => "imputed_mixture";

    /// <summary>The shrinkages towards equal weights: for the held-out group's w chosen by leave-one-out, for each row of V by cross-validation.</summary>
    public IReadOnlyList<double> Shrinkages { get; init; } = GroupMixturePredictor.DefaultShrinkages;

    /// <summary>Folds of the cross-validation that chooses V's shrinkage (a group shares 100 or more questions with the others).</summary>
    public int ImputationFolds { get; init; } = 10;

    private GroupMixturePredictor Mixture(TrainingPopulation population) => new(population) { Floor = Floor, Shrinkages = Shrinkages };

    private protected override Func<PopulationQuestion, double[]> Fit(IReadOnlyList<PopulationQuestion> context, TrainingPopulation population)
    {
        var groups = population.Groups.Count;
        var imputation = new Lazy<double[][]>(() => ImputationWeights(population));
        var weights = Mixture(population).FitMixture(context.Select(q => Complete(q, groups, imputation)).ToArray(), groups).Weights;
        return question => GroupMixturePredictor.Mix(weights, Complete(question, groups, imputation));
    }

    /// <summary>
    /// V [H][H] of <paramref name="population"/>: row h is h's mixture of the other groups fitted to h's answers that another
    /// group shares (equal weights over the others when it shares none), with V_{h,h} = 0.
    /// </summary>
    internal double[][] ImputationWeights(TrainingPopulation population)
    {
        ArgumentNullException.ThrowIfNull(population);
        return _imputations.GetOrAdd(string.Join('\u001f', population.Groups), _ =>
        {
            var groups = population.Groups.Count;
            var shared = Enumerable.Range(0, groups).Select(_ => new List<PopulationQuestion>()).ToArray();
            foreach (var questionId in population.QuestionIds.Order(StringComparer.Ordinal))
            {
                var answers = population.Answers(questionId);
                if (answers.Count < 2) continue;
                foreach (var (group, distribution) in answers)
                {
                    var others = answers.Where(a => a.Group != group).ToArray();
                    shared[group].Add(new PopulationQuestion(questionId, others, population.Prior(questionId, population.Groups[group])!, distribution));
                }
            }
            var mixture = Mixture(population);
            var rows = new double[groups][];
            for (var h = 0; h < groups; h++)
            {
                var row = shared[h].Count == 0 ? Enumerable.Repeat(1.0, groups).ToArray() : mixture.FitMixture(shared[h], groups, ImputationFolds).Weights;
                row[h] = 0;
                var total = row.Sum();
                rows[h] = total > 0 ? row.Select(w => w / total).ToArray() : row;
            }
            return rows;
        });
    }

    /// <summary>
    /// The question with every group of the population answering: its own shares where it answered, else its imputed
    /// distribution from the groups that did (the prior when its weights on all of them are 0). The question itself when
    /// every group answered it (V is then not needed).
    /// </summary>
    private static PopulationQuestion Complete(PopulationQuestion question, int groups, Lazy<double[][]> imputation)
    {
        if (question.Answers.Count == groups) return question;
        var own = new double[]?[groups];
        foreach (var (group, distribution) in question.Answers) own[group] = distribution;
        var completed = new (int Group, double[] Distribution)[groups];
        for (var h = 0; h < groups; h++)
        {
            // A missing answer is h's own mixture of the groups that answered, as group_mixture mixes them.
            completed[h] = (h, own[h] ?? GroupMixturePredictor.Mix(imputation.Value[h], question));
        }
        return question with { Answers = completed };
    }
}
