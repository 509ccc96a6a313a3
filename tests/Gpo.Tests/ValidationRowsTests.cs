using System.Text.Json.Nodes;
using Gpo.Data;
using Gpo.Evaluation;
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
}
