using Gpo.Data;

namespace Gpo.Tests;

public class GlobalOpinionQaTests
{
    private static string Sample => TestData.DataFixture("global_opinions_sample.csv");

    [Fact]
    public void Original_csv_parses_tricky_quoting_escapes_and_numeric_options()
    {
        var dataset = GlobalOpinionQa.LoadOriginalCsv(Sample);
        var tricky = dataset.Questions.Single(q => q.Text.StartsWith("Which of these", StringComparison.Ordinal));
        Assert.Equal("Which of these is closest to your view, the \"people's\" choice or the experts'?", tricky.Text);
        Assert.Equal(["The people's choice", "The \"experts\" choice", "Café été \\ backslash"], tricky.Options);
        Assert.Null(tricky.Ordinals);
        Assert.Equal(QuestionIdentity.Hash(tricky.Text, tricky.Options), tricky.Id);
        var influence = dataset.Questions.Single(q => q.Text.StartsWith("How much influence", StringComparison.Ordinal));
        Assert.Equal(["Has too much influence", "Don't know", "DK/Refused", "Other"], influence.Options);
        Assert.Equal([0.21, 0.07, 0.69, 0.03], dataset.GetDistribution("Belgium", influence.Id));
        // the repeated row adds Japan to the same question
        Assert.Equal([0.25, 0.25, 0.25, 0.25], dataset.GetDistribution("Japan", influence.Id));
    }

    [Fact]
    public void Near_one_sums_are_renormalised_and_reported_once_per_file()
    {
        var dataset = GlobalOpinionQa.LoadOriginalCsv(Sample);
        var tricky = dataset.Questions.Single(q => q.Text.StartsWith("Which of these", StringComparison.Ordinal));
        var india = dataset.GetDistribution("India (Current national sample)", tricky.Id);
        Assert.All(india, v => Assert.Equal(1.0 / 3, v, 12)); // 0.333 × 3 = 0.999
        Assert.Equal(1.0, dataset.GetDistribution("Côte d'Ivoire", tricky.Id).Sum(), 12);
        var note = Assert.Single(dataset.Issues, i => i.Message.Contains("renormalised", StringComparison.Ordinal));
        Assert.Contains("1 vectors", note.Message, StringComparison.Ordinal); // 1.0000000001 is not worth reporting
    }

    [Fact]
    public void Questions_with_an_empty_or_all_zero_vector_of_a_selected_country_are_dropped_with_line_numbers()
    {
        var all = GlobalOpinionQa.LoadOriginalCsv(Sample);
        Assert.Equal(2, all.Questions.Count); // the scale question (Nigeria all-zero) and the approve question (Japan empty) are gone
        Assert.DoesNotContain("Nigeria", all.Groups);
        Assert.DoesNotContain("Brazil", all.Groups); // its only question was dropped
        // the scale question spans lines 4-5 of the CSV (a quoted line break); the approve question is on line 6
        Assert.Contains(all.Issues, i => i.Line == 4 && i.Field == "selections['Nigeria']" && i.Message.Contains("dropped", StringComparison.Ordinal));
        Assert.Contains(all.Issues, i => i.Line == 6 && i.Field == "selections['Japan']" && i.Message.Contains("dropped", StringComparison.Ordinal));

        // selecting Japan and Nigeria's absence: the scale question stays (Nigeria is not selected), the approve question goes
        var selected = GlobalOpinionQa.LoadOriginalCsv(Sample, ["Japan", "Brazil"]);
        Assert.Equal(["Japan"], selected.Groups);
        var scale = Assert.Single(selected.Questions, q => q.Text.StartsWith("On a scale", StringComparison.Ordinal));
        Assert.Equal("On a scale of 0 to 3, how important is it,\nwhere 0 means not important at all?", scale.Text);
        Assert.Equal(["Not important at all", "1.0", "2.0", "Very important"], scale.Options);
        Assert.Equal(2, selected.QuestionIdsOf("Japan").Count);
        Assert.Contains(selected.Issues, i => i.Message.Contains("'Brazil' has no data", StringComparison.Ordinal));
    }

    [Fact]
    public void Union_matches_questions_across_files_and_reports_conflicts()
    {
        var dataset = GlobalOpinionQa.LoadUnion(TestData.DataFixture("globalopinionqa_union"));
        Assert.Equal(3, dataset.Questions.Count);
        Assert.Equal(["Japan", "Spain", "Indonesia", "Egypt"], dataset.Groups);
        Assert.Equal(6, dataset.PairCount);
        var saddam = dataset.Questions.Single(q => q.Text.Contains("Saddam", StringComparison.Ordinal));
        Assert.Equal(["Saddam Hussein's rule", "The conflict", "Both (VOL)"], saddam.Options); // first file's texts
        Assert.Equal([0.5, 0.3, 0.2], dataset.GetDistribution("Japan", saddam.Id));     // first file wins
        Assert.Equal([0.7, 0.2, 0.1], dataset.GetDistribution("Egypt", saddam.Id));     // only in the modular-pluralism file
        var conflict = Assert.Single(dataset.Issues, i => i.Message.Contains("conflicting", StringComparison.Ordinal));
        Assert.StartsWith("modular_pluralism/", conflict.File, StringComparison.Ordinal);
        Assert.Contains("'Japan'", conflict.Message, StringComparison.Ordinal);
        // a 0.0005 rounding difference on the family question is not a conflict
        Assert.Equal(GlobalOpinionQa.UnionFormat, dataset.Provenance.Format);
        Assert.Equal(3, dataset.Provenance.SourceFiles.Count);
        Assert.Equal(64, dataset.Provenance.Version.Length);
    }

    [Fact]
    public void Normalised_matching_ignores_case_whitespace_apostrophes_and_possessives()
    {
        Assert.Equal(QuestionIdentity.Normalize("Saddam  Hussein's rule"), QuestionIdentity.Normalize("saddam hussein rule"));
        Assert.Equal(QuestionIdentity.Normalize("Muslims\u2019 intolerance"), QuestionIdentity.Normalize("Muslims intolerance"));
        Assert.NotEqual(QuestionIdentity.Hash("Q?", ["Yes", "No"]), QuestionIdentity.Hash("Q?", ["No", "Yes"]));
        Assert.Equal(QuestionIdentity.Hash("Q?", ["Yes", "No"]), QuestionIdentity.Hash(" q? ", ["yes", "NO"]));
    }

    [Fact]
    public void Each_subset_format_loads_alone_and_is_detected()
    {
        var root = TestData.DataFixture("globalopinionqa_union");
        var bench = Path.Combine(root, "GlobalOpinionBench", "eval.json");
        var mp = Path.Combine(root, "modular_pluralism", "distributional_test_globalopinionqa_small.json");
        var gv = Path.Combine(root, "meister2024_Global_Values", "data.json");
        Assert.Equal(GlobalOpinionQa.BenchFormat, DatasetLoader.DetectFormat(bench));
        Assert.Equal(GlobalOpinionQa.ModularPluralismFormat, DatasetLoader.DetectFormat(mp));
        Assert.Equal(GlobalOpinionQa.GlobalValuesFormat, DatasetLoader.DetectFormat(gv));
        Assert.Equal(GlobalOpinionQa.UnionFormat, DatasetLoader.DetectFormat(root));
        Assert.Equal(GlobalOpinionQa.CsvFormat, DatasetLoader.DetectFormat(Sample));
        Assert.Equal(2, DatasetLoader.Load(bench).Questions.Count);
        var fromMp = DatasetLoader.Load(mp);
        Assert.Contains(fromMp.Questions, q => q.Text == "What's the greater threat to our country, Saddam Hussein's rule or the conflict?");
        Assert.Equal([0.51, 0.49, 0.0], DatasetLoader.Load(gv).AnswersOf("Indonesia").Single().Distribution);
    }
}
