using Gpo.Data;
using Gpo.Evaluation;

namespace Gpo.Tests;

public class SyntheticBenchmarkTests
{
    [Fact]
    public void Same_seed_same_data_other_seed_other_data()
    {
        var a = SyntheticBenchmark.Generate(new SyntheticSettings { Seed = 7, Groups = 5, Questions = 30 });
        var b = SyntheticBenchmark.Generate(new SyntheticSettings { Seed = 7, Groups = 5, Questions = 30 });
        var c = SyntheticBenchmark.Generate(new SyntheticSettings { Seed = 8, Groups = 5, Questions = 30 });
        Assert.Equal(a.Provenance.Version, b.Provenance.Version);
        Assert.NotEqual(a.Provenance.Version, c.Provenance.Version);
        foreach (var q in a.Questions)
        {
            Assert.Equal(a.Features!.ForQuestion(q.Id).ToArray(), b.Features!.ForQuestion(q.Id).ToArray());
            Assert.Equal(a.GetDistribution("group-03", q.Id), b.GetDistribution("group-03", q.Id));
        }
        Assert.NotEqual(a.GetDistribution("group-03", "syn-q000"), c.GetDistribution("group-03", "syn-q000"));
    }

    [Fact]
    public void Shapes_ordinals_and_features_are_consistent()
    {
        var settings = new SyntheticSettings { Dimension = 16, MinOptions = 2, MaxOptions = 6 };
        var dataset = SyntheticBenchmark.Generate(settings);
        Assert.Equal(settings.Groups, dataset.Groups.Count);
        Assert.Equal(settings.Questions, dataset.Questions.Count);
        Assert.True(dataset.IsDense);
        Assert.Equal(16, dataset.Features!.Dimension);
        foreach (var q in dataset.Questions)
        {
            Assert.InRange(q.OptionCount, 2, 6);
            Assert.Equal(Enumerable.Range(1, q.OptionCount).Select(o => (double)o), q.Ordinals!);
            Assert.Equal(q.OptionCount * 16, dataset.Features.ForQuestion(q.Id).Length);
            Assert.Equal(16, dataset.Features.ForOption(q.Id, q.OptionCount - 1).Length);
            Assert.Equal(1.0, dataset.GetDistribution("group-00", q.Id).Sum(), 12);
        }
        Assert.Equal(Enumerable.Range(2, 5), dataset.Questions.Select(q => q.OptionCount).Distinct().Order());
    }

    [Fact]
    public void Adding_groups_keeps_questions_and_features()
    {
        var small = SyntheticBenchmark.Generate(new SyntheticSettings { Groups = 3 });
        var large = SyntheticBenchmark.Generate(new SyntheticSettings { Groups = 6 });
        Assert.Equal(small.Features!.ForQuestion("syn-q010").ToArray(), large.Features!.ForQuestion("syn-q010").ToArray());
    }

    /// <summary>
    /// The benchmark must reward few-shot adaptation: a ridge regression of the centred log-shares on the centred
    /// option features, fitted on k = 20 context questions of one group, must beat the population prior
    /// (mean of the other groups) on that group's other questions; the prior must be clearly imperfect, yet
    /// better than uniform (the population term carries signal too).
    /// </summary>
    [Fact]
    public void Few_shot_learner_beats_population_prior_which_is_imperfect()
    {
        var dataset = SyntheticBenchmark.Generate();
        int d = dataset.Features!.Dimension;
        double fewShotTotal = 0, priorTotal = 0, uniformTotal = 0;
        int testGroups = 5;
        for (int t = 0; t < testGroups; t++)
        {
            var group = dataset.Groups[t];
            var others = dataset.Groups.Where(g => g != group).ToList();
            var split = ContextDraw.PerGroup(dataset, [group], 20, seed: t).Single();
            // normal equations (XᵀX + λI) w = Xᵀy on per-question-centred features and log-shares
            var xtx = new double[d, d];
            var xty = new double[d];
            foreach (var id in split.ContextQuestionIds)
            {
                var (x, y) = Centred(dataset, group, id);
                for (int o = 0; o < y.Length; o++)
                    for (int i = 0; i < d; i++)
                    {
                        xty[i] += x[o][i] * y[o];
                        for (int j = 0; j < d; j++) xtx[i, j] += x[o][i] * x[o][j];
                    }
            }
            for (int i = 0; i < d; i++) xtx[i, i] += 1e-2;
            var w = Solve(xtx, xty);
            var fewShot = new List<Prediction>();
            var prior = new List<Prediction>();
            var uniform = new List<Prediction>();
            foreach (var id in split.QueryQuestionIds)
            {
                var question = dataset.GetQuestion(id);
                var target = dataset.GetDistribution(group, id);
                var (x, _) = Centred(dataset, group, id);
                var scores = x.Select(row => row.Zip(w, (a, b) => a * b).Sum()).ToArray();
                double max = scores.Max();
                var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
                fewShot.Add(new Prediction(group, question, exp.Select(e => e / exp.Sum()).ToArray(), target));
                var mean = new double[question.OptionCount];
                foreach (var other in others)
                {
                    var p = dataset.GetDistribution(other, id);
                    for (int o = 0; o < mean.Length; o++) mean[o] += p[o] / others.Count;
                }
                prior.Add(new Prediction(group, question, mean, target));
                uniform.Add(new Prediction(group, question, Enumerable.Repeat(1.0, question.OptionCount).ToArray(), target));
            }
            fewShotTotal += MetricSummary.Of(AlignmentMetrics.AlignmentJs, fewShot, bootstrapSamples: 0).Mean;
            priorTotal += MetricSummary.Of(AlignmentMetrics.AlignmentJs, prior, bootstrapSamples: 0).Mean;
            uniformTotal += MetricSummary.Of(AlignmentMetrics.AlignmentJs, uniform, bootstrapSamples: 0).Mean;
        }
        double fewShotMean = fewShotTotal / testGroups, priorMean = priorTotal / testGroups, uniformMean = uniformTotal / testGroups;
        Assert.True(priorMean > uniformMean + 0.05, $"population prior {priorMean:F3} vs uniform {uniformMean:F3}");
        Assert.True(priorMean < 0.9, $"population prior {priorMean:F3} captures the groups too well");
        Assert.True(fewShotMean > priorMean + 0.05, $"few-shot {fewShotMean:F3} vs prior {priorMean:F3}");
    }

    private static (double[][] X, double[] Y) Centred(PreferenceDataset dataset, string group, string questionId)
    {
        var rows = dataset.Features!.ForQuestion(questionId).ToArray();
        int d = dataset.Features.Dimension;
        var p = dataset.GetDistribution(group, questionId);
        int k = p.Count;
        var x = new double[k][];
        for (int o = 0; o < k; o++) x[o] = Enumerable.Range(0, d).Select(j => (double)rows[o * d + j]).ToArray();
        var meanX = Enumerable.Range(0, d).Select(j => x.Average(r => r[j])).ToArray();
        foreach (var r in x) for (int j = 0; j < d; j++) r[j] -= meanX[j];
        var logs = p.Select(v => Math.Log(v)).ToArray();
        double meanLog = logs.Average();
        return (x, logs.Select(l => l - meanLog).ToArray());
    }

    private static double[] Solve(double[,] a, double[] b)
    {
        int n = b.Length;
        var m = (double[,])a.Clone();
        var x = (double[])b.Clone();
        for (int col = 0; col < n; col++)
        {
            int pivot = Enumerable.Range(col, n - col).MaxBy(r => Math.Abs(m[r, col]));
            for (int j = 0; j < n; j++) (m[col, j], m[pivot, j]) = (m[pivot, j], m[col, j]);
            (x[col], x[pivot]) = (x[pivot], x[col]);
            for (int r = col + 1; r < n; r++)
            {
                double f = m[r, col] / m[col, col];
                for (int j = col; j < n; j++) m[r, j] -= f * m[col, j];
                x[r] -= f * x[col];
            }
        }
        for (int r = n - 1; r >= 0; r--)
        {
            for (int j = r + 1; j < n; j++) x[r] -= m[r, j] * x[j];
            x[r] /= m[r, r];
        }
        return x;
    }
}
