
namespace Gpo.Model;

/// <summary>One context token of a group: an option's embedding x [dimX] and the group's share y of that option.</summary>
public sealed record ContextToken(float[] X, float Y);

/// <summary>
/// One target question: the embeddings of its options [options][dimX], when known the group's shares, and, for models that
/// predict an offset on a base distribution (<see cref="GpoInputs.PriorOffset"/>), the base log-shares per option.
/// </summary>
public sealed record TargetQuestion(float[][] Options, float[]? Shares = null, float[]? Offset = null);

/// <summary>The model's answer for one group: p̂ per target question (each sums to 1), and the loss when every target had shares.</summary>
public sealed record GroupPrediction(float[][] Predictions, double? Loss);

/// <summary>
/// Few-shot prediction for one group (spec §5): the group's known (x, y) pairs as context, any number of
/// questions as targets, one forward pass, no gradient step.
/// </summary>
public static class GpoInference
{
    /// <summary>Predicts the group's distribution over the options of every target question.</summary>
    /// <param name="engine">A device holding the same parameters as <paramref name="model"/> to run the forward pass on (null: the model's CPU engine).</param>
    public static GroupPrediction Predict(GpoModel<float> model, IReadOnlyList<ContextToken> context, IReadOnlyList<TargetQuestion> targets,
        Training.IGpoEngine? engine = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(targets);
        int dx = model.Config.DimX;
        if (context.Count == 0) throw new ArgumentException("predict: the context needs at least one token");
        if (targets.Count == 0) return new GroupPrediction([], null);
        if (targets.Sum(t => (long)t.Options.Length) > IO.InputLimits.TargetTokensPerPass && targets.Count > 1)
        {
            // Targets attend only to the context, never to each other: slices of them give the same predictions with
            // bounded attention memory; the loss (a mean over target tokens) is recombined by token counts.
            var sliced = new List<float[]>(targets.Count);
            double weightedLoss = 0;
            long tokens = 0;
            var sliceStart = 0;
            while (sliceStart < targets.Count)
            {
                var sliceEnd = sliceStart;
                var sliceTokens = 0;
                while (sliceEnd < targets.Count && (sliceEnd == sliceStart || sliceTokens + targets[sliceEnd].Options.Length <= IO.InputLimits.TargetTokensPerPass))
                    sliceTokens += targets[sliceEnd++].Options.Length;
                var slice = Predict(model, context, targets.Skip(sliceStart).Take(sliceEnd - sliceStart).ToList());
                sliced.AddRange(slice.Predictions);
                if (slice.Loss is { } l) weightedLoss += l * sliceTokens;
                tokens += sliceTokens;
                sliceStart = sliceEnd;
            }
            return new GroupPrediction([.. sliced], targets.All(t => t.Shares is not null) ? weightedLoss / tokens : null);
        }
        int targetTokens = targets.Sum(t => t.Options.Length);
        var contextX = new float[context.Count * dx];
        var contextY = new float[context.Count];
        for (int i = 0; i < context.Count; i++)
        {
            if (context[i].X.Length != dx) throw new ArgumentException($"context[{i}].x: expected {dx} numbers, got {context[i].X.Length}");
            context[i].X.CopyTo(contextX, i * dx);
            contextY[i] = context[i].Y;
        }
        bool allShares = targets.All(t => t.Shares is not null);
        var targetX = new float[targetTokens * dx];
        var targetY = allShares ? new float[targetTokens] : null;
        bool anyOffset = targets.Any(t => t.Offset is not null);
        if (anyOffset && targets.Any(t => t.Offset is null))
            throw new ArgumentException($"targets[{targets.ToList().FindIndex(t => t.Offset is null)}].offset: missing, but other targets have one");
        var targetOffset = anyOffset ? new float[targetTokens] : null;
        int token = 0;
        for (int q = 0; q < targets.Count; q++)
        {
            var question = targets[q];
            if (question.Options.Length == 0) throw new ArgumentException($"targets[{q}].x: a question needs at least one option");
            if (question.Shares is not null && question.Shares.Length != question.Options.Length)
                throw new ArgumentException($"targets[{q}].y: expected {question.Options.Length} numbers, got {question.Shares.Length}");
            if (question.Offset is not null && question.Offset.Length != question.Options.Length)
                throw new ArgumentException($"targets[{q}].offset: expected {question.Options.Length} numbers, got {question.Offset.Length}");
            for (int o = 0; o < question.Options.Length; o++, token++)
            {
                if (question.Options[o].Length != dx) throw new ArgumentException($"targets[{q}].x[{o}]: expected {dx} numbers, got {question.Options[o].Length}");
                question.Options[o].CopyTo(targetX, token * dx);
                if (targetY is not null) targetY[token] = question.Shares![o];
                if (targetOffset is not null) targetOffset[token] = question.Offset![o];
            }
        }
        var batch = new GpoBatch(1, dx, context.Count, targetTokens, contextX, contextY, targetX, targetY,
            [context.Count], [targets.Select(t => t.Options.Length).ToArray()], targetOffset);
        if (engine is null)
        {
            float modelLoss = model.Forward(batch);
            return new GroupPrediction(model.QuestionPredictions()[0], allShares ? modelLoss : null);
        }
        var p = new float[targetTokens];
        float loss = engine.Forward(batch, p);
        var predictions = new float[targets.Count][];
        for (int q = 0, start = 0; q < targets.Count; start += targets[q].Options.Length, q++) predictions[q] = p.AsSpan(start, targets[q].Options.Length).ToArray();
        return new GroupPrediction(predictions, allShares ? loss : null);
    }
}
