using Gpo.Data;

namespace Gpo.Tests;

/// <summary>The corpus of malformed files under Fixtures/broken: each fails with a message naming file, line and field.</summary>
public class BrokenInputTests
{
    private static string Broken(params string[] parts) => TestData.Fixture(["broken", .. parts]);

    [Theory]
    [InlineData("goqa_bad_quoting.csv", null, "goqa_bad_quoting.csv", 3, null, "malformed CSV")]
    [InlineData("goqa_wrong_columns.csv", null, "goqa_wrong_columns.csv", 3, null, "5 columns where the header has 4")]
    [InlineData("goqa_bad_literal.csv", null, "goqa_bad_literal.csv", 3, "options", "unterminated list")]
    [InlineData("goqa_unterminated_string.csv", null, "goqa_unterminated_string.csv", 2, "options", "unterminated string")]
    [InlineData("goqa_length_mismatch.csv", null, "goqa_length_mismatch.csv", 3, "selections", "'France' has 2 shares for 3 options")]
    [InlineData("goqa_bad_selections.csv", null, "goqa_bad_selections.csv", 2, "selections", "'France': share 1 is not a number")]
    [InlineData("bench_bad_json.json", "globalopinionbench-json", "bench_bad_json.json", 3, null, "malformed JSON")]
    [InlineData("bench_length_mismatch.json", null, "bench_length_mismatch.json", null, "[1].distribution", "3 values for 2 options")]
    [InlineData("mp_missing_field.json", null, "mp_missing_field.json", null, "[1].gold_distribution", "missing")]
    [InlineData("mp_bad_prompt.json", null, "mp_bad_prompt.json", null, "[0].question", "Question:")]
    [InlineData("unknown_format.txt", null, "unknown_format.txt", null, null, "cannot tell the format")]
    [InlineData("goqa_rejected_values.csv", "no-such-format", "goqa_rejected_values.csv", null, null, "unknown format 'no-such-format'")]
    [InlineData("counts_bad_option", null, "SEX_data.json", null, "Q1_W1.Female.Maybe", "not among the info.csv references")]
    [InlineData("dh_bad_vector/bad_default_human.csv", null, "bad_default_human.csv", 3, "D_H", "'abc' is not a number")]
    [InlineData("info_bad_ordinals", null, "info.csv", 3, "option_ordinal", "3 ordinals for 2 references")]
    public void Malformed_input_fails_naming_file_line_and_field(string file, string? format, string expectedFile, int? expectedLine, string? expectedField, string expectedProblem)
    {
        var path = Broken(file.Split('/'));
        var e = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(path, format));
        Assert.EndsWith(expectedFile, e.File, StringComparison.Ordinal);
        Assert.Equal(expectedLine, e.Line);
        Assert.Equal(expectedField, e.Field);
        Assert.Contains(expectedProblem, e.Message, StringComparison.Ordinal);
        Assert.Contains(expectedFile, e.Message, StringComparison.Ordinal);
        if (expectedLine is { } line) Assert.Contains($"line {line}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NaN_negative_and_far_from_one_vectors_are_rejected_rows_with_issues_not_silent_data()
    {
        var dataset = DatasetLoader.Load(Broken("goqa_rejected_values.csv"));
        Assert.Equal(["Japan"], dataset.Groups); // every France row was rejected
        Assert.Equal(3, dataset.Questions.Count);
        var rejected = dataset.Issues.Where(i => i.Message.Contains("rejected", StringComparison.Ordinal)).OrderBy(i => i.Line).ToList();
        Assert.Equal(3, rejected.Count);
        Assert.Equal([2, 3, 4], rejected.Select(i => i.Line!.Value));
        Assert.All(rejected, i => Assert.Equal("selections['France']", i.Field));
        Assert.Contains("is NaN", rejected[0].Message, StringComparison.Ordinal);
        Assert.Contains("-0.2", rejected[1].Message, StringComparison.Ordinal);
        Assert.Contains("sum to 1.5", rejected[2].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_paths_and_presets_without_data_are_clear_errors()
    {
        var e = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(Broken("no_such_file.csv")));
        Assert.Contains("no such file", e.Message, StringComparison.Ordinal);
        var noRoot = Assert.Throws<DataFormatException>(() => DatasetLoader.LoadPreset(DatasetLoader.OpinionQa500, Broken("empty-root")));
        Assert.Contains("missing", noRoot.Message, StringComparison.Ordinal);
    }
}
