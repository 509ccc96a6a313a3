using Gpo.Data;

namespace Gpo.Tests;

public class GroupSplitTests
{
    private static readonly IReadOnlyList<string> TwentyTwo = Enumerable.Range(0, 22).Select(i => $"g{i:00}").ToList();

    [Theory]
    [InlineData(22, 0.4, 8, 1)]
    [InlineData(22, 0.6, 13, 2)]
    [InlineData(22, 0.8, 17, 2)]
    [InlineData(14, 0.4, 5, 1)]
    [InlineData(14, 0.6, 8, 1)]
    [InlineData(14, 0.8, 11, 2)]
    public void Fractions_give_the_paper_counts_with_validation_carved_from_meta_train(int groupCount, double fraction, int trainSide, int validation)
    {
        var groups = Enumerable.Range(0, groupCount).Select(i => $"g{i:00}").ToList();
        var split = GroupSplit.ByFraction(groups, fraction, seed: 1);
        Assert.Equal(trainSide, split.MetaTrain.Count + split.Validation.Count);
        Assert.Equal(validation, split.Validation.Count);
        Assert.Equal(groupCount - trainSide, split.MetaTest.Count);
        var all = split.MetaTrain.Concat(split.Validation).Concat(split.MetaTest).ToList();
        Assert.Equal(groupCount, all.Distinct().Count());
        Assert.Equal(groups.Order(), all.Order());
    }

    [Theory]
    [InlineData(14, 0.4, 1)]
    [InlineData(14, 0.6, 1)]
    [InlineData(22, 0.6, 2)]
    public void Selection_groups_come_from_the_meta_train_side_and_leave_the_validation_groups_as_they_were(int groupCount, double fraction, int selection)
    {
        var groups = Enumerable.Range(0, groupCount).Select(i => $"g{i:00}").ToList();
        var plain = GroupSplit.ByFraction(groups, fraction, seed: 5);
        var nested = GroupSplit.ByFraction(groups, fraction, seed: 5, selectionCount: selection);
        Assert.Empty(plain.Selection);
        Assert.Equal(plain.Validation, nested.Validation);
        Assert.Equal(plain.MetaTest, nested.MetaTest);
        // The last meta-train groups of the plain split become the selection groups; the training side is the same groups.
        Assert.Equal(plain.MetaTrain.Skip(plain.MetaTrain.Count - selection), nested.Selection);
        Assert.Equal(plain.MetaTrain.Take(plain.MetaTrain.Count - selection), nested.MetaTrain);
        Assert.Equal(plain.TrainingSide.Order(), nested.TrainingSide.Order());
        Assert.Equal($"{plain.Name}-select-{selection}", nested.Name);
        var none = GroupSplit.ByFraction(groups, fraction, seed: 5, selectionCount: 0);
        Assert.Equal(plain.Name, none.Name);
        Assert.Equal(plain.MetaTrain, none.MetaTrain);
        Assert.Equal(plain.Validation, none.Validation);
        Assert.Equal(plain.MetaTest, none.MetaTest);
        Assert.Empty(none.Selection);
    }

    [Fact]
    public void Selection_groups_need_validation_groups_and_a_meta_train_group_left()
    {
        Assert.Throws<ArgumentException>(() => GroupSplit.ByFraction(TwentyTwo, 0.6, 3, validationCount: 0, selectionCount: 1));
        // 0.4 of 14 is 5 training-side groups: 1 validation + 4 selection would leave none to train.
        var fourteen = TwentyTwo.Take(14).ToList();
        var error = Assert.Throws<ArgumentException>(() => GroupSplit.ByFraction(fourteen, 0.4, 3, selectionCount: 4));
        Assert.Contains("1 validation and 4 selection groups would leave no meta-train group of 5", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, GroupSplit.ByFraction(fourteen, 0.4, 3, selectionCount: 1).MetaTrain.Count);
        Assert.Throws<ArgumentException>(() => GroupSplit.ByFraction(fourteen, 0.4, 3, selectionCount: -1));
    }

    [Fact]
    public void Splits_are_deterministic_by_seed_and_differ_across_seeds()
    {
        var a = GroupSplit.ByFraction(TwentyTwo, 0.6, seed: 3);
        var b = GroupSplit.ByFraction(TwentyTwo, 0.6, seed: 3);
        var c = GroupSplit.ByFraction(TwentyTwo, 0.6, seed: 4);
        Assert.Equal(a.MetaTrain, b.MetaTrain);
        Assert.Equal(a.Validation, b.Validation);
        Assert.NotEqual(a.MetaTrain, c.MetaTrain);
        Assert.Empty(GroupSplit.ByFraction(TwentyTwo, 0.6, 3, validationCount: 0).Validation);
        Assert.Throws<ArgumentException>(() => GroupSplit.ByFraction(TwentyTwo, 0.4, 3, validationCount: 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => GroupSplit.ByFraction(TwentyTwo, 1.0, 3));
    }

    [Fact]
    public void Seeded_shuffle_is_pinned()
    {
        // pins the generator contract: System.Random(seed) is .NET's legacy seeded algorithm; if a runtime changed it, this fails
        var random = new Random(42);
        Assert.Equal(1434747710, random.Next());
        Assert.Equal(SeededRandom.DeriveSeed(0, "split"), SeededRandom.DeriveSeed(0, "split"));
        Assert.NotEqual(SeededRandom.DeriveSeed(0, "split"), SeededRandom.DeriveSeed(1, "split"));
        Assert.NotEqual(SeededRandom.DeriveSeed(0, "split"), SeededRandom.DeriveSeed(0, "context"));
    }

    [Theory]
    [InlineData(0.4, 5)]
    [InlineData(0.6, 8)]
    [InlineData(0.8, 11)]
    public void Gpo_seed0_country_lists(double fraction, int trainSide)
    {
        var split = GroupSplit.Named(GroupSplit.GpoSeed0, fraction, GlobalOpinionQa.GpoCountries);
        var trainSideGroups = split.MetaTrain.Concat(split.Validation).ToHashSet();
        Assert.Equal(trainSide, trainSideGroups.Count);
        Assert.Contains("Nigeria", split.MetaTest);
        Assert.Contains("United States", trainSideGroups);
        Assert.Contains("India (Current national sample)", trainSideGroups);
        if (fraction >= 0.6) Assert.Contains("Egypt", trainSideGroups);
        if (fraction >= 0.8) Assert.Contains("China", trainSideGroups);
        if (fraction < 0.8) Assert.Contains("China", split.MetaTest);
        Assert.Equal(14 - trainSide, split.MetaTest.Count);
        Assert.Throws<ArgumentException>(() => GroupSplit.Named(GroupSplit.GpoSeed0, 0.5, GlobalOpinionQa.GpoCountries));
        Assert.Throws<ArgumentException>(() => GroupSplit.Named(GroupSplit.GpoSeed0, 0.4, ["Nigeria", "Japan"]));
    }

    [Fact]
    public void Shared_context_is_the_same_for_every_group_and_disjoint_from_queries()
    {
        var dataset = SyntheticBenchmark.Generate(new SyntheticSettings { Groups = 4, Questions = 50 });
        var draws = ContextDraw.Shared(dataset, dataset.Groups, 10, seed: 2);
        Assert.All(draws, d => Assert.Equal(draws[0].ContextQuestionIds, d.ContextQuestionIds));
        Assert.All(draws, d =>
        {
            Assert.Equal(10, d.ContextQuestionIds.Distinct().Count());
            Assert.Equal(40, d.QueryQuestionIds.Count);
            Assert.Empty(d.ContextQuestionIds.Intersect(d.QueryQuestionIds));
        });
        Assert.Equal(draws[0].ContextQuestionIds, ContextDraw.Shared(dataset, dataset.Groups, 10, seed: 2)[0].ContextQuestionIds);
        Assert.NotEqual(draws[0].ContextQuestionIds, ContextDraw.Shared(dataset, dataset.Groups, 10, seed: 3)[0].ContextQuestionIds);
        Assert.Throws<ArgumentException>(() => ContextDraw.Shared(dataset, dataset.Groups, 50, seed: 2));
    }

    [Fact]
    public void Per_group_context_does_not_change_when_groups_are_added()
    {
        var dataset = SyntheticBenchmark.Generate(new SyntheticSettings { Groups = 4, Questions = 50 });
        var two = ContextDraw.PerGroup(dataset, ["group-00", "group-01"], 10, seed: 5);
        var four = ContextDraw.PerGroup(dataset, dataset.Groups, 10, seed: 5);
        Assert.Equal(two[1].ContextQuestionIds, four[1].ContextQuestionIds);
        Assert.NotEqual(four[0].ContextQuestionIds, four[1].ContextQuestionIds);
        Assert.Equal(40, four[2].QueryQuestionIds.Count);
    }

    [Fact]
    public void Sparse_groups_share_context_only_from_common_questions()
    {
        var dataset = GlobalOpinionQa.LoadUnion(TestData.DataFixture("globalopinionqa_union"));
        // Japan has 3 questions, Spain 1 (shared with Japan): no common question is left for a query
        Assert.Throws<ArgumentException>(() => ContextDraw.Shared(dataset, ["Japan", "Spain"], 1, seed: 0));
        var japan = ContextDraw.PerGroup(dataset, ["Japan"], 1, seed: 0).Single();
        Assert.Equal(2, japan.QueryQuestionIds.Count);
    }

    [Fact]
    public void Groups_share_questions_when_their_common_questions_cover_nine_tenths_of_the_smallest()
    {
        var dataset = SyntheticBenchmark.Generate(new SyntheticSettings { Groups = 3, Questions = 20, Dimension = 2 });
        Assert.True(ContextDraw.SharesQuestions(dataset, dataset.Groups));
        Assert.Equal(20, ContextDraw.CommonQuestions(dataset, dataset.Groups).Count);

        // Drop 2 of group-01's questions: 18 common ≥ 0.9 × 18 → still shared; drop 3 of group-02's too: 15 < 0.9 × 17 → per group.
        var ids = dataset.Questions.Select(q => q.Id).ToList();
        var nearly = Without(dataset, ("group-01", ids.Take(2)));
        Assert.True(ContextDraw.SharesQuestions(nearly, nearly.Groups));
        var draw = ContextDraw.For(nearly, nearly.Groups, 5, seed: 1);
        Assert.Single(draw.Select(d => string.Join(",", d.ContextQuestionIds)).Distinct());
        var apart = Without(nearly, ("group-02", ids.Skip(2).Take(3)));
        Assert.False(ContextDraw.SharesQuestions(apart, apart.Groups));
        Assert.Equal(3, ContextDraw.For(apart, apart.Groups, 5, seed: 1).Select(d => string.Join(",", d.ContextQuestionIds)).Distinct().Count());
    }

    private static PreferenceDataset Without(PreferenceDataset dataset, (string Group, IEnumerable<string> QuestionIds) drop)
    {
        var dropped = drop.QuestionIds.ToHashSet();
        var distributions = new Dictionary<(int, int), double[]>();
        for (var g = 0; g < dataset.Groups.Count; g++)
            for (var q = 0; q < dataset.Questions.Count; q++)
                if (dataset.TryGetDistribution(g, q, out var p) && !(dataset.Groups[g] == drop.Group && dropped.Contains(dataset.Questions[q].Id)))
                    distributions[(g, q)] = [.. p];
        return new PreferenceDataset(dataset.Name, dataset.Groups, dataset.Questions, distributions, dataset.Issues, dataset.Provenance, dataset.Features);
    }
}
