using Gpo.Data;
using Gpo.Evaluation;

namespace Gpo.Tests;

/// <summary>Results as DataFrames: every value lands in its named column, row order kept, and the frames filter and sort.</summary>
public sealed class ResultFramesTests
{
    [Fact]
    public void Summary_rows_become_columns_named_as_in_summary_table_csv()
    {
        SummaryRow[] rows =
        [
            new("gpo", "0.4", "alignment_w1", 0.92, 0.007, 3, 0.917, 0.923, 0.87, "Republican", 8381),
            new("uniform", "0.4", "alignment_w1", 0.82, 0.003, 3, 0.81, 0.83, 0.79, "Black", 8381),
            new("gpo", "0.4", "total_variation", 0.12, 0.009, 3, 0.117, 0.124, 0.19, "Republican", 8525),
        ];

        var frame = ResultFrames.Summary(rows);

        Assert.Equal(["method", "split", "metric", "mean", "std", "n_seeds", "ci_low", "ci_high", "worst_group", "worst_group_mean", "pairs"],
            frame.Columns.Select(c => c.Name));
        Assert.Equal(3, frame.Rows.Count);
        Assert.Equal("uniform", frame["method"][1]);
        Assert.Equal(0.82, frame["mean"][1]);
        Assert.Equal(8525, frame["pairs"][2]);
        Assert.Equal("Republican", frame["worst_group"][0]);
        var headline = frame.Filter(frame["metric"].ElementwiseEquals("alignment_w1")).OrderByDescending("mean");
        Assert.Equal(["gpo", "uniform"], headline["method"].Cast<string>());
    }

    [Fact]
    public void Predictions_have_one_row_per_option_with_text_and_observed_share()
    {
        var question = new Question("Q1", "Do you agree?", ["Yes", "No", "Unsure"]);
        Prediction[] predictions = [new("Male", question, [0.5, 0.3, 0.2], [0.6, 0.3, 0.1]), new("Female", question, [0.4, 0.4, 0.2], [0.2, 0.7, 0.1])];

        var frame = ResultFrames.Predictions("gpo", predictions);

        Assert.Equal(6, frame.Rows.Count);
        Assert.Equal(["Male", "Male", "Male", "Female", "Female", "Female"], frame["group"].Cast<string>());
        Assert.Equal(["Yes", "No", "Unsure", "Yes", "No", "Unsure"], frame["option"].Cast<string>());
        Assert.Equal([0, 1, 2, 0, 1, 2], frame["option_index"].Cast<int?>().Select(i => i!.Value));
        Assert.Equal([0.4, 0.4, 0.2], Enumerable.Range(3, 3).Select(i => (double)frame["predicted"][i]));
        Assert.Equal([0.2, 0.7, 0.1], Enumerable.Range(3, 3).Select(i => (double)frame["observed"][i]));
        Assert.All(frame["method"].Cast<string>(), m => Assert.Equal("gpo", m));
    }

    [Fact]
    public void Saved_prediction_rows_keep_a_missing_ordinal_as_null()
    {
        PredictionRow[] rows = [new("gpo", "0.6", 1, "Japan", "G7", 0, null, 0.25, 0.5), new("gpo", "0.6", 1, "Japan", "G7", 1, 2.0, 0.75, 0.5)];

        var frame = ResultFrames.Predictions(rows);

        Assert.Null(frame["ordinal"][0]);
        Assert.Equal(2.0, frame["ordinal"][1]);
        Assert.Equal(1, frame["seed"][0]);
        Assert.Equal("G7", frame["question_id"][1]);
    }

    [Fact]
    public void Per_group_scores_of_several_methods_stack_into_one_frame()
    {
        (string, IReadOnlyList<GroupScore>)[] methods =
        [
            ("gpo", [new GroupScore("Male", 0.9, 10), new GroupScore("Female", 0.8, 12)]),
            ("uniform", [new GroupScore("Male", 0.7, 10)]),
        ];

        var frame = ResultFrames.PerGroup(methods);

        Assert.Equal(["gpo", "gpo", "uniform"], frame["method"].Cast<string>());
        Assert.Equal(["Male", "Female", "Male"], frame["group"].Cast<string>());
        Assert.Equal([0.9, 0.8, 0.7], frame["mean"].Cast<double?>().Select(v => v!.Value));
        Assert.Equal(12, frame["questions"][1]);
        var fromSummary = ResultFrames.PerGroup([("gpo", "0.4", "Male", 0.5)]);
        Assert.Equal(["method", "split", "group", "mean"], fromSummary.Columns.Select(c => c.Name));
    }

    [Fact]
    public void A_frame_becomes_a_table_with_its_columns_numbers_formatted_and_a_note_of_the_rows_left_out()
    {
        SummaryRow[] rows =
        [
            new("gpo", "0.4", "alignment_w1", 0.92, 0.007, 3, 0.917, 0.923, 0.87, "Republican", 8381),
            new("uniform", "0.4", "alignment_w1", 0.82, 0.003, 3, 0.81, 0.83, 0.79, "Black", 8381),
            new("prior", "0.4", "alignment_w1", 0.93, 0.001, 3, 0.92, 0.94, 0.9, "Black", 8381),
        ];

        var table = ResultFrames.ToTable(ResultFrames.Summary(rows), "summary", maxRows: 2);

        Assert.Equal("summary", table.Title);
        Assert.Equal(ResultFrames.Summary(rows).Columns.Select(c => c.Name), table.Columns);
        Assert.Equal(3, table.Rows.Count);
        Assert.Equal("uniform", table.Rows[1][0]);
        Assert.Equal("0.8200", table.FormatCell(table.Rows[1][3]));
        Assert.Equal("1 more rows", ((string)table.Rows[2][0]!)[2..]);
        Assert.All(table.Rows[2].Skip(1), Assert.Null);
        Assert.Contains("<td", table.ToHtml(), StringComparison.Ordinal);
    }
}
