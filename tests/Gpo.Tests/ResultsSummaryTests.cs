using Gpo.Evaluation;

namespace Gpo.Tests;

public sealed class ResultsSummaryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpo-summary-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static ScoredQuestion Q(int seed, string group, string id, double[] predicted, double[] observed) =>
        new("m", "0.4", seed, group, id, predicted, observed, null);

    [Fact]
    public void Mean_and_std_are_over_seeds_of_the_pair_means()
    {
        // Seed 1: TV = 0.1 and 0.3 → mean 0.2. Seed 2: TV = 0.0 and 0.6 → mean 0.3.
        var questions = new List<ScoredQuestion>
        {
            Q(1, "a", "q1", [0.6, 0.4], [0.5, 0.5]),
            Q(1, "b", "q1", [0.8, 0.2], [0.5, 0.5]),
            Q(2, "a", "q1", [0.5, 0.5], [0.5, 0.5]),
            Q(2, "b", "q2", [1.0, 0.0], [0.4, 0.6]),
        };
        var row = Assert.Single(ResultsSummary.Compute(questions, [AlignmentMetrics.TotalVariationDistance], bootstrapSamples: 200));
        Assert.Equal(0.25, row.Mean, 12);
        Assert.Equal(0.05, row.Std, 12); // population std of {0.2, 0.3}
        Assert.Equal(2, row.Seeds);
        Assert.Equal(4, row.Pairs);
        Assert.Equal("b", row.WorstGroup); // highest distance in both seeds
        Assert.Equal((0.3 + 0.6) / 2, row.WorstGroupMean, 12);
        Assert.InRange(row.CiLow, 0.0, row.CiHigh);
        Assert.InRange(row.CiHigh, row.CiLow, 0.6);
    }

    [Fact]
    public void Metrics_that_need_ordinals_are_left_out_where_there_are_none()
    {
        var questions = new List<ScoredQuestion> { Q(1, "a", "q1", [0.6, 0.4], [0.5, 0.5]) };
        var rows = ResultsSummary.Compute(questions, [AlignmentMetrics.AlignmentW1, AlignmentMetrics.AlignmentJs]);
        Assert.Equal(["alignment_js"], rows.Select(r => r.Metric));
    }

    [Fact]
    public void Summary_files_are_written_with_the_promised_columns()
    {
        var rows = ResultsSummary.Compute([Q(1, "a", "q1", [0.6, 0.4], [0.5, 0.5])], [AlignmentMetrics.AlignmentJs]);
        var csv = Path.Combine(_folder, "summary.csv");
        ResultsSummary.WriteCsv(csv, rows);
        Assert.StartsWith("method,split,metric,mean,std,n_seeds\nm,0.4,alignment_js,", File.ReadAllText(csv));
        ResultsSummary.WriteTable(Path.Combine(_folder, "t.csv"), Path.Combine(_folder, "t.md"), rows, "Test");
        Assert.Contains("| m |", File.ReadAllText(Path.Combine(_folder, "t.md")));
    }
}
