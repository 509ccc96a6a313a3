using Gpo.Data;
using Gpo.Evaluation;
using Gpo.Model;
using Gpo.Training;

namespace Gpo.Tests;

[Collection("notebooks")] // writes figures through Chromium like the notebook tests; keep them apart
public sealed class ReproductionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpo-reproduce-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly PreferenceDataset Data = SyntheticBenchmark.Generate(new SyntheticSettings { Groups = 10, Questions = 40, Dimension = 8, Seed = 4 });

    private static ReproductionOptions Options => new()
    {
        Fractions = [0.4, 0.6],
        Seeds = [0, 1],
        ContextQuestions = 5,
        SweepContextQuestions = [0, 2, 5, 39, 40],
        SweepFraction = 0.6,
        Training = new TrainingOptions { Steps = 8, EvaluateEvery = 4, LearningRate = 1e-3, Bounds = new QuestionDrawBounds(3, 8, 3, 8), ValidationContextQuestions = 5 },
        Model = new GpoConfig(1, 16, 2, 1, 16),
    };

    [Fact]
    public void Every_summary_number_is_recomputable_from_the_saved_predictions()
    {
        var output = Path.Combine(_folder, "results");
        var result = new Reproduction(Data, Options).Run(output, Path.Combine(_folder, "work"));

        var rows = PredictionTable.Read(PredictionTable.Locate(output));
        // Methods × splits: 3 GPO variants and 7 baselines at k = 5 for two fractions, each with its swap diagnostic; the sweep
        // (k = 0 with the methods defined without context, k = 2, 5, 39 with all; k = 40 leaves no query).
        Assert.Equal(["gpo", "gpo-prior", "gpo-residual", "group_mixture", "kernel_regression", "population_prior", "prior_residual", "ridge_probe", "tempered_prior", "uniform"],
            rows.Select(r => r.Method).Distinct().Order());
        // And the validation groups on the episodes that chose the checkpoints (F-val).
        Assert.Equal(["0.4", "0.4-swap", "0.4-val", "0.6", "0.6-k0", "0.6-k2", "0.6-k39", "0.6-k5", "0.6-swap", "0.6-val"], rows.Select(r => r.Split).Distinct().Order());
        Assert.Equal(["gpo-prior", "gpo-residual", "group_mixture", "population_prior", "prior_residual", "tempered_prior", "uniform"],
            rows.Where(r => r.Split == "0.6-k0").Select(r => r.Method).Distinct().Order());
        // Every (method, split, seed, group, question) is scored against the prior on the same pairs, and the choice of GPO variant is the validation groups'.
        var paired = File.ReadAllLines(Path.Combine(output, "paired.csv"));
        Assert.Equal(2 * 9, paired.Count(l => l.Contains(",population_prior,0.4,", StringComparison.Ordinal) || l.Contains(",population_prior,0.6,", StringComparison.Ordinal)));
        Assert.Equal(2 * 9, paired.Count(l => l.Contains(",population_prior,0.4-val,", StringComparison.Ordinal) || l.Contains(",population_prior,0.6-val,", StringComparison.Ordinal)));
        Assert.Equal(4 * 9, paired.Length - 1);
        Assert.Equal(2, paired.Count(l => l.EndsWith(",1", StringComparison.Ordinal)));
        Assert.True(File.Exists(Path.Combine(output, "diagnostics.csv")));

        // Recompute one summary cell by hand from the rows: mean over seeds of the mean TV over (group, question) pairs.
        var tvBySeed = PredictionTable.Questions(rows).Where(q => q.Method == "uniform" && q.Split == "0.4").GroupBy(q => q.Seed)
            .Select(g => g.Average(q => 0.5 * q.Predicted.Zip(q.Observed, (p, o) => Math.Abs(p - o)).Sum())).ToList();
        var cell = result.Summary.Single(r => r.Method == "uniform" && r.Split == "0.4" && r.Metric == "total_variation");
        // Shares are stored with 7 significant digits and the metric renormalises them, hence 1e-7, not exact equality.
        Assert.Equal(tvBySeed.Average(), cell.Mean, 1e-7);
        Assert.Equal(2, cell.Seeds);

        // The written summary is the same numbers.
        var written = File.ReadAllLines(Path.Combine(output, "summary.csv"));
        Assert.Equal("method,split,metric,mean,std,n_seeds", written[0]);
        Assert.Contains(written, l => l.StartsWith("uniform,0.4,total_variation,", StringComparison.Ordinal) && l.Contains(cell.Mean.ToString("R", System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

        foreach (var file in new[] { "summary_table.md", "summary_table.csv", "manifest.json", "runs/0.4-seed0/config.json", "runs/0.4-seed0/metrics.jsonl",
                     "figures/alignment_bars.html", "figures/alignment_vs_k.html", "figures/training_curves.html", "figures/alignment_per_group.html" })
            Assert.True(File.Exists(Path.Combine(output, file)), file);

        // Regenerating from the saved files alone gives the same summary.
        var summaryText = File.ReadAllText(Path.Combine(output, "summary.csv"));
        File.Delete(Path.Combine(output, "summary.csv"));
        var regenerated = ResultsReport.Regenerate(output, chromiumPath: "");
        Assert.Equal(summaryText, File.ReadAllText(Path.Combine(output, "summary.csv")));
        Assert.Equal(result.Summary, regenerated.Summary);
    }

    [Fact]
    public void Held_out_groups_never_train_and_predictions_are_distributions()
    {
        var output = Path.Combine(_folder, "results");
        new Reproduction(Data, Options with { Fractions = [0.4], Seeds = [3], SweepContextQuestions = [] }).Run(output, Path.Combine(_folder, "work"));
        var split = GroupSplit.ByFraction(Data.Groups, 0.4, 3);
        var rows = PredictionTable.Read(PredictionTable.Locate(output));
        Assert.Equal(split.MetaTest.Order(), rows.Where(r => r.Split != "0.4-val").Select(r => r.Group).Distinct().Order());
        Assert.Equal(split.Validation.Order(), rows.Where(r => r.Split == "0.4-val").Select(r => r.Group).Distinct().Order());
        foreach (var question in PredictionTable.Questions(rows))
        {
            Assert.Equal(1.0, question.Predicted.Sum(), 5);
            Assert.All(question.Predicted, p => Assert.InRange(p, 0.0, 1.0));
            var truth = Data.GetDistribution(question.Group, question.QuestionId);
            for (var o = 0; o < truth.Count; o++) Assert.Equal(truth[o], question.Observed[o], 1e-6 * Math.Max(1, truth[o]));
        }
    }

    [Fact]
    public void Rerunning_reuses_the_finished_runs_and_gives_identical_predictions()
    {
        var options = Options with { Fractions = [0.6], Seeds = [0], SweepContextQuestions = [] };
        var work = Path.Combine(_folder, "work");
        new Reproduction(Data, options).Run(Path.Combine(_folder, "a"), work);
        var again = new Reproduction(Data, options).Run(Path.Combine(_folder, "b"), work);
        Assert.All(again.Runs, r => Assert.True(r.Resumed));
        Assert.Equal(PredictionTable.Read(PredictionTable.Locate(Path.Combine(_folder, "a"))), PredictionTable.Read(PredictionTable.Locate(Path.Combine(_folder, "b"))));
    }
}
