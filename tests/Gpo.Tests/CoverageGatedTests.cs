using System.Text.Json.Nodes;
using Gpo.Data;
using Gpo.Evaluation;
using Gpo.Evaluation.Baselines;
using Gpo.Model;
using Gpo.Training;

namespace Gpo.Tests;

[Collection("notebooks")] // the reproduction writes figures through Chromium like the notebook tests; keep them apart
public sealed class CoverageGatedTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpo-gated-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Predicts the same shares for every query and records which questions it was asked.</summary>
    private sealed class Constant(string name, double[] shares) : IPreferencePredictor
    {
        public string Name => name;

        public List<string> Asked { get; } = [];

        public double[][] Predict(Episode episode)
        {
            Asked.AddRange(episode.Queries.Select(q => q.QuestionId));
            return episode.Queries.Select(_ => (double[])shares.Clone()).ToArray();
        }
    }

    private static EpisodeQuestion Question(string id) => new(id, [[1f], [2f]], [0.5, 0.5]);

    [Fact]
    public void Covered_pairs_go_to_the_population_method_and_the_rest_to_the_other_and_a_group_never_covers_itself()
    {
        // A answered q1; B answered q1 and q2; nobody answered q3.
        var population = TrainingPopulation.FromGroups([("A", [("q1", new[] { 0.3, 0.7 })]), ("B", [("q1", new[] { 0.6, 0.4 }), ("q2", new[] { 0.1, 0.9 })])]);
        var covered = new Constant("covered", [0.9, 0.1]);
        var uncovered = new Constant("uncovered", [0.2, 0.8]);
        var gated = new CoverageGatedPredictor("gated", covered, uncovered, population);
        Episode Of(string group) => new(group, [Question("c1")], [Question("q1"), Question("q2"), Question("q3")]);

        // A held-out group: q1 and q2 are covered, q3 is not.
        var test = gated.Predict(Of("T"));
        Assert.Equal([0.9, 0.1], test[0]);
        Assert.Equal([0.9, 0.1], test[1]);
        Assert.Equal([0.2, 0.8], test[2]);
        Assert.Equal(["q1", "q2"], covered.Asked);
        Assert.Equal(["q3"], uncovered.Asked);

        // B itself (a validation group is in the population): only A answered q1; q2 was answered by B alone, so it is uncovered for B.
        covered.Asked.Clear();
        uncovered.Asked.Clear();
        var member = gated.Predict(Of("B"));
        Assert.Equal([0.9, 0.1], member[0]);
        Assert.Equal([0.2, 0.8], member[1]);
        Assert.Equal([0.2, 0.8], member[2]);
        Assert.Equal(["q1"], covered.Asked);
        Assert.Equal(["q2", "q3"], uncovered.Asked);
        Assert.False(gated.IsCovered("q1", "A") && gated.IsCovered("q2", "B"));
    }

    [Fact]
    public void Asking_the_paper_module_for_a_subset_of_queries_gives_the_same_predictions_as_asking_for_all()
    {
        var data = SyntheticBenchmark.Generate(new SyntheticSettings { Groups = 4, Questions = 12, Dimension = 6, Seed = 2 });
        var model = new GpoModel<float>(new GpoConfig(DimX: 6, ModelWidth: 16, Heads: 2, Layers: 2, FeedForwardWidth: 16));
        var episode = EpisodeFactory.Episode(data, ContextDraw.For(data, [data.Groups[0]], 4, seed: 3)[0]);
        var gpo = new GpoPredictor(model);
        var all = gpo.Predict(episode);
        var odd = gpo.Predict(episode with { Queries = [.. episode.Queries.Where((_, i) => i % 2 == 1)] });
        for (var j = 0; j < odd.Length; j++)
            for (var o = 0; o < odd[j].Length; o++) Assert.Equal(all[2 * j + 1][o], odd[j][o], 1e-6);
    }

    /// <summary>The synthetic benchmark with questions 30–39 answered by one group each (question q by group q mod 10): a held-out group meets uncovered questions.</summary>
    internal static PreferenceDataset Sparse()
    {
        var dense = SyntheticBenchmark.Generate(new SyntheticSettings { Groups = 10, Questions = 40, Dimension = 8, Seed = 4 });
        var distributions = new Dictionary<(int, int), double[]>();
        for (var g = 0; g < dense.Groups.Count; g++)
            for (var q = 0; q < dense.Questions.Count; q++)
                if (q < 30 || q % 10 == g) distributions[(g, q)] = [.. dense.GetDistribution(dense.Groups[g], dense.Questions[q].Id)];
        return new PreferenceDataset("sparse-synthetic", dense.Groups, dense.Questions, distributions, [],
            new DatasetProvenance("synthetic", ["test"], "sparse-v1"), dense.Features);
    }

    [Fact]
    public void The_reproduction_scores_gpo_gated_as_the_validation_groups_chose_it_on_sparse_data()
    {
        var data = Sparse();
        Assert.False(data.IsDense);
        var options = new ReproductionOptions
        {
            Fractions = [0.6],
            Seeds = [0],
            ContextQuestions = 5,
            SweepContextQuestions = [],
            Training = new TrainingOptions { Steps = 8, EvaluateEvery = 4, LearningRate = 1e-3, Bounds = new QuestionDrawBounds(3, 8, 3, 8), ValidationContextQuestions = 5 },
            Model = new GpoConfig(1, 16, 2, 1, 16),
            Variants = [PopulationInputs.None, PopulationInputs.Residual],
        };
        var output = Path.Combine(_folder, "results");
        var work = Path.Combine(_folder, "work");
        new Reproduction(data, options).Run(output, work);

        // The composition the manifest names is the candidate whose gated predictor scores best on the validation groups.
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "manifest.json")))!;
        var record = manifest["runs"]!.AsArray().Single(r => r!["run"]!.GetValue<string>() == "0.6-seed0-gpo-gated")!;
        var composition = record["composition"]!.GetValue<string>();
        Assert.Matches("^covered: (population_prior|group_mixture|prior_residual|imputed_mixture); uncovered: gpo$", composition);
        var chosen = composition["covered: ".Length..composition.IndexOf(';', StringComparison.Ordinal)];

        var split = GroupSplit.ByFraction(data.Groups, 0.6, 0);
        // Held-out owners of questions 30–39 meet them uncovered; on the dense benchmark every held-out pair is covered (and gpo-gated is not scored there).
        Assert.True(new Reproduction(data, options).HasUncoveredPairs(split));
        var dense = SyntheticBenchmark.Generate(new SyntheticSettings { Groups = 10, Questions = 40, Dimension = 8, Seed = 4 });
        Assert.False(new Reproduction(dense, options).HasUncoveredPairs(GroupSplit.ByFraction(dense.Groups, 0.6, 0)));
        var config = options.Model with { DimX = 8 };
        var population = TrainingPopulation.FromDataset(data, split.MetaTrain.Concat(split.Validation));
        var plainTrainer = new MetaTrainer(data, split, config, options.Training with { Seed = 0, Population = PopulationInputs.None });
        var gpo = plainTrainer.Predictor(GpoCheckpoint.Load<float>(new RunFolder(Path.Combine(work, data.Name, "0.6-seed0")).BestCheckpoint));
        // The candidates are the population methods only: a trained offset variant's checkpoint was chosen on these same validation episodes.
        IPreferencePredictor[] candidates = [new PopulationPriorPredictor(population), new GroupMixturePredictor(population), new PriorResidualPredictor(population),
            new ImputedMixturePredictor(population)];
        var scores = candidates.ToDictionary(c => c.Name, c => plainTrainer.ValidationScore(new CoverageGatedPredictor("g", c, gpo, population)));
        Assert.Equal(scores.Values.Max(), scores[chosen]);
        Assert.Equal(scores[chosen], record["best_validation_score"]!.GetValue<double>(), 12);

        // On the test groups: gpo-gated's predictions are the chosen method's on covered pairs and the paper module's on the rest,
        // in the main comparison and in the swap diagnostic.
        var rows = PredictionTable.Questions(PredictionTable.Read(PredictionTable.Locate(output))).ToList();
        foreach (var splitLabel in new[] { "0.6", "0.6-swap" })
        {
            var gated = rows.Where(r => r.Method == Reproduction.GatedName && r.Split == splitLabel).ToList();
            Assert.NotEmpty(gated);
            Assert.Contains(gated, r => r.Covered == true);
            Assert.Contains(gated, r => r.Covered == false);
            foreach (var row in gated)
            {
                var source = rows.Single(r => r.Method == (row.Covered == true ? chosen : "gpo") && r.Split == splitLabel && r.Group == row.Group && r.QuestionId == row.QuestionId);
                Assert.Equal(source.Predicted, row.Predicted);
            }
        }

        // A unit whose cached gpo-gated used a covered method the rule no longer offers (an earlier version let gpo-residual
        // compete) is evaluated again on a rerun; its trained runs are reused.
        var unitRuns = Path.Combine(work, data.Name, "0.6-seed0.runs.json");
        File.WriteAllText(unitRuns, File.ReadAllText(unitRuns).Replace($"covered: {chosen};", "covered: gpo-residual;", StringComparison.Ordinal));
        var rerun = new Reproduction(data, options).Run(Path.Combine(_folder, "again"), work);
        Assert.False(rerun.Runs.Single(r => r.Composition is not null).Resumed);
        Assert.Equal(composition, rerun.Runs.Single(r => r.Composition is not null).Composition);
        Assert.All(rerun.Runs.Where(r => r.Composition is null), r => Assert.True(r.Resumed));
    }
}
