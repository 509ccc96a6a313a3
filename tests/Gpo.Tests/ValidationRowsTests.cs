using System.Text.Json.Nodes;
using Gpo.Data;
using Gpo.Evaluation;
using Gpo.Evaluation.Baselines;
using Gpo.Model;
using Gpo.Training;

namespace Gpo.Tests;

/// <summary>The validation groups' rows a reproduction records next to the held-out groups' (split <c>F-val</c>).</summary>
[Collection("notebooks")] // the reproduction writes figures through Chromium like the notebook tests; keep them apart
public sealed class ValidationRowsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpo-validation-rows-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static ReproductionOptions Options() => new()
    {
        Fractions = [0.6],
        Seeds = [0, 1],
        ContextQuestions = 5,
        SweepContextQuestions = [],
        Training = new TrainingOptions { Steps = 8, EvaluateEvery = 4, LearningRate = 1e-3, Bounds = new QuestionDrawBounds(3, 8, 3, 8), ValidationContextQuestions = 5 },
        Model = new GpoConfig(1, 16, 2, 1, 16),
        Variants = [PopulationInputs.None, PopulationInputs.Residual],
    };

    [Fact]
    public void Validation_rows_are_the_episodes_that_chose_the_checkpoints_and_the_star()
    {
        var data = CoverageGatedTests.Sparse();
        var output = Path.Combine(_folder, "results");
        new Reproduction(data, Options()).Run(output, Path.Combine(_folder, "work"));
        var rows = PredictionTable.Questions(PredictionTable.Read(PredictionTable.Locate(output)));
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "manifest.json")))!;
        var metric = MetaTrainer.SelectionMetricFor(data);

        foreach (var seed in new[] { 0, 1 })
        {
            var split = GroupSplit.ByFraction(data.Groups, 0.6, seed);
            var validation = rows.Where(r => r.Split == "0.6-val" && r.Seed == seed).ToList();
            Assert.Equal(split.Validation.Order(StringComparer.Ordinal), validation.Select(r => r.Group).Distinct().Order(StringComparer.Ordinal));
            // Every method of the main comparison is scored there, on the same pairs.
            var methods = rows.Where(r => r.Split == "0.6" && r.Seed == seed).Select(r => r.Method).Distinct().Order(StringComparer.Ordinal).ToList();
            Assert.Equal(methods, validation.Select(r => r.Method).Distinct().Order(StringComparer.Ordinal));
            var pairs = validation.Where(r => r.Method == "gpo").Select(r => (r.Group, r.QuestionId)).ToHashSet();
            Assert.All(methods, m => Assert.True(pairs.SetEquals(validation.Where(r => r.Method == m).Select(r => (r.Group, r.QuestionId)))));

            // The trained variants' and gpo-gated's recorded validation scores are these rows' mean (a different code path: the
            // trainer scored its episodes in memory; these were written, read back and scored again).
            foreach (var (run, method) in new[] { ($"0.6-seed{seed}", "gpo"), ($"0.6-seed{seed}-gpo-residual", "gpo-residual"), ($"0.6-seed{seed}-gpo-gated", Reproduction.GatedName) })
            {
                var recorded = manifest["runs"]!.AsArray().Single(r => r!["run"]!.GetValue<string>() == run)!["best_validation_score"]!.GetValue<double>();
                var mean = validation.Where(r => r.Method == method).Average(r => metric.Score(r.Predicted, r.Observed, r.Ordinals)!.Value);
                Assert.InRange(Math.Abs(mean - recorded), 0, 1e-6);
            }

            // Covered: some other training-side group answered the question (the validation group's own answers do not count).
            var trainingSide = split.MetaTrain.Concat(split.Validation).ToList();
            foreach (var row in validation.Where(r => r.Method == "gpo"))
                Assert.Equal(trainingSide.Any(g => g != row.Group && data.TryGetDistribution(g, row.QuestionId, out _)), row.Covered);
            Assert.Contains(validation, r => r.Covered == false);
            Assert.Contains(validation, r => r.Covered == true);
        }

        // The paired comparison covers the validation rows too, with their covered/uncovered subsets, and marks no ★ there.
        var paired = CsvRows.Read(Path.Combine(output, "paired.csv"), "paired.csv", ["method", "split", "subset", "selected_by_validation"]).ToList();
        Assert.Equal(["all", "covered", "uncovered"], paired.Where(r => r["split"] == "0.6-val" && r["method"] == "gpo").Select(r => r["subset"]).Order(StringComparer.Ordinal));
        Assert.All(paired.Where(r => r["split"] == "0.6-val"), r => Assert.Equal("0", r["selected_by_validation"]));
        Assert.Contains(paired, r => r["split"] == "0.6" && r["selected_by_validation"] == "1");
        Assert.Contains("| gpo | 0.6-val | covered |", File.ReadAllText(Path.Combine(output, "summary_table.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void A_unit_evaluated_before_validation_rows_gains_them_without_training_or_changing_its_held_out_rows()
    {
        var data = CoverageGatedTests.Sparse();
        var work = Path.Combine(_folder, "work");
        new Reproduction(data, Options() with { Seeds = [0] }).Run(Path.Combine(_folder, "first"), work);
        var unitFile = Path.Combine(work, data.Name, "0.6-seed0.predictions.csv.gz");
        var first = PredictionTable.Read(unitFile);
        var heldOut = first.Where(r => r.Split != "0.6-val").ToList();
        Assert.NotEqual(first.Count, heldOut.Count);
        PredictionTable.Write(unitFile, heldOut); // as written before validation rows were recorded
        var stepsBefore = Directory.GetFiles(Path.Combine(work, data.Name), "metrics.jsonl", SearchOption.AllDirectories).ToDictionary(f => f, File.ReadAllText);

        var rerun = new Reproduction(data, Options() with { Seeds = [0] }).Run(Path.Combine(_folder, "again"), work);
        Assert.All(rerun.Runs.Where(r => r.Composition is null), r => Assert.True(r.Resumed));
        Assert.All(stepsBefore, kv => Assert.Equal(kv.Value, File.ReadAllText(kv.Key)));
        Assert.Equal(first, PredictionTable.Read(unitFile));
        // And a third run finds the unit complete.
        var third = new Reproduction(data, Options() with { Seeds = [0] }).Run(Path.Combine(_folder, "third"), work);
        Assert.Equal(first, PredictionTable.Read(PredictionTable.Locate(Path.Combine(_folder, "third"))));
        Assert.All(third.Runs, r => Assert.True(r.Resumed));
    }

    [Fact]
    public void Nested_selection_chooses_the_star_and_gpo_gated_on_groups_that_did_not_choose_the_checkpoints()
    {
        var data = CoverageGatedTests.Sparse();
        var options = Options() with { SelectionGroups = 1 };
        var output = Path.Combine(_folder, "nested");
        var work = Path.Combine(_folder, "work-nested");
        new Reproduction(data, options).Run(output, work);
        var rows = PredictionTable.Questions(PredictionTable.Read(PredictionTable.Locate(output)));
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "manifest.json")))!;
        var metric = MetaTrainer.SelectionMetricFor(data);
        var config = options.Model with { DimX = 8 };
        var means = new Dictionary<string, List<double>>();

        foreach (var seed in new[] { 0, 1 })
        {
            var split = GroupSplit.ByFraction(data.Groups, 0.6, seed, selectionCount: 1);
            Assert.Equal((4, 1, 1), (split.MetaTrain.Count, split.Validation.Count, split.Selection.Count));
            // The selection group neither trained nor chose a checkpoint: the runs' configs name it apart.
            var runConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(work, data.Name, $"0.6-seed{seed}", "config.json")))!["split"]!;
            Assert.Equal(split.MetaTrain, runConfig["meta_train"]!.AsArray().Select(g => g!.GetValue<string>()));
            Assert.Equal(split.Validation, runConfig["validation"]!.AsArray().Select(g => g!.GetValue<string>()));
            Assert.Equal(split.Selection, runConfig["selection"]!.AsArray().Select(g => g!.GetValue<string>()));

            var selectionRows = rows.Where(r => r.Split == "0.6-sel" && r.Seed == seed).ToList();
            Assert.Equal(split.Selection, selectionRows.Select(r => r.Group).Distinct());
            Assert.Equal(split.Validation, rows.Where(r => r.Split == "0.6-val" && r.Seed == seed).Select(r => r.Group).Distinct());
            foreach (var (run, method) in new[] { ($"0.6-seed{seed}", "gpo"), ($"0.6-seed{seed}-gpo-residual", "gpo-residual"), ($"0.6-seed{seed}-gpo-gated", Reproduction.GatedName) })
            {
                var record = manifest["runs"]!.AsArray().Single(r => r!["run"]!.GetValue<string>() == run)!;
                double Mean(string splitLabel) => rows.Where(r => r.Split == splitLabel && r.Seed == seed && r.Method == method)
                    .Average(r => metric.Score(r.Predicted, r.Observed, r.Ordinals)!.Value);
                // selection_score is the selection rows' mean; best_validation_score stays the validation rows' mean.
                Assert.InRange(Math.Abs(Mean("0.6-sel") - record["selection_score"]!.GetValue<double>()), 0, 1e-6);
                Assert.InRange(Math.Abs(Mean("0.6-val") - record["best_validation_score"]!.GetValue<double>()), 0, 1e-6);
                (means.TryGetValue(method, out var list) ? list : means[method] = []).Add(record["selection_score"]!.GetValue<double>());
            }

            // gpo-gated's covered method is the candidate whose gated predictor scores best on the selection group.
            var population = TrainingPopulation.FromDataset(data, split.TrainingSide);
            var plainTrainer = new MetaTrainer(data, split, config, options.Training with { Seed = seed, Population = PopulationInputs.None });
            var gpo = plainTrainer.Predictor(GpoCheckpoint.Load<float>(new RunFolder(Path.Combine(work, data.Name, $"0.6-seed{seed}")).BestCheckpoint));
            var scores = Reproduction.Baselines(population).Where(b => Reproduction.GatedCoveredCandidates.Contains(b.Name))
                .ToDictionary(c => c.Name, c => plainTrainer.SelectionScore(new CoverageGatedPredictor("g", c, gpo, population)));
            var composition = manifest["runs"]!.AsArray().Single(r => r!["run"]!.GetValue<string>() == $"0.6-seed{seed}-gpo-gated")!["composition"]!.GetValue<string>();
            Assert.Equal($"covered: {scores.MaxBy(kv => kv.Value).Key}; uncovered: gpo", composition);

            // The selection group's answers are in the population the held-out groups are predicted from.
            var query = rows.First(r => r.Split == "0.6" && r.Seed == seed && r.Method == "population_prior" && data.TryGetDistribution(split.Selection[0], r.QuestionId, out _));
            var answered = split.TrainingSide.Where(g => data.TryGetDistribution(g, query.QuestionId, out _)).ToList();
            Assert.Contains(split.Selection[0], answered);
            for (var o = 0; o < query.Predicted.Length; o++)
                Assert.Equal(answered.Average(g => data.GetDistribution(g, query.QuestionId)[o]), query.Predicted[o], 1e-6);
        }

        // ★ is the variant with the best mean selection score.
        var star = ResultsReport.SelectedByValidation(manifest.AsObject())["0.6"];
        Assert.Equal(means.MaxBy(kv => kv.Value.Average()).Key, star);
    }

    [Fact]
    public void The_star_reads_selection_scores_where_a_manifest_has_them()
    {
        var manifest = JsonNode.Parse("""
            { "runs": [
              { "run": "0.6-seed0", "best_validation_score": 0.90, "selection_score": 0.70 },
              { "run": "0.6-seed0-gpo-residual", "best_validation_score": 0.95, "selection_score": 0.60 },
              { "run": "0.4-seed0", "best_validation_score": 0.50 },
              { "run": "0.4-seed0-gpo-residual", "best_validation_score": 0.55 } ] }
            """)!.AsObject();
        var star = ResultsReport.SelectedByValidation(manifest);
        Assert.Equal("gpo", star["0.6"]);
        Assert.Equal("gpo-residual", star["0.4"]);
    }
}
