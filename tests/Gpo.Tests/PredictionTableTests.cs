using Gpo.Evaluation;

namespace Gpo.Tests;

public sealed class PredictionTableTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpo-predictions-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("predictions.csv")]
    [InlineData("predictions.csv.gz")]
    public void Rows_round_trip_to_seven_digits_and_regroup_into_questions(string name)
    {
        var rows = PredictionTable.Rows("gpo", "0.6", 3, "$100,000 or more", "Q\"1\"", [0.1 + 0.2, 0.7], [1 / 3.0, 2 / 3.0], [1.0, 1.5])
            .Concat(PredictionTable.Rows("uniform", "0.6", 3, "Nigeria", "Q2", [0.5, 0.5], [0.25, 0.75], null))
            .ToList();
        var path = Path.Combine(_folder, name);
        PredictionTable.Write(path, rows);
        var reread = PredictionTable.Read(path);
        Assert.Equal(rows.Select(r => r with { Predicted = Math.Round(r.Predicted, 7), Observed = double.Parse(r.Observed.ToString("G7", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture) }), reread);
        Assert.Equal(0.3333333, reread[0].Observed);
        Assert.Equal(path, PredictionTable.Locate(_folder));

        var questions = PredictionTable.Questions(reread);
        Assert.Equal(2, questions.Count);
        Assert.Equal([0.3, 0.7], questions[0].Predicted);
        Assert.Equal([1.0, 1.5], questions[0].Ordinals!);
        Assert.Null(questions[1].Ordinals);
    }

    [Fact]
    public void The_compressed_file_is_gzip_of_the_plain_csv()
    {
        var rows = PredictionTable.Rows("m", "0.4", 1, "g", "q", [0.25, 0.75], [0.5, 0.5], null).ToList();
        PredictionTable.Write(Path.Combine(_folder, "p.csv"), rows);
        PredictionTable.Write(Path.Combine(_folder, "p.csv.gz"), rows);
        using var gzip = new System.IO.Compression.GZipStream(File.OpenRead(Path.Combine(_folder, "p.csv.gz")), System.IO.Compression.CompressionMode.Decompress);
        Assert.Equal(File.ReadAllText(Path.Combine(_folder, "p.csv")), new StreamReader(gzip).ReadToEnd());
        Assert.StartsWith("split,seed,group,question_id,option_index,ordinal,observed,covered,m\n", File.ReadAllText(Path.Combine(_folder, "p.csv")));
    }

    [Fact]
    public void A_bad_number_names_the_line_and_column()
    {
        var path = Path.Combine(_folder, "bad.csv");
        File.WriteAllText(path, string.Join(',', PredictionTable.Header) + "\ngpo,0.4,1,g,q,0,,0.5,0.5,1\ngpo,0.4,1,g,q,1,,abc,0.5,1\n");
        var error = Assert.Throws<FormatException>(() => PredictionTable.Read(path));
        Assert.Contains("bad.csv:3", error.Message);
        Assert.Contains("'predicted'", error.Message);
    }

    [Fact]
    public void A_short_row_is_an_error()
    {
        var path = Path.Combine(_folder, "short.csv");
        File.WriteAllText(path, string.Join(',', PredictionTable.Header) + "\ngpo,0.4,1,g,q,0,,0.5,0.5\n");
        var error = Assert.ThrowsAny<FormatException>(() => PredictionTable.Read(path));
        Assert.Contains("short.csv", error.Message);
    }

    [Fact]
    public void Files_without_the_covered_column_are_read_and_a_bad_flag_is_an_error()
    {
        var legacy = Path.Combine(_folder, "legacy.csv");
        File.WriteAllText(legacy, string.Join(',', PredictionTable.Header[..^1]) + "\ngpo,0.4,1,g,q,0,,0.5,0.5\n");
        Assert.Null(Assert.Single(PredictionTable.Read(legacy)).Covered);
        var covered = Path.Combine(_folder, "covered.csv");
        PredictionTable.Write(covered, PredictionTable.Rows("m", "0.4", 1, "g", "q", [0.25, 0.75], [0.5, 0.5], null, covered: false));
        Assert.All(PredictionTable.Read(covered), r => Assert.False(r.Covered));
        var bad = Path.Combine(_folder, "bad-flag.csv");
        File.WriteAllText(bad, string.Join(',', PredictionTable.Header) + "\ngpo,0.4,1,g,q,0,,0.5,0.5,yes\n");
        Assert.Contains("bad-flag.csv:2: column 'covered'", Assert.Throws<FormatException>(() => PredictionTable.Read(bad)).Message);
    }

    [Fact]
    public void The_wide_form_holds_each_option_once_with_one_column_per_method()
    {
        var rows = PredictionTable.Rows("gpo", "0.6", 0, "g1", "q1", [0.2, 0.8], [0.25, 0.75], [1, 2], covered: true)
            .Concat(PredictionTable.Rows("gpo", "0.6", 0, "g1", "q2", [0.5, 0.5], [0.4, 0.6], [1, 2], covered: true))
            .Concat(PredictionTable.Rows("uniform", "0.6", 0, "g1", "q1", [0.5, 0.5], [0.25, 0.75], [1, 2], covered: true))
            .ToList();
        var path = Path.Combine(_folder, "wide.csv");
        PredictionTable.Write(path, rows);
        Assert.Equal(
            "split,seed,group,question_id,option_index,ordinal,observed,covered,gpo,uniform\n" +
            "0.6,0,g1,q1,0,1,0.25,1,0.2,0.5\n" +
            "0.6,0,g1,q1,1,2,0.75,1,0.8,0.5\n" +
            "0.6,0,g1,q2,0,1,0.4,1,0.5,\n" +
            "0.6,0,g1,q2,1,2,0.6,1,0.5,\n", File.ReadAllText(path));
        // Read back: every method's rows (uniform did not predict q2), each question's options together.
        Assert.Equal(rows, PredictionTable.Read(path));
        Assert.Equal(["gpo", "gpo", "uniform"], PredictionTable.Questions(PredictionTable.Read(path)).Select(q => q.Method));

        var bad = Path.Combine(_folder, "bad.csv");
        File.WriteAllText(bad, "split,seed,group,question_id,option_index,ordinal,observed,covered,gpo\n0.6,0,g1,q1,0,1,0.25,1,x\n");
        Assert.Contains("bad.csv:2: column 'gpo': 'x' is not a number", Assert.Throws<FormatException>(() => PredictionTable.Read(bad)).Message);
    }

    [Fact]
    public void Rows_that_disagree_on_the_observed_share_or_repeat_a_method_are_refused()
    {
        var observed = PredictionTable.Rows("a", "0.6", 0, "g", "q", [0.5, 0.5], [0.25, 0.75], null)
            .Concat(PredictionTable.Rows("b", "0.6", 0, "g", "q", [0.5, 0.5], [0.3, 0.7], null));
        var error = Assert.Throws<ArgumentException>(() => PredictionTable.Write(Path.Combine(_folder, "o.csv"), observed));
        Assert.Contains("question 'q', option 0: b has another ordinal, observed share or covered flag", error.Message);
        var twice = PredictionTable.Rows("a", "0.6", 0, "g", "q", [0.5, 0.5], [0.25, 0.75], null)
            .Concat(PredictionTable.Rows("a", "0.6", 0, "g", "q", [0.4, 0.6], [0.25, 0.75], null));
        Assert.Contains("a predicted it twice", Assert.Throws<ArgumentException>(() => PredictionTable.Write(Path.Combine(_folder, "t.csv"), twice)).Message);
        Assert.False(File.Exists(Path.Combine(_folder, "o.csv")));
    }
}
