namespace Gpo.Evaluation.Baselines;

/// <summary>Small helpers shared by the baselines for turning raw per-option scores into distributions.</summary>
internal static class Probability
{
    /// <summary>Smallest share a regression baseline may predict before renormalising.</summary>
    public const double Floor = 1e-6;

    /// <summary>Clips every value to at least <see cref="Floor"/> and divides by the sum.</summary>
    public static double[] Renormalise(double[] values)
    {
        var clipped = values.Select(v => double.IsFinite(v) ? Math.Max(v, Floor) : Floor).ToArray();
        var sum = clipped.Sum();
        for (var i = 0; i < clipped.Length; i++) clipped[i] /= sum;
        return clipped;
    }
}
