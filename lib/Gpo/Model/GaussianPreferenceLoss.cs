using System.Numerics;

namespace Gpo.Model;

/// <summary>
/// The GPO prediction and loss (spec §3.6–3.7). The predictor gives (μ, s) per target token;
/// p̂ = softmax of μ over the options of each question; σ = exp(s); the loss is
/// <c>−Σ_real targets log N(y; p̂, σ) / (B · Nt)</c> with Nt the padded target count — PyTorch's
/// <c>Normal(p̂, σ).log_prob(y)</c>, constant −½log 2π included.
/// </summary>
public static class GaussianPreferenceLoss
{
    private static readonly double HalfLogTwoPi = 0.5 * Math.Log(2 * Math.PI);

    /// <summary>
    /// p̂[B·Nt] = per-question softmax of μ = outputs[:, 0] (plus <see cref="GpoBatch.TargetOffset"/> when the batch has one);
    /// padding targets get 0. The offset is a constant, so <see cref="Backward"/> is the same with or without it.
    /// </summary>
    /// <param name="outputs">[B·Nt, 2] predictor outputs (μ, s).</param>
    /// <param name="probabilities">[B·Nt] receives p̂.</param>
    public static void PerQuestionSoftmax<T>(ReadOnlySpan<T> outputs, Span<T> probabilities, GpoBatch batch) where T : IFloatingPointIeee754<T>
    {
        probabilities.Clear();
        for (int g = 0; g < batch.Groups; g++)
        {
            int token = g * batch.TargetsPerGroup;
            var offset = batch.TargetOffset;
            foreach (var options in batch.TargetOptionCounts[g])
            {
                T max = T.NegativeInfinity;
                for (int i = 0; i < options; i++)
                {
                    // The logit of option i: μ, plus the batch's constant offset (written back to the same span below).
                    probabilities[token + i] = offset is null ? outputs[2 * (token + i)] : outputs[2 * (token + i)] + T.CreateChecked(offset[token + i]);
                    max = T.Max(max, probabilities[token + i]);
                }
                T sum = T.Zero;
                for (int i = 0; i < options; i++)
                {
                    probabilities[token + i] = T.Exp(probabilities[token + i] - max);
                    sum += probabilities[token + i];
                }
                for (int i = 0; i < options; i++) probabilities[token + i] /= sum;
                token += options;
            }
        }
    }

    /// <summary>The loss from outputs [B·Nt, 2] and p̂ [B·Nt]; needs <see cref="GpoBatch.TargetY"/>.</summary>
    public static T Loss<T>(ReadOnlySpan<T> outputs, ReadOnlySpan<T> probabilities, GpoBatch batch) where T : IFloatingPointIeee754<T>
    {
        var y = batch.TargetY ?? throw new InvalidOperationException("loss: the batch has no target shares");
        T total = T.Zero;
        T constant = T.CreateChecked(HalfLogTwoPi);
        for (int g = 0; g < batch.Groups; g++)
            for (int t = 0; t < batch.RealTargets[g]; t++)
            {
                int token = g * batch.TargetsPerGroup + t;
                T s = outputs[2 * token + 1];
                T error = T.CreateChecked(y[token]) - probabilities[token];
                total += error * error * T.Exp(-(s + s)) / T.CreateChecked(2) + s + constant;
            }
        return total / T.CreateChecked(batch.Groups * batch.TargetsPerGroup);
    }

    /// <summary>Gradient of <see cref="Loss"/> with respect to the predictor outputs, δoutputs [B·Nt, 2] (overwritten).</summary>
    public static void Backward<T>(ReadOnlySpan<T> outputs, ReadOnlySpan<T> probabilities, GpoBatch batch, Span<T> δoutputs) where T : IFloatingPointIeee754<T>
    {
        var y = batch.TargetY ?? throw new InvalidOperationException("loss: the batch has no target shares");
        δoutputs.Clear();
        T scale = T.One / T.CreateChecked(batch.Groups * batch.TargetsPerGroup);
        for (int g = 0; g < batch.Groups; g++)
        {
            int token = g * batch.TargetsPerGroup;
            foreach (var options in batch.TargetOptionCounts[g])
            {
                // ℓ = (y − p)²/(2σ²) + s + c:  ∂ℓ/∂s = 1 − (y − p)²/σ²,  ∂ℓ/∂p = (p − y)/σ²; then through the softmax.
                T weighted = T.Zero;
                for (int i = 0; i < options; i++)
                {
                    int k = token + i;
                    T inverseVariance = T.Exp(-(outputs[2 * k + 1] + outputs[2 * k + 1]));
                    T error = probabilities[k] - T.CreateChecked(y[k]);
                    δoutputs[2 * k + 1] = scale * (T.One - error * error * inverseVariance);
                    δoutputs[2 * k] = scale * error * inverseVariance; // ∂ℓ/∂p for now
                    weighted += probabilities[k] * δoutputs[2 * k];
                }
                for (int i = 0; i < options; i++)
                {
                    int k = token + i;
                    δoutputs[2 * k] = probabilities[k] * (δoutputs[2 * k] - weighted);
                }
                token += options;
            }
        }
    }
}
