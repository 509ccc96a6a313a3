using Gpo.Model;

namespace Gpo.Evaluation;

/// <summary>
/// GPO as a few-shot method: the group's context questions become (x, y) context tokens, every query
/// question's options become target tokens, and one forward pass predicts all of them — no gradient step.
/// With an engine (a device holding the model's parameters) the forward passes run there.
/// </summary>
public sealed class GpoPredictor(GpoModel<float> model, string name = "gpo", Training.IGpoEngine? engine = null) : IPreferencePredictor
{
    public string Name => name;

    /// <summary>The meta-trained model.</summary>
    public GpoModel<float> Model => model;

    public double[][] Predict(Episode episode)
    {
        ArgumentNullException.ThrowIfNull(episode);
        if (episode.Queries.Count == 0) return [];
        var (features, shares) = episode.ContextTokens();
        if (features.Length == 0)
            throw new InvalidOperationException($"GPO needs at least one context question (group '{episode.Group}'); use k ≥ 1.");
        var context = features.Select((x, i) => new ContextToken(x, (float)shares[i])).ToArray();
        var targets = episode.Queries.Select(q => new TargetQuestion(q.OptionFeatures)).ToArray();
        var prediction = GpoInference.Predict(model, context, targets, engine);
        return prediction.Predictions.Select(p => p.Select(v => (double)v).ToArray()).ToArray();
    }
}
