using Gpo.Data;

namespace Gpo.Tests;

public class OpinionQaTests
{
    private static void Near(double[] expected, IReadOnlyList<double> actual)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 12);
    }

    [Fact]
    public void Info_csv_splits_references_into_answer_and_refusal_options()
    {
        var rows = OpinionQaInfo.Read(TestData.DataFixture("opinionqa_counts", "info.csv"), "info.csv");
        Assert.Equal(["WORRY_W1", "GUNOWN_W1", "FUTURE_W1"], rows.Select(r => r.Key));
        var gun = rows[1];
        Assert.Equal(["Yes, I currently own", "No, never", "Yes, in the past"], gun.AnswerOptions);
        Assert.Equal(["Refused"], gun.RefusalOptions);
        Assert.Equal([1.0, 2.0, 1.5], gun.Ordinals);
        Assert.Equal(["Not sure", "Refused"], rows[2].RefusalOptions);
        Assert.Equal(2, rows[0].Where.Line);
        Assert.Equal(1, OpinionQaInfo.WaveOf("WORRY_W1"));
    }

    [Fact]
    public void Counts_drop_refusals_take_options_from_info_and_renormalise()
    {
        var dataset = OpinionQa.LoadCounts(TestData.DataFixture("opinionqa_counts"));
        Assert.Equal(["Democrat", "Republican", "Refused", "Female", "Male"], dataset.Groups);
        Assert.Equal(["WORRY_W1", "GUNOWN_W1", "FUTURE_W1"], dataset.Questions.Select(q => q.Id));
        Near([0.3, 0.5, 0.2], dataset.GetDistribution("Democrat", "WORRY_W1"));       // 7 refusals dropped
        Near([0.1, 0.3, 0.6], dataset.GetDistribution("Republican", "WORRY_W1"));     // keys in another order
        Near([0.25, 0.75, 0], dataset.GetDistribution("Democrat", "GUNOWN_W1"));      // options with commas matched via references
        Near([0.5, 0.25, 0.25], dataset.GetDistribution("Republican", "GUNOWN_W1"));
        Near([0.75, 0.25], dataset.GetDistribution("Female", "FUTURE_W1"));           // "Not sure" is a refusal-type option
        var gun = dataset.GetQuestion("GUNOWN_W1");
        Assert.Equal([1.0, 2.0, 1.5], gun.Ordinals);
        // a group with only refusals on a question lacks it, and that is reported
        Assert.False(dataset.TryGetDistribution("Male", "FUTURE_W1", out _));
        Assert.False(dataset.TryGetDistribution("Refused", "WORRY_W1", out _));
        Assert.Contains(dataset.Issues, i => i.Message.Contains("'Male' has no non-refusal answers", StringComparison.Ordinal));
        Assert.Equal(OpinionQa.CountsFormat, DatasetLoader.DetectFormat(TestData.DataFixture("opinionqa_counts")));
    }

    [Fact]
    public void Counts_select_attributes_and_groups_in_order()
    {
        var dataset = OpinionQa.LoadCounts(TestData.DataFixture("opinionqa_counts"), ["SEX"], ["Male", "Female"]);
        Assert.Equal(["Male", "Female"], dataset.Groups);
        Assert.Equal(["WORRY_W1", "FUTURE_W1"], dataset.Questions.Select(q => q.Id));
        Near([0.25, 0, 0.75], dataset.GetDistribution("Male", "WORRY_W1"));
    }

    [Fact]
    public void Numpy_text_distribution_csv_joins_info_for_text_options_and_ordinals()
    {
        var path = TestData.DataFixture("opinionqa_distributions", "sample_default_human.csv");
        Assert.Equal(OpinionQa.DistributionCsvFormat, DatasetLoader.DetectFormat(path));
        var dataset = DatasetLoader.Load(path);
        Assert.Equal(["Democrat", "Republican", "Female", "Overall"], dataset.Groups);
        Near([0.49927085, 0.29788298, 0.20284617], dataset.GetDistribution("Democrat", "WORRY_W1"));
        Near([0.1, 0.3, 0.6], dataset.GetDistribution("Republican", "WORRY_W1")); // numpy text wrapped over two lines
        Near([0.25, 0.75, 0], dataset.GetDistribution("Democrat", "GUNOWN_W1"));
        Assert.Equal([1.0, 2.0, 1.5], dataset.GetQuestion("GUNOWN_W1").Ordinals);
        Assert.Equal("Will life be better or worse for the next generation?", dataset.GetQuestion("FUTURE_W1").Text);
        Assert.Equal(["Better", "Worse"], dataset.GetQuestion("FUTURE_W1").Options);
    }

    [Fact]
    public void Responses_give_survey_weighted_group_distributions()
    {
        var folder = TestData.DataFixture("opinionqa_responses");
        Assert.Equal(OpinionQa.ResponsesFormat, DatasetLoader.DetectFormat(folder));
        var dataset = DatasetLoader.Load(folder);
        Assert.Equal(["Democrat", "Republican", "Female", "Male"], dataset.Groups);
        // Female = respondents 1, 2, 5 with weights 0.5, 1.5, 3.0 (sums worked by hand: lot 0.5 + 3.0, little 1.5)
        Near([0.7, 0.3, 0], dataset.GetDistribution("Female", "WORRY_W1"));
        Near([0.3, 0.7, 0], dataset.GetDistribution("Female", "GUNOWN_W1"));
        Near([0.25, 0.75], dataset.GetDistribution("Female", "FUTURE_W1"));          // respondent 5 refused
        // Male = 3, 4, 6 (weights 2.0, 1.0, 0.25): refusals and a blank answer drop out
        Near([0, 0.2, 0.8], dataset.GetDistribution("Male", "WORRY_W1"));
        Near([0, 0, 1], dataset.GetDistribution("Male", "GUNOWN_W1"));
        Near([0.8, 0.2], dataset.GetDistribution("Male", "FUTURE_W1"));
        // Democrat = 1, 4, 6 (0.5, 1.0, 0.25); respondent 5 has no party and is in no POLPARTY group
        Near([2.0 / 7, 1.0 / 7, 4.0 / 7], dataset.GetDistribution("Democrat", "WORRY_W1"));
        Near([6.0 / 7, 1.0 / 7], dataset.GetDistribution("Democrat", "FUTURE_W1"));
        Near([3.0 / 7, 0, 4.0 / 7], dataset.GetDistribution("Republican", "GUNOWN_W1"));
        Near([0, 1], dataset.GetDistribution("Republican", "FUTURE_W1"));
    }

    [Fact]
    public void Responses_with_an_unknown_answer_or_bad_weight_name_line_and_field()
    {
        var folder = Directory.CreateTempSubdirectory("gpo-responses-").FullName;
        try
        {
            File.Copy(TestData.DataFixture("opinionqa_responses", "info.csv"), Path.Combine(folder, "info.csv"));
            File.WriteAllText(Path.Combine(folder, "responses.csv"),
                "QKEY,WORRY_W1,SEX,WEIGHT_W1\n1,Worry a lot,Female,1.0\n2,Worry sometimes,Male,1.0\n");
            var e = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(folder));
            Assert.Equal(("responses.csv", 3, "WORRY_W1"), (e.File, e.Line, e.Field));
            File.WriteAllText(Path.Combine(folder, "responses.csv"), "QKEY,WORRY_W1,SEX,WEIGHT_W1\n1,Worry a lot,Female,-1\n");
            e = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(folder));
            Assert.Equal(("responses.csv", 2, "WEIGHT_W1"), (e.File, e.Line, e.Field));
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void Group_names_are_qualified_only_when_two_attributes_share_them()
    {
        var names = GroupNaming.Build([("RACE", "Other"), ("POLPARTY", "Other"), ("RACE", "Asian"), ("POLPARTY", "Democrat")]);
        Assert.Equal("RACE:Other", names[("RACE", "Other")]);
        Assert.Equal("POLPARTY:Other", names[("POLPARTY", "Other")]);
        Assert.Equal("Asian", names[("RACE", "Asian")]);
    }
}
