using Gpo.Evaluation;

namespace Gpo.Tests;

public sealed class PredictionTableTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpo-predictions-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Rows_round_trip_exactly_and_regroup_into_questions()
    {
        var rows = PredictionTable.Rows("gpo", "0.6", 3, "$100,000 or more", "Q\"1\"", [0.1 + 0.2, 0.7], [1 / 3.0, 2 / 3.0], [1.0, 1.5])
            .Concat(PredictionTable.Rows("uniform", "0.6", 3, "Nigeria", "Q2", [0.5, 0.5], [0.25, 0.75], null))
            .ToList();
        var path = Path.Combine(_folder, "predictions.csv");
        PredictionTable.Write(path, rows);
        Assert.StartsWith("method,split,seed,group,question_id,option_index,ordinal,predicted,observed\n", File.ReadAllText(path));
        var reread = PredictionTable.Read(path);
        Assert.Equal(rows, reread);

        var questions = PredictionTable.Questions(reread);
        Assert.Equal(2, questions.Count);
        Assert.Equal([0.1 + 0.2, 0.7], questions[0].Predicted);
        Assert.Equal([1.0, 1.5], questions[0].Ordinals!);
        Assert.Null(questions[1].Ordinals);
    }

    [Fact]
    public void A_bad_number_names_the_line_and_column()
    {
        var path = Path.Combine(_folder, "bad.csv");
        File.WriteAllText(path, string.Join(',', PredictionTable.Header) + "\ngpo,0.4,1,g,q,0,,0.5,0.5\ngpo,0.4,1,g,q,1,,abc,0.5\n");
        var error = Assert.Throws<FormatException>(() => PredictionTable.Read(path));
        Assert.Contains("bad.csv:3", error.Message);
        Assert.Contains("'predicted'", error.Message);
    }

    [Fact]
    public void A_short_row_is_an_error()
    {
        var path = Path.Combine(_folder, "short.csv");
        File.WriteAllText(path, string.Join(',', PredictionTable.Header) + "\ngpo,0.4,1,g,q,0,,0.5\n");
        var error = Assert.ThrowsAny<FormatException>(() => PredictionTable.Read(path));
        Assert.Contains("short.csv", error.Message);
    }
}
