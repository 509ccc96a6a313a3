using Gpo.Data;
using Gpo.Evaluation;
using Xunit.Abstractions;

namespace Gpo.Tests;

/// <summary>
/// Checks of the loaders and metrics on the real data (env GPO_DATA; skipped without it): preset sizes, and the
/// baselines of gpo.md §6 — uniform ≈ 0.82 (alignment_w1) and the population prior ≈ 0.94 on opinionqa-500,
/// the prior ≈ 0.82 (alignment_js) on globalqa-14.
/// </summary>
public class RealDataTests(ITestOutputHelper output)
{
    private static PreferenceDataset Preset(string name)
    {
        Skip.If(TestData.RealDataRoot is null, TestData.NoRealData);
        return DatasetLoader.LoadPreset(name, TestData.RealDataRoot);
    }

    /// <summary>Uniform and population-prior (mean of the other groups on the same question) predictions for every pair.</summary>
    private static (List<Prediction> Uniform, List<Prediction> Prior) Baselines(PreferenceDataset dataset)
    {
        var uniform = new List<Prediction>();
        var prior = new List<Prediction>();
        for (int g = 0; g < dataset.Groups.Count; g++)
            foreach (int q in dataset.QuestionIndicesOf(g))
            {
                var question = dataset.Questions[q];
                dataset.TryGetDistribution(g, q, out var target);
                var mean = new double[question.OptionCount];
                int others = 0;
                for (int h = 0; h < dataset.Groups.Count; h++)
                {
                    if (h == g || !dataset.TryGetDistribution(h, q, out var p)) continue;
                    for (int o = 0; o < mean.Length; o++) mean[o] += p[o];
                    others++;
                }
                uniform.Add(new Prediction(dataset.Groups[g], question, Enumerable.Repeat(1.0, question.OptionCount).ToArray(), target));
                if (others > 0) prior.Add(new Prediction(dataset.Groups[g], question, mean, target)); // renormalised by the metric
            }
        return (uniform, prior);
    }

    [SkippableFact]
    public void Opinionqa_500_has_494_questions_for_9_groups_and_the_paper_baselines()
    {
        var dataset = Preset(DatasetLoader.OpinionQa500);
        Assert.Equal(DatasetLoader.OpinionQa500Groups, dataset.Groups);
        Assert.Equal(494, dataset.Questions.Count);
        Assert.All(dataset.Questions, q => Assert.NotNull(q.Ordinals));
        Assert.Equal(493, dataset.QuestionIdsOf("Democrat").Count); // GOPDIRCT_W29 was asked of Republicans only
        Assert.Equal(492, dataset.QuestionIdsOf("Male").Count);     // FEM2_W29, SEENFEM_W29 of women only
        var (uniform, prior) = Baselines(dataset);
        var u = MetricSummary.Of(AlignmentMetrics.AlignmentW1, uniform, bootstrapSamples: 200);
        var p = MetricSummary.Of(AlignmentMetrics.AlignmentW1, prior, bootstrapSamples: 200);
        output.WriteLine($"opinionqa-500 alignment_w1: uniform {u.Mean:F4} [{u.CiLow:F4}, {u.CiHigh:F4}], prior {p.Mean:F4} [{p.CiLow:F4}, {p.CiHigh:F4}] worst {p.Worst.Group} {p.Worst.Mean:F4}; skipped {u.Skipped}");
        Assert.InRange(u.Mean, 0.805, 0.835);
        Assert.InRange(p.Mean, 0.925, 0.955);
        Assert.Equal(8 * 9, u.Skipped); // 8 questions whose ordinals are all equal (W_max = 0: IMPREASONGUN_W26, ...) × 9 groups
    }

    [SkippableFact]
    public void Globalqa_14_union_sizes_and_the_prior_baseline()
    {
        var dataset = Preset(DatasetLoader.GlobalQa14);
        Assert.Equal(GlobalOpinionQa.GpoCountries, dataset.Groups);
        var counts = dataset.Groups.ToDictionary(g => g, g => dataset.QuestionIdsOf(g).Count);
        output.WriteLine(string.Join(", ", counts.Select(kv => $"{kv.Key} {kv.Value}")));
        Assert.Equal(36, counts["New Zealand"]);
        Assert.Equal(279, counts["Germany"]);
        var (uniform, prior) = Baselines(dataset);
        var u = MetricSummary.Of(AlignmentMetrics.AlignmentJs, uniform, bootstrapSamples: 200);
        var p = MetricSummary.Of(AlignmentMetrics.AlignmentJs, prior, bootstrapSamples: 200);
        output.WriteLine($"globalqa-14 alignment_js: {dataset.Questions.Count} questions, {dataset.PairCount} pairs; uniform {u.Mean:F4}, prior {p.Mean:F4} [{p.CiLow:F4}, {p.CiHigh:F4}] over {p.Pairs} pairs");
        Assert.InRange(p.Mean, 0.805, 0.835);
    }

    [SkippableFact]
    public void Opinionqa_22_has_gpo_groups_and_only_clean_questions_with_ordinals()
    {
        var dataset = Preset(DatasetLoader.OpinionQa22);
        Assert.Equal(OpinionQa.GpoGroups, dataset.Groups);
        Assert.All(dataset.Groups, g => Assert.InRange(dataset.QuestionIdsOf(g).Count, 150, 230));
        output.WriteLine($"opinionqa-22: {dataset.Questions.Count} questions, {dataset.PairCount} pairs; " +
            string.Join(", ", dataset.Groups.Select(g => $"{g} {dataset.QuestionIdsOf(g).Count}")));
        // every kept question joined to info.csv (qkey + ordinals); the ones with mangled options were dropped
        Assert.All(dataset.Questions, q => Assert.NotNull(q.Ordinals));
        Assert.DoesNotContain(dataset.Questions, q => q.Options.Any(o => o.StartsWith('\'') || o.StartsWith('"') || o == "Importan"));
        Assert.Contains(dataset.Issues, i => i.Message.Contains("mangled", StringComparison.Ordinal));
        var (uniform, prior) = Baselines(dataset);
        var u = MetricSummary.Of(AlignmentMetrics.AlignmentW1, uniform, bootstrapSamples: 0);
        var p = MetricSummary.Of(AlignmentMetrics.AlignmentW1, prior, bootstrapSamples: 0);
        output.WriteLine($"opinionqa-22 alignment_w1: uniform {u.Mean:F4}, prior {p.Mean:F4} (worst {p.Worst.Group} {p.Worst.Mean:F4})");
        Assert.True(p.Mean > u.Mean);
    }

    [SkippableFact]
    public void Gpo_weighted_distributions_load_from_mytrain_csv()
    {
        Skip.If(TestData.RealDataRoot is null, TestData.NoRealData);
        var dataset = DatasetLoader.Load(Path.Combine(TestData.RealDataRoot!, "opinionqa", "gpo_distributions_partial", "mytrain_data.csv"));
        Assert.Equal(["Overall", "Democrat", "Republican", "$100,000 or more", "Less than $30,000"], dataset.Groups);
        Assert.Equal(494, dataset.Questions.Count);
        var p = dataset.GetDistribution("Overall", "WORRYB_W26");
        Assert.Equal(0.15446245 / (0.15446245 + 0.42587239 + 0.41966516), p[0], 12);
        Assert.Equal([1.0, 2.0, 3.0], dataset.GetQuestion("WORRYB_W26").Ordinals);
    }
}
