using System.Text.Json;
using Gpo.Cli;

namespace Gpo.Tests;

public class DataInspectCommandTests
{
    private static (int Code, string Out, string Error) Run(string source, string? format = null, bool json = true, string? dataRoot = null)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = DataCommand.Inspect(source, format, dataRoot, json, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Json_has_groups_questions_histogram_coverage_and_issues()
    {
        var (code, output, error) = Run(TestData.DataFixture("opinionqa_counts"));
        Assert.Equal(0, code);
        Assert.Empty(error);
        using var document = JsonDocument.Parse(output);
        var root = document.RootElement;
        Assert.Equal(["Democrat", "Republican", "Refused", "Female", "Male"], root.GetProperty("groups").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(3, root.GetProperty("questions").GetInt32());
        Assert.Equal(2, root.GetProperty("optionsPerQuestion").GetProperty("3").GetInt32());
        Assert.Equal(1, root.GetProperty("optionsPerQuestion").GetProperty("2").GetInt32());
        Assert.Equal(1, root.GetProperty("questionsPerGroup").GetProperty("Male").GetInt32());   // WORRY only: FUTURE all refusals
        Assert.Equal(2, root.GetProperty("questionsPerGroup").GetProperty("Female").GetInt32());
        Assert.Equal("opinionqa-counts", root.GetProperty("format").GetString());
        Assert.Contains(root.GetProperty("issues").EnumerateArray(), i => i.GetString()!.Contains("'Male' has no non-refusal answers", StringComparison.Ordinal));
    }

    [Fact]
    public void Synthetic_preset_needs_no_data_root_and_tables_render()
    {
        var (code, output, _) = Run("synthetic", json: false);
        Assert.Equal(0, code);
        Assert.Contains("20 groups, 200 questions", output, StringComparison.Ordinal);
        Assert.Contains("group-19", output, StringComparison.Ordinal);
        using var document = JsonDocument.Parse(Run("synthetic").Out);
        Assert.Equal(32, document.RootElement.GetProperty("featureDimension").GetInt32());
    }

    [Fact]
    public void Malformed_input_exits_1_naming_file_line_and_field()
    {
        var (code, output, error) = Run(TestData.Fixture("broken", "goqa_bad_literal.csv"));
        Assert.Equal(1, code);
        Assert.Empty(output);
        Assert.Contains("goqa_bad_literal.csv, line 3, field 'options'", error, StringComparison.Ordinal);
        (code, _, error) = Run(TestData.DataFixture("global_opinions_sample.csv"), format: "xlsx");
        Assert.Equal(1, code);
        Assert.Contains("unknown format 'xlsx'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_inspect_is_registered_with_its_options()
    {
        var data = Program.BuildRoot().Subcommands.Single(c => c.Name == "data");
        var inspect = data.Subcommands.Single(c => c.Name == "inspect");
        Assert.Equal(["--format", "--data-root", "--json"], inspect.Options.Select(o => o.Name));
        var parse = Program.BuildRoot().Parse(["data", "inspect", "synthetic", "--json"]);
        Assert.Empty(parse.Errors);
    }
}
