using Gpo.Evaluation;
using Gpo.Training;

namespace Gpo.Tests;

public class MetaTaskSamplerTests
{
    private static IReadOnlyList<EpisodeQuestion> Questions(string prefix, int count) =>
        Enumerable.Range(0, count).Select(i => new EpisodeQuestion($"{prefix}{i}", [[0f], [1f]], [0.5, 0.5])).ToArray();

    [Fact]
    public void Dense_data_shares_one_permutation_and_respects_the_bounds()
    {
        var groups = new List<(string, IReadOnlyList<EpisodeQuestion>)> { ("a", Questions("q", 300)), ("b", Questions("q", 300)) };
        var sampler = new MetaTaskSampler(groups, new QuestionDrawBounds());
        Assert.True(sampler.SharesQuestions);
        var random = new Random(1);
        var contextSizes = new HashSet<int>();
        for (var step = 0; step < 300; step++)
        {
            var tasks = sampler.Draw(random);
            Assert.Equal(["a", "b"], tasks.Select(t => t.Group));
            Assert.Equal(tasks[0].Context.Select(q => q.QuestionId), tasks[1].Context.Select(q => q.QuestionId));
            Assert.Equal(tasks[0].Targets.Select(q => q.QuestionId), tasks[1].Targets.Select(q => q.QuestionId));
            Assert.InRange(tasks[0].Context.Count, 10, 100);
            Assert.InRange(tasks[0].Targets.Count, 10, 100);
            Assert.Empty(tasks[0].Context.Select(q => q.QuestionId).Intersect(tasks[0].Targets.Select(q => q.QuestionId)));
            contextSizes.Add(tasks[0].Context.Count);
        }
        Assert.Contains(10, contextSizes);
        Assert.Contains(100, contextSizes);
    }

    [Fact]
    public void Nearly_dense_data_shares_one_permutation_of_the_common_questions()
    {
        // Like opinionqa-500: one group lacks a couple of questions (asked of one party only).
        var all = Questions("q", 100);
        var groups = new List<(string, IReadOnlyList<EpisodeQuestion>)> { ("a", all), ("b", all.Where(q => q.QuestionId is not ("q3" or "q50")).ToArray()) };
        var sampler = new MetaTaskSampler(groups, new QuestionDrawBounds());
        Assert.True(sampler.SharesQuestions);
        var random = new Random(4);
        for (var step = 0; step < 100; step++)
        {
            var tasks = sampler.Draw(random);
            Assert.Equal(tasks[0].Context.Select(q => q.QuestionId), tasks[1].Context.Select(q => q.QuestionId));
            Assert.Equal(tasks[0].Targets.Select(q => q.QuestionId), tasks[1].Targets.Select(q => q.QuestionId));
            Assert.DoesNotContain(tasks[0].Context.Concat(tasks[0].Targets), q => q.QuestionId is "q3" or "q50");
        }
    }

    [Fact]
    public void Sparse_data_draws_per_group_and_clips_small_groups()
    {
        var groups = new List<(string, IReadOnlyList<EpisodeQuestion>)> { ("big", Questions("x", 250)), ("small", Questions("y", 12)) };
        var sampler = new MetaTaskSampler(groups, new QuestionDrawBounds());
        Assert.False(sampler.SharesQuestions);
        var random = new Random(2);
        for (var step = 0; step < 200; step++)
        {
            var small = sampler.Draw(random)[1];
            Assert.InRange(small.Context.Count, 1, 6);
            Assert.InRange(small.Targets.Count, 1, 12 - small.Context.Count);
            Assert.Empty(small.Context.Intersect(small.Targets));
        }
    }

    [Fact]
    public void Bounds_scale_down_to_small_datasets()
    {
        var fitted = new QuestionDrawBounds().FitTo(30);
        Assert.Equal(new QuestionDrawBounds(10, 15, 10, 20), fitted);
        Assert.Equal(new QuestionDrawBounds(1, 1, 1, 1), new QuestionDrawBounds().FitTo(2));
    }

    [Fact]
    public void Same_seed_gives_the_same_draws()
    {
        var groups = new List<(string, IReadOnlyList<EpisodeQuestion>)> { ("a", Questions("q", 80)), ("b", Questions("r", 60)) };
        var sampler = new MetaTaskSampler(groups, new QuestionDrawBounds());
        string Trace(int seed)
        {
            var random = new Random(seed);
            return string.Join("|", Enumerable.Range(0, 20).SelectMany(_ => sampler.Draw(random)).Select(t => string.Join(",", t.Context.Concat(t.Targets).Select(q => q.QuestionId))));
        }
        Assert.Equal(Trace(5), Trace(5));
        Assert.NotEqual(Trace(5), Trace(6));
    }
}
