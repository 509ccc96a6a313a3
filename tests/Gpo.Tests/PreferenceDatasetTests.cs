using Gpo.Data;

namespace Gpo.Tests;

public class PreferenceDatasetTests
{
    [Fact]
    public void Subset_keeps_group_order_drops_questions_no_kept_group_has_and_restricts_features()
    {
        var union = GlobalOpinionQa.LoadUnion(TestData.DataFixture("globalopinionqa_union"));
        var sub = union.Subset(["Egypt", "Spain"]);
        Assert.Equal(["Egypt", "Spain"], sub.Groups);
        var saddam = Assert.Single(sub.Questions);
        Assert.Equal(union.GetDistribution("Egypt", saddam.Id), sub.GetDistribution("Egypt", saddam.Id));
        Assert.Equal(union.Issues.Count, sub.Issues.Count);

        var synthetic = SyntheticBenchmark.Generate(new SyntheticSettings { Groups = 3, Questions = 10 });
        var some = synthetic.Subset(["group-02"], ["syn-q003", "syn-q007"]);
        Assert.Equal(["syn-q003", "syn-q007"], some.Questions.Select(q => q.Id));
        Assert.Equal(2, some.Features!.QuestionIds.Count());
        Assert.Equal(synthetic.Features!.ForQuestion("syn-q007").ToArray(), some.Features.ForQuestion("syn-q007").ToArray());
        Assert.Throws<KeyNotFoundException>(() => synthetic.Subset(["nobody"]));
    }

    [Fact]
    public void Sparse_access_answers_and_indices()
    {
        var union = GlobalOpinionQa.LoadUnion(TestData.DataFixture("globalopinionqa_union"));
        Assert.False(union.IsDense);
        Assert.Equal(3, union.AnswersOf("Japan").Count);
        Assert.Single(union.AnswersOf("Spain"));
        var china = union.Questions.Single(q => q.Text.Contains("China", StringComparison.Ordinal));
        Assert.False(union.TryGetDistribution("Spain", china.Id, out _));
        Assert.True(union.TryGetDistribution(union.GroupIndex("Japan"), union.QuestionIndex(china.Id), out var p));
        Assert.Equal([0.45, 0.47, 0.08], p);
        Assert.Equal(union.QuestionIndicesOf(union.GroupIndex("Japan")).Count, union.QuestionIdsOf("Japan").Count);
    }

    [Fact]
    public void Construction_rejects_inconsistent_data()
    {
        var q = new Question("q", "Q?", ["a", "b"]);
        var provenance = new DatasetProvenance("test", [], "");
        Assert.Throws<ArgumentException>(() => new PreferenceDataset("x", ["A", "A"], [q], new Dictionary<(int, int), double[]>(), [], provenance));
        Assert.Throws<ArgumentException>(() => new PreferenceDataset("x", ["A"], [q], new Dictionary<(int, int), double[]> { [(0, 0)] = [1.0] }, [], provenance));
        Assert.Throws<ArgumentException>(() => new Question("q", "Q?", ["a", "b"], [1.0]));
        var features = new OptionFeatureTable(3, new Dictionary<string, float[]> { ["q"] = new float[9] });
        Assert.Throws<ArgumentException>(() => new PreferenceDataset("x", ["A"], [q], new Dictionary<(int, int), double[]> { [(0, 0)] = [0.5, 0.5] }, [], provenance, features));
        Assert.Throws<ArgumentException>(() => new OptionFeatureTable(4, new Dictionary<string, float[]> { ["q"] = new float[6] }));
    }

    [Fact]
    public void Provenance_version_is_a_digest_of_the_input_bytes()
    {
        var a = DatasetLoader.Load(TestData.DataFixture("global_opinions_sample.csv")).Provenance;
        var folder = Directory.CreateTempSubdirectory("gpo-provenance-").FullName;
        try
        {
            var copy = Path.Combine(folder, "global_opinions_sample.csv");
            File.Copy(TestData.DataFixture("global_opinions_sample.csv"), copy);
            Assert.Equal(a.Version, DatasetLoader.Load(copy).Provenance.Version);
            File.AppendAllText(copy, "Extra question?,\"defaultdict(<class 'list'>, {'Japan': [0.5, 0.5]})\",\"['Yes', 'No']\",GAS\n");
            Assert.NotEqual(a.Version, DatasetLoader.Load(copy).Provenance.Version);
        }
        finally { Directory.Delete(folder, recursive: true); }
        Assert.Equal(["global_opinions_sample.csv"], a.SourceFiles);
        Assert.Equal(GlobalOpinionQa.CsvFormat, a.Format);
    }
}
