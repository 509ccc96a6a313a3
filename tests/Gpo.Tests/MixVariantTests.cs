using Gpo.Data;
using Gpo.Evaluation;
using Gpo.Model;
using Gpo.Training;

namespace Gpo.Tests;

/// <summary>
/// gpo-mix: the paper's module meta-trained also on pseudo-groups, mixtures of the meta-train groups' answers. Their
/// answers must be mixtures of the meta-train groups alone (never a validation or test group), the tokens stay text only,
/// and results and checkpoints carry the variant's name.
/// </summary>
public sealed class MixVariantTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpo-mix-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (PreferenceDataset Dataset, GroupSplit Split, MetaTrainer Trainer) Trainer(int pseudoGroups = -1, int steps = 20)
    {
        var dataset = SyntheticBenchmark.Generate(new SyntheticSettings { Seed = 3 });
        var split = GroupSplit.ByFraction(dataset.Groups, 0.6, seed: 1);
        return (dataset, split, new MetaTrainer(dataset, split, new GpoConfig(dataset.Features!.Dimension, 16, 2, 1, 16),
            new TrainingOptions { Steps = steps, EvaluateEvery = 10, Population = PopulationInputs.Mix, PseudoGroups = pseudoGroups, Seed = 0 }));
    }

    [Fact]
    public void Pseudo_groups_answer_with_one_nonnegative_mixture_of_the_meta_train_groups_only()
    {
        var (dataset, split, trainer) = Trainer();
        Assert.True(split.MetaTrain.Count >= 2 && split.Validation.Count + split.MetaTest.Count >= 2);
        var all = EpisodeFactory.AllQuestions(dataset, split.MetaTrain[0]);
        var real = new List<GroupTask> { new(split.MetaTrain[0], all.Take(10).ToList(), all.Skip(10).ToList()) };
        var tasks = trainer.PseudoGroupTasks(real, new Random(5)).ToList();
        Assert.Equal(TrainingOptions.DefaultMixPseudoGroups, tasks.Count);
        foreach (var task in tasks)
        {
            Assert.Null(task.Inputs); // text-only tokens, as the paper's module reads
            var questions = task.Context.Concat(task.Targets).ToList();
            // Least squares over every option of every question: shares = Σ_h w_h p_h over the meta-train groups.
            var metaTrain = Fit(dataset, split.MetaTrain, questions);
            Assert.True(metaTrain.Residual < 1e-9, $"{task.Group}: residual {metaTrain.Residual:E2} against the meta-train groups");
            Assert.All(metaTrain.Weights, w => Assert.True(w > -1e-9, $"{task.Group}: weight {w}"));
            Assert.Equal(1, metaTrain.Weights.Sum(), 6);
            // Sanity of the fit itself: the held-out groups do not explain the same answers.
            var heldOut = Fit(dataset, [.. split.Validation, .. split.MetaTest], questions);
            Assert.True(heldOut.Residual > 1e-4, $"{task.Group}: held-out groups fit with residual {heldOut.Residual:E2}");
        }
        // Different pseudo-groups are different mixtures.
        Assert.True(Math.Abs(tasks[0].Targets[0].Distribution![0] - tasks[1].Targets[0].Distribution![0]) > 1e-6);
    }

    /// <summary>Unconstrained least squares of the task's shares on the groups' shares (normal equations, Gaussian elimination).</summary>
    private static (double[] Weights, double Residual) Fit(PreferenceDataset dataset, IReadOnlyList<string> groups, IReadOnlyList<EpisodeQuestion> questions)
    {
        var rows = new List<(double[] X, double Y)>();
        foreach (var q in questions)
            for (var o = 0; o < q.OptionCount; o++)
                rows.Add((groups.Select(g => dataset.GetDistribution(g, q.QuestionId)[o]).ToArray(), q.Distribution![o]));
        int n = groups.Count;
        var a = new double[n, n + 1];
        foreach (var (x, y) in rows)
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++) a[i, j] += x[i] * x[j];
                a[i, n] += x[i] * y;
            }
        for (int c = 0; c < n; c++)
        {
            int pivot = Enumerable.Range(c, n - c).MaxBy(r => Math.Abs(a[r, c]));
            for (int j = 0; j <= n; j++) (a[c, j], a[pivot, j]) = (a[pivot, j], a[c, j]);
            for (int r = 0; r < n; r++)
            {
                if (r == c) continue;
                var f = a[r, c] / a[c, c];
                for (int j = c; j <= n; j++) a[r, j] -= f * a[c, j];
            }
        }
        var w = Enumerable.Range(0, n).Select(i => a[i, n] / a[i, i]).ToArray();
        var residual = Math.Sqrt(rows.Sum(r => Math.Pow(r.X.Select((v, i) => v * w[i]).Sum() - r.Y, 2)) / rows.Count);
        return (w, residual);
    }

    [Fact]
    public void Mix_trains_text_only_checkpoints_named_gpo_mix()
    {
        var (dataset, _, trainer) = Trainer(pseudoGroups: 3);
        Assert.Equal("gpo-mix", trainer.MethodName);
        Assert.True(trainer.Inputs.IsPlain);
        Assert.Null(trainer.Population);
        var run = new RunFolder(Path.Combine(_folder, "run"));
        trainer.Train(run);
        var (predictor, _) = GpoPredictor.FromCheckpoint(run.BestCheckpoint, dataset);
        Assert.Equal("gpo-mix", predictor.Name);
        Assert.Equal("gpo-mix", trainer.Predictor(GpoCheckpoint.Load<float>(run.BestCheckpoint)).Name);
        Assert.Contains("\"method\": \"gpo-mix\"", File.ReadAllText(Path.Combine(run.Path, "config.json")), StringComparison.Ordinal);
    }

    [Fact]
    public void Pseudo_groups_are_refused_for_variants_without_them()
    {
        var dataset = SyntheticBenchmark.Generate(new SyntheticSettings { Seed = 3 });
        var split = GroupSplit.ByFraction(dataset.Groups, 0.6, seed: 1);
        foreach (var variant in new[] { PopulationInputs.None, PopulationInputs.Prior, PopulationInputs.Residual })
        {
            var e = Assert.Throws<ArgumentException>(() => new MetaTrainer(dataset, split, new GpoConfig(dataset.Features!.Dimension, 16, 2, 1, 16),
                new TrainingOptions { Steps = 5, Population = variant, PseudoGroups = 2 }));
            Assert.Contains("gpo-mix", e.Message, StringComparison.Ordinal);
        }
    }
}
