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
        Assert.StartsWith("method,split,seed,group,question_id,option_index,ordinal,predicted,observed,covered\n", File.ReadAllText(Path.Combine(_folder, "p.csv")));
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
}
