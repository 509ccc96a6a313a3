namespace Gpo.Evaluation.Baselines;

/// <summary>Predicts the uniform distribution over each query question's options.</summary>
public sealed class UniformPredictor : IPreferencePredictor
{
    public string Name => "uniform";

    public double[][] Predict(Episode episode)
    {
        ArgumentNullException.ThrowIfNull(episode);
        return episode.Queries.Select(q => Enumerable.Repeat(1.0 / q.OptionCount, q.OptionCount).ToArray()).ToArray();
    }
}
