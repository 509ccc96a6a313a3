using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Gpo.Data;

/// <summary>Settings of <see cref="SyntheticBenchmark"/>; the defaults are the demo/fast-test dataset.</summary>
public sealed record SyntheticSettings
{
    public int Groups { get; init; } = 20;
    public int Questions { get; init; } = 200;
    /// <summary>d_x, the width of the option feature vectors.</summary>
    public int Dimension { get; init; } = 32;
    /// <summary>r, the number of latent preference factors per group.</summary>
    public int Rank { get; init; } = 4;
    public int MinOptions { get; init; } = 3;
    public int MaxOptions { get; init; } = 5;
    /// <summary>Weight of the population term w0·x shared by all groups.</summary>
    public double PopulationScale { get; init; } = 2.0;
    /// <summary>Weight of the group term z_gᵀA x.</summary>
    public double GroupScale { get; init; } = 0.7;
    /// <summary>Standard deviation of the per-(group, question, option) score noise.</summary>
    public double Noise { get; init; } = 0.3;
    public int Seed { get; init; }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"groups={Groups} questions={Questions} dim={Dimension} rank={Rank} options={MinOptions}..{MaxOptions} population={PopulationScale} group={GroupScale} noise={Noise} seed={Seed}");
}

/// <summary>
/// A synthetic GPO benchmark, deterministic by seed, that needs no text encoder: every option has its own
/// feature vector x (so <see cref="PreferenceDataset.Features"/> is set), and groups differ by latent factors
/// that a few-shot learner can identify from k examples but a population average cannot capture.
///
/// Algorithm (all draws N(0,1) unless said; D = dimension, r = rank; each part has its own random stream):
/// 1. shared: population direction w0 ∈ R^D and group projection A ∈ R^{r×D}, entries N(0,1)/√D;
/// 2. question q: K_q ~ U{MinOptions..MaxOptions}; centre c_q ∈ R^D (×0.5) and scale direction d_q ∈ R^D;
///    option o (ordinal o+1, position u_o = 2o/(K_q−1) − 1): x_{q,o} = c_q + u_o·d_q + 0.5·ε_{q,o};
/// 3. group g: latent factors z_g ∈ R^r;
/// 4. score s_{g,q,o} = PopulationScale·(w0·x_{q,o}) + GroupScale·(z_gᵀ A x_{q,o}) + Noise·η_{g,q,o};
///    p_g(q) = softmax over the options of q of s_{g,q,·}.
/// Because z_g has random signs across groups, the mean of other groups' distributions washes out the
/// group term; reading (x, p) pairs of k questions pins down the r numbers of z_g.
/// </summary>
public static class SyntheticBenchmark
{
    public const string Format = "synthetic";

    public static PreferenceDataset Generate(SyntheticSettings? settings = null)
    {
        var s = settings ?? new SyntheticSettings();
        ArgumentOutOfRangeException.ThrowIfLessThan(s.Groups, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(s.Questions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(s.Dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(s.Rank, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(s.MinOptions, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(s.MaxOptions, s.MinOptions);
        int d = s.Dimension;
        double invSqrtD = 1.0 / Math.Sqrt(d);

        var shared = SeededRandom.Create(s.Seed, "synthetic/shared");
        var w0 = Draw(shared, d, invSqrtD);
        var a = Draw(shared, s.Rank * d, invSqrtD); // [r, D]

        var questionRandom = SeededRandom.Create(s.Seed, "synthetic/questions");
        var questions = new Question[s.Questions];
        var features = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (int q = 0; q < s.Questions; q++)
        {
            int k = s.MinOptions + questionRandom.Next(s.MaxOptions - s.MinOptions + 1);
            var centre = Draw(questionRandom, d, 0.5);
            var direction = Draw(questionRandom, d, 1.0);
            var rows = new float[k * d]; // [K_q, D]
            for (int o = 0; o < k; o++)
            {
                double position = 2.0 * o / (k - 1) - 1.0;
                for (int j = 0; j < d; j++)
                    rows[o * d + j] = (float)(centre[j] + position * direction[j] + 0.5 * SeededRandom.Gaussian(questionRandom));
            }
            var id = $"syn-q{q:000}";
            questions[q] = new Question(id, $"Synthetic question {q}",
                Enumerable.Range(1, k).Select(o => $"option {o}").ToArray(), Enumerable.Range(1, k).Select(o => (double)o).ToArray());
            features[id] = rows;
        }

        var groupRandom = SeededRandom.Create(s.Seed, "synthetic/groups");
        var groups = new string[s.Groups];
        var groupWeights = new double[s.Groups][]; // Aᵀ z_g ∈ R^D
        for (int g = 0; g < s.Groups; g++)
        {
            groups[g] = $"group-{g:00}";
            var z = Draw(groupRandom, s.Rank, 1.0);
            var w = new double[d];
            for (int r = 0; r < s.Rank; r++)
                for (int j = 0; j < d; j++) w[j] += z[r] * a[r * d + j];
            groupWeights[g] = w;
        }

        var noise = SeededRandom.Create(s.Seed, "synthetic/noise");
        var distributions = new Dictionary<(int, int), double[]>();
        for (int g = 0; g < s.Groups; g++)
            for (int q = 0; q < s.Questions; q++)
            {
                var rows = features[questions[q].Id];
                int k = questions[q].OptionCount;
                var scores = new double[k];
                for (int o = 0; o < k; o++)
                {
                    double population = 0, group = 0;
                    for (int j = 0; j < d; j++)
                    {
                        double x = rows[o * d + j];
                        population += w0[j] * x;
                        group += groupWeights[g][j] * x;
                    }
                    scores[o] = s.PopulationScale * population + s.GroupScale * group + s.Noise * SeededRandom.Gaussian(noise);
                }
                distributions[(g, q)] = Softmax(scores);
            }

        var version = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("synthetic-v1 " + s)));
        return new PreferenceDataset("synthetic", groups, questions, distributions, [],
            new DatasetProvenance(Format, [$"generated: {s}"], version), new OptionFeatureTable(d, features));
    }

    private static double[] Draw(Random random, int count, double scale)
    {
        var values = new double[count];
        for (int i = 0; i < count; i++) values[i] = scale * SeededRandom.Gaussian(random);
        return values;
    }

    private static double[] Softmax(double[] scores)
    {
        double max = scores.Max(), sum = 0;
        var p = new double[scores.Length];
        for (int i = 0; i < p.Length; i++) sum += p[i] = Math.Exp(scores[i] - max);
        for (int i = 0; i < p.Length; i++) p[i] /= sum;
        return p;
    }
}
