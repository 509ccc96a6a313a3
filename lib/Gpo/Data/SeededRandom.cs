namespace Gpo.Data;

/// <summary>
/// The project's seeded randomness. <see cref="System.Random"/> constructed with a seed uses .NET's
/// legacy subtractive generator (kept unchanged for compatibility), so the same seed gives the same
/// sequence on every run, OS and .NET version; the unseeded constructor (xoshiro) is never used here.
/// Independent streams are derived from (seed, stream name) so that, e.g., adding a group does not
/// change the draws of the others. Shuffles are our own Fisher–Yates (not <c>Random.Shuffle</c>, whose
/// algorithm is not a documented contract).
/// </summary>
public static class SeededRandom
{
    /// <summary>A generator for the named stream of a seed.</summary>
    public static Random Create(int seed, string stream = "") => new(DeriveSeed(seed, stream));

    /// <summary>A non-negative 31-bit seed mixed from a seed and a stream name (FNV-1a then a SplitMix64 finaliser).</summary>
    public static int DeriveSeed(int seed, string stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ulong h = 14695981039346656037UL;
        foreach (char c in stream) { h ^= c; h *= 1099511628211UL; }
        ulong z = h ^ ((ulong)(uint)seed * 0x9E3779B97F4A7C15UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }

    /// <summary>Shuffles in place (Fisher–Yates, from the end).</summary>
    public static void Shuffle<T>(IList<T> items, Random random)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(random);
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    /// <summary>A shuffled copy.</summary>
    public static List<T> Shuffled<T>(IEnumerable<T> items, Random random)
    {
        var list = items.ToList();
        Shuffle(list, random);
        return list;
    }

    /// <summary>A standard normal draw (Box–Muller, one value per call).</summary>
    public static double Gaussian(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double u1 = 1.0 - random.NextDouble(); // (0, 1]
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
