using Gpo.Figures;
using Microsoft.Data.Analysis;

namespace Gpo.Evaluation;

/// <summary>
/// Results as Microsoft.Data.Analysis <see cref="DataFrame"/>s, for exploring in a notebook: the .NET Interactive
/// kernel shows a DataFrame as an HTML table, and it can be filtered, sorted and grouped
/// (<c>frame.Filter(frame["method"].ElementwiseEquals("gpo"))</c>, <c>frame.OrderBy("mean")</c>,
/// <c>frame.GroupBy("group").Mean("predicted")</c>). Column names are those of the results files
/// (<c>summary_table.csv</c>, <c>predictions.csv.gz</c>); rows keep the order given.
/// <para>
/// A notebook that references Microsoft.Data.Analysis as a built DLL (<c>#r "…/Gpo.dll"</c>) does not load the
/// package's kernel extension, and the kernel then shows a DataFrame as a tree of its columns; <see cref="ToTable"/>
/// shows one as a table (HTML and text) in every front-end.
/// </para>
/// </summary>
public static class ResultFrames
{
    /// <summary>Summary rows (<see cref="ResultsSummary.Compute"/>, or a results folder's summary) as a frame.</summary>
    public static DataFrame Summary(IEnumerable<SummaryRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var list = rows.ToList();
        return new DataFrame(
            new StringDataFrameColumn("method", list.Select(r => r.Method)),
            new StringDataFrameColumn("split", list.Select(r => r.Split)),
            new StringDataFrameColumn("metric", list.Select(r => r.Metric)),
            new DoubleDataFrameColumn("mean", list.Select(r => r.Mean)),
            new DoubleDataFrameColumn("std", list.Select(r => r.Std)),
            new Int32DataFrameColumn("n_seeds", list.Select(r => r.Seeds)),
            new DoubleDataFrameColumn("ci_low", list.Select(r => r.CiLow)),
            new DoubleDataFrameColumn("ci_high", list.Select(r => r.CiHigh)),
            new StringDataFrameColumn("worst_group", list.Select(r => r.WorstGroup)),
            new DoubleDataFrameColumn("worst_group_mean", list.Select(r => r.WorstGroupMean)),
            new Int32DataFrameColumn("pairs", list.Select(r => r.Pairs)));
    }

    /// <summary>Saved prediction rows (<see cref="PredictionTable.Read(string)"/>), one row per option, as a frame.</summary>
    public static DataFrame Predictions(IEnumerable<PredictionRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var list = rows.ToList();
        return new DataFrame(
            new StringDataFrameColumn("method", list.Select(r => r.Method)),
            new StringDataFrameColumn("split", list.Select(r => r.Split)),
            new Int32DataFrameColumn("seed", list.Select(r => r.Seed)),
            new StringDataFrameColumn("group", list.Select(r => r.Group)),
            new StringDataFrameColumn("question_id", list.Select(r => r.QuestionId)),
            new Int32DataFrameColumn("option_index", list.Select(r => r.OptionIndex)),
            new DoubleDataFrameColumn("ordinal", list.Select(r => r.Ordinal)),
            new DoubleDataFrameColumn("predicted", list.Select(r => r.Predicted)),
            new DoubleDataFrameColumn("observed", list.Select(r => r.Observed)));
    }

    /// <summary>
    /// In-memory predictions of one method (as a notebook computes them), one row per option: method, group,
    /// question id, option index, option text, predicted and observed share.
    /// </summary>
    public static DataFrame Predictions(string method, IEnumerable<Prediction> predictions)
    {
        ArgumentNullException.ThrowIfNull(predictions);
        var rows = predictions.SelectMany(p => p.Predicted.Select((share, o) => (p, o, share))).ToList();
        return new DataFrame(
            new StringDataFrameColumn("method", rows.Select(_ => method)),
            new StringDataFrameColumn("group", rows.Select(r => r.p.Group)),
            new StringDataFrameColumn("question_id", rows.Select(r => r.p.Question.Id)),
            new Int32DataFrameColumn("option_index", rows.Select(r => r.o)),
            new StringDataFrameColumn("option", rows.Select(r => r.p.Question.Options[r.o])),
            new DoubleDataFrameColumn("predicted", rows.Select(r => r.share)),
            new DoubleDataFrameColumn("observed", rows.Select(r => r.p.Target[r.o])));
    }

    /// <summary>Per-group means (<see cref="ResultsSummary.PerGroup"/>) as a frame: method, split, group, mean.</summary>
    public static DataFrame PerGroup(IEnumerable<(string Method, string Split, string Group, double Mean)> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var list = rows.ToList();
        return new DataFrame(
            new StringDataFrameColumn("method", list.Select(r => r.Method)),
            new StringDataFrameColumn("split", list.Select(r => r.Split)),
            new StringDataFrameColumn("group", list.Select(r => r.Group)),
            new DoubleDataFrameColumn("mean", list.Select(r => r.Mean)));
    }

    /// <summary>Per-group scores of several methods (method → <see cref="MetricSummary.PerGroup"/>) as a frame: method, group, mean, questions.</summary>
    public static DataFrame PerGroup(IEnumerable<(string Method, IReadOnlyList<GroupScore> Groups)> methods)
    {
        ArgumentNullException.ThrowIfNull(methods);
        var rows = methods.SelectMany(m => m.Groups.Select(g => (m.Method, g))).ToList();
        return new DataFrame(
            new StringDataFrameColumn("method", rows.Select(r => r.Method)),
            new StringDataFrameColumn("group", rows.Select(r => r.g.Group)),
            new DoubleDataFrameColumn("mean", rows.Select(r => r.g.Mean)),
            new Int32DataFrameColumn("questions", rows.Select(r => r.g.Questions)));
    }

    /// <summary>
    /// The first <paramref name="maxRows"/> rows of <paramref name="frame"/> as a <see cref="Table"/> (which every
    /// notebook front-end shows as an HTML table): one column per frame column, numbers with
    /// <paramref name="numberFormat"/>, missing values empty; a last row says how many rows were left out.
    /// </summary>
    public static Table ToTable(DataFrame frame, string? title = null, int maxRows = 50, string numberFormat = "0.0000")
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRows);
        var table = new Table(frame.Columns.Select(c => c.Name).ToArray()) { Title = title, NumberFormat = numberFormat };
        var shown = Math.Min(frame.Rows.Count, maxRows);
        for (long r = 0; r < shown; r++)
            table.AddRow(frame.Columns.Select(c => c[r]).ToArray());
        if (frame.Rows.Count > shown)
            table.AddRow([$"… {frame.Rows.Count - shown} more rows", .. Enumerable.Repeat<object?>(null, frame.Columns.Count - 1)]);
        return table;
    }
}
